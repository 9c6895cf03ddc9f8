// Runs fitBgNbd off the main thread: a fit over a million buyers' (x, t_x, T) tuples takes
// seconds of pure CPU, during which the event loop would answer nobody.
import { parentPort } from 'node:worker_threads';
import { fitBgNbd } from './churn.rules';
import { fromFitRequest, type FitRequest } from './churn.fit';

parentPort?.on('message', (request: FitRequest) => {
  try {
    parentPort!.postMessage({ fit: fitBgNbd(fromFitRequest(request), { start: request.start }) });
  } catch (err) {
    parentPort!.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
});
