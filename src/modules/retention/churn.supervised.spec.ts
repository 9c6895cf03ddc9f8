import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  auc, chooseChurnMethod, compareOnHoldout, fitBgNbd, fitChurnClassifier, fitLogistic, gini, groupedAuc, groupedGini, groupedKs, ksStatistic, groupedFigures, figuresOfColumns,
  figuresOf, fitRecencyScore, logisticLogOdds, logisticProbability, recencyChurnRisk, solveSymmetric, summarizePurchaseDays, trainingWindow,
  MIN_TRAINING_WINDOW_DAYS,
  type ChurnBacktest, type LabelledRow, type LabelledSummary,
} from './churn.rules';

const CDNOW = resolve(__dirname, '../../../test/fixtures/cdnow');
const dayNumber = (yyyymmdd: string) => Date.UTC(+yyyymmdd.slice(0, 4), +yyyymmdd.slice(4, 6) - 1, +yyyymmdd.slice(6, 8)) / 86_400_000;

/** A seeded uniform generator (mulberry32), so that every run draws the same data. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('logistic regression (L2, standardised features, Newton)', () => {
  /** n members with two features drawn from known coefficients: y = 1 with probability σ(β₀ + β₁ u + β₂ v). */
  function simulated(n: number, beta: number[], seed = 1): LabelledRow[] {
    const rand = random(seed);
    const rows: LabelledRow[] = [];
    for (let i = 0; i < n; i++) {
      const u = rand() * 4 - 2;
      const v = rand() * 10;
      const q = 1 / (1 + Math.exp(-(beta[0] + beta[1] * u + beta[2] * v)));
      const y = rand() < q;
      rows.push({ features: [u, v], positives: y ? 1 : 0, negatives: y ? 0 : 1 });
    }
    return rows;
  }
  /** The coefficients on the raw features, from the standardised ones. */
  const raw = (m: ReturnType<typeof fitLogistic>) => {
    const b = m.coefficients.slice(1).map((c, j) => c / m.scale[j]);
    return [m.coefficients[0] - b.reduce((s, bj, j) => s + bj * m.mean[j], 0), ...b];
  };

  it('recovers known coefficients from 20,000 members, and converges in a few Newton steps', () => {
    const model = fitLogistic(simulated(20_000, [-1, 1.5, 0.3]), { l2: 0 });
    expect(model.converged).toBe(true);
    expect(model.iterations).toBeLessThan(12);
    const [b0, b1, b2] = raw(model);
    expect(b0).toBeCloseTo(-1, 0);
    expect(Math.abs(b1 - 1.5)).toBeLessThan(0.1);
    expect(Math.abs(b2 - 0.3)).toBeLessThan(0.03);
  });

  it('sets the gradient of the penalised log-likelihood to zero', () => {
    const rows = simulated(2000, [0.5, -1, 0.2], 3);
    const model = fitLogistic(rows, { l2: 5 });
    const gradient = [0, 0, 0];
    for (const row of rows) {
      const z = [1, ...row.features.map((f, j) => (f - model.mean[j]) / model.scale[j])];
      const residual = row.positives - (row.positives + row.negatives) * logisticProbability(model, row.features);
      z.forEach((zj, j) => { gradient[j] += residual * zj; });
    }
    gradient.forEach((g, j) => expect(Math.abs(g - (j ? 5 * model.coefficients[j] : 0))).toBeLessThan(1e-6));
  });

  it('the penalty shrinks the coefficients towards zero, never the intercept', () => {
    const rows = simulated(300, [1, 2, -0.5], 4);
    const loose = fitLogistic(rows, { l2: 0 });
    const tight = fitLogistic(rows, { l2: 1000 });
    const norm = (m: typeof loose) => Math.hypot(...m.coefficients.slice(1));
    expect(norm(tight)).toBeLessThan(norm(loose) / 3);
    expect(Math.abs(tight.coefficients[0])).toBeGreaterThan(0.3);
  });

  it('does not depend on the features\' units (standardisation): the same scores in cents or in money', () => {
    const rows = simulated(1000, [0, 1, 0.4], 5);
    const inCents = rows.map((r) => ({ ...r, features: [r.features[0], r.features[1] * 100] }));
    const a = fitLogistic(rows, { l2: 2 });
    const b = fitLogistic(inCents, { l2: 2 });
    for (const r of rows.slice(0, 20)) expect(logisticLogOdds(b, [r.features[0], r.features[1] * 100])).toBeCloseTo(logisticLogOdds(a, r.features), 9);
  });

  it('grouped rows fit exactly as their members one by one', () => {
    const members: LabelledRow[] = [];
    const grouped: LabelledRow[] = [];
    const rand = random(6);
    for (let g = 0; g < 40; g++) {
      const features = [Math.floor(rand() * 5), rand()];
      const positives = Math.floor(rand() * 6);
      const negatives = Math.floor(rand() * 6) + (positives ? 0 : 1);
      grouped.push({ features, positives, negatives });
      for (let i = 0; i < positives; i++) members.push({ features, positives: 1, negatives: 0 });
      for (let i = 0; i < negatives; i++) members.push({ features, positives: 0, negatives: 1 });
    }
    const a = fitLogistic(grouped);
    const b = fitLogistic(members);
    a.coefficients.forEach((c, j) => expect(c).toBeCloseTo(b.coefficients[j], 9));
  });

  it('stays finite when a feature separates the classes (the penalty bounds it)', () => {
    const rows: LabelledRow[] = [0, 1, 2, 3, 4, 5].map((f) => ({ features: [f], positives: f > 2 ? 3 : 0, negatives: f > 2 ? 0 : 3 }));
    const model = fitLogistic(rows);
    expect(model.converged).toBe(true);
    model.coefficients.forEach((c) => expect(Number.isFinite(c)).toBe(true));
    expect(logisticProbability(model, [5])).toBeGreaterThan(0.9);
  });

  it('solves a symmetric positive definite system', () => {
    const A = [[4, 2, 0.6], [2, 5, 1], [0.6, 1, 3]];
    const d = solveSymmetric(A, [1, 2, 3]);
    A.forEach((row, i) => expect(row.reduce((s, a, j) => s + a * d[j], 0)).toBeCloseTo([1, 2, 3][i], 12));
  });
});

