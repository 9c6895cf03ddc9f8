import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createDatabaseOn } from './harness';
import { ROOT } from './server-process';

/** A PostgreSQL server of one test file's own: its databases, and its stop. */
export interface PrivatePostgres {
  /** Creates an empty database on it; its URL. */
  createDatabase(prefix?: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts an embedded PostgreSQL for one test file, for a test whose subject is the whole
 * server's state: tierChangeFeed serves a change once every transaction with an id older than
 * it has ended, on any database of the server, so on the run's shared server any other test
 * file's writing transaction held it back for as long as it lasted. It runs in a process of
 * its own (Jest's module sandbox does not load the embedded server's ES module); closing that
 * process's stdin stops it, so a Jest that dies takes it along.
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = join(mkdtempSync(join(tmpdir(), 'loyalty-private-pg-')), 'pg');
  const module = pathToFileURL(join(ROOT, 'src', 'db', 'embedded-postgres.mjs')).href;
  const script = [
    `import { startEmbeddedPostgres } from ${JSON.stringify(module)};`,
    `const pg = await startEmbeddedPostgres({ dir: ${JSON.stringify(dir)}, persistent: false, fast: true });`,
    `process.stdin.on('end', () => pg.stop().then(() => process.exit(0), () => process.exit(1)));`,
    'process.stdin.resume();',
    `process.stdout.write('url ' + pg.url('postgres') + '\\n');`,
  ].join('\n');
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const adminUrl = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      const m = /^url (\S+)$/m.exec(out);
      if (m) resolve(m[1]);
    });
    void exited.then((code) => reject(new Error(`the private PostgreSQL exited (${code}) before it was ready: ${err.trim() || out.trim()}`)));
  });
  return {
    async createDatabase(prefix = 't') {
      return (await createDatabaseOn(adminUrl, prefix)).url;
    },
    async stop() {
      child.stdin.end();
      await exited;
      rmSync(dirname(dir), { recursive: true, force: true });
    },
  };
}
