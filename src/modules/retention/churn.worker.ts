// Runs fitBgNbd off the main thread: a fit over a million buyers' (x, t_x, T) tuples takes
// seconds of pure CPU, during which the event loop would answer nobody.
import { parentPort } from 'node:worker_threads';
import {
  backtest, columnsOf, decodeTraining, fitAndScoreBgNbd, fromFitRequest, withSupervised, type FitRequest, type ShareFit,
} from './churn.fit';
import type { BgNbdParams } from './churn.rules';

/**
 * BG/NBD's fit at the backtest day, when the caller sends it on from the backtest's worker: the
 * fit's classifier is trained on the same rows and waits for it rather than making it again.
 * It may come before the request (a backtest fitted in place).
 */
let receiveShared: ShareFit = () => {};
const sharedFit = new Promise<BgNbdParams | null>((resolve) => { receiveShared = resolve; });

parentPort?.on('message', (message: FitRequest | { trainingFit: BgNbdParams | null }) => {
  if ('trainingFit' in message) receiveShared(message.trainingFit);
  else void answer(message);
});

async function answer(request: FitRequest): Promise<void> {
  try {
    const columns = columnsOf(request);
    if (columns.bought) {
      const share: ShareFit | undefined = request.share ? (fit) => parentPort!.postMessage({ trainingFit: fit }) : undefined;
      parentPort!.postMessage({ backtest: backtest(columns, request.horizon!, request.start, decodeTraining(request.training), share) });
      return;
    }
    const scored = fitAndScoreBgNbd(fromFitRequest(columns), request.start, request.horizon);
    const training = decodeTraining(request.training);
    const atCut = request.training?.shared ? await sharedFit : null;
    parentPort!.postMessage({ fit: withSupervised(scored, training, atCut) });
  } catch (err) {
    parentPort!.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
}
