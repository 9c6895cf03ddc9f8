import { Client } from 'pg';
import { createTestDatabase, startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';
import { startStrictPooler } from '../support/strict-pooler';

/**
 * An operator's own PostgreSQL (DATABASE_URL) has defaults of its own: its local time zone, a
 * DateStyle of its country, another IntervalStyle, fewer float digits, a stricter isolation level.
 * The server pins the session settings its SQL and its parsing rely on when it connects
 * (src/db/session-settings.ts), so it behaves as on the embedded server's defaults. The database
 * here is given such defaults (ALTER DATABASE … SET) before the server first connects.
 */
const OPERATOR_DEFAULTS: Record<string, string> = {
  TimeZone: 'America/New_York',
  DateStyle: 'SQL, DMY',
  IntervalStyle: 'iso_8601',
  extra_float_digits: '0',
  default_transaction_isolation: 'serializable',
  standard_conforming_strings: 'off',
};

let s: TestServer;
let service: string;
let databaseUrl: string;
beforeAll(async () => {
  databaseUrl = await createTestDatabase();
  const pg = new Client({ connectionString: databaseUrl });
  await pg.connect();
  try {
    const name = new URL(databaseUrl).pathname.slice(1);
    for (const [setting, value] of Object.entries(OPERATOR_DEFAULTS)) await pg.query(`alter database "${name}" set ${setting} = '${value}'`);
  } finally {
    await pg.end();
  }
  s = await startTestServer({ databaseUrl });
  await createLadder(s);
  service = await s.token('service');
}, 60_000);
afterAll(() => s?.stop());

async function write(query: string, variables: Record<string, unknown>) {
  const res = await s.gql(query, variables, service);
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data!;
}

it('a session opened without the pins has the operator\'s defaults (the premise of this file)', async () => {
  const pg = new Client({ connectionString: databaseUrl });
  await pg.connect();
  try {
    const [row] = (await pg.query(`select current_setting('DateStyle') as ds, current_setting('TimeZone') as tz`)).rows;
    expect(row).toEqual({ ds: 'SQL, DMY', tz: 'America/New_York' });
  } finally {
    await pg.end();
  }
});

it('instants written and read back are the same instants: joinedAt, a backdated purchase, the tier it brings and the ledger', async () => {
  const id = await registerMember(s, { externalId: 'ny-1', joinedAt: '2026-03-04T10:00:00.000Z' });
  const at = '2026-03-05T02:30:00.000Z'; // the 4th in New York, the 5th in UTC
  await write('mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }', { i: { memberId: id, orderId: 'ny-o1', amount: 1200, occurredAt: at } });
  const res = await s.gql(`query($id: ID!) { member(id: $id) { joinedAt tier { code } tierSince tierExpiresAt
      pointsHistory(first: 5) { edges { node { type occurredAt expiresAt } } } } }`, { id }, await s.token('admin'));
  expect(res.errors).toBeUndefined();
  const m = res.data!.member;
  expect(m.joinedAt).toBe('2026-03-04T10:00:00.000Z');
  expect(m.tier.code).toBe('SILVER');
  expect(m.tierSince).toBe(at);
  expect(m.tierExpiresAt).toBe('2027-03-05T02:30:00.000Z');
  expect(m.pointsHistory.edges.map((e: { node: object }) => e.node)).toEqual([{ type: "EARN", occurredAt: at, expiresAt: "2028-03-05T02:30:00.000Z" }]);
});

it('a setting changed through the ORM (an entity read, changed and written back) is saved', async () => {
  const res = await s.gql('mutation { updateProgram(input: { pointsPerUnit: 2 }) { pointsPerUnit } }', {}, await s.token('admin'));
  expect(res.errors).toBeUndefined();
  expect(res.data!.updateProgram.pointsPerUnit).toBe(2);
});

it('a database that is not UTF8 is refused at start-up, before any migration, with the fix (a Chinese name was a 500 on it)', async () => {
  const admin = new Client({ connectionString: process.env.TEST_PG_ADMIN_URL });
  await admin.connect();
  const name = `latin1_${Date.now()}`;
  try {
    await admin.query(`create database "${name}" encoding 'LATIN1' lc_collate 'C' lc_ctype 'C' template template0`);
    const url = new URL(process.env.TEST_PG_ADMIN_URL!);
    url.pathname = `/${name}`;
    await expect(startTestServer({ databaseUrl: url.toString() })).rejects.toThrow(`database "${name}" has encoding LATIN1; the server needs a UTF8 database`);
    const pg = new Client({ connectionString: url.toString() });
    await pg.connect();
    try {
      expect((await pg.query(`select to_regclass('mikro_orm_migrations') as t`)).rows).toEqual([{ t: null }]);
    } finally {
      await pg.end();
    }
  } finally {
    await admin.query(`drop database if exists "${name}"`);
    await admin.end();
  }
});

it('the pool connects with every parameter of DATABASE_URL (sslmode, application_name …), not only host, port, user, password and database', async () => {
  // MikroORM drops a URL's parameters: with ?sslmode=require, a PostgreSQL that refuses
  // connections without TLS (a managed one) refused the pool's, and the server did not start.
  // No TLS here: application_name stands for the parameters, read on a pool connection.
  const url = new URL(databaseUrl);
  url.searchParams.set('application_name', 'operator-app');
  const other = await startTestServer({ databaseUrl: url.toString() });
  try {
    const [row] = await other.app.orm.em.getConnection().execute<{ name: string; tz: string }[]>(
      `select current_setting('application_name') as name, current_setting('TimeZone') as tz`);
    expect(row).toEqual({ name: 'operator-app', tz: 'UTC' });
    // The background connections keep their own names, which the jobs' foreground probe leaves
    // out: one listener and one webhook worker each for this server and the file's.
    expect(await s.sql(`select application_name as name, count(*)::int as n from pg_stat_activity
      where datname = current_database() and application_name <> '' group by 1 order by 1`)).toEqual([
      { name: 'loyalty-background', n: 2 }, { name: 'loyalty-webhooks', n: 2 }, { name: 'operator-app', n: expect.any(Number) },
    ]);
  } finally {
    await other.stop();
  }
});

it('a members file is read as on any server: its dates and times pass the checks and mean UTC without an offset', async () => {
  const res = await fetch(`${s.url}/imports/members`, {
    method: 'POST', body: 'externalId,displayName,birthday,joinedAt\nimp-ny-1,Ana,1990-02-28,2026-03-05T02:30:00\n',
    headers: { 'content-type': 'text/csv', authorization: `Bearer ${await s.token('admin')}` },
  });
  expect(res.status).toBe(202);
  const { id } = (await res.json()) as { id: string };
  let job: { status: string; rowsRejected: number; errors: { message: string }[] } | undefined;
  for (let i = 0; i < 100 && (!job || job.status === 'RUNNING'); i++) {
    if (job) await new Promise((r) => setTimeout(r, 100));
    job = (await s.admin(`query($id: ID!) { importJob(id: $id) { status rowsRejected errors(first: 5) { message } } }`, { id })).importJob;
  }
  expect(job).toEqual({ status: 'SUCCEEDED', rowsRejected: 0, errors: [] });
  const m = await s.admin(`{ memberByExternalId(externalId: "imp-ny-1") { birthday joinedAt } }`);
  expect(m.memberByExternalId).toEqual({ birthday: '1990-02-28', joinedAt: '2026-03-05T02:30:00.000Z' });
});

it('a pooler that refuses startup options (PgBouncer before 1.20, in session mode) stands between the server and PostgreSQL: it starts and its sessions have the settings', async () => {
  const upstream = new URL(databaseUrl);
  const pooler = await startStrictPooler({ host: upstream.hostname, port: Number(upstream.port || 5432) });
  const url = new URL(databaseUrl);
  url.hostname = '127.0.0.1';
  url.port = String(pooler.port);
  try {
    const other = await startTestServer({ databaseUrl: url.toString() });
    try {
      const [row] = await other.app.orm.em.getConnection().execute<{ ds: string; tz: string; iso: string }[]>(
        `select current_setting('DateStyle') as ds, current_setting('TimeZone') as tz, current_setting('transaction_isolation') as iso`);
      expect(row).toEqual({ ds: 'ISO, MDY', tz: 'UTC', iso: 'read committed' });
      expect((await other.admin('{ tiers { code } }')).tiers.map((t: { code: string }) => t.code)).toEqual(['BRONZE', 'SILVER', 'GOLD', 'PLATINUM']);
    } finally {
      await other.stop();
    }
    expect(pooler.refused).toEqual([]);
  } finally {
    await pooler.close();
  }
});
