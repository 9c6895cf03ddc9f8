import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { Client } from 'pg';
import type { Logger } from 'pino';
import type { WebhookSettings } from '../../config/env';
import { serializedConnection, type AppEntityManager } from '../../db/entity-manager';
import { ForegroundProbe, WEBHOOK_APPLICATION } from '../../db/foreground';
import { CpuLoad } from '../../ops/cpu-load';
import { namedUrl, pinSession } from '../../db/session-settings';
import type { Metrics } from '../../ops/metrics';
import { claimDue, endpointsStillAt, fanOut, FANOUT_BATCH, oldestQueuedAt, recordAttempts, releaseClaims, type AttemptRecord, type ClaimedInLine } from './webhook-delivery.repository';
import { sendWebhook } from './webhook-sender';
import { WEBHOOK_CHANNEL } from './webhooks.repository';
import { allowanceAt, allowanceCap, attemptOutcome, deliveryBody, msUntilTokens, secretsInForce, signatureHeader, type Allowance } from './webhooks.rules';

/**
 * How often the worker looks for due deliveries besides being woken: the events the database's
 * capture triggers queue (they send no NOTIFY: docs/decisions.md, "Webhook events"), whose
 * deliveries it then writes (fan-out), a NOTIFY lost, a retry another instance scheduled.
 */
const POLL_MS = 500;
/** Attempts this instance has claimed at most (in flight or waiting in line), all endpoints together; and claimed at once at most. */
const MAX_IN_FLIGHT = 256;
const CLAIM_BATCH = 100;
/**
 * Attempts claimed per endpoint at most, in windows of WEBHOOK_CONCURRENCY: one in flight, the
 * others waiting in this instance's line (leased for the wait: webhook-delivery.repository.ts).
 * An attempt's end claims again only when its endpoint's line is down to half a window: a
 * claim (and its outcomes' record) is one statement for many attempts, not one for the one or
 * two places each end frees.
 */
const WINDOWS = 3;
/** Outcomes are recorded together: the first to finish waits this long for the others. */
const FLUSH_DELAY_MS = 10;
/** A claimed attempt is this instance's for its time limit and this much more (unless settings.leaseMarginMs says); then it is due again. */
const LEASE_MARGIN_MS = 5000;
/** Attempts a second while the API needs the CPU, unless settings.busyRate says (WEBHOOK_BUSY_RATE). */
const BUSY_RATE = 20;
/**
 * Held back no further once an event has waited this long for its deliveries (unless
 * settings.heldAtMostMs says): a CPU the API keeps busy for hours must not stop the webhooks.
 */
const HELD_AT_MOST_MS = 60_000;
/** How often the age of the fan-out queue is read while held back. */
const QUEUE_AGE_EVERY_MS = 1_000;
/** The API needs the CPU when less than this many cores' worth sat idle lately, or this instance's event loop was this busy. */
const IDLE_CORES_LOW = 0.5;
const EVENT_LOOP_HIGH = 0.9;
/** A moment found busy holds back for this long after it. */
const BUSY_FOR_MS = 1_000;

/**
 * Delivers webhooks from every instance at once. Woken by NOTIFY loyalty_webhooks (sent when
 * an emitted event or a redelivery commits), by its own retries' timers and by a poll (which
 * finds the captured events), it claims due
 * deliveries (webhook-delivery.repository.ts: SKIP LOCKED, at most WEBHOOK_CONCURRENCY in
 * flight per endpoint, a lease that makes an attempt whose sender died due again) and sends
 * them concurrently, each signed, within WEBHOOK_TIMEOUT_MS. Its statements run on a connection
 * of its own (also its LISTEN), never the API's pool: a slow or dead endpoint holds only its
 * own places, never another endpoint's, a request's or a connection.
 */
