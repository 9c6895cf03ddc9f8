import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import testDatabases from './test-databases.cjs';

export default async function globalTeardown() {
  await globalThis.__EMBEDDED_PG__?.stop();
  // On DATABASE_URL's server: the databases this run created (the embedded server went whole).
  const list = process.env.TEST_PG_CREATED;
  if (list && process.env.TEST_PG_ADMIN_URL) {
    await testDatabases.dropRecordedDatabases(process.env.TEST_PG_ADMIN_URL, list);
    rmSync(dirname(list), { recursive: true, force: true });
  }
}
