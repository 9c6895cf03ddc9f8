import type { EntityManager } from '@mikro-orm/postgresql';
import { safeInteger } from '../../common/safe-integer';
import { pgTextArray } from '../../db/entity-manager';
import { keyset } from '../../common/pagination';
import type { CsvValue } from './csv.rules';
import { SEGMENT_FROM, type CompiledFilter, type SegmentFilter } from './segment-filter';

/**
 * The SQL of saved segments and of what a filter selects, in one place. Every function takes
 * the caller's EntityManager (the transaction's, for writes); none opens a transaction: the
 * service does.
 *
 * A filter selects members over SEGMENT_FROM (segment-filter.ts): the functions below that take
 * a CompiledFilter are cross-module reads, set-based, of member, tier, member_retention,
 * point_account, and member_tag / tag for tag conditions. A filter is compiled, never applied
 * in memory.
 */

export interface SegmentRow { id: string; name: string; filter: SegmentFilter }

/** A member row as SEGMENT_FROM has it (`m.*`), with its seq for keyset pages. */
export type SegmentMemberRow = Record<string, unknown> & { seq: string };

/** The CSV export's columns, each cell as the database gives it (text, numbers, timestamps). */
export type ExportRow = Record<string, CsvValue> & { seq: string };

/** One value of a profile's dimension: its count inside the segment (bigint, as text) and its shares (the segment's null when it is empty). */
export interface ProfileCountRow { dimension: string; value: string; segmentCount: string; segmentShare: number | null; populationShare: number }

/**
 * Lock: the segment name, for the rest of the transaction (a transaction advisory lock on it,
 * so that two first saves of one name come one after the other: a row lock has no row to hold
 * yet, and both recorded a `segment.create`), then its row (`for update`); its stored filter, or
 * null when there is none yet.
 */
export async function lockSegment(tx: EntityManager, name: string): Promise<{ filter: SegmentFilter } | null> {
  await tx.execute(`select pg_advisory_xact_lock(hashtext('segment.save'), hashtext(?))`, [name]);
  const [row] = await tx.execute<{ filter: SegmentFilter }[]>('select filter from segment where name = ? for update', [name]);
  return row ?? null;
}

/** Creates the segment or replaces its filter (keyed by name). */
export async function saveSegment(tx: EntityManager, name: string, filter: SegmentFilter): Promise<SegmentRow> {
  const [row] = await tx.execute<SegmentRow[]>(
    `insert into segment (id, name, filter, updated_at) values (gen_random_uuid(), ?, ?::jsonb, now())
     on conflict (name) do update set filter = excluded.filter, updated_at = now() returning id, name, filter`,
    [name, JSON.stringify(filter)],
  );
  return row;
}

export function listSegments(em: EntityManager): Promise<SegmentRow[]> {
  return em.execute<SegmentRow[]>('select id, name, filter from segment order by name');
}

export async function segmentByName(em: EntityManager, name: string): Promise<SegmentRow | null> {
  const [row] = await em.execute<SegmentRow[]>('select id, name, filter from segment where name = ?', [name]);
  return row ?? null;
}

export async function segmentById(em: EntityManager, id: string): Promise<SegmentRow | null> {
  const [row] = await em.execute<SegmentRow[]>('select id, name, filter from segment where id = ?', [id]);
  return row ?? null;
}

/**
 * The members a filter selects, as one query (`select m.id from SEGMENT_FROM where …`) and its
 * bound parameters, for another module's statement to select from, set-based (rule tags'
 * refresh: tags.repository.ts syncRuleTagMembers). Cross-module read (SEGMENT_FROM).
 */
export interface MemberSelection { sql: string; params: unknown[] }

export function selectedIdsQuery(filter: CompiledFilter): MemberSelection {
  return { sql: `select m.id from ${SEGMENT_FROM} where ${filter.where}`, params: filter.params };
}

/**
 * How many members each filter selects, in one statement for all of them: one scalar subquery
 * per filter, each planned as a count of its own would be (a tag filter's EXISTS stays a
 * semi-join; inside one scan's `count(*) filter (where …)` it would be a subplan run per member).
 * The segments list with its sizes costs one round trip, not one per segment. Cross-module read (SEGMENT_FROM).
 */
export async function countSelectedEach(em: EntityManager, filters: readonly CompiledFilter[]): Promise<number[]> {
  if (filters.length === 0) return [];
  const counts = filters.map((f, i) => `(select count(*) from ${SEGMENT_FROM} where ${f.where}) as n${i}`).join(', ');
  const [row] = await em.execute<Record<string, string>[]>(`select ${counts}`, filters.flatMap((f) => f.params));
  return filters.map((_, i) => safeInteger(row[`n${i}`]));
}

/** The members the filter selects after seq `after`, in registration order. Cross-module read (SEGMENT_FROM). */
export function selectedMembersPage(em: EntityManager, filter: CompiledFilter, after: string | null, limit: number): Promise<SegmentMemberRow[]> {
  const keys = keyset('m.seq', 'asc', after);
  return em.execute<SegmentMemberRow[]>(
    `select m.* from ${SEGMENT_FROM} where ${filter.where} and ${keys.where} ${keys.orderBy} limit ?`,
    [...filter.params, ...keys.params, limit],
  );
}

