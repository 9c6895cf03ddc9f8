import { extname, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { pgArray } from '../../db/array-literal';
import {
  aliveProbability, asWeighted, churnRisk, compareOnHoldout, distinctAscending, fitBgNbd, fitChurnClassifier, recencyChurnRisk, slotOf, supervisedChurnRiskAt,
  type BgNbdFit, type BgNbdParams, type ChurnBacktest, type ChurnClassifier, type CustomerSummary, type LabelledSummary, type WeightedSummary,
} from './churn.rules';

/**
 * What the worker is sent: the rows as four columns, whose buffers move to the worker instead
 * of being copied (structured-cloning ~700k row objects held the event loop for about half a
 * second), and fitBgNbd's warm start. With `bought` (1 or 0 per row), a backtest instead of
 * a fit.
 */
export type FitRequest = (FitColumns | TupleText) & { start?: BgNbdParams; horizon?: number; training?: TrainingRequest; share?: boolean };

/**
 * The supervised classifier's training set, sent along with a fit or a backtest: buyers at an
 * earlier cut, each with whether it bought in the `window` days after it (holdout rows), and
 * the warm start of BG/NBD's fit at that cut.
 */
export interface TrainingRequest { rows: FitColumns | TupleText; window: number; start?: BgNbdParams; shared?: boolean }

/** Rows as columns, one Float64Array per field (`bought`: 1 or 0, for a backtest). */
export interface FitColumns { x: Float64Array; tx: Float64Array; T: Float64Array; count: Float64Array; bought?: Float64Array }

/**
 * Rows as PostgreSQL wrote them out, for the worker to decode: "key count key count …" in
 * one or more pieces, key being tupleKey, or for a backtest tupleKey × 2 + 1 if that buyer
 * bought (below 2^53: exact). A million rows read as row objects held the event loop for
 * most of a second; as text, the main thread only passes it on. `rows`: how many.
 */
export interface TupleText { text: string[]; holdout: boolean; rows: number }

/** The columns of a request, decoding its text if it came as text. */
export function columnsOf(request: FitColumns | TupleText): FitColumns {
  if (!('text' in request)) return request;
  const tokens: number[] = []; // non-negative integers, read digit by digit (split and Number took several times as long)
  for (const piece of request.text) {
    let value = 0;
    for (let i = 0; i < piece.length; i++) {
      const c = piece.charCodeAt(i);
      if (c === 32) {
        tokens.push(value);
        value = 0;
      } else {
        value = value * 10 + (c - 48);
      }
    }
    if (piece.length) tokens.push(value);
  }
  const n = tokens.length / 2;
  const columns: FitColumns = { x: new Float64Array(n), tx: new Float64Array(n), T: new Float64Array(n), count: new Float64Array(n) };
  if (request.holdout) columns.bought = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let key = tokens[2 * i];
    if (columns.bought) {
      columns.bought[i] = key % 2;
      key = (key - columns.bought[i]) / 2;
    }
    const T = key % TUPLE_BASE;
    key = (key - T) / TUPLE_BASE;
    const tx = key % TUPLE_BASE;
    columns.x[i] = (key - tx) / TUPLE_BASE;
    columns.tx[i] = tx;
    columns.T[i] = T;
    columns.count[i] = tokens[2 * i + 1];
  }
  return columns;
}
export type HoldoutSummary = WeightedSummary & { bought: boolean };
export type Backtest = ChurnBacktest;

/**
 * A fit, and with a horizon the scores of every row under it, as the three PostgreSQL array
 * literals a statement joins on: each row's tupleKey, P(alive), churn risk (in the rows'
 * order). Written in the worker: turning 1.4M floats into text took the event loop ~1 s.
 */
export interface ScoredFit extends BgNbdFit {
  scores?: { keys: string; alive: string; risk: string };
  /**
   * With a training set: the classifier trained on it, and its churn risk for the same rows (in
   * `keys`' order); `recencyRisk` the calibrated recency score's (null without one).
   */
  supervised?: { classifier: ChurnClassifier; risk: string; recencyRisk: string | null };
}

