/**
 * The supervised churn score: a logistic regression of "no purchase within the horizon" on what
 * the server knows of each buyer at a cut of the history, trained on an earlier cut whose
 * outcome is already known, and the backtest that decides whether it replaces BG/NBD's churn
 * risk. Pure functions, no I/O (docs/retention.md, "Supervised churn score").
 */
import { churnRisk, fitBgNbd, type BgNbdParams, type CustomerSummary, type WeightedSummary } from './bgnbd.rules';
import { fitLogistic, logisticProbability, type LogisticModel } from './logistic.rules';
import { figuresOfColumns } from './metrics.rules';

/**
 * Which score churnRisk holds: BG/NBD's (domain.md's formula, the default), the classifier's
 * (LOGISTIC), or recency calibrated (RECENCY: P(churn) of a one-feature logistic regression on
 * the days since the last purchase, which ranks members exactly as the naive ranking does).
 */
export type ChurnMethod = 'BG_NBD' | 'LOGISTIC' | 'RECENCY';

/** A buyer's (x, t_x, T) at a cut, and how many buyers with it churned (no purchase in the window after the cut) or stayed. */
export interface LabelledSummary extends CustomerSummary { churned: number; stayed: number }

/** Below these the classifier is not trained, and churnRisk stays BG/NBD's. */
export const MIN_TRAINING_WINDOW_DAYS = 28;
export const MIN_TRAINING_BUYERS = 200;
export const MIN_TRAINING_CLASS = 20;

/**
 * How far before `day` a classifier meant to be applied at `day` is trained: features at
 * day − w, outcome over (day − w, day]. w is the horizon, or half the history before `day` when
 * that is shorter (CDNOW's 39 weeks of calibration, split in two); null (no classifier) when
 * that leaves less than MIN_TRAINING_WINDOW_DAYS or nothing was bought before `day`.
 */
