/**
 * The BG/NBD customer-base model (Fader, Hardie & Lee 2005, "Counting your customers the
 * easy way"): pure functions, no I/O. Time unit is whatever the inputs use (days here).
 */

export interface CustomerSummary { x: number; tx: number; T: number }
export interface WeightedSummary extends CustomerSummary { count: number }
export interface BgNbdParams { r: number; alpha: number; a: number; b: number }
export interface BgNbdFit extends BgNbdParams { logLikelihood: number; customers: number; converged: boolean }

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(z) for z > 0 (Lanczos, g = 7): accurate to about 1e-14. */
export function lgamma(z: number): number {
  if (z < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * z)) - lgamma(1 - z);
  z -= 1;
  let x = LANCZOS[0];
  for (let i = 1; i < 9; i++) x += LANCZOS[i] / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(x);
}

const lbeta = (a: number, b: number) => lgamma(a) + lgamma(b) - lgamma(a + b);

function logSumExp(a: number, b: number): number {
  const m = Math.max(a, b);
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}

/** Model inputs from purchase days (integer day numbers); null when nothing was bought by asOfDay. */
export function summarizePurchaseDays(purchaseDays: number[], asOfDay: number): CustomerSummary | null {
  const days = [...new Set(purchaseDays.filter((d) => d <= asOfDay))].sort((p, q) => p - q);
  if (!days.length) return null;
  return { x: days.length - 1, tx: days[days.length - 1] - days[0], T: asOfDay - days[0] };
}

/** Identical (x, t_x, T) collapse into one weighted row: a fit over a million members costs only its distinct tuples. */
export function groupSummaries(rows: CustomerSummary[]): WeightedSummary[] {
  const map = new Map<string, WeightedSummary>();
  for (const r of rows) {
    const key = `${r.x}:${r.tx}:${r.T}`;
    const found = map.get(key);
    if (found) found.count++;
    else map.set(key, { ...r, count: 1 });
  }
  return [...map.values()];
}

/** One customer's log-likelihood, in log space throughout (safe for large x and T). */
export function customerLogLikelihood(p: BgNbdParams, c: CustomerSummary): number {
  const { r, alpha, a, b } = p;
  const base = lgamma(r + c.x) - lgamma(r) + r * Math.log(alpha);
  const stays = lbeta(a, b + c.x) - lbeta(a, b) - (r + c.x) * Math.log(alpha + c.T);
  if (c.x === 0) return base + stays;
  const diedAfterLast = lbeta(a + 1, b + c.x - 1) - lbeta(a, b) - (r + c.x) * Math.log(alpha + c.tx);
  return base + logSumExp(stays, diedAfterLast);
}

/**
 * Σ count · LL over the rows. The gamma and beta terms depend on x alone, so they are
 * computed once per distinct x: a fit evaluates this thousands of times.
 */
export function bgnbdLogLikelihood(p: BgNbdParams, rows: WeightedSummary[]): number {
  const { r, alpha, a, b } = p;
  const lnAlpha = Math.log(alpha);
  const lbAB = lbeta(a, b);
  const lgR = lgamma(r);
  const perX = new Map<number, { base: number; stay: number; died: number }>();
  let sum = 0;
  for (const row of rows) {
    let k = perX.get(row.x);
    if (!k) {
      k = {
        base: lgamma(r + row.x) - lgR + r * lnAlpha,
        stay: lbeta(a, b + row.x) - lbAB,
        died: row.x > 0 ? lbeta(a + 1, b + row.x - 1) - lbAB : 0,
      };
      perX.set(row.x, k);
    }
    const stays = k.stay - (r + row.x) * Math.log(alpha + row.T);
    const ll = row.x === 0 ? stays : logSumExp(stays, k.died - (r + row.x) * Math.log(alpha + row.tx));
    sum += row.count * (k.base + ll);
  }
  return sum;
}

/** Nelder–Mead minimisation (standard coefficients), deterministic. */
export function nelderMead(f: (v: number[]) => number, start: number[], opts: { maxIterations?: number; tolerance?: number; step?: number } = {}) {
  const n = start.length;
  const maxIt = opts.maxIterations ?? 3000;
  const tol = opts.tolerance ?? 1e-11;
  let simplex = [start, ...start.map((_, i) => start.map((v, j) => (i === j ? v + (opts.step ?? 0.5) : v)))];
  let values = simplex.map(f);
  let iterations = 0;
  for (; iterations < maxIt; iterations++) {
    const order = values.map((v, i) => i).sort((i, j) => values[i] - values[j]);
    simplex = order.map((i) => simplex[i]);
    values = order.map((i) => values[i]);
    if (Math.abs(values[n] - values[0]) <= tol * (Math.abs(values[0]) + tol)) break;
    const centroid = start.map((_, j) => simplex.slice(0, n).reduce((s, v) => s + v[j], 0) / n);
    const along = (t: number) => centroid.map((c, j) => c + t * (simplex[n][j] - c));
    const reflected = along(-1);
    const fr = f(reflected);
    if (fr < values[0]) {
      const expanded = along(-2);
      const fe = f(expanded);
      [simplex[n], values[n]] = fe < fr ? [expanded, fe] : [reflected, fr];
    } else if (fr < values[n - 1]) {
      [simplex[n], values[n]] = [reflected, fr];
    } else {
      const contracted = fr < values[n] ? along(-0.5) : along(0.5);
      const fc = f(contracted);
      if (fc < Math.min(fr, values[n])) {
        [simplex[n], values[n]] = [contracted, fc];
      } else {
        simplex = simplex.map((v, i) => (i === 0 ? v : v.map((x, j) => simplex[0][j] + 0.5 * (x - simplex[0][j]))));
        values = simplex.map((v, i) => (i === 0 ? values[0] : f(v)));
      }
    }
  }
  return { point: simplex[0], value: values[0], converged: iterations < maxIt };
}

