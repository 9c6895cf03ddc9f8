// npm run bench -- campaign-report: campaignReport over HTTP on BENCH_MEMBERS members (default
// 1,000,000) and BENCH_PURCHASES purchases (default 10,000,000), every member assigned to a
// campaign with 10% control; against the floor (one bare SQL statement grouping the window's
// purchases per member, nothing else: no refunds, no arms, no figures; sent from this process on
// one pg connection) and the same floor in two halves at once (the members split as the report
// splits them, on two connections), measured alternately in the same run. Each is timed by the wall clock and by
// the CPU seconds the database server's processes spent on it (read from /proc: this machine
// is shared, and CPU time does not count the waits for other work). The issue's target: the
// report answers in under 5 s at full size.
import http from 'node:http';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { parentOf, treeCpuSeconds } from './cpu';
import { benchDatabase, benchInt, log, machine, seedMembers, serviceToken, sql, startApp, stopChild } from './lib';
import { post } from './load';
import { uuidRange } from '../src/common/uuid-range.rules';
import { freePortSync } from './ports';
import { writeSection } from './report';

const MEMBERS = benchInt('BENCH_MEMBERS', 1_000_000);
const PURCHASES = benchInt('BENCH_PURCHASES', 10_000_000);
const RUNS = benchInt('BENCH_RUNS', 5);
const CODE = 'BENCH';

const REPORT = `query($code: String!) { campaignReport(code: $code) {
  from to treatment { members buyers purchases gmv arpu purchaseRate } control { members buyers purchases gmv arpu purchaseRate }
  upliftArpu upliftArpuLow upliftArpuHigh upliftPurchaseRate incrementalGmv cost roi } }`;

/**
 * The floor: what any exact report must do at least, the window's purchases grouped per member
 * (count and sum), without the refunds, the arms or anything after.
 */
const FLOOR = `select count(*), sum(n), sum(cents) from (
    select member_id, count(*) as n, sum(amount_cents) as cents from purchase where occurred_at >= $1 and occurred_at < $2 group by member_id) s`;

/** The floor split as the report splits its members (two uuid ranges, uuidRange), on two connections at once: the least wall time of that work on two cores. */
const FLOOR_PART = `select count(*), sum(n), sum(cents) from (
    select member_id, count(*) as n, sum(amount_cents) as cents from purchase where occurred_at >= $1 and occurred_at < $2 and member_id between $3 and $4 group by member_id) s`;

/** A straightforward statement of the per-arm sums (every purchase joined to its order's refunds by hash): the report's figures are checked against it once. */
const STRAIGHT = `select cm.control, count(*) as members, count(s.member_id) as buyers, coalesce(sum(s.n), 0) as purchases,
    coalesce(sum(s.cents), 0) as spend, coalesce(sum(s.cents * s.cents), 0) as spend2
  from campaign_member cm left join (
    select p.member_id, count(*) as n, sum(p.amount_cents - coalesce(r.cents, 0))::numeric as cents
    from purchase p left join (select order_id, sum(amount_cents) as cents from refund where occurred_at < $3 group by order_id) r on r.order_id = p.order_id
    where p.occurred_at >= $2 and p.occurred_at < $3 group by p.member_id
  ) s on s.member_id = cm.member_id
  where cm.campaign_id = $1 and cm.assigned_at <= $3
  group by cm.control`;

/**
 * The campaign (window: the last 90 of 180 days, 10% control) and its arms (every member, by
 * campaign_control); n purchases over the 180 days, members in turn, 5% more spend for
 * treatment inside the window; 2% refunded three days later; an award for every tenth
 * treatment purchase in the window (100 points, 10 of them reversed for refunded ones).
 * Set-based, straight into the tables (the API would take hours).
 */
