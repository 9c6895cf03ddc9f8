import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import type { AppConfig } from './config/env';
import { applyMigrations, connectionLimit, openOrm, resolveDatabaseUrl } from './db/database';
import { seedIfRequested } from './db/seeding';

/**
 * What a server process sends its parent, when it has an IPC channel to it, once it serves
 * (src/main.ts): a worker to the primary; the primary, once every worker is ready, or a
 * single process, to whatever forked it (the benchmarks wait for it).
 */
export const READY_MESSAGE = { loyalty: 'ready' } as const;
const isReady = (m: unknown) => (m as { loyalty?: unknown } | null)?.loyalty === READY_MESSAGE.loyalty;

/** Connections a server process may hold besides its pool: the outbox LISTEN, the webhook worker's, and the migrator's lock at start or, later, a scheduled job's run lock. */
const CONNECTIONS_BESIDES_POOL = 3;
/** A worker that dies is replaced, unless this many died within RESTART_WINDOW_MS: then the primary stops. */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;

/**
 * Cluster mode (WORKERS > 1): N server processes on one port (node:cluster; the primary
 * accepts the connections and hands them to the workers in turn). The primary does what
 * must happen once: it starts the embedded PostgreSQL (without DATABASE_URL), checks that N
 * pools fit in PostgreSQL's max_connections, applies the migrations and loads the seed;
 * then it forks the workers with the database's URL (SEED=none), each running today's server
 * (src/app.ts). The scheduler runs in every worker: jobs claim their slot in job_run, so a
 * slot runs once across workers as across instances. The primary replaces a worker that dies
 * and, on SIGTERM or SIGINT, stops the workers (each drains its requests), then PostgreSQL.
 * Resolves once every worker is ready; rejects (having stopped what it started) when one
 * could not start.
 */
export async function runPrimary(config: AppConfig, log: Logger): Promise<void> {
  const db = await resolveDatabaseUrl(config.databaseUrl, config.dataDir, log);
  try {
    const orm = await openOrm(db.url, config.dbPoolMax, log);
    try {
      // Before anything is written: a start refused for its connections leaves an empty data
      // folder empty (it migrated and loaded the demo first, then refused).
      const limit = await connectionLimit(orm);
      const needed = config.workers * (config.dbPoolMax + CONNECTIONS_BESIDES_POOL);
      if (needed > limit) {
        throw new Error(`WORKERS=${config.workers} with DB_POOL_MAX=${config.dbPoolMax} may open ${needed} connections, more than the ${limit} PostgreSQL allows (max_connections less the reserved ones): lower WORKERS or DB_POOL_MAX, or raise max_connections`);
      }
      const applied = await applyMigrations(orm);
      if (applied.length) log.info({ applied }, 'migrations applied');
      await seedIfRequested(orm, config.seed, db.embedded, log);
    } finally {
      await orm.close(true);
    }
  } catch (err) {
    await db.stop().catch(() => {});
    throw err;
  }

  const env = { DATABASE_URL: db.url, SEED: 'none' };
  const ready = new Set<number>();
  const deaths: number[] = [];
  let started = false;
  let port = config.port;
  let stopping = false;
  let failed = false;
  let allExited: () => void = () => {};
  const exited = new Promise<void>((r) => (allExited = r));
  // Not dead yet: cluster.workers may still list a worker whose 'exit' is being handled (until its IPC channel closes).
  const live = () => Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && !w.isDead());

  const fork = () => {
    const worker = cluster.fork(env);
    worker.on('listening', (address) => (port = address.port));
    worker.on('message', (m) => {
      if (!isReady(m)) return;
      ready.add(worker.id);
      if (!started && ready.size === config.workers) {
        started = true;
        log.info({ workers: live().map((w) => w.process.pid), url: `http://127.0.0.1:${port}/graphql` }, `all ${config.workers} workers ready`);
        onStarted();
      } else if (started) {
        log.info({ worker: worker.process.pid }, 'replacement worker ready');
      }
    });
  };

  /** Stops every worker (each drains its in-flight requests), then PostgreSQL; then exits, unless start-up failed (main reports that). */
  const stopAll = async (reason: string, exit: boolean) => {
    if (stopping) return;
    stopping = true;
    log.info({ reason, workers: live().length }, 'shutting down: stopping the workers');
    for (const w of live()) w.process.kill('SIGTERM');
    if (live().length) await exited;
    await db.stop().catch((err) => log.error({ err }, 'error stopping PostgreSQL'));
    if (!exit) return;
    log.info('stopped');
    process.exit(failed ? 1 : 0);
  };

  let onStarted: () => void = () => {};
  let onStartFailed: (err: Error) => void = () => {};
  const startedOrFailed = new Promise<void>((resolve, reject) => {
    onStarted = resolve;
    onStartFailed = reject;
  });

  cluster.on('exit', (worker, code, signal) => {
    const wasReady = ready.delete(worker.id);
    if (stopping) {
      if (code !== 0 && signal == null) failed = true; // a worker still starting dies of the SIGTERM itself
      if (live().length === 0) allExited();
      return;
    }
    if (!started) {
      // It printed why (main's one line); the others are stopped.
      const err = new Error(`a worker exited (${signal ?? `code ${code}`}) before it was ready; all stopped`);
      void stopAll('a worker could not start', false).then(() => onStartFailed(err));
      return;
    }
    const now = Date.now();
    deaths.push(now);
    while (deaths.length && deaths[0] < now - RESTART_WINDOW_MS) deaths.shift();
    if (deaths.length > MAX_RESTARTS) {
      log.error({ worker: worker.process.pid, code, signal }, `worker died: ${deaths.length} deaths within a minute, stopping`);
      failed = true;
      void stopAll('workers keep dying', true);
      return;
    }
    log.error({ worker: worker.process.pid, code, signal, wasReady }, 'worker died: starting another');
    fork();
  });
  process.on('SIGTERM', () => void stopAll('SIGTERM', true));
  process.on('SIGINT', () => void stopAll('SIGINT', true));
  // Without its embedded PostgreSQL no worker can serve: all stop, and the primary exits 1 (main.ts does the same alone).
  db.onLost((how) => {
    log.error({ how }, 'the embedded PostgreSQL stopped by itself: stopping the server (start it again)');
    failed = true;
    void stopAll('the embedded PostgreSQL stopped', true);
  });
  db.ownSignals(); // stopAll stops PostgreSQL, after the workers have drained

  for (let i = 0; i < config.workers; i++) fork();
  await startedOrFailed;
}