describe('grouped K-S and Gini', () => {
  it('equal the member-by-member figures, ties included', () => {
    const rand = random(9);
    const groups = Array.from({ length: 60 }, () => ({ score: Math.floor(rand() * 12), positives: Math.floor(rand() * 4), negatives: Math.floor(rand() * 4) }));
    const scores: number[] = [];
    const positives: boolean[] = [];
    for (const g of groups) {
      for (let i = 0; i < g.positives; i++) { scores.push(g.score); positives.push(true); }
      for (let i = 0; i < g.negatives; i++) { scores.push(g.score); positives.push(false); }
    }
    expect(groupedAuc(groups)).toBeCloseTo(auc(scores, positives), 12);
    expect(groupedGini(groups)).toBeCloseTo(gini(scores, positives), 12);
    expect(groupedKs(groups)).toBeCloseTo(ksStatistic(scores, positives), 12);
  });

  it('are the same from columns (a native sort of the scores) as from group objects', () => {
    const rand = random(11);
    for (const distinctScores of [3, 50, 5000]) {
      const n = 2000;
      const scores = Float64Array.from({ length: n }, () => Math.floor(rand() * distinctScores) / distinctScores - 0.25);
      const positives = Float64Array.from({ length: n }, () => Math.floor(rand() * 3));
      const negatives = Float64Array.from({ length: n }, () => Math.floor(rand() * 3));
      const groups = Array.from(scores, (score, i) => ({ score, positives: positives[i], negatives: negatives[i] }));
      const { gini: g, ks } = groupedFigures(groups);
      expect(figuresOfColumns(scores, positives, negatives)).toEqual({ gini: g, ks });
    }
  });
});

