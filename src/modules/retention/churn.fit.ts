import { extname, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { fitBgNbd, type BgNbdFit, type WeightedSummary } from './churn.rules';

/**
 * fitBgNbd in a worker thread, so that the API keeps answering while the model is fitted.
 * Under ts-node (npm start, Jest) the worker loads the TypeScript source with ts-node too.
 * Small inputs (and a worker that cannot start) are fitted in place: same function, same result.
 */
export async function fitBgNbdOffThread(rows: WeightedSummary[], opts: { minRows?: number } = {}): Promise<BgNbdFit> {
  if (rows.length < (opts.minRows ?? 2000)) return fitBgNbd(rows);
  const ext = extname(__filename);
  const file = resolve(__dirname, `churn.worker${ext}`);
  const execArgv = ext === '.ts' ? [...process.execArgv, '-r', 'ts-node/register/transpile-only'] : process.execArgv;
  let worker: Worker;
  try {
    worker = new Worker(file, { execArgv });
  } catch {
    return fitBgNbd(rows);
  }
  try {
    return await new Promise<BgNbdFit>((resolveFit, reject) => {
      worker.once('message', (m: { fit?: BgNbdFit; error?: string }) => (m.fit ? resolveFit(m.fit) : reject(new Error(m.error))));
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`churn worker exited with ${code}`)));
      worker.postMessage(rows);
    });
  } finally {
    void worker.terminate();
  }
}
