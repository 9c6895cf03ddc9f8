import type { EntityManager } from '@mikro-orm/postgresql';
import { badInput, notFound } from '../../common/errors';
import { inSqlTransaction, inTransaction, isUniqueViolation } from '../../db/transaction';
import type { Actor } from '../actor';
import { AuditService } from '../audit/audit.service';
import { holdLiveMember, isUuid } from '../members/members.service';
import { canonicalFilter, checkFilterReferences, memberSelection, type SegmentFilter } from '../segments/segments.service';
import type { TagCategory } from './tag.entities';
import { cycleThrough, readersOf, refreshOrder, TAG_CODE, TAG_CODE_RULE } from './tags.rules';
import {
  addMemberTag, allowNestedLoops, ensureManualTag, forbidNestedLoops, listTags, lockTag, lockTagDefinitions, memberCountsByTag,
  otherCaseOf, removeAllMemberTags, removeMemberTag, rulesOfTags, ruleTags, saveTag, syncRuleTagMembers, tagByCode, tagsOfMembers, type TagRow,
} from './tags.repository';

export type { TagRow } from './tags.repository';

/** Manual tags, set by admins or services, created on first use. */
export class TagsService {
  constructor(private readonly em: EntityManager, private readonly audit: AuditService) {}

  /** Every RULE tag's members refreshed (refreshRuleTags), in a transaction of its own: the retention refresh's last step, once the figures the rules read are in. */
  refreshEveryRuleTag(): Promise<void> {
    return inSqlTransaction(this.em, (tx) => refreshRuleTags(tx));
  }

  async list(): Promise<TagRow[]> {
    return listTags(this.em);
  }

  /**
   * Defines a tag: with a rule it is a RULE tag whose members the retention refresh keeps
   * current. A rule may read other tags, but not itself through any chain of rule tags (a
   * cycle has no refresh order). Applied at once, with the rule tags that read it after it.
   */
  async upsert(actor: Actor, input: { code: string; name: string; category: TagCategory; rule?: SegmentFilter | null }): Promise<TagRow> {
    if (!TAG_CODE.test(input.code)) throw badInput('code', TAG_CODE_RULE);
    if (input.rule) await checkFilterReferences(this.em, input.rule);
    return oneSpelling('code', input.code, () => inTransaction(this.em, async (tx) => {
      // One definition at a time: two saves at once could each close half of a cycle.
      await lockTagDefinitions(tx);
      await refuseOtherCase(tx, 'code', input.code);
      const before = await lockTag(tx, input.code);
      const cycle = input.rule && cycleThrough(await ruleTags(tx), input.code, input.rule);
      if (cycle) throw badInput(cycle.field, `tag ${input.code} would read itself: ${cycle.path.join(' → ')}`);
      const row = await saveTag(tx, { code: input.code, name: input.name, kind: input.rule ? 'RULE' : 'MANUAL', category: input.category, rule: input.rule ?? null });
      if (input.rule) await refreshRuleTags(tx, input.code); // members follow the rule from now on
      // The same definition again (a retry) is no change: its rule is applied, no audit entry is written.
      const same = before && before.name === input.name && before.category === input.category && before.kind === row.kind
        && canonicalFilter(before.rule) === canonicalFilter(input.rule);
      if (same) return row;
      this.audit.record(tx, actor, { action: before ? 'tag.update' : 'tag.create', entity: 'Tag', entityId: input.code, before, after: { ...input } });
      await tx.flush();
      return row;
    }));
  }

  /** How many members carry each tag. */
  /** Every tag with how many members carry it (0 for a tag nobody has), in the order of list(). */
  async withCounts(): Promise<{ tag: TagRow; count: number }[]> {
    const [tags, rows] = await Promise.all([this.list(), memberCountsByTag(this.em)]);
    const counts = new Map(rows.map((r) => [r.id, r.n]));
    return tags.map((tag) => ({ tag, count: counts.get(tag.id) ?? 0 }));
  }

  async tag(actor: Actor, memberId: string, tagCode: string): Promise<void> {
    if (!TAG_CODE.test(tagCode)) throw badInput('tagCode', TAG_CODE_RULE);
    await oneSpelling('tagCode', tagCode, () => this.change(actor, memberId, tagCode, true));
  }

  /**
   * A code tagMember would refuse is refused here too (malformed: BAD_USER_INPUT on tagCode; an
   * existing tag's code in another case: "use <code>"), rather than answered as done with the
   * member still tagged; a well-formed code of no tag is no change.
   */
  async untag(actor: Actor, memberId: string, tagCode: string): Promise<void> {
    if (!TAG_CODE.test(tagCode)) throw badInput('tagCode', TAG_CODE_RULE);
    await this.change(actor, memberId, tagCode, false);
  }

