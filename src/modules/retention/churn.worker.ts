// Runs fitBgNbd off the main thread: a fit over a million buyers' (x, t_x, T) tuples takes
// seconds of pure CPU, during which the event loop would answer nobody.
import { parentPort } from 'node:worker_threads';
import { backtest, fitAndScore, fromFitRequest, type FitRequest, type HoldoutSummary } from './churn.fit';

parentPort?.on('message', (request: FitRequest) => {
  try {
    if (request.bought) {
      parentPort!.postMessage({ backtest: backtest(fromFitRequest(request) as HoldoutSummary[], request.horizon!, request.start) });
      return;
    }
    parentPort!.postMessage({ fit: fitAndScore(fromFitRequest(request), request.start, request.horizon) });
  } catch (err) {
    parentPort!.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
});