/**
 * (x, t_x, T) as one number, for a join of the scores on one column: each is a count of
 * days below 10^5 (274 years), and the key stays below 2^53, exact in JavaScript too.
 */
export const TUPLE_BASE = 100_000;

/** Fewer rows than this (the default minRows) are fitted in place: a worker would cost more than the fit. */
export const WORKER_MIN_ROWS = 2000;
export const tupleKey = (c: CustomerSummary) => (c.x * TUPLE_BASE + c.tx) * TUPLE_BASE + c.T;

export function toFitRequest(rows: readonly (WeightedSummary & { bought?: boolean })[], start?: BgNbdParams, horizon?: number, holdout = false): FitColumns & FitRequest {
  const n = rows.length;
  const request: FitColumns & FitRequest = { x: new Float64Array(n), tx: new Float64Array(n), T: new Float64Array(n), count: new Float64Array(n), start, horizon };
  if (holdout) request.bought = new Float64Array(n);
  rows.forEach((row, i) => {
    request.x[i] = row.x;
    request.tx[i] = row.tx;
    request.T[i] = row.T;
    request.count[i] = row.count;
    if (request.bought) request.bought[i] = row.bought ? 1 : 0;
  });
  return request;
}

type FitRows = readonly (WeightedSummary & { bought?: boolean })[];
type FitInput = FitRows | TupleText;

/**
 * A training set as the off-thread calls take it: holdout rows or their text, the window, the
 * warm start; `shared`: the rows and start are the backtest's, whose BG/NBD fit at the cut the
 * fit's worker waits for (sent on by the caller: ShareFit) instead of making it again.
 */
export interface TrainingInput { rows: readonly HoldoutSummary[] | TupleText; window: number; start?: BgNbdParams; shared?: boolean }

/** Holdout rows as objects, or as the columns a worker decodes them into (no object per row). */
export type Holdout = readonly HoldoutSummary[] | FitColumns;

/** A training set, decoded: holdout rows at its cut, the window, the warm start. */
export interface TrainingSet { rows: Holdout; window: number; start?: BgNbdParams }

/**
 * Options of the off-thread calls: fewer rows than minRows (default WORKER_MIN_ROWS) are fitted in
 * place; fitBgNbd's warm start; a worker started ahead (startChurnWorker); the classifier's
 * training set (none: no classifier).
 */
interface OffThread { minRows?: number; start?: BgNbdParams; worker?: ChurnWorker | null; training?: TrainingInput | null }

/** Called once with BG/NBD's fit at the backtest day as soon as the backtest has it (null: it made none). */
export type ShareFit = (fit: BgNbdParams | null) => void;

/** `share` (if any) called for the first call only, with just the four numbers of the fit. */
function once(share?: ShareFit): ShareFit {
  let done = false;
  return (fit) => {
    if (!done) share?.(fit && { r: fit.r, alpha: fit.alpha, a: fit.a, b: fit.b });
    done = true;
  };
}
/** Array.isArray narrows a readonly array to any[]; this keeps its row type. */
const isRows = (input: FitInput): input is FitRows => Array.isArray(input);

/** Rows or text, as a worker is sent them. */
const asRequest = (input: FitInput, start: BgNbdParams | undefined, horizon: number | undefined, holdout: boolean, training?: TrainingInput | null): FitRequest => ({
  ...(isRows(input) ? toFitRequest(input, start, horizon, holdout) : { ...input, start, horizon }),
  ...(training ? {
    training: {
      rows: isRows(training.rows) ? toFitRequest(training.rows, undefined, undefined, true) : training.rows, window: training.window, start: params(training.start), shared: training.shared,
    },
  } : {}),
});
/** Rows or text, as the rows a fit in place takes. */
const rowsOf = (input: FitInput) => (isRows(input) ? input : fromFitRequest(columnsOf(input)));
const sizeOf = (input: FitInput) => (isRows(input) ? input.length : input.rows);

export function fromFitRequest({ x, tx, T, count, bought }: FitColumns): (WeightedSummary & { bought?: boolean })[] {
  return Array.from(x, (_, i) => ({ x: x[i], tx: tx[i], T: T[i], count: count[i], ...(bought ? { bought: bought[i] === 1 } : {}) }));
}

