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
