/** Pure tier rules: the ladder's shape, upgrades and reviews. No I/O, no clock. */
import { addMonthsUtc } from '../../common/time.rules';

export interface TierRung { id: string; code: string; rank: number; qualifyingPoints: number; retainPoints: number; pointsMultiplier: number }
export type DowngradePolicy = 'DROP_ONE' | 'RECALCULATE';

/** The first thing wrong with a ladder, with the field to blame; null when it is valid. */
export function validateLadder(tiers: TierRung[]): { field: string; message: string } | null {
  const ladder = [...tiers].sort((a, b) => a.rank - b.rank);
  const codes = new Set<string>();
  for (const [i, t] of ladder.entries()) {
    if (codes.has(t.code)) return { field: 'code', message: `Tier code ${t.code} is used twice` };
    codes.add(t.code);
    if (t.rank !== i) return { field: 'rank', message: 'Ranks must be unique and contiguous from 0' };
    if (i === 0 && t.qualifyingPoints !== 0) return { field: 'qualifyingPoints', message: 'The entry tier (rank 0) needs 0 qualifying points' };
    if (i > 0 && t.qualifyingPoints <= ladder[i - 1].qualifyingPoints) {
      return { field: 'qualifyingPoints', message: 'qualifyingPoints must rise with rank' };
    }
    if (t.retainPoints > t.qualifyingPoints) return { field: 'retainPoints', message: 'retainPoints must not exceed qualifyingPoints' };
    if (i > 0 && t.retainPoints < ladder[i - 1].retainPoints) return { field: 'retainPoints', message: 'retainPoints must not fall with rank' };
    if (t.pointsMultiplier < 1) return { field: 'pointsMultiplier', message: 'pointsMultiplier must be at least 1' };
  }
  return null;
}

/**
 * Every tier's rank once `code` takes `rank` in the ladder (keyed by code): the others keep their
 * order, closing up where it was and making room where it goes, so a tier added at an occupied
 * rank goes between two (those from that rank on move up one) and a tier given another rank
 * moves there. A rank outside the ladder (below 0, or beyond its end) moves nobody else:
 * validateLadder then says what is wrong.
 */
export function placeAtRank(ladder: readonly Pick<TierRung, 'code' | 'rank'>[], code: string, rank: number): Map<string, number> {
  const others = ladder.filter((t) => t.code !== code).sort((a, b) => a.rank - b.rank);
  const distinct = others.every((t, i) => i === 0 || t.rank !== others[i - 1].rank);
  if (!Number.isInteger(rank) || rank < 0 || rank > others.length || !distinct) {
    return new Map([...ladder.map((t) => [t.code, t.rank] as const), [code, rank]]);
  }
  const order = [...others.slice(0, rank).map((t) => t.code), code, ...others.slice(rank).map((t) => t.code)];
  return new Map(order.map((c, i) => [c, i]));
}

/** The highest tier whose qualifyingPoints ≤ Q, if it is above the current rank (tiers may be skipped). */
export function evaluateUpgrade<T extends Pick<TierRung, 'rank' | 'qualifyingPoints'>>(ladder: T[], currentRank: number, q: number): T | null {
  const reachable = ladder.filter((t) => t.qualifyingPoints <= q && t.rank > currentRank).sort((a, b) => a.rank - b.rank);
  return reachable.at(-1) ?? null;
}

/**
 * evaluateUpgrade as a table, for a decision made away from this code (a purchase's single
 * statement, purchase_at_once): for each tier, the window sums at which the upgrade from it
 * changes, and where each leads. evaluateUpgrade(ladder, rank, q) is the `to` of the step from
 * that tier with the largest `at` ≤ q, or null when there is none: the tiers with
 * qualifyingPoints ≤ q are those with qualifyingPoints ≤ the largest threshold ≤ q.
 */
export function upgradeSteps<T extends Pick<TierRung, 'id' | 'rank' | 'qualifyingPoints'>>(ladder: readonly T[]): { from: string; at: number; to: string }[] {
  return ladder.flatMap((from) => {
    const thresholds = [...new Set(ladder.filter((t) => t.rank > from.rank).map((t) => t.qualifyingPoints))].sort((a, b) => a - b);
    return thresholds.map((at) => ({ from: from.id, at, to: evaluateUpgrade([...ladder], from.rank, at)!.id }));
  });
}