async function seed(url: string): Promise<{ id: string; from: Date; to: Date; seconds: Record<string, number> }> {
  const seconds: Record<string, number> = {};
  const step = async (label: string, text: string, params: unknown[] = []) => {
    const t = performance.now();
    const rows = await sql(url, text, params);
    seconds[label] = (performance.now() - t) / 1000;
    log(`${label}: ${seconds[label].toFixed(1)} s`);
    return rows;
  };
  let t = performance.now();
  await seedMembers(url, MEMBERS);
  seconds.members = (performance.now() - t) / 1000;
  log(`members: ${seconds.members.toFixed(1)} s`);
  const [c] = await step('campaign', `insert into campaign (id, code, name, trigger, status, starts_at, ends_at, bonus_points, control_percent, activated_at)
    values (md5('campaign:' || $1::text)::uuid, $1, 'Bench', 'PURCHASE', 'ACTIVE', date_trunc('day', now()) - interval '90 days', date_trunc('day', now()), 100, 10,
      date_trunc('day', now()) - interval '90 days') returning id, starts_at, ends_at`, [CODE]);
  await step('arms', `insert into campaign_member (campaign_id, member_id, control, assigned_at)
    select $1, id, campaign_control($1, id, 10), $2 from bench_member`, [c.id, c.starts_at]);
  t = performance.now();
  await step('purchases', `insert into purchase (order_id, member_id, amount_cents, refunded_cents, earned_points, qualifying_points, occurred_at, occurred_at_given)
    select 'b-' || g, b.id, x.amount, case when g % 50 = 0 then x.amount else 0 end, x.amount / 100, x.amount / 100, x.at, true
    from generate_series(1, $1::int) g
    join bench_member b on b.n = 1 + (g - 1) % $2::int
    cross join lateral (select date_trunc('day', now()) - interval '180 days' + ((hashint4(g) & 2147483647) % (180 * 86400)) * interval '1 second' as at) w
    cross join lateral (select (500 + (hashint4(g + 7) & 2147483647) % 9500
      * case when w.at >= $3 and not campaign_control($4, b.id, 10) then 105 else 100 end / 100)::bigint as amount, w.at) x`,
  [PURCHASES, MEMBERS, c.starts_at, c.id]);
  await step('refunds', `insert into refund (refund_id, order_id, member_id, amount_cents, points_reversed, qualifying_reversed, occurred_at)
    select order_id || '-r', order_id, member_id, refunded_cents, 0, 0, least(occurred_at + interval '3 days', now()) from purchase where refunded_cents > 0`);
  await step('awards', `insert into campaign_award (campaign_id, member_id, source, occurred_at, points, reversed_points)
    select $1, p.member_id, 'purchase:' || p.order_id, p.occurred_at, 100, case when p.refunded_cents > 0 then 100 else 0 end
    from purchase p join campaign_member cm on cm.campaign_id = $1 and cm.member_id = p.member_id and not cm.control
    where p.occurred_at >= $2 and p.occurred_at < $3 and substr(p.order_id, 3)::bigint % 10 = 0`, [c.id, c.starts_at, c.ends_at]);
  await step('vacuum analyze', 'vacuum analyze');
  seconds.total = (performance.now() - t) / 1000 + seconds.members;
  return { id: c.id, from: new Date(c.starts_at), to: new Date(c.ends_at), seconds };
}

/** The campaign of a database seeded by an earlier run. */
async function seededBefore(url: string): Promise<{ id: string; from: Date; to: Date; seconds: Record<string, number> }> {
  const [c] = await sql(url, 'select id, starts_at, ends_at from campaign where code = $1', [CODE]);
  log('reusing a seeded database');
  return { id: c.id, from: new Date(c.starts_at), to: new Date(c.ends_at), seconds: { total: NaN, purchases: NaN } };
}

