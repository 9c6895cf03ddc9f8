import { Client } from 'pg';
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
