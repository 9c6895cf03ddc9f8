import { defineConfig } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { Migrator } from '@mikro-orm/migrations';
import { SeedManager } from '@mikro-orm/seeder';
import { entities } from '../db/entities';
import { AppEntityManager } from '../db/entity-manager';
import { pinSession } from '../db/session-settings';
import { stopSignalWhileStarting } from '../ops/fatal';
import { migrationsList } from '../../migrations';

export interface OrmOptions {
  url: string;
  poolMax?: number;
  debug?: boolean;
  /** Where the query builder's own warnings go (a connection lost, a pool that could not connect); without it, to stdout by console.log. */
  log?: Pick<Logger, 'warn' | 'error' | 'debug'>;
}

/** One place that says how the ORM talks to PostgreSQL, for the server, the CLI and tests. */
export function ormConfig(opts: OrmOptions) {
  return defineConfig({
    clientUrl: opts.url,
    // MikroORM reads host, port, user, password and database from the URL and drops its
    // parameters: `sslmode` (a managed PostgreSQL that requires TLS refused the pool's
    // connections, and the server did not start), `application_name`, a socket's `host`.
    // node-postgres reads the whole URL itself when it is given as connectionString (its values
    // win over the ones MikroORM passes), as the server's other clients already do.
    driverOptions: { connection: { connectionString: opts.url }, ...(opts.log ? { log: knexLog(opts.log) } : {}) },
    entities,
    // Raw SQL (every hot path) goes straight to pg; see AppEntityManager.
    entityManager: AppEntityManager as never, // a subclass of the driver's EntityManager; the generic types disagree only on the password callback
    // Entities declare their column types, so no reflection or ts-morph is needed.
    discovery: { disableDynamicFileAccess: true, requireEntitiesArray: true },
    allowGlobalContext: false,
    forceUtcTimezone: true,
    // Each connection sets the session settings the SQL relies on when it opens (src/db/session-settings.ts).
    pool: {
      min: 0, max: opts.poolMax ?? 20,
      afterCreate: (connection: { query(text: string): Promise<unknown> }, done: (err: unknown, connection: unknown) => void) => {
        pinSession(connection).then(() => done(null, connection), (err: unknown) => done(err, connection));
      },
    },
    debug: opts.debug ?? false,
    // The refresh's unlogged scratch table has no entity (migration retention_facts), nor the
    // member_retention it builds before the swap (left behind only by a run that died), nor the
    // late facts' horizon, queue (no key: appended by triggers) and scratch copy (migration lifecycle_late_facts), nor the tier histories queued for a rebuild (migration reversal_counts_after_refund).
    schemaGenerator: {
      skipTables: ['retention_facts', 'member_retention_next', 'import_member_stage', 'import_purchase_stage', 'retention_horizon', 'retention_late', 'retention_repair', 'webhook_fanout', 'webhook_endpoint_period', 'demo_loading', 'tier_rebuild'],
    },
    extensions: [Migrator, SeedManager],
    migrations: {
      tableName: 'mikro_orm_migrations',
      path: 'migrations',
      pathTs: 'migrations',
      migrationsList,
      silent: true,
      transactional: true,
      allOrNothing: true,
      // The schema snapshot (migrations/.snapshot.json) is written by `npm run db:snapshot` from
      // a clean database (src/db/schema-snapshot.ts) and read by migration:create (mikro-orm.cli.ts
      // turns it on). At run time the migrator would rewrite it after every up() from the
      // database it ran on, a benchmark's extra tables included.
      snapshot: false,
      snapshotName: '.snapshot',
      emit: 'ts',
      fileName: (timestamp: string, name?: string) => `Migration${timestamp}${name ? '_' + name : ''}`,
    },
    seeder: { path: 'seeds', pathTs: 'seeds', defaultSeeder: 'DemoSeeder', emit: 'ts' },
  });
}

/** knex's logger hooks, into the server's log: one line each, as pino writes every other. */
function knexLog(log: NonNullable<OrmOptions['log']>) {
  const text = (message: unknown) => (message instanceof Error ? message.message : String(message));
  return {
    // The connections PostgreSQL ends as a stop while starting stops it: the start says it was stopped, once (main.ts).
    warn: (message: unknown) => (stopSignalWhileStarting() ? log.debug : log.warn).call(log, { detail: text(message) }, 'database client'),
    error: (message: unknown) => log.error({ detail: text(message) }, 'database client'),
    deprecate: (message: unknown) => log.debug({ detail: text(message) }, 'database client'),
    debug: (message: unknown) => log.debug({ detail: text(message) }, 'database client'),
  };
}