/**
 * The review at expiry: renewed when Q ≥ retainPoints of the current tier; otherwise
 * DROP_ONE goes one rank down and RECALCULATE to the highest tier whose retainPoints ≤ Q
 * (never above the current one). The SQL review (tier-engine.service) implements the same.
 */
export function reviewDecision(ladder: Pick<TierRung, 'rank' | 'retainPoints'>[], currentRank: number, q: number, policy: DowngradePolicy): { kind: 'RENEWAL' | 'DOWNGRADE'; toRank: number } {
  const current = ladder.find((t) => t.rank === currentRank);
  if (!current || currentRank === 0) throw new Error('the entry tier is never reviewed');
  if (q >= current.retainPoints) return { kind: 'RENEWAL', toRank: currentRank };
  if (policy === 'DROP_ONE') return { kind: 'DOWNGRADE', toRank: currentRank - 1 };
  const supported = ladder.filter((t) => t.retainPoints <= q && t.rank < currentRank).map((t) => t.rank);
  return { kind: 'DOWNGRADE', toRank: supported.length ? Math.max(...supported) : 0 };
}

// ---------------------------------------------------------------------------------------
// The tier history as a function of the facts

export interface TierTimingRules { windowMonths: number; validityMonths: number; policy: DowngradePolicy }
/** Qualifying points dated `occurredAt` (their place in windows) that count from `countsFrom` on (a refund's reversal: just after the refund's instant, reversalCountsFrom). */
export interface QualifyingFact { occurredAt: Date; countsFrom: Date; points: number }
/**
 * The instant a refund's qualifying reversal counts from: the millisecond after the refund's
 * (instants are kept to the millisecond), so that what was decided at the refund's own instant
 * was decided without it. A refund dated at its purchase's instant (a till that stamps both in
 * the same second; an undated refund of a purchase dated ahead of the server's clock) leaves
 * that purchase's upgrade in place, and a review due at the refund's instant stands: a refund
 * never moves a tier by itself (domain.md); the next decision sees it.
 */
export const reversalCountsFrom = (refundAt: Date): Date => new Date(refundAt.getTime() + 1);
export interface TierState { rank: number; since: Date; expiresAt: Date | null }
/** An admin override at `at`: to `toRank` until `expiresAt`. */
export interface TierOverride { at: Date; toRank: number; expiresAt: Date | null; reason: string }
export type TimelineChangeKind = 'UPGRADE' | 'DOWNGRADE' | 'RENEWAL';
export interface TimelineChange {
  kind: TimelineChangeKind;
  fromRank: number;
  toRank: number;
  reason: string;
  qualifyingPoints: number;
  occurredAt: Date;
  expiresAt: Date | null;
  /** An upgrade by qualifying points (not an override): it follows the purchases of its instant. */
  byPoints: boolean;
}

export const UPGRADE_REASON = 'qualifying points reached';
export const RENEWAL_REASON = 'retained at review';
export const DOWNGRADE_REASON = 'review: below retain points';
export const OVERRIDE_PREFIX = 'override: ';
/**
 * The reason of an opening tier a bulk import hands over from an old programme: like an
 * override, a rebuild of the member's history keeps it at its instant (the facts alone would
 * not give it).
 */
export const IMPORT_REASON = 'import';
/** Whether a recorded change is one a rebuild keeps as it is (an admin override or an imported opening tier). */
export const isOverrideReason = (reason: string): boolean => reason.startsWith(OVERRIDE_PREFIX) || reason === IMPORT_REASON;

/** A tier of the ladder as a rebuild reads recorded changes with it: its id and rank. */
export interface LadderRung { id: string; rank: number }
/** A recorded tier change as a rebuild reads it. */
export interface RecordedChange { fromTierId: string | null; toTierId: string; reason: string; occurredAt: Date; expiresAt: Date | null }
/** What a rebuild knows of the member before its `from`: its row, the last change before `from`, and how far its facts reach. */
export interface TierBefore {
  tierId: string; since: Date; expiresAt: Date | null; joinedAt: Date;
  prevTierId: string | null; prevExpiresAt: Date | null; prevSince: Date | null;
  horizon: Date;
}

