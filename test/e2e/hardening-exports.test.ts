import http from 'node:http';
import { createLadder, registerMember } from '../support/fixtures';
import { startTestServer, type TestServer } from '../support/harness';

// A pool of 3 connections, and readers let go after 1.5 s of taking nothing.
const STALL_MS = 1500;
let s: TestServer;
let member: string;
let memberId: string;
beforeAll(async () => {
  s = await startTestServer({ dbPoolMax: 3, exportStallMs: STALL_MS });
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

const poolUsed = async () => Number(/^db_pool_used (\d+)/m.exec(await (await fetch(`${s.url}/metrics`)).text())?.[1]);

/** Starts the member's download and stops reading after its first chunk; resolves with the response once it has begun. */
function stalledDownload() {
  return new Promise<{ req: http.ClientRequest; res: http.IncomingMessage }>((resolve, reject) => {
    const req = http.get(`${s.url}/exports/members/${memberId}.json`, { headers: { authorization: `Bearer ${member}` } }, (res) => {
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
    for (let i = 0; i < 4; i++) {
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
