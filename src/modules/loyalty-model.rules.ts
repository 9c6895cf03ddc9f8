/**
 * A reference model of the loyalty rules (domain.md, decisions.md): one member's tiers and points
 * worked out from all its facts at once, in date order, the plainest way: no ledger rows, no
 * window counters, no history to rebuild. Pure: no I/O, no clock. The model-based test
 * (test/e2e/order-model.test.ts) posts the same facts to the server in random orders, with jobs
 * run early or late, and compares what the server shows with what this returns.
 *
 * Covered: purchases (earning at the tier held at their instant plus the POINTS_MULTIPLIER
 * benefits in force then, by version), qualifying points and the rolling window, upgrades,
 * reviews period by period up to a horizon, refunds (cumulative reversal, dated at the purchase
 * and counting from just after the refund; pending points cancelled first, then the purchase's own lot,
 * then soonest-expiring), pending points, lot expiry, and debits: redemptions (a reward's cost)
 * and negative admin adjustments, dated, each taking soonest-expiring first from the lots
 * spendable at its instant, in date order (a debit never comes up short here: the test gives
 * only debits the points at their instant cover). Not covered: activities, positive admin
 * adjustments and overrides, cancelled redemptions, negative balances (allowNegativeBalance off).
 */
import { addDaysUtc, addMonthsUtc } from '../common/time.rules';
import { basePoints, combineMultipliers, earnedPoints } from './points/points.rules';

export interface ModelRung { code: string; rank: number; qualifyingPoints: number; retainPoints: number; pointsMultiplier: number }
export interface ModelRules {
  pointsPerUnit: number;
  pointsExpiryMonths: number | null;
  pointsPendingDays: number;
  windowMonths: number;
  validityMonths: number;
  policy: 'DROP_ONE' | 'RECALCULATE';
  ladder: ModelRung[];
}
/** A benefit as one of its saved versions was, from `changedAt` on. */
export interface ModelBenefitVersion {
  code: string; version: number; changedAt: Date;
  kind: string; value: number | null; active: boolean; tierCodes: string[]; validFrom: Date | null; validTo: Date | null;
}
export type ModelFact =
  | { kind: 'purchase'; orderId: string; amountCents: number; at: Date }
  | { kind: 'refund'; refundId: string; orderId: string; amountCents: number; at: Date }
  /** A debit of `points`: a redemption of a reward costing that much, or a negative adjustment. */
  | { kind: 'redeem'; id: string; points: number; at: Date }
  | { kind: 'adjust'; id: string; points: number; at: Date };
type PurchaseFact = Extract<ModelFact, { kind: 'purchase' }>;

export interface ModelChange { kind: 'UPGRADE' | 'DOWNGRADE' | 'RENEWAL'; from: string; to: string; qualifyingPoints: number; occurredAt: Date }
export interface ModelMember {
  tier: string;
  tierSince: Date;
  tierExpiresAt: Date | null;
  history: ModelChange[];
  /** Spendable at `now`: active, unexpired. */
  balance: number;
  pending: number;
  lifetime: number;
  /** Q at `now`. */
  qualifying: number;
  /** Spendable points expiring within each of `horizons` days of `now` (expiringPoints(withinDays)). */
  expiring: number[];
  /** Points that expired by `now`: what the lots expired held then. */
  expired: number;
}

interface Entry { occurredAt: number; countsFrom: number; points: number }
interface Lot { orderId: string; earned: number; remaining: number; earnedAt: number; activatesAt: number; expiresAt: number | null }

/**
 * The member as the rules make it from `facts`, with reviews recorded up to `horizon` (the
 * latest review run's asOf, or the member's latest purchase if later), seen at `now`.
 */
