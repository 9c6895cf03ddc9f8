import { Client } from 'pg';
import type { TestServer } from './harness';
import { eventually } from './wait';

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

/** Waits until a session running a statement that contains `text` waits for a lock (bounded for safety only). */
export async function untilWaitingForLock(s: TestServer, text: string, what: string): Promise<void> {
  await eventually(async () => {
    const [{ waiting }] = await s.sql(`select count(*)::int as waiting from pg_stat_activity
      where wait_event_type = 'Lock' and query like '%' || $1 || '%'`, [text]);
    return waiting > 0;
  }, `${what} to wait for a lock`, 60_000);
}
