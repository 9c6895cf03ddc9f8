import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { Client } from 'pg';
import type { Logger } from 'pino';
import type { Metrics } from '../ops/metrics';
import { OUTBOX_CHANNEL, type OutboxRow } from './outbox';
import type { AppPubSub } from './pubsub';
import type { EventRegistry, OutboxEventType, Topic } from './registry';
import { pgArray, serializedConnection, type AppEntityManager, type PgConnection } from '../db/entity-manager';
import { BACKGROUND_APPLICATION } from '../db/foreground';
import { namedUrl, pinSession } from '../db/session-settings';

/** Its `id` output is text: reads order by `o.id` (the bigint column), never by a bare `id` (text: 10 before 9). */
const ROW_COLUMNS = 'select o.id::text, o.topic, o.payload, o.created_at as "createdAt" from outbox o';

/** Events published in one go (OutboxDispatcher.publish): a few hundred KB of frames per subscriber. */
const PUBLISH_SLICE = 2_000;
/** Between slices: wait until no subscriber's socket holds more than this queued… */
const DRAINED_BYTES = 1024 * 1024;
/** …or this long (AppPubSub.drained: a stall of the server's own counts little; a subscriber that reads slower still is cut off at its socket's limit, and catches up from the feed). */
const DRAIN_WAIT_MS = 2_000;

/** How often each dispatcher polls the outbox as well, in case a NOTIFY was lost. */
const POLL_MS = 2000;
/**
 * How long NOTIFYs are gathered before one read of the outbox: at a hundred upgrades a
 * second, 15 ms reads two or three events at once for at most 15 ms more latency.
 */
const COALESCE_MS = 15;

/**
 * Delivers committed outbox events to this instance's subscribers. LISTEN on a dedicated
 * connection; each NOTIFY (sent once the writer has committed: notifyAfterCommit) names an id range, read back
 * from the outbox. On (re)connect and every POLL_MS it also catches up from the outbox, so a
 * dropped connection or a lost NOTIFY loses nothing; a delivered-id set keeps each event to
 * one delivery. It knows no module: each row's topic is looked up in the registry of event
 * types the modules registered (registry.ts), which loads the events the row stands for.
 */
