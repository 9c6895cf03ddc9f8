import type { RequestHandler, Response } from 'express';

/**
 * GraphQL operations in progress at once, the rest waiting in arrival order: HTTP requests
 * (`middleware`) and WebSocket queries and mutations (`run`). One event loop serves everything;
 * past a few operations in progress, more only lengthen each turn of the loop (every operation
 * whose database answer has come back runs before the loop looks again), so /healthz, the
 * WebSockets' pings and every operation's own latency wait behind them, and throughput does
 * not grow. One that would be the `maxWaiting`-th to wait is refused at once (HTTP: 503 with
 * Retry-After). An operation in progress holds its place until it has run, even if its client
 * went away meanwhile: graphql-js cannot stop an execution under way, and freeing the place at
 * the close let a client that sends and hangs up keep any number running. One that waits
 * leaves the line when its client goes away, and never runs.
 */
export class Admission {
  private running = 0;
  private readonly queue: (() => void)[] = [];

  constructor(private readonly max: number, private readonly maxWaiting: number) {}

  get inProgress(): number {
    return this.running;
  }

  get waiting(): number {
    return this.queue.length;
  }

  private get full(): boolean {
    return this.running >= this.max && this.queue.length >= this.maxWaiting;
  }

  /** Starts `start` now if a place is free, else when one frees. */
  private admit(start: () => void): void {
    if (this.running < this.max) {
      this.running++;
      start();
    } else {
      this.queue.push(start);
    }
  }

  /** A place given back: the next in line takes it. */
  private leave(): void {
    this.running--;
    const next = this.queue.shift();
    if (next) {
      this.running++;
      next();
    }
  }

  private leaveLine(start: () => void): void {
    const at = this.queue.indexOf(start);
    if (at >= 0) this.queue.splice(at, 1);
  }

  /**
   * Runs `work` once a place is free and holds the place until it has settled. `gone` aborted
   * while it waits: it leaves the line and `work` never runs (undefined). Null when the line
   * is full.
   */
  run<T>(work: () => Promise<T>, gone?: AbortSignal): Promise<T | undefined> | null {
    if (this.full) return null;
    if (gone?.aborted) return Promise.resolve(undefined);
    return new Promise<T | undefined>((resolve, reject) => {
      const start = () => {
        gone?.removeEventListener('abort', leaveLine);
        // A work that throws before its promise rejects as one that rejects.
        Promise.resolve().then(work).finally(() => this.leave()).then(resolve, reject);
      };
      const leaveLine = () => {
        this.leaveLine(start);
        resolve(undefined);
      };
      gone?.addEventListener('abort', leaveLine, { once: true });
      this.admit(start);
    });
  }

  middleware(): RequestHandler {
    return (req, res, next) => {
      if (this.full) {
        res.setHeader('retry-after', '1');
        return void res.status(503).json({ errors: [{ message: 'The server is busy; retry later', extensions: { code: 'SERVICE_UNAVAILABLE' } }] });
      }
      let state: 'waiting' | 'running' | 'done' = 'waiting';
      const start = () => {
        state = 'running';
        next();
      };
      // Answered or failed: its place goes to the next. Its client gone: only while it waits.
      const release = () => {
        if (state === 'done') return;
        const was = state;
        state = 'done';
        if (was === 'waiting') this.leaveLine(start);
        else this.leave();
      };
      res.once('finish', release);
      res.once('close', () => {
        if (state === 'waiting' || res.writableEnded) release();
      });
      // 'finish' never comes for an answer written after the client left: its end does.
      const end = res.end.bind(res);
      res.end = ((...args: Parameters<typeof end>) => {
        const ended = end(...args);
        release();
        return ended;
      }) as typeof end;
      this.admit(start);
    };
  }
}

/**
 * `work` for an HTTP request that holds a place of `admission` from its start to its end (an
 * import, a streamed export: each keeps a pool connection that long) and may wait at most
 * `waitMs` for it, its body unread meanwhile (TCP holds it back at the client). 'busy' when the
 * line is full or the wait ran out, 'gone' when the client left first (its work never runs).
 */
export async function runWithin<T>(admission: Admission, res: Response, waitMs: number, work: () => Promise<T>): Promise<{ ran: T } | 'busy' | 'gone'> {
  const left = new AbortController();
  const timer = setTimeout(() => left.abort('busy'), waitMs);
  const onClose = () => left.abort('gone');
  res.once('close', onClose);
  const settle = () => {
    clearTimeout(timer);
    res.off('close', onClose);
  };
  try {
    const running = admission.run(async () => {
      settle();
      return { ran: await work() };
    }, left.signal);
    if (running === null) return 'busy';
    return (await running) ?? (left.signal.reason as 'busy' | 'gone');
  } finally {
    settle();
  }
}
