import type { EntityManager } from '@mikro-orm/postgresql';
import { safeInteger } from '../../common/safe-integer';
import type { MemberSelection, SegmentFilter } from '../segments/segments.service';
import type { TagCategory, TagKind } from './tag.entities';
import type { RuleTagDef } from './tags.rules';

/**
 * The SQL of tags and member_tag, in one place. Every function takes the caller's
 * EntityManager (the transaction's, for writes); none opens a transaction: the service does.
 */

export interface TagRow { id: string; code: string; name: string; kind: TagKind; category: TagCategory }

/** A tag's definition as stored (what an audit entry's `before` shows). */
export interface TagDefinitionRow { code: string; name: string; kind: TagKind; category: TagCategory; rule: SegmentFilter | null }

export interface RuleTagRow extends RuleTagDef { id: string; rule: SegmentFilter }

export interface NewTagDefinition { code: string; name: string; kind: TagKind; category: TagCategory; rule: SegmentFilter | null }

/**
 * Lock: one tag definition at a time, for the rest of the transaction (advisory lock on
 * hashtext('tags.define')): two saves at once could each close half of a cycle. Taken before
 * lockTag.
 */
export async function lockTagDefinitions(tx: EntityManager): Promise<void> {
  await tx.execute(`select pg_advisory_xact_lock(hashtext('tags.define'))`);
}

/** Lock: the tag row with this code (`for update`); its definition, or null when there is none yet. */
export async function lockTag(tx: EntityManager, code: string): Promise<TagDefinitionRow | null> {
  const [row] = await tx.execute<TagDefinitionRow[]>('select code, name, kind, category, rule from tag where code = ? for update', [code]);
  return row ?? null;
}

export function listTags(em: EntityManager): Promise<TagRow[]> {
  return em.execute<TagRow[]>('select id, code, name, kind, category from tag order by code');
}

/** The rule of each tag (null for a MANUAL tag), by tag id. */
export async function rulesOfTags(em: EntityManager, ids: readonly string[]): Promise<{ id: string; rule: SegmentFilter | null }[]> {
  return em.execute<{ id: string; rule: SegmentFilter | null }[]>('select id, rule from tag where id in (?)', [ids as string[]]);
}

/** Creates the tag or replaces its definition (keyed by code). */
export async function saveTag(tx: EntityManager, def: NewTagDefinition): Promise<TagRow> {
  const [row] = await tx.execute<TagRow[]>(
    `insert into tag (id, code, name, kind, category, rule) values (gen_random_uuid(), ?, ?, ?, ?, ?::jsonb)
     on conflict (code) do update set name = excluded.name, kind = excluded.kind, category = excluded.category, rule = excluded.rule
     returning id, code, name, kind, category`,
    [def.code, def.name, def.kind, def.category, def.rule ? JSON.stringify(def.rule) : null],
  );
  return row;
}

/** The code of an existing tag that only the case tells from `code` (`vip_x` for `VIP_x`), or null. */
export async function otherCaseOf(em: EntityManager, code: string): Promise<string | null> {
  const [row] = await em.execute<{ code: string }[]>('select code from tag where lower(code) = lower(?) and code <> ? limit 1', [code, code]);
  return row?.code ?? null;
}

/** Creates a MANUAL, DESCRIPTIVE tag named after its code, unless the code exists. */
export async function ensureManualTag(tx: EntityManager, code: string): Promise<void> {
  await tx.execute(`insert into tag (id, code, name, kind, category) values (gen_random_uuid(), ?, ?, 'MANUAL', 'DESCRIPTIVE') on conflict (code) do nothing`, [code, code]);
}

/**
 * Lock (`for share`): the tag with this code, for a member's tagging. Its kind holds until the
 * tagging commits: a save that turns it into a RULE tag (`lockTag`, for update) waits, or is
 * waited for and then read, so a member never keeps a manual row of a tag that became a rule
 * (the rule's refresh would have run before the row arrived).
 */
export async function tagByCode(tx: EntityManager, code: string): Promise<{ id: string; kind: TagKind } | null> {
  const [row] = await tx.execute<{ id: string; kind: TagKind }[]>('select id, kind from tag where code = ? for share', [code]);
  return row ?? null;
}

