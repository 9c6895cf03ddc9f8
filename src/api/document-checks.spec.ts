import { CheckBudget, MAX_WAITING } from './document-checks';

/** Keeps the CPU busy for `ms`: what a costly check does. */
const spin = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until) { /* busy */ }
};

describe('CheckBudget', () => {
  it('runs checks at once while the bank lasts, in arrival order', async () => {
    const budget = new CheckBudget(0.5); // 500 ms banked
    const order: number[] = [];
    await Promise.all([1, 2, 3].map((i) => budget.run(() => order.push(i))));
    expect(order).toEqual([1, 2, 3]);
  });

  it('past its share, the next check waits for the time the last one took, divided by the share', async () => {
    // A share of 10% (100 ms banked): a check of at least 130 ms leaves at least 30 ms owed, a wait of at
    // least 300 ms; on a loaded machine the check measures longer and the wait grows tenfold with it, within the time limit.
    const budget = new CheckBudget(0.1);
    await budget.run(() => spin(130));
    let ran = false;
    const next = budget.run(() => { ran = true; });
    await new Promise((r) => setTimeout(r, 150));
    expect(ran).toBe(false);
    await next;
    expect(ran).toBe(true);
  }, 10_000);

  it(`refuses a check at once when ${MAX_WAITING} are waiting`, async () => {
    const budget = new CheckBudget(0.01);
    await budget.run(() => spin(20));
    const waiting = Array.from({ length: MAX_WAITING }, () => budget.run(() => undefined));
    expect(waiting.every((w) => w instanceof Promise)).toBe(true);
    expect(budget.run(() => undefined)).toBeUndefined();
  });

  it('a share of 1 is no budget', async () => {
    const budget = new CheckBudget(1);
    await budget.run(() => spin(20));
    expect(await budget.run(() => 'now')).toBe('now');
  });
});
