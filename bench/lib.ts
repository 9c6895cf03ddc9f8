import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { mintToken } from '../src/api/auth';
import { applyMigrations, openOrm } from '../src/db/database';

export const ROOT = resolve(__dirname, '..');
export const JWT_SECRET = 'bench-secret-0123456789abcdef0123456789';
/**
 * A BENCH_* size or count from the environment: unset or empty is the default; anything but a
 * whole number (0 or more; `_` allowed as a separator: 20_000) is refused with one line and exit 2,
 * before anything starts (BENCH_MEMBERS=abc failed deep in seeding, with PostgreSQL's
 * "invalid input syntax for type integer" and its stack).
 */
export function benchInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw == null || raw.trim() === '') return fallback;
  const n = /^\s*\d[\d_]*\s*$/.test(raw) ? Number(raw.replace(/_/g, '')) : NaN;
  if (!Number.isSafeInteger(n)) {
    process.stderr.write(`npm run bench: ${name} must be a whole number (0 or more), got "${raw}"\n`);
    process.exit(2);
  }
  return n;
}

export const log = (...args: unknown[]) => console.log(`[${new Date().toISOString().slice(11, 19)}]`, ...args);

/** A fresh database: on DATABASE_URL's server, or on an embedded PostgreSQL started here. */
export async function benchDatabase(name: string): Promise<{ url: string; adminUrl: string; stop: () => Promise<void> }> {
  let adminUrl = process.env.DATABASE_URL;
  let stop = async () => {};
  if (!adminUrl) {
    const { startEmbeddedPostgres } = await import('../src/db/embedded-postgres.mjs');
    const pg = await startEmbeddedPostgres({ dir: join(mkdtempSync(join(tmpdir(), 'loyalty-bench-')), 'pg'), persistent: false });
    adminUrl = pg.url('postgres');
    stop = pg.stop;
  }
  const db = `${name}_${Date.now()}`;
  const c = new Client({ connectionString: adminUrl });
  await c.connect();
  await c.query(`create database "${db}"`);
  await c.end();
  const url = new URL(adminUrl);
  url.pathname = `/${db}`;
  const orm = await openOrm(url.toString());
  await applyMigrations(orm);
  await orm.close(true);
  return { url: url.toString(), adminUrl, stop };
}

export async function sql(url: string, text: string, params: unknown[] = []) {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text, params)).rows;
  } finally {
    await c.end();
  }
}

/** The demo ladder and `n` members (with accounts), set-based; bench_member(n, id) numbers them for pgbench. */
export async function seedMembers(url: string, n: number) {
  await sql(url, `insert into tier (id, code, name, rank, qualifying_points, retain_points, points_multiplier, created_at, updated_at) values
    (gen_random_uuid(), 'BRONZE', 'Bronze', 0, 0, 0, 1, now(), now()), (gen_random_uuid(), 'SILVER', 'Silver', 1, 1000, 800, 1.25, now(), now()),
    (gen_random_uuid(), 'GOLD', 'Gold', 2, 5000, 4000, 1.5, now(), now()), (gen_random_uuid(), 'PLATINUM', 'Platinum', 3, 15000, 12000, 2, now(), now())`);
  await sql(url, `create table bench_member (n int primary key, id uuid not null)`);
  await sql(url, `insert into bench_member select g, md5('m' || g)::uuid from generate_series(1, $1) g`, [n]);
  await sql(url, `insert into member (id, joined_at, tier_id, tier_since, created_at, updated_at)
    select b.id, now() - interval '400 days', t.id, now() - interval '400 days', now(), now() from bench_member b, tier t where t.rank = 0`);
  await sql(url, `insert into point_account (member_id, balance, lifetime_earned, updated_at) select id, 0, 0, now() from bench_member`);
  await sql(url, 'vacuum analyze');
}

export async function memberIds(url: string, limit: number): Promise<string[]> {
  return (await sql(url, 'select id from bench_member order by n limit $1', [limit])).map((r) => r.id);
}

export function serviceToken(role: 'service' | 'admin' = 'service') {
  return mintToken(JWT_SECRET, { role, sub: `bench-${role}` });
}

/**
 * Starts the real server in a child process and waits until it says it serves (its IPC
 * message, src/cluster.ts READY_MESSAGE: with WORKERS=2, once both workers are), then /readyz.
 * `nodeArgs`: Node's own options (e.g. --cpu-prof).
 */
export async function startApp(databaseUrl: string, port: number, extraEnv: Record<string, string> = {}, nodeArgs: string[] = []): Promise<ChildProcess> {
  const child = fork(resolve(ROOT, 'src/main.ts'), [], {
    cwd: ROOT, execArgv: [...nodeArgs, '-r', 'ts-node/register/transpile-only'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: { ...process.env, DATABASE_URL: databaseUrl, PORT: String(port), JWT_SECRET, SEED: 'none', SCHEDULER: 'off', LOG_LEVEL: 'warn', NODE_ENV: 'production', MAX_QUERY_COST: '100000', ...extraEnv },
  });
  await new Promise<void>((resolveReady, reject) => {
    child.on('message', (m) => { if ((m as { loyalty?: string }).loyalty === 'ready') resolveReady(); });
    child.once('exit', (code) => reject(new Error(`the app exited ${code} before it was ready`)));
  });
  await waitFor(`http://127.0.0.1:${port}/readyz`);
  return child;
}

/** Starts a baseline server script from bench/ (bare-server.ts by default) in a child process. */
export async function startBare(databaseUrl: string, port: number, script = 'bare-server.ts', extraEnv: Record<string, string> = {}): Promise<ChildProcess> {
  const child = fork(resolve(__dirname, script), [], {
    cwd: ROOT, execArgv: ['-r', 'ts-node/register/transpile-only'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: { ...process.env, DATABASE_URL: databaseUrl, PORT: String(port), ...extraEnv },
  });
  await new Promise<void>((resolveReady, reject) => {
    child.once('message', () => resolveReady());
    child.once('exit', (code) => reject(new Error(`bare server exited ${code}`)));
  });
  return child;
}

async function waitFor(url: string, ms = 60_000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      if ((await fetch(url)).status === 200) return;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} not ready`);
}

export function stopChild(child: ChildProcess | null | undefined): Promise<void> {
  if (!child || child.exitCode != null) return Promise.resolve();
  return new Promise((r) => {
    child.once('exit', () => r());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
  });
}

export const machine = () => `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;

/** Runs pgbench with a script file; returns transactions per second and latency. */
export function pgbench(url: string, script: string, clients: number, seconds: number): Promise<{ tps: number; latencyMs: number; failed: number; output: string }> {
  const u = new URL(url);
  const bin = process.env.PGBENCH ?? '/usr/lib/postgresql/15/bin/pgbench';
  return new Promise((resolveRun, reject) => {
    const child = spawn(bin, ['-n', '-M', 'prepared', '-c', String(clients), '-j', '2', '-T', String(seconds), '-f', script,
      '-h', u.hostname, '-p', u.port, '-U', decodeURIComponent(u.username), u.pathname.slice(1)], { env: { ...process.env, PGPASSWORD: decodeURIComponent(u.password) } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', () => {
      const tps = Number(/tps = ([\d.]+)/.exec(out)?.[1] ?? NaN);
      const latencyMs = Number(/latency average = ([\d.]+) ms/.exec(out)?.[1] ?? NaN);
      const failed = Number(/number of failed transactions: (\d+)/.exec(out)?.[1] ?? 0);
      resolveRun({ tps, latencyMs, failed, output: out });
    });
  });
}
