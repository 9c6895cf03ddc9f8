import type { EntityManager } from '@mikro-orm/postgresql';
import { keptShortBy, reversalDebt, reversalOutstanding, reversalTakes, type Lot, type LotTake } from './points.rules';
import type { PointTransactionType } from './points.entities';
import { keyset } from '../../common/pagination';
import { pgArray, pgTextArray, prepared, preparedWhileRoom } from '../../db/entity-manager';
import { lockActivityRule as lockActivityRuleRow, type LockedAccount } from '../../db/locks';
import { minusMonths, plusMonths } from '../../db/months';
import { debtTakesExpiring } from '../../db/lot-debt';
import { withDates } from '../../db/rows';
import type { TierChangeRow } from '../tiers/tier-engine.service';

/**
 * The ledger's SQL, in one place. Every function takes the transaction's EntityManager;
 * none opens a transaction of its own: the service does.
 */

/** The account row a write holds (db/locks.ts lockAccount). */
export type AccountRow = LockedAccount;

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

/** A transaction row as read (dates parsed); `unrecovered` 0 where a statement's JSON left it out (an EARN has none). */
const txnDates = <T extends TransactionRow>(r: T): T => ({ ...withDates(r, ['occurredAt', 'expiresAt']), unrecovered: r.unrecovered ?? 0 });

const TXN_COLUMNS = `id::text, member_id as "memberId", type, amount, balance_after as "balanceAfter", occurred_at as "occurredAt",
  expires_at as "expiresAt", reason, reference, unrecovered`;

export async function openAccount(tx: EntityManager, memberId: string): Promise<void> {
  await tx.execute('insert into point_account (member_id, updated_at) values (?, now()) on conflict do nothing', [memberId]);
}

/**
 * A lot counts (towards the balance, for spending, for giving back) while it is live: its
 * expiry is after the account's expiry watermark. `l` is the lot, `a` its point_account row.
 */
export const LIVE_LOT = `coalesce(l.expires_at, 'infinity') > coalesce(a.expired_through, '-infinity')`;

/** Whether member `member` (SQL) has a redemption cancelled at or after `at` (SQL): redemption_member_cancelled_index. Cross-module read: redemption. */
const cancelledAfter = (member: string, at: string) =>
  `exists (select 1 from redemption y where y.member_id = ${member} and y.status = 'CANCELLED' and y.cancelled_at >= ${at})`;

/**
 * Whether member `member` (SQL) may have a debit a write dated `?` re-plans: a REDEEM or an
 * ADJUST at or below 0 dated at or after it (`?`), other than transaction `?` when `except` (one
 * probe of point_transaction_member_debit_index), or a redemption cancelled at or after it
 * (redemption_member_cancelled_index: its points came back after the write's instant). More
 * than debitsFrom finds (a re-rating's ADJUST): debitsFrom tells.
 */
const mayHaveDebitsFrom = (member: string, except: boolean) => `exists (select 1 from (select ?::timestamptz as f) p
  where exists (select 1 from point_transaction t where t.member_id = ${member}
    and t.type in ('REDEEM', 'ADJUST') and t.amount <= 0 and t.occurred_at >= p.f${except ? ' and t.id <> ?::bigint' : ''})
  or ${cancelledAfter(member, 'p.f')})`;

/**
 * Whether member `member` (SQL) has a refund or award reversal that fell short (unrecovered)
 * dated at or after `?`: a lot written spendable then may pay it (PointsService.replan). One
 * probe of point_transaction_member_short_refund_index.
 */
/** Whether member `member` (SQL) has a refund with a reversal dated at or after `?` (refund_member_index): a debit dated before it re-plans with it. */
const hasRefundsFrom = (member: string) => `exists (select 1 from refund r where r.member_id = ${member} and r.occurred_at >= ?::timestamptz
  and r.transaction_id is not null)`;

export const mayHaveShortRefundsFrom = (member: string) => `exists (select 1 from point_transaction t where t.member_id = ${member}
  and t.type = 'REFUND_REVERSAL' and t.unrecovered > 0 and t.occurred_at >= ?::timestamptz)`;

/**
 * Saves the account; returns its expiry watermark (an earn below it expires on arrival) and,
 * with `debits`, whether the member may have debits dated at or after `debits.from` (other than
 * `debits.except`) that the write re-plans, or with `shortRefunds` refunds that fell short dated
 * then (in the same statement).
 */