export class WebhookDeliveryWorker {
  private client: Client | null = null;
  private em: EntityManager | null = null;
  private stopped = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private retryTimer: { at: number; timer: NodeJS.Timeout } | null = null;
  private pumping = false;
  /** The claiming loop under way, if any (stop() waits for it before it ends the connection). */
  private pumped: Promise<void> = Promise.resolve();
  private soonTimer: NodeJS.Timeout | null = null;
  private again = false;
  /** The queue of captured events is to be looked at (a poll, the start); stays set while fan-outs take full batches. */
  private fanOutDue = false;
  /** Attempts claimed and not finished, per endpoint: in flight or waiting in line. */
  private readonly inFlight = new Map<string, number>();
  /** Attempts in flight (sent, not answered), per endpoint: at most WEBHOOK_CONCURRENCY. */
  private readonly sendingTo = new Map<string, number>();
  /** Claimed attempts waiting for a place, per endpoint, in line order; with when their lease ends (this clock). */
  private readonly line = new Map<string, { a: ClaimedInLine; leaseEnds: number }[]>();
  private readonly sending = new Set<Promise<void>>();
  /** When the endpoints of the attempts waiting in line were last checked (checkLines). */
  private linesCheckedAt = 0;
  private flushTimer: NodeJS.Timeout | null = null;
  /** Claimed attempts of endpoints that answered 410, to give back once that outcome is recorded. */
  private afterGone: ClaimedInLine[] = [];
  /** Outcomes of attempts that have finished, not recorded yet. */
  private readonly outcomes: { record: AttemptRecord; since: Date; endpointId: string }[] = [];
  private flushing: Promise<void> | null = null;
  private flushAgain = false;
  /** Attempts this instance has made (tests and benches read it). */
  attemptsMade = 0;
  /** Claims made while held back (the API needed the CPU), and their attempts (tests and benches read them). */
  readonly heldBack = { claims: 0, attempts: 0 };
  private allowance: Allowance = { tokens: 0, at: 0 };
  private readonly cpu = new CpuLoad();
  private probe: ForegroundProbe | null = null;
  private loop = performance.eventLoopUtilization();
  private allowanceTimer: NodeJS.Timeout | null = null;
  private busyUntil = 0;
  private queueAge: { at: number; oldest: number | null } = { at: 0, oldest: null };

  constructor(
    private readonly orm: MikroORM,
    private readonly url: string,
    private readonly settings: WebhookSettings,
    private readonly log: Logger,
    private readonly metrics?: Metrics,
  ) {}

  /** Attempts a second at most while held back (WEBHOOK_BUSY_RATE; 0: never held back). */
  private get busyRate(): number {
    return this.settings.busyRate ?? BUSY_RATE;
  }

  async start(): Promise<void> {
    this.pollTimer = setInterval(() => this.wake(true), POLL_MS);
    this.pollTimer.unref();
    await this.connect();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({ connectionString: namedUrl(this.url, WEBHOOK_APPLICATION) });
    client.on('error', (err) => this.log.warn({ err }, 'webhook worker connection error'));
    client.on('end', () => this.scheduleReconnect(client));
    try {
      await client.connect();
      await pinSession(client);
      await client.query(`listen ${WEBHOOK_CHANNEL}`);
      client.on('notification', () => this.wake());
      this.client = client;
      this.em = (this.orm.em as unknown as AppEntityManager).forkOnConnection(serializedConnection(client));
      this.probe = new ForegroundProbe(this.em, () => []);
      this.wake(true);
    } catch (err) {
      this.log.warn({ err }, 'webhook worker could not connect; retrying');
      await client.end().catch(() => {});
      this.scheduleReconnect(client);
    }
  }