/**
 * A batch of the CSV export after seq `after`, in registration order, with the export's
 * columns (joined_at as the API writes instants: ISO-8601 in UTC, with milliseconds). Cross-module read (SEGMENT_FROM): the member's tier code, stage and RFM cell, balance.
 */
export function exportBatch(em: EntityManager, filter: CompiledFilter, after: string | null, limit: number): Promise<ExportRow[]> {
  const page = keyset('m.seq', 'asc', after);
  return em.execute<ExportRow[]>(
    `select m.seq::text, m.id, m.external_id, m.display_name, m.email, m.phone, t.code as tier, coalesce(r.stage, 'PROSPECT') as stage,
       r.rfm_segment, coalesce(a.balance, 0) as balance,
       to_char(m.joined_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as joined_at
     from ${SEGMENT_FROM} where ${filter.where} and ${page.where} ${page.orderBy} limit ?`,
    [...filter.params, ...page.params, limit],
  );
}

/** The dimensions a segment is profiled by, each an expression over SEGMENT_FROM. */
const PROFILE_DIMENSIONS: [name: string, expr: string][] = [
  ['tier', 't.code'], ['stage', `coalesce(r.stage, 'PROSPECT')`], ['rfm', `coalesce(r.rfm_segment, 'NONE')`],
  ['region', `coalesce(m.region, 'UNKNOWN')`], ['channel', `coalesce(m.channel, 'UNKNOWN')`], ['gender', `coalesce(m.gender, 'UNKNOWN')`],
];

/**
 * For each profile dimension (and each tag) and value: members inside the segment, and the
 * value's share of the segment and of all members, in one statement. Cross-module read
 * (SEGMENT_FROM, and member_tag / tag for the tag dimension).
 */
export function profileCounts(em: EntityManager, filter: CompiledFilter): Promise<ProfileCountRow[]> {
  const { where, params } = filter;
  const unions = PROFILE_DIMENSIONS.map(([name, expr]) => `select '${name}' as dimension, ${expr} as value, (${where}) as inside from ${SEGMENT_FROM}`);
  const tagPart = `select 'tag', tg.code, (${where}) from ${SEGMENT_FROM} join member_tag mt on mt.member_id = m.id join tag tg on tg.id = mt.tag_id`;
  return em.execute<ProfileCountRow[]>(
    `with facts as (${[...unions, tagPart].join(' union all ')}),
     totals as (select count(*) filter (where ${where})::float8 as seg, count(*)::float8 as pop from ${SEGMENT_FROM})
     select f.dimension, f.value, count(*) filter (where f.inside) as "segmentCount",
       (count(*) filter (where f.inside) / nullif(t.seg, 0))::float8 as "segmentShare", (count(*) / nullif(t.pop, 0))::float8 as "populationShare"
     from facts f cross join totals t group by f.dimension, f.value, t.seg, t.pop order by 1, 2`,
    [...PROFILE_DIMENSIONS.flatMap(() => params), ...params, ...params],
  );
}

/**
 * Which of the saved segments select the member now, in one statement (one probe of
 * SEGMENT_FROM by primary key per segment). Cross-module read (SEGMENT_FROM). An erased member
 * is in none.
 */
export async function segmentsContaining(em: EntityManager, memberId: string, segments: { row: SegmentRow; filter: CompiledFilter }[]): Promise<{ id: string; name: string }[]> {
  if (!segments.length) return [];
  const arms = segments.map(({ filter }) => `select ?::uuid as id, ?::text as name, ?::int as n
    where exists (select 1 from ${SEGMENT_FROM} where m.id = ?::uuid and (${filter.where}))`);
  const params = segments.flatMap(({ row, filter }, i) => [row.id, row.name, i, memberId, ...filter.params]);
  const rows = await em.execute<{ id: string; name: string }[]>(`select id, name from (${arms.join(' union all ')}) s order by n`, params);
  return rows.map((r) => ({ id: r.id, name: r.name }));
}

/**
 * Each of `codes` that only the case tells from an existing tag's code, with that code (`VIP_x`
 * → `vip_x`): a code no tag can ever have (tag_code_folded_unique: one spelling per code), so a
 * filter naming it would select nobody (tagsAll, tagsAny) or everybody (tagsNone) for ever.
 * Cross-module read: the tags module's `tag`.
 */
export async function tagCodesInAnotherCase(em: EntityManager, codes: readonly string[]): Promise<{ code: string; existing: string }[]> {
  if (!codes.length) return [];
  return em.execute<{ code: string; existing: string }[]>(
    `select g.code, t.code as existing from unnest(?::text[]) with ordinality as g(code, ord)
     join tag t on lower(t.code) = lower(g.code) and t.code <> g.code order by g.ord`,
    [pgTextArray(codes)],
  );
}

