import { Client } from 'pg';
import WebSocket from 'ws';
import { createLadder, registerMember } from '../support/fixtures';
import { startTestServer, type TestServer } from '../support/harness';

// One place: what is in progress and what waits is read from /metrics.
let s: TestServer;
let admin: string;
let memberId: string;
beforeAll(async () => {
  s = await startTestServer({ maxConcurrentRequests: 1 });
  admin = await s.token('admin');
  await createLadder(s);
  memberId = await registerMember(s, { displayName: 'Ada' });
});
afterAll(() => s.stop());

async function gauges() {
  const text = await (await fetch(`${s.url}/metrics`)).text();
  const read = (name: string) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1]);
  return { inProgress: read('graphql_http_requests_in_progress'), waiting: read('graphql_http_requests_waiting') };
}

async function until(cond: () => Promise<boolean>, ms = 10_000) {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function post(query: string, variables: Record<string, unknown>, signal?: AbortSignal) {
  return fetch(`${s.url}/graphql`, {
    method: 'POST', signal,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
    body: JSON.stringify({ query, variables }),
  });
}

/** A raw graphql-ws socket of `token`, acknowledged; `send` starts an operation, `frames` collects what comes back. */
async function socketOf(token: string) {
  const socket = new WebSocket(`${s.url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
  const frames: { id?: string; type: string; payload?: any }[] = [];
  socket.on('message', (data: Buffer) => frames.push(JSON.parse(data.toString('utf8'))));
  await new Promise((r) => socket.once('open', r));
  socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
  await until(async () => frames.some((f) => f.type === 'connection_ack'));
  const send = (id: string, query: string, variables: Record<string, unknown> = {}) =>
    socket.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables } }));
  const closed = () => new Promise((r) => { socket.once('close', r); socket.terminate(); });
  return { send, frames, closed };
}

/** The member row held by another session until `commit` (an update of it waits, in progress). */
async function holdMember() {
  const holder = new Client({ connectionString: s.databaseUrl });
  await holder.connect();
  await holder.query('begin');
  await holder.query('select 1 from member where id = $1 for update', [memberId]);
  return {
    commit: () => holder.query('commit'),
    end: async () => {
      await holder.query('rollback').catch(() => undefined);
      await holder.end();
    },
  };
}

describe('a client that posts and hangs up', () => {
  it('keeps its place until its operation has run: the next request waits, as it would have for a client that stayed', async () => {
    // The member row held by another session: the update below waits on it, in progress.
    const holder = new Client({ connectionString: s.databaseUrl });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query('select 1 from member where id = $1 for update', [memberId]);
      const hangUp = new AbortController();
      const update = post('mutation($id: ID!) { updateMember(memberId: $id, patch: { region: "North" }) { id } }', { id: memberId }, hangUp.signal)
        .catch(() => 'gone');
      await until(async () => (await gauges()).inProgress === 1);
      hangUp.abort();
      expect(await update).toBe('gone');
      // The update still runs (GraphQL has no way to stop it); its place is not another's yet.
      const next = post('{ tiers { code } }', {});
      await until(async () => (await gauges()).waiting === 1);
      const early = await Promise.race([next.then(() => 'answered'), new Promise((r) => setTimeout(() => r('waiting'), 300))]);
      expect(early).toBe('waiting');
      expect(await gauges()).toEqual({ inProgress: 1, waiting: 1 });

      await holder.query('commit');
      const answer = await next;
      expect(answer.status).toBe(200);
      expect(((await answer.json()) as { data: { tiers: unknown[] } }).data.tiers.length).toBeGreaterThan(0);
      await until(async () => (await gauges()).inProgress === 0);
      expect(await gauges()).toEqual({ inProgress: 0, waiting: 0 });
      expect((await s.sql('select region from member where id = $1', [memberId]))[0].region).toBe('North');
    } finally {
      await holder.query('rollback').catch(() => undefined);
      await holder.end();
    }
  });

  it('while it waits, leaves the line: its operation never runs', async () => {
    const holder = new Client({ connectionString: s.databaseUrl });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query('select 1 from member where id = $1 for update', [memberId]);
      const first = post('mutation($id: ID!) { updateMember(memberId: $id, patch: { region: "East" }) { id } }', { id: memberId });
      await until(async () => (await gauges()).inProgress === 1);
      const hangUp = new AbortController();
      const waiting = post('mutation($id: ID!) { updateMember(memberId: $id, patch: { displayName: "never" }) { id } }', { id: memberId }, hangUp.signal)
        .catch(() => 'gone');
      await until(async () => (await gauges()).waiting === 1);
      hangUp.abort();
      expect(await waiting).toBe('gone');
      await until(async () => (await gauges()).waiting === 0);
      await holder.query('commit');
      expect((await first).status).toBe(200);
      await until(async () => (await gauges()).inProgress === 0);
      const [row] = await s.sql('select region, display_name as "displayName" from member where id = $1', [memberId]);
      expect(row).toEqual({ region: 'East', displayName: 'Ada' });
    } finally {
      await holder.query('rollback').catch(() => undefined);
      await holder.end();
    }
  });
});

describe('queries and mutations over WebSocket take the same places', () => {
  it('an operation runs only when a place is free, and keeps it until it has run even if its socket closes', async () => {
    const hold = await holdMember();
    try {
      const ws = await socketOf(admin);
      ws.send('u', 'mutation($id: ID!) { updateMember(memberId: $id, patch: { region: "South" }) { id } }', { id: memberId });
      await until(async () => (await gauges()).inProgress === 1);
      // A query on another socket waits for that place, as an HTTP request does.
      const other = await socketOf(admin);
      other.send('q', '{ tiers { code } }');
      await until(async () => (await gauges()).waiting === 1);
      await ws.closed();
      // The mutation runs on without its socket: the place is still its own.
      await new Promise((r) => setTimeout(r, 300));
      expect(other.frames.filter((f) => f.id === 'q')).toEqual([]);
      expect(await gauges()).toEqual({ inProgress: 1, waiting: 1 });
      await hold.commit();
      await until(async () => other.frames.some((f) => f.id === 'q' && f.type === 'complete'));
      expect(other.frames.find((f) => f.id === 'q' && f.type === 'next')?.payload.data.tiers.length).toBeGreaterThan(0);
      await until(async () => (await gauges()).inProgress === 0);
      expect((await s.sql('select region from member where id = $1', [memberId]))[0].region).toBe('South');
      await other.closed();
    } finally {
      await hold.end();
    }
  });

  it('an operation still waiting when its socket closes leaves the line and never runs', async () => {
    const hold = await holdMember();
    try {
      const first = post('mutation($id: ID!) { updateMember(memberId: $id, patch: { region: "West" }) { id } }', { id: memberId });
      await until(async () => (await gauges()).inProgress === 1);
      const ws = await socketOf(admin);
      ws.send('u', 'mutation($id: ID!) { updateMember(memberId: $id, patch: { displayName: "never" }) { id } }', { id: memberId });
      await until(async () => (await gauges()).waiting === 1);
      await ws.closed();
      await until(async () => (await gauges()).waiting === 0);
      await hold.commit();
      expect((await first).status).toBe(200);
      await until(async () => (await gauges()).inProgress === 0);
      const [row] = await s.sql('select region, display_name as "displayName" from member where id = $1', [memberId]);
      expect(row).toEqual({ region: 'West', displayName: 'Ada' });
    } finally {
      await hold.end();
    }
  });

  it('subscriptions take no place: one starts while every place is taken', async () => {
    const hold = await holdMember();
    try {
      const first = post('mutation($id: ID!) { updateMember(memberId: $id, patch: { region: "North" }) { id } }', { id: memberId });
      await until(async () => (await gauges()).inProgress === 1);
      const ws = await socketOf(admin);
      ws.send('s', 'subscription { tierChanged { id } }');
      await until(async () => s.app.pubSub.subscriberCount('TIER_CHANGED') === 1);
      expect(await gauges()).toEqual({ inProgress: 1, waiting: 0 });
      await hold.commit();
      expect((await first).status).toBe(200);
      await ws.closed();
    } finally {
      await hold.end();
    }
  });

  it('many operations of one socket waiting at once: each is answered, with no listener-leak warning', async () => {
    // Node prints its warnings on the real stderr (Jest's sandboxed `process` never hears them).
    const warnings: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      if (/Warning/.test(String(chunk))) warnings.push(String(chunk));
      return write(chunk, ...rest);
    });
    const hold = await holdMember();
    try {
      const first = post('mutation($id: ID!) { updateMember(memberId: $id, patch: { region: "North" }) { id } }', { id: memberId });
      await until(async () => (await gauges()).inProgress === 1);
      const ws = await socketOf(admin);
      for (let i = 0; i < 20; i++) ws.send(`q${i}`, '{ tiers { code } }');
      await until(async () => (await gauges()).waiting === 20);
      await hold.commit();
      expect((await first).status).toBe(200);
      await until(async () => ws.frames.filter((f) => f.type === 'complete').length === 20);
      await ws.closed();
      await new Promise((r) => setTimeout(r, 50));
      expect(warnings).toEqual([]);
    } finally {
      process.stderr.write = write;
      await hold.end();
    }
  });
});