describe('training window and method', () => {
  it('is the horizon, or half the history when that is shorter, and none below the minimum', () => {
    expect(trainingWindow(1000, 0, 90)).toBe(90);
    expect(trainingWindow(1000, 900, 90)).toBe(50);
    expect(trainingWindow(1000, 1000 - 2 * MIN_TRAINING_WINDOW_DAYS + 1, 90)).toBeNull();
    expect(trainingWindow(1000, null, 90)).toBeNull();
  });

  it('the classifier wins only when it beats BG/NBD and recency on Gini, and is not behind on K-S', () => {
    const f = (ks: number, gini: number) => ({ ks, gini });
    const b = (supervised: ReturnType<typeof f> | null): ChurnBacktest => ({ bgnbd: f(0.47, 0.55), recency: f(0.46, 0.54), supervised, recencyScore: f(0.46, 0.54) });
    expect(chooseChurnMethod(b(f(0.47, 0.56)))).toBe('LOGISTIC');
    expect(chooseChurnMethod(b(f(0.45, 0.56)))).toBe('BG_NBD');
    expect(chooseChurnMethod(b(f(0.47, 0.53)))).toBe('BG_NBD');
    expect(chooseChurnMethod(b(null))).toBe('BG_NBD');
    expect(chooseChurnMethod(null)).toBe('BG_NBD');
  });

  it('never a score that ranks worse than recency: the calibrated recency score when neither the classifier nor BG/NBD is as good', () => {
    const f = (ks: number, gini: number) => ({ ks, gini });
    const recency = f(0.467, 0.543);
    const b = (bgnbd: ReturnType<typeof f>, supervised: ReturnType<typeof f>, recencyScore: ReturnType<typeof f> | null = recency): ChurnBacktest =>
      ({ bgnbd, recency, supervised, recencyScore });
    // CDNOW's BG/NBD (0.456 / 0.514) is behind recency; a classifier behind it too: recency, calibrated.
    expect(chooseChurnMethod(b(f(0.456, 0.514), f(0.466, 0.560)))).toBe('RECENCY');
    expect(chooseChurnMethod(b(f(0.456, 0.514), f(0.470, 0.540)))).toBe('RECENCY');
    // BG/NBD ahead on one figure and behind on the other is not as good.
    expect(chooseChurnMethod(b(f(0.470, 0.540), f(0.40, 0.50)))).toBe('RECENCY');
    // BG/NBD at least as good on both: the formula stays.
    expect(chooseChurnMethod(b(f(0.467, 0.543), f(0.40, 0.50)))).toBe('BG_NBD');
    expect(chooseChurnMethod(b(f(0.666, 0.821), f(0.60, 0.80)))).toBe('BG_NBD');
    // No recency score trained (recency does not rank churn there): BG/NBD.
    expect(chooseChurnMethod(b(f(0.456, 0.514), f(0.40, 0.50), null))).toBe('BG_NBD');
    expect(figuresOf(b(f(0.456, 0.514), f(0.40, 0.50)), 'RECENCY')).toEqual(recency);
    expect(figuresOf(b(f(0.456, 0.514), f(0.40, 0.50)), 'LOGISTIC')).toEqual(f(0.40, 0.50));
    expect(figuresOf(b(f(0.456, 0.514), f(0.40, 0.50)), 'BG_NBD')).toEqual(f(0.456, 0.514));
  });

  it('the calibrated recency score is a probability that rises with the days since the last purchase, and none when it does not', () => {
    // Churn likelier the longer since the last purchase: 30 buyers per day count, churn rate rising from 0.2 to 0.9.
    const rows: LabelledSummary[] = Array.from({ length: 12 }, (_, i) => {
      const churned = Math.round(30 * (0.2 + (0.7 * i) / 11));
      return { x: 2, tx: 100 - 8 * i, T: 100, churned, stayed: 30 - churned };
    });
    const model = fitRecencyScore(rows)!;
    expect(model).not.toBeNull();
    const risks = rows.map((r) => recencyChurnRisk(model, r));
    for (let i = 1; i < risks.length; i++) expect(risks[i]).toBeGreaterThan(risks[i - 1]);
    expect(risks[0]).toBeLessThan(0.3);
    expect(risks[11]).toBeGreaterThan(0.65);
    // Calibrated on the whole: the predicted churners add up to the observed ones (the intercept is not penalised).
    const predicted = rows.reduce((sum, r, i) => sum + risks[i] * (r.churned + r.stayed), 0);
    expect(predicted).toBeCloseTo(rows.reduce((sum, r) => sum + r.churned, 0), 6);
    // The same rows with the outcome reversed: recency ranks the wrong way, no score.
    expect(fitRecencyScore(rows.map((r) => ({ ...r, churned: r.stayed, stayed: r.churned })))).toBeNull();
  });

  it('trains nothing on too few buyers', () => {
    const rows: LabelledSummary[] = [{ x: 1, tx: 10, T: 40, churned: 50, stayed: 50 }, { x: 0, tx: 0, T: 40, churned: 80, stayed: 5 }];
    expect(fitChurnClassifier(rows, 60)).toBeNull();
  });
});

