/**
 * The supervised churn score: a logistic regression of "no purchase within the horizon" on what
 * the server knows of each buyer at a cut of the history, trained on an earlier cut whose
 * outcome is already known, and the backtest that decides whether it replaces BG/NBD's churn
 * risk. Pure functions, no I/O (docs/retention.md, "Supervised churn score").
 */
import { churnRisk, fitBgNbd, type BgNbdParams, type CustomerSummary, type WeightedSummary } from './bgnbd.rules';
import { fitLogistic, logisticProbability, type LogisticModel } from './logistic.rules';
import { groupedGini, groupedKs, type ScoredGroup } from './metrics.rules';

export type ChurnMethod = 'BG_NBD' | 'LOGISTIC';

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
  const risk = clamp(churnRisk(fit, c, horizon), 1e-12, 1 - 1e-12);
  return [Math.log1p(c.T - c.tx), Math.log1p(c.x), Math.log(risk / (1 - risk))];
}

export interface ChurnClassifier {
  model: LogisticModel;
  /** The outcome window it was trained on (days). */
  window: number;
  /** The BG/NBD fit at its training cut (its third feature's). */
  trainingFit: BgNbdParams;
  /** Members it was trained on. */
  buyers: number;
}

const asWeighted = (rows: readonly LabelledSummary[]): WeightedSummary[] => rows.map((r) => ({ x: r.x, tx: r.tx, T: r.T, count: r.churned + r.stayed }));

/**
 * Trains the classifier on buyers at a cut labelled by the `window` days after it: BG/NBD fitted
 * at that cut (`start`: its warm start), then the logistic regression. Null when there is too
 * little to learn from (fewer than MIN_TRAINING_BUYERS buyers or MIN_TRAINING_CLASS of either
 * outcome, or no repeat buyer for BG/NBD).
 */
export function fitChurnClassifier(rows: readonly LabelledSummary[], window: number, start?: BgNbdParams): ChurnClassifier | null {
  const churned = rows.reduce((n, r) => n + r.churned, 0);
  const stayed = rows.reduce((n, r) => n + r.stayed, 0);
  if (churned + stayed < MIN_TRAINING_BUYERS || churned < MIN_TRAINING_CLASS || stayed < MIN_TRAINING_CLASS) return null;
  if (rows.every((r) => r.x === 0)) return null;
  const fit = fitBgNbd(asWeighted(rows), { start });
  const trainingFit = { r: fit.r, alpha: fit.alpha, a: fit.a, b: fit.b };
  const model = fitLogistic(rows.map((r) => ({ features: churnFeatures(trainingFit, r, window), positives: r.churned, negatives: r.stayed })));
  return { model, window, trainingFit, buyers: churned + stayed };
}

/** The classifier's P(no purchase in the next `horizon` days), `fit` being BG/NBD's as of the same day. */
export function supervisedChurnRisk(classifier: ChurnClassifier, fit: BgNbdParams, c: CustomerSummary, horizon: number): number {
  return logisticProbability(classifier.model, churnFeatures(fit, c, horizon));
}

export interface Figures { ks: number; gini: number }
/** Three rankings of the same holdout: BG/NBD's churn risk, days since the last purchase, the classifier (null without one). */
export interface ChurnBacktest { bgnbd: Figures; recency: Figures; supervised: Figures | null }

const figures = (groups: ScoredGroup[]): Figures => ({ ks: groupedKs(groups), gini: groupedGini(groups) });

/**
 * Scores the buyers at a cut (`fit`: BG/NBD's there) against who churned over the `horizon`
 * after it, by K-S and Gini, three ways. `classifier` must have been trained on data before the
 * cut only: this is what makes it a backtest.
 */
export function compareOnHoldout(rows: readonly LabelledSummary[], fit: BgNbdParams, horizon: number, classifier: ChurnClassifier | null): ChurnBacktest {
  const groups = (score: (c: LabelledSummary) => number) => rows.map((r) => ({ score: score(r), positives: r.churned, negatives: r.stayed }));
  return {
    bgnbd: figures(groups((r) => churnRisk(fit, r, horizon))),
    recency: figures(groups((r) => r.T - r.tx)),
    supervised: classifier ? figures(groups((r) => supervisedChurnRisk(classifier, fit, r, horizon))) : null,
  };
}

/**
 * Which score churnRisk holds: the classifier's when its backtest beats both BG/NBD and the naive
 * recency ranking (a higher Gini, and a K-S at least as high), else BG/NBD's (domain.md's formula).
 */
export function chooseChurnMethod(backtest: ChurnBacktest | null): ChurnMethod {
  const s = backtest?.supervised;
  if (!backtest || !s) return 'BG_NBD';
  const beats = (other: Figures) => s.gini > other.gini && s.ks >= other.ks;
  return beats(backtest.bgnbd) && beats(backtest.recency) ? 'LOGISTIC' : 'BG_NBD';
}
