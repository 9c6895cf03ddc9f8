/**
 * Works through the batches `next` hands out (null: no more) on `lanes` lanes at once, as the
 * set-based jobs do on two connections. The first failure stops every lane before its next
 * batch and is rethrown once all lanes have stopped (nothing keeps running behind the caller).
 */
export async function drainInLanes<T>(lanes: number, next: () => Promise<T | null> | T | null, work: (batch: T) => Promise<void>): Promise<void> {
  let failed = false;
  const lane = async () => {
    try {
      while (!failed) {
        const batch = await next();
        if (batch == null || failed) return;
        await work(batch);
      }
    } catch (err) {
      failed = true;
      throw err;
    }
  };
  const outcomes = await Promise.allSettled(Array.from({ length: lanes }, lane));
  const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failure) throw failure.reason;
}
