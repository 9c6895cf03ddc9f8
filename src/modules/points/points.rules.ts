/** Pure rules of the points ledger: exact integer arithmetic, no I/O, no clock. */
import { toScaledInt } from '../../common/money';

const SCALE = 10_000n; // pointsPerUnit and multipliers carry at most 4 decimals

/** floor(amount × pointsPerUnit), amount in cents. */
export function basePoints(amountCents: number, pointsPerUnit: number): number {
  return Number((BigInt(amountCents) * toScaledInt(pointsPerUnit)) / (100n * SCALE));
}

/** floor(amount × pointsPerUnit × multiplier), exactly. */
export function earnedPoints(amountCents: number, pointsPerUnit: number, multiplier: number): number {
  return Number((BigInt(amountCents) * toScaledInt(pointsPerUnit) * toScaledInt(multiplier)) / (100n * SCALE * SCALE));
}

export interface Lot { id: string; remaining: number; expiresAt: Date | null; earnedAt: Date }
export interface LotTake { lotId: string; amount: number }

/** Soonest-expiring first; never-expiring last; then oldest, then by id. */
function spendOrder(a: Lot, b: Lot): number {
  const ea = a.expiresAt?.getTime() ?? Infinity;
  const eb = b.expiresAt?.getTime() ?? Infinity;
  if (ea !== eb) return ea - eb;
  const d = a.earnedAt.getTime() - b.earnedAt.getTime();
  return d !== 0 ? d : Number(a.id) - Number(b.id) || a.id.localeCompare(b.id);
}

export function consumeLotsFifo(lots: Lot[], amount: number, opts: { preferLotId?: string; asOf?: Date } = {}): { takes: LotTake[]; shortfall: number } {
  const usable = lots.filter((l) => l.remaining > 0 && !(opts.asOf && l.expiresAt && l.expiresAt <= opts.asOf));
  const ordered = [...usable].sort((a, b) => {
    if (a.id === opts.preferLotId) return -1;
    if (b.id === opts.preferLotId) return 1;
    return spendOrder(a, b);
  });
  const takes: LotTake[] = [];
  let left = amount;
  for (const lot of ordered) {
    if (left <= 0) break;
    const take = Math.min(left, lot.remaining);
    takes.push({ lotId: lot.id, amount: take });
    left -= take;
  }
  return { takes, shortfall: left };
}

export class RefundExceedsPurchaseError extends Error {
  constructor(readonly remainingCents: number) {
    super(`Refund exceeds what remains of the purchase (${remainingCents} cents)`);
  }
}

/**
 * Pro rata and cumulative: after this refund, floor(earned × refundedTotal / original) is
 * reversed in all; this refund reverses that minus what earlier refunds already did, so
 * partial refunds that add up to the whole reverse exactly everything, without drift.
 */
export function refundReversal(input: {
  originalAmountCents: number; refundedBeforeCents: number; refundCents: number;
  earnedPoints: number; qualifyingPoints: number; reversedPointsBefore: number; reversedQualifyingBefore: number;
}): { points: number; qualifying: number } {
  const total = input.refundedBeforeCents + input.refundCents;
  if (total > input.originalAmountCents) throw new RefundExceedsPurchaseError(input.originalAmountCents - input.refundedBeforeCents);
  const share = (n: number) => Number((BigInt(n) * BigInt(total)) / BigInt(input.originalAmountCents));
  return {
    points: share(input.earnedPoints) - input.reversedPointsBefore,
    qualifying: share(input.qualifyingPoints) - input.reversedQualifyingBefore,
  };
}

/**
 * How a refund takes its points back: pending points of the order first (they were never
 * spendable), then spendable lots (the order's own lot first, then soonest-expiring). What
 * is still missing goes negative when allowed, else it is recorded as unrecovered.
 */
export function planRefundDebit(input: {
  reversal: number; pendingForOrder: number; lots: Lot[]; ownLotId?: string; asOf: Date; allowNegativeBalance: boolean;
}): { cancelPending: number; takes: LotTake[]; negative: number; unrecovered: number } {
  const cancelPending = Math.min(input.reversal, Math.max(input.pendingForOrder, 0));
  const { takes, shortfall } = consumeLotsFifo(input.lots, input.reversal - cancelPending, { preferLotId: input.ownLotId, asOf: input.asOf });
  return {
    cancelPending,
    takes,
    negative: input.allowNegativeBalance ? shortfall : 0,
    unrecovered: input.allowNegativeBalance ? 0 : shortfall,
  };
}

/** Expiry counts from activation: pending points' clock starts when they become spendable. */
export function lotExpiry(activatesAt: Date, expiryMonths: number | null, addMonths: (d: Date, m: number) => Date): Date | null {
  return expiryMonths == null ? null : addMonths(activatesAt, expiryMonths);
}

/** Points an activity grants given its daily cap (null = no cap). */
export function dailyCapRemaining(cap: number | null, alreadyToday: number, points: number): number {
  if (cap == null) return points;
  return Math.max(0, Math.min(points, cap - alreadyToday));
}
