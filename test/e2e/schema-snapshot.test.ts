// migrations/.snapshot.json is what `migration:create` diffs the entities against: it must be the
// schema the migrations build. The server and tests no longer write it (src/db/schema-snapshot.ts);
// after adding a migration, `npm run db:snapshot` does.
import { applyMigrations, openOrm } from '../../src/db/database';
import { committedSnapshot, schemaSnapshot } from '../../src/db/schema-snapshot';
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
