import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { keyset, keysetByKey, type KeyPosition } from '../../common/pagination';
import { Tier } from '../tiers/tier.entity';
import { Member } from './member.entity';
import type { SearchTerms } from './members.rules';

/**
 * The members module's queries: registration's and profile updates' reads, the member list,
 * and searchMembers' SQL. Every function takes the caller's EntityManager (the transaction's,
 * for writes); none opens a transaction: the service does.
 *
 * searchMembers' SQL. Every search reads an index (migration member_search): an exact look-up
 * is one bitmap OR of at most four index probes (primary key, external_id, the folded email,
 * the phone's key); a name prefix is one range of (folded display_name collate "C", seq), read
 * in that order, so a page costs its own rows whatever the prefix matches. "C" makes LIKE's
 * prefix a range of the index and the order byte order on any database, whatever its default
 * collation. Case and phone rules live in SQL (member_search_fold, member_phone_key), applied
 * to the stored value and to the text alike.
 */

export type MemberRow = Record<string, unknown> & { seq: string };

/**
 * The entry tier (rank 0) that registration puts a member on. Cross-module read: the tiers
 * module's `tier` table (its entity, by rank), in the registration's transaction.
 */
export function entryTier(tx: EntityManager): Promise<Tier | null> {
  return tx.findOne(Tier, { rank: 0 });
}

/**
 * Lock: the member row (`for update`, stronger than the `for no key update` that points'
 * lockAccount takes on it), for a profile update; null when there is no such member.
 */
export function lockMember(tx: EntityManager, memberId: string): Promise<Member | null> {
  return tx.findOne(Member, { id: memberId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
}

/**
 * A member the lists and look-ups show: not erased (eraseMember). An erased member is left out
 * of `members`, `searchMembers` and `memberByExternalId`; `member(id)` shows it to admins.
 */
const LISTED = 'm.erased_at is null';

/** Members in registration order after seq `after` (through the ORM's connection, as the list has always read). */
export function registrationPage(em: EntityManager, after: string | null, limit: number): Promise<MemberRow[]> {
  const keys = keyset('m.seq', 'asc', after);
  return em.getConnection().execute<MemberRow[]>(`select m.* from member m where ${LISTED} and ${keys.where} ${keys.orderBy} limit ?`, [...keys.params, limit]);
}

export async function memberCount(em: EntityManager): Promise<number> {
  const [{ n }] = await em.getConnection().execute<{ n: number }[]>(`select count(*)::int as n from member m where ${LISTED}`);
  return n;
}

/** The sort key of a name search, as the index has it. */
const NAME_KEY = 'member_search_fold(m.display_name) collate "C"';

/** The condition of an exact search: only the look-ups the text can match (an arm that cannot match would still cost a probe). */
function exactMatch(t: SearchTerms): { sql: string; params: unknown[] } {
  const arms: [sql: string, param: string][] = [];
  if (t.id) arms.push(['m.id = ?::uuid', t.id]);
  arms.push(['m.external_id = ?', t.text]);
  if (t.email) arms.push(['member_search_fold(m.email) = member_search_fold(?)', t.text]);
  if (t.phone) arms.push(['member_phone_key(m.phone) = member_phone_key(?)', t.text]);
  return { sql: `(${arms.map(([sql]) => sql).join(' or ')}) and ${LISTED}`, params: arms.map(([, param]) => param) };
}

/** Members the text names exactly, in registration order after seq `after`. */
export function exactPage(em: EntityManager, t: SearchTerms, after: string | null, limit: number): Promise<MemberRow[]> {
  const match = exactMatch(t);
  const keys = keyset('m.seq', 'asc', after);
  return em.execute<MemberRow[]>(`select m.* from member m where ${match.sql} and ${keys.where} ${keys.orderBy} limit ?`,
    [...match.params, ...keys.params, limit]);
}

export async function exactCount(em: EntityManager, t: SearchTerms): Promise<number> {
  const match = exactMatch(t);
  const [{ n }] = await em.execute<{ n: number }[]>(`select count(*)::int as n from member m where ${match.sql}`, match.params);
  return n;
}

/** Members whose display name starts with the prefix (any case), in (folded name, seq) order after `after`; each row with its `search_key`. */
export function namePage(em: EntityManager, t: SearchTerms, after: KeyPosition | null, limit: number): Promise<(MemberRow & { search_key: string })[]> {
  const keys = keysetByKey(NAME_KEY, 'm.seq', after);
  return em.execute<(MemberRow & { search_key: string })[]>(`select m.*, ${NAME_KEY} as search_key from member m
    where ${NAME_KEY} like member_search_fold(?) and ${LISTED} and ${keys.where} ${keys.orderBy} limit ?`,
  [t.namePrefix, ...keys.params, limit]);
}

/** How many display names start with the prefix: an index-only count of its range (bigint: exact past 2^31). */
export async function nameCount(em: EntityManager, t: SearchTerms): Promise<number> {
  const [{ n }] = await em.execute<{ n: string }[]>(`select count(*) as n from member m where ${NAME_KEY} like member_search_fold(?)`, [t.namePrefix]);
  return Number(n);
}

/** Whether a member with this id exists, erased or not (an empty tier feed of an unknown member is NOT_FOUND). */
export async function memberExists(em: EntityManager, memberId: string): Promise<boolean> {
  const [row] = await em.execute<{ exists: boolean }[]>('select exists (select 1 from member where id = ?::uuid) as "exists"', [memberId]);
  return row.exists;
}

/**
 * Whether the member exists and was not erased, its row locked FOR KEY SHARE for the rest of
 * `tx` (db/locks.ts): an erasure (FOR UPDATE) and a tag of the same member come one after the
 * other, so that no tag is left on an erased member; points writes (FOR NO KEY UPDATE) do not
 * wait for it.
 */
export async function keyShareLiveMember(tx: EntityManager, memberId: string): Promise<boolean> {
  return (await tx.execute('select 1 from member where id = ? and erased_at is null for key share', [memberId])).length > 0;
}
