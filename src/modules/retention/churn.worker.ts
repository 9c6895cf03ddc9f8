// Runs fitBgNbd off the main thread: a fit over a million buyers' (x, t_x, T) tuples takes
// seconds of pure CPU, during which the event loop would answer nobody.
import { parentPort } from 'node:worker_threads';
import { fitBgNbd, type WeightedSummary } from './churn.rules';

parentPort?.on('message', (rows: WeightedSummary[]) => {
  try {
    parentPort!.postMessage({ fit: fitBgNbd(rows) });
  } catch (err) {
    parentPort!.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
});
