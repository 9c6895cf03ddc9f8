// Runs fitBgNbd off the main thread: a fit over a million buyers' (x, t_x, T) tuples takes
// seconds of pure CPU, during which the event loop would answer nobody.
import { parentPort } from 'node:worker_threads';
import { fitAndScore, fromFitRequest, type FitRequest } from './churn.fit';

parentPort?.on('message', (request: FitRequest) => {
  try {
    const fit = fitAndScore(fromFitRequest(request), request.start, request.horizon);
    const moved = [fit.alive, fit.risk].flatMap((column) => (column ? [column.buffer as ArrayBuffer] : []));
    parentPort!.postMessage({ fit }, moved);
  } catch (err) {
    parentPort!.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
});
