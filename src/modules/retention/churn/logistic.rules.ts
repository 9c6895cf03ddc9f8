/**
 * Logistic regression with an L2 penalty on standardised features, fitted by Newton's method
 * (iteratively reweighted least squares). Pure functions, no I/O. Rows may be grouped: each
 * carries how many of its members were positive and how many negative, so a fit over a million
 * members costs only its distinct feature vectors.
 *
 * Hand-written rather than a library: the npm packages for it (ml-logistic-regression 2.0.0)
 * run plain gradient descent for a fixed number of steps at a fixed rate, with neither case
 * weights (our rows are grouped) nor a penalty; with a handful of features Newton's method
 * converges in under ten steps to the exact optimum, in about sixty lines.
 */

/** One row: its features, and how many of its members were positive (1) and negative (0). */
export interface LabelledRow { features: readonly number[]; positives: number; negatives: number }

export interface LogisticModel {
  /** Each feature's weighted mean and standard deviation over the training rows (1 where constant). */
  mean: number[];
  scale: number[];
  /** Intercept, then one coefficient per standardised feature. */
  coefficients: number[];
  /** The L2 penalty on the coefficients (not the intercept), in units of the log-likelihood. */
  l2: number;
  iterations: number;
  converged: boolean;
}

export interface LogisticOptions { l2?: number; maxIterations?: number; tolerance?: number }

/** Weighted mean and standard deviation of each feature over every member of the rows. */
function standardisation(rows: readonly LabelledRow[], p: number): { mean: number[]; scale: number[] } {
  const mean = new Array<number>(p).fill(0);
  const scale = new Array<number>(p).fill(0);
  let n = 0;
  for (const row of rows) {
    const w = row.positives + row.negatives;
    n += w;
    for (let j = 0; j < p; j++) mean[j] += w * row.features[j];
  }
  for (let j = 0; j < p; j++) mean[j] /= n || 1;
  for (const row of rows) {
    const w = row.positives + row.negatives;
    for (let j = 0; j < p; j++) scale[j] += w * (row.features[j] - mean[j]) ** 2;
  }
  for (let j = 0; j < p; j++) scale[j] = Math.sqrt(scale[j] / (n || 1)) || 1;
  return { mean, scale };
}

/** Solves A d = g for a symmetric positive definite A (Cholesky); A and g are not changed. */
export function solveSymmetric(A: readonly number[][], g: readonly number[]): number[] {
  const m = g.length;
  const L = A.map(() => new Array<number>(m).fill(0));
  for (let i = 0; i < m; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = A[i][j];
      for (let k = 0; k < j; k++) sum -= L[i][k] * L[j][k];
      if (i === j) {
        if (!(sum > 0)) throw new Error('logistic regression: the Hessian is not positive definite');
        L[i][i] = Math.sqrt(sum);
      } else {
        L[i][j] = sum / L[j][j];
      }
    }
  }
  const y = new Array<number>(m).fill(0);
  for (let i = 0; i < m; i++) {
    let sum = g[i];
    for (let k = 0; k < i; k++) sum -= L[i][k] * y[k];
    y[i] = sum / L[i][i];
  }
  const d = new Array<number>(m).fill(0);
  for (let i = m - 1; i >= 0; i--) {
    let sum = y[i];
    for (let k = i + 1; k < m; k++) sum -= L[k][i] * d[k];
    d[i] = sum / L[i][i];
  }
  return d;
}

const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/**
 * Maximises Σ [positives·ln q + negatives·ln(1 − q)] − (l2 / 2)·|β|², q = σ(β₀ + β·z), z the
 * standardised features. Concave, so Newton's steps from zero reach the optimum; the penalty
 * keeps the Hessian positive definite even when a feature separates the classes.
 */
export function fitLogistic(rows: readonly LabelledRow[], opts: LogisticOptions = {}): LogisticModel {
  const l2 = opts.l2 ?? 1;
  const maxIterations = opts.maxIterations ?? 50;
  const tolerance = opts.tolerance ?? 1e-9;
  if (!rows.length) throw new Error('logistic regression: no rows');
  const p = rows[0].features.length;
  const { mean, scale } = standardisation(rows, p);
  const m = p + 1;
  // The standardised design (a leading 1 per row) and each row's counts, laid out once: each
  // Newton step then reads flat arrays instead of a million small ones (same arithmetic, same fit).
  const n = rows.length;
  const design = new Float64Array(n * m);
  const positives = new Float64Array(n);
  const members = new Float64Array(n);
  rows.forEach((row, i) => {
    const at = i * m;
    design[at] = 1;
    for (let j = 0; j < p; j++) design[at + j + 1] = (row.features[j] - mean[j]) / scale[j];
    positives[i] = row.positives;
    members[i] = row.positives + row.negatives;
  });
  let beta = new Array<number>(m).fill(0);
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations && !converged) {
    iterations++;
    const H = Array.from({ length: m }, () => new Array<number>(m).fill(0));
    const g = new Array<number>(m).fill(0);
    for (let i = 0; i < n; i++) {
      const at = i * m;
      let eta = beta[0];
      for (let j = 1; j < m; j++) eta += beta[j] * design[at + j];
      const q = sigmoid(eta);
      const residual = positives[i] - members[i] * q;
      const w = members[i] * q * (1 - q);
      for (let j = 0; j < m; j++) {
        const zj = design[at + j];
        g[j] += residual * zj;
        const row = H[j];
        for (let k = 0; k <= j; k++) row[k] += w * zj * design[at + k];
      }
    }
    for (let j = 0; j < m; j++) for (let k = 0; k < j; k++) H[k][j] = H[j][k];
    for (let j = 1; j < m; j++) {
      g[j] -= l2 * beta[j];
      H[j][j] += l2;
    }
    H[0][0] += 1e-12; // every row positive or every row negative: the intercept alone runs off, slowly
    const step = solveSymmetric(H, g);
    beta = beta.map((b, j) => b + step[j]);
    converged = Math.max(...step.map(Math.abs)) < tolerance;
  }
  return { mean, scale, coefficients: beta, l2, iterations, converged };
}

/** The linear predictor (log-odds of a positive) of a feature vector under the model. */
export function logisticLogOdds(model: LogisticModel, features: readonly number[]): number {
  let eta = model.coefficients[0];
  for (let j = 0; j < features.length; j++) eta += model.coefficients[j + 1] * ((features[j] - model.mean[j]) / model.scale[j]);
  return eta;
}

/** P(positive) of a feature vector under the model. */
export const logisticProbability = (model: LogisticModel, features: readonly number[]) => sigmoid(logisticLogOdds(model, features));