const fmt = (n: number, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : '–');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function benchCampaignReport(): Promise<void> {
  const loadAtStart = loadavg()[0];
  log(`campaign-report bench: ${MEMBERS} members, ${PURCHASES} purchases, ${RUNS} runs; ${machine()}`);
  // BENCH_DATABASE_URL: a database an earlier run seeded (kept), measured again without seeding.
  const reuse = process.env.BENCH_DATABASE_URL;
  const db = reuse ? { url: reuse, stop: async () => {} } : await benchDatabase('bench_campaign_report');
  let app = null;
  const pg = new Client({ connectionString: db.url });
  const pg2 = new Client({ connectionString: db.url });
  try {
    const seeded = reuse ? await seededBefore(db.url) : await seed(db.url);
    const [sizes] = await sql(db.url, `select pg_size_pretty(pg_total_relation_size('purchase')) as purchase, (select count(*) from campaign_award)::int as awards,
      (select count(*) from purchase where occurred_at >= $1 and occurred_at < $2)::int as in_window`, [seeded.from, seeded.to]);
    log(`seeded: ${JSON.stringify(sizes)}`);
    const port = freePortSync();
    app = await startApp(db.url, port);
    await pg.connect();
    await pg2.connect();
    for (const c of [pg, pg2]) await c.query(`set work_mem = '256MB'`); // the memory the report's own transactions take (useReportWorkMem)
    // The server's CPU seconds (bench/cpu.ts): its postmaster's tree, parallel workers that came and went included.
    const postmaster = parentOf(Number((await pg.query('select pg_backend_pid() as pid')).rows[0].pid));
    const cpu = () => treeCpuSeconds(postmaster) ?? NaN;
    const url = `http://127.0.0.1:${port}/graphql`;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const auth = { authorization: `Bearer ${await serviceToken('admin')}` };
    const report = async () => {
      const res = await post(url, { query: REPORT, variables: { code: CODE } }, auth, agent);
      const json = JSON.parse(res.text);
      if (json.errors) throw new Error(JSON.stringify(json.errors));
      return json.data.campaignReport;
    };
    const floor = () => pg.query(FLOOR, [seeded.from, seeded.to]);
    const floorHalves = () => Promise.all([pg, pg2].map((c, k) => {
      const range = uuidRange(k, 2);
      return c.query(FLOOR_PART, [seeded.from, seeded.to, range.low, range.high]);
    }));
    // Warm-up (plans, caches, the app's document cache), and the report's figures checked against
    // the straightforward statement's (timed once, for the record); then the floor and the report
    // once a run each, alternately.
    const first = await report();
    let t0 = performance.now();
    let c0 = cpu();
    const straight = await pg.query(STRAIGHT, [seeded.id, seeded.from, seeded.to]);
    const straightS = (performance.now() - t0) / 1000;
    const straightCpu = cpu() - c0;
    log(`straightforward statement: ${fmt(straightS)} s, CPU ${fmt(straightCpu)} s`);
    for (const [arm, control] of [['treatment', false], ['control', true]] as const) {
      const row = straight.rows.find((r) => r.control === control);
      const got = first[arm];
      if (Math.round(got.gmv * 100) !== Number(row.spend) || got.members !== Number(row.members) || got.buyers !== Number(row.buyers) || got.purchases !== Number(row.purchases)) {
        throw new Error(`the report's ${arm} arm ${JSON.stringify(got)} is not the straightforward statement's ${JSON.stringify(row)}`);
      }
    }
    await floor();
    const appMs: number[] = [];
    const floorMs: number[] = [];
    const halvesMs: number[] = [];
    const appCpu: number[] = [];
    const floorCpu: number[] = [];
    const halvesCpu: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      t0 = performance.now();
      c0 = cpu();
      await floor();
      floorMs.push(performance.now() - t0);
      floorCpu.push(cpu() - c0);
      t0 = performance.now();
      c0 = cpu();
      await floorHalves();
      halvesMs.push(performance.now() - t0);
      halvesCpu.push(cpu() - c0);
      t0 = performance.now();
      c0 = cpu();
      await report();
      appMs.push(performance.now() - t0);
      appCpu.push(cpu() - c0);
      log(`run ${i + 1}: floor ${fmt(floorMs[i] / 1000)} s (CPU ${fmt(floorCpu[i])} s), floor in halves ${fmt(halvesMs[i] / 1000)} s (CPU ${fmt(halvesCpu[i])} s), app ${fmt(appMs[i] / 1000)} s (CPU ${fmt(appCpu[i])} s), load ${fmt(loadavg()[0])}`);
    }
    agent.destroy();
    const ratio = median(appMs) / median(floorMs);
    const halvesRatio = median(appMs) / median(halvesMs);
    const cpuRatio = median(appCpu) / median(floorCpu);
    const full = MEMBERS >= 1_000_000 && PURCHASES >= 10_000_000;
    const section = `## Campaign report (issue 24)

\`npm run bench -- campaign-report\` (BENCH_MEMBERS=${MEMBERS}, BENCH_PURCHASES=${PURCHASES}${full ? ', the issue\'s size' : ', below the issue\'s 1M / 10M'}), ${machine()},
load average ${fmt(loadAtStart)} at the start (the machine is shared). Every member is assigned to one campaign (10% control); its window
holds ${sizes.in_window} of the purchases; ${sizes.awards} awards; purchase table ${sizes.purchase}. Seeded set-based straight into the tables
${reuse ? '(by an earlier run of this benchmark, kept and measured again)' : `in ${fmt(seeded.seconds.total, 0)} s (purchases ${fmt(seeded.seconds.purchases, 0)} s)`}.

| | wall: median of ${RUNS} | min | max | server CPU: median | min | max |
| --- | --- | --- | --- | --- | --- | --- |
| floor SQL (the window's purchases grouped per member, nothing else; this process's pg connection) | ${fmt(median(floorMs) / 1000)} s | ${fmt(Math.min(...floorMs) / 1000)} s | ${fmt(Math.max(...floorMs) / 1000)} s | ${fmt(median(floorCpu))} s | ${fmt(Math.min(...floorCpu))} s | ${fmt(Math.max(...floorCpu))} s |
| floor in two halves at once (the same, the members split in two uuid ranges as the report splits them; two pg connections) | ${fmt(median(halvesMs) / 1000)} s | ${fmt(Math.min(...halvesMs) / 1000)} s | ${fmt(Math.max(...halvesMs) / 1000)} s | ${fmt(median(halvesCpu))} s | ${fmt(Math.min(...halvesCpu))} s | ${fmt(Math.max(...halvesCpu))} s |
| \`campaignReport\` over HTTP (admin token, GraphQL, the arms, awards and figures) | ${fmt(median(appMs) / 1000)} s | ${fmt(Math.min(...appMs) / 1000)} s | ${fmt(Math.max(...appMs) / 1000)} s | ${fmt(median(appCpu))} s | ${fmt(Math.min(...appCpu))} s | ${fmt(Math.max(...appCpu))} s |

The report (its members in two ranges, each on a connection of its own, in one snapshot) takes ${fmt(halvesRatio)} × the wall time of the floor in two halves, ${fmt(ratio)} × the floor's in one statement, and ${fmt(cpuRatio)} × the floor's server CPU time; the issue's target is under 5 s at 1M members and 10M purchases: ${median(appMs) < 5000 ? 'met' : 'missed'} (median ${fmt(median(appMs) / 1000)} s).
A straightforward statement of the same sums (every purchase joined to its order's refunds by hash) took ${fmt(straightS)} s, CPU ${fmt(straightCpu)} s, once.
Both arms' members, buyers, purchases and GMV were checked equal to the straightforward statement's.
Treatment: ${first.treatment.members} members, ARPU ${fmt(first.treatment.arpu)}; control: ${first.control.members} members, ARPU ${fmt(first.control.arpu)};
uplift ${fmt(first.upliftArpu)} [${fmt(first.upliftArpuLow)}, ${fmt(first.upliftArpuHigh)}] (seeded: 5% more spend in treatment), ROI ${fmt(first.roi)}.
`;
    writeSection('Campaign report (issue 24)', section);
    log(section);
  } finally {
    await pg.end().catch(() => undefined);
    await pg2.end().catch(() => undefined);
    await stopChild(app);
    await db.stop();
  }
}
