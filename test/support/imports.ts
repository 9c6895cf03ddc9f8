import type { TestServer } from './harness';
import { eventually } from './wait';

const JOB = 'query($id: ID!) { importJob(id: $id) { status rowsDone rowsRejected errors(first: 100) { line message } } }';

/**
 * Uploads `body` to an import route of `s` (`/imports/members`, `/imports/purchases?mode=…`) with
 * an admin token, expects the 202, and returns the job once it has ended: its status, counts and
 * first 100 rejected lines.
 */
export async function importFile(s: TestServer, path: string, body: string, type = 'text/csv', ms = 120_000): Promise<any> {
  const res = await fetch(`${s.url}${path}`, { method: 'POST', body, headers: { 'content-type': type, authorization: `Bearer ${await s.token('admin')}` } });
  expect(res.status).toBe(202);
  const { id } = (await res.json()) as { id: string };
  let job: any;
  await eventually(async () => {
    try {
      job = (await s.admin(JOB, { id })).importJob;
    } catch (err) {
      if (connectionReset(err)) return false; // a read: polled again, as any client polling a job would
      throw err;
    }
    return job.status !== 'RUNNING';
  }, 'the import to end', ms);
  return job;
}

/**
 * A poll whose connection was reset: seen twice in full runs on a loaded machine (the 50,000-member
 * import), never alone. Most likely a kept-alive connection the server closed as idle (Node's 5 s
 * keepAliveTimeout) while this process, which runs the server too, was busy with the import, and
 * that fetch reused in the same turn.
 */
function connectionReset(err: unknown): boolean {
  const cause = (err as { cause?: { code?: string } } | null)?.cause;
  // By name, not instanceof: fetch's TypeError is the process's own, not the test sandbox's (Jest runs each file in its own realm).
  const e = err as { name?: string; message?: string } | null;
  return e?.name === 'TypeError' && e.message === 'fetch failed' && ['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET'].includes(cause?.code ?? '');
}
