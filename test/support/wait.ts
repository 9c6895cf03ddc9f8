/**
 * Polls `condition` until it holds. `ms` is a safety bound, not a guess at how long the work
 * takes: a condition that never holds fails the test with `what` instead of hanging it.
 */
export async function eventually(condition: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`gave up after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Waits until the delivery workers have written the deliveries of every event captured so far:
 * the capture queues each event in webhook_fanout, in the writing transaction, and a worker
 * writes its deliveries within a poll period (docs/decisions.md, "Webhook events").
 */
export async function fannedOut(s: { sql<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]> }): Promise<void> {
  await eventually(async () => (await s.sql<{ n: number }>('select count(*)::int as n from webhook_fanout'))[0].n === 0, 'the captured events fanned out');
}
