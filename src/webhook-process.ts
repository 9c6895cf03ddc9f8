import { fork, type ChildProcess } from 'node:child_process';
import { extname, join } from 'node:path';
import type { Logger } from 'pino';
import type { WebhookSettings } from './config/env';
import type { AttemptRecord } from './modules/webhooks/webhook-delivery.repository';
import type { DeliveryObserver } from './modules/webhooks/webhook-delivery.worker';

/**
 * The webhook delivery worker in a child process of its own, at a lower CPU priority
 * (WEBHOOK_WORKER_NICE, default 10): on a machine with CPU to spare it makes no difference; on a
 * busy one the operating system's scheduler gives the API's requests (and the database's work
 * for them) the CPU first, and deliveries, which are asynchronous anyway, catch up as soon as
 * the requests leave some (docs/decisions.md, "Webhook delivery at background priority"). The
 * child (src/webhook-worker.ts) runs the same WebhookDeliveryWorker as `WEBHOOK_WORKER=inline`,
 * on its own database connection; its claims never overlap another's, so nothing about
 * delivery changes but the priority. It reports its attempts and outcomes here, for the
 * server's metrics. If it dies, it is started again (after 1 s, doubling to 30 s); if the
 * server dies, its IPC channel closes and it exits at once: what it had in flight is leased and
 * due again, as after a crash of the server itself.
 */

/** The environment variable that carries the child's start-up settings. */
export const WORKER_START_ENV = 'LOYALTY_WEBHOOK_WORKER';

/** What the child is started with (JSON in WORKER_START_ENV). */
export interface WorkerStart {
  url: string;
  settings: WebhookSettings;
  logLevel: string;
}

/** Messages between the server and its worker process. */
export type ToWorker = { type: 'stop' };
export type FromWorker =
  | { type: 'ready' }
  | { type: 'stats'; attempts: number; outcomes: [AttemptRecord['kind'], number | null][] };

/** What the server holds of its delivery worker, wherever it runs. */
export interface DeliveryWorkerHandle {
  /** Attempts the worker has started (tests read it). */
  readonly attemptsMade: number;
  /** Resolves once the worker has connected and claims (a process takes a moment to start). */
  ready(): Promise<void>;
  stop(): Promise<void>;
}

const RESTART_MS = 1000;
const RESTART_MAX_MS = 30_000;

export class WebhookWorkerProcess implements DeliveryWorkerHandle {
  attemptsMade = 0;
  private child: ChildProcess | null = null;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | null = null;
  private restartMs = RESTART_MS;
  private markReady: () => void = () => {};
  private readonly isReady = new Promise<void>((resolve) => { this.markReady = resolve; });

  constructor(
    private readonly url: string,
    private readonly settings: WebhookSettings,
    private readonly log: Logger,
    private readonly observer?: DeliveryObserver,
  ) {}

  /** Starts the child; it connects and delivers on its own (the server does not wait for it). */
  start(): void {
    this.spawn();
  }

  private spawn(): void {
    if (this.stopping) return;
    // This file's sibling, as TypeScript through ts-node (npm start, the tests) or as built JavaScript.
    const ts = extname(__filename) === '.ts';
    const start: WorkerStart = { url: this.url, settings: this.settings, logLevel: this.log.level };
    const child = fork(join(__dirname, `webhook-worker${ts ? '.ts' : '.js'}`), [], {
      env: { ...process.env, [WORKER_START_ENV]: JSON.stringify(start) },
      execArgv: ts ? ['-r', 'ts-node/register/transpile-only'] : [],
    });
    this.child = child;
    // The server's own life does not wait for its worker (it stops it in stop()).
    child.unref();
    child.channel?.unref();
    child.on('message', (m: FromWorker) => this.onMessage(m));
    child.on('error', (err) => this.log.error({ err }, 'webhook worker process error'));
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = null;
      if (this.stopping) return;
      this.log.error({ code, signal, restartInMs: this.restartMs }, 'webhook worker process exited; starting it again');
      this.restartTimer = setTimeout(() => {
        this.restartTimer = null;
        this.spawn();
      }, this.restartMs);
      this.restartTimer.unref();
      this.restartMs = Math.min(this.restartMs * 2, RESTART_MAX_MS);
    });
  }

  private onMessage(m: FromWorker): void {
    if (m.type === 'ready') {
      this.restartMs = RESTART_MS;
      this.markReady();
      return;
    }
    if (m.type === 'stats') {
      this.attemptsMade += m.attempts;
      for (let i = 0; i < m.attempts; i++) this.observer?.attempted();
      for (const [kind, latency] of m.outcomes) this.observer?.recorded(kind, latency);
    }
  }

  ready(): Promise<void> {
    return this.isReady;
  }

  /** The worker process's id while it runs. */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** Stops the child: it stops claiming, lets its attempts in flight end (each within its time limit) and exits. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (child.connected) child.send({ type: 'stop' } satisfies ToWorker);
    else child.kill('SIGKILL');
    // Its attempts end within their time limit; past that and a margin, it is killed (what it held is leased and comes back).
    const kill = setTimeout(() => child.kill('SIGKILL'), this.settings.timeoutMs + 10_000);
    await exited;
    clearTimeout(kill);
  }
}
