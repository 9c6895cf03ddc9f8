import http from 'node:http';
import { createServer, type Server } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mintToken } from '../../src/api/auth';
import { createTestDatabase } from '../support/harness';
import { LADDER, REGISTER, UPSERT_TIER } from '../support/fixtures';
import { alive, spawnMain, type ServerProcess } from '../support/server-process';
import { eventually } from '../support/wait';

// Cluster mode (WORKERS=2, src/cluster.ts): src/main.ts as `npm start` runs it, two worker
// processes on one port. Which worker served a request is read from its request log line
// (pino writes the process's pid on every line; the test sends the x-request-id), and every
// request goes on a connection of its own, so the primary hands them to the workers in turn.
const SECRET = 'cluster-secret-0123456789abcdef0123';
const folders: string[] = [];
afterAll(() => { for (const f of folders) rmSync(f, { recursive: true, force: true }); });

interface LogLine { pid: number; msg: string; url?: string; workers?: number[]; req?: { id: string }; dir?: string }
const lines = (s: ServerProcess): LogLine[] => s.out().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine);

function start(env: Record<string, string>): ServerProcess {
  return spawnMain({
    ...process.env, WORKERS: '2', PORT: '0', JWT_SECRET: SECRET, SEED: 'none', SCHEDULER: 'off', NODE_ENV: 'production', LOG_LEVEL: 'info', ...env,
  });
}

/** Waits for the primary's "all 2 workers ready"; its url and the workers' pids. */
async function started(s: ServerProcess): Promise<{ url: string; workers: number[] }> {
  await eventually(() => lines(s).some((l) => l.workers) || s.child.exitCode !== null, 'the cluster to start', 120_000);
  const line = lines(s).find((l) => l.workers);
  if (!line) throw new Error(`the cluster did not start: ${s.err()}`);
  return { url: line.url!.replace(/\/graphql$/, ''), workers: line.workers! };
}