export async function saveAccount(
  tx: EntityManager, memberId: string, balance: number, earnedDelta: number, debits?: { from: Date; except?: string; shortRefunds?: boolean; refunds?: boolean },
): Promise<{ expiredThrough: Date | null; debitsAfter: boolean }> {
  const after = debits
    ? `(${mayHaveDebitsFrom('point_account.member_id', debits.except != null)}${debits.shortRefunds ? ` or ${mayHaveShortRefundsFrom('point_account.member_id')}` : ''}${
      debits.refunds ? ` or ${hasRefundsFrom('point_account.member_id')}` : ''})`
    : 'false';
  const rows = await tx.execute(
    `update point_account set balance = ?, lifetime_earned = lifetime_earned + ?, updated_at = now() where member_id = ?
     returning expired_through as "expiredThrough", ${after} as "debitsAfter"`,
    [balance, earnedDelta, memberId, ...(debits
      ? [debits.from, ...(debits.except != null ? [debits.except] : []), ...(debits.shortRefunds ? [debits.from] : []), ...(debits.refunds ? [debits.from] : [])]
      : [])],
  );
  return withDates(rows[0] as { expiredThrough: Date | null; debitsAfter: boolean }, ['expiredThrough']);
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

/** The transaction written under `key`; `memberErased`: its member was erased since. */
export async function findTransactionByKey(em: EntityManager, key: string): Promise<(TransactionRow & { idempotencyKey: string; memberErased: boolean }) | null> {
  const rows = await em.execute(`select ${TXN_COLUMNS}, idempotency_key as "idempotencyKey",
       exists (select 1 from member m where m.id = point_transaction.member_id and m.erased_at is not null) as "memberErased"
     from point_transaction where idempotency_key = ?`, [key]);
  return rows[0] ? txnDates(rows[0] as TransactionRow & { idempotencyKey: string; memberErased: boolean }) : null;
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

/** A lot's columns as OpenLot has them. */
const OPEN_LOT = `l.id::text, l.remaining, l.expires_at as "expiresAt", l.earned_at as "earnedAt", l.activates_at as "activatesAt", l.order_id as "orderId",
       l.transaction_id::text as "transactionId"`;

/** Live lots with something left (or owed, for a debt lot), for one member. */
export async function openLots(tx: EntityManager, memberId: string): Promise<OpenLot[]> {
  const rows = await tx.execute(
    `select ${OPEN_LOT}
     from point_account a join point_lot l on l.member_id = a.member_id and l.remaining <> 0 and ${LIVE_LOT}
     where a.member_id = ?`,
    [memberId],
  );
  return (rows as OpenLot[]).map((l) => withDates(l, ['expiresAt', 'earnedAt', 'activatesAt']));
}

/**
 * What a debit or a refund dated `at` takes from, in one statement: the open lots (openLots)
 * and, apart, the lots an expiry run has expired (below the account's watermark) that were
 * still spendable at `at` (expiring after it) and kept points. A debit or refund dated `at`
 * takes from those as it would have before the run, without touching the balance (the run has
 * taken those points off already). Both are in point_lot_member_open_index (remaining <> 0).
 */
export async function lotsAt(tx: EntityManager, memberId: string, at: Date): Promise<{ open: OpenLot[]; expiredSince: OpenLot[] }> {
  const rows = await tx.execute<(OpenLot & { expired: boolean })[]>(
    `select ${OPEN_LOT}, not ${LIVE_LOT} as expired
     from point_account a join point_lot l on l.member_id = a.member_id and l.remaining <> 0
       and (${LIVE_LOT} or (l.remaining > 0 and l.expires_at > ?::timestamptz))
     where a.member_id = ?`,
    [at, memberId],
  );
  const lots = rows.map(({ expired, ...l }) => ({ lot: withDates(l, ['expiresAt', 'earnedAt', 'activatesAt']), expired }));
  return { open: lots.filter((x) => !x.expired).map((x) => x.lot), expiredSince: lots.filter((x) => x.expired).map((x) => x.lot) };
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
 * The debits a backdated write re-plans (PointsService.debit's: a redemption, a negative
 * adjustment), on point_transaction `t`: point_transaction_member_debit_index holds them
 * (REDEEM and ADJUST at or below 0: the negative adjustments a re-rating writes too, which have no
 * `adjust:` key and are left out here).
 */
const replannedDebit = (t: string) => `${t}.type in ('REDEEM', 'ADJUST') and ${t}.amount <= 0 and (${t}.type = 'REDEEM' or ${t}.idempotency_key like 'adjust:%')`;

/**
 * A cancelled redemption's cancellation, as a re-plan takes it again: its instant (the
 * redemption's cancelledAt), its REDEMPTION_CANCEL (keyed `redeem-cancel:<redemption>`; none
 * when nothing went back; then its latest correction, which records what moves without changing
 * the total), its reference (the coupon) and what it gave back (negative takes, net
 * per lot over that transaction and the corrections keyed cancelReplanKey(…, the debit) since);
 * `expiredBy`: the instant a lot had to outlast for points to go back to it, as returnableTakes
 * judged it (the later of the cancellation's instant and the database's clock when it was
 * written: the same instant, but for a cancellation dated in the past, which only tests make).
 */
export interface CancelTakes { id: string | null; at: Date; expiredBy: Date; reference: string; takes: LotTake[] }

/**
 * A debit to re-plan and its takes (net per lot, as its allocations add up); `cancel`: a
 * cancelled redemption's cancellation; `before`: dated before the re-plan (a cancelled one whose
 * cancellation is not): it keeps its takes, and only its cancellation is planned.
 */
export interface DebitTakes { id: string; at: Date; takes: LotTake[]; cancel: CancelTakes | null; before: boolean }

/** Net takes per lot of the allocations of the transactions `ids` (SQL) as a JSON array. */
const netTakesOf = (ids: string) => `(select json_agg(json_build_object('lotId', x.lot_id::text, 'amount', x.amount) order by x.lot_id)
  from (select al.lot_id, sum(al.amount)::int as amount from point_allocation al where al.transaction_id in (${ids})
        group by al.lot_id having sum(al.amount) <> 0) x)`;

/** Whether the member has a redemption cancelled at or after `from` (redemption_member_cancelled_index). Cross-module read: redemption. */
export async function cancelledFrom(tx: EntityManager, memberId: string, from: Date): Promise<boolean> {
  const [row] = await tx.execute<{ found: boolean }[]>(
    `select ${cancelledAfter('?::uuid', '?::timestamptz')} as found`, [memberId, from]);
  return row.found;
}

/**
 * The member's debits dated at or after `from` (replannedDebit), and its cancelled redemptions
 * dated before it whose cancellation is not, in date order then id, with their takes and a
 * cancelled redemption's cancellation with what it gave back: one statement,
 * point_transaction_member_debit_index and the redemptions by member, the cancellation by its
 * key, its corrections through point_transaction_cancel_replan_index, the allocations by
 * transaction. None in the usual case (a credit dated now). Cross-module read: redemption.
 */
export async function debitsFrom(tx: EntityManager, memberId: string, from: Date): Promise<DebitTakes[]> {
  const rows = await tx.execute<{
    id: string; at: Date; takes: LotTake[] | null; cancelId: string | null; cancelAt: Date | null; expiredBy: Date | null; cancelReference: string | null;
    cancelTakes: LotTake[] | null; before: boolean;
  }[]>(
    `select t.id::text, t.occurred_at as at, ${netTakesOf('t.id')} as takes, t.occurred_at < ? as before,
       r.cancelled_at as "cancelAt", r.coupon_code as "cancelReference",
       coalesce(g.id, (select max(k.id) from point_transaction k where k.member_id = t.member_id and k.type = 'REDEMPTION_CANCEL'
         and k.idempotency_key like 'cancel-replan:%' and split_part(k.idempotency_key, ':', 3) = t.id::text))::text as "cancelId",
       greatest(r.cancelled_at, g.created_at) as "expiredBy",
       case when r.id is not null then ${netTakesOf(`select g.id where g.id is not null
         union all select k.id from point_transaction k where k.member_id = t.member_id and k.type = 'REDEMPTION_CANCEL'
           and k.idempotency_key like 'cancel-replan:%' and split_part(k.idempotency_key, ':', 3) = t.id::text`)} end as "cancelTakes"
     from point_transaction t
     left join redemption r on r.member_id = t.member_id and r.transaction_id = t.id and r.status = 'CANCELLED'
     left join point_transaction g on g.idempotency_key = 'redeem-cancel:' || r.id::text
     where t.member_id = ? and t.id in (
       select x.id from point_transaction x where x.member_id = ? and x.occurred_at >= ? and ${replannedDebit('x')}
       union
       select y.transaction_id from redemption y where y.member_id = ? and y.status = 'CANCELLED' and y.cancelled_at >= ? and y.transaction_id is not null)
     order by t.occurred_at, t.id`,
    [from, memberId, memberId, from, memberId, from],
  );
  return rows.map((r) => ({
    id: r.id, at: new Date(r.at), takes: r.takes ?? [], before: r.before,
    cancel: r.cancelAt ? { id: r.cancelId, at: new Date(r.cancelAt), expiredBy: new Date(r.expiredBy!), reference: r.cancelReference!, takes: r.cancelTakes ?? [] } : null,
  }));
}

/**
 * A refund's own reversal a re-plan takes again (PointsService.replan): its transaction, its
 * order's lot, its takes (net per lot over the reversal and the recoveries keyed to it since),
 * what it still lacks (reversalOutstanding) and whether it left a debt (a lot below 0: the
 * programme allowed a negative balance then).
 */
export interface RefundTakes { id: string; refundId: string; orderId: string; at: Date; ownLotId: string | null; takes: LotTake[]; outstanding: number; debt: boolean }

/**
 * The member's refunds dated at or after `from` (their own reversals, the refund rows'
 * transactions; not a campaign's or a referral's), in date order then id, with their takes:
 * the member's refunds through refund_member_index, each one's allocations and its
 * recoveries' through their indexes. None in the usual case.
 */
export async function refundsFrom(tx: EntityManager, memberId: string, from: Date): Promise<RefundTakes[]> {
  const rows = await tx.execute<(Omit<RefundTakes, 'takes'> & { takes: LotTake[] | null })[]>(
    `select t.id::text, r.refund_id as "refundId", r.order_id as "orderId", t.occurred_at as at, p.lot_id::text as "ownLotId",
       (${reversalOutstanding('t')})::int as outstanding, ${reversalDebt('t')} as debt, ${reversalTakes('t')} as takes
     from refund r
       join point_transaction t on t.id = r.transaction_id
       join purchase p on p.order_id = r.order_id
     where r.member_id = ? and r.occurred_at >= ? and t.type = 'REFUND_REVERSAL'
     order by t.occurred_at, t.id`,
    [memberId, from],
  );
  return rows.map((r) => ({ ...r, at: new Date(r.at), takes: r.takes ?? [] }));
}

/** A lot as a re-plan reads it: `live` (above the account's watermark) or expired (what it holds is what expired). */
export interface PlanLotRow extends OpenLot { live: boolean }

/**
 * The member's lots a re-plan from `from` to `until` may take from: those holding points that are
 * spendable at some instant in [from, until] (expired ones too: a debit dated before an expiry
 * run takes from them as it would have), and the lots `taken` (what the re-planned debits hold).
 * Debts (lots below 0) are not spent.
 */
export async function lotsForPlan(tx: EntityManager, memberId: string, from: Date, until: Date, taken: string[]): Promise<PlanLotRow[]> {
  const rows = await tx.execute<PlanLotRow[]>(
    `select ${OPEN_LOT}, ${LIVE_LOT} as live
     from point_account a join point_lot l on l.member_id = a.member_id
     where a.member_id = ? and l.remaining >= 0
       and ((l.remaining > 0 and l.activates_at <= ? and coalesce(l.expires_at, 'infinity') > ?) or l.id = any(?::bigint[]))`,
    [memberId, until, from, pgArray(taken)],
  );
  return rows.map((l) => withDates(l, ['expiresAt', 'earnedAt', 'activatesAt']));
}

/**
 * A re-plan's changed takes, in one statement: each row an allocation of its debit's transaction
 * (positive = taken, negative = given back) and the lots' remainders moved by their sum. A live
 * lot given points back after its expiry instant is marked late, so that the next expiry run
 * finds it (the run searches by date above the programme's floor).
 */
export async function applyReplan(tx: EntityManager, memberId: string, rows: { transactionId: string; lotId: string; amount: number }[]): Promise<void> {
  if (!rows.length) return;
  const values = rows.map(() => '(?::bigint, ?::bigint, ?::int)').join(', ');
  await tx.execute(
    `with v(txn, lot, amount) as (values ${values}),
     moved as (
       update point_lot l set remaining = l.remaining - s.amount, late = l.late or (s.amount < 0 and coalesce(l.expires_at <= now(), false))
       from (select lot, sum(amount) as amount from v group by lot) s where l.id = s.lot and s.amount <> 0
     )
     insert into point_allocation (member_id, transaction_id, lot_id, amount) select ?, v.txn, v.lot, v.amount from v`,
    [...rows.flatMap((r) => [r.transactionId, r.lotId, r.amount]), memberId],
  );
}

/**
 * Adds qualifying points (negative for a refund) and moves the member's window counters with
 * them (see TierEngine, "window counters"): in the window that ends at the member's tier expiry
 * (if they count by then), or after that expiry. `countsFrom` (default occurredAt) is when they
 * start to count: a refund's reversal is dated at its purchase and counts from the millisecond
 * after the refund (reversalCountsFrom). `last_qualifying_at` is the latest instant any entry counts from.
 * The caller holds the member row (lockAccount).
 */
export async function addQualifying(tx: EntityManager, memberId: string, occurredAt: Date, points: number, source: string, countsFrom: Date | null = null): Promise<void> {
  if (points === 0) return;
  // The SQL is add_qualifying's (migration purchase_path): purchase_facts writes a purchase's entry with it too.
  await tx.execute('select add_qualifying(?, ?, ?, ?, ?)', [memberId, occurredAt, points, source, countsFrom]);
}

/**
 * At most what a window holding `at` can count of the member's qualifying points: its positive
 * entries dated in (at − window, at + window + 1 month) (every window that holds `at` lies within,
 * a month's clamping to its end included). A backdated entry checks it: the window ending at its
 * own instant may fit while a later one, holding the entries after it too, would not.
 */
export async function qualifyingAround(tx: EntityManager, memberId: string, at: Date, windowMonths: number): Promise<bigint> {
  const [r] = await tx.execute<{ points: string }[]>(
    `select coalesce(sum(greatest(points, 0)), 0)::text as points from qualifying_entry
     where member_id = ? and occurred_at > ${minusMonths('?::timestamptz', '?::int')} and occurred_at < ${plusMonths('?::timestamptz', '?::int')}`,
    [memberId, at, windowMonths, at, windowMonths + 1],
  );
  return BigInt(r.points);
}

// ---- purchases ------------------------------------------------------------------------

export interface NewPurchase {
  orderId: string; memberId: string; amountCents: number; earned: number; qualifying: number; lotId: string | null; transactionId: string | null;
  occurredAt: Date; occurredAtGiven: boolean; tierChangeId: string | null; earnedTierId: string | null; pointsPerUnit: number;
}

export async function insertPurchase(tx: EntityManager, p: NewPurchase): Promise<void> {
  await tx.execute(
    `insert into purchase (order_id, member_id, amount_cents, earned_points, qualifying_points, lot_id, transaction_id, occurred_at, occurred_at_given,
       tier_change_id, earned_tier_id, points_per_unit)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [p.orderId, p.memberId, p.amountCents, p.earned, p.qualifying, p.lotId, p.transactionId, p.occurredAt, p.occurredAtGiven,
      p.tierChangeId, p.earnedTierId, p.pointsPerUnit],
  );
}

/** A purchase as a retry compares it with its input (amount as text: exact). */
export interface StoredPurchase {
  memberId: string; amountCents: string; earned: number; qualifying: number; transactionId: string | null; occurredAt: Date; tierChangeId: string | null;
}

export async function storedPurchase(em: EntityManager, orderId: string): Promise<StoredPurchase | null> {
  const [row] = await em.execute<StoredPurchase[]>(
    `select member_id as "memberId", amount_cents::text as "amountCents", earned_points as "earned", qualifying_points as "qualifying",
       transaction_id::text as "transactionId", occurred_at as "occurredAt", tier_change_id::text as "tierChangeId"
     from purchase where order_id = ?`,
    [orderId],
  );
  return row ? withDates(row, ['occurredAt']) : null;
}

/** What an order has had refunded so far, in cents (refunds, and a history import's refundedAmount); null when there is no such order. */
export async function refundedCentsOf(em: EntityManager, orderId: string): Promise<number | null> {
  const [row] = await em.execute<{ cents: string }[]>('select refunded_cents::text as cents from purchase where order_id = ?', [orderId]);
  return row ? Number(row.cents) : null;
}

/** The member a purchase belongs to; null when there is no such order. */
export async function purchaseOwner(em: EntityManager, orderId: string): Promise<string | null> {
  const [row] = await em.execute<{ memberId: string }[]>('select member_id as "memberId" from purchase where order_id = ?', [orderId]);
  return row?.memberId ?? null;
}

/** A purchase as re-rating reads it, with its lot and whether that lot is live. */
export interface RerateRow {
  amountCents: number; refundedCents: number; earned: number; reversed: number; lotId: string | null; occurredAt: Date; ppu: number | null;
  remaining: number | null; expiresAt: Date | null; activatesAt: Date | null; live: boolean;
}

export async function purchaseToRerate(tx: EntityManager, orderId: string): Promise<RerateRow> {
  const [row] = await tx.execute<RerateRow[]>(
    `select p.amount_cents::bigint::float8 as "amountCents", p.refunded_cents::float8 as "refundedCents", p.earned_points as earned,
       p.reversed_points as reversed, p.lot_id::text as "lotId", p.occurred_at as "occurredAt", p.points_per_unit::float8 as ppu,
       l.remaining, l.expires_at as "expiresAt", l.activates_at as "activatesAt",
       l.id is not null and coalesce(l.expires_at, 'infinity') > coalesce(a.expired_through, '-infinity') as live
     from purchase p join point_account a on a.member_id = p.member_id left join point_lot l on l.id = p.lot_id
     where p.order_id = ?`,
    [orderId],
  );
  return withDates(row, ['occurredAt', 'expiresAt', 'activatesAt']);
}

export async function setPurchaseEarning(tx: EntityManager, orderId: string, earned: number, reversed: number, tierId: string): Promise<void> {
  await tx.execute('update purchase set earned_points = ?, reversed_points = ?, earned_tier_id = ? where order_id = ?', [earned, reversed, tierId, orderId]);
}

export async function setPurchaseLot(tx: EntityManager, orderId: string, lotId: string): Promise<void> {
  await tx.execute('update purchase set lot_id = ? where order_id = ?', [lotId, orderId]);
}

/** A purchase as a refund of it reads it (amounts as float8: exact up to 2^53 cents). */
export interface RefundedPurchase {
  amountCents: number; refundedCents: number; earned: number; qualifying: number; reversedPoints: number; reversedQualifying: number;
  lotId: string | null; occurredAt: Date;
  /** A campaign gave points for it (campaign_award, source 'purchase:<orderId>'): the refund takes them back too. Cross-module read: campaign_award. */
  hasAwards: boolean;
  /** The referral it completed (issue 25; COMPLETED still): a full refund within the hold reverses it. Cross-module read: referral. */
  referralId: string | null;
}

/** The purchase a refund is of. Cross-module read: campaign_award (its awards) and referral (the referral it completed), in the same statement. */
/** The purchase as a refund dated `at` or later reads it; `debitsAfter`: its member may have debits dated at or after `at` (the refund is made before them). */
export async function purchaseToRefund(tx: EntityManager, orderId: string, at: Date): Promise<RefundedPurchase & { debitsAfter: boolean }> {
  const [row] = await tx.execute<(RefundedPurchase & { debitsAfter: boolean })[]>(
    `select amount_cents::bigint::float8 as "amountCents", refunded_cents::float8 as "refundedCents", earned_points as "earned",
       qualifying_points as "qualifying", reversed_points as "reversedPoints", reversed_qualifying as "reversedQualifying",
       lot_id::text as "lotId", occurred_at as "occurredAt", ${mayHaveDebitsFrom('purchase.member_id', false)} as "debitsAfter",
       exists (select 1 from campaign_award ca where ca.member_id = purchase.member_id and ca.source = 'purchase:' || purchase.order_id and ca.points > 0) as "hasAwards",
       (select r.id::text from referral r where r.order_id = purchase.order_id and r.referee_id = purchase.member_id and r.status = 'COMPLETED') as "referralId"
     from purchase where order_id = ?`,
    [at, orderId],
  );
  return row;
}

export async function addRefunded(tx: EntityManager, orderId: string, cents: number, points: number, qualifying: number): Promise<void> {
  await tx.execute(
    `update purchase set refunded_cents = refunded_cents + ?, reversed_points = reversed_points + ?,
       reversed_qualifying = reversed_qualifying + ? where order_id = ?`,
    [cents, points, qualifying, orderId],
  );
}

// ---- lots a re-rating moves -----------------------------------------------------------

/** An expired lot: its points follow the earning, what it held when it expired only goes down (never below 0). */
export async function resizeExpiredLot(tx: EntityManager, lotId: string, net: number): Promise<void> {
  await tx.execute('update point_lot set points = points + ?, remaining = greatest(remaining + ?, 0) where id = ?', [net, net, lotId]);
}

export async function growLot(tx: EntityManager, lotId: string, net: number): Promise<void> {
  await tx.execute('update point_lot set points = points + ?, remaining = remaining + ? where id = ?', [net, net, lotId]);
}

/** The lot's points only (its remainder moved through takes). */
export async function addLotPoints(tx: EntityManager, lotId: string, net: number): Promise<void> {
  await tx.execute('update point_lot set points = points + ? where id = ?', [net, lotId]);
}

/** Whether the member owes points (a debt lot an earlier refund left). */
export async function hasDebt(tx: EntityManager, memberId: string): Promise<boolean> {
  const rows = await tx.execute('select 1 from point_lot where member_id = ? and remaining < 0 limit 1', [memberId]);
  return rows.length > 0;
}

/**
 * What a redemption's debit took, to be given back to the lots it came from: only to lots still
 * live and not past their expiry (by the database's clock too: the expiry run's floor is
 * measured by it), with each lot's window.
 */
export async function returnableTakes(tx: EntityManager, transactionId: string, now: Date): Promise<(LotTake & { activatesAt: Date; expiresAt: Date | null })[]> {
  // Net per lot: a re-plan (debitsFrom) records a debit's moved takes as more allocations of its transaction.
  const rows = await tx.execute<(LotTake & { activatesAt: Date; expiresAt: Date | null })[]>(
    `select al.lot_id::text as "lotId", sum(al.amount)::int as amount, l.activates_at as "activatesAt", l.expires_at as "expiresAt"
     from point_allocation al join point_lot l on l.id = al.lot_id
       join point_account a on a.member_id = l.member_id
     where al.transaction_id = ? and coalesce(l.expires_at, 'infinity') > greatest(?::timestamptz, now()) and ${LIVE_LOT}
     group by al.lot_id, l.activates_at, l.expires_at having sum(al.amount) > 0 order by al.lot_id`,
    [transactionId, now],
  );
  return rows.map((r) => withDates(r, ['activatesAt', 'expiresAt']));
}

// ---- refunds --------------------------------------------------------------------------

/** A refund whose own reversal could not take back all it reversed, and what of that is still owed. */
export interface UnrecoveredRefund { refundId: string; orderId: string; reversalId: string; outstanding: number; occurredAt: Date }

/**
 * The member's refunds whose own reversal (REFUND_REVERSAL, key 'refund:<refundId>', the refund
 * row's transaction) left points unrecovered, that debit `debitId` may have kept short: dated at
 * or after it, or recorded after it (a refund dated before a debit that no longer fitted after
 * it was made on the lots as they were, the debit's takes included); less what recoveries
 * (keys recoveryKey(cancel, reversal)) took back since; oldest first, only those still owed.
 * `debitId` null: every one that fell short, whatever kept it short.
 * Read through the member's transactions (their member index) and the refund's key. A
 * campaign's or a referral's reversals are their own accounts (award and referral rows) and
 * are not here.
 */
export async function unrecoveredRefundsAfter(tx: EntityManager, memberId: string, debitId: string | null): Promise<UnrecoveredRefund[]> {
  const rows = await tx.execute<UnrecoveredRefund[]>(
    `select r.refund_id as "refundId", r.order_id as "orderId", t.id::text as "reversalId", (${reversalOutstanding('t')})::int as outstanding,
       t.occurred_at as "occurredAt"
     from point_transaction t
       left join point_transaction d on d.id = ?::bigint
       join refund r on r.refund_id = substr(t.idempotency_key, 8) and r.transaction_id = t.id
     where t.member_id = ? and t.type = 'REFUND_REVERSAL' and t.idempotency_key like 'refund:%'
       -- It fell short when it was made, or a re-plan gave back some of what it took (a recovery
       -- that owes: replanWithRefunds); both kinds of row are in point_transaction_member_short_refund_index.
       and t.id in (select s.id from point_transaction s where s.member_id = ? and s.type = 'REFUND_REVERSAL' and s.unrecovered > 0
                      and s.idempotency_key like 'refund:%'
                    union
                    select split_part(g.idempotency_key, ':', 3)::bigint from point_transaction g where g.member_id = ?
                      and g.type = 'REFUND_REVERSAL' and g.unrecovered > 0 and g.idempotency_key like 'refund-recovery:%')
       and (?::bigint is null or ${keptShortBy('t', 'd')})
     order by t.occurred_at, t.id`,
    [debitId, memberId, memberId, memberId, debitId],
  );
  return rows.filter((r) => r.outstanding > 0);
}

/** The order each of `lotIds` was earned by (absent: none). */
export async function ordersOfLots(tx: EntityManager, lotIds: string[]): Promise<Map<string, string>> {
  const rows = await tx.execute<{ id: string; orderId: string }[]>(
    'select l.id::text as id, l.order_id as "orderId" from point_lot l where l.id = any(?::bigint[]) and l.order_id is not null', [pgArray(lotIds)],
  );
  return new Map(rows.map((r) => [r.id, r.orderId]));
}

export interface NewRefund {
  refundId: string; orderId: string; memberId: string; amountCents: number; pointsReversed: number; qualifyingReversed: number; bonusReversed: number;
  transactionId: string | null; occurredAt: Date;
}

/**
 * Writes the refund; returns whether the member had a refund with a reversal dated at or after
 * it already (`refundsAfter`: written before it, so a re-plan puts them in date order), read
 * in the same statement (refund_member_index; the new row is not among them).
 */
export async function insertRefund(tx: EntityManager, r: NewRefund): Promise<{ refundsAfter: boolean }> {
  const rows = await tx.execute<{ refundsAfter: boolean }[]>(
    `insert into refund (refund_id, order_id, member_id, amount_cents, points_reversed, qualifying_reversed, bonus_reversed, transaction_id, occurred_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?)
     returning exists (select 1 from refund o where o.member_id = refund.member_id and o.occurred_at >= refund.occurred_at
       and o.transaction_id is not null) as "refundsAfter"`,
    [r.refundId, r.orderId, r.memberId, r.amountCents, r.pointsReversed, r.qualifyingReversed, r.bonusReversed, r.transactionId, r.occurredAt],
  );
  return rows[0];
}

/** A refund as a retry compares it with its input (amount as text: exact). */
/** `memberErased`: its member was erased since (a retry of it is NOT_FOUND, as every write for that member). */
export interface StoredRefund {
  orderId: string; memberId: string; amountCents: string; points: number; qualifying: number; bonusReversed: number; transactionId: string | null; occurredAt: Date;
  memberErased: boolean;
}

export async function storedRefund(em: EntityManager, refundId: string): Promise<StoredRefund | null> {
  const [row] = await em.execute<StoredRefund[]>(
    `select order_id as "orderId", member_id as "memberId", amount_cents::text as "amountCents", points_reversed as "points",
       qualifying_reversed as "qualifying", bonus_reversed as "bonusReversed", transaction_id::text as "transactionId", occurred_at as "occurredAt",
       exists (select 1 from member m where m.id = refund.member_id and m.erased_at is not null) as "memberErased"
     from refund where refund_id = ?`,
    [refundId],
  );
  return row ? withDates(row, ['occurredAt']) : null;
}

/** An earlier refund of an order, with the qualifying points its entries reverse so far (`recorded`). */
export interface RefundShare { id: string; at: Date; cents: number; recorded: number }

export async function refundsOfOrder(tx: EntityManager, orderId: string): Promise<RefundShare[]> {
  const rows = await tx.execute<RefundShare[]>(
    `select r.refund_id as id, r.occurred_at as at, r.amount_cents::float8 as cents,
       coalesce((select -sum(q.points) from qualifying_entry q where q.member_id = r.member_id and q.source = 'refund:' || r.refund_id), 0)::int as recorded
     from refund r where r.order_id = ?`,
    [orderId],
  );
  return rows.map((r) => withDates(r, ['at']));
}

// ---- activities -----------------------------------------------------------------------

export interface ActivityRuleRow { kind: string; name: string; points: number; qualifyingPoints: number; dailyCap: number | null; active: boolean; memberMayRecord: boolean }

const RULE_COLUMNS = 'kind, name, points, qualifying_points as "qualifyingPoints", daily_cap as "dailyCap", active, member_may_record as "memberMayRecord"';

/**
 * A rule by kind, locked for an upsert, as the API reads it (its fields named as `after` names them in
 * the audit entry). The kind first (a transaction advisory lock): two first upserts of a kind have no
 * row to lock yet, and each recorded an `activityRule.create`.
 */
export async function lockActivityRule(tx: EntityManager, kind: string): Promise<ActivityRuleRow | null> {
  // Locked by its kind in lower case: first upserts of `Review` and `review` queue, and the second finds the first (otherCaseKind).
  await tx.execute(`select pg_advisory_xact_lock(hashtext('activity_rule.kind'), hashtext(lower(?)))`, [kind]);
  return lockActivityRuleRow<ActivityRuleRow>(tx, kind, RULE_COLUMNS);
}

/** The kind of another activity rule that only the case tells from `kind`, if any. */
export async function otherCaseKind(em: EntityManager, kind: string): Promise<string | null> {
  const [row] = await em.execute<{ kind: string }[]>('select kind from activity_rule where lower(kind) = lower(?) and kind <> ? limit 1', [kind, kind]);
  return row?.kind ?? null;
}

/** Creates or replaces a rule, every setting as given (the service resolves a memberMayRecord left out). */
export async function upsertActivityRule(tx: EntityManager, r: ActivityRuleRow): Promise<ActivityRuleRow> {
  const [row] = await tx.execute<ActivityRuleRow[]>(
    `insert into activity_rule (kind, name, points, qualifying_points, daily_cap, active, member_may_record) values (?, ?, ?, ?, ?, ?, ?)
     on conflict (kind) do update set name = excluded.name, points = excluded.points, qualifying_points = excluded.qualifying_points,
       daily_cap = excluded.daily_cap, active = excluded.active, member_may_record = excluded.member_may_record
     returning ${RULE_COLUMNS}`,
    [r.kind, r.name, r.points, r.qualifyingPoints, r.dailyCap, r.active, r.memberMayRecord],
  );
  return row;
}

export function activityRules(em: EntityManager): Promise<ActivityRuleRow[]> {
  return em.execute<ActivityRuleRow[]>(
    `select ${RULE_COLUMNS} from activity_rule order by kind`,
  );
}

/** The active rule of a kind, as an activity earns by it. */
export async function activeRule(tx: EntityManager, kind: string): Promise<{ points: number; qualifying: number; dailyCap: number | null; memberMayRecord: boolean } | null> {
  const [row] = await tx.execute<{ points: number; qualifying: number; dailyCap: number | null; memberMayRecord: boolean }[]>(
    'select points, qualifying_points as "qualifying", daily_cap as "dailyCap", member_may_record as "memberMayRecord" from activity_rule where kind = ? and active',
    [kind],
  );
  return row ?? null;
}

/** Points the member already earned from activities of this kind on this (programme-local) day. */
export async function activityPointsOn(tx: EntityManager, memberId: string, kind: string, day: string): Promise<number> {
  const [{ already }] = await tx.execute<{ already: number }[]>(
    'select coalesce(sum(points), 0)::int as already from activity where member_id = ? and kind = ? and day = ?',
    [memberId, kind, day],
  );
  return already;
}

/** `memberErased`: as StoredRefund's. */
export interface StoredActivity {
  memberId: string; kind: string; points: number; qualifying: number; transactionId: string | null; memberErased: boolean; occurredAt: Date;
}

export async function storedActivity(em: EntityManager, idempotencyKey: string): Promise<StoredActivity | null> {
  const [row] = await em.execute<StoredActivity[]>(
    `select member_id as "memberId", kind, points, qualifying_points as "qualifying", transaction_id::text as "transactionId",
       occurred_at as "occurredAt",
       exists (select 1 from member m where m.id = activity.member_id and m.erased_at is not null) as "memberErased"
     from activity where idempotency_key = ?`,
    [idempotencyKey],
  );
  return row ? withDates(row, ['occurredAt']) : null;
}

export interface NewActivity {
  idempotencyKey: string; memberId: string; kind: string; day: string; points: number; qualifying: number; transactionId: string | null; occurredAt: Date;
}

export async function insertActivity(tx: EntityManager, a: NewActivity): Promise<void> {
  await tx.execute(
    `insert into activity (idempotency_key, member_id, kind, day, points, qualifying_points, transaction_id, occurred_at)
     values (?, ?, ?, ?, ?, ?, ?, ?)`,
    [a.idempotencyKey, a.memberId, a.kind, a.day, a.points, a.qualifying, a.transactionId, a.occurredAt],
  );
}

// ---- expiry ---------------------------------------------------------------------------

export const EXPIRE_REASON = 'points expired';
/** An EXPIRE correction (positive): points counted expired that a re-plan has a debit take instead (PointsService.replan). */
export const UNEXPIRE_REASON = 'expiry corrected: debits re-planned in date order';
/**
 * For each lot expiry instant, when the expiry that took such a lot's points off the member's
 * balance is dated: its first EXPIRE (reason EXPIRE_REASON, negative) dated at or after it (a run
 * dates its one EXPIRE per member at the latest expiry it covers; a lot written expired, at its
 * own). Keyed by the instant's time; absent: none found.
 */
export async function expiryDates(tx: EntityManager, memberId: string, instants: Date[]): Promise<Map<number, Date>> {
  const rows = await tx.execute<{ at: Date | string; run: Date | string | null }[]>(
    `select e.at, (select min(t.occurred_at) from point_transaction t
                   where t.member_id = ? and t.type = 'EXPIRE' and t.amount < 0 and t.reason = ? and t.occurred_at >= e.at) as run
     from unnest(?::timestamptz[]) as e(at)`,
    [memberId, EXPIRE_REASON, pgArray(instants.map((d) => d.toISOString()))],
  );
  return new Map(rows.filter((r) => r.run != null).map((r) => [new Date(r.at).getTime(), new Date(r.run!)]));
}
/** An EXPIRE correction (positive): points counted expired that a debit or refund dated before the expiry, arriving after the run, took. */
export const TAKEN_BEFORE_EXPIRY_REASON = 'expiry corrected: taken by a write dated before the expiry';

/**
 * Members with lots due at asOf above the floor, in id order (at 1M members the planner reads
 * the (member, expiry) index in order, index-only: no sort, no hash).
 */
const DUE_BY_DATE_SQL = `
select member_id as id from point_lot
where remaining > 0 and expires_at <= ? and expires_at > coalesce(?::timestamptz, '-infinity')
group by member_id order by member_id`;

/** Members with live late lots due at asOf (written already expired; few) that the search by date does not find. */
const DUE_LATE_SQL = `
select distinct l.member_id as id from point_lot l join point_account a on a.member_id = l.member_id
where l.late and l.remaining > 0 and l.expires_at <= ? and ${LIVE_LOT}
  and not exists (select 1 from point_lot d where d.member_id = l.member_id and d.remaining > 0
    and d.expires_at <= ? and d.expires_at > coalesce(?::timestamptz, '-infinity'))`;

/**
 * One batch of members (a run of ids): each member's live lots due at asOf, summed from the
 * (member, expiry) index alone; the account updated only if its row version (xmin) is the one
 * the sums were read with (the update sees the newest version, so a write committed or running
 * since then makes the row drop out); one EXPIRE transaction per updated account. Returns the
 * members that dropped out, to be done again under their locks. A member who owes points (a debt
 * lot) drops out too, unless the statement runs in that locked pass (its last parameter), which
 * repays the debt first from lots that have activated meanwhile (settleDebts).
 */
const EXPIRE_BATCH_SQL = `
with acc as (
  select member_id, expired_through, xmin as version from point_account where member_id = any(?::uuid[])
), due as (
  select acc.member_id, acc.version, sum(l.remaining)::int as points, max(l.expires_at) as at
  from acc join point_lot l on l.member_id = acc.member_id and l.remaining <> 0 and l.remaining > 0
    and l.expires_at <= ? and l.expires_at > coalesce(acc.expired_through, '-infinity')
  group by acc.member_id, acc.version
), accounts as (
  update point_account a set balance = a.balance - due.points, expired_through = ?, updated_at = now()
  from due where a.member_id = any(?::uuid[]) and a.member_id = due.member_id and a.xmin = due.version
    and (?::boolean or not exists (select 1 from point_lot d where d.member_id = due.member_id and d.remaining < 0))
  returning a.member_id, a.balance
), txns as (
  insert into point_transaction (member_id, type, amount, balance_after, occurred_at, reason, created_at)
  select due.member_id, 'EXPIRE', -due.points, accounts.balance, due.at, '${EXPIRE_REASON}', now()
  from due join accounts on accounts.member_id = due.member_id order by due.member_id
  returning member_id
)
select (select count(*) from txns)::int as changed,
  coalesce((select array_agg(member_id::text) from due where member_id not in (select member_id from txns)), '{}') as skipped`;

/**
 * The programme's expiry floor (every lot at or below it has been expired, late lots aside), and
 * the floor a run as of `asOf` may leave behind: asOf, or the start of the oldest transaction
 * open now if that is earlier.
 */
export async function expiryFloor(em: EntityManager, asOf: Date): Promise<{ floor: Date | null; next: Date }> {
  const [row] = await em.execute<{ floor: Date | null; next: Date }[]>(
    `select (select expired_through from point_expiry where id = 1) as floor,
       least(?::timestamptz, (select min(xact_start) from pg_stat_activity where xact_start is not null)) as next`,
    [asOf],
  );
  return row;
}

/** Opens, in `search`'s transaction, the cursor of members due by date (DUE_BY_DATE_SQL). */
export async function openDueCursor(search: EntityManager, asOf: Date, floor: Date | null): Promise<void> {
  await search.execute(`declare expiry_due no scroll cursor for ${DUE_BY_DATE_SQL}`, [asOf, floor]);
}

/** The next `count` member ids from the cursor (fewer at its end). */
export async function fetchDue(search: EntityManager, count: number): Promise<string[]> {
  const rows = await search.execute<{ id: string }[]>(`fetch ${Math.floor(count)} from expiry_due`);
  return rows.map((r) => r.id);
}

export async function dueLate(em: EntityManager, asOf: Date, floor: Date | null): Promise<string[]> {
  const rows = await em.execute<{ id: string }[]>(DUE_LATE_SQL, [asOf, asOf, floor]);
  return rows.map((r) => r.id);
}

export async function raiseExpiryFloor(em: EntityManager, next: Date): Promise<void> {
  await em.execute('update point_expiry set expired_through = greatest(expired_through, ?::timestamptz) where id = 1', [next]);
}

/** EXPIRE_BATCH_SQL for these members; `locked`: their accounts are held (the second pass). */
export async function expireBatch(tx: EntityManager, memberIds: string[], asOf: Date, locked: boolean): Promise<{ changed: number; skipped: string[] }> {
  const list = pgArray(memberIds);
  const [row] = await tx.execute<{ changed: number; skipped: string[] }[]>(EXPIRE_BATCH_SQL, [list, asOf, asOf, list, locked]);
  return row;
}

/** Of these members, those who owe points (a debt lot). */
export async function debtors(tx: EntityManager, memberIds: string[]): Promise<string[]> {
  const rows = await tx.execute<{ id: string }[]>(
    'select distinct member_id::text as id from point_lot where member_id = any(?::uuid[]) and remaining < 0', [pgArray(memberIds)],
  );
  return rows.map((r) => r.id);
}

// ---- reads ----------------------------------------------------------------------------

export interface BalanceRow { memberId: string; balance: number; pending: number; lifetime: number }

/** Spendable and pending points at `now`, and lifetime points, of each member with an account. */
export function balances(em: EntityManager, memberIds: readonly string[], now: Date): Promise<BalanceRow[]> {
  return em.execute<BalanceRow[]>(
    `select a.member_id as "memberId", a.lifetime_earned as lifetime,
       coalesce(sum(l.remaining) filter (where l.activates_at <= ? and (l.expires_at is null or l.expires_at > ?)), 0)::int as balance,
       coalesce(sum(l.remaining) filter (where l.activates_at > ?), 0)::int as pending
     from point_account a left join point_lot l on l.member_id = a.member_id and l.remaining <> 0 and ${LIVE_LOT}
     where a.member_id in (?) group by a.member_id, a.lifetime_earned`,
    [now, now, now, memberIds as string[]],
  );
}

export interface ActivationRow { memberId: string; activatesAt: Date; points: number }

/** Each member's pending points by the instant they become spendable (after `now`), soonest first. */
export async function pendingActivations(em: EntityManager, memberIds: readonly string[], now: Date): Promise<ActivationRow[]> {
  const rows = await em.execute<ActivationRow[]>(
    `select l.member_id as "memberId", l.activates_at as "activatesAt", sum(l.remaining)::int as points
     from point_account a join point_lot l on l.member_id = a.member_id and l.activates_at > ? and l.remaining <> 0 and ${LIVE_LOT}
     where a.member_id in (?)
     group by l.member_id, l.activates_at having sum(l.remaining) <> 0
     order by l.member_id, l.activates_at`,
    [now, memberIds as string[]],
  );
  return rows.map((r) => withDates(r, ['activatesAt']));
}

export interface ExpiringRow { memberId: string; days: number; points: number }

/** Spendable points expiring within each key's days of `now`. */
export function expiring(em: EntityManager, keys: readonly { memberId: string; withinDays: number }[], now: Date): Promise<ExpiringRow[]> {
  const values = keys.map(() => '(?::uuid, ?::int)').join(', ');
  // Less what a debt will take of them (debtTakesExpiring): points repaying a debt are not about to expire.
  return em.execute<ExpiringRow[]>(
    `select e.member_id as "memberId", e.days, (e.points - ${debtTakesExpiring('e.member_id', 'e.now', 'e.days')})::int as points
     from (
       select k.member_id, k.days, n.now, coalesce(sum(l.remaining), 0) as points
       from (values ${values}) as k(member_id, days) cross join (select ?::timestamptz as now) n
       left join point_account a on a.member_id = k.member_id
       left join point_lot l on l.member_id = k.member_id and l.remaining > 0 and l.activates_at <= n.now
         and l.expires_at > n.now and l.expires_at <= n.now + make_interval(days => k.days) and ${LIVE_LOT}
       group by k.member_id, k.days, n.now
     ) e`,
    [...keys.flatMap((k) => [k.memberId, k.withinDays]), now],
  );
}

/** A page of the member's transactions, newest first, keyset on the transaction id; one row more than `first` if there is a next page. */
export async function transactionsPage(em: EntityManager, memberId: string, first: number, afterId: string | null): Promise<TransactionRow[]> {
  const page = keyset('t.id', 'desc', afterId);
  const rows = await em.execute<TransactionRow[]>(
    `select t.id::text, t.member_id as "memberId", t.type, t.amount, t.balance_after as "balanceAfter", t.occurred_at as "occurredAt",
       t.expires_at as "expiresAt", t.reason, t.reference, t.unrecovered
     from point_transaction t where t.member_id = ? and ${page.where} ${page.orderBy} limit ?`,
    [memberId, ...page.params, first + 1],
  );
  return rows.map(txnDates);
}

/**
 * The first page (the latest `limit` transactions, newest first) of each member's ledger, in
 * one statement: a list of members asking for each one's pointsHistory costs one statement, not
 * one per member (each member's page is an index range scan of its own, by the lateral join).
 */
export async function transactionsFirstPages(em: EntityManager, memberIds: readonly string[], limit: number): Promise<TransactionRow[]> {
  const rows = await em.execute<TransactionRow[]>(
    `select h.* from unnest(?::uuid[]) as m(mid) cross join lateral (
       select t.id::text, t.member_id as "memberId", t.type, t.amount, t.balance_after as "balanceAfter", t.occurred_at as "occurredAt",
         t.expires_at as "expiresAt", t.reason, t.reference, t.unrecovered
       from point_transaction t where t.member_id = m.mid order by t.id desc limit ?) h`,
    [pgArray(memberIds), limit],
  );
  return rows.map(txnDates);
}

// ---- the purchase's fast path ---------------------------------------------------------------

/** What a purchase's first statement (purchase_facts) returns; null: no such member. */
export interface PurchaseFacts {
  balance: number; lifetimeEarned: number; expiredThrough: Date | null;
  /** The order is recorded already: nothing was written. */
  replay: boolean;
  /** config_version now; when it is not the one the caller gave, nothing was written. */
  configVersion: string;
  /** The member's tier, and whether its history may be out of date at the purchase's instant (member_tier_held). */
  tierId: string; stale: boolean;
  /** A negative balance or a debt lot: the credit repays it first. */
  debt: boolean;
  /** A debit (a redemption, a negative adjustment) dated at or after the instant: the credit re-plans it (PointsService.replan). */
  debitsAfter: boolean;
  /** The member's tag codes, when asked for. */
  tags: string[];
  /** The qualifying points in the window ending at the instant (qualifying_between), the purchase's included. */
  windowPoints: number;
  /** The latest review run's asOf (program). */
  reviewedThrough: Date | null;
}

/**
 * A purchase's first statement, and its only read: locks the account and the member (db/locks.ts
 * order), checks the order and the configuration version, writes the qualifying entry, and
 * reads what the decision takes (purchase_facts, migration purchase_path). Spans the tiers'
 * (member, tier_change), the programme's, the tags' and config_version tables: it is the hot
 * path, and one round trip.
 */
export async function purchaseFacts(tx: EntityManager, p: {
  memberId: string; orderId: string; at: Date; qualifying: number; configVersion: string; windowFrom: Date; tags: boolean;
}): Promise<PurchaseFacts | null> {
  const [row] = await tx.execute<(PurchaseFacts & { tags: string[] | null })[]>(prepared(
    `select f_balance as balance, f_lifetime as "lifetimeEarned", f_expired_through as "expiredThrough", f_replay as replay,
       f_config::text as "configVersion", f_tier as "tierId", f_stale as stale, f_debt as debt, f_debits_after as "debitsAfter", f_tags as tags, f_window as "windowPoints",
       f_reviewed_through as "reviewedThrough"
     from purchase_facts(?, ?, ?, ?, ?, ?, ?)`),
    [p.memberId, p.orderId, p.at, p.qualifying, p.configVersion, p.windowFrom, p.tags],
  );
  return row ? withDates({ ...row, tags: row.tags ?? [] }, ['expiredThrough', 'reviewedThrough']) : null;
}

/** What a purchase decided in TypeScript writes (writePurchase). */
export interface PurchaseWrite {
  purchase: Omit<NewPurchase, 'lotId' | 'transactionId' | 'tierChangeId'>;
  /** The EARN transaction and its lot (points earned > 0), the account's new balance and lifetime points. */
  credit: { balanceAfter: number; activatesAt: Date; expiresAt: Date | null } | null;
  /** An upgrade at the purchase's instant: the member's new tier, the change and (with a topic) its outbox row. */
  upgrade: { change: NewTierChange & { expiresAt: Date }; windowMonths: number; outboxTopic: string | null } | null;
}

/** A tier change being recorded, as the tiers module's NewTierChange. */
type NewTierChange = Omit<TierChangeRow, 'id'> & { expiresAt: Date | null };

/** What a purchase's writes return: its EARN transaction and lot, the upgrade and its outbox row. */
export interface PurchaseWritten { transaction: TransactionRow | null; lotId: string | null; change: TierChangeRow | null; outboxId: string | null }

interface WrittenRow { transaction: TransactionRow | null; lotId: string | null; change: TierChangeRow | null; outboxId: string | null }
const written = (row: WrittenRow): PurchaseWritten => ({
  transaction: row.transaction ? txnDates(row.transaction) : null,
  lotId: row.lotId,
  change: row.change ? withDates(row.change, ['occurredAt', 'supersededAt']) : null,
  outboxId: row.outboxId,
});

/**
 * Everything a purchase writes once decided, in one statement (purchase_write, migration
 * purchase_path): the EARN transaction, its lot and the account (no debt to repay), the
 * upgrade (the member's tier through set_member_tier, the tier_change row and its outbox row,
 * as TierEngine's recordChange writes them) and the purchase row. Spans the tiers' tables
 * (member, tier_change) and the outbox: it is the hot path, and one round trip.
 */
export async function writePurchase(
  tx: EntityManager, w: PurchaseWrite, effects: CampaignEffectsInput | null = null, referral: ReferralCompletion | null = null,
): Promise<PurchaseWritten & { effects: CampaignEffectRow[]; referral: ReferralOutcome | null }> {
  const p = w.purchase;
  const c = w.upgrade?.change;
  const params = [p.memberId, p.orderId, p.amountCents, p.earned, p.qualifying, p.occurredAt, p.occurredAtGiven, p.earnedTierId, p.pointsPerUnit,
    w.credit?.balanceAfter ?? null, w.credit?.activatesAt ?? null, w.credit?.expiresAt ?? null,
    c?.toTierId ?? null, c?.fromTierId ?? null, c?.reason ?? null, c?.qualifyingPoints ?? null, c?.expiresAt ?? null,
    w.upgrade?.windowMonths ?? null, w.upgrade?.outboxTopic ?? null];
  if (effects || referral) {
    // The PURCHASE campaigns' effects in the same statement (as purchaseAtOnceWithCampaigns): audiences as the statement found the member;
    // then a pending referral of the member completed (its ledger written when no debt stands in the way: else `credit`, the caller's).
    const fx = effects ? effectsArgs(effects) : null;
    const rx = referral ? referralArgs(referral, '(select count(*) from w) > 0', false) : null;
    const sql = `with w as materialized (select * from purchase_write(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?))
         ${fx ? `, e as materialized (select e.* from w, ${fx.call} e)` : ''}
         ${rx ? `, r as materialized (select * from ${rx.call})` : ''}
       select w.f_transaction as transaction, w.f_lot as "lotId", w.f_change as change, w.f_outbox as "outboxId",
         ${fx ? EFFECTS_JSON : `'[]'::json`} as effects, ${rx ? REFERRAL_JSON : 'null::json'} as referral from w`;
    const [row] = await tx.execute<(WrittenRow & { effects: CampaignEffectRow[]; referral: ReferralOutcome | null })[]>(
      withEffects(sql, !fx || fx.fixed), [...params, ...(fx?.params ?? []), ...(rx?.params ?? [])]);
    return { ...written(row), effects: row.effects, referral: row.referral };
  }
  const [row] = await tx.execute<WrittenRow[]>(prepared(
    `select f_transaction as transaction, f_lot as "lotId", f_change as change, f_outbox as "outboxId"
     from purchase_write(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    params,
  );
  return { ...written(row), effects: [], referral: null };
}

/** A purchase decided in TypeScript for every case it may meet (purchase_at_once's arguments). */
export interface PurchaseCases {
  memberId: string; orderId: string; at: Date; atGiven: boolean; amountCents: number; qualifying: number; pointsPerUnit: number;
  configVersion: string; windowFrom: Date;
  /** What it earns on each tier the member may hold. */
  earned: { tierId: string; points: number }[];
  activatesAt: Date; expiresAt: Date | null;
  /** The upgrade a window sum of at least `at` brings from `from` (tiers.rules.ts upgradeSteps). */
  steps: { from: string; at: number; to: string }[];
  upgradeExpiresAt: Date; upgradeReason: string; windowMonths: number; outboxTopic: string | null;
}

/** Why purchase_at_once wrote nothing, or 'done'. */
export type AtOnceStatus = 'done' | 'no-member' | 'replay' | 'config' | 'range' | 'stepwise';

/**
 * A purchase in one statement, its own transaction (purchase_at_once, migration purchase_path):
 * the function finds which of the cases holds (the tier held, the window sum) and writes through
 * purchase_write, or writes nothing and says why. Sent outside any transaction. Spans the
 * tiers' (member, tier_change), the programme's, config_version and the outbox's tables: the
 * hot path, in one round trip.
 */
export async function purchaseAtOnce(
  em: EntityManager, p: PurchaseCases, effects: CampaignEffectsInput | null = null, referral: ReferralCompletion | null = null,
): Promise<PurchaseWritten & { status: AtOnceStatus; effects: CampaignEffectRow[]; referral: ReferralOutcome | null; referralEffects: CampaignEffectRow[] }> {
  if (effects || referral) return purchaseAtOnceWithEffects(em, p, effects, referral);
  const [row] = await em.execute<(WrittenRow & { status: AtOnceStatus })[]>(prepared(
    `select f_status as status, f_transaction as transaction, f_lot as "lotId", f_change as change, f_outbox as "outboxId"
     from purchase_at_once(?, ?, ?, ?, ?, ?, ?, ?, ?, ?::uuid[], ?::int[], ?, ?, ?::uuid[], ?::int[], ?::uuid[], ?, ?, ?, ?)`),
    atOnceParams(p),
  );
  return { status: row.status, ...written(row), effects: [], referral: null, referralEffects: [] };
}

function atOnceParams(p: PurchaseCases): unknown[] {
  return [p.memberId, p.orderId, p.at, p.atGiven, p.amountCents, p.qualifying, p.pointsPerUnit, p.configVersion, p.windowFrom,
    pgArray(p.earned.map((e) => e.tierId)), pgArray(p.earned.map((e) => String(e.points))), p.activatesAt, p.expiresAt,
    pgArray(p.steps.map((s) => s.from)), pgArray(p.steps.map((s) => String(s.at))), pgArray(p.steps.map((s) => s.to)),
    p.upgradeExpiresAt, p.upgradeReason, p.windowMonths, p.outboxTopic];
}

/**
 * The purchase in one statement with what rides on it: its campaigns' effects (issue 24):
 * purchase_at_once, then, when it wrote the purchase ('done': no debt, no watermark above its
 * lot), campaign_effects with the ledger, on the same member, in the same statement and
 * transaction. The audiences are evaluated on the member as the statement found it (before the
 * purchase's own writes), as the transaction path does (its effects ride on purchase_write's
 * statement). Then (issue 25) the member's pending referral completed (referral_complete: both
 * sides' REFERRAL points, or REJECTED by a guard), and the REFERRAL campaigns' effects on its
 * referrer, the audiences evaluated for the referrer the statement found. LC001 from
 * campaign_effects or referral_complete (a debt or the watermark): nothing was written, the
 * caller takes the transaction path. Spans what purchaseAtOnce spans, and the campaigns' tables
 * (campaign_effects: campaign, campaign_member, campaign_award, campaign_budget; a coupon's
 * reward and redemption) and the referrals' (referral_complete: referral): one round trip.
 */
async function purchaseAtOnceWithEffects(
  em: EntityManager, p: PurchaseCases, e: CampaignEffectsInput | null, c: ReferralCompletion | null,
): Promise<PurchaseWritten & { status: AtOnceStatus; effects: CampaignEffectRow[]; referral: ReferralOutcome | null; referralEffects: CampaignEffectRow[] }> {
  const fx = e ? effectsArgs(e, "case when w.f_status = 'done' then ?::uuid[] else '{}'::uuid[] end", true) : null;
  const rx = c ? referralArgs(c, "(select f_status from w) = 'done'", true) : null;
  const rfx = c?.effects ? effectsArgs(c.effects, "case when r.f_status = 'COMPLETED' then ?::uuid[] else '{}'::uuid[] end", true,
    { member: 'r.f_referrer', source: "'referral:' || r.f_referral::text" }) : null;
  const sql = `with w as materialized (
       select * from purchase_at_once(?, ?, ?, ?, ?, ?, ?, ?, ?, ?::uuid[], ?::int[], ?, ?, ?::uuid[], ?::int[], ?::uuid[], ?, ?, ?, ?)
     )${fx ? `, e as materialized (select e.* from w, ${fx.call} e)` : ''}${rx ? `, r as materialized (select * from ${rx.call})` : ''}${
       rfx ? `, rc as materialized (select rc.* from r, ${rfx.call} rc)` : ''}
     select w.f_status as status, w.f_transaction as transaction, w.f_lot as "lotId", w.f_change as change, w.f_outbox as "outboxId",
       ${fx ? EFFECTS_JSON : `'[]'::json`} as effects, ${rx ? REFERRAL_JSON : 'null::json'} as referral,
       ${rfx ? effectsJson('rc') : `'[]'::json`} as "referralEffects"
     from w`;
  const [row] = await em.execute<(WrittenRow & { status: AtOnceStatus; effects: CampaignEffectRow[]; referral: ReferralOutcome | null; referralEffects: CampaignEffectRow[] })[]>(
    withEffects(sql, (!fx || fx.fixed) && (!rfx || rfx.fixed)), [...atOnceParams(p), ...(fx?.params ?? []), ...(rx?.params ?? []), ...(rfx?.params ?? [])]);
  return { status: row.status, ...written(row), effects: row.effects, referral: row.referral, referralEffects: row.referralEffects };
}

// ---- referrals (issue 25) ---------------------------------------------------------------

/** A purchase's completion of its member's pending referral, as referral_complete takes it (migration referral_completion). */
export interface ReferralCompletion {
  refereeId: string; orderId: string; at: Date; referrerPoints: number; refereePoints: number;
  /** The referrer's completed referrals per programme-local month (0: no limit), and the month of `at`. */
  monthlyLimit: number; monthFrom: Date; monthTo: Date;
  /** Both sides' lots: pending until activatesAt (the hold), expiring at expiresAt. */
  activatesAt: Date; expiresAt: Date | null;
  /** The REFERRAL campaigns that may act on the referrer (their effects ride on the one-statement path), or null. */
  effects: CampaignEffectsInput | null;
}

/** What referral_complete did: nothing (null), REJECTED by a guard, or COMPLETED (`credit`: its ledger is the caller's to write). */
export interface ReferralOutcome {
  referralId: string; referrerId: string; status: 'COMPLETED' | 'REJECTED'; reason: string | null; referrerPoints: number; refereePoints: number;
  referrerTransactionId: string | null; refereeTransactionId: string | null; credit: boolean;
}

/** referral_complete(...) as SQL and its parameters; `go`: the SQL condition it runs on; `strict`: LC001 rather than leave the ledger to the caller. */
function referralArgs(c: ReferralCompletion, go: string, strict: boolean): { call: string; params: unknown[] } {
  return {
    call: `referral_complete(${go}, ?::uuid, ?, ?::timestamptz, ?::int, ?::int, ?::int, ?::timestamptz, ?::timestamptz, ?::timestamptz, ?::timestamptz, true, ?)`,
    params: [c.refereeId, c.orderId, c.at, c.referrerPoints, c.refereePoints, c.monthlyLimit, c.monthFrom, c.monthTo, c.activatesAt, c.expiresAt, strict],
  };
}

const REFERRAL_JSON = `(select json_build_object('referralId', r.f_referral::text, 'referrerId', r.f_referrer::text, 'status', r.f_status,
  'reason', r.f_reason, 'referrerPoints', r.f_referrer_points, 'refereePoints', r.f_referee_points,
  'referrerTransactionId', r.f_referrer_transaction::text, 'refereeTransactionId', r.f_referee_transaction::text, 'credit', r.f_credit) from r)`;

/**
 * The member's pending referral completed in the caller's transaction, its account held (the
 * purchase's stepwise path: a statement of its own). Null: no pending referral.
 */
export async function completeReferral(tx: EntityManager, c: ReferralCompletion): Promise<ReferralOutcome | null> {
  const rx = referralArgs(c, 'true', false);
  const [row] = await tx.execute<{ referral: ReferralOutcome | null }[]>(`with r as materialized (select * from ${rx.call}) select ${REFERRAL_JSON} as referral`, rx.params);
  return row.referral;
}

// ---- erasure (data-rights.service.ts eraseMember) --------------------------------------

/**
 * Empties every live lot of the member (pending points and debts included) into the ERASURE
 * transaction `transactionId`, set-based: each lot's remainder becomes an allocation of that
 * transaction and the lot holds 0. Expired lots (at or below the watermark) are left as they
 * are: they no longer count. The caller holds the account (lockAccount). Returns how many
 * points the lots held in all (= the account's balance when the ledger is consistent).
 */
export async function emptyLiveLots(tx: EntityManager, memberId: string, transactionId: string): Promise<number> {
  const [row] = await tx.execute<{ points: number | null }[]>(
    `with live as materialized (
       select l.id, l.remaining from point_account a join point_lot l on l.member_id = a.member_id and l.remaining <> 0 and ${LIVE_LOT}
       where a.member_id = ?
     ), emptied as (
       update point_lot l set remaining = 0 from live where l.id = live.id
     ), allocated as (
       insert into point_allocation (member_id, transaction_id, lot_id, amount) select ?, ?, live.id, live.remaining from live
     )
     select sum(remaining)::int as points from live`,
    [memberId, memberId, transactionId],
  );
  return row.points ?? 0;
}

/** Personal values quoted in the member's free-text reasons (an adjustment's, say) replaced by '[erased]'. */
export async function scrubTransactionReasons(tx: EntityManager, memberId: string, values: string[]): Promise<void> {
  await tx.execute(
    `update point_transaction set reason = text_scrub(reason, ?::text[]) where member_id = ? and reason is not null and reason <> text_scrub(reason, ?::text[])`,
    [pgTextArray(values), memberId, pgTextArray(values)],
  );
}

/** Whether any live lot of the member holds points (or a debt). */
export async function hasLiveLots(tx: EntityManager, memberId: string): Promise<boolean> {
  const rows = await tx.execute(
    `select 1 from point_account a join point_lot l on l.member_id = a.member_id and l.remaining <> 0 and ${LIVE_LOT} where a.member_id = ? limit 1`,
    [memberId],
  );
  return rows.length > 0;
}

/** One campaign's outcome for an event (campaign_effects, migration campaign_effects). */
export interface CampaignEffectRow {
  campaignId: string; code: string | null; status: string; points: number; rewardPoints: number; awardId: string | null; transactionId: string | null;
}

/** What campaign_effects takes for one event (plans from campaign-effects.service.ts campaignPlans). */
export interface CampaignEffectsInput {
  memberId: string; source: string; at: Date; ledger: boolean; activatesAt: Date; expiresAt: Date | null;
  plans: { campaignId: string; points: number; audience: { sql: string; params: unknown[] } | null; couponCode: string | null }[];
}

/**
 * A statement that may carry campaigns' effects, to be sent prepared. `fixed` (no campaign, or
 * none with an audience: effectsArgs): its text is one of a few, always the same; otherwise an
 * audience's SQL is in it, the same while the configuration stands: prepared while there is
 * room (preparedWhileRoom).
 */
function withEffects(sql: string, fixed: boolean): string {
  return fixed ? prepared(sql) : preparedWhileRoom(sql);
}

/** campaign_effects(...) as SQL and its parameters; `campaigns`: the SQL the campaigns' array parameter sits in; `who`: the member and the source as SQL (a referrer the statement finds), instead of e's. */
function effectsArgs(e: CampaignEffectsInput, campaigns = '?::uuid[]', ledger = e.ledger, who?: { member: string; source: string }): { call: string; params: unknown[]; fixed: boolean } {
  const params: unknown[] = who ? [e.at] : [e.memberId, e.source, e.at, pgArray(e.plans.map((p) => p.campaignId))];
  if (who) params.push(pgArray(e.plans.map((p) => p.campaignId)));
  // Without an audience (everyone is inside) the array is a parameter: the statement's text is the same whatever the campaigns (`fixed`: it may be prepared).
  const fixed = e.plans.every((p) => !p.audience);
  const inside: string[] = [];
  if (fixed) params.push(pgArray(e.plans.map(() => 'true')));
  else {
    for (const p of e.plans) {
      if (!p.audience) { inside.push('true'); continue; }
      inside.push(`exists (select 1 from (${p.audience.sql}) s where s.id = ${who ? who.member : '?'})`);
      params.push(...p.audience.params);
      if (!who) params.push(e.memberId);
    }
  }
  params.push(pgArray(e.plans.map((p) => p.points)), pgTextArray(e.plans.map((p) => p.couponCode ?? '')), ledger, e.activatesAt, e.expiresAt);
  const head = who ? `${who.member}, ${who.source}, ?::timestamptz` : '?::uuid, ?, ?::timestamptz';
  return {
    call: `campaign_effects(${head}, ${campaigns}, ${fixed ? '?::boolean[]' : `array[${inside.join(', ')}]::boolean[]`}, ?::int[], ?::text[], ?, ?::timestamptz, ?::timestamptz)`,
    params, fixed,
  };
}

const effectsJson = (alias: string) => `(select coalesce(json_agg(json_build_object('campaignId', ${alias}.f_campaign::text, 'code', ${alias}.f_code,
  'status', ${alias}.f_status, 'points', ${alias}.f_points, 'rewardPoints', ${alias}.f_reward_points, 'awardId', ${alias}.f_award::text,
  'transactionId', ${alias}.f_transaction::text)), '[]'::json) from ${alias})`;
const EFFECTS_JSON = effectsJson('e');

/**
 * The campaigns' effects of one event (issue 24), in one statement in the event's transaction,
 * its member's account held: each plan's audience evaluated for this one member, then
 * campaign_effects (arms, limits, the award, the budget, and with `ledger` the BONUS
 * transaction, lot and account, and the coupons). Spans the campaigns', the segments' (the
 * audience over SEGMENT_FROM), the ledger's and the rewards' tables: it is the purchase's hot path.
 */
export async function campaignEffects(tx: EntityManager, e: CampaignEffectsInput): Promise<CampaignEffectRow[]> {
  const fx = effectsArgs(e);
  const sql = `with e as materialized (select * from ${fx.call}) select ${EFFECTS_JSON} as effects`;
  const [row] = await tx.execute<{ effects: CampaignEffectRow[] }[]>(withEffects(sql, fx.fixed), fx.params);
  return row.effects;
}

/** The lot a credit's transaction wrote (a campaign's BONUS lot, for its refund). */
export async function lotOfTransaction(tx: EntityManager, transactionId: string): Promise<string | null> {
  const [row] = await tx.execute<{ id: string }[]>('select l.id::text as id from point_lot l where l.transaction_id = ? and l.points > 0 order by l.id limit 1', [transactionId]);
  return row?.id ?? null;
}
