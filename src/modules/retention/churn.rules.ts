/**
 * The BG/NBD customer-base model (Fader, Hardie & Lee 2005, "Counting your customers the
 * easy way"): pure functions, no I/O. Time unit is whatever the inputs use (days here).
 */

export interface CustomerSummary { x: number; tx: number; T: number }
export interface WeightedSummary extends CustomerSummary { count: number }
export interface BgNbdParams { r: number; alpha: number; a: number; b: number }
export interface BgNbdFit extends BgNbdParams {
  logLikelihood: number;
  customers: number;
  converged: boolean;
  /** Log-likelihood evaluations the search took (its cost). */
  evaluations: number;
}

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

/** ψ(z) = d ln Γ(z) / dz for z > 0: recurrence up to z ≥ 10, then the asymptotic series (about 1e-15). */
export function digamma(z: number): number {
  let shift = 0;
  for (; z < 10; z++) shift -= 1 / z;
  const w = 1 / (z * z);
  return shift + Math.log(z) - 0.5 / z - w * (1 / 12 - w * (1 / 120 - w * (1 / 252 - w * (1 / 240 - w * (1 / 132 - (691 / 32760) * w)))));
}

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
 * Weighted rows as columns (typed arrays), prepared once per fit: x, t_x and T become indices
 * into their distinct values. An evaluation then computes the gamma and beta terms once per
 * distinct x and ln(α + t) once per distinct day (a few hundred of each on real data), and
 * what is left per row is table reads and one log-sum-exp.
 */
interface Columns {
  count: Float64Array;
  xAt: Int32Array;
  txAt: Int32Array;
  TAt: Int32Array;
  /** The distinct x values, and the customers with each (the x-only terms are linear in them). */
  xs: Float64Array;
  countByX: Float64Array;
  /** The distinct t_x and T values. */
  days: Float64Array;
}

function toColumns(rows: readonly WeightedSummary[]): Columns {
  const xIndex = new Map<number, number>();
  const dayIndex = new Map<number, number>();
  const indexOf = (map: Map<number, number>, v: number) => {
    let i = map.get(v);
    if (i === undefined) map.set(v, (i = map.size));
    return i;
  };
  const n = rows.length;
  const c = { count: new Float64Array(n), xAt: new Int32Array(n), txAt: new Int32Array(n), TAt: new Int32Array(n) };
  for (let i = 0; i < n; i++) {
    const row = rows[i];
    c.count[i] = row.count;
    c.xAt[i] = indexOf(xIndex, row.x);
    c.txAt[i] = indexOf(dayIndex, row.tx);
    c.TAt[i] = indexOf(dayIndex, row.T);
  }
  const countByX = new Float64Array(xIndex.size);
  for (let i = 0; i < n; i++) countByX[c.xAt[i]] += c.count[i];
  return { ...c, xs: Float64Array.from(xIndex.keys()), countByX, days: Float64Array.from(dayIndex.keys()) };
}

/**
 * Σ count · LL over prepared columns (customerLogLikelihood's arithmetic, tabulated), and its
 * gradient with respect to (ln r, ln α, ln a, ln b) written into `gradient`. Each row's
 * log-sum-exp splits its weight between "still alive" (w) and "died after the last purchase"
 * (1 − w); the derivatives of the per-x terms are digammas, so the gradient adds only a few
 * multiply-adds per row (about 20% on top of the value).
 */