export function trainingWindow(day: number, firstPurchaseDay: number | null, horizon: number): number | null {
  if (firstPurchaseDay == null) return null;
  const window = Math.min(horizon, Math.floor((day - firstPurchaseDay) / 2));
  return window >= MIN_TRAINING_WINDOW_DAYS ? window : null;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/**
 * What the classifier sees of a buyer at a cut: recency and repeat purchases (logarithms: their
 * effect flattens out), and the log-odds of BG/NBD's own churn risk over `horizon` under the
 * model fitted at that cut, which carries tenure and the purchase rate the way the
 * customer-base model weighs them. In order: ln(1 + days since the last purchase), ln(1 + repeat
 * purchase days), logit of BG/NBD's churn risk over the horizon.
 */
export function churnFeatures(fit: BgNbdParams, c: CustomerSummary, horizon: number): number[] {
  return churnFeaturesAt(c, churnRisk(fit, c, horizon));
}

/** churnFeatures with BG/NBD's churn risk over the horizon already worked out (`bgnbdRisk`): scoring computes it once per buyer. */
export function churnFeaturesAt(c: CustomerSummary, bgnbdRisk: number): number[] {
  const risk = clamp(bgnbdRisk, 1e-12, 1 - 1e-12);
  return [Math.log1p(c.T - c.tx), Math.log1p(c.x), Math.log(risk / (1 - risk))];
}

export interface ChurnClassifier {
  model: LogisticModel;
  /**
   * Recency calibrated on the same training set: a logistic regression on ln(1 + days since the
   * last purchase) alone, kept only when longer means likelier to churn (a positive
   * coefficient), so that it ranks as the naive ranking does; else null.
   */
  recency: LogisticModel | null;
  /** The outcome window it was trained on (days). */
  window: number;
  /** The BG/NBD fit at its training cut (its third feature's). */
  trainingFit: BgNbdParams;
  /** Members it was trained on. */
  buyers: number;
}

/** Labelled summaries as the weighted rows BG/NBD is fitted on: each tuple once, its members whatever they did. */
export const asWeighted = (rows: readonly LabelledSummary[]): WeightedSummary[] => rows.map((r) => ({ x: r.x, tx: r.tx, T: r.T, count: r.churned + r.stayed }));

/**
 * Trains the classifier on buyers at a cut labelled by the `window` days after it: BG/NBD fitted
 * at that cut (`start`: its warm start; `atCut`: that fit, already made on these same rows by
 * the backtest), then the logistic regression. Null when there is too
 * little to learn from (fewer than MIN_TRAINING_BUYERS buyers or MIN_TRAINING_CLASS of either
 * outcome, or no repeat buyer for BG/NBD).
 */
export function fitChurnClassifier(rows: readonly LabelledSummary[], window: number, start?: BgNbdParams, atCut?: BgNbdParams): ChurnClassifier | null {
  const churned = rows.reduce((n, r) => n + r.churned, 0);
  const stayed = rows.reduce((n, r) => n + r.stayed, 0);
  if (churned + stayed < MIN_TRAINING_BUYERS || churned < MIN_TRAINING_CLASS || stayed < MIN_TRAINING_CLASS) return null;
  if (rows.every((r) => r.x === 0)) return null;
  const fit = atCut ?? fitBgNbd(asWeighted(rows), { start });
  const trainingFit = { r: fit.r, alpha: fit.alpha, a: fit.a, b: fit.b };
  const model = fitLogistic(rows.map((r) => ({ features: churnFeatures(trainingFit, r, window), positives: r.churned, negatives: r.stayed })));
  return { model, recency: fitRecencyScore(rows), window, trainingFit, buyers: churned + stayed };
}

/** The recency score's one feature: ln(1 + days since the last purchase). */
const recencyFeature = (days: number) => [Math.log1p(days)];

/**
 * Recency calibrated: P(no purchase in the window) from a logistic regression on
 * ln(1 + days since the last purchase) alone, trained on labelled buyers at a cut. Strictly
 * increasing in the days when its coefficient is positive, so it ranks every set of members
 * exactly as the naive ranking does (the same K-S and Gini) while giving a probability that
 * thresholds (win-back's 0.5, segments) can read. Null when the fitted coefficient is not
 * positive (recency would then not be a churn ranking at all).
 */
export function fitRecencyScore(rows: readonly LabelledSummary[]): LogisticModel | null {
  // One feature, a function of the days alone: the buyers with the same days are one row (the
  // same likelihood, from a few hundred rows instead of half a million).
  const { days, churned, stayed } = byRecencyDays(rows);
  const model = fitLogistic(days.map((d, k) => ({ features: recencyFeature(d), positives: churned[k], negatives: stayed[k] })));
  return model.coefficients[1] > 0 ? model : null;
}

/** The calibrated recency score of a buyer (fitRecencyScore's model). */
export function recencyChurnRisk(model: LogisticModel, c: CustomerSummary): number {
  return recencyRiskAt(model, c.T - c.tx);
}

/** The calibrated recency score of a buyer whose last purchase was `days` days before. */
const recencyRiskAt = (model: LogisticModel, days: number) => logisticProbability(model, recencyFeature(days));

/** The classifier's P(no purchase in the next `horizon` days), `bgnbdRisk` being the buyer's churn risk over it under BG/NBD's fit as of the same day. */
export function supervisedChurnRiskAt(classifier: ChurnClassifier, c: CustomerSummary, bgnbdRisk: number): number {
  return logisticProbability(classifier.model, churnFeaturesAt(c, bgnbdRisk));
}

export interface Figures { ks: number; gini: number }
/**
 * Rankings of the same holdout: BG/NBD's churn risk, days since the last purchase, the
 * classifier (null without one) and the calibrated recency score trained with it (null without
 * one: `recencyScore`; it equals `recency` unless rounding ties two days' probabilities).
 */
export interface ChurnBacktest { bgnbd: Figures; recency: Figures; supervised: Figures | null; recencyScore?: Figures | null }

/**
 * Scores the buyers at a cut (`fit`: BG/NBD's there) against who churned over the `horizon`
 * after it, by K-S and Gini, three ways. `classifier` must have been trained on data before the
 * cut only: this is what makes it a backtest.
 */
export function compareOnHoldout(rows: readonly LabelledSummary[], fit: BgNbdParams, horizon: number, classifier: ChurnClassifier | null): ChurnBacktest {
  const churned = Float64Array.from(rows, (r) => r.churned);
  const stayed = Float64Array.from(rows, (r) => r.stayed);
  const figures = (score: (c: LabelledSummary, i: number) => number): Figures => figuresOfColumns(Float64Array.from(rows, score), churned, stayed);
  const bgnbd = Float64Array.from(rows, (r) => churnRisk(fit, r, horizon)); // once per buyer: the classifier's third feature too
  // The naive ranking and the calibrated recency score depend on the days alone: ranked over the
  // buyers grouped by them (rows with the same days share a score whatever the score), the same
  // figures as row by row, from a few hundred groups.
  const byDays = byRecencyDays(rows);
  const recencyFigures = (score: (days: number) => number): Figures => figuresOfColumns(Float64Array.from(byDays.days, score), byDays.churned, byDays.stayed);
  return {
    bgnbd: figures((_, i) => bgnbd[i]),
    recency: recencyFigures((days) => days),
    supervised: classifier ? figures((r, i) => supervisedChurnRiskAt(classifier, r, bgnbd[i])) : null,
    recencyScore: classifier?.recency ? recencyFigures((days) => recencyRiskAt(classifier.recency!, days)) : null,
  };
}

/** Labelled summaries grouped by days since the last purchase (in the order each first comes): how many churned and stayed with each. */
function byRecencyDays(rows: readonly LabelledSummary[]): { days: number[]; churned: number[]; stayed: number[] } {
  const index = new Map<number, number>();
  const days: number[] = [];
  const churned: number[] = [];
  const stayed: number[] = [];
  for (const r of rows) {
    const d = r.T - r.tx;
    let k = index.get(d);
    if (k === undefined) {
      index.set(d, (k = days.length));
      days.push(d);
      churned.push(0);
      stayed.push(0);
    }
    churned[k] += r.churned;
    stayed[k] += r.stayed;
  }
  return { days, churned, stayed };
}

/**
 * Which score churnRisk holds, by the backtest, so that it never ranks worse than the naive
 * ranking by days since the last purchase (issue 24: "if it cannot beat recency honestly, ship
 * recency-aware scoring rather than a worse model"). One score beats another with a higher
 * Gini and a K-S at least as high. The classifier's (LOGISTIC) when it beats both BG/NBD and
 * the naive ranking; else BG/NBD's (domain.md's formula) when it is at least as good as the
 * naive ranking on both figures; else the calibrated recency score (RECENCY), when one was
 * trained. BG/NBD without a backtest or a classifier (too little history).
 */
export function chooseChurnMethod(backtest: ChurnBacktest | null): ChurnMethod {
  const s = backtest?.supervised;
  if (!backtest || !s) return 'BG_NBD';
  const beats = (a: Figures, b: Figures) => a.gini > b.gini && a.ks >= b.ks;
  if (beats(s, backtest.bgnbd) && beats(s, backtest.recency)) return 'LOGISTIC';
  const { bgnbd, recency, recencyScore } = backtest;
  if (bgnbd.gini >= recency.gini && bgnbd.ks >= recency.ks) return 'BG_NBD';
  return recencyScore ? 'RECENCY' : 'BG_NBD';
}

/** The backtest's figures of the score `method` names (null: none). */
export function figuresOf(backtest: ChurnBacktest | null | undefined, method: ChurnMethod): Figures | null {
  if (!backtest) return null;
  if (method === 'LOGISTIC') return backtest.supervised;
  if (method === 'RECENCY') return backtest.recencyScore ?? null;
  return backtest.bgnbd;
}
