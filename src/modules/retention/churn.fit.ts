import { extname, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { aliveProbability, churnRisk, fitBgNbd, type BgNbdFit, type BgNbdParams, type CustomerSummary, type WeightedSummary } from './churn.rules';

/**
 * What the worker is sent: the rows as four columns, whose buffers move to the worker instead
 * of being copied (structured-cloning ~700k row objects held the event loop for about half a
 * second), and fitBgNbd's warm start.
 */
export interface FitRequest { x: Float64Array; tx: Float64Array; T: Float64Array; count: Float64Array; start?: BgNbdParams; horizon?: number }

/** A fit, and with a horizon, P(alive) and churn risk of each row under it (in the rows' order). */
export interface ScoredFit extends BgNbdFit { alive?: Float64Array; risk?: Float64Array }

export function toFitRequest(rows: readonly WeightedSummary[], start?: BgNbdParams, horizon?: number): FitRequest {
  const n = rows.length;
  const request = { x: new Float64Array(n), tx: new Float64Array(n), T: new Float64Array(n), count: new Float64Array(n), start, horizon };
  rows.forEach((row, i) => {
    request.x[i] = row.x;
    request.tx[i] = row.tx;
    request.T[i] = row.T;
    request.count[i] = row.count;
  });
  return request;
}

export function fromFitRequest({ x, tx, T, count }: FitRequest): WeightedSummary[] {
  return Array.from(x, (_, i) => ({ x: x[i], tx: tx[i], T: T[i], count: count[i] }));
}

/** fitBgNbd, and with a horizon the scores of every row under the fit. */
export function fitAndScore(rows: readonly WeightedSummary[], start?: BgNbdParams, horizon?: number): ScoredFit {
  const fit = fitBgNbd(rows as WeightedSummary[], { start });
  return horizon === undefined ? fit : { ...fit, ...scoreRows(fit, rows, horizon) };
}

export function scoreRows(fit: BgNbdParams, rows: readonly CustomerSummary[], horizon: number): { alive: Float64Array; risk: Float64Array } {
  const alive = new Float64Array(rows.length);
  const risk = new Float64Array(rows.length);
  rows.forEach((row, i) => {
    alive[i] = aliveProbability(fit, row);
    risk[i] = churnRisk(fit, row, horizon);
  });
  return { alive, risk };
}

/**
 * fitBgNbd in a worker thread, so that the API keeps answering while the model is fitted.
 * Under ts-node (npm start, Jest) the worker loads the TypeScript source with ts-node too.
 * Small inputs (and a worker that cannot start) are fitted in place: same function, same result.
 * `start` is fitBgNbd's warm start. With a `horizon`, the rows are scored in the worker too
 * (scoring 700k tuples is another second of CPU).
 */
export async function fitBgNbdOffThread(rows: WeightedSummary[], opts: { minRows?: number; start?: BgNbdParams; horizon?: number } = {}): Promise<ScoredFit> {
  // Just the four numbers: a database row or a whole BgNbdFit may be passed.
  const start = opts.start && { r: opts.start.r, alpha: opts.start.alpha, a: opts.start.a, b: opts.start.b };
  if (rows.length < (opts.minRows ?? 2000)) return fitAndScore(rows, start, opts.horizon);
  const ext = extname(__filename);
  const file = resolve(__dirname, `churn.worker${ext}`);
  const execArgv = ext === '.ts' ? [...process.execArgv, '-r', 'ts-node/register/transpile-only'] : process.execArgv;
  let worker: Worker;
  try {
    worker = new Worker(file, { execArgv });
  } catch {
    return fitAndScore(rows, start, opts.horizon);
  }
  try {
    return await new Promise<ScoredFit>((resolveFit, reject) => {
      worker.once('message', (m: { fit?: ScoredFit; error?: string }) => (m.fit ? resolveFit(m.fit) : reject(new Error(m.error))));
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`churn worker exited with ${code}`)));
      const request = toFitRequest(rows, start, opts.horizon);
      const columns = [request.x, request.tx, request.T, request.count];
      worker.postMessage(request, columns.map((column) => column.buffer as ArrayBuffer)); // fresh buffers, never shared
    });
  } finally {
    void worker.terminate();
  }
}
