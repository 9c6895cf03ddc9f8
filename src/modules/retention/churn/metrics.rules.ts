/**
 * How well scores tell positives from negatives (a churn model's backtest): area under the ROC
 * curve, Gini and Kolmogorov–Smirnov. Pure functions, no I/O.
 */

/** Area under the ROC curve of `scores` for `positives` (ties count half), O(n log n). */
export function auc(scores: number[], positives: boolean[]): number {
  const idx = scores.map((_, i) => i).sort((i, j) => scores[i] - scores[j]);
  let rankSumPos = 0;
  let nPos = 0;
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j < idx.length && scores[idx[j]] === scores[idx[i]]) j++;
    const avgRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (positives[idx[k]]) { rankSumPos += avgRank; nPos++; }
    i = j;
  }
  const nNeg = scores.length - nPos;
  if (!nPos || !nNeg) return 0.5;
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/** Gini = 2 · AUC − 1: 0 for scores no better than chance, 1 for a perfect ranking. */
export const gini = (scores: number[], positives: boolean[]) => 2 * auc(scores, positives) - 1;

/** Kolmogorov–Smirnov: the largest gap between the score distributions of positives and negatives. */
export function ksStatistic(scores: number[], positives: boolean[]): number {
  const idx = scores.map((_, i) => i).sort((i, j) => scores[i] - scores[j]);
  const nPos = positives.filter(Boolean).length;
  const nNeg = scores.length - nPos;
  if (!nPos || !nNeg) return 0;
  let cPos = 0;
  let cNeg = 0;
  let ks = 0;
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j < idx.length && scores[idx[j]] === scores[idx[i]]) {
      if (positives[idx[j]]) cPos++;
      else cNeg++;
      j++;
    }
    ks = Math.max(ks, Math.abs(cPos / nPos - cNeg / nNeg));
    i = j;
  }
  return ks;
}

/** A score shared by `positives` + `negatives` members (grouped rows: one per distinct tuple and label). */
export interface ScoredGroup { score: number; positives: number; negatives: number }

/** Groups of equal score merged, in rising score order. */
function byScore(groups: readonly ScoredGroup[]): ScoredGroup[] {
  const sorted = [...groups].sort((p, q) => p.score - q.score);
  const merged: ScoredGroup[] = [];
  for (const g of sorted) {
    const last = merged[merged.length - 1];
    if (last && last.score === g.score) {
      last.positives += g.positives;
      last.negatives += g.negatives;
    } else {
      merged.push({ ...g });
    }
  }
  return merged;
}

/** What one ranking of grouped rows scores: Gini (2 · AUC − 1) and K-S. */
export interface GroupedFigures { gini: number; ks: number }

/**
 * auc() and ksStatistic() over grouped rows: the same figures as over their members one by
 * one, sorting only the groups, once.
 */
export function groupedFigures(groups: readonly ScoredGroup[]): GroupedFigures & { auc: number } {
  const merged = byScore(groups);
  return figuresAscending(merged.map((g) => g.positives), merged.map((g) => g.negatives));
}

/** The figures of groups in rising score order, each with its positives and negatives (as many of each). */
function figuresAscending(positives: ArrayLike<number>, negatives: ArrayLike<number>): GroupedFigures & { auc: number } {
  let nPos = 0;
  let nNeg = 0;
  for (let k = 0; k < positives.length; k++) {
    nPos += positives[k];
    nNeg += negatives[k];
  }
  let below = 0; // negatives with a lower score
  let wins = 0;
  let cPos = 0;
  let ks = 0;
  for (let k = 0; k < positives.length; k++) {
    wins += positives[k] * (below + negatives[k] / 2);
    below += negatives[k];
    cPos += positives[k];
    if (nPos && nNeg) ks = Math.max(ks, Math.abs(cPos / nPos - below / nNeg));
  }
  const auc = nPos && nNeg ? wins / (nPos * nNeg) : 0.5;
  return { auc, gini: 2 * auc - 1, ks };
}

/** The distinct values, ascending (a new array; NaN never expected: callers pass finite numbers). */
export function distinctAscending(values: ArrayLike<number>): Float64Array {
  const sorted = Float64Array.from(values).sort(); // a typed array sorts numerically, natively: no comparator, no objects
  let m = 0;
  for (let i = 0; i < sorted.length; i++) if (m === 0 || sorted[i] !== sorted[m - 1]) sorted[m++] = sorted[i];
  return sorted.slice(0, m);
}

/** Where `value` is in `distinct` (distinctAscending's, which holds it): binary search. */
export function slotOf(distinct: Float64Array, value: number): number {
  let lo = 0;
  let hi = distinct.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (distinct[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * groupedFigures() of rows given as columns (row i: score i, positives i, negatives i), all
 * finite: the same figures, with the rows merged by score through a native sort of the
 * scores instead of a sort of row objects (a backtest ranks half a million rows four ways).
 */
export function figuresOfColumns(scores: Float64Array, positives: ArrayLike<number>, negatives: ArrayLike<number>): GroupedFigures {
  if (!scores.every(Number.isFinite)) {
    return groupedFigures(Array.from(scores, (score, i) => ({ score, positives: positives[i], negatives: negatives[i] })));
  }
  const distinct = distinctAscending(scores);
  const pos = new Float64Array(distinct.length);
  const neg = new Float64Array(distinct.length);
  for (let i = 0; i < scores.length; i++) {
    const k = slotOf(distinct, scores[i]);
    pos[k] += positives[i];
    neg[k] += negatives[i];
  }
  const { gini, ks } = figuresAscending(pos, neg);
  return { gini, ks };
}

/** auc() over grouped rows. */
export const groupedAuc = (groups: readonly ScoredGroup[]) => groupedFigures(groups).auc;

export const groupedGini = (groups: readonly ScoredGroup[]) => groupedFigures(groups).gini;

/** ksStatistic() over grouped rows. */
export const groupedKs = (groups: readonly ScoredGroup[]) => groupedFigures(groups).ks;
