import { Client } from 'pg';
import { startTestServer, type TestServer } from '../support/harness';
import { createLadder } from '../support/fixtures';
import { eventually } from '../support/wait';

// The database restarting or out of reach under a running server: every request that needed
// it is answered 503 SERVICE_UNAVAILABLE with Retry-After (a client sends it again, the same
// idempotency key and all), never a 200 INTERNAL_SERVER_ERROR that reads as a final answer;
// and once the database is back the server serves again without a restart.

let s: TestServer;
let dbName: string;
let admin: Client;
beforeAll(async () => {
  s = await startTestServer();
  dbName = new URL(s.databaseUrl).pathname.slice(1);
  admin = new Client({ connectionString: process.env.TEST_PG_ADMIN_URL });
  await admin.connect();
});
afterAll(async () => {
  await admin.query(`alter database "${dbName}" allow_connections true`);
  await admin.end();
  await s.stop();
});

/** The database refuses new connections and drops the server's (as a restart does; the test's own session is spared). */
async function outage(): Promise<void> {
  const [{ pid }] = await s.sql<{ pid: number }>('select pg_backend_pid() as pid');
  await admin.query(`alter database "${dbName}" allow_connections false`);
  await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> $2', [dbName, pid]);
}

async function post(token: string, query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(`${s.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] } };
}

const PURCHASE = 'mutation($m: ID!) { recordPurchase(input: { memberId: $m, orderId: "outage-1", amount: 120 }) { pointsEarned } }';

it('answers 503 SERVICE_UNAVAILABLE with Retry-After while the database is away, and serves again once it is back', async () => {
  const service = await s.token('service');
  const adminToken = await s.token('admin');
  await createLadder(s);
  const registered = await post(service, 'mutation { registerMember(input: { externalId: "outage-member" }) { id } }');
  const memberId = registered.body.data.registerMember.id as string;
  // An app listening to the member's tier since before the outage.
  const pushed: { toTier: { code: string } }[] = [];
  const subscribed = s.ws(adminToken);
  subscribed.subscribe({ query: 'subscription($id: ID) { tierChanged(memberId: $id) { toTier { code } } }', variables: { id: memberId } }, {
    next: (v) => void pushed.push((v.data as { tierChanged: { toTier: { code: string } } }).tierChanged), error: () => {}, complete: () => {},
  });
  await eventually(() => s.app.pubSub.subscriberCount('TIER_CHANGED') === 1, 'the subscription');

  await outage();
  for (const [token, query, variables] of [
    [adminToken, '{ program { pointsPerUnit } }', {}],
    [service, PURCHASE, { m: memberId }],
    [adminToken, '{ members(first: 5) { edges { node { id } } } }', {}],
  ] as const) {
    const res = await post(token, query, variables);
    expect(res.status).toBe(503);
    expect(res.retryAfter).toBe('5');
    expect(res.body.errors).toEqual([expect.objectContaining({ message: 'The database is unavailable; retry later', extensions: { code: 'SERVICE_UNAVAILABLE' } })]);
    expect(JSON.stringify(res.body)).not.toMatch(/terminat|connection|postgres|at /i);
  }
  // The REST routes alike: a segment export, a member's export, an import's upload.
  for (const [path, init] of [
    ['/exports/segments/00000000-0000-4000-8000-000000000001.csv', {}],
    [`/exports/members/${memberId}.json`, {}],
    ['/imports/members', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'externalId\nimported-1\n' }],
  ] as const) {
    const res = await fetch(`${s.url}${path}`, { ...init, headers: { ...('headers' in init ? init.headers : {}), authorization: `Bearer ${adminToken}` } });
    expect([path, res.status, res.headers.get('retry-after')]).toEqual([path, 503, '5']);
    expect(await res.json()).toEqual({ errors: [{ message: 'The database is unavailable; retry later', extensions: { code: 'SERVICE_UNAVAILABLE' } }] });
  }
  expect((await fetch(`${s.url}/readyz`)).status).toBe(503);

  await admin.query(`alter database "${dbName}" allow_connections true`);
  // The client's retry, with the same order id: recorded once.
  let retried: Awaited<ReturnType<typeof post>> | undefined;
  await eventually(async () => (retried = await post(service, PURCHASE, { m: memberId })).status === 200, 'the retried purchase is answered');
  expect(retried?.body).toEqual({ data: { recordPurchase: { pointsEarned: expect.any(Number) } } });
  expect(await s.sql("select count(*)::int as n from purchase where order_id = 'outage-1'")).toEqual([{ n: 1 }]);
  expect((await post(adminToken, '{ program { pointsPerUnit } }')).status).toBe(200);
  expect((await fetch(`${s.url}/readyz`)).status).toBe(200);
  // The push after the outage reaches the app that subscribed before it (the listener reconnected).
  const upgrade = await post(service, 'mutation($m: ID!) { recordPurchase(input: { memberId: $m, orderId: "outage-2", amount: 1000 }) { tierChange { toTier { code } } } }', { m: memberId });
  expect(upgrade.body.data.recordPurchase.tierChange).toEqual({ toTier: { code: 'SILVER' } });
  await eventually(() => pushed.length === 1, 'the push of the upgrade');
  expect(pushed).toEqual([{ toTier: { code: 'SILVER' } }]);
}, 60_000);

it('an import running when the database went away is FAILED once it is back, saying so (not that the server stopped), and importing the file again completes it', async () => {
  const adminToken = await s.token('admin');
  await createLadder(s); // an entry tier for the imported members (upserted: the same ladder again)
  const upload = async (path: string, body: string) => {
    const res = await fetch(`${s.url}/imports/${path}`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'text/csv' }, body });
    expect(res.status).toBe(202);
    return ((await res.json()) as { id: string }).id;
  };
  const job = async (id: string) => (await post(adminToken, 'query($id: ID!) { importJob(id: $id) { status failure } }', { id })).body.data?.importJob as { status: string; failure: string | null } | undefined;
  const members = ['externalId', ...Array.from({ length: 500 }, (_, i) => `lost-${i}`)].join('\n') + '\n';
  const membersJob = await upload('members', members);
  await eventually(async () => (await job(membersJob))?.status === 'SUCCEEDED', 'the members import');
  const orders = ['orderId,externalId,amount,occurredAt', ...Array.from({ length: 20_000 }, (_, i) => `lost-order-${i},lost-${i % 500},${10 + (i % 50)},2026-0${1 + (i % 9)}-10T10:00:00Z`)].join('\n') + '\n';
  const id = await upload('purchases?mode=earn', orders);
  await outage();
  await admin.query(`alter database "${dbName}" allow_connections true`);
  let read: Awaited<ReturnType<typeof job>>;
  // Right after the database is back a read may still meet a connection the outage killed (SERVICE_UNAVAILABLE, importJob null): read again.
  await eventually(async () => (read = await job(id)) != null && read.status !== 'RUNNING', 'the job read again');
  expect(read!).toEqual({
    status: 'FAILED',
    failure: 'The server stopped while the import ran, or lost its connection to the database; nothing after its last committed batch was written. Import the file again: lines already in are skipped.',
  });
  const again = await upload('purchases?mode=earn', orders);
  // 20,000 purchases earned again: a minute on a quiet machine is plenty, on a busy one it was not.
  await eventually(async () => (await job(again))?.status === 'SUCCEEDED', 'the import again', 150_000);
  expect(await s.sql("select count(*)::int as n from purchase where order_id like 'lost-order-%'")).toEqual([{ n: 20_000 }]);
}, 240_000);
