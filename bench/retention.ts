// npm run bench -- retention: refreshRetention over 1M members and ~10M purchases vs a bare
// GROUP BY member_id over the same purchases; the refresh again in-process, by phase; the pure
// BG/NBD fit alone; segment size for two 3-condition filters; CSV export of every member
// (rows/s and the server's peak RSS); the in-process rerun again in a programme time zone
// (Asia/Shanghai), after the change of zone that rebuilds purchase_member_day_index.
import type { EntityManager } from '@mikro-orm/postgresql';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { freePortSync } from './ports';
import { benchDatabase, benchInt, log, machine, seedMembers, serviceToken, sql, startApp, stopChild } from './lib';
import { post } from './load';
import { writeSection } from './report';
import { openOrm } from '../src/db/database';
import { fitBgNbd, type CustomerSummary, type WeightedSummary } from '../src/modules/retention/churn.rules';
import { RetentionService } from '../src/modules/retention/retention.service';
import { ProgramService } from '../src/modules/program/program.service';
import { AuditService } from '../src/modules/audit/audit.service';
import { SYSTEM_ACTOR } from '../src/modules/actor';
import { TagsService } from '../src/modules/tags/tags.service';
import type { SegmentFilter } from '../src/modules/segments/segment-filter';

/** The retention service as the server builds it (its last step refreshes the rule tags through the tags service). */
export const retentionService = (em: EntityManager) => new RetentionService(em, new TagsService(em, new AuditService(em)));

const MEMBERS = benchInt('BENCH_MEMBERS', 1_000_000);
const PER_MEMBER = benchInt('BENCH_PURCHASES_PER_MEMBER', 10);
const SIZE_RUNS = benchInt('BENCH_SIZE_RUNS', 50);
const DAY_MS = 86_400_000;

const fmt = (n: number | null | undefined, d = 1) => (n == null || !Number.isFinite(n) ? '–' : n.toFixed(d));
const int = (n: number | null | undefined) => (n == null || !Number.isFinite(n) ? '–' : Math.round(n).toLocaleString('en'));
const mib = (kb: number) => fmt(kb / 1024, 0);
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const procKb = (pid: number, field: 'VmRSS' | 'VmHWM') => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);

/**
 * Member profiles, tiers and manual tags, then purchases over the last two years, all
 * set-based. Per member: a purchase count drawn from an exponential with mean PER_MEMBER
 * (about 5% never buy, 9% once, 5% thirty times or more), a first purchase 1–729 days ago,
 * the share of the time since then it kept buying (15–100%: early stoppers are the churned
 * and dormant), and a log-normal basket (median 25.00); each purchase is 0.4–1.6 baskets,
 * 2% are refunded in full and 2% by half (three days later, with a refund row each).
 */
