// Jest global setup: one real PostgreSQL for the whole run. Without DATABASE_URL an
// embedded server starts in a temporary directory. The migrations are applied once, to a
// template database; each test file then creates its own database as a copy of it
// (test/support/harness.ts), which takes a fraction of migrating it again.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.mjs';

const ROOT = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../..');

export default async function globalSetup() {
  if (process.env.DATABASE_URL) {
    process.env.TEST_PG_ADMIN_URL = process.env.DATABASE_URL;
  } else {
    const dir = join(mkdtempSync(join(tmpdir(), 'loyalty-test-')), 'pg');
    // fsync off: test data is thrown away, and it makes the suite several times faster.
    const embedded = await startEmbeddedPostgres({ dir, persistent: false, fast: true }).catch((err) => {
      // Its message says what is wrong and what to do (a folder postgres cannot enter, say): Jest
      // prints it without the stack, which would only bury it.
      if (err?.name === 'EmbeddedPostgresError') err.stack = `${err.name}: ${err.message}`;
      throw err;
    });
    globalThis.__EMBEDDED_PG__ = embedded;
    process.env.TEST_PG_ADMIN_URL = embedded.url('postgres');
  }
  process.env.TEST_PG_TEMPLATE = await migratedTemplate(process.env.TEST_PG_ADMIN_URL);
}

/** A database with every migration applied, by the project's own `npm run migrate`. */
async function migratedTemplate(adminUrl) {
  const name = `template_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const run = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/cli/migrate.ts'], {
    cwd: ROOT, encoding: 'utf8', env: { ...process.env, DATABASE_URL: url.toString(), LOG_LEVEL: 'warn' },
  });
  if (run.status !== 0) throw new Error(`migrating the template database failed:\n${run.stderr || run.stdout}`);
  globalThis.__TEST_TEMPLATE__ = { adminUrl, name };
  return name;
}
