import { extname, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { pgArray } from '../../db/array-literal';
import {
  aliveProbability, churnRisk, fitBgNbd, gini, ksStatistic, type BgNbdFit, type BgNbdParams, type CustomerSummary, type WeightedSummary,
} from './churn.rules';

/**
 * What the worker is sent: the rows as four columns, whose buffers move to the worker instead
 * of being copied (structured-cloning ~700k row objects held the event loop for about half a
 * second), and fitBgNbd's warm start. With `bought` (1 or 0 per row), a backtest instead of
 * a fit.
 */
export type FitRequest = (FitColumns | TupleText) & { start?: BgNbdParams; horizon?: number };

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
export interface Backtest { ks: number; gini: number }

/**
 * A fit, and with a horizon the scores of every row under it, as the three PostgreSQL array
 * literals a statement joins on: each row's tupleKey, P(alive), churn risk (in the rows'
 * order). Written in the worker: turning 1.4M floats into text took the event loop ~1 s.
 */
export interface ScoredFit extends BgNbdFit { scores?: { keys: string; alive: string; risk: string } }

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

/** Options of the off-thread calls: fewer rows than minRows (default WORKER_MIN_ROWS) are fitted in place; fitBgNbd's warm start; a worker started ahead (startChurnWorker). */
interface OffThread { minRows?: number; start?: BgNbdParams; worker?: ChurnWorker | null }

type FitRows = readonly (WeightedSummary & { bought?: boolean })[];
type FitInput = FitRows | TupleText;
/** Array.isArray narrows a readonly array to any[]; this keeps its row type. */
const isRows = (input: FitInput): input is FitRows => Array.isArray(input);

/** Rows or text, as a worker is sent them. */
const asRequest = (input: FitInput, start: BgNbdParams | undefined, horizon: number | undefined, holdout: boolean): FitRequest =>
  (isRows(input) ? toFitRequest(input, start, horizon, holdout) : { ...input, start, horizon });
/** Rows or text, as the rows a fit in place takes. */
const rowsOf = (input: FitInput) => (isRows(input) ? input : fromFitRequest(columnsOf(input)));
const sizeOf = (input: FitInput) => (isRows(input) ? input.length : input.rows);

export function fromFitRequest({ x, tx, T, count, bought }: FitColumns): (WeightedSummary & { bought?: boolean })[] {
  return Array.from(x, (_, i) => ({ x: x[i], tx: tx[i], T: T[i], count: count[i], ...(bought ? { bought: bought[i] === 1 } : {}) }));
}

/** Drops the holdout flag and merges identical tuples. */
export function merge(rows: readonly (WeightedSummary & { bought?: boolean })[]): WeightedSummary[] {
  const map = new Map<string, WeightedSummary>();
  for (const r of rows) {
    const key = `${r.x}:${r.tx}:${r.T}`;
    const found = map.get(key);
    if (found) found.count += r.count;
    else map.set(key, { x: r.x, tx: r.tx, T: r.T, count: r.count });
  }
  return [...map.values()];
}

/**
 * A backtest: the model fitted on the summaries as of a past day, each member's churn risk
 * over the horizon scored by K-S and Gini against who did not buy in it. Null when there is
 * nothing to tell apart (everyone or no one bought, or no one ever repeated) or no fit.
 */
export function backtest(rows: readonly HoldoutSummary[], horizon: number, start?: BgNbdParams): Backtest | null {
  if (!rows.length || rows.every((r) => r.bought) || rows.every((r) => !r.bought) || rows.every((r) => r.x === 0)) return null;
  let fit: BgNbdFit;
  try {
    fit = fitBgNbd(merge(rows), { start });
  } catch {
    return null;
  }
  const scores: number[] = [];
  const churned: boolean[] = [];
  for (const r of rows) {
    const risk = churnRisk(fit, r, horizon);
    for (let i = 0; i < r.count; i++) {
      scores.push(risk);
      churned.push(!r.bought);
    }
  }
  return { ks: ksStatistic(scores, churned), gini: gini(scores, churned) };
}

/**
 * fitBgNbd, and with a horizon the scores under the fit of every distinct tuple among the rows
 * (ScoredFit): the same tuple may come in more than one row (the refresh reads its halves
 * apart), which weighs the same in the fit and is scored once.
 */
export function fitAndScore(rows: readonly WeightedSummary[], start?: BgNbdParams, horizon?: number): ScoredFit {
  const fit = fitBgNbd(rows as WeightedSummary[], { start });
  if (horizon === undefined) return fit;
  const seen = new Set<number>();
  const distinct = rows.filter((row) => {
    const key = tupleKey(row);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return {
    ...fit,
    scores: {
      keys: pgArray(distinct.map(tupleKey)),
      alive: pgArray(distinct.map((row) => aliveProbability(fit, row))),
      risk: pgArray(distinct.map((row) => churnRisk(fit, row, horizon))),
    },
  };
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
  const inThread = () => fitAndScore(rowsOf(rows), start, opts.horizon);
  if (sizeOf(rows) < (opts.minRows ?? WORKER_MIN_ROWS)) {
    void opts.worker?.thread.terminate();
    return inThread();
  }
  const result = await inWorker(asRequest(rows, start, opts.horizon, false), inThread, opts.worker);
  if (!('fit' in result) || !result.fit) throw new Error('churn worker sent no fit');
  return result.fit;
}

/** backtest() in a worker thread: the fit, and the sorts of K-S and Gini over every member, off the event loop. */
export async function backtestOffThread(rows: readonly HoldoutSummary[] | TupleText, horizon: number, opts: OffThread = {}): Promise<Backtest | null> {
  const start = params(opts.start);
  const inThread = () => backtest(rowsOf(rows) as HoldoutSummary[], horizon, start);
  if (sizeOf(rows) < (opts.minRows ?? WORKER_MIN_ROWS)) {
    void opts.worker?.thread.terminate();
    return inThread();
  }
  const result = await inWorker(asRequest(rows, start, horizon, true), inThread, opts.worker);
  return 'backtest' in result ? result.backtest ?? null : null;
}

/** Just the four numbers: a database row or a whole BgNbdFit may be passed as a start. */
const params = (p?: BgNbdParams) => p && { r: p.r, alpha: p.alpha, a: p.a, b: p.b };

type WorkerResult = { fit?: ScoredFit } | { backtest?: Backtest | null };

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
async function inWorker(request: FitRequest, inThread: () => ScoredFit | Backtest | null, worker = startChurnWorker()): Promise<WorkerResult> {
  if (!worker) {
    const local = inThread();
    const holdout = 'text' in request ? request.holdout : request.bought !== undefined;
    return holdout ? { backtest: local as Backtest | null } : { fit: local as ScoredFit };
  }
  try {
    return await new Promise<WorkerResult>((resolveResult, reject) => {
      worker.thread.once('message', (m: WorkerResult & { error?: string }) => (m.error ? reject(new Error(m.error)) : resolveResult(m)));
      void worker.failed.then(reject);
      const columns = 'text' in request ? [] : [request.x, request.tx, request.T, request.count, ...(request.bought ? [request.bought] : [])];
      worker.thread.postMessage(request, columns.map((column) => column.buffer as ArrayBuffer)); // fresh buffers, never shared
    });
  } finally {
    void worker.thread.terminate();
  }
}
