// npm run bench -- referral-stats: referralStatsByMonth(months: 12) over HTTP on BENCH_MEMBERS
// members (default 1,000,000), one referral in BENCH_REFERRED_PERCENT of them (default 50%:
// 500,000 referral rows) spread over the last 13 months; against two baselines sent from this
// process on one pg connection, measured alternately in the same run: a floor (one indexed count
// of the span's registrations, a figure the page needs anyway) and a naive single pass (every
// referral read once, its dated events grouped by UTC month).
import http from 'node:http';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { benchDatabase, benchInt, log, machine, seedMembers, serviceToken, sql, startApp, stopChild } from './lib';
import { post } from './load';
import { freePortSync } from './ports';
import { writeSection } from './report';

const MEMBERS = benchInt('BENCH_MEMBERS', 1_000_000);
const REFERRED_PERCENT = benchInt('BENCH_REFERRED_PERCENT', 50);
const RUNS = benchInt('BENCH_RUNS', 7);

const BY_MONTH = `{ referralStatsByMonth(months: 12) { from to stats { registered completed rejected reversed pointsGiven referrers referralsPerReferrer } } }`;

/** The naive single pass: each referral read once, its events (registered, completed, rejected, reversed) counted by month. */
const FLOOR = 'select count(*) from referral where created_at >= $1 and created_at < $2';

const BARE = `select date_trunc('month', e.at) as month,
    count(*) filter (where e.kind = 'registered') as registered, count(*) filter (where e.kind = 'completed') as completed,
    count(*) filter (where e.kind = 'rejected') as rejected, count(*) filter (where e.kind = 'reversed') as reversed,
    count(distinct r.referrer_id) filter (where e.kind = 'completed') as referrers
  from referral r cross join lateral (values ('registered', r.created_at),
    ('completed', case when r.status in ('COMPLETED', 'REVERSED') then r.completed_at end),
    ('rejected', case when r.status = 'REJECTED' then r.rejected_at end),
    ('reversed', case when r.status = 'REVERSED' then r.reversed_at end)) e(kind, at)
  where e.at >= $1 and e.at < $2
  group by 1`;

/**
 * Member n (n > 1) in REFERRED_PERCENT of them referred by member n / 7 (so ~1 in 7 members
 * refers, about 7 friends each), registered at a random instant of the last 13 months; of them
 * 50% completed 1 to 10 days later (100 + 50 points), 5% of those reversed 2 days after, 10%
 * rejected, the rest pending. Set-based, straight into the table.
 */
async function seed(url: string): Promise<Record<string, number>> {
  const seconds: Record<string, number> = {};
  let t = performance.now();
  await seedMembers(url, MEMBERS);
  seconds.members = (performance.now() - t) / 1000;
  log(`members: ${seconds.members.toFixed(1)} s`);
  t = performance.now();
  await sql(url, `insert into referral (referrer_id, referee_id, status, reason, created_at, completed_at, reversed_at, referrer_points, referee_points, rejected_at)
    select rr.id, b.id, s.status, case s.status when 'REJECTED' then 'shares the referrer''s phone' when 'REVERSED' then 'refunded' end,
      w.at, case when s.status in ('COMPLETED', 'REVERSED') then w.at + (1 + x.h % 10) * interval '1 day' end,
      case when s.status = 'REVERSED' then w.at + (3 + x.h % 10) * interval '1 day' end,
      case when s.status in ('COMPLETED', 'REVERSED') then 100 else 0 end, case when s.status in ('COMPLETED', 'REVERSED') then 50 else 0 end,
      case when s.status = 'REJECTED' then w.at end
    from bench_member b
    join bench_member rr on rr.n = b.n / 7
    cross join lateral (select hashint4(b.n) & 2147483647 as h) x
    cross join lateral (select now() - interval '395 days' + (x.h % (395 * 86400)) * interval '1 second' as at) w
    cross join lateral (select case when x.h % 100 < 50 then (case when x.h % 20 = 0 then 'REVERSED' else 'COMPLETED' end)
      when x.h % 100 < 60 then 'REJECTED' else 'PENDING' end as status) s
    where b.n > 7 and (hashint4(b.n + 11) & 2147483647) % 100 < $1`, [REFERRED_PERCENT]);
  await sql(url, 'vacuum analyze referral');
  seconds.referrals = (performance.now() - t) / 1000;
  log(`referrals: ${seconds.referrals.toFixed(1)} s`);
  return seconds;
}

