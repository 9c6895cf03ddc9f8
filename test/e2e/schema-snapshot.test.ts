// migrations/.snapshot.json is what `migration:create` diffs the entities against: it must be the
// schema the migrations build. The server and tests no longer write it (src/db/schema-snapshot.ts);
// after adding a migration, `npm run db:snapshot` does.
import { MikroORM } from '@mikro-orm/postgresql';
import { applyMigrations, openOrm } from '../../src/db/database';
import { committedSnapshot, schemaSnapshot } from '../../src/db/schema-snapshot';
import { cliConfig } from '../support/cli-config';
import { createTestDatabase } from '../support/harness';

it('the committed schema snapshot is the schema a clean database gets from the migrations (else: npm run db:snapshot)', async () => {
  const orm = await openOrm(await createTestDatabase('snap'));
  try {
    await applyMigrations(orm);
    const built = JSON.parse(await schemaSnapshot(orm));
    expect(JSON.parse(committedSnapshot())).toEqual(built);
  } finally {
    await orm.close(true);
  }
});

it('the MikroORM CLI (npx mikro-orm, README) finds nothing to do on a migrated database: migration:create would write no migration, none is pending', async () => {
  const url = await createTestDatabase('snapcli');
  const migrated = await openOrm(url);
  try {
    await applyMigrations(migrated);
  } finally {
    await migrated.close(true);
  }
  // The CLI's own configuration (src/config/mikro-orm.cli.ts), on this test's database.
  // (The pool reads the whole URL from driverOptions' connectionString, which wins over clientUrl: src/config/mikro-orm.ts.)
  const orm = await MikroORM.init({ ...cliConfig, clientUrl: url, driverOptions: { connection: { connectionString: url } } });
  try {
    const migrator = orm.getMigrator();
    // The snapshot held the tables no entity maps (import staging, the retention scratch table): every migration it wrote dropped them.
    expect(await migrator.checkMigrationNeeded()).toBe(false);
    // index.ts (the server's list of migrations) was a pending migration named "index".
    expect((await migrator.getPendingMigrations()).map((m) => m.name)).toEqual([]);
  } finally {
    await orm.close(true);
  }
});
