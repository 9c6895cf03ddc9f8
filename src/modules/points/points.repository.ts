import type { EntityManager } from '@mikro-orm/postgresql';
import type { Lot, LotTake } from './points.rules';
import type { PointTransactionType } from './points.entities';
import { minusMonths } from '../../db/months';

/**
 * The ledger's SQL, in one place. Every function takes the transaction's EntityManager;
 * none opens a transaction of its own: the service does.
 */

export interface AccountRow {
  balance: number;
  lifetimeEarned: number;
}

export interface TransactionRow {
  id: string;
  memberId: string;
  type: PointTransactionType;
  amount: number;
  balanceAfter: number;
  occurredAt: Date;
  expiresAt: Date | null;
  reason: string | null;
  reference: string | null;
  unrecovered: number;
}

/** The raw driver returns timestamps as text; rows leave this module with real Dates. */
export function withDates<T>(row: T, keys: (keyof T)[]): T {
  for (const k of keys) {
    const v = row[k] as unknown;
    if (v != null && !(v instanceof Date)) (row as Record<keyof T, unknown>)[k] = new Date(v as string);
  }
  return row;
}
const txnDates = <T extends TransactionRow>(r: T): T => withDates(r, ['occurredAt', 'expiresAt']);

const TXN_COLUMNS = `id::text, member_id as "memberId", type, amount, balance_after as "balanceAfter", occurred_at as "occurredAt",
  expires_at as "expiresAt", reason, reference, unrecovered`;

/**
 * Locks the member's account row and member row: every write for one member passes through
 * here first. The member row is what a tier review locks (it reviews in the member table's
 * order): a write that may add qualifying points, or earn at the member's tier, never
 * interleaves with the review of that member. Account first, then member, always.
 */
export async function lockAccount(tx: EntityManager, memberId: string): Promise<AccountRow | null> {
  const rows = await tx.execute(
    `select a.balance, a.lifetime_earned as "lifetimeEarned" from point_account a join member m on m.id = a.member_id
     where a.member_id = ? for update of a for no key update of m`,
    [memberId],
  );
  return (rows[0] as AccountRow | undefined) ?? null;
}

export async function openAccount(tx: EntityManager, memberId: string): Promise<void> {
  await tx.execute('insert into point_account (member_id, updated_at) values (?, now()) on conflict do nothing', [memberId]);
}

/**
 * A lot counts (towards the balance, for spending, for giving back) while it is live: its
 * expiry is after the account's expiry watermark. `l` is the lot, `a` its point_account row.
 */
export const LIVE_LOT = `coalesce(l.expires_at, 'infinity') > coalesce(a.expired_through, '-infinity')`;

/** Saves the account; returns its expiry watermark (an earn below it expires on arrival). */
export async function saveAccount(tx: EntityManager, memberId: string, balance: number, earnedDelta: number): Promise<{ expiredThrough: Date | null }> {
  const rows = await tx.execute(
    `update point_account set balance = ?, lifetime_earned = lifetime_earned + ?, updated_at = now() where member_id = ?
     returning expired_through as "expiredThrough"`,
    [balance, earnedDelta, memberId],
  );
  return withDates(rows[0] as { expiredThrough: Date | null }, ['expiredThrough']);
}

export interface NewTransaction {
  memberId: string;
  type: PointTransactionType;
  amount: number;
  balanceAfter: number;
  occurredAt: Date;
  expiresAt?: Date | null;
  reason?: string | null;
  reference?: string | null;
  idempotencyKey?: string | null;
  unrecovered?: number;
}

export async function insertTransaction(tx: EntityManager, t: NewTransaction): Promise<TransactionRow> {
  const rows = await tx.execute(
    `insert into point_transaction (member_id, type, amount, balance_after, occurred_at, expires_at, reason, reference,
       idempotency_key, unrecovered, created_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()) returning ${TXN_COLUMNS}`,
    [t.memberId, t.type, t.amount, t.balanceAfter, t.occurredAt, t.expiresAt ?? null, t.reason ?? null,
      t.reference ?? null, t.idempotencyKey ?? null, t.unrecovered ?? 0],
  );
  return txnDates(rows[0] as TransactionRow);
}

export async function findTransaction(em: EntityManager, id: string | null): Promise<TransactionRow | null> {
  if (id == null) return null;
  const rows = await em.execute(`select ${TXN_COLUMNS} from point_transaction where id = ?`, [id]);
  return rows[0] ? txnDates(rows[0] as TransactionRow) : null;
}

export async function findTransactionByKey(em: EntityManager, key: string): Promise<(TransactionRow & { idempotencyKey: string }) | null> {
  const rows = await em.execute(`select ${TXN_COLUMNS}, idempotency_key as "idempotencyKey" from point_transaction where idempotency_key = ?`, [key]);
  return rows[0] ? txnDates(rows[0] as TransactionRow & { idempotencyKey: string }) : null;
}

export interface NewLot {
  memberId: string;
  transactionId: string;
  points: number;
  remaining: number;
  earnedAt: Date;
  activatesAt: Date;
  expiresAt: Date | null;
  orderId?: string | null;
}

