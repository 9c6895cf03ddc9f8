/**
 * Pure rules of the points ledger (domain.md, "Points"): exact integer arithmetic on cents
 * and scaled rates, no I/O, no clock. The service applies the plans these functions return.
 */
import { AppError, ErrorCode } from '../../common/errors';
import { formatCents, toScaledInt } from '../../common/money';
import { addMonthsUtc } from '../../common/time.rules';

/**
 * Points are stored in int columns (balances, lots, transactions, counters): a write whose
 * points or resulting balance would leave this range is refused as the caller's mistake.
 */
export const MAX_POINTS = 2_147_483_647;
export const MIN_POINTS = -2_147_483_648;
export const fitsPoints = (n: number): boolean => Number.isInteger(n) && n >= MIN_POINTS && n <= MAX_POINTS;

/**
 * What a refund's own campaign and referral reversals add to its key ('refund:<refundId>:campaign:<code>',
 * 'refund:<refundId>:referral:referee', …). A refundId holding one would spell another refund's
 * reversal key (refund 'R:campaign:C' against refund R's reversal of campaign C), and whichever
 * came second failed on the ledger's unique key, on every retry: such a refundId is refused.
 */
export const REVERSAL_KEY_MARKERS = [':campaign:', ':referral:'] as const;
/**
 * A refundId ending so spells, with its own campaign reversal's ':campaign:<code>', the referral
 * reversal of another refund's campaign award ('refund:R:referral' + ':campaign:C' is refund R's
 * 'refund:R' + ':referral:campaign:C'). Ending ':campaign' spells nothing (codes hold no colon).
 */
export const REVERSAL_KEY_END = ':referral';

/**
 * The refund ids an import's refundedAmount makes ('import:<orderId>:<total in cents>'): a
 * client's refundId in that namespace took the id of the refund a later import of the order
 * makes, and that import failed on the ledger's unique key, the whole file, on every run.
 */
export const IMPORT_REFUND_PREFIX = 'import:';
export const importRefundId = (orderId: string, refundedCents: number): string => `${IMPORT_REFUND_PREFIX}${orderId}:${refundedCents}`;

/** Why a client's new refundId is refused (it would spell a key or an id the server makes itself), or null. */
export function refundIdRefusal(refundId: string): string | null {
  const marker = REVERSAL_KEY_MARKERS.find((m) => refundId.includes(m));
  if (marker) return `refundId must not contain "${marker}": the keys of a refund's campaign and referral reversals add it to the refund's own`;
  if (refundId.endsWith(REVERSAL_KEY_END)) return `refundId must not end with "${REVERSAL_KEY_END}": with a campaign reversal's ":campaign:<code>" it spells another refund's referral reversal key`;
  if (refundId.startsWith(IMPORT_REFUND_PREFIX)) return `refundId must not begin with "${IMPORT_REFUND_PREFIX}": the refunds an import's refundedAmount makes are named so`;
  return null;
}

/**
 * The awards a member can take: each whose points, on top of what the member holds (`held`, its
 * account as it is when they are given), leave its balance and its lifetime points within int.
 * The others are passed over, as a birthday gift or a referrer's points the member cannot take
 * are: the event they ride on is still recorded (a campaign's bonus of 2147483647 refused every
 * purchase of its audience). Each is judged on its own: which of them are given is
 * campaign_effects' to decide after this (audience, control arm, limit, budget), so an award that
 * may not be given takes no room from the others. Only when those that fit alone would pass int
 * together (two bonuses of 1.2 billion) are they kept in their order while they fit: the event
 * is recorded, and a later award may be passed over for an earlier one that is then not given
 * (a known limit of such outsized bonuses).
 */
export function awardsThatFit<T extends { points: number }>(awards: readonly T[], held: { balance: number; lifetimeEarned: number }): T[] {
  const fits = (extra: number) => fitsPoints(held.balance + extra) && fitsPoints(held.lifetimeEarned + extra);
  const alone = awards.filter((a) => a.points <= 0 || fits(a.points));
  if (fits(alone.reduce((t, a) => t + Math.max(a.points, 0), 0))) return alone;
  let taken = 0;
  return alone.filter((a) => {
    if (a.points <= 0) return true;
    if (!fits(taken + a.points)) return false;
    taken += a.points;
    return true;
  });
}

