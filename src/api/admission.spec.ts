import express from 'express';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { Admission } from './admission';

// A real express app on a real port: the handler holds each request until the test lets it go,
// so what is in progress and what waits can be read at any moment.
async function serve(admission: Admission) {
  const held: (() => void)[] = [];
  let maxSeen = 0;
  const app = express();
  app.use('/graphql', admission.middleware(), (_req, res) => {
    maxSeen = Math.max(maxSeen, admission.inProgress);
    held.push(() => void res.json({ data: { ok: true } }));
  });
  const server: Server = createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  const post = () => fetch(url, { method: 'POST' }).then(async (res) => ({ status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() }));
  const until = async (cond: () => boolean) => { while (!cond()) await new Promise((r) => setTimeout(r, 5)); };
  const releaseOne = () => held.shift()?.();
  return { url, post, until, releaseOne, held, maxSeen: () => maxSeen, close: () => new Promise((r) => { server.close(r); server.closeAllConnections(); }) };
}

describe('Admission', () => {
  it('runs at most `max` requests at once; the others wait and all are answered', async () => {
    const admission = new Admission(2, 100);
    const s = await serve(admission);
    try {
      const answers = Array.from({ length: 7 }, () => s.post());
      await s.until(() => s.held.length === 2 && admission.waiting === 5);
      for (let left = 7; left > 0; left--) {
        await s.until(() => s.held.length === Math.min(2, left));
        s.releaseOne();
      }
      const results = await Promise.all(answers);
      expect(results.map((r) => r.status)).toEqual(Array(7).fill(200));
      expect(s.maxSeen()).toBe(2);
      expect(admission.inProgress).toBe(0);
      expect(admission.waiting).toBe(0);
    } finally {
      await s.close();
    }
  });

  it('answers 503 with Retry-After once the waiting line is full, and takes the next one when a place frees', async () => {
    const admission = new Admission(1, 2);
    const s = await serve(admission);
    try {
      const accepted = [s.post(), s.post(), s.post()];
      await s.until(() => admission.inProgress === 1 && admission.waiting === 2);
      const refused = await s.post();
      expect(refused).toEqual({ status: 503, retryAfter: '1', body: { errors: [{ message: 'The server is busy; retry later', extensions: { code: 'SERVICE_UNAVAILABLE' } }] } });
      s.releaseOne();
      await s.until(() => s.held.length === 1 && admission.waiting === 1);
      const later = s.post();
      await s.until(() => admission.waiting === 2);
      for (let i = 0; i < 3; i++) {
        await s.until(() => s.held.length === 1);
        s.releaseOne();
      }
      expect((await Promise.all([...accepted, later])).map((r) => r.status)).toEqual([200, 200, 200, 200]);
    } finally {
      await s.close();
    }
  });

  it('gives the place of a client that went away while waiting to the next one; one in progress keeps its place until it has answered', async () => {
    const admission = new Admission(1, 10);
    const s = await serve(admission);
    try {
      const first = new AbortController();
      const second = new AbortController();
      const p1 = fetch(s.url, { method: 'POST', signal: first.signal }).catch(() => 'aborted');
      await s.until(() => admission.inProgress === 1);
      const p2 = fetch(s.url, { method: 'POST', signal: second.signal }).catch(() => 'aborted');
      const third = s.post();
      await s.until(() => admission.waiting === 2);
      second.abort();
      await s.until(() => admission.waiting === 1);
      first.abort();
      // Its operation is still running: the place is its own until it answers (into the closed socket).
      await new Promise((r) => setTimeout(r, 50));
      expect(admission.inProgress).toBe(1);
      expect(admission.waiting).toBe(1);
      expect(s.held.length).toBe(1);
      s.releaseOne();
      await s.until(() => s.held.length === 1 && admission.waiting === 0);
      s.releaseOne();
      expect((await third).status).toBe(200);
      expect([await p1, await p2]).toEqual(['aborted', 'aborted']);
      expect(admission.inProgress + admission.waiting).toBe(0);
    } finally {
      await s.close();
    }
  });

  it('run: holds a place until its work settles; a waiting one whose client is gone never runs; none past the line', async () => {
    const admission = new Admission(1, 1);
    let finish!: () => void;
    const ran: string[] = [];
    const first = admission.run(() => new Promise<string>((r) => { ran.push('first'); finish = () => r('first'); }));
    const gone = new AbortController();
    const second = admission.run(async () => void ran.push('second'), gone.signal);
    expect(admission.run(async () => ran.push('third'))).toBeNull();
    expect([admission.inProgress, admission.waiting]).toEqual([1, 1]);
    gone.abort();
    expect(await second).toBeUndefined();
    expect([admission.inProgress, admission.waiting]).toEqual([1, 0]);
    finish();
    expect(await first).toBe('first');
    expect(ran).toEqual(['first']);
    expect([admission.inProgress, admission.waiting]).toEqual([0, 0]);
    await expect(admission.run(() => Promise.reject(new Error('failed')))).rejects.toThrow('failed');
    expect(admission.inProgress).toBe(0);
  });
});
