import { Client } from 'pg';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from '../support/harness';
import { dropRecordedDatabases } from '../support/test-databases.cjs';

/**
 * A run on DATABASE_URL's server (an operator's PostgreSQL) drops the databases it created there
 * at its end (test/support/global-teardown.mjs): each test file's createTestDatabase notes its
 * database in the run's list, and the teardown drops the list. Before, every run left its ~110
 * databases (1.4 GB) on that server.
 */
const admin = () => process.env.TEST_PG_ADMIN_URL!;

async function databases(names: string[]): Promise<string[]> {
  const client = new Client({ connectionString: admin() });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>('select datname from pg_database where datname = any($1) order by datname', [names]);
    return rows.map((r) => r.datname);
  } finally {
    await client.end();
  }
}

it('createTestDatabase notes its database in the run\'s list; the teardown\'s drop removes those, connected or not, and nothing else', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'loyalty-dbs-'));
  const list = join(dir, 'created');
  const runList = process.env.TEST_PG_CREATED;
  let listed: string[] = [];
  delete process.env.TEST_PG_CREATED;
  const other = new URL(await createTestDatabase('keep')).pathname.slice(1); // no list: not noted
  try {
    process.env.TEST_PG_CREATED = list;
    listed = [new URL(await createTestDatabase('drop')).pathname.slice(1), new URL(await createTestDatabase('drop')).pathname.slice(1)];
  } finally {
    if (runList === undefined) delete process.env.TEST_PG_CREATED;
    else process.env.TEST_PG_CREATED = runList;
  }
  const holder = new Client({ connectionString: (() => { const u = new URL(admin()); u.pathname = `/${listed[0]}`; return u.toString(); })() });
  holder.on('error', () => {}); // its connection is ended by the drop
  await holder.connect();
  try {
    expect(await databases([...listed, other])).toEqual([...listed, other].sort());
    expect((await dropRecordedDatabases(admin(), list)).sort()).toEqual([...listed].sort());
    expect(await databases([...listed, other])).toEqual([other]);
    expect(await dropRecordedDatabases(admin(), list)).toEqual(listed); // again: nothing left to drop, no error
  } finally {
    await holder.end().catch(() => {});
    const client = new Client({ connectionString: admin() });
    await client.connect();
    await client.query(`drop database if exists "${other}" with (force)`);
    await client.end();
    rmSync(dir, { recursive: true, force: true });
  }
});