  private scheduleReconnect(client: Client) {
    if (this.client === client || !this.client) {
      this.client = null;
      this.em = null;
    }
    if (this.stopped || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.connect(); // logs its own failure and schedules the next try
    }, 500);
  }

  /** Wakes within a few milliseconds: attempts that finish together free their places for one claim, not one claim each. */
  private wakeSoon(): void {
    if (this.soonTimer || this.stopped) return;
    this.soonTimer = setTimeout(() => {
      this.soonTimer = null;
      this.wake();
    }, 3);
  }

  /**
   * Claims and sends until nothing more is due or every place is taken, after writing the
   * deliveries of the events captured since (`fanOut`: a poll, the start); a wake-up meanwhile
   * runs it again.
   */
  private wake(fanOut = false): void {
    if (this.stopped) return;
    if (fanOut) this.fanOutDue = true;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    this.pumped = this.pump().finally(() => { this.pumping = false; }); // pump() logs its own failures
  }

  private async pump(): Promise<void> {
    try {
      do {
        this.again = false;
        const em = this.em;
        if (!em || this.stopped) return;
        await this.checkLines(em);
        const held = await this.heldBackNow();
        if (this.fanOutDue) {
          // Held back, deliveries are written at about the pace they can be sent: a poll period's worth of events at a time.
          const batch = held ? Math.ceil((this.busyRate * POLL_MS) / 1000) : FANOUT_BATCH;
          this.fanOutDue = false;
          const { events } = await fanOut(em, batch);
          if (events === batch && !held) this.fanOutDue = this.again = true;
        }
        const claimedNow = [...this.inFlight.values()].reduce((a, n) => a + n, 0);
        let limit = Math.min(CLAIM_BATCH, MAX_IN_FLIGHT - claimedNow);
        if (held && limit > 0) {
          // Claimed a tenth of a second's worth at a time (the cap), not one by one: a claim and its outcomes are a statement each.
          const want = Math.min(limit, allowanceCap(this.busyRate));
          if (this.allowance.tokens < want) {
            this.wakeWhenAllowed(want);
            return;
          }
          limit = Math.min(limit, Math.floor(this.allowance.tokens));
        }
        const t0 = Date.now();
        const claimed = await claimDue(em, {
          perEndpoint: this.settings.concurrency, windows: WINDOWS, inFlight: this.inFlight, limit,
          timeoutMs: this.settings.timeoutMs, leaseMs: this.settings.timeoutMs + (this.settings.leaseMarginMs ?? LEASE_MARGIN_MS),
        });
        for (const a of claimed) this.enqueue(a, t0 + a.leaseMs);
        if (held && claimed.length) {
          this.allowance.tokens -= claimed.length;
          this.heldBack.claims++;
          this.heldBack.attempts += claimed.length;
        }
        if (claimed.length === limit && limit > 0) this.again = true;
      } while (this.again);
    } catch (err) {
      this.log.error({ err }, 'webhook claim failed');
    }
  }

  /**
   * Whether to hold back now: while the API needs the CPU, this instance makes at most
   * WEBHOOK_BUSY_RATE attempts a second (docs/decisions.md, "Webhook delivery"). The API needs
   * it when the CPU is short (less than IDLE_CORES_LOW cores' worth sat idle lately, or this
   * process's event loop, which the API shares, was busier than EVENT_LOOP_HIGH) while another
   * session of the database is at work (ForegroundProbe: a request's statement, on any
   * instance), unless an event has waited HELD_AT_MOST_MS for its deliveries. Updates the
   * allowance: refilled while held back, full otherwise.
   */
  private async heldBackNow(): Promise<boolean> {
    const rate = this.busyRate;
    const now = Date.now();
    if (rate <= 0) return false;
    let busy: boolean;
    if (this.settings.busy) {
      busy = await this.settings.busy();
    } else {
      const loop = performance.eventLoopUtilization(this.loop);
      this.loop = performance.eventLoopUtilization();
      const idle = this.cpu.idleCores(now);
      const short = (idle != null && idle < IDLE_CORES_LOW) || loop.utilization > EVENT_LOOP_HIGH;
      // Once busy, busy for BUSY_FOR_MS: a reading of spare CPU between two of the API's bursts lets no full claim through.
      if (short && (await this.probe?.busy(now)) === true) this.busyUntil = now + BUSY_FOR_MS;
      busy = now < this.busyUntil;
    }
    if (busy && (await this.oldestQueued(now)) < now - (this.settings.heldAtMostMs ?? HELD_AT_MOST_MS)) busy = false;
    this.allowance = busy ? allowanceAt(this.allowance, now, rate) : { tokens: allowanceCap(rate), at: now };
    return busy;
  }

  /** When the oldest event queued for fan-out was written (Infinity: none), read at most once per QUEUE_AGE_EVERY_MS. */
  private async oldestQueued(now: number): Promise<number> {
    if (now - this.queueAge.at >= QUEUE_AGE_EVERY_MS && this.em) {
      const at = await oldestQueuedAt(this.em);
      this.queueAge = { at: now, oldest: at ? at.getTime() : null };
    }
    return this.queueAge.oldest ?? Infinity;
  }

  /** Held back: wakes when the allowance holds `attempts`. */
  private wakeWhenAllowed(attempts: number): void {
    if (this.allowanceTimer || this.stopped) return;
    const rate = this.busyRate;
    this.allowanceTimer = setTimeout(() => {
      this.allowanceTimer = null;
      this.wake();
    }, Math.max(1, msUntilTokens(this.allowance, rate, attempts)));
    this.allowanceTimer.unref();
  }

  /**
   * At most once a poll period: the attempts waiting in line whose endpoint was deactivated, or
   * moved to another URL, since they were claimed (by any instance's API) are given back unsent,
   * as after a 410: an inactive endpoint's deliveries wait until it is activated again, and a new
   * URL is claimed anew. Without it a line of three windows went on to the old endpoint after the
   * change, on every instance (47 requests over 15 s, three instances, a slow receiver).
   */
  private async checkLines(em: EntityManager): Promise<void> {
    if (!this.line.size || Date.now() - this.linesCheckedAt < POLL_MS) return;
    this.linesCheckedAt = Date.now();
    const waiting = [...this.line.entries()].map(([id, l]) => ({ id, url: l[0]?.a.url ?? '' }));
    const still = await endpointsStillAt(em, waiting);
    const back: ClaimedInLine[] = [];
    for (const { id } of waiting) {
      if (still.has(id)) continue;
      const line = this.line.get(id) ?? [];
      this.line.delete(id);
      for (const w of line) {
        this.finished(w.a.endpointId, false);
        back.push(w.a);
      }
    }
    if (back.length) {
      this.log.info({ attempts: back.length }, 'webhook attempts waiting for an endpoint deactivated or moved since their claim: given back');
      await this.giveBack(back);
    }
  }

  /** Puts a claimed attempt in its endpoint's line, and sends from the line while a place is free. */
  private enqueue(a: ClaimedInLine, leaseEnds: number): void {
    this.inFlight.set(a.endpointId, (this.inFlight.get(a.endpointId) ?? 0) + 1);
    let line = this.line.get(a.endpointId);
    if (!line) this.line.set(a.endpointId, (line = []));
    line.push({ a, leaseEnds });
    this.sendFromLine(a.endpointId);
  }

  private sendFromLine(endpointId: string): void {
    const line = this.line.get(endpointId);
    while (line?.length && (this.sendingTo.get(endpointId) ?? 0) < this.settings.concurrency && !this.stopped) {
      const { a, leaseEnds } = line.shift()!;
      if (Date.now() + this.settings.timeoutMs > leaseEnds) {
        // Its lease would end before the attempt could: not sent; due again when the lease ends (or now, given back).
        this.log.warn({ delivery: a.id }, 'webhook attempt waited past its lease: given back');
        this.finished(a.endpointId, false);
        void this.giveBack([a]);
        continue;
      }
      this.start1(a);
    }
    if (line && !line.length) this.line.delete(endpointId);
  }

  private start1(a: ClaimedInLine): void {
    this.sendingTo.set(a.endpointId, (this.sendingTo.get(a.endpointId) ?? 0) + 1);
    const p: Promise<void> = this.attempt(a)
      .catch((err) => this.log.error({ err, delivery: a.id }, 'webhook attempt failed'))
      .finally(() => {
        this.sending.delete(p);
        const n = (this.sendingTo.get(a.endpointId) ?? 1) - 1;
        if (n > 0) this.sendingTo.set(a.endpointId, n);
        else this.sendingTo.delete(a.endpointId);
        this.finished(a.endpointId, true);
        this.sendFromLine(a.endpointId); // a place is free: the next in line goes
      });
    this.sending.add(p);
  }

  /** One claimed attempt of `endpointId` is over (made or given back); claims again when its line runs short. */
  private finished(endpointId: string, wake: boolean): void {
    const n = (this.inFlight.get(endpointId) ?? 1) - 1;
    if (n > 0) this.inFlight.set(endpointId, n);
    else this.inFlight.delete(endpointId);
    if (wake && n - this.settings.concurrency <= this.settings.concurrency / 2) this.wakeSoon();
  }

  /** Gives claimed attempts back (due now again), logging a failure: their lease ends anyway. */
  private async giveBack(claims: ClaimedInLine[]): Promise<void> {
    const em = this.em;
    if (!em || !claims.length) return;
    await releaseClaims(em, claims).catch((err) => this.log.warn({ err, claims: claims.length }, 'webhook claims not given back; due again when their lease ends'));
  }

  /** Sends one claimed attempt; its outcome is recorded with the others that finish meanwhile (flush). */
  private async attempt(a: ClaimedInLine): Promise<void> {
    this.attemptsMade++;
    const body = deliveryBody({ id: a.eventId, type: a.eventType, occurredAt: a.occurredAt, data: a.data });
    const now = new Date();
    const t = Math.floor(now.getTime() / 1000);
    const res = await sendWebhook({
      url: a.url, body, timeoutMs: this.settings.timeoutMs, allowInsecure: this.settings.allowInsecure,
      headers: {
        'content-type': 'application/json', 'user-agent': 'loyalty-webhooks/1',
        'loyalty-event-id': a.eventId, 'loyalty-event-type': a.eventType,
        'loyalty-signature': signatureHeader(secretsInForce(a, now), t, body),
      },
    });
    const outcome = attemptOutcome(res.status, a.attempts, { maxAttempts: this.settings.maxAttempts, baseMs: this.settings.backoffMs, random: Math.random() });
    const error = outcome.kind === 'GONE'
      ? 'HTTP 410 Gone: the endpoint was deactivated; its deliveries wait until it is activated again'
      : res.error ?? (outcome.kind === 'DELIVERED' ? null : `HTTP ${res.status}`);
    this.outcomes.push({
      record: { id: a.id, attempts: a.attempts, kind: outcome.kind, status: res.status, error, delayMs: outcome.kind === 'RETRY' ? outcome.delayMs : null },
      since: a.since, endpointId: a.endpointId,
    });
    if (outcome.kind === 'RETRY') this.wakeAt(Date.now() + outcome.delayMs);
    if (outcome.kind === 'GONE') {
      // The endpoint is deactivated with this outcome: what waits in its line is not sent, and
      // is given back once the outcome is recorded (not before: a claim meanwhile would take it again).
      const waiting = (this.line.get(a.endpointId) ?? []).map((w) => w.a);
      this.line.delete(a.endpointId);
      for (const w of waiting) this.finished(w.endpointId, false);
      this.afterGone.push(...waiting);
      this.flushSoon();
    } else {
      this.flushLater();
    }
  }

  /** Records the outcomes waiting after FLUSH_DELAY_MS: the attempts finishing meanwhile go in the same statement. */
  private flushLater(): void {
    if (this.flushTimer || this.stopped) {
      if (this.stopped) this.flushSoon();
      return;
    }
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      this.flushSoon();
    }, FLUSH_DELAY_MS);
  }

  /** Records the outcomes waiting, in one statement; what finishes meanwhile goes in the next. */
  private flushSoon(): void {
    if (this.flushing) {
      this.flushAgain = true;
      return;
    }
    this.flushing = this.flush().finally(() => {
      this.flushing = null;
      if (this.flushAgain) {
        this.flushAgain = false;
        this.flushSoon();
      }
    });
  }

  private async flush(): Promise<void> {
    const batch = this.outcomes.splice(0);
    const em = this.em;
    if (!batch.length) return;
    if (!em) {
      // No connection: not recorded, so each stays PENDING and comes back when its lease ends (at least once).
      this.log.warn({ outcomes: batch.length }, 'webhook outcomes not recorded: no database connection');
      return;
    }
    try {
      const recorded = new Map((await recordAttempts(em, batch.map((o) => o.record))).map((r) => [r.id, r.kind]));
      const gone = new Set(batch.filter((o) => o.record.kind === 'GONE').map((o) => o.endpointId));
      if (gone.size) {
        const back = this.afterGone.filter((w) => gone.has(w.endpointId));
        this.afterGone = this.afterGone.filter((w) => !gone.has(w.endpointId));
        await this.giveBack(back);
      }
      for (const o of batch) {
        if (!recorded.has(o.record.id)) continue; // another attempt took it over (its lease had ended)
        this.metrics?.webhookDeliveries.inc({ outcome: o.record.kind.toLowerCase() });
        if (o.record.kind === 'DELIVERED') this.metrics?.webhookLatency.observe(Math.max(0, Date.now() - o.since.getTime()) / 1000);
        if (o.record.kind === 'GONE') this.log.warn({ endpoint: o.endpointId }, 'webhook endpoint answered 410 Gone: deactivated');
      }
    } catch (err) {
      this.log.error({ err, outcomes: batch.length }, 'webhook outcomes not recorded; those attempts come back when their lease ends');
    }
  }

  /** Wakes at `at` (the earliest of the retries this instance scheduled; the poll covers the rest). */
  private wakeAt(at: number): void {
    if (this.stopped || (this.retryTimer && this.retryTimer.at <= at)) return;
    if (this.retryTimer) clearTimeout(this.retryTimer.timer);
    const timer = setTimeout(() => {
      this.retryTimer = null;
      this.wake();
    }, Math.max(0, at - Date.now()) + 5);
    timer.unref();
    this.retryTimer = { at, timer };
  }

  /** Stops claiming, lets the attempts in flight finish (each within its time limit) and closes the connection. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer.timer);
    if (this.soonTimer) clearTimeout(this.soonTimer);
    if (this.allowanceTimer) clearTimeout(this.allowanceTimer);
    // What waits in line is not sent: given back, due at once for another instance (or the next start).
    const waiting = [...this.line.values()].flat().map((w) => w.a);
    this.line.clear();
    await this.giveBack(waiting);
    await Promise.allSettled([...this.sending]);
    // A claim (or the lines' check) under way as the worker stopped ends before the connection
    // does (ended under it, it failed as "webhook claim failed: Connection terminated", an error
    // logged on every such stop); what it took is given back too.
    await this.pumped;
    await this.giveBack([...this.line.values()].flat().map((w) => w.a));
    this.line.clear();
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
    while (this.flushing || this.outcomes.length) {
      if (!this.flushing) this.flushSoon();
      await this.flushing;
    }
    const client = this.client;
    this.client = null;
    this.em = null;
    await client?.end().catch(() => {});
  }
}
