import { MikroORM } from '@mikro-orm/postgresql';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { ormConfig } from '../../src/config/mikro-orm';
import { createTestDatabase, startTestServer, type TestServer } from '../support/harness';
import { eventually } from '../support/wait';
import { alive } from '../support/server-process';
import { mintToken } from '../../src/api/auth';

describe('operations endpoints', () => {
  let s: TestServer;
  beforeAll(async () => { s = await startTestServer(); });
  afterAll(() => s.stop());

  it('healthz, readyz and metrics answer', async () => {
    expect(await (await fetch(`${s.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${s.url}/readyz`);
    expect(ready.status).toBe(200);
    // A database restored from before its newest migration is not ready, at the next probe.
    const [newest] = await s.sql(`delete from mikro_orm_migrations where id = (select max(id) from mikro_orm_migrations) returning *`);
    try {
      expect((await fetch(`${s.url}/readyz`)).status).toBe(503);
    } finally {
      await s.sql(`insert into mikro_orm_migrations (id, name, executed_at) values ($1, $2, $3)`, [newest.id, newest.name, newest.executed_at]);
    }
    expect((await fetch(`${s.url}/readyz`)).status).toBe(200);
    await s.gql('{ program { tierNoticeDays } }', {}, await s.token('admin'));
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toMatch(/graphql_operations_total\{operation="program",type="query",outcome="ok"\} \d+/);
    expect(metrics).toMatch(/http_request_duration_seconds_bucket/);
    expect(metrics).toMatch(/db_pool_used \d+/);
    // Operations are labelled by the root field they ask, never by a name the caller chose (names and aliases are unbounded).
    const before = metrics.split('\n').length;
    for (let i = 0; i < 50; i++) await s.gql(`query Junk${i}_${'x'.repeat(50)} { a${i}: program { tierNoticeDays } }`, {});
    await s.gql(`query Several { program { tierNoticeDays } tiers { code } }`, {}, await s.token('admin'));
    const named = await (await fetch(`${s.url}/metrics`)).text();
    expect(named).not.toMatch(/Junk|Several|a1:/);
    expect(named).toMatch(/graphql_operations_total\{operation="program",type="query",outcome="error"\} \d+/);
    expect(named).toMatch(/graphql_operations_total\{operation="multiple",type="query",outcome="ok"\} \d+/);
    expect(named.split('\n').length - before).toBeLessThan(100);
    // Requests are counted by route: GraphQL's as /graphql (a mounted app sets no route), a route by its pattern, the rest as other.
    await fetch(`${s.url}/nowhere/42`);
    const after = await (await fetch(`${s.url}/metrics`)).text();
    expect(after).toMatch(/http_requests_total\{method="POST",route="\/graphql",status="200"\} \d+/);
    expect(after).toMatch(/http_requests_total\{method="GET",route="\/healthz",status="200"\} \d+/);
    expect(after).toMatch(/http_requests_total\{method="GET",route="other",status="404"\} \d+/);
  });

  // With the embedded PostgreSQL too: its package stopped the database on the signal, under the requests being finished.
  it.each(['DATABASE_URL', 'the embedded PostgreSQL'])('the server process finishes in-flight work and exits 0 on SIGTERM (%s)', async (mode) => {
    const embedded = mode !== 'DATABASE_URL';
    const dataDir = embedded ? mkdtempSync(join(tmpdir(), 'sigterm-')) : null;
    if (dataDir) chmodSync(dataDir, 0o755); // as root, the embedded server runs as postgres, which must reach it
    let databaseUrl = embedded ? '' : await createTestDatabase('sigterm');
    const secret = 'sigterm-secret-0123456789abcdef0123';
    const { DATABASE_URL: _unset, ...env } = process.env;
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
      cwd: resolve(__dirname, '../..'), stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...env, ...(embedded ? { DATA_DIR: dataDir! } : { DATABASE_URL: databaseUrl }), PORT: '0', JWT_SECRET: secret, SEED: 'none', SCHEDULER: 'off', NODE_ENV: 'production', LOG_LEVEL: 'info' },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    let holder: Client | null = null;
    try {
      await eventually(() => /loyalty server ready/.test(out) || child.exitCode !== null, 'the server to start', 90_000);
      // The embedded server's port: line 4 of its postmaster.pid.
      if (dataDir) databaseUrl = `postgres://postgres:postgres@127.0.0.1:${readFileSync(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[3]}/loyalty`;
      holder = new Client({ connectionString: databaseUrl });
      holder.on('error', () => {}); // the embedded server ends this connection when it stops, last
      const url = JSON.parse(out.split('\n').find((l) => l.includes('loyalty server ready'))!).url.replace(/\/graphql$/, '');
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      // In flight at SIGTERM: an update of the programme, waiting for the row this test holds.
      await holder.connect();
      await holder.query('begin');
      await holder.query('select 1 from program where id = 1 for update');
      const token = await mintToken(secret, { role: 'admin', sub: 'ops' });
      const inFlight = fetch(`${url}/graphql`, {
        method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: 'mutation { updateProgram(input: { tierNoticeDays: 30 }) { tierNoticeDays } }' }),
      });
      await eventually(async () => (await holder!.query(`select count(*)::int as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock'`)).rows[0].n > 0, 'the update to wait for the row');
      child.kill('SIGTERM');
      await eventually(() => /shutting down/.test(out), 'the server to begin its shutdown');
      expect(child.exitCode).toBeNull(); // still draining: the request is not done
      await holder.query('commit');
      const res = await inFlight;
      expect({ status: res.status, body: await res.json() }).toEqual({ status: 200, body: { data: { updateProgram: { tierNoticeDays: 30 } } } });
      // Exits by itself once drained (30 s is a safety bound against a hung shutdown, not an expected time).
      const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('still running 30 s after SIGTERM'), 30_000).unref())]);
      expect(code).toBe(0);
      expect(out).toMatch(/"msg":"stopped"/);
      if (dataDir) expect(existsSync(join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false); // and PostgreSQL stopped with it
    } finally {
      await holder?.end().catch(() => {});
      if (child.exitCode === null) child.kill('SIGKILL');
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);

  it('a restart after the server was killed (SIGKILL) stops the embedded PostgreSQL it left running, and starts', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sigkill-'));
    chmodSync(dataDir, 0o755); // as root, the embedded server runs as postgres, which must reach it
    const { DATABASE_URL: _unset, ...env } = process.env;
    const start = () => {
      const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
        cwd: resolve(__dirname, '../..'), stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...env, DATA_DIR: dataDir, PORT: '0', JWT_SECRET: 'sigkill-secret-0123456789abcdef0123', SEED: 'none', SCHEDULER: 'off', NODE_ENV: 'production', LOG_LEVEL: 'info' },
      });
      const run = { child, out: '', exited: new Promise<number | null>((r) => child.on('exit', (code) => r(code))) };
      child.stdout.on('data', (d) => (run.out += d));
      child.stderr.on('data', (d) => (run.out += d));
      return run;
    };
    const postmaster = () => Number(readFileSync(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
    const runs: ReturnType<typeof start>[] = [];
    try {
      const first = start();
      runs.push(first);
      await eventually(() => /loyalty server ready/.test(first.out) || first.child.exitCode !== null, 'the first start', 90_000);
      const orphan = postmaster();
      first.child.kill('SIGKILL');
      await first.exited;
      expect(alive(orphan)).toBe(true); // left running, with nobody to stop it
      const second = start();
      runs.push(second);
      await eventually(() => /loyalty server ready/.test(second.out) || second.child.exitCode !== null, 'the restart', 90_000);
      expect({ exit: second.child.exitCode, ready: /loyalty server ready/.test(second.out) }).toEqual({ exit: null, ready: true });
      expect(second.out).toMatch(/stopping PostgreSQL pid \d+ in .*: the process that started it \(pid \d+\) is gone/);
      expect(alive(orphan)).toBe(false);
      const url = JSON.parse(second.out.split('\n').find((l) => l.includes('loyalty server ready'))!).url.replace(/\/graphql$/, '');
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
      expect(existsSync(join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
    } finally {
      for (const r of runs) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
      try { const pid = postmaster(); if (alive(pid)) process.kill(pid, 'SIGINT'); } catch { /* stopped */ }
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 240_000);

  it('an embedded PostgreSQL that dies under the server (killed, crashed) stops the server, exit 1, saying why: it answered 503 for good', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pg-lost-'));
    chmodSync(dataDir, 0o755);
    const { DATABASE_URL: _unset, ...env } = process.env;
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
      cwd: resolve(__dirname, '../..'), stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...env, DATA_DIR: dataDir, PORT: '0', JWT_SECRET: 'pg-lost-secret-0123456789abcdef0123', SEED: 'none', SCHEDULER: 'off', NODE_ENV: 'production', LOG_LEVEL: 'info' },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const postmaster = () => Number(readFileSync(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
    try {
      await eventually(() => /loyalty server ready/.test(out) || child.exitCode !== null, 'the start', 90_000);
      expect(child.exitCode).toBeNull();
      process.kill(postmaster(), 'SIGKILL');
      const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('still running 60 s after'), 60_000).unref())]);
      expect(code).toBe(1);
      expect(out).toMatch(/"how":"killed by SIGKILL".*"msg":"the embedded PostgreSQL stopped by itself: stopping the server \(start it again\)"/);
      expect(out).toMatch(/"msg":"stopped"/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      try { const pid = postmaster(); if (alive(pid)) process.kill(pid, 'SIGINT'); } catch { /* stopped */ }
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);

  it('a Ctrl-C to the terminal\'s process group reaches the server, not its embedded PostgreSQL, which the server stops last', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ctrl-c-'));
    chmodSync(dataDir, 0o755);
    const { DATABASE_URL: _unset, ...env } = process.env;
    // detached: the server leads a process group of its own, as npm start does in a terminal.
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
      cwd: resolve(__dirname, '../..'), stdio: ['ignore', 'pipe', 'pipe'], detached: true,
      env: { ...env, DATA_DIR: dataDir, PORT: '0', JWT_SECRET: 'ctrl-c-secret-0123456789abcdef0123', SEED: 'none', SCHEDULER: 'off', NODE_ENV: 'production', LOG_LEVEL: 'info' },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const group = (pid: number) => Number(execFileSync('ps', ['-o', 'pgid=', '-p', String(pid)], { encoding: 'utf8' }).trim());
    try {
      await eventually(() => /loyalty server ready/.test(out) || child.exitCode !== null, 'the start', 90_000);
      const postmaster = Number(readFileSync(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
      expect(group(child.pid!)).toBe(child.pid);
      expect(group(postmaster)).not.toBe(child.pid);
      const url = JSON.parse(out.split('\n').find((l) => l.includes('loyalty server ready'))!).url as string;
      const token = await mintToken('ctrl-c-secret-0123456789abcdef0123', { role: 'admin', sub: 'ctrl-c' });
      // The pool holds connections (a request served), then Ctrl-C to the whole group: PostgreSQL
      // used to get it too and end them under the server (a fast shutdown), as the server drained.
      const res = await fetch(url, {
        method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ programStats { members } }' }),
      });
      expect(res.status).toBe(200);
      process.kill(-child.pid!, 'SIGINT');
      expect(await exited).toBe(0);
      expect(out).toMatch(/stopped/);
      expect(out).not.toMatch(/terminating connection due to administrator command|Connection terminated unexpectedly/);
      expect(existsSync(join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
    } finally {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
      // PostgreSQL leads a group of its own: a run that failed midway leaves it to stop here.
      try { const pid = Number(readFileSync(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]); process.kill(pid, 'SIGINT'); } catch { /* stopped */ }
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);

  it('carries a request id: the caller\'s when it reads as one (up to 128 visible ASCII characters), else one of its own', async () => {
    const res = await fetch(`${s.url}/healthz`, { headers: { 'x-request-id': 'abc-123' } });
    expect(res.headers.get('x-request-id')).toBe('abc-123');
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    for (const odd of ['x'.repeat(129), 'x'.repeat(16_000), 'two words']) {
      expect((await fetch(`${s.url}/healthz`, { headers: { 'x-request-id': odd } })).headers.get('x-request-id')).toMatch(uuid);
    }
    expect((await fetch(`${s.url}/healthz`)).headers.get('x-request-id')).toMatch(uuid);
  });

  it('serves the GraphQL IDE from local packages in development', async () => {
    const page = await fetch(`${s.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('/ide/graphiql.js');
    expect(html).not.toMatch(/https?:\/\/(?!127)/);
    for (const f of ['react.js', 'react-dom.js', 'graphiql.js', 'graphiql.css']) {
      expect((await fetch(`${s.url}/ide/${f}`)).status).toBe(200);
    }
  });

  it('readyz turns 503 while the database refuses connections, and 200 again after', async () => {
    const dbName = new URL(s.databaseUrl).pathname.slice(1);
    const admin = new Client({ connectionString: process.env.TEST_PG_ADMIN_URL });
    await admin.connect();
    try {
      await admin.query(`alter database "${dbName}" allow_connections false`);
      const [{ pid: harnessPid }] = await s.sql('select pg_backend_pid() as pid');
      await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> $2', [dbName, harnessPid]);
      expect((await fetch(`${s.url}/readyz`)).status).toBe(503);
    } finally {
      await admin.query(`alter database "${dbName}" allow_connections true`);
      await admin.end();
    }
    await eventually(async () => (await fetch(`${s.url}/readyz`)).status === 200, 'readyz to answer 200 again');
  });
});

describe('migrations', () => {
  it('go up from an empty database, and a second run has nothing to do', async () => {
    const orm = await MikroORM.init(ormConfig({ url: await createTestDatabase('mig') }));
    try {
      const migrator = orm.getMigrator();
      expect((await migrator.getPendingMigrations()).length).toBeGreaterThan(0);
      await migrator.up();
      expect(await migrator.getPendingMigrations()).toEqual([]);
      expect(await migrator.up()).toEqual([]);
      const tables = await orm.em.getConnection().execute(`select table_name from information_schema.tables where table_schema = 'public' order by 1`);
      expect((tables as { table_name: string }[]).map((t) => t.table_name)).toEqual(expect.arrayContaining(['member', 'tier', 'program', 'audit_entry']));
      // and the schema the entities describe needs no further change
      const diff = await orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false });
      expect(diff.trim()).toBe('');
    } finally {
      await orm.close(true);
    }
  });
});
