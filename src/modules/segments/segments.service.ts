import type { EntityManager } from '@mikro-orm/postgresql';
import { safeInteger } from '../../common/safe-integer';
import { badInput, notFound } from '../../common/errors';
import { hasVisibleText } from '../../common/text.rules';
import { encodeCursor, decodeCursor, pageOf, type Page } from '../../common/pagination';
import { inTransaction } from '../../db/transaction';
import type { Actor } from '../actor';
import { AuditService } from '../audit/audit.service';
import { Member } from '../members/member.entity';
import { isUuid } from '../members/members.service';
import { TAG_CODE, TAG_CODE_RULE, TAG_FILTER_FIELDS } from '../tags/tags.rules';
import { unknownTierCodes } from '../tiers/tiers.service';
import { csvLine, type CsvKind } from './csv.rules';
import { canonicalFilter, compileFilter, FILTER_LIST_CAPS, type SegmentFilter } from './segment-filter';
import { tgi } from './segments.rules';
import {
  countSelectedEach, exportBatch, segmentByName, listSegments, lockSegment, profileCounts, saveSegment, segmentById, segmentsContaining, selectedIdsQuery, selectedMembersPage,
  tagCodesInAnotherCase,
  type MemberSelection, type SegmentRow,
} from './segments.repository';

export type { SegmentFilter } from './segment-filter';
export { canonicalFilter, FILTER_LIST_CAPS } from './segment-filter';
export type { MemberSelection, SegmentRow } from './segments.repository';

/**
 * Refuses (badInput) a filter that cannot compile, or whose range cannot hold a member (a minimum
 * above its maximum, a date range whose exclusive end is not after its start, a tag both required
 * and excluded, a blank profile value: a slip that would select nobody for ever): what a saved segment, a rule tag, a preview and a campaign's audience
 * are checked with. Only what is written is checked: a filter saved before keeps compiling.
 */
export function checkFilter(filter: SegmentFilter): void {
  for (const [field, cap] of Object.entries(FILTER_LIST_CAPS)) {
    const values = filter[field as keyof typeof FILTER_LIST_CAPS];
    if (values && values.length > cap) throw badInput(field, `${field} must contain no more than ${cap} elements`);
  }
  compileFilter(filter);
  for (const [min, max] of [['minBalance', 'maxBalance'], ['minSpend', 'maxSpend']] as const) {
    const low = filter[min];
    const high = filter[max];
    if (low != null && high != null && low > high) throw badInput(min, `${min} must not exceed ${max}: no member could match`);
  }
  for (const [from, to] of [['joinedFrom', 'joinedTo'], ['lastPurchaseFrom', 'lastPurchaseTo'], ['tierExpiresFrom', 'tierExpiresTo']] as const) {
    const start = filter[from];
    const end = filter[to];
    if (start == null || end == null) continue;
    if (new Date(start).getTime() >= new Date(end).getTime()) throw badInput(to, `${to} must be after ${from} (${to} is not included): no member could match`);
  }
  const excluded = new Set(filter.tagsNone ?? []);
  const both = (filter.tagsAll ?? []).find((t) => excluded.has(t));
  if (both !== undefined) throw badInput('tagsNone', `${both} is in both tagsAll and tagsNone: no member could match`);
  if (filter.tagsAny?.length && filter.tagsAny.every((t) => excluded.has(t))) {
    throw badInput('tagsNone', 'every tag of tagsAny is in tagsNone: no member could match');
  }
  // A member's profile text is stored trimmed, blank as none: a blank value names no member.
  for (const field of ['genders', 'regions', 'channels'] as const) {
    if ((filter[field] ?? []).some((v) => !v.trim())) throw badInput(field, `${field} must not hold a blank value: no member has one`);
  }
}

/**
 * Refuses (badInput) a filter that checkFilter refuses or that names a tier the ladder does not have
 * (a typo, a code's case: tiers are never deleted, so such a filter would select nobody for
 * ever), as a campaign's audience is refused: what a saved segment, a rule tag and a preview
 * are checked with. Tag codes need only be codes a tag can have: a tag is created on its first
 * use, and a rule may read one that does not exist yet; but not an existing tag's code in
 * another case, which no tag can ever have (tagMember refuses it).
 */
export async function checkFilterReferences(em: EntityManager, filter: SegmentFilter): Promise<void> {
  checkFilter(filter);
  for (const field of TAG_FILTER_FIELDS) {
    const bad = (filter[field] ?? []).find((c) => !TAG_CODE.test(c));
    if (bad !== undefined) throw badInput(field, `${JSON.stringify(bad)} cannot be a tag: ${TAG_CODE_RULE}`);
  }
  // A code that differs from an existing tag's only in case can never be a tag's (tagMember refuses it).
  const named = TAG_FILTER_FIELDS.flatMap((field) => (filter[field] ?? []).map((code) => ({ field, code })));
  const [spelled] = await tagCodesInAnotherCase(em, named.map((n) => n.code));
  if (spelled) {
    const { field } = named.find((n) => n.code === spelled.code)!;
    throw badInput(field, `tag ${spelled.code} is the existing tag ${spelled.existing} in another case: use ${spelled.existing}`);
  }
  const unknown = await unknownTierCodes(em, [...new Set(filter.tierCodes ?? [])]);
  if (unknown.length) throw badInput('tierCodes', `Unknown tier ${unknown.join(', ')}`);
}

/**
 * The members `filter` selects, as a query another module's statement selects from, set-based
 * (rule tags: tags.repository.ts syncRuleTagMembers); refuses (badInput) a filter that cannot compile.
 */
