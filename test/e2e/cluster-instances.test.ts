import { Client } from 'pg';
import { createTestDatabase } from '../support/harness';
import { spawnMain, type ServerProcess } from '../support/server-process';
import { eventually } from '../support/wait';

// Several instances (`npm start`, one process each) on one database, as runtime.md's "Scaling
// out" runs them behind a load balancer: what one instance leaves behind when it dies, the
// others must carry on.
const SECRET = 'cluster-instances-secret-0123456789abcdef';

interface LogLine { pid: number; msg: string; job?: string; slot?: string }
const lines = (s: ServerProcess): LogLine[] => s.out().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine);

function instance(databaseUrl: string, env: Record<string, string> = {}): ServerProcess {
  return spawnMain({
    ...process.env, DATABASE_URL: databaseUrl, PORT: '0', JWT_SECRET: SECRET, SEED: 'none', SCHEDULER: 'on', NODE_ENV: 'production', LOG_LEVEL: 'info', ...env,
  });
}

const running: ServerProcess[] = [];
afterEach(() => {
  for (const s of running.splice(0)) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
});

describe('several instances on one database', () => {
  it('a scheduled job whose instance died mid-run is run by another instance that day, once', async () => {
    const databaseUrl = await createTestDatabase('cluster_jobs');
    const pg = new Client({ connectionString: databaseUrl });
    await pg.connect();
    try {
      // Hold the retention refresh's own lock (a refresh running elsewhere, or a long one): the
      // first instance's refresh waits inside its run, claimed, when it is killed.
      await pg.query(`select pg_advisory_lock(hashtext('retention.refresh'))`);
      const first = instance(databaseUrl);
      running.push(first);
      const claimedHere = async () => (await pg.query(`select 1 from pg_tables where tablename = 'job_run'`)).rowCount === 1
        && (await pg.query(`select 1 from job_run where job = 'retention.refresh'`)).rowCount === 1;
      await eventually(async () => await claimedHere() || first.child.exitCode !== null,
        'the first instance to claim the retention refresh', 120_000);
      expect(first.child.exitCode).toBeNull();
      first.child.kill('SIGKILL');
      await new Promise((r) => first.child.once('exit', r));
      await pg.query(`select pg_advisory_unlock(hashtext('retention.refresh'))`);
      const [claimed] = (await pg.query(`select slot, finished_at from job_run where job = 'retention.refresh'`)).rows;
      expect(claimed.finished_at).toBeNull();

      // A second and a third instance start: the slot's runner is gone, so one of them runs it (it was skipped for the day).
      const others = [instance(databaseUrl), instance(databaseUrl)];
      running.push(...others);
      const done = () => others.flatMap((s) => lines(s)).filter((l) => l.msg === 'scheduled job done' && l.job === 'retention.refresh');
      await eventually(() => done().length > 0 || others.some((s) => s.child.exitCode !== null), 'another instance to run the retention refresh', 120_000);
      await eventually(() => others.every((s) => lines(s).some((l) => l.msg === 'loyalty server ready')), 'both instances to serve', 120_000);
      await new Promise((r) => setTimeout(r, 2000)); // the other's first tick has had its chance too
      expect(done()).toEqual([expect.objectContaining({ slot: claimed.slot })]);
      const rows = (await pg.query(`select slot, finished_at is not null as finished, result ? 'error' as failed from job_run where job = 'retention.refresh'`)).rows;
      expect(rows).toEqual([{ slot: claimed.slot, finished: true, failed: false }]);
    } finally {
      await pg.end();
    }
  }, 300_000);
});