/** Maximum likelihood over log-parameters (so they stay positive), restarted from its own optimum until stable. */
export function fitBgNbd(rows: WeightedSummary[], opts: { maxIterations?: number; tolerance?: number } = {}): BgNbdFit {
  const customers = rows.reduce((s, r) => s + r.count, 0);
  const meanT = rows.reduce((s, r) => s + r.count * r.T, 0) / Math.max(customers, 1);
  // On data where drop-out is not identifiable, a and b run off together towards the NBD
  // limit; a box of e^±12 on every parameter keeps the search finite and fast.
  const objective = (v: number[]) => {
    if (v.some((x) => Math.abs(x) > 12)) return Number.MAX_VALUE;
    const p = { r: Math.exp(v[0]), alpha: Math.exp(v[1]), a: Math.exp(v[2]), b: Math.exp(v[3]) };
    const ll = bgnbdLogLikelihood(p, rows);
    return Number.isFinite(ll) ? -ll : Number.MAX_VALUE;
  };
  let point = [0, Math.log(Math.max(meanT, 1)), 0, 0];
  let best = { point, value: objective(point), converged: false };
  for (let restart = 0; restart < 4; restart++) {
    const run = nelderMead(objective, best.point, { ...opts, step: restart === 0 ? 1 : 0.2 });
    const stable = Math.abs(run.value - best.value) < 1e-9 * Math.abs(best.value);
    best = run.value <= best.value ? run : best;
    if (stable && restart > 0) break;
  }
  point = best.point;
  return {
    r: Math.exp(point[0]), alpha: Math.exp(point[1]), a: Math.exp(point[2]), b: Math.exp(point[3]),
    logLikelihood: -best.value, customers, converged: best.converged,
  };
}

/** P(alive | x, t_x, T). */
export function aliveProbability(p: BgNbdParams, c: CustomerSummary): number {
  if (c.x === 0) return 1;
  const logRatio = Math.log(p.a / (p.b + c.x - 1)) + (p.r + c.x) * (Math.log(p.alpha + c.T) - Math.log(p.alpha + c.tx));
  return 1 / (1 + Math.exp(logRatio));
}

/** Gauss hypergeometric 2F1(a, b; c; z) for 0 ≤ z < 1, by its series (terms are positive here). */
export function hyp2f1(a: number, b: number, c: number, z: number): number {
  let term = 1;
  let sum = 1;
  for (let j = 0; j < 1_000_000; j++) {
    term *= ((a + j) * (b + j)) / ((c + j) * (j + 1)) * z;
    sum += term;
    if (Math.abs(term) < 1e-15 * Math.abs(sum)) return sum;
  }
  return sum;
}

/** E[purchases in the next t | x, t_x, T] (equation 10 of the paper). */
export function expectedPurchases(p: BgNbdParams, c: CustomerSummary, t: number): number {
  const { r, alpha, a, b } = p;
  const z = t / (alpha + c.T + t);
  const head = (a + b + c.x - 1) / (a - 1);
  const tail = 1 - Math.pow((alpha + c.T) / (alpha + c.T + t), r + c.x) * hyp2f1(r + c.x, b + c.x, a + b + c.x - 1, z);
  const denominator = c.x > 0 ? 1 + (a / (b + c.x - 1)) * Math.pow((alpha + c.T) / (alpha + c.tx), r + c.x) : 1;
  return (head * tail) / denominator;
}

/**
 * P(no purchase in the next `horizon`) = (1 − P(alive)) + P(alive)·((α+T)/(α+T+h))^(r+x):
 * dead, or alive and silent for the horizon. Unlike 1 − P(alive) it is not 0 for one-time buyers.
 */
export function churnRisk(p: BgNbdParams, c: CustomerSummary, horizon: number): number {
  const alive = aliveProbability(p, c);
  return 1 - alive + alive * Math.pow((p.alpha + c.T) / (p.alpha + c.T + horizon), p.r + c.x);
}

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
