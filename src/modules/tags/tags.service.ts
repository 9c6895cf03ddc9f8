import type { EntityManager } from '@mikro-orm/postgresql';
import { safeInteger } from '../../common/safe-integer';
import { badInput, notFound } from '../../common/errors';
import { inTransaction } from '../../db/transaction';
import type { Actor } from '../actor';
import { AuditService } from '../audit/audit.service';
import { isUuid } from '../members/members.service';
import type { TagCategory, TagKind } from './tag.entities';
import { SEGMENT_FROM, compileFilter, type SegmentFilter } from '../segments/segment-filter';
import { cycleThrough, readersOf, refreshOrder, type RuleTagDef } from './tags.rules';

export interface TagRow { id: string; code: string; name: string; kind: TagKind; category: TagCategory }
const TAG_CODE = /^[A-Za-z0-9_.:-]{1,64}$/;

/** Manual tags, set by admins or services, created on first use. */
export class TagsService {
  constructor(private readonly em: EntityManager, private readonly audit: AuditService) {}

  async list(): Promise<TagRow[]> {
    return (await this.em.execute('select id, code, name, kind, category from tag order by code')) as TagRow[];
  }

  /**
   * Defines a tag: with a rule it is a RULE tag whose members the retention refresh keeps
   * current. A rule may read other tags, but not itself through any chain of rule tags (a
   * cycle has no refresh order). Applied at once, with the rule tags that read it after it.
   */
  async upsert(actor: Actor, input: { code: string; name: string; category: TagCategory; rule?: SegmentFilter | null }): Promise<TagRow> {
    if (!TAG_CODE.test(input.code)) throw badInput('code', 'tag codes use letters, digits, _ . : - only');
    if (input.rule) compileFilter(input.rule);
    return inTransaction(this.em, async (tx) => {
      // One definition at a time: two saves at once could each close half of a cycle.
      await tx.execute(`select pg_advisory_xact_lock(hashtext('tags.define'))`);
      const [before] = await tx.execute('select code, name, kind, category, rule from tag where code = ? for update', [input.code]);
      const cycle = input.rule && cycleThrough(await ruleTags(tx), input.code, input.rule);
      if (cycle) throw badInput(cycle.field, `tag ${input.code} would read itself: ${cycle.path.join(' → ')}`);
      const [row] = (await tx.execute(
        `insert into tag (id, code, name, kind, category, rule) values (gen_random_uuid(), ?, ?, ?, ?, ?::jsonb)
         on conflict (code) do update set name = excluded.name, kind = excluded.kind, category = excluded.category, rule = excluded.rule
         returning id, code, name, kind, category`,
        [input.code, input.name, input.rule ? 'RULE' : 'MANUAL', input.category, input.rule ? JSON.stringify(input.rule) : null],
      )) as TagRow[];
      if (input.rule) await refreshRuleTags(tx, input.code); // members follow the rule from now on
      this.audit.record(tx, actor, { action: before ? 'tag.update' : 'tag.create', entity: 'Tag', entityId: input.code, before: before ?? null, after: { ...input } });
      await tx.flush();
      return row;
    });
  }

  /** How many members carry each tag. */
  async counts(): Promise<Map<string, number>> {
    const rows = (await this.em.execute('select tag_id as id, count(*) as n from member_tag group by tag_id')) as { id: string; n: string }[];
    return new Map(rows.map((r) => [r.id, safeInteger(r.n)]));
  }

  async tag(actor: Actor, memberId: string, tagCode: string): Promise<void> {
    if (!TAG_CODE.test(tagCode)) throw badInput('tagCode', 'tag codes use letters, digits, _ . : - only');
    await this.change(actor, memberId, tagCode, true);
  }

  async untag(actor: Actor, memberId: string, tagCode: string): Promise<void> {
    await this.change(actor, memberId, tagCode, false);
  }