function logLikelihood(p: BgNbdParams, columns: Columns, gradient: number[]): number {
  const { r, alpha, a, b } = p;
  const { count, xAt, txAt, TAt, xs, countByX, days } = columns;
  const nx = xs.length;
  const lbAB = lbeta(a, b);
  const lgR = lgamma(r);
  const lnAlpha = Math.log(alpha);
  const power = new Float64Array(nx);
  const stay = new Float64Array(nx);
  const died = new Float64Array(nx);
  const alive = new Float64Array(nx); // Σ count · w per distinct x
  let sum = 0;
  let dR = 0;
  let customers = 0;
  const psiR = digamma(r);
  for (let k = 0; k < nx; k++) {
    const x = xs[k];
    power[k] = r + x;
    stay[k] = lbeta(a, b + x) - lbAB;
    // A one-time buyer has no "died after the last repeat purchase" branch: e^-∞ drops it from the sum.
    died[k] = x > 0 ? lbeta(a + 1, b + x - 1) - lbAB : -Infinity;
    sum += countByX[k] * (lgamma(r + x) - lgR + r * lnAlpha);
    dR += countByX[k] * (digamma(r + x) - psiR + lnAlpha);
    customers += countByX[k];
  }
  const lnDay = new Float64Array(days.length);
  const invDay = new Float64Array(days.length);
  for (let d = 0; d < days.length; d++) {
    lnDay[d] = Math.log(alpha + days[d]);
    invDay[d] = 1 / (alpha + days[d]);
  }
  let dAlpha = (customers * r) / alpha;
  for (let i = 0; i < count.length; i++) {
    const k = xAt[i];
    const t = TAt[i];
    const u = txAt[i];
    const stays = stay[k] - power[k] * lnDay[t];
    const diedAfterLast = died[k] - power[k] * lnDay[u];
    // ln(e^s + e^d) with the larger term factored out, so that exp cannot overflow; w = e^s / (e^s + e^d).
    let ll: number;
    let w: number;
    if (stays >= diedAfterLast) {
      const e = Math.exp(diedAfterLast - stays);
      ll = stays + Math.log1p(e);
      w = 1 / (1 + e);
    } else {
      const e = Math.exp(stays - diedAfterLast);
      ll = diedAfterLast + Math.log1p(e);
      w = e / (1 + e);
    }
    const c = count[i];
    sum += c * ll;
    alive[k] += c * w;
    dR -= c * (w * lnDay[t] + (1 - w) * lnDay[u]);
    dAlpha -= c * power[k] * (w * invDay[t] + (1 - w) * invDay[u]);
  }
  const psiA = digamma(a);
  const psiB = digamma(b);
  const psiAB = digamma(a + b);
  let dA = 0;
  let dB = 0;
  for (let k = 0; k < nx; k++) {
    const x = xs[k];
    const psiABX = digamma(a + b + x);
    dA += alive[k] * (psiAB - psiABX);
    dB += alive[k] * (digamma(b + x) - psiABX - psiB + psiAB);
    if (x > 0) {
      const gone = countByX[k] - alive[k];
      dA += gone * (1 / a + psiAB - psiABX); // ψ(a + 1) − ψ(a) = 1/a
      dB += gone * (digamma(b + x - 1) - psiABX - psiB + psiAB);
    }
  }
  // ∂/∂ln θ = θ · ∂/∂θ.
  gradient[0] = r * dR;
  gradient[1] = alpha * dAlpha;
  gradient[2] = a * dA;
  gradient[3] = b * dB;
  return sum;
}

/** Σ count · LL over the rows (Σ count · customerLogLikelihood, computed as fitBgNbd does). */
export function bgnbdLogLikelihood(p: BgNbdParams, rows: WeightedSummary[]): number {
  return logLikelihood(p, toColumns(rows), [0, 0, 0, 0]);
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

const dot = (u: readonly number[], v: readonly number[]) => u.reduce((s, x, i) => s + x * v[i], 0);
const identity = (n: number) => Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j): number => (i === j ? 1 : 0)));

/** The inverse of a symmetric matrix, or null unless it is positive definite (Gauss–Jordan: its pivots are then all positive). */
function inverseIfPositiveDefinite(A: number[][]): number[][] | null {
  const n = A.length;
  const unit = identity(n);
  const M = A.map((row, i) => [...row, ...unit[i]]);
  for (let k = 0; k < n; k++) {
    const pivot = M[k][k];
    if (!(pivot > 0)) return null;
    M[k] = M[k].map((v) => v / pivot);
    for (let i = 0; i < n; i++) {
      const factor = M[i][k];
      if (i !== k) M[i] = M[i].map((v, j) => v - factor * M[k][j]);
    }
  }
  return M.map((row) => row.slice(n));
}

/** The Newton step −B⁻¹g in the coordinates not fixed (0 in those); null unless that part of B is positive definite. */
function newtonStep(B: number[][], gradient: readonly number[], fixed: readonly boolean[]): number[] | null {
  const free = fixed.flatMap((isFixed, j) => (isFixed ? [] : [j]));
  const inverse = inverseIfPositiveDefinite(free.map((i) => free.map((j) => B[i][j])));
  if (!inverse) return null;
  const step = new Array<number>(gradient.length).fill(0);
  free.forEach((i, k) => (step[i] = -inverse[k].reduce((sum, h, l) => sum + h * gradient[free[l]], 0)));
  return step;
}

