import http from 'node:http';
import { createLadder } from '../support/fixtures';
import { startTestServer, type TestServer } from '../support/harness';

// A pool of 3 connections; an import keeps one from its first byte to its last write.
let s: TestServer;
let admin: string;
beforeAll(async () => {
  s = await startTestServer({ dbPoolMax: 3, importConcurrency: 2, importWaitMs: 300 });
  admin = await s.token('admin');
  await createLadder(s);
});
afterAll(() => s.stop());

/** An upload whose body is still coming: `end` sends its last line, `answer` is the server's answer. */
function upload(name: string, server: TestServer = s) {
  const req = http.request(`${server.url}/imports/members`, { method: 'POST', headers: { 'content-type': 'text/csv', authorization: `Bearer ${admin}` } });
  const answer = new Promise<{ status: number; retryAfter: string | undefined; body: any }>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'], body: JSON.parse(text) }));
    });
    req.on('error', reject);
  });
  req.write(`externalId,displayName\n${name}-1,First\n`);
  return { answer, end: () => req.end(`${name}-2,Second\n`) };
}

const poolUsed = async (server: TestServer = s) => Number(/^db_pool_used (\d+)/m.exec(await (await fetch(`${server.url}/metrics`)).text())?.[1]);

describe('bulk imports at once', () => {
  it('past IMPORT_CONCURRENCY an upload waits IMPORT_WAIT_MS for a turn, then is 503 with Retry-After, its body unread; requests keep their connections meanwhile', async () => {
    const a = upload('a');
    const b = upload('b');
    for (let i = 0; await poolUsed() < 2; i++) {
      if (i > 200) throw new Error('the uploads never started');
      await new Promise((r) => setTimeout(r, 25));
    }
    const c = upload('c');
    const refused = await c.answer;
    expect(refused).toEqual({
      status: 503, retryAfter: '5',
      body: { errors: [{ message: '2 imports are running already (at most 2 at once) and none finished in time; retry when one has finished', extensions: { code: 'SERVICE_UNAVAILABLE' } }] },
    });
    c.end();
    // The API still has a connection while both uploads are under way.
    const answer = await Promise.race([s.gql('{ tiers { code } }', {}, admin), new Promise((r) => setTimeout(() => r('no answer'), 5000))]);
    expect(answer).toMatchObject({ status: 200 });

    a.end();
    b.end();
    expect((await a.answer).status).toBe(202);
    expect((await b.answer).status).toBe(202);
    const ids = [(await a.answer).body.id, (await b.answer).body.id];
    for (const id of ids) {
      for (let i = 0; ; i++) {
        const { importJob } = await s.admin<{ importJob: { status: string } }>('query($id: ID!) { importJob(id: $id) { status } }', { id });
        if (importJob.status !== 'RUNNING') break;
        if (i > 400) throw new Error('the import never ended');
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    // Their places are free again.
    const d = upload('d');
    d.end();
    expect((await d.answer).status).toBe(202);
    expect((await s.sql(`select count(*)::int as n from member where external_id like 'c-%'`))[0].n).toBe(0);
  }, 60_000);
});

/** Waits for an import job to leave RUNNING. */
async function ended(server: TestServer, id: string): Promise<void> {
  for (let i = 0; ; i++) {
    const { importJob } = await server.admin<{ importJob: { status: string } }>('query($id: ID!) { importJob(id: $id) { status } }', { id });
    if (importJob.status !== 'RUNNING') return;
    if (i > 400) throw new Error('the import never ended');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('an upload past IMPORT_CONCURRENCY within IMPORT_WAIT_MS', () => {
  it('waits its turn and is imported (a client sending a few files at once is not refused); one whose client hangs up while it waits leaves the line', async () => {
    const w = await startTestServer({ dbPoolMax: 3, importConcurrency: 1, importWaitMs: 60_000 });
    try {
      await createLadder(w);
      const a = upload('wa', w);
      for (let i = 0; await poolUsed(w) < 1; i++) {
        if (i > 200) throw new Error('the upload never started');
        await new Promise((r) => setTimeout(r, 25));
      }
      // b waits with its whole body sent; c waits, then its client gives up.
      const b = upload('wb', w);
      b.end();
      const cReq = http.request(`${w.url}/imports/members`, { method: 'POST', headers: { 'content-type': 'text/csv', authorization: `Bearer ${await w.token('admin')}` } });
      cReq.on('error', () => undefined);
      cReq.end('externalId\nwc-1\n');
      await new Promise((r) => setTimeout(r, 300));
      cReq.destroy();
      const early = await Promise.race([b.answer, new Promise((r) => setTimeout(() => r('waiting'), 300))]);
      expect(early).toBe('waiting');
      a.end();
      const first = await a.answer;
      expect(first.status).toBe(202);
      await ended(w, first.body.id);
      const second = await b.answer;
      expect(second.status).toBe(202);
      await ended(w, second.body.id);
      expect((await w.sql(`select external_id from member where external_id like 'w%' order by external_id`)).map((r) => r.external_id))
        .toEqual(['wa-1', 'wa-2', 'wb-1', 'wb-2']);
      // The turn c left is not lost: the next upload goes at once.
      const d = upload('wd', w);
      d.end();
      expect((await d.answer).status).toBe(202);
    } finally {
      await w.stop();
    }
  }, 120_000);
});