export async function insertLot(tx: EntityManager, lot: NewLot): Promise<string> {
  const rows = await tx.execute(
    // late: already expired as it is written (by the database's clock, which the expiry run's
    // floor is measured by).
    `insert into point_lot (member_id, transaction_id, points, remaining, earned_at, activates_at, expires_at, order_id, late)
     values (?, ?, ?, ?, ?, ?, ?::timestamptz, ?, coalesce(?::timestamptz <= now(), false)) returning id::text`,
    [lot.memberId, lot.transactionId, lot.points, lot.remaining, lot.earnedAt, lot.activatesAt, lot.expiresAt, lot.orderId ?? null, lot.expiresAt],
  );
  return (rows[0] as { id: string }).id;
}

export interface OpenLot extends Lot {
  activatesAt: Date;
  orderId: string | null;
  transactionId: string;
}

/** Live lots with something left (or owed, for a debt lot), for one member. */
export async function openLots(tx: EntityManager, memberId: string): Promise<OpenLot[]> {
  const rows = await tx.execute(
    `select l.id::text, l.remaining, l.expires_at as "expiresAt", l.earned_at as "earnedAt", l.activates_at as "activatesAt", l.order_id as "orderId",
       l.transaction_id::text as "transactionId"
     from point_account a join point_lot l on l.member_id = a.member_id and l.remaining <> 0 and ${LIVE_LOT}
     where a.member_id = ?`,
    [memberId],
  );
  return (rows as OpenLot[]).map((l) => withDates(l, ['expiresAt', 'earnedAt', 'activatesAt']));
}

/**
 * Lots an expiry run has expired (below the account's watermark) that were still spendable at
 * `at` (expiring after it) and kept points: a refund dated `at` takes from them as it would have
 * before the run, without touching the balance (the run has taken those points off already).
 */
export async function lotsExpiredSince(tx: EntityManager, memberId: string, at: Date): Promise<OpenLot[]> {
  const rows = await tx.execute(
    `select l.id::text, l.remaining, l.expires_at as "expiresAt", l.earned_at as "earnedAt", l.activates_at as "activatesAt", l.order_id as "orderId",
       l.transaction_id::text as "transactionId"
     from point_account a join point_lot l on l.member_id = a.member_id and l.remaining > 0 and l.expires_at > ?::timestamptz and not ${LIVE_LOT}
     where a.member_id = ?`,
    [at, memberId],
  );
  return (rows as OpenLot[]).map((l) => withDates(l, ['expiresAt', 'earnedAt', 'activatesAt']));
}

/** Applies lot takes (positive amounts are taken away) and records them against the transaction. */
export async function applyTakes(tx: EntityManager, memberId: string, transactionId: string, takes: LotTake[]): Promise<void> {
  const real = takes.filter((t) => t.amount !== 0);
  if (!real.length) return;
  const values = real.map(() => '(?::bigint, ?::int)').join(', ');
  const params = real.flatMap((t) => [t.lotId, t.amount]);
  await tx.execute(
    `update point_lot l set remaining = l.remaining - v.amount from (values ${values}) as v(id, amount) where l.id = v.id`,
    params,
  );
  await tx.execute(
    `insert into point_allocation (member_id, transaction_id, lot_id, amount) select ?, ?, v.id, v.amount from (values ${values}) as v(id, amount)`,
    [memberId, transactionId, ...params],
  );
}

/**
 * Adds qualifying points (negative for a refund) and moves the member's window counters with
 * them (see TierEngine, "window counters"): in the window that ends at the member's tier expiry
 * (if they count by then), or after that expiry. `countsFrom` (a refund's instant; default
 * occurredAt) is when they start to count: a refund's reversal is dated at its purchase and
 * counts from the refund on. `last_qualifying_at` is the latest instant any entry counts from.
 * The caller holds the member row (lockAccount).
 */
export async function addQualifying(tx: EntityManager, memberId: string, occurredAt: Date, points: number, source: string, countsFrom: Date | null = null): Promise<void> {
  if (points === 0) return;
  await tx.execute(
    `with v as (select ?::timestamptz as occ, ?::int as pts, ?::timestamptz as cf),
     entry as (insert into qualifying_entry (member_id, occurred_at, points, source, counts_from) select ?, occ, pts, ?, cf from v)
     update member m set
       window_points = m.window_points + case when v.occ <= m.tier_expires_at and coalesce(v.cf, v.occ) <= m.tier_expires_at
         and v.occ > ${minusMonths('m.tier_expires_at', 'm.window_points_months')} then v.pts else 0 end,
       points_after_expiry = m.points_after_expiry + case when v.occ > m.tier_expires_at then v.pts else 0 end,
       last_qualifying_at = greatest(m.last_qualifying_at, coalesce(v.cf, v.occ))
     from v where m.id = ?`,
    [occurredAt, points, countsFrom, memberId, source, memberId],
  );
}

export interface ProgramSettings {
  pointsPerUnit: number;
  pointsExpiryMonths: number | null;
  pointsPendingDays: number;
  allowNegativeBalance: boolean;
}

export async function programSettings(em: EntityManager): Promise<ProgramSettings> {
  const rows = await em.execute(
    `select points_per_unit::float8 as "pointsPerUnit", points_expiry_months as "pointsExpiryMonths",
       points_pending_days as "pointsPendingDays", allow_negative_balance as "allowNegativeBalance" from program where id = 1`,
  );
  return rows[0] as ProgramSettings;
}