/**
 * BFGS minimisation of f, which also writes its gradient into its second argument, within the
 * box |v_j| ≤ bound. The Hessian model B starts from finite differences of the gradient (n more
 * evaluations): from a good start that is a Newton step at once, and it makes the stopping test
 * meaningful from the first iteration. Converged when the decrease the model still promises,
 * ½ gᵀB⁻¹g, is at most tolerance · |f| (the "no more relative improvement than this" of
 * Nelder–Mead's tolerance). The backtracking (Armijo) line search treats f = +∞ or NaN as too
 * far. Not converged when the line search cannot make progress or maxIterations run out; the
 * best point so far is returned either way.
 */
export function bfgs(
  f: (v: number[], gradient: number[]) => number, start: number[],
  opts: { maxIterations?: number; tolerance?: number; maxStep?: number; bound?: number } = {},
) {
  const n = start.length;
  const maxIt = opts.maxIterations ?? 200;
  const tol = opts.tolerance ?? 1e-11;
  const maxStep = opts.maxStep ?? 2; // no coordinate moves further than this in one line search
  const bound = opts.bound ?? Infinity;
  let point = start.map((v) => Math.min(bound, Math.max(-bound, v)));
  let gradient = new Array<number>(n).fill(0);
  let value = f(point, gradient);
  if (!Number.isFinite(value)) return { point, value, converged: false };
  // Forward differences, stepping towards 0 (so inside the box), symmetrised.
  const columns = point.map((v, j) => {
    const h = v > 0 ? -1e-4 : 1e-4;
    const g = new Array<number>(n).fill(0);
    f(point.map((w, i) => (i === j ? w + h : w)), g);
    return g.map((gi, i) => (gi - gradient[i]) / h);
  });
  const hessian = columns.map((col, i) => col.map((_, j) => (columns[i][j] + columns[j][i]) / 2));
  let modelled = inverseIfPositiveDefinite(hessian) !== null; // false while B is only the identity (the first update scales it)
  let B = modelled ? hessian : identity(n);
  for (let iteration = 0; iteration < maxIt; iteration++) {
    // A coordinate at (or within 1e-3 of) the box that the gradient, or else the Newton step,
    // pushes outwards goes onto the box and stays there; the step is the Newton step in the
    // others, and ends at the box at the furthest (projected Newton with an ε-active set, after
    // Bertsekas). Where the box cuts a valley, as on data whose drop-out is not identifiable,
    // a step that bent along the box would leave the valley and shrink to nothing.
    const onBox = point.map((v) => Math.abs(v) >= bound - 1e-3);
    const fixed = point.map((v, j) => onBox[j] && v * gradient[j] < 0);
    let direction: number[] | null;
    for (;;) {
      direction = newtonStep(B, gradient, fixed);
      if (!direction) { // B lost positive definiteness to rounding: start again from steepest descent
        B = identity(n);
        modelled = false;
        continue;
      }
      const outwards = direction.findIndex((d, j) => !fixed[j] && onBox[j] && point[j] * d > 0);
      if (outwards < 0) break;
      fixed[outwards] = true;
    }
    const slope = dot(gradient, direction);
    if (!(slope < 0)) return { point, value, converged: slope === 0 }; // 0: no free gradient left
    if (modelled && -slope / 2 <= tol * Math.abs(value)) return { point, value, converged: true };
    let t = 1;
    for (const [j, d] of direction.entries()) {
      if (d !== 0) t = Math.min(t, maxStep / Math.abs(d), (bound - Math.sign(d) * point[j]) / Math.abs(d));
    }
    const longest = Math.max(...direction.map(Math.abs));
    let next: number[];
    const nextGradient = new Array<number>(n).fill(0);
    let nextValue: number;
    for (;;) {
      const tried = t;
      next = point.map((v, j) => (fixed[j] ? Math.sign(v) * bound : Math.min(bound, Math.max(-bound, v + tried * direction[j]))));
      nextValue = f(next, nextGradient);
      if (nextValue <= value + 1e-4 * next.reduce((sum, v, j) => sum + (v - point[j]) * gradient[j], 0)) break;
      t /= 2;
      if (t * longest < 1e-10) return { point, value, converged: false };
    }
    const s = next.map((v, j) => v - point[j]);
    const y = nextGradient.map((g, j) => g - gradient[j]);
    const sy = dot(s, y);
    if (sy > 0) { // curvature seen along s: update B (skipped otherwise, which keeps B positive definite)
      if (!modelled) B = identity(n).map((row) => row.map((v) => (v * dot(y, y)) / sy)); // the identity, scaled to it
      const Bs = B.map((row) => dot(row, s));
      const sBs = dot(s, Bs);
      B = B.map((row, i) => row.map((v, j) => v + (y[i] * y[j]) / sy - (Bs[i] * Bs[j]) / sBs));
      modelled = true;
    }
    point = next;
    value = nextValue;
    gradient = nextGradient;
  }
  return { point, value, converged: false };
}