export async function seedData(url: string) {
  await sql(url, `select setseed(0.42);
    create table bench_buyer as
    select b.n, b.id, greatest(0, round(-ln(1 - random()) * ${PER_MEMBER}))::int as k,
      (1 + floor(random() * 729))::int as first_days, 0.15 + 0.85 * random() as alive,
      greatest(300, exp(ln(2500) + 0.7 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())))::int as basket
    from bench_member b`);
  await sql(url, `alter table bench_buyer add primary key (n)`);
  // 60% Bronze, 25% Silver, 11% Gold, 4% Platinum; joined up to 60 days before the first purchase.
  await sql(url, `update member m set external_id = 'ext-' || b.n, display_name = 'Member ' || b.n, email = 'member' || b.n || '@example.com',
      phone = '+1555' || lpad(b.n::text, 7, '0'), gender = (array['F', 'M', 'X'])[1 + b.n % 3],
      region = (array['NORTH', 'SOUTH', 'EAST', 'WEST', 'CENTRAL'])[1 + b.n % 5], channel = (array['APP', 'WEB', 'STORE'])[1 + (b.n / 5) % 3],
      birthday = date '1960-01-01' + ((b.n::bigint * 7919) % 16000)::int, joined_at = now() - (b.first_days + (b.n % 60)) * interval '1 day',
      tier_since = now() - (b.first_days + (b.n % 60)) * interval '1 day',
      tier_id = t.id
    from bench_buyer b, tier t
    where b.id = m.id and t.rank = case when (b.n::bigint * 7919) % 100 < 60 then 0 when (b.n::bigint * 7919) % 100 < 85 then 1 when (b.n::bigint * 7919) % 100 < 96 then 2 else 3 end`);
  // Manual tags: NEWSLETTER on 40%, APP_USER on 30% (overlapping), VIP on 5%.
  await sql(url, `insert into tag (id, code, name) values (gen_random_uuid(), 'NEWSLETTER', 'Newsletter'), (gen_random_uuid(), 'APP_USER', 'App user'), (gen_random_uuid(), 'VIP', 'VIP')`);
  await sql(url, `insert into member_tag (member_id, tag_id, tagged_at)
    select b.id, t.id, now() from bench_member b join tag t on (t.code = 'NEWSLETTER' and b.n % 10 < 4) or (t.code = 'APP_USER' and b.n % 10 between 3 and 5)
      or (t.code = 'VIP' and b.n % 20 = 7)`);
  await sql(url, `select setseed(0.43);
    insert into purchase (order_id, member_id, amount_cents, refunded_cents, earned_points, qualifying_points, occurred_at, occurred_at_given)
    select 'b-' || s.n || '-' || s.g, s.id, s.amount, case when s.u < 0.02 then s.amount when s.u < 0.04 then s.amount / 2 else 0 end,
      (s.amount / 100)::int, (s.amount / 100)::int, s.at, true
    from (
      select b.n, b.id, g, greatest(100, b.basket * (0.4 + 1.2 * random()))::bigint as amount, random() as u,
        now() - (case when g = 1 then b.first_days - 0.999 * random() else b.first_days * (1 - b.alive * random()) end) * interval '1 day' as at
      from bench_buyer b cross join lateral generate_series(1, b.k) g
    ) s`);
  // Each refund as the app records it: a refund row (three days later, at most now), which
  // the refresh reads for what had been refunded by its asOf.
  await sql(url, `insert into refund (refund_id, order_id, member_id, amount_cents, points_reversed, qualifying_reversed, occurred_at)
    select order_id || '-r', order_id, member_id, refunded_cents, 0, 0, least(occurred_at + interval '3 days', now()) from purchase where refunded_cents > 0`);
  await sql(url, 'vacuum analyze');
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = performance.now();
  const value = await work();
  return { ms: performance.now() - t, value };
}

/** Streams a GET to the end, counting lines and bytes, without keeping the body. */
function download(url: string, headers: Record<string, string>): Promise<{ status: number; lines: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers }, (res) => {
      let lines = 0;
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, lines, bytes }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

/**
 * Identical (x, t_x, T) into one weighted row, built as plain {x, tx, T, count} literals the
 * way the service's own merge builds them (groupSummaries' `{ ...row, count }` objects make
 * the fit's inner loop several times slower).
 */
function group(rows: CustomerSummary[]): WeightedSummary[] {
  const map = new Map<string, WeightedSummary>();
  for (const r of rows) {
    const key = `${r.x}:${r.tx}:${r.T}`;
    const found = map.get(key);
    if (found) found.count++;
    else map.set(key, { x: r.x, tx: r.tx, T: r.T, count: 1 });
  }
  return [...map.values()];
}

/** GET /healthz every 100 ms until stopped: how long the server's event loop is held up. */
function probe(url: string): { stop: () => Promise<number[]> } {
  const latencies: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const t = performance.now();
      await fetch(url).then((r) => r.text()).catch(() => '');
      latencies.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return { stop: async () => { running = false; await loop; return latencies.sort((a, b) => a - b); } };
}

interface SizeRun { label: string; filter: SegmentFilter; size: number; expected: number; p50: number; p99: number; max: number }

