import http from 'node:http';
import { createLadder, registerMember } from '../support/fixtures';
import { startTestServer, type TestServer } from '../support/harness';

// A pool of 6 connections, and readers let go after 1.5 s of taking nothing.
const STALL_MS = 1500;
let s: TestServer;
let member: string;
let memberId: string;
beforeAll(async () => {
  s = await startTestServer({ dbPoolMax: 6, exportStallMs: STALL_MS });
  await createLadder(s);
  memberId = await registerMember(s, { externalId: 'long-history', displayName: 'Ada' });
  member = await s.token('member', memberId);
  // Years of orders: an export of ~10 MB, more than the sockets between server and reader hold.
  const lines = ['orderId,externalId,amount,occurredAt,refundedAmount'];
  const start = Date.parse('2024-01-01T00:00:00Z');
  for (let i = 0; i < 30_000; i++) {
    lines.push(`order-${String(i).padStart(6, '0')}-${'x'.repeat(180)},long-history,12.50,${new Date(start + i * 600_000).toISOString()},`);
  }
  const upload = await fetch(`${s.url}/imports/purchases?mode=history`, {
    method: 'POST', headers: { 'content-type': 'text/csv', authorization: `Bearer ${await s.token('admin')}` }, body: lines.join('\n'),
  });
  const { id } = (await upload.json()) as { id: string };
  await until(async () => (await s.admin<{ importJob: { status: string } }>('query($id: ID!) { importJob(id: $id) { status } }', { id })).importJob.status === 'SUCCEEDED', 60_000);
}, 120_000);
afterAll(() => s.stop());

