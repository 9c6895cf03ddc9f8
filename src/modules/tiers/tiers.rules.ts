/** Pure tier rules: the ladder's shape, upgrades and reviews. No I/O, no clock. */

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

/** The highest tier whose qualifyingPoints ≤ Q, if it is above the current rank (tiers may be skipped). */
export function evaluateUpgrade<T extends Pick<TierRung, 'rank' | 'qualifyingPoints'>>(ladder: T[], currentRank: number, q: number): T | null {
  const reachable = ladder.filter((t) => t.qualifyingPoints <= q && t.rank > currentRank).sort((a, b) => a.rank - b.rank);
  return reachable.at(-1) ?? null;
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
