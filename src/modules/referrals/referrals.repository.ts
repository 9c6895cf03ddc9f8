import type { EntityManager } from '@mikro-orm/postgresql';
import { pgArray } from '../../db/array-literal';
import type { ReferralStatus } from './referral.entity';
import { REJECTION } from './referrals.rules';

/**
 * The referrals module's SQL (issue 25). Cross-module reads: `member` (the referrer by its seq,
 * both sides' phone and email compared as member search normalises them: member_phone_key,
 * member_search_fold, migration member_search; erased_at). None opens a transaction.
 */

/** Whether two members share a phone or an email, as member search compares them (`a`, `b`: member rows). */
export const SHARES_CONTACT = (a: string, b: string) => `(member_phone_key(${a}.phone) = member_phone_key(${b}.phone)
  or member_search_fold(${a}.email) = member_search_fold(${b}.email))`;

export interface LinkedReferral { id: string; referrerId: string; status: ReferralStatus; reason: string | null }

/**
 * The referral of a member just registered (its row written in `tx`) by the member whose seq
 * is `referrerSeq`: PENDING, or REJECTED at once when the referee shares the referrer's phone
 * or email. Null when no member has that seq, or that member was erased (its code went with
 * it: a new member is not tied to an erased one); nothing is written then.
 */
export async function insertReferral(tx: EntityManager, refereeId: string, referrerSeq: string, at: Date): Promise<LinkedReferral | null> {
  const [row] = await tx.execute<LinkedReferral[]>(
    `insert into referral (referrer_id, referee_id, status, reason, created_at)
     select r.id, e.id, case when c.reason is null then 'PENDING' else 'REJECTED' end, c.reason, ?
     from member r join member e on e.id = ?
       cross join lateral (select case when ${SHARES_CONTACT('r', 'e')} then ? end as reason) c
     where r.seq = ?::bigint and r.id <> e.id and r.erased_at is null
     returning id, referrer_id as "referrerId", status, reason`,
    [at, refereeId, REJECTION.sameContact, referrerSeq],
  );
  return row ?? null;
}

/** The seq of the member who referred `refereeId`, or null (no referral). */
export async function referrerSeqOf(em: EntityManager, refereeId: string): Promise<string | null> {
  const [row] = await em.execute<{ seq: string }[]>(
    'select m.seq::text as seq from referral r join member m on m.id = r.referrer_id where r.referee_id = ?', [refereeId]);
  return row?.seq ?? null;
}

/** The seq of each member of `ids` (its referral code's source). */
export async function seqsOf(em: EntityManager, ids: readonly string[]): Promise<Map<string, string>> {
  const rows = await em.execute<{ id: string; seq: string }[]>('select id, seq::text as seq from member where id = any(?::uuid[])', [pgArray(ids)]);
  return new Map(rows.map((r) => [r.id, r.seq]));
}