/** Purchase days per CDNOW customer from the raw file. */
function cdnowDays(): number[][] {
  const days = new Map<string, number[]>();
  for (const line of readFileSync(resolve(CDNOW, 'CDNOW_sample.txt'), 'utf8').split('\n')) {
    const [, id, date] = line.trim().split(/\s+/);
    if (date) days.set(id, [...(days.get(id) ?? []), dayNumber(date)]);
  }
  return [...days.values()];
}

/** Every buyer as of `cut`, labelled by a purchase in (cut, end] or not (one row per buyer). */
function labelledAt(customers: number[][], cut: number, end: number): LabelledSummary[] {
  return customers.flatMap((days) => {
    const c = summarizePurchaseDays(days, cut);
    if (!c) return [];
    const bought = days.some((d) => d > cut && d <= end);
    return [{ ...c, churned: bought ? 0 : 1, stayed: bought ? 1 : 0 }];
  });
}

describe('CDNOW: the supervised score against BG/NBD and recency (figures for docs/retention.md)', () => {
  it('trained on the first 39 weeks split in two, it ranks the next 39 weeks better than both', () => {
    const customers = cdnowDays();
    const first = Math.min(...customers.map((d) => Math.min(...d)));
    const calibrationEnd = dayNumber('19970930');
    const horizon = 273; // 39 weeks: 1997-10-01 .. 1998-06-30
    const window = trainingWindow(calibrationEnd, first, horizon)!;
    expect(window).toBe(136); // features as of 1997-05-17, outcome over the 136 days to 1997-09-30
    const classifier = fitChurnClassifier(labelledAt(customers, calibrationEnd - window, calibrationEnd), window)!;
    const holdout = labelledAt(customers, calibrationEnd, calibrationEnd + horizon);
    const fit = fitBgNbd(holdout.map((r) => ({ x: r.x, tx: r.tx, T: r.T, count: 1 })));
    const backtest = compareOnHoldout(holdout, fit, horizon, classifier);
    if (process.env.PRINT_FIGURES) console.log(JSON.stringify(backtest, null, 2));
    const s = backtest.supervised!;
    expect(backtest.recency.ks).toBeCloseTo(0.467, 3);
    expect(backtest.recency.gini).toBeCloseTo(0.543, 3);
    expect(backtest.bgnbd.gini).toBeCloseTo(0.514, 3);
    expect(s.gini).toBeGreaterThan(backtest.recency.gini);
    expect(s.gini).toBeGreaterThan(backtest.bgnbd.gini);
    expect(s.ks).toBeGreaterThanOrEqual(backtest.recency.ks);
    expect(s.ks).toBeGreaterThanOrEqual(backtest.bgnbd.ks);
    expect(chooseChurnMethod(backtest)).toBe('LOGISTIC');
    // The calibrated recency score trained with it ranks the holdout exactly as the naive ranking.
    expect(backtest.recencyScore!.ks).toBeCloseTo(backtest.recency.ks, 12);
    expect(backtest.recencyScore!.gini).toBeCloseTo(backtest.recency.gini, 12);
  });
});