/**
 * The state held just before a rebuild's `from`: the last change before it; with none, the tier
 * the first later change started from; with no history at all, the member row (data loaded
 * around the app).
 */
export function stateBefore(ladder: readonly LadderRung[], m: TierBefore, old: readonly RecordedChange[]): TierState {
  const rank = (id: string) => ladder.find((t) => t.id === id)!.rank;
  if (m.prevTierId) return { rank: rank(m.prevTierId), since: m.prevSince ?? m.joinedAt, expiresAt: m.prevExpiresAt };
  if (old.length) return { rank: old[0].fromTierId ? rank(old[0].fromTierId) : 0, since: m.joinedAt, expiresAt: null };
  return { rank: rank(m.tierId), since: m.since, expiresAt: m.expiresAt };
}

/** The admin overrides (and imported opening tiers) among the recorded changes: a rebuild keeps them. */
export function overridesIn(ladder: readonly LadderRung[], old: readonly RecordedChange[]): TierOverride[] {
  return old.filter((c) => isOverrideReason(c.reason))
    .map((c) => ({ at: c.occurredAt, toRank: ladder.find((t) => t.id === c.toTierId)!.rank, expiresAt: c.expiresAt, reason: c.reason }));
}

/**
 * How far a rebuild records reviews: the member's horizon, and never short of what is recorded.
 * A run as of a future date recorded reviews at instants still ahead (its tier_reviewed_through
 * stops at the moment it ran). A rebuild decides those reviews again on the facts; dropping them
 * would put the member back on the tier they took away, and no change would say so (the
 * downgrade was pushed, its undoing would not be).
 */
export function horizonOf(m: { horizon: Date }, old: readonly { occurredAt: Date }[]): Date {
  return new Date(Math.max(m.horizon.getTime(), ...old.map((c) => c.occurredAt.getTime())));
}

/** Q at `at`: points dated in (at − window, at] that count by `at`, never below 0. */
export function qualifyingAt(facts: QualifyingFact[], at: Date, windowMonths: number): number {
  const start = addMonthsUtc(at, -windowMonths).getTime();
  const t = at.getTime();
  let q = 0;
  for (const f of facts) {
    const d = f.occurredAt.getTime();
    if (d > start && d <= t && f.countsFrom.getTime() <= t) q += f.points;
  }
  return Math.max(0, q);
}

/**
 * A member's tier changes from `from` on, as the rules make them from the facts whatever order
 * they arrived in (domain.md, "Tiers"), starting from the state held just before `from`:
 *   - at each instant, first the review due then (E = tierExpiresAt ≤ the instant, period by
 *     period, Q counted at E), then an override made then, then one upgrade check over all the
 *     qualifying points of that instant (Q at t; tiers may be skipped);
 *   - upgrade checks happen at the instants of positive qualifying points (Q rises only there);
 *   - reviews are recorded up to `horizon` (the reviews run so far, or the member's latest write).
 */
