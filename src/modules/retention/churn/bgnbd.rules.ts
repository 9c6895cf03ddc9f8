/**
 * The BG/NBD customer-base model (Fader, Hardie & Lee 2005, "Counting your customers the
 * easy way"): its inputs, likelihood and fit, and what it says of a customer. Pure functions,
 * no I/O. Time unit is whatever the inputs use (days here).
 */
import { bfgs, nelderMead, type Minimum } from './optimiser';
import { digamma, hyp2f1, lbeta, lgamma, logSumExp } from './special-functions';

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
 * The terms of one evaluation that depend on x alone, per distinct x: the power r + x, the
 * beta terms of "still alive" (stay) and "died after the last purchase" (died); and the sums
 * over customers of the x-only part of the log-likelihood (sum) and of its derivative in r (dR).
 */
interface XTerms { power: Float64Array; stay: Float64Array; died: Float64Array; sum: number; dR: number; customers: number }

function xTerms(p: BgNbdParams, { xs, countByX }: Columns): XTerms {
  const { r, alpha, a, b } = p;
  const nx = xs.length;
  const lbAB = lbeta(a, b);
  const lgR = lgamma(r);
  const lnAlpha = Math.log(alpha);
  const power = new Float64Array(nx);
  const stay = new Float64Array(nx);
  const died = new Float64Array(nx);
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
  return { power, stay, died, sum, dR, customers };
}

/** ln(α + t) and 1 / (α + t) for each distinct day t. */
function dayTerms(alpha: number, days: Float64Array): { lnDay: Float64Array; invDay: Float64Array } {
  const lnDay = new Float64Array(days.length);
  const invDay = new Float64Array(days.length);
  for (let d = 0; d < days.length; d++) {
    lnDay[d] = Math.log(alpha + days[d]);
    invDay[d] = 1 / (alpha + days[d]);
  }
  return { lnDay, invDay };
}

/**
 * The rows' part, continuing the x-only sums: each row's log-sum-exp of "still alive" and
 * "died after the last purchase", its weight w = P(still alive) split between the two, and
 * the derivatives in r and α that follow. `alive`: Σ count · w per distinct x.
 */
function rowTerms(p: BgNbdParams, columns: Columns, x: XTerms): { sum: number; dR: number; dAlpha: number; alive: Float64Array } {
  const { r, alpha } = p;
  const { count, xAt, txAt, TAt } = columns;
  const { power, stay, died } = x;
  const { lnDay, invDay } = dayTerms(alpha, columns.days);
  const alive = new Float64Array(columns.xs.length);
  let { sum, dR } = x;
  let dAlpha = (x.customers * r) / alpha;
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
  return { sum, dR, dAlpha, alive };
}

