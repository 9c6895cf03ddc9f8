import { Client } from 'pg';
import type { TestServer } from './harness';

/**
 * Runs `work` while another session sits inside a transaction, after `statement` (as a purchase
 * does between its statements); the session rolls back afterwards.
 */
export async function whileInTransaction<T>(s: TestServer, statement: string, work: () => Promise<T>, applicationName?: string): Promise<T> {
  const other = new Client({ connectionString: s.databaseUrl, application_name: applicationName });
  await other.connect();
  try {
    await other.query('begin');
    await other.query(statement);
    return await work();
  } finally {
    await other.query('rollback');
    await other.end();
  }
}

/** Waits until a session running a statement that contains `text` waits for a lock. */
export async function untilWaitingForLock(s: TestServer, text: string, what: string): Promise<void> {
  for (let i = 0; ; i++) {
    const [{ waiting }] = await s.sql(`select count(*)::int as waiting from pg_stat_activity
      where wait_event_type = 'Lock' and query like '%' || $1 || '%'`, [text]);
    if (waiting > 0) return;
    if (i > 100) throw new Error(`${what} never waited for a lock`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