export interface FitOptions {
  /** Caps each search's iterations (BFGS's, then Nelder–Mead's if it has to take over). */
  maxIterations?: number;
  /** Stop when no more than this relative improvement of the likelihood is left (default 1e-11). */
  tolerance?: number;
  /**
   * Where to start, e.g. the previous fit on much the same customers: a nightly refit from
   * yesterday's parameters takes a handful of evaluations instead of a few dozen, and ends at
   * the same optimum (within the tolerance). Cold starts begin at r = a = b = 1, α = mean T.
   */
  start?: BgNbdParams;
}

/** |ln θ| ≤ 12 for every parameter (see fitBgNbd). */
const LOG_BOX = 12;

/**
 * Maximum likelihood over log-parameters (so they stay positive), by BFGS with the analytic
 * gradient: a few dozen evaluations from a cold start where Nelder–Mead took hundreds. On data
 * where drop-out is not identifiable, a and b run off together towards the NBD limit; a box of
 * e^±12 on every parameter keeps the search finite and fast. Should BFGS not converge (not seen
 * so far), Nelder–Mead carries on from its best point, restarted from its own optimum until
 * stable, as the fit did before.
 */
export function fitBgNbd(rows: WeightedSummary[], opts: FitOptions = {}): BgNbdFit {
  const { start, ...limits } = opts;
  const columns = toColumns(rows);
  const customers = columns.count.reduce((s, c) => s + c, 0);
  const meanT = rows.reduce((s, r) => s + r.count * r.T, 0) / Math.max(customers, 1);
  let evaluations = 0;
  // −LL per customer: the same optimum, with gradients and first steps of a sensible size whatever the data's size.
  const perCustomer = 1 / Math.max(customers, 1);
  const objective = (v: number[], gradient: number[] = [0, 0, 0, 0]) => {
    evaluations++;
    if (v.some((x) => Math.abs(x) > LOG_BOX)) return Number.MAX_VALUE;
    const p = { r: Math.exp(v[0]), alpha: Math.exp(v[1]), a: Math.exp(v[2]), b: Math.exp(v[3]) };
    const ll = logLikelihood(p, columns, gradient);
    for (let j = 0; j < 4; j++) gradient[j] *= -perCustomer;
    return Number.isFinite(ll) ? -ll * perCustomer : Number.MAX_VALUE;
  };
  const warm = start && [start.r, start.alpha, start.a, start.b].map(Math.log);
  const point = warm?.every(Number.isFinite) ? warm : [0, Math.log(Math.max(meanT, 1)), 0, 0];
  let best = bfgs(objective, point, { ...limits, bound: LOG_BOX });
  if (!best.converged) {
    for (let restart = 0; restart < 4; restart++) {
      const run = nelderMead((v) => objective(v), best.point, { ...limits, step: restart === 0 ? 1 : 0.2 });
      const stable = Math.abs(run.value - best.value) < 1e-9 * Math.abs(best.value);
      best = run.value <= best.value ? run : best;
      if (stable && restart > 0) break;
    }
  }
  const [r, alpha, a, b] = best.point.map(Math.exp);
  return { r, alpha, a, b, logLikelihood: -best.value / perCustomer, customers, converged: best.converged, evaluations };
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