/** The derivatives in a and b: digammas per distinct x, weighted by the customers alive (w) and gone (1 − w) with that x. */
function betaGradient(p: BgNbdParams, { xs, countByX }: Columns, alive: Float64Array): { dA: number; dB: number } {
  const { a, b } = p;
  const psiB = digamma(b);
  const psiAB = digamma(a + b);
  let dA = 0;
  let dB = 0;
  for (let k = 0; k < xs.length; k++) {
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
  return { dA, dB };
}

/**
 * Σ count · LL over prepared columns (customerLogLikelihood's arithmetic, tabulated), and its
 * gradient with respect to (ln r, ln α, ln a, ln b) written into `gradient`. Each row's
 * log-sum-exp splits its weight between "still alive" (w) and "died after the last purchase"
 * (1 − w); the derivatives of the per-x terms are digammas, so the gradient adds only a few
 * multiply-adds per row (about 20% on top of the value).
 */
function logLikelihood(p: BgNbdParams, columns: Columns, gradient: number[]): number {
  const rows = rowTerms(p, columns, xTerms(p, columns));
  const { dA, dB } = betaGradient(p, columns, rows.alive);
  // ∂/∂ln θ = θ · ∂/∂θ.
  gradient[0] = p.r * rows.dR;
  gradient[1] = p.alpha * rows.dAlpha;
  gradient[2] = p.a * dA;
  gradient[3] = p.b * dB;
  return rows.sum;
}

/** Σ count · LL over the rows (Σ count · customerLogLikelihood, computed as fitBgNbd does). */
export function bgnbdLogLikelihood(p: BgNbdParams, rows: WeightedSummary[]): number {
  return logLikelihood(p, toColumns(rows), [0, 0, 0, 0]);
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
/** A cold start's ln r, ln a, ln b (r = a = b = 1); α starts at the mean T, at least this. */
const COLD_START_LOG = 0;
const COLD_START_MIN_ALPHA = 1;
/** Nelder–Mead's restarts after a BFGS that did not converge: at most this many, the first from a larger simplex. */
const NELDER_MEAD_RESTARTS = 4;
const FIRST_RESTART_STEP = 1;
const LATER_RESTART_STEP = 0.2;
/** A restart that improves the value by less than this share of it is stable: the search stops. */
const RESTART_STABLE = 1e-9;

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
  const search = (from: number[]) => {
    const best = bfgs(objective, from, { ...limits, bound: LOG_BOX });
    return best.converged ? best : carryOnByNelderMead(objective, best, limits);
  };
  const cold = [COLD_START_LOG, Math.log(Math.max(meanT, COLD_START_MIN_ALPHA)), COLD_START_LOG, COLD_START_LOG];
  const warm = start && [start.r, start.alpha, start.a, start.b].map(Math.log);
  let found = search(warm?.every(Number.isFinite) ? warm : cold);
  // A warm start taken from a fit that ended on the box (a first fit on a few customers, where
  // drop-out was not identifiable yet) sits where the likelihood is flat: the search would stay
  // there for good, whatever the data says later. An optimum near the box reached from a warm
  // start is checked against a cold start's, and the better one kept.
  if (warm && nearBox(found.point)) {
    const fresh = search(cold);
    if (fresh.value < found.value) found = fresh;
  }
  const [r, alpha, a, b] = found.point.map(Math.exp);
  return { r, alpha, a, b, logLikelihood: -found.value / perCustomer, customers, converged: found.converged, evaluations };
}

/**
 * Whether a log-parameter point lies near the box: some |ln θ| ≥ 10 (θ below 4.5e-5 or above
 * 22,026), where the likelihood is flat along the NBD limit and a search from a warm start there
 * stops short of the box (on the demo data at ln a = −11.84, 0.16 inside it, 83 log-likelihood
 * units below the optimum) as well as on it. Fits whose drop-out is identifiable end far inside.
 */
const NEAR_BOX = LOG_BOX - 2;
const nearBox = (point: number[]) => point.some((v) => Math.abs(v) >= NEAR_BOX);

/** Nelder–Mead from BFGS's best point, restarted from its own optimum until stable; the best point either found. */
function carryOnByNelderMead(objective: (v: number[]) => number, from: Minimum, limits: Omit<FitOptions, 'start'>): Minimum {
  let best = from;
  for (let restart = 0; restart < NELDER_MEAD_RESTARTS; restart++) {
    const run = nelderMead((v) => objective(v), best.point, { ...limits, step: restart === 0 ? FIRST_RESTART_STEP : LATER_RESTART_STEP });
    const stable = Math.abs(run.value - best.value) < RESTART_STABLE * Math.abs(best.value);
    best = run.value <= best.value ? run : best;
    if (stable && restart > 0) break;
  }
  return best;
}

/** P(alive | x, t_x, T). */
export function aliveProbability(p: BgNbdParams, c: CustomerSummary): number {
  if (c.x === 0) return 1;
  const logRatio = Math.log(p.a / (p.b + c.x - 1)) + (p.r + c.x) * (Math.log(p.alpha + c.T) - Math.log(p.alpha + c.tx));
  return 1 / (1 + Math.exp(logRatio));
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
