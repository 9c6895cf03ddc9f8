// The repair of late facts on the lifecycle timeline (docs/retention.md, "Late facts"), measured
// apart from `npm run bench -- retention`: BENCH_MEMBERS members (100,000) with purchases as that
// benchmark seeds them (bench/retention.ts seedData), BENCH_DATES refreshed dates (60, nightly),
// then late purchases for 1% and for 100% of the members, each followed by a refresh; prints the
// refresh's phases and the repair's share. Run: npm run bench -- retention-late
import { performance } from 'node:perf_hooks';
import { benchDatabase, benchInt, log, seedMembers, sql } from './lib';
import { retentionService, seedData } from './retention';
import { openOrm } from '../src/db/database';

const MEMBERS = benchInt('BENCH_MEMBERS', 100_000);
const DATES = benchInt('BENCH_DATES', 60);
const DAY_MS = 86_400_000;

export async function benchRetentionLate(): Promise<void> {
  const db = await benchDatabase('late');
  try {
    await seedMembers(db.url, MEMBERS);
    await seedData(db.url);
    const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
    const at = (days: number) => new Date(today + days * DAY_MS);
    log(`${MEMBERS} members, ${(await sql(db.url, 'select count(*)::int as n from purchase'))[0].n} purchases`);
    // The timeline of DATES - 1 nightly dates, written by the repair itself: every member queued
    // from the first date, unbounded (no purchase after the "subject"): members × dates.
    await sql(db.url, `insert into retention_run (as_of, refreshed_at) select $1::timestamptz + g * interval '1 day', now() from generate_series(0, $2::int - 2) g`, [at(-DATES), DATES]);
    await sql(db.url, `insert into retention_horizon (id, as_of) values (1, $1)`, [at(-2)]);
    await sql(db.url, `insert into retention_late (member_id, from_at, subject_at) select id, $1, $2 from member`, [at(-DATES), at(0)]);
    const orm = await openOrm(db.url);
    const refresh = async (label: string, asOf: Date) => {
      const t = performance.now();
      const { phases } = await retentionService(orm.em.fork()).refresh(asOf);
      const total = performance.now() - t;
      const late = phases.repair ?? 0;
      log(`${label}: refresh ${(total / 1000).toFixed(2)} s, repair ${(late / 1000).toFixed(2)} s (${((100 * late) / total).toFixed(1)}%);`,
        Object.entries(phases).map(([k, v]) => `${k} ${(v / 1000).toFixed(2)}`).join(', '));
    };
    try {
      await refresh(`first run, the whole timeline built by the repair (${MEMBERS} members × ${DATES - 1} dates)`, at(-1));
      await sql(db.url, 'vacuum analyze lifecycle_transition');
      await refresh('nightly, nothing late', at(0));
      const late = async (share: number, days: number, tag: string) => {
        await sql(db.url, `insert into purchase (order_id, member_id, amount_cents, earned_points, qualifying_points, occurred_at, occurred_at_given)
          select 'late-${tag}-' || n, id, 2500, 25, 25, $1, true from bench_member where n % $2 = 0`, [new Date(at(-days).getTime() + 12 * 3_600_000), Math.round(1 / share)]);
      };
      await late(0.01, 30, 'a');
      await refresh('1% of the members with a purchase dated 30 days back', at(1));
      await late(1, 30, 'b');
      await refresh('100% with a purchase dated 30 days back', at(2));
      await late(1, 55, 'c');
      await refresh('100% with a purchase dated 55 days back', at(3));
      await late(1, 400, 'd');
      await refresh('100% with a purchase dated 400 days back (history)', at(4));
    } finally {
      await orm.close(true);
    }
  } finally {
    await db.stop();
  }
}
