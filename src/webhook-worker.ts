import 'reflect-metadata';
import { setPriority } from 'node:os';
import type { MikroORM } from '@mikro-orm/postgresql';
import pino from 'pino';
import { openOrm } from './db/database';
import type { AttemptRecord } from './modules/webhooks/webhook-delivery.repository';
import { WebhookDeliveryWorker, type DeliveryObserver } from './modules/webhooks/webhook-delivery.worker';
import { LOG_REDACT } from './ops/logging';
import { WORKER_START_ENV, type FromWorker, type ToWorker, type WorkerStart } from './webhook-process';

/**
 * The webhook delivery worker's process (started by src/webhook-process.ts, never by hand): it
 * lowers its own CPU priority, delivers, reports its attempts and outcomes to the server, and
 * exits when the server asks (after its attempts in flight end) or is gone.
 */

/** Sends to the server, unless it is gone. */
function send(m: FromWorker): void {
  if (process.connected) process.send?.(m);
}

/** Attempts and outcomes, sent to the server together every STATS_MS (not one message per delivery). */
const STATS_MS = 50;

class StatsRelay implements DeliveryObserver {
  private attempts = 0;
  private outcomes: [AttemptRecord['kind'], number | null][] = [];
  private timer: NodeJS.Timeout | null = null;

  attempted(): void {
    this.attempts++;
    this.soon();
  }

  recorded(kind: AttemptRecord['kind'], latencySeconds: number | null): void {
    this.outcomes.push([kind, latencySeconds]);
    this.soon();
  }

  private soon(): void {
    this.timer ??= setTimeout(() => this.flush(), STATS_MS);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.attempts && !this.outcomes.length) return;
    send({ type: 'stats', attempts: this.attempts, outcomes: this.outcomes });
    this.attempts = 0;
    this.outcomes = [];
  }
}

async function main(): Promise<void> {
  const start = JSON.parse(process.env[WORKER_START_ENV] ?? 'null') as WorkerStart | null;
  if (!start || !process.send) throw new Error('src/webhook-worker.ts is started by the server (WEBHOOK_WORKER=process), not by hand');
  const log = pino({ level: start.logLevel, redact: LOG_REDACT }).child({ worker: 'webhooks' });
  try {
    setPriority(start.settings.nice);
  } catch (err) {
    log.warn({ err, nice: start.settings.nice }, 'webhook worker: could not lower its priority; delivering at the server\'s');
  }
  // A terminal's Ctrl-C reaches the whole process group: the server decides when this process stops.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => {});
  const relay = new StatsRelay();
  let orm: MikroORM | null = null;
  let worker: WebhookDeliveryWorker | null = null;
  let stopping: Promise<void> | null = null;
  const stop = () => (stopping ??= (async () => {
    await booting.catch(() => {});
    await worker?.stop();
    relay.flush();
    await orm?.close(true).catch(() => {});
    process.exit(0);
  })());
  process.on('message', (m: ToWorker) => {
    if (m?.type === 'stop') void stop();
  });
  // The server is gone (killed, say): exit now, as its crash would have ended an inline worker;
  // the attempts in flight are leased and come back to whichever instance claims them next.
  process.on('disconnect', () => {
    if (!stopping) process.exit(0);
  });
  const booting = (async () => {
    orm = await openOrm(start.url, 1);
    worker = new WebhookDeliveryWorker(orm, start.url, start.settings, log, relay);
    await worker.start();
  })();
  await booting;
  send({ type: 'ready' });
}

main().catch((err) => {
  process.stderr.write(`webhook worker could not start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