  private async change(actor: Actor, memberId: string, tagCode: string, on: boolean): Promise<void> {
    if (!isUuid(memberId)) throw notFound('Member', memberId);
    await inTransaction(this.em, async (tx) => {
      if (!(await tx.execute('select 1 from member where id = ?', [memberId])).length) throw notFound('Member', memberId);
      if (on) {
        await tx.execute(`insert into tag (id, code, name, kind, category) values (gen_random_uuid(), ?, ?, 'MANUAL', 'DESCRIPTIVE') on conflict (code) do nothing`, [tagCode, tagCode]);
      }
      const [tag] = (await tx.execute('select id, kind from tag where code = ?', [tagCode])) as { id: string; kind: TagKind }[];
      if (!tag) return; // untagging a tag that never existed changes nothing
      if (tag.kind === 'RULE') throw badInput('tagCode', `${tagCode} is a rule tag: the server keeps it from its filter`);
      const changed = on
        ? await tx.execute('insert into member_tag (member_id, tag_id, tagged_at) values (?, ?, now()) on conflict do nothing returning 1', [memberId, tag.id])
        : await tx.execute('delete from member_tag where member_id = ? and tag_id = ? returning 1', [memberId, tag.id]);
      if (changed.length) {
        this.audit.record(tx, actor, { action: on ? 'member.tag' : 'member.untag', entity: 'Member', entityId: memberId, after: { tag: tagCode } });
        await tx.flush();
      }
    });
  }

  /** Tag codes per member, for a batch of members. */
  async codesOf(memberIds: readonly string[]): Promise<Map<string, TagRow[]>> {
    const rows = (await this.em.execute(
      `select mt.member_id as "memberId", t.id, t.code, t.name, t.kind, t.category from member_tag mt join tag t on t.id = mt.tag_id
       where mt.member_id in (?) order by t.code`,
      [memberIds as string[]],
    )) as (TagRow & { memberId: string })[];
    const out = new Map<string, TagRow[]>();
    for (const r of rows) out.set(r.memberId, [...(out.get(r.memberId) ?? []), r]);
    return out;
  }
}

async function ruleTags(tx: EntityManager): Promise<(RuleTagDef & { id: string; rule: SegmentFilter })[]> {
  return (await tx.execute(`select id, code, rule from tag where kind = 'RULE' and rule is not null`)) as (RuleTagDef & { id: string; rule: SegmentFilter })[];
}

/**
 * Every RULE tag's members are exactly those its filter selects now, refreshed in dependency
 * order (a tag after the rule tags it reads, so a chain settles in one pass); with `changed`,
 * only that tag and the rule tags that read it. One statement per tag that selects the members
 * once and changes only the difference (members who keep the tag keep their row and its
 * taggedAt). In the caller's transaction.
 */
export async function refreshRuleTags(tx: EntityManager, changed?: string): Promise<void> {
  const tags = await ruleTags(tx);
  const byCode = new Map(tags.map((t) => [t.code, t]));
  const moved = changed ? readersOf(tags, changed) : null;
  // Both sides are sets of any size, and the planner's estimate of a tag's rows comes from
  // member_tag's last analyze: right after a run that tagged 200k members, it still thought 1,
  // and compared each with each (a nested loop of 200k × 200k, minutes). Hashes only.
  await tx.execute('set local enable_nestloop = off');
  for (const code of refreshOrder(tags)) {
    if (moved && !moved.has(code)) continue;
    const tag = byCode.get(code)!;
    const { where, params } = compileFilter(tag.rule);
    await tx.execute(
      `with selected as materialized (select m.id from ${SEGMENT_FROM} where ${where}),
       tagged as (select member_id from member_tag where tag_id = ?),
       dropped as (
         delete from member_tag mt where mt.tag_id = ? and mt.member_id in (select member_id from tagged except select id from selected)
       )
       insert into member_tag (member_id, tag_id, tagged_at)
       select id, ?, now() from (select id from selected except select member_id from tagged) joined`,
      [...params, tag.id, tag.id, tag.id],
    );
  }
  await tx.execute('set local enable_nestloop = on');
}
