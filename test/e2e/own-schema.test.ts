import { Client } from 'pg';
import { randomBytes } from 'node:crypto';
import { startTestServer } from '../support/harness';

/**
 * An operator's least-privilege layout (PostgreSQL's advice since 15): the database belongs to
 * an administrator, the server's role owns a schema of its own, named as the role (the default
 * search_path "$user", public puts it first), and may not create in public. The server migrates
 * into its schema, the migrations table included, and starts again on it.
 */
const role = `app_${randomBytes(4).toString('hex')}`;
const databases: string[] = [];

async function asAdmin(statements: string[], database?: string): Promise<void> {
  const url = new URL(process.env.TEST_PG_ADMIN_URL!);
  if (database) url.pathname = `/${database}`;
  const pg = new Client({ connectionString: url.toString() });
  await pg.connect();
  try {
    for (const sql of statements) await pg.query(sql);
  } finally {
    await pg.end();
  }
}

/** A database owned by the administrator, where `role` may connect; its URL as `role`. */
async function database(): Promise<string> {
  const name = `own_${randomBytes(4).toString('hex')}`;
  databases.push(name);
  await asAdmin([`create database "${name}"`, `grant connect, temporary on database "${name}" to "${role}"`]);
  await asAdmin(['revoke create on schema public from public'], name);
  const url = new URL(process.env.TEST_PG_ADMIN_URL!);
  url.username = role;
  url.password = 'app-secret';
  url.pathname = `/${name}`;
  return url.toString();
}

beforeAll(() => asAdmin([`create role "${role}" login password 'app-secret'`]));
afterAll(async () => {
  await asAdmin([...databases.map((d) => `drop database if exists "${d}" with (force)`), `drop role if exists "${role}"`]);
});

it('a role with a schema of its own and no right to create in public migrates into its schema and starts again', async () => {
  const url = await database();
  await asAdmin([`create schema "${role}" authorization "${role}"`], new URL(url).pathname.slice(1));
  const first = await startTestServer({ databaseUrl: url });
  const where = async () => (await first.sql<{ schema: string; n: number }>(
    `select n.nspname as schema, count(*)::int as n from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where c.relkind = 'r' and n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast') group by 1`));
  try {
    expect((await first.admin('mutation { upsertTier(input: { code: "B", name: "Bronze", rank: 0, qualifyingPoints: 0, retainPoints: 0 }) { code } }')).upsertTier.code).toBe('B');
    expect(await where()).toEqual([{ schema: role, n: expect.any(Number) }]);
  } finally {
    await first.stop();
  }
  // A restart finds the migrations applied (it would fail on objects that exist otherwise).
  const again = await startTestServer({ databaseUrl: url });
  await again.stop();
});

it('a database migrated with its migrations table in public keeps it there when a schema named as the role appears first on the path', async () => {
  const url = await database();
  const name = new URL(url).pathname.slice(1);
  await asAdmin([`grant create on schema public to "${role}"`], name);
  const first = await startTestServer({ databaseUrl: url });
  await first.stop();
  await asAdmin([`create schema "${role}" authorization "${role}"`], name);
  const again = await startTestServer({ databaseUrl: url });
  try {
    expect(await again.sql(`select count(*)::int as n from pg_tables where schemaname = $1`, [role])).toEqual([{ n: 0 }]);
    expect((await again.admin('{ tiers { code } }')).tiers).toEqual([]);
  } finally {
    await again.stop();
  }
});
