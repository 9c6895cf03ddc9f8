// A database a newer version of the server migrated: this version refuses to start on it (and to
// migrate it) instead of running its older code on the newer schema.
import { Client } from 'pg';
import { createTestDatabase, startTestServer } from '../support/harness';
import { migrationsList } from '../../migrations';

it('refuses a database whose migrations table names a migration it does not have, and starts once it is gone', async () => {
  const databaseUrl = await createTestDatabase('newer');
  const first = await startTestServer({ databaseUrl });
  const newest = migrationsList.at(-1)!.name;
  await first.sql(`insert into mikro_orm_migrations (name, executed_at) values ('Migration29991231000000_from_the_future', now())`);
  await first.stop();

  await expect(startTestServer({ databaseUrl })).rejects.toThrow(
    /this database was migrated by a newer version of the server \(1 migration\(s\) this version does not have, the newest Migration29991231000000_from_the_future\)/);

  // The same database as this version left it starts, and has nothing to apply.
  const pg = new Client({ connectionString: databaseUrl });
  await pg.connect();
  await pg.query(`delete from mikro_orm_migrations where name = 'Migration29991231000000_from_the_future'`);
  await pg.end();
  const again = await startTestServer({ databaseUrl });
  try {
    const [{ n, last }] = await again.sql<{ n: number; last: string }>('select count(*)::int as n, max(name) as last from mikro_orm_migrations');
    expect({ n, last }).toEqual({ n: migrationsList.length, last: newest });
  } finally {
    await again.stop();
  }
});
