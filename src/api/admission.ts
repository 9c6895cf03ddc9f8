import type { RequestHandler } from 'express';

/**
 * GraphQL requests in progress at once, the rest waiting in arrival order. A request in
 * progress holds its place until it has answered, even if its client went away meanwhile
 * (freeing it at the close let a client that posts and hangs up keep any number running). One event loop
 * serves everything; past a few requests in progress, more only lengthen each turn of the
 * loop (every request whose database answer has come back runs before the loop looks again),
 * so /healthz, the WebSockets' pings and every request's own latency wait behind them, and
 * throughput does not grow. A request that would be the `maxWaiting`-th to wait is answered
 * 503 at once with Retry-After.
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

  middleware(): RequestHandler {
    return (req, res, next) => {
      if (this.running >= this.max && this.queue.length >= this.maxWaiting) {
        res.setHeader('retry-after', '1');
        return void res.status(503).json({ errors: [{ message: 'The server is busy; retry later', extensions: { code: 'SERVICE_UNAVAILABLE' } }] });
      }
      let released = false;
      let started = false;
      const start = () => {
        started = true;
        this.running++;
        next();
      };
      // Whether it was answered or failed: its place goes to the next. A client that goes away
      // frees a place only while it waits: GraphQL cannot stop an execution under way, so one in
      // progress keeps its place until its handler has answered (into the closed socket).
      const release = () => {
        if (released) return;
        released = true;
        if (!started) {
          const at = this.queue.indexOf(start);
          if (at >= 0) this.queue.splice(at, 1);
          return;
        }
        this.running--;
        this.queue.shift()?.();
      };
      res.once('finish', release);
      res.once('close', () => {
        if (!started || res.writableEnded) release();
      });
      // 'finish' never comes for an answer written after the client left: its end does.
      const end = res.end.bind(res);
      res.end = ((...args: Parameters<typeof end>) => {
        const ended = end(...args);
        release();
        return ended;
      }) as typeof end;
      if (this.running < this.max) start();
      else this.queue.push(start);
    };
  }
}
