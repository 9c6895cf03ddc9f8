import { drainInLanes } from './lanes';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('drainInLanes', () => {
  it('works every batch exactly once, on as many lanes at once as asked', async () => {
    const batches = Array.from({ length: 9 }, (_, i) => i);
    let at = 0;
    let running = 0;
    let most = 0;
    const done: number[] = [];
    await drainInLanes(2, () => (at < batches.length ? batches[at++] : null), async (b) => {
      most = Math.max(most, ++running);
      await tick(b % 3);
      done.push(b);
      running--;
    });
    expect(done.sort((x, y) => x - y)).toEqual(batches);
    expect(most).toBe(2);
  });

  it('stops every lane at the first failure and rethrows it once all have stopped', async () => {
    let at = 0;
    const started: number[] = [];
    let settled = false;
    const run = drainInLanes(2, async () => at++, async (b) => {
      started.push(b);
      if (b === 1) throw new Error('batch 1 failed');
      await tick(20);
    }).finally(() => { settled = true; });
    await expect(run).rejects.toThrow('batch 1 failed');
    // the other lane finished its batch in hand (0) and took no other
    expect(started.sort()).toEqual([0, 1]);
    const seen = started.length;
    await tick(50);
    expect(started.length).toBe(seen);
    expect(settled).toBe(true);
  });
});
