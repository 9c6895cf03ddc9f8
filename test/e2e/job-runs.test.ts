import pino from 'pino';
import { daily, Scheduler } from '../../src/jobs/scheduler';
import { expectError, startTestServer, type TestServer } from '../support/harness';

// jobRuns: the scheduled jobs' latest runs (job_run), for the console's Jobs page. Admin only;
// newest first by slot, then id, both typed; a failed run says it failed and nothing of why.
let s: TestServer;
beforeAll(async () => { s = await startTestServer(); });
afterAll(() => s?.stop());

const RUN = 'id job slot startedAt finishedAt processed changed failed';
const JOB_RUNS = `query($job: String, $first: Int) { jobRuns(job: $job, first: $first) { ${RUN} } }`;

interface Run { id: string; job: string; slot: string; startedAt: string; finishedAt: string | null; processed: number | null; changed: number | null; failed: boolean }
const runs = async (variables: { job?: string; first?: number } = {}) => (await s.admin<{ jobRuns: Run[] }>(JOB_RUNS, variables)).jobRuns;

async function insertRun(id: number, job: string, slot: string, result: unknown, finished = true): Promise<void> {
  await s.sql(`insert into job_run (id, job, slot, started_at, finished_at, result)
    values ($1, $2, $3::text, $3::text::timestamptz + interval '1 second', case when $5 then $3::text::timestamptz + interval '2 seconds' end, $4::jsonb)`,
  [id, job, slot, result === null ? null : JSON.stringify(result), finished]);
}

/** A finished run whose slot is any text, started at `at`. */
const insertRunAt = (id: number, job: string, slot: string, at: string) =>
  s.sql(`insert into job_run (id, job, slot, started_at, finished_at, result) values ($1, $2, $3, $4::timestamptz, $4::timestamptz, '{"processed":0,"changed":0}')`, [id, job, slot, at]);

describe('jobRuns', () => {
  it('is for admins: a service or member token is FORBIDDEN, no token UNAUTHENTICATED', async () => {
    expect(await runs()).toEqual([]);
    expectError(await s.gql(JOB_RUNS, {}, await s.token('service')), 'FORBIDDEN');
    expectError(await s.gql(JOB_RUNS, {}, await s.token('member', '00000000-0000-4000-8000-000000000001')), 'FORBIDDEN');
    expectError(await s.gql(JOB_RUNS, {}, null), 'UNAUTHENTICATED');
  });

  it('newest first: by slot as an instant, then by id as a number (10 before 9, 100 before 99)', async () => {
    const day1 = '2026-03-01T00:00:00.000Z';
    const day2 = '2026-03-02T00:00:00.000Z';
    // Ids across powers of ten, inserted out of order; as text "9" > "10" and "99" > "100".
    await insertRun(9, 'points.expire', day1, { processed: 5, changed: 1 });
    await insertRun(10, 'tiers.review', day1, { processed: 7, changed: 2 });
    await insertRun(99, 'points.expire', day2, { processed: 6, changed: 0 });
    await insertRun(100, 'tiers.review', day2, { processed: 8, changed: 3 });
    await insertRun(8, 'tiers.notices', day2, { processed: 1, changed: 1 }); // an older id in the newer slot
    expect((await runs()).map((r) => [r.id, r.slot])).toEqual([
      ['100', day2], ['99', day2], ['8', day2], ['10', day1], ['9', day1],
    ]);
    expect(await runs({ job: 'tiers.review' })).toEqual([
      { id: '100', job: 'tiers.review', slot: day2, startedAt: '2026-03-02T00:00:01.000Z', finishedAt: '2026-03-02T00:00:02.000Z', processed: 8, changed: 3, failed: false },
      { id: '10', job: 'tiers.review', slot: day1, startedAt: '2026-03-01T00:00:01.000Z', finishedAt: '2026-03-01T00:00:02.000Z', processed: 7, changed: 2, failed: false },
    ]);
    expect((await runs({ first: 2 })).map((r) => r.id)).toEqual(['100', '99']);
    expect(await runs({ job: 'no.such.job' })).toEqual([]);
    // A slot that is no instant (written by hand: slotAt may return any text) is left out, not a failed list.
    await insertRunAt(7, 'tiers.notices', '2026-W09', day1);
    expect((await runs()).map((r) => r.id)).toEqual(['100', '99', '8', '10', '9']);
    await s.sql('delete from job_run where id = 7');
  });

  it('first: 20 by default, at most 100 (BAD_USER_INPUT naming first past it or below 0)', async () => {
    for (let i = 0; i < 22; i++) await insertRun(1000 + i, 'retention.refresh', new Date(Date.UTC(2025, 0, 1 + i)).toISOString(), { processed: i, changed: 0 });
    const all = await runs({ job: 'retention.refresh' });
    expect(all).toHaveLength(20);
    expect(all[0].processed).toBe(21);
    expect(await runs({ job: 'retention.refresh', first: 100 })).toHaveLength(22);
    expectError(await s.gql(JOB_RUNS, { first: 101 }, await s.token('admin')), 'BAD_USER_INPUT', 'first');
    expectError(await s.gql(JOB_RUNS, { first: -1 }, await s.token('admin')), 'BAD_USER_INPUT', 'first');
  });

  it('a run in progress: no finishedAt, no counts, not failed', async () => {
    await insertRun(2000, 'benefits.birthday', '2027-01-01T00:00:00.000Z', null, false);
    expect((await runs({ job: 'benefits.birthday' }))[0]).toEqual({
      id: '2000', job: 'benefits.birthday', slot: '2027-01-01T00:00:00.000Z', startedAt: '2027-01-01T00:00:01.000Z', finishedAt: null,
      processed: null, changed: null, failed: false,
    });
  });

  it('a failed run: failed, no counts, and not its error\'s text (it may hold SQL)', async () => {
    const log = pino({ level: 'silent' });
    const secret = 'select password_hash from staff where name = \'root\'';
    const scheduler = new Scheduler(s.app.orm, log, null, [
      daily('campaigns.reevaluate', async () => { throw new Error(`syntax error at or near "from" in ${secret}`); }),
      daily('tiers.notices', async () => ({ processed: 3, changed: 2 })),
    ]);
    expect(await scheduler.tick(new Date('2027-06-01T10:00:00.000Z'))).toEqual(['tiers.notices']);
    const [stored] = await s.sql<{ result: { error: string } }>(`select result from job_run where job = 'campaigns.reevaluate'`);
    expect(stored.result.error).toContain(secret); // kept in the table (and logged), as before
    const res = await s.gql(JOB_RUNS, { first: 2 }, await s.token('admin'));
    expect(JSON.stringify(res)).not.toContain('password_hash');
    const [reevaluate, notices] = (res.data as { jobRuns: Run[] }).jobRuns.sort((a, b) => a.job.localeCompare(b.job));
    expect(reevaluate).toEqual({
      id: expect.any(String), job: 'campaigns.reevaluate', slot: '2027-06-01T00:00:00.000Z', startedAt: expect.any(String), finishedAt: expect.any(String),
      processed: null, changed: null, failed: true,
    });
    expect(notices).toMatchObject({ job: 'tiers.notices', slot: '2027-06-01T00:00:00.000Z', processed: 3, changed: 2, failed: false });
    expect(notices.finishedAt).not.toBeNull();
  });
});