/**
 * A write refused because it would carry a member's points past that range: BAD_USER_INPUT on
 * the caller's `field`, as any such refusal, and a class of its own so that a job giving points
 * to many members (birthday gifts) can pass over the one member at the ceiling instead of
 * stopping there for everyone after it.
 */
export class PointsOutOfRangeError extends AppError {
  constructor(field: string) {
    super(ErrorCode.BAD_USER_INPUT, `${field} would take points or a balance beyond ${MAX_POINTS}`, { field });
  }
}

/** pointsPerUnit and multipliers carry at most 4 decimals. */
const RATE_DECIMALS = 4;
const RATE_SCALE = 10n ** BigInt(RATE_DECIMALS);
const CENTS_PER_UNIT = 100n;

function assertCount(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
}

function assertRate(value: number, name: string): void {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a non-negative number, got ${value}`);
}

// ---------------------------------------------------------------------------------------
// Earning

/** Qualifying points of a purchase: floor(amount × pointsPerUnit), amount in cents. */
export function basePoints(amountCents: number, pointsPerUnit: number): number {
  return earnedPoints(amountCents, pointsPerUnit, 1);
}

/**
 * Redeemable points of a purchase: floor(amount × pointsPerUnit × multiplier), computed on
 * integers so that 19.99 × 1.1 × 1.5 = 32.9835 floors to 32, not to a float's neighbour.
 */
export function earnedPoints(amountCents: number, pointsPerUnit: number, multiplier: number): number {
  assertCount(amountCents, 'amountCents');
  assertRate(pointsPerUnit, 'pointsPerUnit');
  assertRate(multiplier, 'multiplier');
  const numerator = BigInt(amountCents) * toScaledInt(pointsPerUnit, RATE_DECIMALS) * toScaledInt(multiplier, RATE_DECIMALS);
  // All factors are non-negative, so BigInt's truncating division is the floor.
  return Number(numerator / (CENTS_PER_UNIT * RATE_SCALE * RATE_SCALE));
}

/**
 * The multiplier a purchase earns at: the tier's multiplier plus benefit bonuses, added at
 * 4 decimals so that 1.1 + 0.2 is 1.3 and not 1.3000000000000003.
 */
export function combineMultipliers(...parts: number[]): number {
  const total = parts.reduce((sum, part) => sum + toScaledInt(part, RATE_DECIMALS), 0n);
  return Number(total) / Number(RATE_SCALE);
}

// ---------------------------------------------------------------------------------------
// Spending

export interface Lot { id: string; remaining: number; expiresAt: Date | null; earnedAt: Date }
export interface LotTake { lotId: string; amount: number }

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const DIGITS = /^\d+$/;

/** Lot ids are bigint serials as strings: numeric order without Number's precision limit; other ids after them. */
export function compareLotIds(a: string, b: string): number {
  const aNumeric = DIGITS.test(a);
  const bNumeric = DIGITS.test(b);
  if (aNumeric && bNumeric) return a.length - b.length || compareText(a, b);
  if (aNumeric !== bNumeric) return aNumeric ? -1 : 1;
  return compareText(a, b);
}

/** Soonest-expiring first so that nothing expires while newer points are spent; never-expiring last. */
function spendOrder(a: Lot, b: Lot): number {
  const expiryA = a.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY;
  const expiryB = b.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY;
  if (expiryA !== expiryB) return expiryA < expiryB ? -1 : 1;
  return a.earnedAt.getTime() - b.earnedAt.getTime() || compareLotIds(a.id, b.id);
}

/** A lot can be spent if it holds points and has not expired at asOf (expiry is inclusive). */
function isSpendable(lot: Lot, asOf: Date | undefined): boolean {
  if (lot.remaining <= 0) return false;
  return !(asOf && lot.expiresAt && lot.expiresAt.getTime() <= asOf.getTime());
}

/**
 * Which lots pay for `amount` points: the preferred lot (a refunded purchase's own lot) first,
 * then soonest-expiring. `shortfall` is what the spendable lots could not cover.
 */
export function consumeLotsFifo(
  lots: Lot[], amount: number, opts: { preferLotId?: string; asOf?: Date } = {},
): { takes: LotTake[]; shortfall: number } {
  assertCount(amount, 'amount');
  const preferred = (lot: Lot): number => (lot.id === opts.preferLotId ? 0 : 1);
  const ordered = lots.filter((lot) => isSpendable(lot, opts.asOf)).sort((a, b) => preferred(a) - preferred(b) || spendOrder(a, b));
  const takes: LotTake[] = [];
  let left = amount;
  for (const lot of ordered) {
    if (left === 0) break;
    const take = Math.min(left, lot.remaining);
    takes.push({ lotId: lot.id, amount: take });
    left -= take;
  }
  return { takes, shortfall: left };
}

// ---------------------------------------------------------------------------------------
// Refunds

/** A refund that would bring the cumulative refunded amount above the purchase. */
export class RefundExceedsPurchaseError extends Error {
  constructor(readonly remainingCents: number) {
    super(`Refund exceeds what remains of the purchase (${formatCents(remainingCents)})`);
    this.name = 'RefundExceedsPurchaseError';
  }
}

export interface RefundReversalInput {
  originalAmountCents: number;
  refundedBeforeCents: number;
  refundCents: number;
  earnedPoints: number;
  qualifyingPoints: number;
  reversedPointsBefore: number;
  reversedQualifyingBefore: number;
}

/**
 * Points and qualifying points one refund reverses. Cumulative, not per refund: after this
 * refund floor(earned × refundedTotal / original) is reversed in all, and this refund takes
 * that minus what earlier refunds took, so partial refunds adding up to the whole reverse
 * exactly what was earned, without rounding drift.
 */
export function refundReversal(input: RefundReversalInput): { points: number; qualifying: number } {
  for (const [name, value] of Object.entries(input) as [string, number][]) assertCount(value, name); // every field is a count
  if (input.originalAmountCents === 0) throw new RangeError('originalAmountCents must be positive');
  if (input.refundCents === 0) throw new RangeError('refundCents must be positive');
  const refundedTotal = input.refundedBeforeCents + input.refundCents;
  if (refundedTotal > input.originalAmountCents) {
    throw new RefundExceedsPurchaseError(Math.max(0, input.originalAmountCents - input.refundedBeforeCents));
  }
  const cumulative = (earned: number): number =>
    Number((BigInt(earned) * BigInt(refundedTotal)) / BigInt(input.originalAmountCents));
  // Never negative: a refund must not credit points even if earlier rows were recorded differently.
  return {
    points: Math.max(0, cumulative(input.earnedPoints) - input.reversedPointsBefore),
    qualifying: Math.max(0, cumulative(input.qualifyingPoints) - input.reversedQualifyingBefore),
  };
}

/**
 * The key of a cancellation's correction: the write whose re-plan moved what a cancelled
 * redemption's debit `debitId` had taken, so that its cancellation gives back more or less
 * (points of a lot that expired while the debit held them stay expired), both transaction ids.
 */
export const cancelReplanKey = (causeId: string, debitId: string): string => `cancel-replan:${causeId}:${debitId}`;

/** The key of a recovery: the cancellation that paid it and the refund reversal it paid, both transaction ids. */
export const recoveryKey = (cancelId: string, reversalId: string): string => `refund-recovery:${cancelId}:${reversalId}`;

/**
 * SQL over a REFUND_REVERSAL row `t` (a refund's own, or a campaign award's) and a debit's row
 * `d`: what `t` still lacks (its unrecovered points less what recoveries keyed
 * recoveryKey(…, t.id) took back since), and whether `d` may have kept it short (`t` dated at or
 * after `d`, or recorded after it: a refund dated before a debit that no longer fitted after it
 * was made on the lots as they were). The points and the campaigns repositories read their
 * reversals with them.
 */
export const reversalOutstanding = (t: string): string => `${t}.unrecovered + coalesce((select sum(x.amount) from point_transaction x
         where x.member_id = ${t}.member_id and x.type = 'REFUND_REVERSAL' and x.idempotency_key like 'refund-recovery:%'
           and split_part(x.idempotency_key, ':', 3) = ${t}.id::text), 0)`;
export const keptShortBy = (t: string, d: string): string => `(${t}.occurred_at >= ${d}.occurred_at or ${t}.id > ${d}.id)`;

/** The recoveries keyed to reversal `t` (SQL over its row): point_transaction_refund_recovery_index finds them by member and reversal. */
const recoveriesOf = (t: string) => `select c.id from point_transaction c where c.member_id = ${t}.member_id and c.type = 'REFUND_REVERSAL'
  and c.idempotency_key like 'refund-recovery:%' and split_part(c.idempotency_key, ':', 3) = ${t}.id::text`;

/** A reversal's takes (SQL over its row `t`): its allocations and its recoveries', one entry per lot, as json [{lotId, amount}] (null: none). */
export const reversalTakes = (t: string) => `(select json_agg(json_build_object('lotId', x.lot_id::text, 'amount', x.amount) order by x.lot_id)
        from (select al.lot_id, sum(al.amount)::int as amount
              from (select a1.lot_id, a1.amount from point_allocation a1 where a1.transaction_id = ${t}.id
                    union all
                    select a2.lot_id, a2.amount from point_allocation a2 where a2.transaction_id in (${recoveriesOf(t)})) al
              group by al.lot_id having sum(al.amount) <> 0) x)`;
/** Whether reversal `t` left a debt lot (SQL). */
export const reversalDebt = (t: string) => `exists (select 1 from point_lot d where d.member_id = ${t}.member_id and d.transaction_id = ${t}.id and d.points < 0)`;

/**
 * What a cancelled debit's points, given back to their lots (`back`), pay of the refunds that
 * could not take back all they reversed because the debit had spent those points (`owed`:
 * oldest first, each with its order and what it still lacks). Each refund takes from the lots
 * its own order earned first, then from the others in the order given; at most what came
 * back. Points the member never lost to a refund are not touched: had the debit never been
 * made, the refund would have found them and taken them then. `usable(lot, at)`: whether the
 * refund, dated `occurredAt`, could take from the lot then (what a re-plan frees: a lot earned
 * after the refund, pending or expired at its instant, is out of its reach); by default every lot.
 */
export function recoveryTakes(
  back: readonly LotTake[], orderOf: ReadonlyMap<string, string>, owed: readonly { refundId: string; orderId: string; outstanding: number; occurredAt?: Date }[],
  usable: (lotId: string, at: Date) => boolean = () => true,
): { refundId: string; takes: LotTake[] }[] {
  const left = back.map((t) => ({ ...t }));
  const out: { refundId: string; takes: LotTake[] }[] = [];
  for (const refund of owed) {
    let need = refund.outstanding;
    const takes: LotTake[] = [];
    const reach = refund.occurredAt ? left.filter((t) => usable(t.lotId, refund.occurredAt!)) : left;
    const ownFirst = [...reach.filter((t) => orderOf.get(t.lotId) === refund.orderId), ...reach.filter((t) => orderOf.get(t.lotId) !== refund.orderId)];
    for (const lot of ownFirst) {
      const take = Math.min(need, lot.amount);
      if (take <= 0) continue;
      lot.amount -= take;
      need -= take;
      takes.push({ lotId: lot.lotId, amount: take });
    }
    if (takes.length) out.push({ refundId: refund.refundId, takes });
  }
  return out;
}

export interface RefundDebitInput {
  /** Redeemable points this refund reverses (refundReversal().points). */
  reversal: number;
  /** The order's points that are still pending (inside pointsPendingDays). */
  pendingForOrder: number;
  /** The member's spendable lots (pending lots excluded). */
  lots: Lot[];
  /** The purchase's own lot, spent first. */
  ownLotId?: string;
  asOf: Date;
  allowNegativeBalance: boolean;
}

export interface RefundDebitPlan {
  /** Pending points of the order that are cancelled (never reached the balance). */
  cancelPending: number;
  /** Points taken from spendable lots: own lot first, then soonest-expiring. */
  takes: LotTake[];
  /** With allowNegativeBalance: how far below zero the balance goes. */
  negative: number;
  /** Without allowNegativeBalance: what could not be recovered (recorded on the transaction). */
  unrecovered: number;
}

/**
 * Where a refund's reversal comes from: pending points first (a refund inside the return
 * window cancels them before touching the balance), then the lots; the rest is either a
 * negative balance or recorded as unrecovered, as the programme allows.
 */
export function planRefundDebit(input: RefundDebitInput): RefundDebitPlan {
  assertCount(input.reversal, 'reversal');
  const cancelPending = Math.min(input.reversal, Math.max(0, input.pendingForOrder));
  const { takes, shortfall } = consumeLotsFifo(input.lots, input.reversal - cancelPending, {
    preferLotId: input.ownLotId, asOf: input.asOf,
  });
  return {
    cancelPending,
    takes,
    negative: input.allowNegativeBalance ? shortfall : 0,
    unrecovered: input.allowNegativeBalance ? 0 : shortfall,
  };
}

// ---------------------------------------------------------------------------------------
// Debts

export interface DebtLot { id: string; remaining: number; earnedAt: Date; activatesAt: Date; expiresAt: Date | null; transactionId: string }
export interface DebtMove { from: string; to: string; amount: number; transactionId: string }

/**
 * Which lots repay which debts by `asOf`: debts (negative lots) oldest first, each from the lots
 * spendable by then in the order they became so, a lot only if it had not expired when it would
 * have repaid (at its activation, or at the debt's start if later). Returns the moves and the
 * lots after them.
 */
export function settleDebtPlan<T extends DebtLot>(lots: T[], asOf: Date): { moves: DebtMove[]; settled: T[] } {
  const settled = lots.map((l) => ({ ...l }));
  const byId = (a: T, b: T) => compareLotIds(a.id, b.id);
  const debts = settled.filter((l) => l.remaining < 0).sort(byId);
  const sources = settled.filter((l) => l.remaining > 0 && l.activatesAt.getTime() <= asOf.getTime())
    .sort((a, b) => a.activatesAt.getTime() - b.activatesAt.getTime() || byId(a, b));
  const moves: DebtMove[] = [];
  for (const d of debts) {
    for (const s of sources) {
      if (d.remaining === 0) break;
      const repaysAt = Math.max(s.activatesAt.getTime(), d.earnedAt.getTime());
      if (s.remaining === 0 || repaysAt > asOf.getTime() || (s.expiresAt && s.expiresAt.getTime() <= repaysAt)) continue;
      const amount = Math.min(s.remaining, -d.remaining);
      s.remaining -= amount;
      d.remaining += amount;
      moves.push({ from: s.id, to: d.id, amount, transactionId: s.transactionId });
    }
  }
  return { moves, settled };
}

// ---------------------------------------------------------------------------------------
// Expiry and activity caps

/**
 * When a lot expires: expiryMonths after it became spendable, because pending points' clock
 * starts at activation. null months = never. Calendar months in UTC, clamped to month end.
 */
export function lotExpiry(
  activatesAt: Date, expiryMonths: number | null, addMonths: (d: Date, months: number) => Date = addMonthsUtc,
): Date | null {
  if (expiryMonths === null) return null;
  if (!Number.isInteger(expiryMonths) || expiryMonths < 0) throw new RangeError(`expiryMonths must be a non-negative integer, got ${expiryMonths}`);
  return addMonths(activatesAt, expiryMonths);
}

/** An activity rule's settings, as an upsert gives them and the table keeps them. */
export interface ActivityRuleSettings { name: string; points: number; qualifyingPoints: number; dailyCap: number | null; active: boolean; memberMayRecord: boolean }

/** Whether an upsert would change nothing of a stored rule (a retry, a console saving what it read): then nothing is written. */
export function sameActivityRule(stored: ActivityRuleSettings, next: ActivityRuleSettings): boolean {
  return stored.name === next.name && stored.points === next.points && stored.qualifyingPoints === next.qualifyingPoints
    && (stored.dailyCap ?? null) === (next.dailyCap ?? null) && stored.active === next.active && stored.memberMayRecord === next.memberMayRecord;
}

/**
 * Points an activity grants given its daily cap (null = no cap) and what the member already
 * earned from that activity that day: the grant is cut to what fits under the cap.
 */
export function dailyCapRemaining(cap: number | null, alreadyToday: number, points: number): number {
  if (cap === null) return points;
  return Math.max(0, Math.min(points, cap - alreadyToday));
}

/**
 * What an activity grants under its rule: the points that fit under the daily cap, and the
 * rule's qualifying points unless the cap took every point the rule gives (a capped activity is
 * recorded with 0 points and 0 qualifying points, `capped`: no ACTIVITY campaign rewards it
 * either). A rule worth 0 points has nothing to cap: its qualifying points are granted every
 * time (an event that counts for tiers without points).
 */
export function activityGrant(
  rule: { points: number; qualifying: number; dailyCap: number | null }, alreadyToday: number,
): { points: number; qualifying: number; capped: boolean } {
  const points = dailyCapRemaining(rule.dailyCap, alreadyToday, rule.points);
  const capped = rule.points > 0 && points === 0;
  return { points, qualifying: capped ? 0 : rule.qualifying, capped };
}

/**
 * The key an activity is stored under. A member's app makes its own keys, so they live in the
 * member's namespace ('member:<id>:<key>'): one member's key never answers another's activity.
 * A back end's (a service's, an admin's) are the programme's, stored as given, except that one
 * beginning with a namespace's prefix ('member:' or 'service:') gets 'service:' before it: a back
 * end's 'member:<id>:k' is then not that member's own 'k'. One-to-one: distinct keys of distinct
 * callers stay distinct.
 */
export function activityKeyOf(role: 'member' | 'service' | 'admin', memberId: string, key: string): string {
  if (role === 'member') return `member:${memberId}:${key}`;
  return key.startsWith('member:') || key.startsWith('service:') ? `service:${key}` : key;
}

// ---------------------------------------------------------------------------------------
// Re-planning debits after a backdated credit

/** Whether a lot is spendable at `at`: activated by then and not expired yet (activatesAt ≤ at < expiresAt). */
export const spendableAt = (lot: { activatesAt: Date; expiresAt: Date | null }, at: Date): boolean =>
  lot.activatesAt.getTime() <= at.getTime() && (lot.expiresAt == null || lot.expiresAt.getTime() > at.getTime());

/** A lot as a re-plan sees it: what it can give (its remaining plus what the re-planned debits had taken from it). */
export interface PlanLot { id: string; capacity: number; earnedAt: Date; activatesAt: Date; expiresAt: Date | null }
/** A re-plan that cannot feed a debit (capacities no plan could feed them all from). */
export class DebitsShortError extends Error {
  constructor(readonly debitId: string, readonly shortfall: number) {
    super(`re-plan of debit ${debitId} is ${shortfall} points short`);
    this.name = 'DebitsShortError';
  }
}

/**
 * A debit to re-plan: its instant and the points it takes (the sum of its takes, which does not
 * change). `cancel`: a cancelled redemption's cancellation (its instant), which
 * gives the debit's takes back at its instant to the lots not past their expiry then (a lot that
 * expired while the debit held it keeps those points expired; `expiredBy`, default `at`: the
 * instant a lot had to outlast, as the cancellation judged it): until then the debit holds them.
 * `held`: a cancelled debit dated before the re-plan, which keeps these takes (they are not in
 * the lots' capacities): only its cancellation is planned, at its instant.
 */
export interface PlanDebit { id: string; at: Date; amount: number; cancel?: { at: Date; expiredBy?: Date } | null; held?: LotTake[] }

/**
 * The takes of `debits` as if they had arrived in date order (then id): each, at its instant,
 * takes soonest-expiring first (spendOrder) among the lots spendable then (activatesAt ≤ at <
 * expiresAt), from what the debits before it left. A backdated credit's lot is one of `lots`:
 * the debits dated after it take from it as they would have, had it arrived first. All the
 * debits after the lot are re-planned, not only those that can take from it: one moving to the
 * new lot frees the lot it took from, which a later debit (which the new lot may not reach)
 * should take instead of a later-expiring one. Earliest-deadline-first in time order is feasible
 * whenever any plan is, so a debit never comes up short against the capacities of a plan that
 * fed them all; a shortfall is a broken ledger (an Error, not a refusal).
 */
export function replanDebits(lots: PlanLot[], debits: PlanDebit[]): Map<string, LotTake[]> {
  return replanTakes(lots, debits, []).plans;
}

/**
 * A refund's reversal to re-plan (its own, with what recoveries took for it since): it takes up
 * to `target` points (what it reversed), as planRefundDebit does at its instant: the pending
 * points of its order's own lot first (cancelled), then that lot, then soonest-expiring among
 * the lots spendable then; what it cannot find stays owed (unrecovered).
 */
export interface PlanRefund {
  id: string; at: Date; target: number; ownLotId: string | null;
  /** A campaign award's reversal (its own lot the award's BONUS lot): a cancellation's return pays the refunds' own reversals first (as giveBack's recoverRefunds). */
  award?: boolean;
}

/**
 * replanDebits with refunds among the debits: every debit and refund, in date order (then id),
 * takes from what those before it left, a debit as replanDebits says (it must fit: a shortfall
 * is DebitsShortError), a refund as PlanRefund says, a cancellation as PlanDebit's `cancel` says
 * (`returns`: what each cancelled debit gives back, by the debit's id, as negative takes), and
 * what it gives back pays first what the refunds it kept short lack (as giveBack's
 * recoverRefunds, in date order: those dated at or after the debit; their own lot first, from
 * lots spendable at the refund's instant).
 * `owed`: what each refund could not find. A cancellation dated before its debit is a broken
 * input (an Error).
 */
export function replanTakes(lots: PlanLot[], debits: PlanDebit[], refunds: PlanRefund[]): {
  plans: Map<string, LotTake[]>; owed: Map<string, number>; returns: Map<string, LotTake[]>;
} {
  const left = new Map(lots.map((l) => [l.id, l.capacity]));
  type Item = { debit: PlanDebit | null; refund: PlanRefund | null; returnOf: PlanDebit | null; id: string; at: Date };
  const items: Item[] = [
    ...debits.filter((d) => !d.held).map((d) => ({ debit: d, refund: null, returnOf: null, id: d.id, at: d.at })),
    ...debits.flatMap((d) => (d.cancel ? [{ debit: null, refund: null, returnOf: d, id: d.id, at: d.cancel.at }] : [])),
    ...refunds.map((r) => ({ debit: null, refund: r, returnOf: null, id: r.id, at: r.at })),
  ].sort((a, b) => a.at.getTime() - b.at.getTime() || compareLotIds(a.id, b.id) || Number(a.returnOf != null) - Number(b.returnOf != null));
  const plans = new Map<string, LotTake[]>();
  const owed = new Map<string, number>();
  const returns = new Map<string, LotTake[]>();
  const take = (takes: LotTake[]) => {
    for (const t of takes) left.set(t.lotId, left.get(t.lotId)! - t.amount);
  };
  const lotOf = new Map(lots.map((l) => [l.id, l]));
  for (const { debit, refund, returnOf, at } of items) {
    const t = at.getTime();
    const spendable = () => lots.filter((l) => spendableAt(l, at)).map((l) => ({ ...l, remaining: left.get(l.id)! }));
    if (returnOf) {
      // A cancellation: what its debit took goes back to the lots not past their expiry now (negative takes).
      const held = returnOf.held ?? plans.get(returnOf.id);
      if (!held) throw new Error(`the cancellation of debit ${returnOf.id} is dated before it`);
      const by = (returnOf.cancel!.expiredBy ?? returnOf.cancel!.at).getTime();
      const back = held.filter((x) => {
        const lot = lotOf.get(x.lotId)!;
        return lot.expiresAt == null || lot.expiresAt.getTime() > by;
      }).map((x) => ({ lotId: x.lotId, amount: -x.amount }));
      take(back);
      returns.set(returnOf.id, back);
      // As the cancellation does (PointsService.giveBack): the refunds the debit kept short take what
      // they lack from what came back, their own reversals then their awards', each oldest first, their own lot first. In date order those are the
      // refunds dated at or after the debit (one dated before it took what it found before the debit was made).
      const pool = back.map((x) => ({ lotId: x.lotId, amount: -x.amount }));
      const kept = refunds.filter((r) => (owed.get(r.id) ?? 0) > 0 && r.at.getTime() >= returnOf.at.getTime())
        .sort((a, b) => Number(a.award ?? false) - Number(b.award ?? false) || a.at.getTime() - b.at.getTime() || compareLotIds(a.id, b.id));
      for (const r of kept) {
        let need = owed.get(r.id)!;
        const got: LotTake[] = [];
        // Only from lots spendable at the refund's own instant (as recoverRefunds' `usable`): never one earned after it.
        const reach = pool.filter((p) => spendableAt(lotOf.get(p.lotId)!, r.at));
        for (const x of [...reach.filter((p) => p.lotId === r.ownLotId), ...reach.filter((p) => p.lotId !== r.ownLotId)]) {
          const n = Math.min(need, x.amount);
          if (n <= 0) continue;
          x.amount -= n;
          need -= n;
          got.push({ lotId: x.lotId, amount: n });
        }
        take(got);
        plans.set(r.id, mergeTakes([...plans.get(r.id)!, ...got]));
        owed.set(r.id, need);
      }
      continue;
    }
    if (debit) {
      assertCount(debit.amount, 'amount');
      const { takes, shortfall } = consumeLotsFifo(spendable(), debit.amount);
      if (shortfall > 0) throw new DebitsShortError(debit.id, shortfall);
      take(takes);
      plans.set(debit.id, takes);
      continue;
    }
    const r = refund;
    if (!r) continue;
    assertCount(r.target, 'target');
    const takes: LotTake[] = [];
    const own = r.ownLotId == null ? undefined : lots.find((l) => l.id === r.ownLotId);
    if (own && own.activatesAt.getTime() > t) {
      const cancel = Math.min(r.target, Math.max(left.get(own.id)!, 0));
      if (cancel > 0) takes.push({ lotId: own.id, amount: cancel });
      take(takes);
    }
    const need = r.target - takes.reduce((s, x) => s + x.amount, 0);
    const { takes: more, shortfall } = consumeLotsFifo(spendable(), need, { preferLotId: r.ownLotId ?? undefined });
    take(more);
    plans.set(r.id, [...takes, ...more]);
    owed.set(r.id, shortfall);
  }
  return { plans, owed, returns };
}

/** Debits with their takes, as replanDebits takes them: each one's amount is the sum of its takes (which a re-plan keeps). */
export function planDebitsOf(debits: readonly { id: string; at: Date; takes: readonly LotTake[]; cancel?: { at: Date; expiredBy?: Date } | null }[]): PlanDebit[] {
  return debits.map((d) => ({
    id: d.id, at: d.at, amount: d.takes.reduce((sum, t) => sum + t.amount, 0), cancel: d.cancel ? { at: d.cancel.at, expiredBy: d.cancel.expiredBy } : null,
  }));
}

/**
 * A re-plan's changed takes, as allocations of each debit's transaction (takeChanges of its old
 * takes and its plan), and what each lot holds more (+) or less (−) after them.
 */
export function replanChanges(debits: readonly { id: string; takes: LotTake[] }[], plans: Map<string, LotTake[]>): {
  rows: { transactionId: string; lotId: string; amount: number }[]; held: Map<string, number>;
} {
  const rows = debits.flatMap((d) => takeChanges(d.takes, plans.get(d.id)!).map((t) => ({ transactionId: d.id, ...t })));
  const held = new Map<string, number>();
  for (const r of rows) held.set(r.lotId, (held.get(r.lotId) ?? 0) - r.amount);
  return { rows, held };
}

/** Takes with one entry per lot (their amounts added). */
export function mergeTakes(takes: readonly LotTake[]): LotTake[] {
  const map = new Map<string, number>();
  for (const t of takes) map.set(t.lotId, (map.get(t.lotId) ?? 0) + t.amount);
  return [...map].map(([lotId, amount]) => ({ lotId, amount }));
}

/** What moves from `before` to `after` (one debit's takes): per lot, after − before; positive = taken, negative = given back. */
export function takeChanges(before: LotTake[], after: LotTake[]): LotTake[] {
  const delta = new Map<string, number>();
  for (const t of after) delta.set(t.lotId, (delta.get(t.lotId) ?? 0) + t.amount);
  for (const t of before) delta.set(t.lotId, (delta.get(t.lotId) ?? 0) - t.amount);
  return [...delta].filter(([, amount]) => amount !== 0).map(([lotId, amount]) => ({ lotId, amount }));
}