  private async change(actor: Actor, memberId: string, tagCode: string, on: boolean): Promise<void> {
    if (!isUuid(memberId)) throw notFound('Member', memberId);
    await inTransaction(this.em, async (tx) => {
      if (!(await holdLiveMember(tx, memberId))) throw notFound('Member', memberId);
      if (on) {
        await refuseOtherCase(tx, 'tagCode', tagCode);
        await ensureManualTag(tx, tagCode);
      }
      const tag = await tagByCode(tx, tagCode);
      if (!tag && !on) await refuseOtherCase(tx, 'tagCode', tagCode);
      if (!tag) return; // untagging a tag that never existed changes nothing
      if (tag.kind === 'RULE') throw badInput('tagCode', `${tagCode} is a rule tag: the server keeps it from its filter`);
      const changed = on ? await addMemberTag(tx, memberId, tag.id) : await removeMemberTag(tx, memberId, tag.id);
      if (changed) {
        // The rule tags that read it (through any chain) follow for this member now, not at the next refresh.
        await refreshRuleTagsOf(tx, memberId, tagCode);
        this.audit.record(tx, actor, { action: on ? 'member.tag' : 'member.untag', entity: 'Member', entityId: memberId, after: { tag: tagCode } });
        await tx.flush();
      }
    });
  }

  /** An erasure's part (data-rights.service.ts), in its transaction: every tag of the member removed, manual and rule tags alike; the codes it had. */
  removeAllForErasure(tx: EntityManager, memberId: string): Promise<string[]> {
    return removeAllMemberTags(tx, memberId);
  }

  /** Each tag's rule (null for a MANUAL tag), by tag id: what an admin reads back of a RULE tag's definition. */
  async rulesOf(ids: readonly string[]): Promise<Map<string, SegmentFilter | null>> {
    return new Map((await rulesOfTags(this.em, ids)).map((r) => [r.id, r.rule]));
  }

  /** Each member's tags, for a batch of members. */
  async codesOf(memberIds: readonly string[]): Promise<Map<string, TagRow[]>> {
    const rows = await tagsOfMembers(this.em, memberIds);
    const out = new Map<string, TagRow[]>();
    for (const r of rows) out.set(r.memberId, [...(out.get(r.memberId) ?? []), r]);
    return out;
  }
}

/**
 * Every RULE tag's members are exactly those its filter selects now, refreshed in dependency
 * order (a tag after the rule tags it reads, so a chain settles in one pass); with `changed`,
 * only that tag and the rule tags that read it. One statement per tag that selects the members
 * once and changes only the difference (members who keep the tag keep their row and its
 * taggedAt). In the caller's transaction.
 */
async function refreshRuleTags(tx: EntityManager, changed?: string): Promise<void> {
  const tags = await ruleTags(tx);
  const byCode = new Map(tags.map((t) => [t.code, t]));
  const moved = changed ? readersOf(tags, changed) : null;
  await forbidNestedLoops(tx);
  for (const code of refreshOrder(tags)) {
    if (moved && !moved.has(code)) continue;
    const tag = byCode.get(code)!;
    await syncRuleTagMembers(tx, tag.id, memberSelection(tag.rule));
  }
  await allowNestedLoops(tx);
}

/**
 * One member's rule tags that read `changed` (a manual tag it got or lost), directly or through
 * other rule tags, in refresh order: as refreshRuleTags does for every member, for this one.
 */
async function refreshRuleTagsOf(tx: EntityManager, memberId: string, changed: string): Promise<void> {
  const tags = await ruleTags(tx);
  const readers = readersOf(tags, changed);
  if (readers.size === 1) return; // no rule reads it
  const byCode = new Map(tags.map((t) => [t.code, t]));
  for (const code of refreshOrder(tags)) {
    if (code === changed || !readers.has(code)) continue;
    const tag = byCode.get(code)!;
    await syncRuleTagMembers(tx, tag.id, memberSelection(tag.rule), memberId);
  }
}

/**
 * A tag is one whatever the case of its code: a new code that only the case tells from an
 * existing tag's (`VIP_x` beside `vip_x`) is refused, naming the existing one, rather than
 * splitting the members between two tags that benefits and segments would tell apart.
 */
async function refuseOtherCase(tx: EntityManager, field: string, code: string): Promise<void> {
  const existing = await otherCaseOf(tx, code);
  if (existing) throw badInput(field, sameTagMessage(code, existing));
}

/** The same refusal when two first uses in different cases raced and the index (tag_code_folded_unique) refused the second. */
async function oneSpelling<T>(field: string, code: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (!isUniqueViolation(err, 'tag_code_folded_unique')) throw err;
    throw badInput(field, sameTagMessage(code, null));
  }
}

function sameTagMessage(code: string, existing: string | null): string {
  return existing
    ? `tag ${code} is the existing tag ${existing} in another case: use ${existing}`
    : `tag ${code} is an existing tag in another case`;
}