/** POST /graphql on a connection of its own; answers with the pid of the worker that served it (from its log line). */
async function gql(s: ServerProcess, url: string, token: string, query: string, variables: Record<string, unknown> = {}) {
  const id = `cluster-${Math.random().toString(36).slice(2)}`;
  const body = JSON.stringify({ query, variables });
  const text = await new Promise<string>((resolve, reject) => {
    const req = http.request(`${url}/graphql`, {
      method: 'POST', agent: false,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${token}`, 'x-request-id': id },
    }, (res) => {
      let t = '';
      res.on('data', (d) => (t += d));
      res.on('end', () => resolve(t));
    });
    req.on('error', reject);
    req.end(body);
  });
  const json = JSON.parse(text) as { data?: Record<string, any>; errors?: unknown[] };
  if (json.errors) throw new Error(JSON.stringify(json.errors));
  await eventually(() => lines(s).some((l) => l.req?.id === id), `the log line of request ${id}`);
  return { data: json.data!, pid: lines(s).find((l) => l.req?.id === id)!.pid };
}


async function stopped(s: ServerProcess): Promise<number | null | string> {
  s.child.kill('SIGTERM');
  return Promise.race([s.exited, new Promise<string>((r) => setTimeout(() => r('still running 30 s after SIGTERM'), 30_000).unref())]);
}

describe('WORKERS=2: two server processes on one port', () => {
  it('the primary starts the one embedded PostgreSQL; both workers answer; a purchase made through one is seen through the other; SIGTERM stops them all', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'loyalty-cluster-'));
    folders.push(dataDir);
    const s = start({ DATABASE_URL: '', DATA_DIR: dataDir });
    try {
      const { url, workers } = await started(s);
      expect(new Set(workers).size).toBe(2);
      expect(workers).not.toContain(s.child.pid);
      // One PostgreSQL, started by the primary; each worker started a server of its own on the one port.
      expect(lines(s).filter((l) => l.msg === 'starting embedded PostgreSQL').map((l) => l.pid)).toEqual([s.child.pid]);
      const postgres = Number.parseInt(readFileSync(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0], 10);
      expect(alive(postgres)).toBe(true);
      // A worker's log line and the primary's are written by two processes to one pipe: the
      // primary's "all ready" may come first (it did, once, in CI), so the workers' are waited for.
      const readyLines = () => lines(s).filter((l) => l.msg === 'loyalty server ready');
      await eventually(() => new Set(readyLines().map((l) => l.pid)).size >= workers.length, 'each worker\'s ready line');
      const ready = readyLines();
      expect(new Set(ready.map((l) => l.pid))).toEqual(new Set(workers));
      expect(new Set(ready.map((l) => l.url))).toEqual(new Set([`${url}/graphql`]));

      const admin = await mintToken(SECRET, { role: 'admin', sub: 'cluster' });
      const service = await mintToken(SECRET, { role: 'service', sub: 'till' });
      const servedBy = new Set<number>();
      for (const input of LADDER) servedBy.add((await gql(s, url, admin, UPSERT_TIER, { input })).pid);
      const joined = await gql(s, url, admin, REGISTER, { input: { externalId: 'cluster-1' } });
      const memberId = joined.data.registerMember.id as string;
      servedBy.add(joined.pid);
      expect(servedBy).toEqual(new Set(workers)); // five requests on five connections: both served some

      const bought = await gql(s, url, service, `mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }`,
        { i: { memberId, orderId: 'cluster-order-1', amount: 120 } });
      expect(bought.data.recordPurchase.pointsEarned).toBe(120);
      let seen: { balance: number; pid: number } | null = null;
      for (let i = 0; i < 10 && !seen; i++) {
        const read = await gql(s, url, admin, 'query($id: ID!) { member(id: $id) { pointsBalance } }', { id: memberId });
        if (read.pid !== bought.pid) seen = { balance: read.data.member.pointsBalance, pid: read.pid };
      }
      expect(seen).toEqual({ balance: 120, pid: workers.find((p) => p !== bought.pid) });

      expect(await stopped(s)).toBe(0);
      for (const pid of [...workers, postgres]) expect(alive(pid)).toBe(false);
      const stops = lines(s).filter((l) => l.msg === 'stopped').map((l) => l.pid);
      expect(new Set(stops)).toEqual(new Set([...workers, s.child.pid]));
    } finally {
      if (s.child.exitCode === null) s.child.kill('SIGKILL');
    }
  }, 180_000);

  it('a taken port: the primary says so before it migrates or forks anything, and exits 1', async () => {
    const taken: Server = createServer();
    await new Promise<void>((r) => taken.listen(0, r));
    const port = (taken.address() as { port: number }).port;
    const s = start({ DATABASE_URL: await createTestDatabase('cluster_taken'), PORT: String(port) });
    try {
      const code = await Promise.race([s.exited, new Promise<string>((r) => setTimeout(() => r('still running after 90 s'), 90_000).unref())]);
      expect(code).toBe(1);
      expect(s.err()).toBe(`loyalty server could not start: PORT ${port} cannot be used: address already in use by another process: stop it, or set PORT to another port\n`);
      expect(lines(s).map((l) => l.msg)).not.toContain('migrations applied');
    } finally {
      if (s.child.exitCode === null) s.child.kill('SIGKILL');
      taken.close();
    }
  }, 120_000);

  it('more connections than PostgreSQL allows: refused before it migrates anything, and exits 1', async () => {
    const url = await createTestDatabase('cluster_connections');
    const s = start({ DATABASE_URL: url, WORKERS: '64', DB_POOL_MAX: '20' });
    try {
      const code = await Promise.race([s.exited, new Promise<string>((r) => setTimeout(() => r('still running after 90 s'), 90_000).unref())]);
      expect(code).toBe(1);
      expect(s.err()).toMatch(/^loyalty server could not start: WORKERS=64 with DB_POOL_MAX=20 may open 1472 connections, more than the \d+ PostgreSQL allows/);
      expect(lines(s).map((l) => l.msg)).not.toContain('migrations applied');
    } finally {
      if (s.child.exitCode === null) s.child.kill('SIGKILL');
    }
  }, 120_000);

  it('a worker that cannot start stops the others and the primary exits 1', async () => {
    // A port free when the primary checks it, taken before the workers listen (once the primary has migrated).
    const probe: Server = createServer();
    await new Promise<void>((r) => probe.listen(0, r));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const s = start({ DATABASE_URL: await createTestDatabase('cluster_fail'), PORT: String(port) });
    const taken: Server = createServer();
    try {
      await eventually(() => lines(s).some((l) => l.msg === 'migrations applied') || s.child.exitCode !== null, 'the primary to migrate', 90_000);
      await new Promise<void>((r) => taken.listen(port, r));
      const code = await Promise.race([s.exited, new Promise<string>((r) => setTimeout(() => r('still running after 90 s'), 90_000).unref())]);
      expect(code).toBe(1);
      // The worker's own line says why; the primary's says that it stopped the rest.
      expect(s.err()).toMatch(/loyalty server could not start: .*EADDRINUSE/);
      expect(s.err()).toMatch(/loyalty server could not start: a worker exited \(code 1\) before it was ready; all stopped/);
    } finally {
      if (s.child.exitCode === null) s.child.kill('SIGKILL');
      taken.close();
    }
  }, 180_000);
});
