import type { EntityManager } from '@mikro-orm/postgresql';
import { pgArray } from '../../db/array-literal';
import type { ReferralStatus } from './referral.entity';
import { REJECTION } from './referrals.rules';

/**
 * The referrals module's SQL (issue 25). Cross-module reads: `member` (the referrer by its seq,
 * both sides' phone and email compared as one line and one mailbox: member_phones_match,
 * member_emails_match, migrations referral_phone_line and referral_same_mailbox; erased_at). None opens a transaction.
 */

/**
 * Whether two members share a phone or an email (`a`, `b`: member rows): emails as one mailbox
 * (member search's fold, a `+tag` sub-address left out: member_emails_match, migration
 * referral_same_mailbox), phones as one line written with or without its country code
 * (member_phones_match, migration referral_phone_line).
 */
export const SHARES_CONTACT = (a: string, b: string) => `(member_phones_match(${a}.phone, ${b}.phone)
  or member_emails_match(${a}.email, ${b}.email))`;

export interface LinkedReferral { id: string; referrerId: string; status: ReferralStatus; reason: string | null }

/**
 * The referral of a member just registered (its row written in `tx`) by the member whose seq
 * is `referrerSeq`: PENDING, or REJECTED at once when the referee shares the referrer's phone
 * or email. Null when no member has that seq, or that member was erased (its code went with
 * it: a new member is not tied to an erased one); nothing is written then.
 */
export async function insertReferral(tx: EntityManager, refereeId: string, referrerSeq: string, at: Date): Promise<LinkedReferral | null> {
  const [row] = await tx.execute<LinkedReferral[]>(
    `insert into referral (referrer_id, referee_id, status, reason, created_at, rejected_at)
     select r.id, e.id, case when c.reason is null then 'PENDING' else 'REJECTED' end, c.reason, t.at, case when c.reason is not null then t.at end
     from (select ?::timestamptz as at) t, member r join member e on e.id = ?
       cross join lateral (select case when ${SHARES_CONTACT('r', 'e')} then ? end as reason) c
     where r.seq = ?::bigint and r.id <> e.id and r.erased_at is null
     returning id, referrer_id as "referrerId", status, reason`,
    [at, refereeId, REJECTION.sameContact, referrerSeq],
  );
  return row ?? null;
}

/** Whether the member has a referral still PENDING (its next purchase may complete it and bring its welcome points). */
export async function hasPendingReferral(em: EntityManager, refereeId: string): Promise<boolean> {
  const rows = await em.execute<{ one: number }[]>(`select 1 as one from referral where referee_id = ? and status = 'PENDING'`, [refereeId]);
  return rows.length > 0;
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

// ---- the ledger's writes (points.service.ts runs them in the purchase's and the refund's transactions) ----

/** A completed referral's transactions, once the caller credited them (referral_complete left its ledger: `credit`). */
export async function linkReferralTransactions(tx: EntityManager, referralId: string, referrerTransactionId: string | null, refereeTransactionId: string | null): Promise<void> {
  await tx.execute('update referral set referrer_transaction_id = ?, referee_transaction_id = ? where id = ?', [referrerTransactionId, refereeTransactionId, referralId]);
}

/** A completed referral a refund may reverse, locked (FOR UPDATE; after its referee's account), with its sides' lots and when they activate. */
export interface ReversibleReferral {
  id: string; referrerId: string; referrerPoints: number; refereePoints: number;
  /** The purchase that completed it. */
  orderId: string;
  referrerLotId: string | null; refereeLotId: string | null;
  /** When its points stop being pending (its lots' activation; without lots, the completion plus the hold). */
  activatesAt: Date;
  /** When it was completed (its first purchase's recording). */
  completedAt: Date;
}

/**
 * Locks the referral (FOR UPDATE) when it is COMPLETED. Cross-module read: its sides' lots in
 * `point_lot` (the points module's: which lot each REFERRAL transaction wrote, when they activate)
 * and the hold in `program` (a referral whose lots are gone activates at completion + hold).
 */
export async function lockCompletedReferral(tx: EntityManager, referralId: string): Promise<ReversibleReferral | null> {
  return lockCompleted(tx, 'r.id = ?', referralId);
}

/** The referral the member completed as referee (a member is referred once), locked as lockCompletedReferral when it is COMPLETED. */
export async function lockCompletedReferralOfReferee(tx: EntityManager, refereeId: string): Promise<ReversibleReferral | null> {
  return lockCompleted(tx, 'r.referee_id = ?', refereeId);
}

async function lockCompleted(tx: EntityManager, which: string, param: string): Promise<ReversibleReferral | null> {
  const [row] = await tx.execute<(Omit<ReversibleReferral, 'activatesAt' | 'completedAt'> & { activatesAt: string; completedAt: string })[]>(
    `select r.id::text as id, r.referrer_id::text as "referrerId", r.order_id as "orderId", r.completed_at as "completedAt",
       r.referrer_points as "referrerPoints", r.referee_points as "refereePoints",
       (select l.id::text from point_lot l where l.transaction_id = r.referrer_transaction_id and l.points > 0 order by l.id limit 1) as "referrerLotId",
       (select l.id::text from point_lot l where l.transaction_id = r.referee_transaction_id and l.points > 0 order by l.id limit 1) as "refereeLotId",
       coalesce((select min(l.activates_at) from point_lot l where l.transaction_id in (r.referrer_transaction_id, r.referee_transaction_id)),
         r.completed_at + make_interval(days => (select referral_hold_days from program where id = 1))) as "activatesAt"
     from referral r where ${which} and r.status = 'COMPLETED' for update of r`,
    [param],
  );
  return row ? { ...row, activatesAt: new Date(row.activatesAt), completedAt: new Date(row.completedAt) } : null;
}

/** The REFERRAL points the order's completion of its member's referral gave that member (the referee), before any refund. */
export async function refereePointsOfOrder(em: EntityManager, memberId: string, orderId: string): Promise<number> {
  const [row] = await em.execute<{ points: number }[]>(
    `select coalesce(sum(referee_points), 0)::int as points from referral
     where referee_id = ? and order_id = ? and status in ('COMPLETED', 'REVERSED')`,
    [memberId, orderId],
  );
  return row.points;
}

/** A referral a full refund within its hold took back. */
export async function markReferralReversed(tx: EntityManager, referralId: string, at: Date, reason: string, unrecovered: number): Promise<void> {
  await tx.execute(`update referral set status = 'REVERSED', reversed_at = ?, reason = ?, unrecovered_points = ? where id = ?`, [at, reason, unrecovered, referralId]);
}
