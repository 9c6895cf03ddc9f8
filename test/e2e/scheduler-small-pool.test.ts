import pino from 'pino';
import { Scheduler, daily } from '../../src/jobs/scheduler';
import { startTestServer, type TestServer } from '../support/harness';

// DB_POOL_MAX=2: the smallest pool an operator may set. The run lock of a scheduled job
// (job-runs.repository.ts) is held for the whole run; taken from the pool, it left the job one
// connection: a job that used two at once (the points expiry) and a request made while a job
// ran waited for a connection until Knex gave up.
let s: TestServer;
beforeAll(async () => { s = await startTestServer({ dbPoolMax: 2 }); });
afterAll(() => s.stop());

describe('scheduler on a pool of two connections', () => {
  it('runs a job that holds a transaction and queries beside it, and requests are answered while it runs', async () => {
    let answered: unknown = null;
    const job = daily('small-pool', async () => {
      // As the points expiry does: a transaction open on one connection, a query on another.
      const [row] = await s.app.orm.em.fork().transactional(async () => s.app.orm.em.fork().execute<{ n: number }[]>('select 1 as n'));
      // A request while the job runs (its lock held) is answered too.
      answered = (await s.admin('{ tiers { code } }')).tiers;
      return { processed: row.n, changed: 0 };
    });
    const scheduler = new Scheduler(s.app.orm, pino({ level: 'silent' }), null, [job]);
    const ran = await scheduler.tick(new Date('2026-05-05T12:00:00.000Z'));
    expect(ran).toEqual(['small-pool']);
    expect(answered).toEqual([]);
    expect(await s.sql(`select slot, result from job_run where job = 'small-pool'`)).toEqual([
      { slot: '2026-05-05T00:00:00.000Z', result: { processed: 1, changed: 0 } },
    ]);
    // The slot is done: the next tick of the day claims nothing.
    expect(await scheduler.tick(new Date('2026-05-05T13:00:00.000Z'))).toEqual([]);
  }, 20_000);

  it('a job that fails is recorded, and the next job of the tick still runs', async () => {
    const failing = daily('small-pool-fails', async () => {
      await s.app.orm.em.fork().execute('select 1');
      throw new Error('boom');
    });
    const next = daily('small-pool-next', async () => {
      await s.app.orm.em.fork().execute('select 1');
      return { processed: 0, changed: 0 };
    });
    const ran = await new Scheduler(s.app.orm, pino({ level: 'silent' }), null, [failing, next]).tick(new Date('2026-05-05T12:00:00.000Z'));
    expect(ran).toEqual(['small-pool-next']);
    expect(await s.sql(`select job, result from job_run where job like 'small-pool-%' order by job`)).toEqual([
      { job: 'small-pool-fails', result: { error: 'Error: boom' } },
      { job: 'small-pool-next', result: { processed: 0, changed: 0 } },
    ]);
  }, 20_000);
});
