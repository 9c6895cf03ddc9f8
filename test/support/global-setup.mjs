// Jest global setup: one real PostgreSQL for the whole run. Without DATABASE_URL an
// embedded server starts in a temporary directory; each test file then creates its own
// database on it (test/support/harness.ts).
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.mjs';

export default async function globalSetup() {
  // The run's migrated database, which the test servers' databases are copied from: named here,
  // built by the first test file that needs one (test/support/harness.ts).
  process.env.TEST_PG_TEMPLATE = `loyalty_template_${randomBytes(6).toString('hex')}`;
  if (process.env.DATABASE_URL) {
    process.env.TEST_PG_ADMIN_URL = process.env.DATABASE_URL;
    // The run's list of the databases it creates there, which the global teardown drops.
    process.env.TEST_PG_CREATED = join(mkdtempSync(join(tmpdir(), 'loyalty-test-dbs-')), 'created');
    return;
  }
  const dir = join(mkdtempSync(join(tmpdir(), 'loyalty-test-')), 'pg');
  // fsync off: test data is thrown away, and it makes the suite several times faster.
  const pg = await startEmbeddedPostgres({ dir, persistent: false, fast: true }).catch((err) => {
    // Its message says what is wrong and what to do (a folder postgres cannot enter, say): Jest
    // prints it without the stack, which would only bury it.
    if (err?.name === 'EmbeddedPostgresError') err.stack = `${err.name}: ${err.message}`;
    throw err;
  });
  globalThis.__EMBEDDED_PG__ = pg;
  process.env.TEST_PG_ADMIN_URL = pg.url('postgres');
}