export function tierTimeline(input: {
  ladder: Pick<TierRung, 'rank' | 'qualifyingPoints' | 'retainPoints'>[];
  rules: TierTimingRules;
  start: TierState;
  from: Date;
  facts: QualifyingFact[];
  overrides: TierOverride[];
  horizon: Date;
}): { changes: TimelineChange[]; state: TierState } {
  const { ladder, rules, from, facts } = input;
  const changes: TimelineChange[] = [];
  let state = { ...input.start };
  const reviewThrough = (t: number) => {
    while (state.expiresAt && state.expiresAt.getTime() <= t) {
      const e = state.expiresAt;
      const q = qualifyingAt(facts, e, rules.windowMonths);
      const d = reviewDecision(ladder, state.rank, q, rules.policy);
      const next = d.toRank === 0 ? null : addMonthsUtc(e, rules.validityMonths);
      changes.push({
        kind: d.kind, fromRank: state.rank, toRank: d.toRank, reason: d.kind === 'RENEWAL' ? RENEWAL_REASON : DOWNGRADE_REASON,
        qualifyingPoints: q, occurredAt: e, expiresAt: next, byPoints: false,
      });
      state = { rank: d.toRank, since: d.kind === 'RENEWAL' ? state.since : e, expiresAt: next };
    }
  };
  const instants = new Map<number, { checks: boolean; overrides: TierOverride[] }>();
  const at = (t: number) => instants.get(t) ?? instants.set(t, { checks: false, overrides: [] }).get(t)!;
  for (const f of facts) if (f.points > 0 && f.occurredAt >= from) at(f.occurredAt.getTime()).checks = true;
  for (const o of input.overrides) if (o.at >= from) at(o.at.getTime()).overrides.push(o);
  for (const t of [...instants.keys()].sort((a, b) => a - b)) {
    reviewThrough(t);
    const when = new Date(t);
    const { checks, overrides } = instants.get(t)!;
    for (const o of overrides) {
      const q = qualifyingAt(facts, when, rules.windowMonths);
      const kind: TimelineChangeKind = o.toRank > state.rank ? 'UPGRADE' : o.toRank < state.rank ? 'DOWNGRADE' : 'RENEWAL';
      const expiresAt = o.toRank === 0 ? null : o.expiresAt;
      changes.push({ kind, fromRank: state.rank, toRank: o.toRank, reason: o.reason, qualifyingPoints: q, occurredAt: when, expiresAt, byPoints: false });
      state = { rank: o.toRank, since: kind === 'RENEWAL' ? state.since : when, expiresAt };
    }
    if (!checks) continue;
    const q = qualifyingAt(facts, when, rules.windowMonths);
    const target = evaluateUpgrade(ladder, state.rank, q);
    if (!target) continue;
    const expiresAt = addMonthsUtc(when, rules.validityMonths);
    changes.push({ kind: 'UPGRADE', fromRank: state.rank, toRank: target.rank, reason: UPGRADE_REASON, qualifyingPoints: q, occurredAt: when, expiresAt, byPoints: true });
    state = { rank: target.rank, since: when, expiresAt };
  }
  reviewThrough(Math.max(input.horizon.getTime(), from.getTime()));
  return { changes, state };
}

/**
 * The rank a member holds at `at` for earning: after the reviews and overrides of that instant,
 * before its upgrade by points (the purchase that upgrades earns at the old tier's multiplier).
 */
export function rankHeldAt(start: TierState, changes: TimelineChange[], at: Date): number {
  let rank = start.rank;
  for (const c of changes) {
    const t = c.occurredAt.getTime();
    if (t > at.getTime() || (t === at.getTime() && c.byPoints)) break;
    rank = c.toRank;
  }
  return rank;
}

/** A member's progress as tierProgress shows it: Q now, what the next rung still takes, what keeping the tier still takes. */
export interface TierProgressFigures { qualifyingPoints: number; nextTierId: string | null; pointsToNextTier: number | null; pointsToRetain: number }

/**
 * Tier progress from the member's counts: `qNow`, the qualifying points in the window ending
 * now; `qKept`, those in the window ending at tierExpiresAt that are already earned (they
 * still count at the review). Nothing to retain on the entry tier or without an expiry.
 */
export function tierProgressOf(
  current: Pick<TierRung, 'rank' | 'retainPoints'>, next: Pick<TierRung, 'id' | 'qualifyingPoints'> | null,
  counts: { qNow: number; qKept: number; hasExpiry: boolean },
): TierProgressFigures {
  const q = Math.max(0, counts.qNow);
  return {
    qualifyingPoints: q,
    nextTierId: next?.id ?? null,
    pointsToNextTier: next ? Math.max(0, next.qualifyingPoints - q) : null,
    pointsToRetain: current.rank === 0 || !counts.hasExpiry ? 0 : Math.max(0, current.retainPoints - Math.max(0, counts.qKept)),
  };
}

/**
 * Whether an admin override would leave the member as it is: the tier it holds, until the instant
 * it is already held to (the entry tier: no expiry either way). Such an override (a console's
 * second click, a retry whose first answer was lost) writes nothing: no RENEWAL, no push, no
 * webhook event, no audit entry. An override that moves the expiry is a renewal, as before.
 */
export function overrideChangesNothing(held: { tierId: string; expiresAt: Date | string | null }, wanted: { tierId: string; until: Date | null }): boolean {
  if (held.tierId !== wanted.tierId) return false;
  const had = held.expiresAt == null ? null : new Date(held.expiresAt).getTime();
  return had === (wanted.until == null ? null : wanted.until.getTime());
}
