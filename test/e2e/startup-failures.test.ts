import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alive, ROOT, spawnMain, type ServerProcess } from '../support/server-process';
import { eventually } from '../support/wait';

// The server's entry point (src/main.ts) as `npm start` runs it, each with an embedded
// PostgreSQL in a folder of the test's own.
const AS_ROOT = process.getuid?.() === 0;
const folders: string[] = [];
afterAll(() => { for (const f of folders) rmSync(f, { recursive: true, force: true }); });

function tempFolder(mode = 0o755): string {
  const dir = mkdtempSync(join(tmpdir(), 'loyalty-start-'));
  folders.push(dir);
  chmodSync(dir, mode);
  return dir;
}

type Started = ServerProcess;

/** `npm start`: src/main.ts with an embedded PostgreSQL under dataDir (DATABASE_URL unset), on a free port. */
function startServer(dataDir: string, opts: { cwd?: string; nodeArgs?: string[]; env?: Record<string, string> } = {}): Started {
  return spawnMain({
    ...process.env, DATABASE_URL: '', DATA_DIR: dataDir, PORT: '0', SEED: 'none', SCHEDULER: 'off', LOG_LEVEL: 'info',
    JWT_SECRET: 'startup-secret-0123456789abcdef0123', ...opts.env,
  }, opts);
}

const ready = (s: Started) => eventually(() => /loyalty server ready/.test(s.out()) || s.child.exitCode !== null, 'the server to start or fail', 120_000);

/** Waits for the process to end by itself (the bound is a safety one: a hang fails the test instead of blocking it). */
async function exitCode(s: Started): Promise<number | null | string> {
  return Promise.race([s.exited, new Promise<string>((r) => setTimeout(() => r('still running after 60 s'), 60_000).unref())]);
}

async function stop(s: Started): Promise<void> {
  if (s.child.exitCode !== null) return;
  s.child.kill('SIGTERM');
  expect(await exitCode(s)).toBe(0);
}

/** What a failed start printed: one line that says why, and no stack. */
function expectOneLine(s: Started, message: RegExp) {
  const lines = s.err().split('\n').filter((l) => l.trim());
  expect(lines).toEqual([expect.stringMatching(message)]);
  expect(lines[0]).toMatch(/^loyalty server could not start: /);
  expect(s.out() + s.err()).not.toMatch(/\n\s+at /);
}

const escaped = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe(AS_ROOT ? 'started as root, from a private folder' : 'started as root (skipped: the tests do not run as root, and only root runs PostgreSQL as another user)', () => {
  const itAsRoot = AS_ROOT ? it : it.skip;

  itAsRoot('a data folder postgres cannot reach: one line naming the folder and the fix, which works', async () => {
    const secret = tempFolder(0o700);
    const failed = startServer(join(secret, 'data'));
    expect(await exitCode(failed)).toBe(1);
    expectOneLine(failed, new RegExp(`cannot enter ${escaped(secret)} \\(mode 700\\): run \`chmod o\\+x ${escaped(secret)}\``));
    // The fix it names.
    chmodSync(secret, 0o701);
    const fixed = startServer(join(secret, 'data'));
    try {
      await ready(fixed);
      expect(fixed.out()).toMatch(/loyalty server ready/);
    } finally {
      await stop(fixed);
    }
  }, 240_000);

  itAsRoot('binaries postgres cannot reach (a clone inside a mode-700 folder): one line, not spawn EACCES', async () => {
    // The clone's layout, its node_modules inside the private folder: Node keeps the paths as
    // they are (--preserve-symlinks), so the package spawns …/secret/clone/node_modules/…/initdb.
    const secret = tempFolder(0o700);
    const clone = join(secret, 'clone');
    mkdirSync(clone);
    for (const f of ['src', 'seeds', 'migrations', 'package.json', 'tsconfig.json']) symlinkSync(join(ROOT, f), join(clone, f));
    symlinkSync(realpathSync(join(ROOT, 'node_modules')), join(clone, 'node_modules'));
    const failed = startServer(tempFolder(), { cwd: clone, nodeArgs: ['--preserve-symlinks', '--preserve-symlinks-main'] });
    expect(await exitCode(failed)).toBe(1);
    expectOneLine(failed, new RegExp(`cannot enter ${escaped(secret)} \\(mode 700\\): run \`chmod o\\+x ${escaped(secret)}\``));
  }, 120_000);
});

