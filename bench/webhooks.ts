// npm run bench -- webhooks:
//   10,000 purchases per run that each upgrade a Bronze member, with no webhook endpoint, and
//   with two endpoints subscribed to every type ('*'): one healthy (answers 204), one that
//   answers 500. BENCH_PAIRS pairs of runs (default 3), each pair one run of each variant, the
//   order alternating from pair to pair (no-on, on-no, no-on, …: a drift over the bench cancels
//   out of the pairs' median); every run in a server process of its own, with the same warm-up.
//   The two receivers run in a process of their own, started once before the first run: the
//   no-endpoint runs have them (idle) too, and they never share the load generator's event loop.
//   Figures: each pair's purchase throughput with endpoints / without, their median and spread
//   (goal ≥ 85%); whether every event of each run reached the healthy endpoint; the delivery
//   latency from the event's commit (webhook_event.created_at to delivered_at) at p50/p95.
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { Client } from 'pg';
import { parentOf, treeCpuSeconds } from './cpu';
import { freePortSync } from './ports';
import { benchDatabase, benchInt, log, machine, seedMembers, serviceToken, sql, startApp, stopChild } from './lib';
import { post } from './load';
import { writeSection } from './report';

const PURCHASES = benchInt('BENCH_PURCHASES', 10_000);
const CLIENTS = benchInt('BENCH_CLIENTS', 16);
const PAIRS = benchInt('BENCH_PAIRS', 3);
/** Purchases before each measured run (members of their own), not counted: the server's JIT and pools warm up. */
const WARMUP = benchInt('BENCH_WARMUP', 1000);
/** Extra node arguments for the server (profiling: BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'). */
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
const PURCHASE = `mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) { pointsEarned tierChange { kind } } }`;
const CREATE = `mutation($i: WebhookEndpointInput!) { createWebhookEndpoint(input: $i) { endpoint { id } } }`;

const fmt = (n: number | null | undefined, d = 1) => (n == null || !Number.isFinite(n) ? '–' : n.toFixed(d));

interface Report { healthyIds: string[]; healthyPosts: number; failingPosts: number }
interface Receivers { healthy: string; failing: string; pid: number | undefined; report(): Promise<Report>; close(): Promise<void> }

/** The two receivers' process (bench/webhook-receivers.ts). */
async function startReceivers(): Promise<Receivers> {
  const child: ChildProcess = fork(resolve(__dirname, 'webhook-receivers.ts'), [], {
    execArgv: ['-r', 'ts-node/register/transpile-only'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const urls = await new Promise<{ healthy: string; failing: string }>((ok, fail) => {
    child.on('message', (m: { ready?: { healthy: string; failing: string } }) => { if (m.ready) ok(m.ready); });
    child.once('exit', (code) => fail(new Error(`the receivers exited ${code}`)));
  });
  return {
    ...urls,
    pid: child.pid,
    report: () => new Promise<Report>((ok) => {
      const on = (m: { report?: Report }) => {
        if (!m.report) return;
        child.off('message', on);
        ok(m.report);
      };
      child.on('message', on);
      child.send({ report: true });
    }),
    close: () => stopChild(child),
  };
}

/** `n` purchases, each for a member of `members` (each once), by CLIENTS closed-loop clients; purchases per second. */
async function purchases(url: string, token: string, members: string[], tag: string): Promise<{ rps: number; errors: number; firstError?: string }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
  let next = 0;
  let errors = 0;
  let firstError: string | undefined;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CLIENTS }, async () => {
    while (next < members.length) {
      const i = next++;
      const res = await post(url, { query: PURCHASE, variables: { input: { memberId: members[i], orderId: `${tag}-${i}`, amount: 1000 } } },
        { authorization: `Bearer ${token}` }, agent).catch((e) => ({ status: 0, text: String(e) }));
      if (res.status !== 200 || res.text.includes('"errors"')) {
        errors++;
        firstError ??= res.text.slice(0, 300);
      }
    }
  }));
  agent.destroy();
  return { rps: members.length / ((performance.now() - t0) / 1000), errors, firstError };
}

/** Waits until none of `endpointId`'s deliveries is PENDING (at most 10 minutes); seconds waited. */
async function drain(url: string, endpointId: string): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    // One probe of the (endpoint, due) index of PENDING deliveries: a count of them read every
    // one, 50 ms a poll on a backlog, a load of the bench's own on the server draining it.
    // Events captured and not fanned out yet have no delivery: pending too.
    const [{ pending }] = await sql(url, `select exists (select 1 from webhook_delivery where endpoint_id = $1 and status = 'PENDING')
      or exists (select 1 from webhook_fanout) as pending`, [endpointId]);
    if (!pending || Date.now() - t0 > 600_000) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return (Date.now() - t0) / 1000;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

interface Run {
  pair: number; variant: 'none' | 'two'; rps: number; errors: number; events: number;
  /** Distinct events of the measured run the healthy endpoint received, and its POSTs (warm-up's retries aside: it has none). */
  healthy: number; healthyPosts: number; failingPosts: number; p50: number | null; p95: number | null; drainS: number | null; load: string;
  /** CPU milliseconds per purchase of the measured run, by process tree: the app, PostgreSQL, the receivers, this load generator. */
  cpu: Record<CpuSide, number>;
}

