import http from 'node:http';
import { createLadder } from '../support/fixtures';
import { startTestServer, type TestServer } from '../support/harness';

// A pool of 3 connections; an import keeps one from its first byte to its last write.
let s: TestServer;
let admin: string;
beforeAll(async () => {
  s = await startTestServer({ dbPoolMax: 3, importConcurrency: 2 });
  admin = await s.token('admin');
  await createLadder(s);
});
afterAll(() => s.stop());

/** An upload whose body is still coming: `end` sends its last line, `answer` is the server's answer. */
function upload(name: string) {
  const req = http.request(`${s.url}/imports/members`, { method: 'POST', headers: { 'content-type': 'text/csv', authorization: `Bearer ${admin}` } });
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

const poolUsed = async () => Number(/^db_pool_used (\d+)/m.exec(await (await fetch(`${s.url}/metrics`)).text())?.[1]);

describe('bulk imports at once', () => {
  it('past IMPORT_CONCURRENCY an upload is 503 with Retry-After before its body is read, and requests keep their connections meanwhile', async () => {
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
      body: { errors: [{ message: '2 imports are running already (at most 2 at once); retry when one has finished', extensions: { code: 'SERVICE_UNAVAILABLE' } }] },
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