describe('start-up failures', () => {
  it('a second start on the same data folder says the folder is in use, and exits non-zero', async () => {
    const data = tempFolder();
    const first = startServer(data);
    try {
      await ready(first);
      expect(first.out()).toMatch(/loyalty server ready/);
      const second = startServer(data);
      expect(await exitCode(second)).toBe(1);
      expectOneLine(second, new RegExp(`the data folder ${escaped(join(data, 'postgres'))} is in use by another running instance .*stop that instance, or set DATA_DIR`));
      // The first is untouched.
      const url = JSON.parse(first.out().split('\n').find((l) => l.includes('loyalty server ready'))!).url.replace(/\/graphql$/, '');
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      // Another on the first's port: one line too (the WebSocket server printed the error with its stack as well).
      const taken = startServer(tempFolder(), { env: { PORT: new URL(url).port } });
      expect(await exitCode(taken)).toBe(1);
      expectOneLine(taken, new RegExp(`PORT ${new URL(url).port} cannot be used: address already in use by another process: stop it, or set PORT to another port`));
      // Said before anything started: no PostgreSQL, no migrations, no seed first (a first start's demo took a minute).
      expect(taken.out()).not.toMatch(/starting embedded PostgreSQL/);
    } finally {
      await stop(first);
    }
  }, 300_000);

  it('any start-up failure is one line; its stack is at debug level only', async () => {
    const bad = startServer(tempFolder(), { env: { SEED: 'bogus' } });
    expect(await exitCode(bad)).toBe(1);
    expect(bad.err()).toBe('loyalty server could not start: SEED must be "demo" or "none", got "bogus"\n');
    const debug = startServer(tempFolder(), { env: { SEED: 'bogus', LOG_LEVEL: 'debug' } });
    expect(await exitCode(debug)).toBe(1);
    expect(debug.err()).toMatch(/"msg":"start-up failure"/);
    expect(debug.err()).toMatch(/"stack":"Error: SEED must be/);
    expect(debug.err()).toMatch(/loyalty server could not start: SEED must be "demo" or "none", got "bogus"\n$/);
  }, 120_000);

  it('a setting the server cannot honour is refused before anything starts, by name: a timer past 2^31 - 1 ms, a body limit of 0, a JWKS URL that is not one', async () => {
    // WEBHOOK_TIMEOUT_MS=99999999999 started, and timed every delivery attempt out after 1 ms
    // ("timed out after 99999999999 ms", the receiver never reached); BODY_LIMIT=0 started and
    // answered every request 413; JWT_JWKS_URL=notaurl failed with "Invalid URL" alone.
    const cases: [Record<string, string>, string][] = [
      [{ WEBHOOK_TIMEOUT_MS: '99999999999' }, 'WEBHOOK_TIMEOUT_MS must be at most 2147483647 ms (about 24.8 days), got "99999999999"'],
      [{ IMPORT_WAIT_MS: '3000000000' }, 'IMPORT_WAIT_MS must be at most 2147483647 ms (about 24.8 days), got "3000000000"'],
      [{ BODY_LIMIT: '0' }, 'BODY_LIMIT must be at least 1kb (smaller refuses every request as too large), got "0"'],
      [{ JWT_JWKS_URL: 'notaurl' }, 'JWT_JWKS_URL must be an http:// or https:// URL, got "notaurl"'],
      [{ DB_POOL_MAX: '0x10' }, 'DB_POOL_MAX must be a positive integer, got "0x10"'],
    ];
    for (const [env, message] of cases) {
      const bad = startServer(tempFolder(), { env });
      expect(await exitCode(bad)).toBe(1);
      expect(bad.err()).toBe(`loyalty server could not start: ${message}\n`);
      expect(bad.out()).not.toMatch(/starting embedded PostgreSQL/);
    }
  }, 300_000); // five starts of the server's process: on a busy machine each took over 20 s to load

  it('a DATA_DIR that is a file: one line naming DATA_DIR, before the embedded PostgreSQL', async () => {
    // It said "EEXIST: file already exists, mkdir '<path>'" alone, naming no setting.
    const file = join(tempFolder(), 'not-a-folder');
    writeFileSync(file, 'x');
    const bad = startServer(file);
    expect(await exitCode(bad)).toBe(1);
    expectOneLine(bad, new RegExp(`^loyalty server could not start: DATA_DIR ${escaped(file)} is a file, not a folder: set DATA_DIR to a folder`));
    expect(bad.out()).not.toMatch(/starting embedded PostgreSQL/);
  }, 120_000);

  (existsSync('/proc/self') ? it : it.skip)('a DATA_DIR that cannot be created (under /proc): one line naming DATA_DIR, not a silent spin', async () => {
    // Node 20's recursive mkdirSync never returned there: the start spun at full CPU, printed nothing and ignored SIGTERM.
    const path = `/proc/loyalty-data-${process.pid}`;
    for (const env of [{}, { JWT_SECRET: '' }] as Record<string, string>[]) { // the embedded database's folder, and the development secret's first
      const bad = startServer(path, { env });
      expect(await exitCode(bad)).toBe(1);
      expectOneLine(bad, new RegExp(`^loyalty server could not start: DATA_DIR ${escaped(path)} cannot be created \\(ENOENT at ${escaped(path)}\\): set DATA_DIR`));
    }
  }, 120_000);

  it('a stop while the demo loads says the start was stopped, in one line, without the connections PostgreSQL ended as warnings', async () => {
    // It said "could not start: terminating connection due to administrator command" after four
    // "database client" warnings: a newcomer's Ctrl-C in the first start's minute read as a crash.
    const s = startServer(tempFolder(), { env: { SEED: 'demo' } });
    try {
      await eventually(() => /loading demo data/.test(s.out()) || s.child.exitCode !== null, 'the demo to start loading', 120_000);
      s.child.kill('SIGINT');
      expect(await exitCode(s)).toBe(1);
      expect(s.err().split('\n').filter((l) => l.trim())).toEqual(['loyalty server stopped by SIGINT while starting: start it again to go on']);
      expect(s.out()).not.toMatch(/"level":[45]0/);
    } finally {
      if (s.child.exitCode === null) s.child.kill('SIGKILL');
    }
  }, 180_000);

  it('a SIGINT that reaches PostgreSQL alone (a Ctrl-C to its process group) still lets the server stop: by itself, exit 1', async () => {
    const data = tempFolder();
    const server = startServer(data);
    try {
      await ready(server);
      const pid = Number(readFileSync(join(data, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
      process.kill(pid, 'SIGINT');
      await eventually(() => !alive(pid), 'PostgreSQL to exit');
      // Without its database it would answer 503 for good: it stops (its own shutdown, finished), exit 1 for a supervisor.
      expect(await exitCode(server)).toBe(1);
      expect(server.out()).toMatch(/"how":"exit code 0".*"msg":"the embedded PostgreSQL stopped by itself: stopping the server \(start it again\)"/);
      expect(server.out()).toMatch(/"msg":"stopped"/);
    } finally {
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
    }
  }, 240_000);
});

describe('a port taken after the check, while the database starts', () => {
  it('fails at listen with one line, and what had started stops quietly (no connection errors logged as PostgreSQL stops)', async () => {
    const port = await freePort();
    const s = startServer(tempFolder(), { env: { PORT: String(port) } });
    const squatter = createServer();
    try {
      // Past the port check: PostgreSQL is starting. Take the port now.
      await eventually(() => /starting embedded PostgreSQL/.test(s.out()) || s.child.exitCode !== null, 'the database to start', 120_000);
      await new Promise<void>((r) => squatter.listen(port, () => r()));
      expect(await exitCode(s)).toBe(1);
      expectOneLine(s, /listen EADDRINUSE: address already in use/);
      // The outbox listener's and the webhook worker's connections were cut by PostgreSQL's stop: two warnings with stacks.
      expect(s.out()).not.toMatch(/"level":[45]0/);
    } finally {
      squatter.close();
      if (s.child.exitCode === null) s.child.kill('SIGKILL');
    }
  }, 180_000);
});

describe('a DATABASE_URL whose server does not answer as PostgreSQL', () => {
  const servers: Server[] = [];
  afterAll(() => { for (const s of servers) s.close(); });
  /** When each port of these servers was first connected to: when the server's wait for its database began. */
  const firstConnected = new Map<number, number>();
  /** A TCP server on a free port that does `onSocket` to each connection. */
  async function tcp(onSocket: (s: Socket) => void): Promise<number> {
    const srv = createServer((socket) => {
      const { port } = srv.address() as { port: number };
      if (!firstConnected.has(port)) firstConnected.set(port, Date.now());
      onSocket(socket);
    });
    servers.push(srv);
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    return (srv.address() as { port: number }).port;
  }

  it('one line that names the database (not the password) and why, within the time limit: never answers, hangs up, not a URL', async () => {
    const silent = await tcp(() => {}); // accepts, never answers: the ORM's pool said "Knex: Timeout acquiring a connection. The pool is probably full" after 30 s
    const rude = await tcp((s) => s.destroy()); // hangs up at once: "Connection terminated unexpectedly", not saying it was the database
    for (const [port, why] of [[silent, 'timeout expired'], [rude, '(read ECONNRESET|Connection terminated unexpectedly)']] as const) {
      const s = startServer(tempFolder(), { env: { DATABASE_URL: `postgres://loyalty:hunter2@127.0.0.1:${port}/loyalty` } });
      expect(await exitCode(s)).toBe(1);
      const exitedAt = Date.now();
      expectOneLine(s, new RegExp(`^loyalty server could not start: cannot connect to the PostgreSQL of DATABASE_URL \\(127\\.0\\.0\\.1:${port}/loyalty\\): ${why}$`));
      expect(s.err()).not.toContain('hunter2');
      // The 10 s limit (and the exit), counted from its first connection, not from the process's
      // start: ts-node's start alone took 30 s of a loaded machine (41 s to the exit, against 25).
      expect(exitedAt - firstConnected.get(port)!).toBeLessThan(20_000);
    }
    const bad = startServer(tempFolder(), { env: { DATABASE_URL: 'loyalty-db' } });
    expect(await exitCode(bad)).toBe(1);
    expectOneLine(bad, /DATABASE_URL is not a URL: write it as postgres:\/\/user:password@host:5432\/database$/);
  }, 120_000);
});

describe("the operators' commands (npm run migrate, seed, db:snapshot)", () => {
  /** `npm run <script>` as package.json runs it: ts-node on src/cli/<file>. */
  function runCli(file: string, env: Record<string, string>): Promise<{ code: number | null; out: string; err: string }> {
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', `src/cli/${file}`], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'info', ...env },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out, err })));
  }

  it('a database that cannot be reached is one line that names the command and why, and exit 1 (they printed the raw error with its stack)', async () => {
    const closed = await freePort(); // nothing listens there
    const url = `postgres://loyalty:secret@127.0.0.1:${closed}/loyalty`;
    for (const [file, what] of [['migrate.ts', 'npm run migrate'], ['seed.ts', 'npm run seed'], ['snapshot.ts', 'npm run db:snapshot']]) {
      const run = await runCli(file, { DATABASE_URL: url });
      expect(run.code).toBe(1);
      expect(run.err).toBe(`${what} failed: cannot connect to the PostgreSQL of DATABASE_URL (127.0.0.1:${closed}/loyalty): connect ECONNREFUSED 127.0.0.1:${closed}\n`);
      expect(run.out + run.err).not.toMatch(/\n\s+at /);
    }
    // The stack is still there for whoever asks.
    const debug = await runCli('migrate.ts', { DATABASE_URL: url, LOG_LEVEL: 'debug' });
    expect(debug.err).toMatch(/"stack":"Error: cannot connect to the PostgreSQL of DATABASE_URL .*caused by: Error: connect ECONNREFUSED/);
    expect(debug.err).toMatch(/npm run migrate failed: cannot connect to the PostgreSQL of DATABASE_URL \(127\.0\.0\.1:\d+\/loyalty\): connect ECONNREFUSED 127\.0\.0\.1:\d+\n$/);
  }, 120_000);
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