export function memberSelection(filter: SegmentFilter): MemberSelection {
  return selectedIdsQuery(compileFilter(filter));
}
export interface ProfileRow { dimension: string; value: string; segmentCount: number; segmentShare: number; populationShare: number; tgi: number | null }

/** Filters counted in one statement (segments.sizes): a statement's length stays bounded however many segments are listed. */
const SIZES_PER_STATEMENT = 50;

const CSV_COLUMNS = ['id', 'external_id', 'display_name', 'email', 'phone', 'tier', 'stage', 'rfm_segment', 'balance', 'joined_at'];
/** Only `balance` is numeric: its negative values stay numbers; every other cell is text. */
const CSV_KINDS: CsvKind[] = CSV_COLUMNS.map((c) => (c === 'balance' ? 'number' : 'text'));

/** Saved filters over members: size, pages, CSV export and a profile against all members. */
export class SegmentsService {
  constructor(private readonly em: EntityManager, private readonly audit: AuditService) {}

  async save(actor: Actor, given: string, filter: SegmentFilter): Promise<SegmentRow> {
    // The name is the segment's key: "Champions " is "Champions", not a second segment beside it.
    const name = given.trim();
    if (!hasVisibleText(name)) throw badInput('name', 'name is required (a visible character)');
    await checkFilterReferences(this.em, filter); // refuses a filter that cannot compile or names an unknown tier
    return inTransaction(this.em, async (tx) => {
      const before = await lockSegment(tx, name);
      // The same filter again (a retry) writes nothing: no update, no audit entry.
      if (before && canonicalFilter(before.filter) === canonicalFilter(filter)) return (await segmentByName(tx, name))!;
      const row = await saveSegment(tx, name, filter);
      this.audit.record(tx, actor, { action: before ? 'segment.update' : 'segment.create', entity: 'Segment', entityId: row.id, before, after: { name, filter } });
      await tx.flush();
      return row;
    });
  }

  /** Refuses (badInput, naming the filter's field) a filter that cannot compile or names an unknown tier; nothing otherwise. */
  check(filter: SegmentFilter): Promise<void> {
    return checkFilterReferences(this.em, filter);
  }

  async list(): Promise<SegmentRow[]> {
    return listSegments(this.em);
  }

  async get(id: string): Promise<SegmentRow | null> {
    if (!isUuid(id)) return null;
    return segmentById(this.em, id);
  }

  async getOrFail(id: string): Promise<SegmentRow> {
    const s = await this.get(id);
    if (!s) throw notFound('Segment', id);
    return s;
  }

  /**
   * How many members each filter selects, in one statement for up to SIZES_PER_STATEMENT filters
   * (a list of segments with their sizes); the filters are compiled, never applied in memory.
   */
  async sizes(filters: readonly SegmentFilter[]): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < filters.length; i += SIZES_PER_STATEMENT) {
      out.push(...(await countSelectedEach(this.em, filters.slice(i, i + SIZES_PER_STATEMENT).map(compileFilter))));
    }
    return out;
  }

  /** A page of the members `filter` selects, in registration order; their number is the caller's to ask (size), only when wanted. */
  async members(filter: SegmentFilter, first: number, after: string | null): Promise<Page<Member>> {
    const rows = await selectedMembersPage(this.em, compileFilter(filter), decodeCursor('member', after), first + 1);
    return pageOf(rows, first, (r) => encodeCursor('member', r.seq), (r) => this.em.map(Member, r));
  }

  /**
   * Streams the segment as CSV in keyset batches: memory stays flat however many members
   * match. `write` returns a promise that resolves when the consumer is ready for more.
   */
  async exportCsv(filter: SegmentFilter, write: (chunk: string) => Promise<void>, batch = 5000): Promise<number> {
    const compiled = compileFilter(filter);
    // The header goes out with the first batch: an export that fails before it has read a row
    // writes nothing, so the caller can still answer with an error instead of an empty file.
    let head = CSV_COLUMNS.join(',') + '\n';
    let after: string | null = null;
    let total = 0;
    for (;;) {
      const rows = await exportBatch(this.em, compiled, after, batch);
      if (!rows.length) {
        if (head) await write(head);
        return total;
      }
      await write(head + rows.map((r) => csvLine(CSV_COLUMNS.map((c) => r[c]), CSV_KINDS)).join('\n') + '\n');
      head = '';
      total += rows.length;
      after = rows[rows.length - 1].seq;
    }
  }

  /** The saved segments the member is in now, by name (a member's data export); a saved filter that no longer compiles selects nobody. */
  async containing(memberId: string): Promise<{ id: string; name: string }[]> {
    const compiled = (await listSegments(this.em)).flatMap((row) => {
      try {
        return [{ row, filter: compileFilter(row.filter) }];
      } catch {
        return [];
      }
    });
    return segmentsContaining(this.em, memberId, compiled);
  }

  /**
   * Share of the segment vs share of all members per value; TGI = segment share ÷ population
   * share × 100. An empty segment has no shares (0 ÷ 0): its shares read 0 and its TGI null, not
   * 0 (which would say every value is absent from it).
   */
  async profile(filter: SegmentFilter): Promise<ProfileRow[]> {
    const rows = await profileCounts(this.em, compileFilter(filter));
    return rows.map((r) => ({
      ...r, segmentCount: safeInteger(r.segmentCount), segmentShare: r.segmentShare ?? 0,
      tgi: r.segmentShare == null ? null : tgi(r.segmentShare, r.populationShare),
    }));
  }
}