/**
 * Holdout rows as labelled summaries: one per tuple, in the order each first comes, with how
 * many churned (did not buy) and how many stayed. The tuples are found by a native sort of
 * their keys and a binary search per row (a Map of half a million keys took most of a second),
 * and kept in the rows' order, the order the fits after them always had: their sums add up in
 * the same order, so their results are the same to the last digit.
 */
export function labelled(rows: Holdout): LabelledSummary[] {
  const { x, tx, T, count, bought } = isHoldoutRows(rows) ? toFitRequest(rows, undefined, undefined, true) : rows;
  const keys = Float64Array.from(x, (_, i) => (x[i] * TUPLE_BASE + tx[i]) * TUPLE_BASE + T[i]); // tupleKey
  const distinct = distinctAscending(keys);
  const slotAt = Int32Array.from(keys, (key) => slotOf(distinct, key));
  const position = new Int32Array(distinct.length).fill(-1); // each tuple's place in the result
  const tuples: LabelledSummary[] = [];
  for (let i = 0; i < keys.length; i++) {
    const slot = slotAt[i];
    if (position[slot] < 0) {
      position[slot] = tuples.length;
      tuples.push({ x: x[i], tx: tx[i], T: T[i], churned: 0, stayed: 0 });
    }
    const found = tuples[position[slot]];
    if (bought?.[i] === 1) found.stayed += count[i];
    else found.churned += count[i];
  }
  return tuples;
}

const isHoldoutRows = (rows: Holdout): rows is readonly HoldoutSummary[] => Array.isArray(rows);

/**
 * The classifier trained on a training set (holdout rows at its cut; `atCut`: BG/NBD's fit on
 * them, when the backtest made it), or null (too little to learn from, or no fit).
 */
export function trainClassifier(rows: Holdout, window: number, start?: BgNbdParams, atCut?: BgNbdParams | null): ChurnClassifier | null {
  try {
    return fitChurnClassifier(labelled(rows), window, start, atCut ?? undefined);
  } catch {
    return null;
  }
}

/**
 * A backtest: BG/NBD fitted on the summaries as of a past day, and, with a training set from
 * before that day, the classifier; BG/NBD's churn risk over the horizon, the naive recency
 * ranking and the classifier's risk scored by K-S and Gini against who did not buy in it
 * (compareOnHoldout). Null when there is nothing to tell apart (everyone or no one bought, or
 * no one ever repeated) or no fit. `share` is given the BG/NBD fit as soon as it is made (or
 * null, once, if none is): the classifier applied at asOf is trained on these same rows.
 */
export function backtest(rows: Holdout, horizon: number, start?: BgNbdParams, training?: TrainingSet | null, share?: ShareFit): Backtest | null {
  const shareOnce = once(share);
  try {
    const tuples = labelled(rows); // once: the fit's rows and the holdout's
    if (!tuples.length || tuples.every((t) => !t.churned) || tuples.every((t) => !t.stayed) || tuples.every((t) => t.x === 0)) return null;
    let fit: BgNbdFit;
    try {
      fit = fitBgNbd(asWeighted(tuples), { start });
    } catch {
      return null;
    }
    shareOnce(fit);
    const classifier = training ? trainClassifier(training.rows, training.window, training.start) : null;
    return compareOnHoldout(tuples, fit, horizon, classifier);
  } finally {
    shareOnce(null);
  }
}

/**
 * fitBgNbd, and with a horizon the scores under the fit of every distinct tuple among the rows
 * (ScoredFit): the same tuple may come in more than one row (the refresh reads its halves
 * apart), which weighs the same in the fit and is scored once. With a training set, the
 * classifier and its scores (`atCut`: BG/NBD's fit at the training cut, if already made).
 */
export function fitAndScore(rows: readonly WeightedSummary[], start?: BgNbdParams, horizon?: number, training?: TrainingSet | null, atCut?: BgNbdParams | null): ScoredFit {
  const scored = fitAndScoreBgNbd(rows, start, horizon);
  return withSupervised(scored, training, atCut);
}

