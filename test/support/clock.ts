import type { Clock } from '../../src/common/clock';

/**
 * A clock a test moves: the system's time plus an offset that only `advance` changes. A test
 * that needs "later" advances it instead of sleeping, so the outcome does not depend on how
 * fast the machine is.
 */
export class TestClock implements Clock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }

  reset(): void {
    this.offsetMs = 0;
  }
}

/**
 * Runs `f` (a job run as of `at`) with `clock` moved to `at` when `at` is ahead of it, then puts
 * the clock back: the server refuses a job as of a time that has not come (src/common/clock.ts
 * resolveJobAsOf), so a test that runs one ahead first lets that time come.
 */
export async function whenItComes<T>(clock: TestClock, at: string | Date, f: () => Promise<T>): Promise<T> {
  const ahead = new Date(at).getTime() - clock.now().getTime();
  if (ahead <= 0) return f();
  clock.advance(ahead);
  try {
    return await f();
  } finally {
    clock.advance(-ahead);
  }
}