export async function benchRetention(): Promise<void> {
  const started = Date.now();
  log(`retention bench: ${MEMBERS} members, ~${PER_MEMBER} purchases each, ${SIZE_RUNS} segment size runs; ${machine()}`);
  const db = await benchDatabase('bench_retention');
  let app = null;
  try {
    log('seeding members, profiles, tags and purchases (set-based)…');
    const seeding = await timed(async () => {
      await seedMembers(db.url, MEMBERS);
      await seedData(db.url);
    });
    const [facts] = await sql(db.url, `select count(*)::int as purchases, count(distinct member_id)::int as buyers,
      (select count(*)::int from member) as members, (select count(*)::int from member_tag) as tags,
      round(avg(amount_cents))::int as avg_cents, count(*) filter (where refunded_cents > 0)::int as refunded from purchase`);
    const [spread] = await sql(db.url, `select count(*) filter (where k = 0)::int as none, count(*) filter (where k = 1)::int as once,
      count(*) filter (where k >= 3 * ${PER_MEMBER})::int as many, max(k)::int as max from bench_buyer`);
    log(`seeded in ${fmt(seeding.ms / 1000, 1)} s: ${facts.members} members, ${facts.purchases} purchases by ${facts.buyers} buyers (0: ${spread.none}, 1: ${spread.once}, ≥ ${3 * PER_MEMBER}: ${spread.many}, max ${spread.max})`);

    // The baseline: one GROUP BY over the same purchases, warmed once, then timed.
    const groupBy = 'select member_id, count(*), sum(amount_cents), max(occurred_at), min(occurred_at) from purchase group by member_id';
    await sql(db.url, groupBy);
    const scan = await timed(() => sql(db.url, groupBy));
    log(`bare GROUP BY: ${fmt(scan.ms / 1000, 2)} s (${scan.value.length} groups)`);

    let port = freePortSync();
    app = await startApp(db.url, port);
    let url = `http://127.0.0.1:${port}`;
    const admin = await serviceToken('admin');
    const auth = { authorization: `Bearer ${admin}` };
    const gql = async (query: string, variables: Record<string, unknown> = {}) => {
      const res = await post(`${url}/graphql`, { query, variables }, auth);
      const json = JSON.parse(res.text);
      if (res.status !== 200 || json.errors) throw new Error(`${res.status} ${res.text.slice(0, 300)}`);
      return json.data;
    };

    // A RULE tag, so that the refresh also keeps a rule tag current.
    const rule: SegmentFilter = { rfmSegments: ['IMPORTANT_VALUE', 'IMPORTANT_RETAIN'] };
    await gql('mutation($i: TagInput!) { upsertTag(input: $i) { id } }', { i: { code: 'BEST', name: 'Best customers', rule } });

    // Run 1: first classification of every member (yesterday); run 2: the nightly rerun (now).
    const REFRESH = 'mutation($a: DateTime!) { refreshRetention(asOf: $a) { processed changed } }';
    const asOf = new Date();
    const yesterday = new Date(asOf.getTime() - DAY_MS);
    const first = await timed(() => gql(REFRESH, { a: yesterday.toISOString() }));
    log(`refreshRetention, first run (as of yesterday): ${fmt(first.ms / 1000, 1)} s, ${JSON.stringify(first.value.refreshRetention)}`);
    const health = probe(`${url}/healthz`);
    const refresh = await timed(() => gql(REFRESH, { a: asOf.toISOString() }));
    const healthMs = await health.stop();
    log(`refreshRetention, nightly rerun (as of now): ${fmt(refresh.ms / 1000, 1)} s, ${JSON.stringify(refresh.value.refreshRetention)}; /healthz during it: p50 ${fmt(pct(healthMs, 50))} ms, max ${fmt(healthMs[healthMs.length - 1])} ms`);
    const refreshHwm = procKb(app.pid!, 'VmHWM');
    await stopChild(app);
    app = null;
    const [model] = await sql(db.url, `select r, alpha, a, b, customers, ks, gini, method, recency_ks, recency_gini, bgnbd_ks, bgnbd_gini, supervised_ks, supervised_gini
      from churn_model order by id desc limit 1`);
    const [scores] = await sql(db.url, `select count(*) filter (where churn_risk is not null)::int as scored, count(*) filter (where x is not null)::int as buyers,
      avg(churn_risk)::float8 as mean_risk from member_retention`);
    const stages = await sql(db.url, 'select stage, count(*)::int as n from member_retention group by 1 order by 2 desc');
    const [{ best }] = await sql(db.url, `select count(*)::int as best from member_tag mt join tag t on t.id = mt.tag_id where t.code = 'BEST'`);
    const [{ bestExpected }] = await sql(db.url, `select count(*)::int as "bestExpected" from member_retention where rfm_segment in ('IMPORTANT_VALUE', 'IMPORTANT_RETAIN')`);

    // Where the refresh's time goes: the same nightly run again, in this process with the app
    // stopped, by phase (the service reports them).
    // Then (issue 25) the programme's time zone set to Asia/Shanghai (the update rebuilds the
    // purchases' day index for it), the same rerun in that zone, and the zone set back to UTC.
    const orm = await openOrm(db.url);
    let phased: { ms: number; value: { phases: Record<string, number> } };
    let zoned: { ms: number; value: { phases: Record<string, number> } };
    let toZone: { ms: number };
    let backToUtc: { ms: number };
    try {
      phased = await timed(() => retentionService(orm.em.fork()).refresh(asOf));
      const setZone = (timeZone: string) => {
        const em = orm.em.fork();
        return new ProgramService(em, new AuditService(em)).update(SYSTEM_ACTOR, { timeZone });
      };
      toZone = await timed(() => setZone('Asia/Shanghai'));
      zoned = await timed(() => retentionService(orm.em.fork()).refresh(asOf));
      backToUtc = await timed(() => setZone('UTC'));
    } finally {
      await orm.close(true);
    }
    const phaseText = Object.entries(phased.value.phases).map(([k, v]) => `${k} ${fmt(v / 1000, 2)} s`).join(', ');
    const zonedText = Object.entries(zoned.value.phases).map(([k, v]) => `${k} ${fmt(v / 1000, 2)} s`).join(', ');
    log(`refresh in-process: ${fmt(phased.ms / 1000, 2)} s (${phaseText})`);
    log(`time zone → Asia/Shanghai (index rebuilt): ${fmt(toZone.ms / 1000, 2)} s; refresh in-process in Shanghai: ${fmt(zoned.ms / 1000, 2)} s (${zonedText}); back to UTC: ${fmt(backToUtc.ms / 1000, 2)} s`);

    // The pure fit, on the same (x, t_x, T) of every buyer read back from SQL.
    const read = await timed(async () => (await sql(db.url, 'select x, tx, t_days as "T" from member_retention where x is not null')) as CustomerSummary[]);
    const grouping = await timed(async () => group(read.value));
    const grouped = grouping.value;
    const fit = await timed(async () => fitBgNbd(grouped));
    log(`pure fit: read ${read.value.length} summaries in ${fmt(read.ms / 1000, 2)} s, grouped to ${grouped.length} distinct tuples in ${fmt(grouping.ms / 1000, 2)} s, fitBgNbd ${fmt(fit.ms / 1000, 2)} s, converged ${fit.value.converged}`);

    // A fresh server for the segments and the export, so that its peak RSS is theirs.
    port = freePortSync();
    app = await startApp(db.url, port);
    url = `http://127.0.0.1:${port}`;
    const pid = app.pid!;
    const rssIdle = procKb(pid, 'VmRSS');
    const lastPurchaseFrom = new Date(asOf.getTime() - 90 * DAY_MS);
    const filters: { label: string; filter: SegmentFilter; check: string; params: unknown[] }[] = [
      {
        label: 'stage + 365-day spend + tier',
        filter: { stages: ['ACTIVE', 'AT_RISK', 'REACTIVATED'], minSpend: 250, tierCodes: ['SILVER', 'GOLD', 'PLATINUM'] },
        check: `select count(*)::int as n from member m join tier t on t.id = m.tier_id join member_retention r on r.member_id = m.id
          where r.stage in ('ACTIVE', 'AT_RISK', 'REACTIVATED') and r.monetary_cents >= 25000 and t.code in ('SILVER', 'GOLD', 'PLATINUM')`,
        params: [],
      },
      {
        label: 'tier + tag + recency',
        filter: { tierCodes: ['GOLD', 'PLATINUM'], tagsAny: ['NEWSLETTER', 'APP_USER'], lastPurchaseFrom: lastPurchaseFrom.toISOString() },
        check: `select count(*)::int as n from member m join tier t on t.id = m.tier_id join member_retention r on r.member_id = m.id
          where t.code in ('GOLD', 'PLATINUM') and r.last_purchase_at >= $1
            and exists (select 1 from member_tag mt join tag g on g.id = mt.tag_id where mt.member_id = m.id and g.code in ('NEWSLETTER', 'APP_USER'))`,
        params: [lastPurchaseFrom],
      },
    ];
    const sizeRuns: SizeRun[] = [];
    for (const f of filters) {
      const { saveSegment: seg } = await gql('mutation($i: SegmentInput!) { saveSegment(input: $i) { id size } }', { i: { name: `bench: ${f.label}`, filter: f.filter } });
      const [{ n: expected }] = await sql(db.url, f.check, f.params);
      const ms: number[] = [];
      for (let i = 0; i < SIZE_RUNS; i++) {
        const run = await timed(() => gql('query($id: ID!) { segment(id: $id) { size } }', { id: seg.id }));
        if (run.value.segment.size !== seg.size) throw new Error(`segment size moved: ${seg.size} then ${run.value.segment.size}`);
        ms.push(run.ms);
      }
      ms.sort((a, b) => a - b);
      sizeRuns.push({ label: f.label, filter: f.filter, size: seg.size, expected, p50: pct(ms, 50), p99: pct(ms, 99), max: ms[ms.length - 1] });
      log(`segment size (${f.label}) = ${seg.size} (SQL count ${expected}): p50 ${fmt(pct(ms, 50))} ms, p99 ${fmt(pct(ms, 99))} ms`);
    }

    // CSV export of a segment holding every member, the server's RSS sampled every 100 ms.
    const { saveSegment: everyone } = await gql('mutation($i: SegmentInput!) { saveSegment(input: $i) { id size } }', { i: { name: 'bench: every member', filter: { tierCodes: ['BRONZE', 'SILVER', 'GOLD', 'PLATINUM'] } } });
    const rssBefore = procKb(pid, 'VmRSS');
    const hwmBefore = procKb(pid, 'VmHWM');
    let rssPeak = rssBefore;
    const sampler = setInterval(() => { rssPeak = Math.max(rssPeak, procKb(pid, 'VmRSS')); }, 100);
    const exportRun = await timed(() => download(`${url}/exports/segments/${everyone.id}.csv`, auth));
    clearInterval(sampler);
    const hwmAfter = procKb(pid, 'VmHWM');
    const exportPeak = hwmAfter > hwmBefore ? hwmAfter : rssPeak; // VmHWM if the export raised it, else the highest sample
    if (exportRun.value.status !== 200) throw new Error(`export answered ${exportRun.value.status}`);
    const dataRows = exportRun.value.lines - 1; // minus the header
    const rowsPerS = dataRows / (exportRun.ms / 1000);
    log(`export: ${dataRows} rows of ${everyone.size}, ${fmt(exportRun.value.bytes / 2 ** 20, 1)} MiB in ${fmt(exportRun.ms / 1000, 1)} s = ${fmt(rowsPerS, 0)} rows/s; server RSS idle ${mib(rssIdle)}, before ${mib(rssBefore)}, peak sampled ${mib(rssPeak)} MiB, VmHWM ${mib(hwmBefore)} → ${mib(hwmAfter)} MiB`);
    await stopChild(app);
    app = null;

    const ratio = refresh.ms / scan.ms;
    const fitTotal = read.ms + grouping.ms + fit.ms;
    const rowsMd = [
      `| bare \`GROUP BY member_id\` over ${int(facts.purchases)} purchases (rows returned to the client) | ${fmt(scan.ms / 1000, 2)} s |`,
      `| \`refreshRetention\` over HTTP, first run (every member classified, as of yesterday) | ${fmt(first.ms / 1000, 2)} s |`,
      `| \`refreshRetention\` over HTTP, nightly rerun (as of now) | ${fmt(refresh.ms / 1000, 2)} s |`,
      `| the nightly rerun again, in-process, by phase (facts: the pass over the purchases into the scratch table, two halves at once, and the (x, t_x, T) read back; fit: BG/NBD and the classifier in a worker and their scores per tuple, alongside the RFM statistics and the backtest's worker; backtest: the wait for that worker after the fit (it decides which score churnRisk holds); write: every member's row into a new table, two halves at once, and its indexes; swap: the transitions and the swap; repair: late facts on the lifecycle timeline; tags: RULE tags; model: the model row) | ${fmt(phased.ms / 1000, 2)} s: ${phaseText} |`,
      `| the in-process rerun with the programme in Asia/Shanghai (days and months local), by phase | ${fmt(zoned.ms / 1000, 2)} s: ${zonedText} |`,
      `| \`updateProgram(timeZone)\` in-process: to Asia/Shanghai, back to UTC (each rebuilds purchase_member_day_index in its transaction) | ${fmt(toZone.ms / 1000, 2)} s, ${fmt(backToUtc.ms / 1000, 2)} s |`,
      `| \`GET /healthz\` every 100 ms during the rerun: p50, p99, max | ${fmt(pct(healthMs, 50))} ms, ${fmt(pct(healthMs, 99))} ms, ${fmt(healthMs[healthMs.length - 1])} ms |`,
      `| BG/NBD: (x, t_x, T) of ${int(read.value.length)} buyers read from SQL, grouped | ${fmt(read.ms / 1000, 2)} s, ${fmt(grouping.ms / 1000, 2)} s: ${int(grouped.length)} distinct tuples |`,
      `| BG/NBD: \`fitBgNbd\` alone | ${fmt(fit.ms / 1000, 2)} s |`,
      ...sizeRuns.map((s) => `| segment size, ${s.label} (\`${JSON.stringify(s.filter)}\`), ${SIZE_RUNS} runs over HTTP: p50, p99 | ${fmt(s.p50)} ms, ${fmt(s.p99)} ms (size ${int(s.size)}) |`),
      `| CSV export, every member | ${int(dataRows)} rows, ${fmt(exportRun.value.bytes / 2 ** 20, 0)} MiB in ${fmt(exportRun.ms / 1000, 1)} s = ${int(rowsPerS)} rows/s |`,
      `| server RSS: fresh, before the export, peak sampled during it; VmHWM before and after it | ${mib(rssIdle)} MiB, ${mib(rssBefore)} MiB, ${mib(rssPeak)} MiB; ${mib(hwmBefore)} MiB, ${mib(hwmAfter)} MiB |`,
    ];
    const summaryMd = [
      `- Nightly refresh / GROUP BY = **${fmt(ratio, 2)}×** (target ≤ 3×); first run / GROUP BY = ${fmt(first.ms / scan.ms, 2)}×. ${int(refresh.value.refreshRetention.processed)} members processed, ${int(refresh.value.refreshRetention.changed)} stage transitions (first run ${int(first.value.refreshRetention.changed)}); stages: ${stages.map((s) => `${s.stage} ${int(s.n)}`).join(', ')}. RULE tag \`BEST\` (${JSON.stringify(rule)}): ${int(best)} members, ${int(bestExpected)} expected. The server's peak RSS over both runs: ${mib(refreshHwm)} MiB.`,
      `- BG/NBD fit on ${int(read.value.length)} buyers: read + group + fit **${fmt(fitTotal / 1000, 1)} s** (target < 60 s), converged: ${fit.value.converged}; the fit phase of the in-process refresh ${fmt((phased.value.phases.fit ?? 0) / 1000, 1)} s; the server fits in a worker thread, and \`/healthz\` took up to ${fmt(healthMs[healthMs.length - 1] / 1000, 2)} s during the rerun. Parameters r = ${fmt(model?.r, 3)}, α = ${fmt(model?.alpha, 2)}, a = ${fmt(model?.a, 3)}, b = ${fmt(model?.b, 3)}; ${int(scores.scored)} of ${int(scores.buyers)} buyers scored, mean churn risk ${fmt(scores.mean_risk, 3)}; backtest K-S ${fmt(model?.ks, 3)}, Gini ${fmt(model?.gini, 3)} (synthetic data: these say nothing about the model; docs/retention.md has CDNOW).`,
      `- Which score churnRisk holds on this data: **${model?.method ?? '–'}**. Backtest K-S / Gini: BG/NBD ${fmt(model?.bgnbd_ks, 3)} / ${fmt(model?.bgnbd_gini, 3)}, the classifier ${fmt(model?.supervised_ks, 3)} / ${fmt(model?.supervised_gini, 3)}, the naive ranking by days since the last purchase ${fmt(model?.recency_ks, 3)} / ${fmt(model?.recency_gini, 3)}; the score in use ${fmt(model?.ks, 3)} / ${fmt(model?.gini, 3)}.`,
      `- Programme time zone: the rerun in Asia/Shanghai / the rerun in UTC = **${fmt(zoned.ms / phased.ms, 2)}×** (facts phase ${fmt((zoned.value.phases.facts ?? 0) / Math.max(1, phased.value.phases.facts ?? 0), 2)}×: the day index rebuilt for the zone keeps the pass index-only); the change of zone took ${fmt(toZone.ms / 1000, 1)} s (${fmt(toZone.ms / scan.ms, 2)}× the bare GROUP BY), holding purchase writes meanwhile.`,
      `- Segment size: ${sizeRuns.map((s) => `${s.label} p50 **${fmt(s.p50)} ms**, p99 **${fmt(s.p99)} ms** (max ${fmt(s.max)} ms; ${int(s.size)} members, a direct SQL count gives ${int(s.expected)})`).join('; ')}.`,
      `- Export: **${int(rowsPerS)} rows/s** (${int(dataRows)} rows for ${int(everyone.size)} members, HTTP ${exportRun.value.status}); the server's RSS ${mib(rssBefore)} MiB before, **${mib(exportPeak)} MiB** at its peak (+${mib(exportPeak - rssBefore)} MiB; the peak is VmHWM when that grew during the export, else the highest 100 ms sample).`,
      `- Data: ${int(facts.members)} members, ${int(facts.purchases)} purchases over two years by ${int(facts.buyers)} buyers (per member: none ${int(spread.none)}, one ${int(spread.once)}, ≥ ${3 * PER_MEMBER} ${int(spread.many)}, at most ${spread.max}), average ${fmt(facts.avg_cents / 100, 2)}, ${int(facts.refunded)} refunded; ${int(facts.tags)} manual tags; seeded in ${fmt(seeding.ms / 1000, 0)} s.`,
    ];
    const section = `## Retention\n\n${new Date().toISOString().slice(0, 10)}, \`npm run bench -- retention\` (${int(MEMBERS)} members, ${int(facts.purchases)} purchases over two years, ${SIZE_RUNS} size runs per segment), ${machine()}, embedded PostgreSQL 17 on the same machine. The app runs in a child process (restarted before the segments, so that the export's peak RSS is its own); the GROUP BY, the in-process refresh and the pure fit run in the bench process against the same database.\n\n| measure | figure |\n| --- | --- |\n${rowsMd.join('\n')}\n\n${summaryMd.join('\n')}\n\nWall time of the whole run: ${((Date.now() - started) / 60000).toFixed(1)} min.\n`;
    console.log('\n' + section);
    writeSection('Retention', section);
  } finally {
    await stopChild(app);
    await db.stop();
  }
}
