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

/** auc() over grouped rows: the same figure as over their members one by one, sorting only the groups. */
export function groupedAuc(groups: readonly ScoredGroup[]): number {
  let nPos = 0;
  let nNeg = 0;
  let below = 0; // negatives with a lower score
  let wins = 0;
  for (const g of byScore(groups)) {
    wins += g.positives * (below + g.negatives / 2);
    below += g.negatives;
    nPos += g.positives;
    nNeg += g.negatives;
  }
  return nPos && nNeg ? wins / (nPos * nNeg) : 0.5;
}

export const groupedGini = (groups: readonly ScoredGroup[]) => 2 * groupedAuc(groups) - 1;

/** ksStatistic() over grouped rows. */
export function groupedKs(groups: readonly ScoredGroup[]): number {
  const merged = byScore(groups);
  const nPos = merged.reduce((n, g) => n + g.positives, 0);
  const nNeg = merged.reduce((n, g) => n + g.negatives, 0);
  if (!nPos || !nNeg) return 0;
  let cPos = 0;
  let cNeg = 0;
  let ks = 0;
  for (const g of merged) {
    cPos += g.positives;
    cNeg += g.negatives;
    ks = Math.max(ks, Math.abs(cPos / nPos - cNeg / nNeg));
  }
  return ks;
}