async function until(cond: () => Promise<boolean>, ms = 10_000) {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const poolUsed = async (on = s) => Number(/^db_pool_used (\d+)/m.exec(await (await fetch(`${on.url}/metrics`)).text())?.[1]);

/** Starts a download (the member's own, or with `token`; from `on`) and stops reading after its first chunk; resolves with the response once it has begun. */
function stalledDownload(token = member, on = s) {
  return new Promise<{ req: http.ClientRequest; res: http.IncomingMessage }>((resolve, reject) => {
    const req = http.get(`${on.url}/exports/members/${memberId}.json`, { headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.once('data', () => {
        res.pause();
        resolve({ req, res });
      });
    });
    req.on('error', reject);
  });
}

describe('a streamed export whose reader goes away', () => {
  it('the whole document still downloads for a reader that reads', async () => {
    const res = await fetch(`${s.url}/exports/members/${memberId}.json`, { headers: { authorization: `Bearer ${member}` } });
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { purchases: unknown[] };
    expect(doc.purchases).toHaveLength(30_000);
  }, 60_000);

  it('a download cut off mid-way gives its database connection back: more of them than the pool holds, and the server still answers', async () => {
    for (let i = 0; i < 7; i++) {
      const { req } = await stalledDownload();
      req.destroy();
      await until(async () => (await poolUsed()) === 0);
    }
    const answer = await Promise.race([
      s.gql('{ me { id } }', {}, member),
      new Promise((r) => setTimeout(() => r('no answer'), 5000)),
    ]);
    expect(answer).toMatchObject({ status: 200, data: { me: { id: memberId } } });
  }, 60_000);

  it('a reader that stops reading and stays connected is let go after EXPORT_STALL_MS, and its connection given back', async () => {
    const started = Date.now();
    const { res } = await stalledDownload();
    res.on('error', () => undefined); // the cut-off: "aborted"
    expect(await poolUsed()).toBe(1);
    await until(async () => (await poolUsed()) === 0, STALL_MS + 5000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(STALL_MS - 100);
    // What it had been sent, then the cut: a truncated document never looks complete.
    const closed = new Promise((r) => res.once('close', r));
    res.resume();
    await closed;
    expect(res.complete).toBe(false);
  }, 60_000);
});

describe('exports downloading at once (each holds a database connection as long as its reader takes)', () => {
  // A second server on the same database that lets a silent reader keep its turn for two minutes:
  // the downloads below hold their turns without reading, however slow the machine (a reader that
  // trickled within the 1.5 s above could be let go, and its turn given to the fifth, on a loaded run).
  let patient: TestServer;
  beforeAll(async () => {
    patient = await startTestServer({ databaseUrl: s.databaseUrl, dbPoolMax: 6, exportStallMs: 120_000 });
  });
  afterAll(() => patient.stop());
  /** A download under way whose reader takes nothing more and stays connected. */
  async function heldDownload(token: string) {
    const { req, res } = await stalledDownload(token, patient);
    res.on('error', () => undefined);
    return () => req.destroy();
  }
  const refusal = async (token: string) => {
    const res = await fetch(`${patient.url}/exports/members/${memberId}.json`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() };
  };

  it('a member downloads its own export once at a time: the next is 429 LIMIT_REACHED while the first is under way', async () => {
    const stop = await heldDownload(member);
    try {
      expect(await refusal(member)).toEqual({
        status: 429, retryAfter: '5',
        body: { errors: [{ message: 'An export of yours is still downloading; retry when it has finished', extensions: { code: 'LIMIT_REACHED' } }] },
      });
    } finally {
      stop();
    }
    await until(async () => (await poolUsed(patient)) === 0);
    const again = await fetch(`${patient.url}/exports/members/${memberId}.json`, { headers: { authorization: `Bearer ${member}` } });
    expect(again.status).toBe(200);
    await again.arrayBuffer();
  }, 60_000);

  it('at most 4 at once whoever downloads: the fifth waits its turn (the API keeps its connections meanwhile) and is served when one ends; an admin may have several in line', async () => {
    const admins = await Promise.all([1, 2, 3, 4].map((i) => s.token('admin', `exporter-${i}`)));
    const stops = [];
    try {
      for (const token of admins) stops.push(await heldDownload(token));
      // The fifth (a second one of the first admin: no 429 for an admin) is not answered while four download.
      const fifth = fetch(`${patient.url}/exports/members/${memberId}.json`, { headers: { authorization: `Bearer ${admins[0]}` } });
      expect(await Promise.race([fifth.then((r) => r.status), new Promise((r) => setTimeout(() => r('waiting'), 500))])).toBe('waiting');
      expect(await poolUsed(patient)).toBe(4);
      const answer = await Promise.race([patient.gql('{ me { id } }', {}, member), new Promise((r) => setTimeout(() => r('no answer'), 5000))]);
      expect(answer).toMatchObject({ status: 200, data: { me: { id: memberId } } });
      stops.shift()!();
      const served = await fifth;
      expect(served.status).toBe(200);
      expect((JSON.parse(await served.text()) as { purchases: unknown[] }).purchases).toHaveLength(30_000);
    } finally {
      stops.forEach((stop) => stop());
    }
    await until(async () => (await poolUsed(patient)) === 0);
  }, 60_000);
});

describe('memberDataExport over GraphQL', () => {
  it('is asked for once per operation: aliases of it are QUERY_TOO_COMPLEX before anything runs (each is the whole document in memory)', async () => {
    const res = await fetch(`${s.url}/graphql`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${member}` },
      body: JSON.stringify({ query: 'query($id: ID!) { a: memberDataExport(memberId: $id) b: memberDataExport(memberId: $id) }', variables: { id: memberId } }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ errors: [{
      message: 'memberDataExport appears more than once: one export per request (GET /exports/members/<id>.json streams a large one)',
      extensions: { code: 'QUERY_TOO_COMPLEX' },
    }] });
    // Through fragments too.
    const spread = await s.gql('query($id: ID!) { ...A ...B } fragment A on Query { a: memberDataExport(memberId: $id) } fragment B on Query { b: memberDataExport(memberId: $id) }', { id: memberId }, member);
    expect(spread.errors?.[0].extensions?.code).toBe('QUERY_TOO_COMPLEX');
    const once = await s.gql<{ memberDataExport: string }>('query($id: ID!) { memberDataExport(memberId: $id) }', { id: memberId }, member);
    expect((JSON.parse(once.data!.memberDataExport) as { purchases: unknown[] }).purchases).toHaveLength(30_000);
  }, 60_000);
});