const CPU_SIDES = ['app', 'postgres', 'receivers', 'load'] as const;
type CpuSide = (typeof CPU_SIDES)[number];

const loadAverage = () => loadavg().map((x) => x.toFixed(1)).join(' ');

export async function benchWebhooks(): Promise<void> {
  const started = Date.now();
  const order: { pair: number; variant: 'none' | 'two' }[] = [];
  for (let p = 0; p < PAIRS; p++) {
    const pair: ('none' | 'two')[] = p % 2 === 0 ? ['none', 'two'] : ['two', 'none'];
    for (const variant of pair) order.push({ pair: p + 1, variant });
  }
  log(`webhooks bench: ${PURCHASES} upgrading purchases per run, ${PAIRS} pairs (${order.map((o) => o.variant).join(', ')}), ${CLIENTS} clients; ${machine()}; load ${loadAverage()}`);
  const db = await benchDatabase('bench_webhooks');
  let app: ChildProcess | null = null;
  const receivers = await startReceivers();
  const runs: Run[] = [];
  try {
    await seedMembers(db.url, (PURCHASES + WARMUP) * order.length);
    // The seed's tables vacuumed and analysed now, not by autovacuum during the first run (which
    // then ran slowest of its variant in every bench before this).
    await sql(db.url, 'vacuum analyze');
    const bronze = (await sql(db.url, 'select id from bench_member order by n')).map((r) => r.id as string);
    // The postmaster, for PostgreSQL's CPU (its tree: every backend, and the ones that ended).
    const probe = new Client({ connectionString: db.url });
    await probe.connect();
    const postmaster = parentOf(Number((await probe.query('select pg_backend_pid() as pid')).rows[0].pid));
    await probe.end();
    const service = await serviceToken();
    const admin = await serviceToken('admin');
    for (const [k, { pair, variant }] of order.entries()) {
      const port = freePortSync();
      app = await startApp(db.url, port, { WEBHOOK_ALLOW_INSECURE: '1' }, NODE_ARGS);
      const gql = `http://127.0.0.1:${port}/graphql`;
      let healthyId: string | null = null;
      if (variant === 'two') {
        // New endpoints for each run: the earlier runs' (deactivated) and their retries stay out of it.
        for (const url of [receivers.healthy, receivers.failing]) {
          const res = await post(gql, { query: CREATE, variables: { i: { url, eventTypes: ['*'] } } }, { authorization: `Bearer ${admin}` });
          const id = (JSON.parse(res.text) as { data: { createWebhookEndpoint: { endpoint: { id: string } } } }).data.createWebhookEndpoint.endpoint.id;
          if (url === receivers.healthy) healthyId = id;
        }
      }
      const base = k * (PURCHASES + WARMUP);
      await purchases(gql, service, bronze.slice(base + PURCHASES, base + PURCHASES + WARMUP), `warm${k}`);
      // The tables as the warm-up left them analysed (the seed's analysis saw the purchase tables
      // empty: cached plans with sequential scans until autovacuum came round, in the first run).
      await sql(db.url, 'analyze');
      // The measured run starts with the healthy endpoint's warm-up backlog delivered (the failing
      // one's retries go on, as they would), and the receivers' counts cleared.
      if (healthyId) await drain(db.url, healthyId);
      await receivers.report();
      const load = loadAverage();
      const [{ seq: seqBefore }] = await sql(db.url, 'select coalesce(max(seq), 0)::text as seq from webhook_event');
      const cpuNow = (): Record<CpuSide, number> => ({
        app: treeCpuSeconds(app?.pid) ?? NaN, postgres: treeCpuSeconds(postmaster) ?? NaN, receivers: treeCpuSeconds(receivers.pid) ?? NaN,
        load: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
      });
      const cpuBefore = cpuNow();
      const result = await purchases(gql, service, bronze.slice(base, base + PURCHASES), `wh${k}`);
      const cpuAfter = cpuNow();
      const cpu = Object.fromEntries(CPU_SIDES.map((side) => [side, ((cpuAfter[side] - cpuBefore[side]) * 1000) / PURCHASES])) as Record<CpuSide, number>;
      const [{ events }] = await sql(db.url, 'select count(*)::int as events from webhook_event where seq > $1::bigint', [seqBefore]);
      let drainS: number | null = null;
      let p50: number | null = null;
      let p95: number | null = null;
      if (healthyId) {
        // Every event to the healthy endpoint: wait until none of its deliveries is pending.
        drainS = await drain(db.url, healthyId);
        const [lat] = await sql(db.url, `select percentile_cont(0.5) within group (order by extract(epoch from d.delivered_at - ev.created_at)) * 1000 as p50,
            percentile_cont(0.95) within group (order by extract(epoch from d.delivered_at - ev.created_at)) * 1000 as p95
          from webhook_delivery d join webhook_event ev on ev.id = d.event_id
          where d.endpoint_id = $1 and d.status = 'DELIVERED' and ev.seq > $2::bigint`, [healthyId, seqBefore]);
        p50 = lat.p50 == null ? null : Number(lat.p50);
        p95 = lat.p95 == null ? null : Number(lat.p95);
      }
      const got = await receivers.report();
      // The measured run's events that reached the healthy endpoint.
      const measured = (await sql(db.url, 'select id from webhook_event where seq > $1::bigint', [seqBefore])).map((r) => r.id as string);
      const ids = new Set(got.healthyIds);
      const reached = measured.filter((id) => ids.has(id)).length;
      const run: Run = { pair, variant, rps: result.rps, errors: result.errors, events, healthy: reached, healthyPosts: got.healthyPosts, failingPosts: got.failingPosts, p50, p95, drainS, load, cpu };
      runs.push(run);
      log(`pair ${pair}, ${variant === 'two' ? 'two endpoints' : 'no endpoint'}: ${fmt(result.rps)} purchases/s, ${result.errors} errors${result.firstError ? ` (${result.firstError})` : ''}; ${events} events; load ${load}`
        + (variant === 'two' ? `; healthy endpoint received ${reached} of them (${got.healthyPosts} POSTs; drained ${fmt(drainS)} s after the load), p50 ${fmt(p50)} ms, p95 ${fmt(p95)} ms from commit; failing endpoint got ${got.failingPosts} POSTs` : ''));
      if (variant === 'two') await sql(db.url, 'update webhook_endpoint set active = false');
      await stopChild(app);
      app = null;
    }
    const pairs = Array.from({ length: PAIRS }, (_, p) => {
      const of = (v: 'none' | 'two') => runs.find((r) => r.pair === p + 1 && r.variant === v)!;
      return of('two').rps / of('none').rps;
    });
    const on = runs.filter((r) => r.variant === 'two');
    const off = runs.filter((r) => r.variant === 'none');
    const allDelivered = on.every((r) => r.events > 0 && r.healthy === r.events);
    const section = [
      '## Webhooks',
      '',
      `\`npm run bench -- webhooks\` (${new Date().toISOString().slice(0, 10)}, ${machine()}; ${PURCHASES} purchases per run, each upgrading a Bronze member, ${CLIENTS} clients; ${PAIRS} pairs of runs, no-on then on-no alternating, a server process each, ${WARMUP} purchases of warm-up before each; the receivers in a process of their own for the whole bench; took ${fmt((Date.now() - started) / 60_000)} min):`,
      '',
      '| pair | run | purchases/s | errors | events written | healthy endpoint: events received (POSTs) | failing endpoint: POSTs | healthy endpoint drained after the load | delivery latency from commit p50 / p95 | load average (1, 5, 15 min) |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      ...runs.map((r) => `| ${r.pair} | ${r.variant === 'two' ? "two '*' endpoints (204 and 500)" : 'no endpoint'} | ${fmt(r.rps)} | ${r.errors} | ${r.events} | ${r.variant === 'two' ? `${r.healthy} (${r.healthyPosts})` : '–'} | ${r.variant === 'two' ? r.failingPosts : '–'} | ${r.variant === 'two' ? `${fmt(r.drainS)} s` : '–'} | ${r.variant === 'two' ? `${fmt(r.p50, 0)} / ${fmt(r.p95, 0)} ms` : '–'} | ${r.load} |`),
      '',
      `- Purchase throughput with the two endpoints / without, per pair: ${pairs.map((x) => `${fmt(x * 100, 0)}%`).join(', ')}; **median ${fmt(median(pairs) * 100, 0)}%**, spread ${fmt(Math.min(...pairs) * 100, 0)}–${fmt(Math.max(...pairs) * 100, 0)}% (goal ≥ 85%).`,
      `- Every event written reached the healthy endpoint: ${allDelivered ? 'yes' : 'no'} (${on.map((r) => `${r.healthy} of ${r.events}`).join(', ')}).`,
      `- Delivery latency from commit (webhook_event.created_at to delivered_at, healthy endpoint, the measured run's events): p95 ${on.map((r) => `${fmt(r.p95, 0)} ms`).join(', ')}.`,
      '',
      'CPU per purchase of the measured run (ms: CPU seconds of each process tree over the run, from /proc, divided by its purchases):',
      '',
      '| pair | run | app (GraphQL, webhook worker and sender) | PostgreSQL | receivers | load generator | all |',
      '| --- | --- | --- | --- | --- | --- | --- |',
      ...runs.map((r) => `| ${r.pair} | ${r.variant === 'two' ? 'two endpoints' : 'no endpoint'} | ${CPU_SIDES.map((side) => fmt(r.cpu[side])).join(' | ')} | ${fmt(CPU_SIDES.reduce((t, side) => t + r.cpu[side], 0))} |`),
      '',
      `- What the two endpoints added per purchase (medians of each variant's runs): ${CPU_SIDES.map((side) => `${side} ${fmt(median(on.map((r) => r.cpu[side])) - median(off.map((r) => r.cpu[side])))} ms`).join(', ')}.`,
      '',
    ].join('\n');
    writeSection('Webhooks', section);
    log(section);
  } finally {
    await stopChild(app);
    await receivers.close();
    await db.stop();
  }
}
