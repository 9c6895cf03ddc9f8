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
