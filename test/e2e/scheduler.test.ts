import pino from 'pino';
import { Scheduler, daily, type ScheduledJob } from '../../src/jobs/scheduler';
import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';

let s: TestServer;
beforeAll(async () => { s = await startTestServer(); await createLadder(s); });
afterAll(() => s.stop());

/** What a job that is still running waits on, and what lets it end. */
function gate(): { held: Promise<void>; release: () => void } {
  let release = () => undefined as void;
  const held = new Promise<void>((r) => { release = r; });
  return { held, release };
}

describe('scheduler', () => {
  it('runs each job once per slot across instances, at the slot instant', async () => {
    const runs: { job: string; asOf: string }[] = [];
    const jobs: ScheduledJob[] = ['a', 'b'].map((name) =>
      daily(name, async (_services, asOf) => { runs.push({ job: name, asOf: asOf.toISOString() }); return { processed: 1, changed: 0 }; }));
    const log = pino({ level: 'silent' });
    const one = new Scheduler(s.app.orm, log, null, jobs);
    const two = new Scheduler(s.app.orm, log, null, jobs);
    const now = new Date('2026-05-05T13:14:15.000Z');
    await Promise.all([one.tick(now), two.tick(now), one.tick(now), two.tick(now)]);
    expect(runs.sort((x, y) => x.job.localeCompare(y.job))).toEqual([
      { job: 'a', asOf: '2026-05-05T00:00:00.000Z' }, { job: 'b', asOf: '2026-05-05T00:00:00.000Z' },
    ]);
    await one.tick(new Date('2026-05-06T00:00:01.000Z'));
    expect(runs).toHaveLength(4);
    const rows = await s.sql(`select job, slot, result from job_run where job in ('a', 'b') order by job, slot`);
    expect(rows).toEqual([
      { job: 'a', slot: '2026-05-05T00:00:00.000Z', result: { processed: 1, changed: 0 } },
      { job: 'a', slot: '2026-05-06T00:00:00.000Z', result: { processed: 1, changed: 0 } },
      { job: 'b', slot: '2026-05-05T00:00:00.000Z', result: { processed: 1, changed: 0 } },
      { job: 'b', slot: '2026-05-06T00:00:00.000Z', result: { processed: 1, changed: 0 } },
    ]);
  });

  it('the default jobs expire points and review tiers for real', async () => {
    const id = await registerMember(s, { joinedAt: '2020-01-01T00:00:00.000Z' });
    await s.gql(`mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }`,
      { i: { memberId: id, orderId: 'sched-1', amount: 1000, occurredAt: '2022-01-10T00:00:00.000Z' } }, await s.token('service'));
    const ran = await new Scheduler(s.app.orm, pino({ level: 'silent' }), null).tick(new Date('2030-01-01T06:00:00.000Z'));
    expect(ran).toEqual(['points.expire', 'tiers.review', 'tiers.notices', 'benefits.birthday', 'retention.refresh', 'campaigns.reevaluate']);
    const [m] = await s.sql(`select t.code, a.balance,
        (select count(*)::int from point_transaction where member_id = $1 and type = 'EXPIRE') as expires,
        (select coalesce(sum(remaining), 0)::int from point_lot l where member_id = $1
          and coalesce(l.expires_at, 'infinity') > coalesce(a.expired_through, '-infinity')) as live
      from member m join tier t on t.id = m.tier_id join point_account a on a.member_id = m.id where m.id = $1`, [id]);
    expect(m).toEqual({ code: 'BRONZE', balance: 0, expires: 1, live: 0 });
  });

  const zone = (z: string) => s.admin('mutation($z: String!) { updateProgram(input: { timeZone: $z }) { timeZone } }', { z });
  /** A job that records the instants it runs as of, and a scheduler of it alone. */
  const recorded = (name: string) => {
    const runs: string[] = [];
    const scheduler = new Scheduler(s.app.orm, pino({ level: 'silent' }), null, [
      daily(name, async (_services, asOf) => { runs.push(asOf.toISOString()); return { processed: 0, changed: 0 }; })]);
    return { runs, scheduler };
  };

  it('a day is the programme\'s: the slot is its local midnight, the instant it is evaluated at (Shanghai; New York across DST)', async () => {
    const shanghai = recorded('tz-shanghai');
    const newYork = recorded('tz-new-york');
    try {
      await zone('Asia/Shanghai');
      await shanghai.scheduler.tick(new Date('2026-05-05T15:59:00.000Z')); // 23:59 on 5 May in Shanghai
      await shanghai.scheduler.tick(new Date('2026-05-05T16:01:00.000Z')); // 00:01 on 6 May in Shanghai, still 5 May in UTC
      await zone('America/New_York');
      await newYork.scheduler.tick(new Date('2026-03-08T04:59:00.000Z')); // 23:59 on 7 Mar (EST)
      await newYork.scheduler.tick(new Date('2026-03-08T05:01:00.000Z')); // 00:01 on 8 Mar (EST), a 23-hour day
      await newYork.scheduler.tick(new Date('2026-03-09T03:59:00.000Z')); // 23:59 on 8 Mar (EDT): the same slot
      await newYork.scheduler.tick(new Date('2026-03-09T04:01:00.000Z')); // 00:01 on 9 Mar (EDT)
    } finally {
      await zone('UTC');
    }
    expect(shanghai.runs).toEqual(['2026-05-04T16:00:00.000Z', '2026-05-05T16:00:00.000Z']);
    expect(newYork.runs).toEqual(['2026-03-07T05:00:00.000Z', '2026-03-08T05:00:00.000Z', '2026-03-09T04:00:00.000Z']);
    const slots = await s.sql(`select slot from job_run where job like 'tz-%' order by job, slot`);
    expect(slots.map((r) => r.slot)).toEqual([...newYork.runs, ...shanghai.runs]);
  });

  it('after a change of zone the new zone\'s day runs at its own midnight, and none runs as of an instant before the last run (found by an outside audit)', async () => {
    const west = recorded('tz-west');
    const east = recorded('tz-east');
    try {
      await west.scheduler.tick(new Date('2026-06-10T02:50:00.000Z')); // UTC: 10 June, as of its midnight
      await east.scheduler.tick(new Date('2026-06-10T02:50:00.000Z'));
      await zone('America/Sao_Paulo'); // UTC−3: still 9 June there, whose midnight came before the run
      await west.scheduler.tick(new Date('2026-06-10T02:56:00.000Z'));
      await west.scheduler.tick(new Date('2026-06-10T03:01:00.000Z')); // 00:01 on 10 June in São Paulo: its own day
      await west.scheduler.tick(new Date('2026-06-10T12:00:00.000Z'));
      await zone('Asia/Shanghai'); // UTC+8: 10 June there began at 16:00 on the 9th, before the runs
      await east.scheduler.tick(new Date('2026-06-10T12:00:00.000Z'));
      await east.scheduler.tick(new Date('2026-06-10T16:01:00.000Z')); // 00:01 on 11 June in Shanghai
    } finally {
      await zone('UTC');
    }
    expect(west.runs).toEqual(['2026-06-10T00:00:00.000Z', '2026-06-10T03:00:00.000Z']);
    expect(east.runs).toEqual(['2026-06-10T00:00:00.000Z', '2026-06-10T16:00:00.000Z']);
  });

  it('a stopping instance finishes the job it is running and claims no other: another instance runs the rest of the day', async () => {
    const runs: string[] = [];
    const { held, release } = gate();
    const jobs: ScheduledJob[] = [
      daily('stopping-a', async () => { runs.push('a'); await held; return { processed: 0, changed: 0 }; }),
      daily('stopping-b', async () => { runs.push('b'); return { processed: 0, changed: 0 }; }),
    ];
    const log = pino({ level: 'silent' });
    const stopping = new Scheduler(s.app.orm, log, null, jobs, { intervalMs: 3_600_000 });
    stopping.start();
    for (let i = 0; i < 500 && !runs.length; i++) await new Promise((r) => setTimeout(r, 10));
    expect(runs).toEqual(['a']);
    const stopped = stopping.stop(); // SIGTERM while 'stopping-a' runs
    release();
    await stopped;
    expect(runs).toEqual(['a']);
    const claimed = await s.sql<{ job: string; slot: string }>(`select job, slot from job_run where job like 'stopping-%' order by job`);
    expect(claimed.map((r) => r.job)).toEqual(['stopping-a']);
    // Another instance's tick on that day (the slot's, not the clock's: a run across midnight would
    // otherwise tick on the next day, when 'stopping-a' is due again).
    expect(await new Scheduler(s.app.orm, log, null, jobs).tick(new Date(Date.parse(claimed[0].slot) + 12 * 3_600_000))).toEqual(['stopping-b']);
    expect(runs).toEqual(['a', 'b']);
  });

  it('keeps the jobs\' order across instances: while one instance runs a job, another runs none after it that day (found by an outside audit)', async () => {
    const runs: string[] = [];
    const { held, release } = gate();
    const jobs: ScheduledJob[] = [
      daily('order-a', async () => { runs.push('a'); return { processed: 0, changed: 0 }; }),
      daily('order-refresh', async () => { runs.push('refresh'); await held; runs.push('refresh done'); return { processed: 0, changed: 0 }; }),
      daily('order-after', async () => { runs.push('after'); return { processed: 0, changed: 0 }; }),
    ];
    const log = pino({ level: 'silent' });
    const now = new Date('2031-03-03T05:00:00.000Z');
    const one = new Scheduler(s.app.orm, log, null, jobs).tick(now);
    for (let i = 0; i < 500 && !runs.includes('refresh'); i++) await new Promise((r) => setTimeout(r, 10));
    // The second instance finds 'order-a' done and 'order-refresh' running: it stops there.
    expect(await new Scheduler(s.app.orm, log, null, jobs).tick(now)).toEqual([]);
    expect(runs).toEqual(['a', 'refresh']);
    release();
    expect(await one).toEqual(['order-a', 'order-refresh', 'order-after']);
    expect(runs).toEqual(['a', 'refresh', 'refresh done', 'after']);
  });

  it('a job hung on another instance for an hour holds the day\'s later jobs back no longer (found by a review)', async () => {
    const runs: string[] = [];
    const { held, release } = gate();
    const jobs: ScheduledJob[] = [
      daily('hang-a', async () => { runs.push('a'); await held; return { processed: 0, changed: 0 }; }),
      daily('hang-expiry', async () => { runs.push('expiry'); return { processed: 0, changed: 0 }; }),
    ];
    const log = pino({ level: 'silent' });
    const now = new Date('2031-04-04T05:00:00.000Z');
    const one = new Scheduler(s.app.orm, log, null, jobs).tick(now);
    for (let i = 0; i < 500 && !runs.includes('a'); i++) await new Promise((r) => setTimeout(r, 10));
    const other = new Scheduler(s.app.orm, log, null, jobs);
    expect(await other.tick(now)).toEqual([]);
    // An hour on (by the database's clock, as the claim is stamped), the other instance goes on.
    await s.sql(`update job_run set started_at = started_at - interval '61 minutes' where job = 'hang-a'`);
    expect(await other.tick(now)).toEqual(['hang-expiry']);
    release();
    expect(await one).toEqual(['hang-a']);
    expect(runs).toEqual(['a', 'expiry']);
  });
});
