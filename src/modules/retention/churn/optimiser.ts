/**
 * Unconstrained and box-constrained minimisation, deterministic: Nelder–Mead (no gradient) and
 * BFGS (with the gradient, inside a box). Pure functions, no I/O.
 */

/** What a minimisation ends with: the best point seen, its value, and whether the search met its stopping test. */
export interface Minimum { point: number[]; value: number; converged: boolean }

/** A function to minimise that also writes its gradient into its second argument. */
export type ObjectiveWithGradient = (v: number[], gradient: number[]) => number;

/** Nelder–Mead's defaults: iteration cap; relative spread of the simplex's values at which it stops; the start simplex's edge. */
const NELDER_MEAD_MAX_ITERATIONS = 3000;
const NELDER_MEAD_TOLERANCE = 1e-11;
const NELDER_MEAD_STEP = 0.5;
/** Nelder–Mead's standard coefficients. */
const REFLECTION = 1;
const EXPANSION = 2;
const CONTRACTION = 0.5;
const SHRINK = 0.5;

/** Nelder–Mead minimisation (standard coefficients), deterministic. */
export function nelderMead(f: (v: number[]) => number, start: number[], opts: { maxIterations?: number; tolerance?: number; step?: number } = {}): Minimum {
  const n = start.length;
  const maxIt = opts.maxIterations ?? NELDER_MEAD_MAX_ITERATIONS;
  const tol = opts.tolerance ?? NELDER_MEAD_TOLERANCE;
  let simplex = [start, ...start.map((_, i) => start.map((v, j) => (i === j ? v + (opts.step ?? NELDER_MEAD_STEP) : v)))];
  let values = simplex.map(f);
  let iterations = 0;
  for (; iterations < maxIt; iterations++) {
    const order = values.map((v, i) => i).sort((i, j) => values[i] - values[j]);
    simplex = order.map((i) => simplex[i]);
    values = order.map((i) => values[i]);
    if (Math.abs(values[n] - values[0]) <= tol * (Math.abs(values[0]) + tol)) break;
    const centroid = start.map((_, j) => simplex.slice(0, n).reduce((s, v) => s + v[j], 0) / n);
    // The point at t along the line from the centroid to the worst vertex (negative t: away from it).
    const along = (t: number) => centroid.map((c, j) => c + t * (simplex[n][j] - c));
    const reflected = along(-REFLECTION);
    const fr = f(reflected);
    if (fr < values[0]) {
      const expanded = along(-EXPANSION);
      const fe = f(expanded);
      [simplex[n], values[n]] = fe < fr ? [expanded, fe] : [reflected, fr];
    } else if (fr < values[n - 1]) {
      [simplex[n], values[n]] = [reflected, fr];
    } else {
      const contracted = fr < values[n] ? along(-CONTRACTION) : along(CONTRACTION);
      const fc = f(contracted);
      if (fc < Math.min(fr, values[n])) {
        [simplex[n], values[n]] = [contracted, fc];
      } else {
        simplex = simplex.map((v, i) => (i === 0 ? v : v.map((x, j) => simplex[0][j] + SHRINK * (x - simplex[0][j]))));
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

/** BFGS's defaults: iteration cap; the relative decrease still promised at which it stops; the longest move of a coordinate in one line search; no box. */
const BFGS_MAX_ITERATIONS = 200;
const BFGS_TOLERANCE = 1e-11;
const BFGS_MAX_STEP = 2;
/** The step of the finite differences that start the Hessian model. */
const FINITE_DIFFERENCE_STEP = 1e-4;
/** A coordinate this close to the box counts as on it (the ε of the ε-active set). */
const BOX_MARGIN = 1e-3;
/** Armijo's constant: a step must decrease f by at least this share of what the slope promises. */
const ARMIJO = 1e-4;
/** The line search gives up when no coordinate would move further than this. */
const MIN_STEP_LENGTH = 1e-10;

/** The point where BFGS is, with its value and gradient. */
interface Iterate { point: number[]; value: number; gradient: number[] }

/** The Hessian model B; `modelled` is false while B is only the identity (the first update scales it). */
interface HessianModel { B: number[][]; modelled: boolean }

/**
 * The Hessian model to start from: forward differences of the gradient, stepping towards 0
 * (so inside the box), symmetrised; the identity unless that is positive definite. Costs one
 * evaluation per coordinate.
 */
function initialModel(f: ObjectiveWithGradient, { point, gradient }: Iterate): HessianModel {
  const n = point.length;
  const columns = point.map((v, j) => {
    const h = v > 0 ? -FINITE_DIFFERENCE_STEP : FINITE_DIFFERENCE_STEP;
    const g = new Array<number>(n).fill(0);
    f(point.map((w, i) => (i === j ? w + h : w)), g);
    return g.map((gi, i) => (gi - gradient[i]) / h);
  });
  const hessian = columns.map((col, i) => col.map((_, j) => (columns[i][j] + columns[j][i]) / 2));
  const modelled = inverseIfPositiveDefinite(hessian) !== null;
  return { B: modelled ? hessian : identity(n), modelled };
}

/**
 * The search direction, and the coordinates held on the box. A coordinate at (or within
 * BOX_MARGIN of) the box that the gradient, or else the Newton step, pushes outwards goes onto
 * the box and stays there; the step is the Newton step in the others, and ends at the box at
 * the furthest (projected Newton with an ε-active set, after Bertsekas). Where the box cuts a
 * valley, as on data whose drop-out is not identifiable, a step that bent along the box would
 * leave the valley and shrink to nothing. Should B have lost positive definiteness to rounding,
 * the model starts again from the identity (steepest descent).
 */
function projectedNewtonDirection(model: HessianModel, { point, gradient }: Iterate, bound: number): { direction: number[]; fixed: boolean[] } {
  const onBox = point.map((v) => Math.abs(v) >= bound - BOX_MARGIN);
  const fixed = point.map((v, j) => onBox[j] && v * gradient[j] < 0);
  for (;;) {
    const direction = newtonStep(model.B, gradient, fixed);
    if (!direction) {
      model.B = identity(point.length);
      model.modelled = false;
      continue;
    }
    const outwards = direction.findIndex((d, j) => !fixed[j] && onBox[j] && point[j] * d > 0);
    if (outwards < 0) return { direction, fixed };
    fixed[outwards] = true;
  }
}

/** The first step length tried: 1, or less so that no coordinate moves more than maxStep nor leaves the box. */
function firstStepLength(direction: readonly number[], point: readonly number[], maxStep: number, bound: number): number {
  let t = 1;
  for (const [j, d] of direction.entries()) {
    if (d !== 0) t = Math.min(t, maxStep / Math.abs(d), (bound - Math.sign(d) * point[j]) / Math.abs(d));
  }
  return t;
}

/**
 * Backtracking (Armijo) line search from `at` along `direction`, halving the step from `t`;
 * f = +∞ or NaN counts as too far. Null when the step shrinks below MIN_STEP_LENGTH.
 */
function lineSearch(f: ObjectiveWithGradient, at: Iterate, direction: readonly number[], fixed: readonly boolean[], t: number, bound: number): Iterate | null {
  const { point, value, gradient } = at;
  const longest = Math.max(...direction.map(Math.abs));
  const nextGradient = new Array<number>(point.length).fill(0);
  for (;;) {
    const tried = t;
    const next = point.map((v, j) => (fixed[j] ? Math.sign(v) * bound : Math.min(bound, Math.max(-bound, v + tried * direction[j]))));
    const nextValue = f(next, nextGradient);
    if (nextValue <= value + ARMIJO * next.reduce((sum, v, j) => sum + (v - point[j]) * gradient[j], 0)) {
      return { point: next, value: nextValue, gradient: nextGradient };
    }
    t /= 2;
    if (t * longest < MIN_STEP_LENGTH) return null;
  }
}

/** The BFGS update of B by the step s and the change of gradient y; skipped without curvature along s, which keeps B positive definite. */
function updateModel(model: HessianModel, s: readonly number[], y: readonly number[]): void {
  const sy = dot(s, y);
  if (!(sy > 0)) return;
  if (!model.modelled) model.B = identity(s.length).map((row) => row.map((v) => (v * dot(y, y)) / sy)); // the identity, scaled to it
  const Bs = model.B.map((row) => dot(row, s));
  const sBs = dot(s, Bs);
  model.B = model.B.map((row, i) => row.map((v, j) => v + (y[i] * y[j]) / sy - (Bs[i] * Bs[j]) / sBs));
  model.modelled = true;
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
  f: ObjectiveWithGradient, start: number[],
  opts: { maxIterations?: number; tolerance?: number; maxStep?: number; bound?: number } = {},
): Minimum {
  const maxIt = opts.maxIterations ?? BFGS_MAX_ITERATIONS;
  const tol = opts.tolerance ?? BFGS_TOLERANCE;
  const maxStep = opts.maxStep ?? BFGS_MAX_STEP;
  const bound = opts.bound ?? Infinity;
  const point = start.map((v) => Math.min(bound, Math.max(-bound, v)));
  const gradient = new Array<number>(start.length).fill(0);
  let at: Iterate = { point, value: f(point, gradient), gradient };
  if (!Number.isFinite(at.value)) return { point, value: at.value, converged: false };
  const model = initialModel(f, at);
  for (let iteration = 0; iteration < maxIt; iteration++) {
    const { direction, fixed } = projectedNewtonDirection(model, at, bound);
    const slope = dot(at.gradient, direction);
    if (!(slope < 0)) return { point: at.point, value: at.value, converged: slope === 0 }; // 0: no free gradient left
    if (model.modelled && -slope / 2 <= tol * Math.abs(at.value)) return { point: at.point, value: at.value, converged: true };
    const next = lineSearch(f, at, direction, fixed, firstStepLength(direction, at.point, maxStep, bound), bound);
    if (!next) return { point: at.point, value: at.value, converged: false };
    updateModel(model, next.point.map((v, j) => v - at.point[j]), next.gradient.map((g, j) => g - at.gradient[j]));
    at = next;
  }
  return { point: at.point, value: at.value, converged: false };
}
