/**
 * RFM scoring, lifecycle classification and a member's purchase facts as pure functions: the
 * reference the set-based SQL of the refresh (retention.service) is tested against.
 */
import { addDaysUtc } from '../../common/time.rules';
import { localDayNumber } from '../../common/local-time.rules';

export type RfmSegment =
  | 'IMPORTANT_VALUE' | 'IMPORTANT_DEVELOP' | 'IMPORTANT_RETAIN' | 'IMPORTANT_WINBACK'
  | 'GENERAL_VALUE' | 'GENERAL_DEVELOP' | 'GENERAL_RETAIN' | 'GENERAL_WINBACK';
/** The eight RFM cells, in the order a report lists them (important before general; value, develop, retain, win back). */
export const RFM_SEGMENTS: readonly RfmSegment[] = [
  'IMPORTANT_VALUE', 'IMPORTANT_DEVELOP', 'IMPORTANT_RETAIN', 'IMPORTANT_WINBACK',
  'GENERAL_VALUE', 'GENERAL_DEVELOP', 'GENERAL_RETAIN', 'GENERAL_WINBACK',
];
export type LifecycleStage = 'PROSPECT' | 'NEW' | 'ACTIVE' | 'AT_RISK' | 'DORMANT' | 'CHURNED' | 'REACTIVATED';
/** The stages in a member's lifecycle order (the order a report lists them). */
export const LIFECYCLE_STAGES: readonly LifecycleStage[] = ['PROSPECT', 'NEW', 'ACTIVE', 'AT_RISK', 'DORMANT', 'CHURNED', 'REACTIVATED'];

/**
 * Rank quintiles: score = 1 + floor(5 × (number of strictly worse values) / n). Equal
 * values share a score; in SQL: 1 + floor(5.0 * (rank() over (order by worse-first) - 1) / count(*) over ()).
 */