export class OutboxDispatcher {
  private client: Client | null = null;
  /** The client's statements one after another: a NOTIFY's read and the poll's may overlap. */
  private connection: PgConnection | null = null;
  private lastId = '0';
  private readonly delivered = new Set<string>();
  private stopped = false;
  private reconnectTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly orm: MikroORM,
    private readonly url: string,
    private readonly pubSub: AppPubSub,
    private readonly events: EventRegistry,
    private readonly log: Logger,
    private readonly metrics?: Metrics,
  ) {}

  private pollTimer: NodeJS.Timeout | null = null;
  private pending: { lo: bigint; hi: bigint } | null = null;
  private flushTimer: NodeJS.Timeout | null = null;

  async start(): Promise<void> {
    this.pollTimer = setInterval(() => { if (this.client) void this.catchUp(); }, POLL_MS);
    this.pollTimer.unref();
    // Only what commits from now on: the newest id, and the recent rows the catch-up window
    // would otherwise hand to this instance's (new) subscribers, count as delivered.
    const em = this.orm.em.fork();
    const [row] = await em.execute<{ id: string }[]>('select coalesce(max(id), 0)::text as id from outbox');
    this.lastId = row.id;
    const recent = await em.execute<{ id: string }[]>(`select id::text from outbox where id > ?::bigint - 10000 and created_at > now() - interval '1 minute'`, [this.lastId]);
    for (const r of recent) this.delivered.add(r.id);
    await this.connect();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    // Its reads run on this connection too, named as background work: a review's pace does not
    // take the dispatcher reading back its batches for foreground work (ForegroundProbe).
    const client = new Client({ connectionString: namedUrl(this.url, BACKGROUND_APPLICATION) });
    client.on('error', (err) => this.log.warn({ err }, 'outbox listener connection error'));
    client.on('end', () => this.scheduleReconnect());
    try {
      await client.connect();
      await pinSession(client);
      await client.query(`listen ${OUTBOX_CHANNEL}`);
      client.on('notification', (n) => this.onNotify(n.payload ?? ''));
      this.connection = serializedConnection(client);
      this.client = client;
      await this.catchUp();
    } catch (err) {
      this.log.warn({ err }, 'outbox listener could not connect; retrying');
      await client.end().catch(() => {});
      this.scheduleReconnect();
    }
  }

  private scheduleReconnect() {
    this.client = null;
    if (this.stopped || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.connect();
    }, 500);
  }

  /**
   * NOTIFYs arriving within COALESCE_MS are read back together: under a burst of upgrades
   * one read covers many events instead of one read each.
   */
  private onNotify(payload: string) {
    const m = /^(\d+)-(\d+)$/.exec(payload);
    if (!m) return;
    const [lo, hi] = [BigInt(m[1]), BigInt(m[2])];
    this.pending = this.pending ? { lo: lo < this.pending.lo ? lo : this.pending.lo, hi: hi > this.pending.hi ? hi : this.pending.hi } : { lo, hi };
    this.flushTimer ??= setTimeout(() => {
      const range = this.pending!;
      this.pending = null;
      this.flushTimer = null;
      void this.deliver('id between ? and ?', [String(range.lo), String(range.hi)], true);
    }, COALESCE_MS);
  }

  /**
   * Everything committed after the last delivered id, plus the last minute's rows below it:
   * a transaction that took its id earlier may commit later, and its NOTIFY may be lost
   * (it is sent after commit). The delivered-id set drops what was already delivered.
   */
  async catchUp() {
    await this.deliver(`id > ?::bigint - 10000 and (id > ?::bigint or created_at > now() - interval '1 minute')`, [this.lastId, this.lastId]);
  }

  /**
   * Delivers the outbox rows `where` selects that this instance has not delivered yet. A
   * NOTIFY's range (`whole`) is read in one statement, rows and payloads: it holds rows just
   * committed, this instance's to deliver. The poll reads ids first and the rest only for the
   * new ones: its window re-reads the last minute's rows, and a review batch's row carries
   * 20,000 ids (re-reading a review's rows every 2 s slowed purchases for the minute after it).
   * One delivery at a time (a NOTIFY's and the poll's queue behind each other): events reach
   * subscribers in the order their rows were claimed, also while a large one is published in
   * slices (publish).
   */
  private deliver(where: string, params: unknown[], whole = false): Promise<void> {
    const run = this.deliveries.then(() => this.deliverNow(where, params, whole));
    this.deliveries = run.catch(() => {});
    return run;
  }

  /** The tail of the deliveries queued (deliver). */
  private deliveries: Promise<void> = Promise.resolve();

  private async deliverNow(where: string, params: unknown[], whole: boolean) {
    let ids: string[] = [];
    const client = this.client && this.connection;
    if (!client) return; // reconnecting: the catch-up on reconnect reads it
    try {
      const em = (this.orm.em as unknown as AppEntityManager).forkOnConnection(client) as unknown as EntityManager;
      let rows: OutboxRow[];
      // Claimed before the first await after reading them: a NOTIFY and a poll reading the
      // same rows at once must not both publish them.
      if (whole) {
        rows = (await em.execute<OutboxRow[]>(`${ROW_COLUMNS} where ${where} order by o.id limit 20000`, params)).filter((r) => !this.delivered.has(r.id));
        ids = rows.map((r) => r.id);
        for (const id of ids) this.remember(id);
      } else {
        ids = (await em.execute<{ id: string }[]>(`select o.id::text from outbox o where ${where} order by o.id limit 20000`, params))
          .map((r) => r.id).filter((id) => !this.delivered.has(id));
        for (const id of ids) this.remember(id);
        if (!ids.length) return;
        rows = await em.execute<OutboxRow[]>(`${ROW_COLUMNS} where o.id = any(?::bigint[]) order by o.id`, [pgArray(ids)]);
      }
      if (!rows.length) return;
      // Topic by topic, in the order the types were registered; rows of a topic nobody registered are skipped.
      for (const type of this.events.all()) await this.publish(em, type, rows.filter((r) => r.topic === type.topic));
      const newest = rows[rows.length - 1];
      this.metrics?.outboxLag.set(Math.max(0, (Date.now() - new Date(newest.createdAt).getTime()) / 1000));
    } catch (err) {
      // Not delivered: unclaim, so that the next poll tries again.
      for (const id of ids) this.delivered.delete(id);
      this.log.error({ err }, 'outbox delivery failed');
    }
  }

  /**
   * Loads what these rows of one topic stand for, only what someone here will receive (all of it
   * if anyone listens to every member), and publishes it PUBLISH_SLICE events at a time, waiting
   * between slices until the subscribers' sockets have sent what they hold (AppPubSub.drained):
   * a file's tier changes (tens of thousands in a transaction) published in one loop queued them
   * all on each socket before any was sent, and a subscriber to every member passed the socket's
   * limit and was closed as too slow, however fast it read.
   */
  private async publish<K extends Topic>(em: EntityManager, type: OutboxEventType<K>, rows: OutboxRow[]) {
    const audience = this.pubSub.audience(type.topic);
    const events = await type.load(em, rows, audience.everyone ? null : audience.members);
    for (let from = 0; from < events.length; from += PUBLISH_SLICE) {
      if (from > 0) await this.pubSub.drained(DRAINED_BYTES, DRAIN_WAIT_MS);
      for (const event of events.slice(from, from + PUBLISH_SLICE)) this.pubSub.publish(type.topic, event);
    }
  }

  private remember(id: string) {
    this.delivered.add(id);
    if (BigInt(id) > BigInt(this.lastId)) this.lastId = id;
    if (this.delivered.size > 50_000) {
      for (const old of [...this.delivered].slice(0, 25_000)) this.delivered.delete(old);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    await this.client?.end().catch(() => {});
  }
}