export function modelMember(
  rules: ModelRules, benefits: ModelBenefitVersion[], joinedAt: Date, facts: ModelFact[], horizon: Date, now: Date, horizons: number[] = [],
): ModelMember {
  const ladder = [...rules.ladder].sort((a, b) => a.rank - b.rank);
  // Date order; at one instant purchases first, then refunds (a refund follows its purchase), then debits.
  const kindOrder = (f: ModelFact) => (f.kind === 'purchase' ? 0 : f.kind === 'refund' ? 1 : 2);
  const ordered = facts.map((f, i) => ({ f, i })).sort((a, b) =>
    a.f.at.getTime() - b.f.at.getTime() || kindOrder(a.f) - kindOrder(b.f) || a.i - b.i).map((x) => x.f);
  const purchases = ordered.filter((f): f is PurchaseFact => f.kind === 'purchase');

  // Qualifying points: a purchase's at its instant; a refund's reversal (cumulative, floored) dated
  // at its purchase, counting from the refund on. Debits move none.
  const entries: Entry[] = [];
  const refunded = new Map<string, number>();
  const reversedQ = new Map<string, number>();
  for (const f of ordered) {
    if (f.kind !== 'purchase' && f.kind !== 'refund') continue;
    const p = purchases.find((x) => x.orderId === f.orderId)!;
    const q = basePoints(p.amountCents, rules.pointsPerUnit);
    if (f.kind === 'purchase') {
      entries.push({ occurredAt: f.at.getTime(), countsFrom: f.at.getTime(), points: q });
    } else {
      const total = (refunded.get(f.orderId) ?? 0) + f.amountCents;
      refunded.set(f.orderId, total);
      const cumulative = Math.floor((q * total) / p.amountCents);
      const reversal = cumulative - (reversedQ.get(f.orderId) ?? 0);
      reversedQ.set(f.orderId, cumulative);
      entries.push({ occurredAt: p.at.getTime(), countsFrom: f.at.getTime() + 1, points: -reversal }); // from the millisecond after the refund
    }
  }
  const qAt = (t: number) => {
    const start = addMonthsUtc(new Date(t), -rules.windowMonths).getTime();
    return Math.max(0, entries.filter((e) => e.occurredAt > start && e.occurredAt <= t && e.countsFrom <= t).reduce((s, e) => s + e.points, 0));
  };

  // Tiers: walk the instants of purchases and expiries in order.
  let rank = 0;
  let since = joinedAt.getTime();
  let expires: number | null = null;
  const history: ModelChange[] = [];
  /** The rank held at each purchase's instant (after that instant's review, before its upgrade). */
  const heldAt = new Map<number, number>();
  const review = (until: number) => {
    while (expires !== null && expires <= until) {
      const e = expires;
      const q = qAt(e);
      const current = ladder[rank];
      let to = rank;
      if (q < current.retainPoints) {
        to = rules.policy === 'DROP_ONE' ? rank - 1 : Math.max(0, ...ladder.filter((t) => t.rank < rank && t.retainPoints <= q).map((t) => t.rank));
      }
      history.push({ kind: to === rank ? 'RENEWAL' : 'DOWNGRADE', from: current.code, to: ladder[to].code, qualifyingPoints: q, occurredAt: new Date(e) });
      if (to !== rank) since = e;
      rank = to;
      expires = to === 0 ? null : addMonthsUtc(new Date(e), rules.validityMonths).getTime();
    }
  };
  const instants = [...new Set(purchases.map((p) => p.at.getTime()))].sort((a, b) => a - b);
  for (const t of instants) {
    review(t);
    heldAt.set(t, rank);
    if (!purchases.some((p) => p.at.getTime() === t && basePoints(p.amountCents, rules.pointsPerUnit) > 0)) continue;
    const q = qAt(t);
    const target = ladder.filter((r) => r.rank > rank && r.qualifyingPoints <= q).at(-1);
    if (!target) continue;
    history.push({ kind: 'UPGRADE', from: ladder[rank].code, to: target.code, qualifyingPoints: q, occurredAt: new Date(t) });
    rank = target.rank;
    since = t;
    expires = addMonthsUtc(new Date(t), rules.validityMonths).getTime();
  }
  review(Math.max(horizon.getTime(), ...instants));

  // Points: each purchase earns at the tier held at its instant plus the benefits then; refunds in date order.
  const lots: Lot[] = [];
  const earnedBy = new Map<string, number>();
  const reversedP = new Map<string, number>();
  const refundedP = new Map<string, number>();
  const spendableAt = (r: number) => (l: Lot) => l.remaining > 0 && l.activatesAt <= r && (l.expiresAt === null || l.expiresAt > r);
  const soonestFirst = (a: Lot, b: Lot) => (a.expiresAt ?? Infinity) - (b.expiresAt ?? Infinity) || a.earnedAt - b.earnedAt;
  for (const f of ordered) {
    if (f.kind === 'redeem' || f.kind === 'adjust') {
      // A debit: soonest-expiring first among the lots spendable at its instant.
      let left = f.points;
      for (const l of lots.filter(spendableAt(f.at.getTime())).sort(soonestFirst)) {
        const take = Math.min(left, l.remaining);
        l.remaining -= take;
        left -= take;
      }
      if (left > 0) throw new Error(`model: debit ${f.id} is ${left} points short at ${f.at.toISOString()}`);
      continue;
    }
    if (f.kind === 'purchase') {
      const tier = ladder[heldAt.get(f.at.getTime())!];
      const multiplier = combineMultipliers(tier.pointsMultiplier, bonusAt(benefits, tier.code, f.at));
      const earned = earnedPoints(f.amountCents, rules.pointsPerUnit, multiplier);
      earnedBy.set(f.orderId, earned);
      const activatesAt = addDaysUtc(f.at, rules.pointsPendingDays);
      const expiresAt = rules.pointsExpiryMonths == null ? null : addMonthsUtc(activatesAt, rules.pointsExpiryMonths).getTime();
      lots.push({ orderId: f.orderId, earned, remaining: earned, earnedAt: f.at.getTime(), activatesAt: activatesAt.getTime(), expiresAt });
      continue;
    }
    const p = purchases.find((x) => x.orderId === f.orderId)!;
    const total = (refundedP.get(f.orderId) ?? 0) + f.amountCents;
    refundedP.set(f.orderId, total);
    const cumulative = Math.floor((earnedBy.get(f.orderId)! * total) / p.amountCents);
    let left = cumulative - (reversedP.get(f.orderId) ?? 0);
    reversedP.set(f.orderId, cumulative);
    const r = f.at.getTime();
    const own = lots.find((l) => l.orderId === f.orderId)!;
    const spendable = spendableAt(r);
    if (own.activatesAt > r) {
      const cancel = Math.min(left, own.remaining);
      own.remaining -= cancel;
      left -= cancel;
    }
    const order = lots.filter(spendable).sort((a, b) => (a === own ? -1 : b === own ? 1 : 0) || soonestFirst(a, b));
    for (const l of order) {
      const take = Math.min(left, l.remaining);
      l.remaining -= take;
      left -= take;
    }
    // What is left is unrecovered (no negative balance in the model).
  }
  const t = now.getTime();
  return {
    tier: ladder[rank].code,
    tierSince: new Date(since),
    tierExpiresAt: expires === null ? null : new Date(expires),
    history,
    balance: lots.filter((l) => l.activatesAt <= t && (l.expiresAt === null || l.expiresAt > t)).reduce((s, l) => s + l.remaining, 0),
    pending: lots.filter((l) => l.activatesAt > t).reduce((s, l) => s + l.remaining, 0),
    lifetime: [...earnedBy.values()].reduce((s, e) => s + e, 0),
    qualifying: qAt(t),
    expiring: horizons.map((days) => lots.filter((l) => l.activatesAt <= t && l.expiresAt !== null && l.expiresAt > t && l.expiresAt <= addDaysUtc(now, days).getTime())
      .reduce((s, l) => s + l.remaining, 0)),
    expired: lots.filter((l) => l.expiresAt !== null && l.expiresAt <= t).reduce((s, l) => s + l.remaining, 0),
  };
}

/** The POINTS_MULTIPLIER bonus for a member on tier `tierCode` at `at`: each benefit as its latest version saved by then. */
export function bonusAt(versions: ModelBenefitVersion[], tierCode: string, at: Date): number {
  const latest = new Map<string, ModelBenefitVersion>();
  for (const v of versions) {
    if (v.changedAt.getTime() > at.getTime()) continue;
    const seen = latest.get(v.code);
    if (!seen || seen.version < v.version) latest.set(v.code, v);
  }
  const parts = [...latest.values()].filter((v) => v.kind === 'POINTS_MULTIPLIER' && v.active && v.value != null
    && (!v.validFrom || v.validFrom.getTime() <= at.getTime()) && (!v.validTo || v.validTo.getTime() > at.getTime())
    && (v.tierCodes.length === 0 || v.tierCodes.includes(tierCode))).map((v) => v.value!);
  return parts.length ? combineMultipliers(...parts) : 0;
}