export function quintileScores(values: number[], higherIsBetter: boolean): number[] {
  const n = values.length;
  const sorted = [...values].sort((a, b) => (higherIsBetter ? a - b : b - a));
  const worseCount = (v: number) => {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (higherIsBetter ? sorted[mid] < v : sorted[mid] > v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return values.map((v) => 1 + Math.floor((5 * worseCount(v)) / n));
}

/** The eight-cell cube: each of R, F, M high or low against the programme mean. */
export function rfmSegment(rHigh: boolean, fHigh: boolean, mHigh: boolean): RfmSegment {
  const value = mHigh ? 'IMPORTANT' : 'GENERAL';
  const kind = rHigh && fHigh ? 'VALUE' : rHigh ? 'DEVELOP' : fHigh ? 'RETAIN' : 'WINBACK';
  return `${value}_${kind}` as RfmSegment;
}

export interface RfmInput { recencyDays: number; frequency: number; monetaryCents: number }

/** Scores buying members: R by recency (fewer days is better), F, M by quintile; cells by raw values vs the means. */
export function scoreRfm<T extends RfmInput>(rows: T[]): (T & { r: number; f: number; m: number; segment: RfmSegment })[] {
  const mean = (k: keyof RfmInput) => rows.reduce((s, r) => s + r[k], 0) / rows.length;
  const [mr, mf, mm] = [mean('recencyDays'), mean('frequency'), mean('monetaryCents')];
  const r = quintileScores(rows.map((x) => x.recencyDays), false);
  const f = quintileScores(rows.map((x) => x.frequency), true);
  const m = quintileScores(rows.map((x) => x.monetaryCents), true);
  return rows.map((x, i) => ({
    ...x, r: r[i], f: f[i], m: m[i],
    segment: rfmSegment(x.recencyDays < mr, x.frequency >= mf, x.monetaryCents >= mm),
  }));
}

export interface LifecycleThresholds { newDays: number; activeDays: number; atRiskDays: number; dormantDays: number }
export const DEFAULT_LIFECYCLE_THRESHOLDS: LifecycleThresholds = { newDays: 30, activeDays: 90, atRiskDays: 180, dormantDays: 365 };

/**
 * PROSPECT: no purchase yet. NEW: first purchase within newDays. REACTIVATED: the last purchase
 * within newDays, after a gap longer than atRiskDays before it (they had gone dormant; a second
 * purchase within newDays makes them ACTIVE: the gap before the last is short). Otherwise by days
 * since the last purchase: ACTIVE ≤ activeDays < AT_RISK ≤ atRiskDays < DORMANT ≤ dormantDays < CHURNED.
 */
export function classifyStage(
  p: { firstPurchaseDay: number | null; lastPurchaseDay: number | null; previousPurchaseDay: number | null; asOfDay: number },
  t: LifecycleThresholds = DEFAULT_LIFECYCLE_THRESHOLDS,
): LifecycleStage {
  if (p.firstPurchaseDay == null || p.lastPurchaseDay == null) return 'PROSPECT';
  const recency = p.asOfDay - p.lastPurchaseDay;
  if (p.asOfDay - p.firstPurchaseDay <= t.newDays) return 'NEW';
  if (recency <= t.newDays && p.previousPurchaseDay != null && p.lastPurchaseDay - p.previousPurchaseDay > t.atRiskDays) return 'REACTIVATED';
  if (recency <= t.activeDays) return 'ACTIVE';
  if (recency <= t.atRiskDays) return 'AT_RISK';
  if (recency <= t.dormantDays) return 'DORMANT';
  return 'CHURNED';
}

/** The lifecycle thresholds in the order they must rise. */
export const THRESHOLD_ORDER: readonly (keyof LifecycleThresholds)[] = ['newDays', 'activeDays', 'atRiskDays', 'dormantDays'];

/** Thresholds must be positive and strictly rising; returns the offending field or null. */
export function validateThresholds(t: LifecycleThresholds): keyof LifecycleThresholds | null {
  for (const [i, k] of THRESHOLD_ORDER.entries()) {
    if (!Number.isInteger(t[k]) || t[k] < 1) return k;
    if (i > 0 && t[k] <= t[THRESHOLD_ORDER[i - 1]]) return k;
  }
  return null;
}

export interface PurchaseRecord {
  occurredAt: Date;
  amountCents: number;
  refunds: readonly { occurredAt: Date; amountCents: number }[];
}

/** What the refresh knows of a buyer as of asOf (days are programme-local day numbers: localDayNumber's). */
export interface PurchaseFacts {
  firstPurchaseDay: number;
  lastPurchaseDay: number;
  previousPurchaseDay: number | null;
  recencyDays: number;
  /** Purchases, and their spend net of refunds, in the 365 days up to asOf. */
  frequency: number;
  monetaryCents: number;
  /** BG/NBD inputs: repeat purchase days, first to last day, first day to asOf's day. */
  x: number;
  tx: number;
  T: number;
}

/**
 * What was still bought as of asOf: each purchase dated by then, net of its refunds dated by
 * then, unless they refunded it in full (then it is none).
 */
function boughtAsOf(purchases: readonly PurchaseRecord[], asOf: Date): { at: number; net: number }[] {
  return purchases.flatMap((p) => {
    if (p.occurredAt.getTime() > asOf.getTime()) return [];
    const refunded = p.refunds.filter((r) => r.occurredAt.getTime() <= asOf.getTime()).reduce((sum, r) => sum + r.amountCents, 0);
    return refunded > 0 && refunded >= p.amountCents ? [] : [{ at: p.occurredAt.getTime(), net: p.amountCents - refunded }];
  });
}

const distinctDays = (bought: readonly { at: number }[], timeZone: string) =>
  [...new Set(bought.map((b) => localDayNumber(new Date(b.at), timeZone)))].sort((a, b) => a - b);

/**
 * The programme-local days (in `timeZone`) a member bought on as of asOf (purchaseFactsAsOf's),
 * distinct and in order: the BG/NBD model's purchase days.
 */
export function purchaseDaysAsOf(purchases: readonly PurchaseRecord[], asOf: Date, timeZone = 'UTC'): number[] {
  return distinctDays(boughtAsOf(purchases, asOf), timeZone);
}

/**
 * A member's purchase facts as of asOf, from purchases and refunds dated by then only: a
 * purchase refunded in full by asOf is none (not in days, frequency, recency or x); a
 * partial refund lowers monetary. Null when nothing was bought by asOf. Days (recency, the
 * first, last and previous purchase day, x, t_x, T) are programme-local days in `timeZone`;
 * frequency and monetary count the 365 × 24 hours before asOf (an interval of instants, like
 * the tier window: no calendar in it).
 */
export function purchaseFactsAsOf(purchases: readonly PurchaseRecord[], asOf: Date, timeZone = 'UTC'): PurchaseFacts | null {
  const yearAgo = addDaysUtc(asOf, -365).getTime();
  const bought = boughtAsOf(purchases, asOf);
  if (!bought.length) return null;
  const days = distinctDays(bought, timeZone);
  const asOfDay = localDayNumber(asOf, timeZone);
  const inYear = bought.filter((b) => b.at > yearAgo);
  const first = days[0];
  const last = days[days.length - 1];
  return {
    firstPurchaseDay: first, lastPurchaseDay: last, previousPurchaseDay: days.length > 1 ? days[days.length - 2] : null,
    recencyDays: asOfDay - last, frequency: inYear.length, monetaryCents: inYear.reduce((sum, b) => sum + b.net, 0),
    x: days.length - 1, tx: last - first, T: asOfDay - first,
  };
}

/** A month's redemption rate: redeemed ÷ earned, null for a month that earned nothing (no rate, rather than 0 or Infinity). */
export function redemptionRate(redeemed: number, earned: number): number | null {
  return earned ? redeemed / earned : null;
}

/** What decides a member's lifecycle stage at any date: when it joined, and its purchases with their refunds. */
export interface MemberLifecycleFacts {
  joinedAt: Date;
  purchases: readonly PurchaseRecord[];
}

/**
 * A member's stage as of asOf from all its facts dated by then (BUILD_SQL's): PROSPECT when it
 * had joined and bought nothing (a purchase refunded in full by then is none); null when it is
 * not classified at all (neither joined nor bought by then).
 */
export function stageAsOf(
  facts: MemberLifecycleFacts, asOf: Date, t: LifecycleThresholds = DEFAULT_LIFECYCLE_THRESHOLDS, timeZone = 'UTC',
): LifecycleStage | null {
  const bought = purchaseFactsAsOf(facts.purchases, asOf, timeZone);
  if (!bought) return facts.joinedAt.getTime() <= asOf.getTime() ? 'PROSPECT' : null;
  return classifyStage({
    firstPurchaseDay: bought.firstPurchaseDay, lastPurchaseDay: bought.lastPurchaseDay,
    previousPurchaseDay: bought.previousPurchaseDay, asOfDay: localDayNumber(asOf, timeZone),
  }, t);
}

/** A move on the lifecycle timeline: from the stage before (null: first classified) to the stage at `at`. */
export interface LifecycleMove { from: LifecycleStage | null; to: LifecycleStage; at: Date }

/**
 * The reference for the lifecycle timeline (docs/retention.md, "The lifecycle timeline"): a
 * member's stage at each refreshed date, from every fact it has whenever the fact arrived, and
 * a move at each date where its stage differs from its latest stage before (null before its
 * first; a date it is not classified at has no move and changes nothing after it).
 */
export function lifecycleTimeline(
  facts: MemberLifecycleFacts, dates: readonly Date[], t: LifecycleThresholds = DEFAULT_LIFECYCLE_THRESHOLDS, timeZone = 'UTC',
): { stages: { at: Date; stage: LifecycleStage | null }[]; moves: LifecycleMove[] } {
  const sorted = [...new Set(dates.map((d) => d.getTime()))].sort((a, b) => a - b).map((ms) => new Date(ms));
  const stages = sorted.map((at) => ({ at, stage: stageAsOf(facts, at, t, timeZone) }));
  const moves: LifecycleMove[] = [];
  let latest: LifecycleStage | null = null;
  for (const { at, stage } of stages) {
    if (stage == null) continue;
    if (stage !== latest) moves.push({ from: latest, to: stage, at });
    latest = stage;
  }
  return { stages, moves };
}

/** lifecycleTransitions(from, to)'s matrix over moves: those dated in [from, to), counted by (from, to) stage. */
export function transitionMatrix(moves: readonly LifecycleMove[], from: Date, to: Date): { from: LifecycleStage | null; to: LifecycleStage; count: number }[] {
  const counts = new Map<string, { from: LifecycleStage | null; to: LifecycleStage; count: number }>();
  for (const m of moves) {
    if (m.at.getTime() < from.getTime() || m.at.getTime() >= to.getTime()) continue;
    const key = `${m.from}>${m.to}`;
    const row = counts.get(key) ?? { from: m.from, to: m.to, count: 0 };
    row.count++;
    counts.set(key, row);
  }
  const order = (s: LifecycleStage | null) => (s == null ? -1 : LIFECYCLE_STAGES.indexOf(s));
  return [...counts.values()].sort((a, b) => order(a.from) - order(b.from) || order(a.to) - order(b.to));
}