const fmt = (n: number, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : '–');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function benchReferralStats(): Promise<void> {
  const loadAtStart = loadavg()[0];
  log(`referral-stats bench: ${MEMBERS} members, ${REFERRED_PERCENT}% referred, ${RUNS} runs; ${machine()}`);
  const db = await benchDatabase('bench_referral_stats');
  let app = null;
  const pg = new Client({ connectionString: db.url });
  try {
    const seeded = await seed(db.url);
    const [sizes] = await sql(db.url, `select (select count(*) from referral)::int as referrals, pg_size_pretty(pg_total_relation_size('referral')) as size`);
    log(`seeded: ${JSON.stringify(sizes)}`);
    const port = freePortSync();
    app = await startApp(db.url, port);
    await pg.connect();
    const url = `http://127.0.0.1:${port}/graphql`;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const auth = { authorization: `Bearer ${await serviceToken('admin')}` };
    const byMonth = async () => {
      const res = await post(url, { query: BY_MONTH }, auth, agent);
      const json = JSON.parse(res.text);
      if (json.errors) throw new Error(JSON.stringify(json.errors));
      return json.data.referralStatsByMonth as { from: string; to: string; stats: Record<string, number> }[];
    };
    const first = await byMonth();
    const span: [Date, Date] = [new Date(first[0].from), new Date(first[11].to)];
    const bare = () => pg.query(BARE, span);
    // The figures agree: the months' sums of the API equal the bare statement's (UTC months: the programme's zone is UTC).
    const bareRows = (await bare()).rows;
    for (const k of ['registered', 'completed', 'rejected', 'reversed'] as const) {
      const api = first.reduce((a, m) => a + m.stats[k], 0);
      const raw = bareRows.reduce((a, r) => a + Number(r[k]), 0);
      if (api !== raw) throw new Error(`${k}: the API's ${api} is not the bare statement's ${raw}`);
    }
    const floor = () => pg.query(FLOOR, span);
    await floor();
    const appMs: number[] = [];
    const bareMs: number[] = [];
    const floorMs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      let t = performance.now();
      await floor();
      floorMs.push(performance.now() - t);
      t = performance.now();
      await bare();
      bareMs.push(performance.now() - t);
      t = performance.now();
      await byMonth();
      appMs.push(performance.now() - t);
      log(`run ${i + 1}: floor ${fmt(floorMs[i])} ms, single pass ${fmt(bareMs[i])} ms, app ${fmt(appMs[i])} ms`);
    }
    agent.destroy();
    const ratio = median(appMs) / median(bareMs);
    const floorRatio = median(appMs) / median(floorMs);
    const total = first.reduce((a, m) => a + m.stats.registered, 0);
    const section = `## Referral statistics (issue 25)

\`npm run bench -- referral-stats\` (BENCH_MEMBERS=${MEMBERS}, BENCH_REFERRED_PERCENT=${REFERRED_PERCENT}), ${machine()}, load average ${fmt(loadAtStart)} at the start
(the machine is shared). ${sizes.referrals} referrals (${sizes.size}) over the last 13 months, ${total} of them registered in the 12 months asked;
seeded set-based in ${fmt(seeded.referrals, 0)} s (members ${fmt(seeded.members, 0)} s).

| | median of ${RUNS} | min | max |
| --- | --- | --- | --- |
| floor SQL (one indexed count of the span's registrations; this process's pg connection) | ${fmt(median(floorMs), 0)} ms | ${fmt(Math.min(...floorMs), 0)} ms | ${fmt(Math.max(...floorMs), 0)} ms |
| naive single-pass SQL (every referral read once, its events grouped by month) | ${fmt(median(bareMs), 0)} ms | ${fmt(Math.min(...bareMs), 0)} ms | ${fmt(Math.max(...bareMs), 0)} ms |
| \`referralStatsByMonth(months: 12)\` over HTTP (admin token, GraphQL, the programme's zone, one statement for the 12 months) | ${fmt(median(appMs), 0)} ms | ${fmt(Math.min(...appMs), 0)} ms | ${fmt(Math.max(...appMs), 0)} ms |

referralStatsByMonth takes ${fmt(floorRatio)} × the floor's time and ${fmt(ratio)} × the naive single pass's. The months'
registered, completed, rejected and reversed were checked equal to the single pass's.
`;
    writeSection('Referral statistics (issue 25)', section);
    log(section);
  } finally {
    await pg.end().catch(() => undefined);
    await stopChild(app);
    await db.stop();
  }
}
