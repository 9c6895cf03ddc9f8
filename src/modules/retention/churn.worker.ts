// Runs fitBgNbd off the main thread: a fit over a million buyers' (x, t_x, T) tuples takes
// seconds of pure CPU, during which the event loop would answer nobody.
import { parentPort } from 'node:worker_threads';
import { backtest, columnsOf, decodeTraining, fitAndScore, fromFitRequest, type FitRequest, type HoldoutSummary } from './churn.fit';

parentPort?.on('message', (request: FitRequest) => {
  try {
    const columns = columnsOf(request);
    if (columns.bought) {
      parentPort!.postMessage({ backtest: backtest(fromFitRequest(columns) as HoldoutSummary[], request.horizon!, request.start, decodeTraining(request.training)) });
      return;
    }
    parentPort!.postMessage({ fit: fitAndScore(fromFitRequest(columns), request.start, request.horizon, decodeTraining(request.training)) });
  } catch (err) {
    parentPort!.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
});
