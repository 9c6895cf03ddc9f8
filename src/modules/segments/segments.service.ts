import type { EntityManager } from '@mikro-orm/postgresql';
import { safeInteger } from '../../common/safe-integer';
import { badInput, notFound } from '../../common/errors';
import { encodeCursor, decodeCursor, keyset, type Page } from '../../common/pagination';
import { inTransaction } from '../../db/transaction';
import type { Actor } from '../actor';
import { AuditService } from '../audit/audit.service';
import { Member } from '../members/member.entity';
import { isUuid } from '../members/members.service';
import { csvLine, type CsvKind } from './csv.rules';
import { SEGMENT_FROM, compileFilter, type SegmentFilter } from './segment-filter';

export interface SegmentRow { id: string; name: string; filter: SegmentFilter }
export interface ProfileRow { dimension: string; value: string; segmentCount: number; segmentShare: number; populationShare: number; tgi: number | null }

const CSV_COLUMNS = ['id', 'external_id', 'display_name', 'email', 'phone', 'tier', 'stage', 'rfm_segment', 'balance', 'joined_at'];
/** Only `balance` is numeric: its negative values stay numbers; every other cell is text. */
const CSV_KINDS: CsvKind[] = CSV_COLUMNS.map((c) => (c === 'balance' ? 'number' : 'text'));

/** Saved filters over members: size, pages, CSV export and a profile against all members. */
export class SegmentsService {
  constructor(private readonly em: EntityManager, private readonly audit: AuditService) {}

  async save(actor: Actor, name: string, filter: SegmentFilter): Promise<SegmentRow> {
    if (!name.trim()) throw badInput('name', 'name is required');
    compileFilter(filter); // refuses a filter that cannot compile
    return inTransaction(this.em, async (tx) => {
      const [before] = await tx.execute('select filter from segment where name = ? for update', [name]);
      const [row] = (await tx.execute(
        `insert into segment (id, name, filter, updated_at) values (gen_random_uuid(), ?, ?::jsonb, now())
         on conflict (name) do update set filter = excluded.filter, updated_at = now() returning id, name, filter`,
        [name, JSON.stringify(filter)],
      )) as SegmentRow[];
      this.audit.record(tx, actor, { action: before ? 'segment.update' : 'segment.create', entity: 'Segment', entityId: row.id, before: before ?? null, after: { name, filter } });
      await tx.flush();
      return row;
    });
  }

  async list(): Promise<SegmentRow[]> {
    return (await this.em.execute('select id, name, filter from segment order by name')) as SegmentRow[];
  }

  async get(id: string): Promise<SegmentRow | null> {
    if (!isUuid(id)) return null;
    const [row] = await this.em.execute('select id, name, filter from segment where id = ?', [id]);
    return (row as SegmentRow | undefined) ?? null;
  }

  async getOrFail(id: string): Promise<SegmentRow> {
    const s = await this.get(id);
    if (!s) throw notFound('Segment', id);
    return s;
  }

  /** One count query; the filter is compiled, never applied in memory. */
  async size(filter: SegmentFilter): Promise<number> {
    const { where, params } = compileFilter(filter);
    const [row] = await this.em.execute(`select count(*) as n from ${SEGMENT_FROM} where ${where}`, params);
    return safeInteger((row as { n: string }).n);
  }

  async members(filter: SegmentFilter, first: number, after: string | null): Promise<Page<Member>> {
    const { where, params } = compileFilter(filter);
    const keys = keyset('m.seq', 'asc', decodeCursor('member', after));
    const [rows, total] = await Promise.all([
      this.em.execute(`select m.* from ${SEGMENT_FROM} where ${where} and ${keys.where} ${keys.orderBy} limit ?`, [...params, ...keys.params, first + 1]),
      this.size(filter),
    ]);
    const page = rows.slice(0, first) as { seq: string }[];
    return {
      items: page.map((r) => this.em.map(Member, r)),
      cursors: page.map((r) => encodeCursor('member', r.seq)),
      hasNextPage: rows.length > first,
      endCursor: page.length ? encodeCursor('member', page[page.length - 1].seq) : null,
      totalCount: total,
    };
  }

  /**
   * Streams the segment as CSV in keyset batches: memory stays flat however many members
   * match. `write` returns a promise that resolves when the consumer is ready for more.
   */
  async exportCsv(filter: SegmentFilter, write: (chunk: string) => Promise<void>, batch = 5000): Promise<number> {
    const { where, params } = compileFilter(filter);
    await write(CSV_COLUMNS.join(',') + '\n');
    let after: string | null = null;
    let total = 0;
    for (;;) {
      const page = keyset('m.seq', 'asc', after);
      const rows = (await this.em.execute(
        `select m.seq::text, m.id, m.external_id, m.display_name, m.email, m.phone, t.code as tier, coalesce(r.stage, 'PROSPECT') as stage,
           r.rfm_segment, coalesce(a.balance, 0) as balance, m.joined_at
         from ${SEGMENT_FROM} where ${where} and ${page.where} ${page.orderBy} limit ?`,
        [...params, ...page.params, batch],
      )) as (Record<string, unknown> & { seq: string })[];
      if (!rows.length) return total;
      await write(rows.map((r) => csvLine(CSV_COLUMNS.map((c) => r[c]), CSV_KINDS)).join('\n') + '\n');
      total += rows.length;
      after = rows[rows.length - 1].seq;
    }
  }

  /** Share of the segment vs share of all members per value; TGI = segment share ÷ population share × 100. */
  async profile(filter: SegmentFilter): Promise<ProfileRow[]> {
    const { where, params } = compileFilter(filter);
    const dims: [string, string][] = [
      ['tier', 't.code'], ['stage', `coalesce(r.stage, 'PROSPECT')`], ['rfm', `coalesce(r.rfm_segment, 'NONE')`],
      ['region', `coalesce(m.region, 'UNKNOWN')`], ['channel', `coalesce(m.channel, 'UNKNOWN')`], ['gender', `coalesce(m.gender, 'UNKNOWN')`],
    ];
    const unions = dims.map(([name, expr]) => `select '${name}' as dimension, ${expr} as value, (${where}) as inside from ${SEGMENT_FROM}`);
    const tagPart = `select 'tag', tg.code, (${where}) from ${SEGMENT_FROM} join member_tag mt on mt.member_id = m.id join tag tg on tg.id = mt.tag_id`;
    const rows = (await this.em.execute(
      `with facts as (${[...unions, tagPart].join(' union all ')}),
       totals as (select count(*) filter (where ${where})::float8 as seg, count(*)::float8 as pop from ${SEGMENT_FROM})
       select f.dimension, f.value, count(*) filter (where f.inside) as "segmentCount",
         (count(*) filter (where f.inside) / nullif(t.seg, 0))::float8 as "segmentShare", (count(*) / nullif(t.pop, 0))::float8 as "populationShare"
       from facts f cross join totals t group by f.dimension, f.value, t.seg, t.pop order by 1, 2`,
      [...dims.flatMap(() => params), ...params, ...params],
    )) as ProfileRow[];
    return rows.map((r) => ({
      ...r, segmentCount: safeInteger(r.segmentCount), segmentShare: r.segmentShare ?? 0,
      tgi: r.populationShare ? Math.round(((r.segmentShare ?? 0) / r.populationShare) * 10000) / 100 : null,
    }));
  }
}