/** How many members carry each tag (tags nobody carries are absent). */
export async function memberCountsByTag(em: EntityManager): Promise<{ id: string; n: number }[]> {
  const rows = await em.execute<{ id: string; n: string }[]>('select tag_id as id, count(*) as n from member_tag group by tag_id');
  return rows.map((r) => ({ id: r.id, n: safeInteger(r.n) }));
}


/** Every tag of the member removed (an erasure); the codes it had. */
export async function removeAllMemberTags(tx: EntityManager, memberId: string): Promise<string[]> {
  const rows = await tx.execute<{ code: string }[]>(
    `with gone as (delete from member_tag where member_id = ? returning tag_id) select t.code from gone join tag t on t.id = gone.tag_id order by t.code`,
    [memberId],
  );
  return rows.map((r) => r.code);
}

/** Tags the member; false when it already had the tag. */
export async function addMemberTag(tx: EntityManager, memberId: string, tagId: string): Promise<boolean> {
  const rows = await tx.execute('insert into member_tag (member_id, tag_id, tagged_at) values (?, ?, now()) on conflict do nothing returning 1', [memberId, tagId]);
  return rows.length > 0;
}

/** Untags the member; false when it did not have the tag. */
export async function removeMemberTag(tx: EntityManager, memberId: string, tagId: string): Promise<boolean> {
  const rows = await tx.execute('delete from member_tag where member_id = ? and tag_id = ? returning 1', [memberId, tagId]);
  return rows.length > 0;
}

/** The tags of a batch of members, by code, each row with its member. */
export function tagsOfMembers(em: EntityManager, memberIds: readonly string[]): Promise<(TagRow & { memberId: string })[]> {
  return em.execute<(TagRow & { memberId: string })[]>(
    `select mt.member_id as "memberId", t.id, t.code, t.name, t.kind, t.category from member_tag mt join tag t on t.id = mt.tag_id
     where mt.member_id in (?) order by t.code`,
    [memberIds as string[]],
  );
}

export function ruleTags(tx: EntityManager): Promise<RuleTagRow[]> {
  return tx.execute<RuleTagRow[]>(`select id, code, rule from tag where kind = 'RULE' and rule is not null`);
}

/**
 * Both sides of a rule tag's refresh are sets of any size, and the planner's estimate of a
 * tag's rows comes from member_tag's last analyze: right after a run that tagged 200k members,
 * it still thought 1, and compared each with each (a nested loop of 200k × 200k, minutes).
 * Hashes only, until allowNestedLoops (or the transaction's end).
 */
export async function forbidNestedLoops(tx: EntityManager): Promise<void> {
  await tx.execute('set local enable_nestloop = off');
}

export async function allowNestedLoops(tx: EntityManager): Promise<void> {
  await tx.execute('set local enable_nestloop = on');
}

/**
 * Makes the tag's members exactly those `selection` selects now (segments.service.ts
 * memberSelection): one statement that selects the members once and changes only the
 * difference (members who keep the tag keep their row and its taggedAt). The selection is the
 * segments module's query (its cross-module read of member, tier, member_retention,
 * point_account, member_tag / tag), set-based; this module writes only member_tag.
 */
export async function syncRuleTagMembers(tx: EntityManager, tagId: string, selection: MemberSelection, onlyMember?: string): Promise<void> {
  // `onlyMember`: the same for one member (a manual tag it got or lost, which a rule reads).
  const one = onlyMember == null ? [] : [onlyMember];
  await tx.execute(
    `with selected as materialized (${onlyMember == null ? selection.sql : `select id from (${selection.sql}) s where id = ?`}),
     tagged as (select member_id from member_tag where tag_id = ?${onlyMember == null ? '' : ' and member_id = ?'}),
     dropped as (
       delete from member_tag mt where mt.tag_id = ? and mt.member_id in (select member_id from tagged except select id from selected)
     )
     insert into member_tag (member_id, tag_id, tagged_at)
     select id, ?, now() from (select id from selected except select member_id from tagged) joined
     on conflict do nothing`,
    [...selection.params, ...one, tagId, ...one, tagId, tagId],
  );
}