/** fitAndScore's first part: the fit and its scores, and what the classifier's scores need (the distinct tuples, BG/NBD's risks). */
export interface BgNbdScored { fit: ScoredFit; distinct: readonly CustomerSummary[]; risks: readonly number[] }

export function fitAndScoreBgNbd(rows: readonly WeightedSummary[], start?: BgNbdParams, horizon?: number): BgNbdScored {
  const fit = fitBgNbd(rows as WeightedSummary[], { start });
  if (horizon === undefined) return { fit, distinct: [], risks: [] };
  const seen = new Set<number>();
  const distinct = rows.filter((row) => {
    const key = tupleKey(row);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const risks = distinct.map((row) => churnRisk(fit, row, horizon)); // once per tuple: the classifier's third feature too
  const scores = { keys: pgArray(distinct.map(tupleKey)), alive: pgArray(distinct.map((row) => aliveProbability(fit, row))), risk: pgArray(risks) };
  return { fit: { ...fit, scores }, distinct, risks };
}

/** fitAndScore's second part: with a training set, the classifier trained on it (`atCut` as fitAndScore's) and its scores. */
export function withSupervised({ fit, distinct, risks }: BgNbdScored, training?: TrainingSet | null, atCut?: BgNbdParams | null): ScoredFit {
  return fit.scores ? { ...fit, ...supervisedScores(distinct, risks, training, atCut) } : fit;
}

/**
 * The classifier trained on `training`, and its churn risk and the calibrated recency score's for
 * `rows` (`bgnbdRisks`: BG/NBD's churn risk of each over the horizon, as of their day; `atCut`:
 * BG/NBD's fit at the training cut, if already made); nothing without one.
 */
function supervisedScores(
  rows: readonly CustomerSummary[], bgnbdRisks: readonly number[], training?: TrainingSet | null, atCut?: BgNbdParams | null,
): Pick<ScoredFit, 'supervised'> {
  const classifier = training ? trainClassifier(training.rows, training.window, training.start, atCut) : null;
  if (!classifier) return {};
  const recency = classifier.recency;
  return {
    supervised: {
      classifier,
      risk: pgArray(rows.map((row, i) => supervisedChurnRiskAt(classifier, row, bgnbdRisks[i]))),
      recencyRisk: recency ? pgArray(byDays(rows, (row) => recencyChurnRisk(recency, row))) : null,
    },
  };
}

/** `score` of each row, a function of its days since the last purchase alone: worked out once per distinct days. */
function byDays(rows: readonly CustomerSummary[], score: (row: CustomerSummary) => number): number[] {
  const seen = new Map<number, number>();
  return rows.map((row) => {
    const days = row.T - row.tx;
    let value = seen.get(days);
    if (value === undefined) seen.set(days, (value = score(row)));
    return value;
  });
}

/**
 * fitBgNbd in a worker thread, so that the API keeps answering while the model is fitted.
 * Under ts-node (npm start, Jest) the worker loads the TypeScript source with ts-node too.
 * Small inputs (and a worker that cannot start) are fitted in place: same function, same result.
 * `start` is fitBgNbd's warm start. With a `horizon`, the rows are scored in the worker too
 * (scoring 700k tuples is another second of CPU, writing the scores out as text another).
 */
export async function fitBgNbdOffThread(rows: readonly WeightedSummary[] | TupleText, opts: OffThread & { horizon?: number } = {}): Promise<ScoredFit> {
  const start = params(opts.start);
  const inThread = () => fitAndScore(rowsOf(rows), start, opts.horizon, trainingRows(opts.training));
  if (sizeOf(rows) < (opts.minRows ?? WORKER_MIN_ROWS)) {
    void opts.worker?.thread.terminate();
    return inThread();
  }
  const result = await inWorker(asRequest(rows, start, opts.horizon, false, opts.training), inThread, opts.worker);
  if (!('fit' in result) || !result.fit) throw new Error('churn worker sent no fit');
  return result.fit;
}

/** backtest() in a worker thread: the fit, and the sorts of K-S and Gini over every member, off the event loop. */
export async function backtestOffThread(rows: readonly HoldoutSummary[] | TupleText, horizon: number, opts: OffThread & { share?: ShareFit } = {}): Promise<Backtest | null> {
  const start = params(opts.start);
  const share = once(opts.share);
  try {
    const inThread = () => backtest(holdoutOf(rows), horizon, start, trainingRows(opts.training), share);
    if (sizeOf(rows) < (opts.minRows ?? WORKER_MIN_ROWS)) {
      void opts.worker?.thread.terminate();
      return inThread();
    }
    const request = { ...asRequest(rows, start, horizon, true, opts.training), share: opts.share !== undefined };
    const result = await inWorker(request, inThread, opts.worker, share);
    return 'backtest' in result ? result.backtest ?? null : null;
  } finally {
    share(null); // a worker that failed before its fit: the waiting fit makes its own
  }
}

/** A training set's rows decoded (text as the worker decodes it), for a fit in place. */
const trainingRows = (t?: TrainingInput | null): TrainingSet | null | undefined => t && { rows: holdoutOf(t.rows), window: t.window, start: params(t.start) };

/** Holdout rows, or their text decoded into columns. */
const holdoutOf = (input: readonly HoldoutSummary[] | TupleText): Holdout => (isRows(input) ? input : columnsOf(input));

/** A training request's rows, as the worker decodes them. */
export const decodeTraining = (t?: TrainingRequest): TrainingSet | undefined => t && { rows: columnsOf(t.rows), window: t.window, start: t.start };

/** Just the four numbers: a database row or a whole BgNbdFit may be passed as a start. */
const params = (p?: BgNbdParams) => p && { r: p.r, alpha: p.alpha, a: p.a, b: p.b };

type WorkerResult = { fit?: ScoredFit } | { backtest?: Backtest | null };
/** What a worker posts: its result, an error, or (a backtest's, before its result) the fit it shares. */
export type WorkerMessage = WorkerResult & { error?: string; trainingFit?: BgNbdParams | null };

/** A worker thread, with the first sign that it failed (an error, or an exit before it answered). */
export interface ChurnWorker { thread: Worker; failed: Promise<Error> }

/**
 * Starts a churn worker. Loading one under ts-node takes about a second, so a caller that
 * knows it will fit starts the worker first and hands it over with its request later (the
 * `worker` option); the call it goes to ends it. Null where a worker cannot start.
 */
export function startChurnWorker(): ChurnWorker | null {
  const ext = extname(__filename);
  const file = resolve(__dirname, `churn.worker${ext}`);
  const execArgv = ext === '.ts' ? [...process.execArgv, '-r', 'ts-node/register/transpile-only'] : process.execArgv;
  try {
    const thread = new Worker(file, { execArgv });
    const failed = new Promise<Error>((resolveFailure) => {
      thread.once('error', resolveFailure);
      thread.once('exit', (code) => resolveFailure(new Error(`churn worker exited with ${code}`)));
    });
    return { thread, failed };
  } catch {
    return null;
  }
}

/** Sends a request to a worker (a fresh one unless given), its columns moved; no worker means the work is done here. */
async function inWorker(request: FitRequest, inThread: () => ScoredFit | Backtest | null, worker = startChurnWorker(), share?: ShareFit): Promise<WorkerResult> {
  if (!worker) {
    const local = inThread();
    const holdout = 'text' in request ? request.holdout : request.bought !== undefined;
    return holdout ? { backtest: local as Backtest | null } : { fit: local as ScoredFit };
  }
  try {
    return await new Promise<WorkerResult>((resolveResult, reject) => {
      worker.thread.on('message', (m: WorkerMessage) => {
        if ('trainingFit' in m) share?.(m.trainingFit ?? null);
        else if (m.error) reject(new Error(m.error));
        else resolveResult(m);
      });
      void worker.failed.then(reject);
      const columns = 'text' in request ? [] : [request.x, request.tx, request.T, request.count, ...(request.bought ? [request.bought] : [])];
      worker.thread.postMessage(request, columns.map((column) => column.buffer as ArrayBuffer)); // fresh buffers, never shared
    });
  } finally {
    void worker.thread.terminate();
  }
}
