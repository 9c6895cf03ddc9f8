// npm run bench -- points: earn throughput (random and hot member) for the app, in one
// process and in two (WORKERS=2), against baselines: the minimal earn transaction (four
// statements) run by a bare node:http + pg handler and by pgbench, and our own statements
// replayed by a bare handler and by pgbench; then expiry of 10 lots per member against a bare
// GROUP BY scan of the same lots; (aw) and (cw): (a) and (c) with two webhook endpoints that
// want every event (the capture triggers' cost on the purchase). BENCH_ONLY=a0,b0,c,c2 (variant
// ids; `expiry` for the expiry part) narrows a run while developing; a narrowed run leaves
// docs/benchmarks.md alone.
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Client } from 'pg';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePortSync } from './ports';
import { benchDatabase, benchInt, log, machine, memberIds, pgbench, seedMembers, serviceToken, sql, startApp, startBare, stopChild } from './lib';
import { childrenOf, ownCpuSeconds, parentOf, treeCpuSeconds } from './cpu';
import { post, runLoad, type LoadResult } from './load';
import { writeSection } from './report';

const MEMBERS = benchInt('BENCH_MEMBERS', 1_000_000);
const LOTS = benchInt('BENCH_LOTS_PER_MEMBER', 10);
const SECONDS = benchInt('BENCH_SECONDS', 15);
const CLIENTS = 32;
const PURCHASE = `mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) { pointsEarned transaction { id balanceAfter } } }`;

/**
 * The minimal earn transaction in pgbench: the same four statements as bare-minimal.ts. The
 * member's id is computed as seedMembers made it (md5('m' || n)), so no look-up precedes it.
 */
function pgbenchMinimalScript(hot: boolean, hotN: number): string {
  const file = join(tmpdir(), `points-minimal-${hot ? 'hot' : 'random'}-${process.pid}.sql`);
  writeFileSync(file, `
\\set n ${hot ? String(hotN) : `random(1, ${MEMBERS})`}
\\set r random(1, 1000000000000000)
begin;
insert into bench_idem (key) values ('pg-' || :client_id::text || '-' || :r::text);
update point_account set balance = balance + 10 where member_id = md5('m' || :n::text)::uuid returning balance \\gset
insert into point_transaction (member_id, type, amount, balance_after, occurred_at, expires_at, created_at) values (md5('m' || :n::text)::uuid, 'EARN', 10, :balance, now(), now() + interval '24 months', now()) returning id as txn \\gset
insert into point_lot (member_id, transaction_id, points, remaining, earned_at, activates_at, expires_at) values (md5('m' || :n::text)::uuid, :txn, 10, 10, now(), now(), now() + interval '24 months');
commit;
`);
  return file;
}

/** Our own statement (PointsService.recordPurchase's on its usual path, as bare-server.ts replays it) in pgbench; the ladder's arrays read in the same statement, no upgrade steps (the bench's amounts reach none). */
function pgbenchScript(hot: boolean, hotN: number): string {
  const file = join(tmpdir(), `points-${hot ? 'hot' : 'random'}-${process.pid}.sql`);
  const order = `'pg-' || :client_id::text || '-' || :r::text`;
  writeFileSync(file, `
\\set n ${hot ? String(hotN) : `random(1, ${MEMBERS})`}
\\set r random(1, 1000000000000000)
select id as mid from bench_member where n = :n \\gset
select f_status from purchase_at_once(:mid, ${order}, now(), false, 1000, 10, 1, (select version from config_version), now() - interval '12 months', (select array_agg(id order by rank) from tier), (select array_agg(floor(10 * points_multiplier)::int order by rank) from tier), now(), now() + interval '24 months', '{}'::uuid[], '{}'::int[], '{}'::uuid[], now() + interval '12 months', 'qualifying points reached', 12, 'TIER_CHANGED');
`);
  return file;
}

/** The variants, in the order each member case runs them. */
const VARIANTS = {
  a0: 'pgbench, minimal transaction',
  b0: 'bare node:http + pg, minimal transaction',
  a: 'pgbench, our statements',
  aw: "pgbench, our statements, two '*' webhook endpoints",
  b: 'bare node:http + pg, our statements',
  c: 'app (GraphQL recordPurchase), 1 process',
  c2: 'app, 2 processes (WORKERS=2)',
  cw: "app, 1 process, two '*' webhook endpoints (deliveries left pending)",
} as const;
type VariantId = keyof typeof VARIANTS;

const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',').map((v) => v.trim()).filter(Boolean)) : null;
const wanted = (id: VariantId | 'expiry') => !ONLY || ONLY.has(id);

interface Row {
  id: VariantId; hot: boolean; variant: string; rps: number; p50: number | null; p99: number | null; errors: number; deadlocks: number;
  /** Average cores busy over the measured window: the handler's processes, PostgreSQL's, the load client. */
  nodeCores: number | null; pgCores: number | null; clientCores: number | null;
  /** WORKERS=2: each worker's cores (that both served). */
  workerCores?: (number | null)[];
}

/** CPU seconds of the sides of a run at one instant (null where unreadable). */
interface CpuReading { at: number; node: number | null; pg: number | null; client: number; workers: Map<number, number | null> }

export async function benchPoints(): Promise<void> {
  const started = Date.now();
  const unknown = [...(ONLY ?? [])].filter((v) => !(v in VARIANTS) && v !== 'expiry');
  if (unknown.length) throw new Error(`BENCH_ONLY: unknown ${unknown.join(', ')} (known: ${Object.keys(VARIANTS).join(', ')}, expiry)`);
  log(`points bench: ${MEMBERS} members, ${LOTS} lots each for expiry, ${CLIENTS} connections, ${SECONDS}s per run; ${machine()}${ONLY ? `; BENCH_ONLY=${[...ONLY].join(',')}` : ''}`);
  const db = await benchDatabase('bench_points');
  let child: ChildProcess | null = null;
  try {
    log('seeding members (set-based)…');
    await seedMembers(db.url, MEMBERS);
    // The minimal transaction's idempotency key: one insert under a unique constraint.
    await sql(db.url, 'create table bench_idem (key text primary key)');
    const ids = await memberIds(db.url, MEMBERS);
    // A hot member of its own for each variant: each starts from a member with no history, as the
    // others did (a member with the purchases of the variants before it reads more of them).
    const HOT_N: Record<VariantId, number> = { a0: 1, b0: 2, a: 3, b: 4, c: 5, c2: 6, cw: 7, aw: 8 };
    const hotIdOf = (id: VariantId) => ids[HOT_N[id] - 1];
    const token = await serviceToken();
    // PostgreSQL's postmaster, when it runs on this machine: its tree's CPU is the database's.
    const postmaster = await postmasterOf(db.url);
    const deadlocks = async () => {
      // Backends report their counts as they end; the handler's pool has just closed.
      await new Promise((r) => setTimeout(r, 1000));
      return (await sql(db.url, `select deadlocks::int from pg_stat_database where datname = current_database()`))[0].deadlocks as number;
    };
    const reading = (pid: number | undefined, workers: number[] = []): CpuReading => {
      const usage = process.cpuUsage();
      return {
        at: Date.now(), node: treeCpuSeconds(pid), pg: treeCpuSeconds(postmaster), client: (usage.user + usage.system) / 1e6,
        workers: new Map(workers.map((w) => [w, ownCpuSeconds(w)])),
      };
    };
    const cores = (a: number | null, b: number | null, seconds: number) => (a == null || b == null ? null : (b - a) / seconds);
    const rows: Row[] = [];
    const body = (hot: boolean, hotId: string) => (w: number, i: number) => ({
      query: PURCHASE,
      variables: { input: { memberId: hot ? hotId : ids[Math.floor(Math.random() * ids.length)], orderId: `o-${process.pid}-${w}-${i}-${Math.random()}`, amount: 10 } },
    });
    const name = (id: VariantId, hot: boolean) => `(${id}) ${VARIANTS[id]}, ${hot ? 'hot member' : 'random members'}`;

    const pgbenchVariant = async (id: 'a0' | 'a' | 'aw', hot: boolean, script: string) => {
      const variant = name(id, hot);
      log(`${variant}…`);
      const before = await deadlocks();
      if (id === 'aw') await webhookEndpoints(db.url, 2);
      const r0 = reading(undefined);
      const pg = await pgbench(db.url, script, CLIENTS, SECONDS);
      const r1 = reading(undefined);
      if (id === 'aw') await webhookEndpoints(db.url, 0);
      if (!Number.isFinite(pg.tps)) log(pg.output);
      const row: Row = {
        id, hot, variant, rps: pg.tps, p50: null, p99: null, errors: pg.failed, deadlocks: (await deadlocks()) - before,
        nodeCores: null, pgCores: cores(r0.pg, r1.pg, (r1.at - r0.at) / 1000), clientCores: null,
      };
      log(`${variant}: ${pg.tps} tps, average latency ${pg.latencyMs} ms, ${pg.failed} failed, ${row.deadlocks} deadlocks`);
      rows.push(row);
    };

    const httpVariant = async (id: 'b0' | 'b' | 'c' | 'c2' | 'cw', hot: boolean) => {
      const variant = name(id, hot);
      log(`${variant}…`);
      const before = await deadlocks();
      const port = freePortSync();
      const app = id === 'c' || id === 'c2' || id === 'cw';
      // (cw) Every purchase records purchase.recorded and points.earned with a delivery to each endpoint; nothing sends them.
      if (id === 'cw') await webhookEndpoints(db.url, 2);
      child = app ? await startApp(db.url, port, id === 'c2' ? { WORKERS: '2' } : {})
        : await startBare(db.url, port, id === 'b0' ? 'bare-minimal.ts' : 'bare-server.ts');
      const pid = child.pid;
      // WORKERS=2: the primary's children are its workers (it forks both at once; the warm-up covers the later one's start).
      const workers = id === 'c2' ? childrenOf(pid!) : [];
      let r0: CpuReading | null = null;
      let r1: CpuReading | null = null;
      const r = await runLoad({
        label: variant, url: `http://127.0.0.1:${port}${app ? '/graphql' : '/'}`, connections: CLIENTS, seconds: SECONDS, body: body(hot, hotIdOf(id)),
        headers: app ? { authorization: `Bearer ${token}` } : undefined,
        onMeasure: { start: () => (r0 = reading(pid, workers)), end: () => (r1 = reading(pid, workers)) },
      });
      await stopChild(child);
      child = null;
      if (id === 'cw') {
        const [w] = await sql(db.url, `select (select count(*) from webhook_event)::int as events, (select count(*) from webhook_delivery)::int as deliveries,
          (select count(*) from webhook_fanout)::int as queued`);
        log(`${variant}: ${w.events} webhook events, ${w.deliveries} deliveries written, ${w.queued} events still queued for fan-out`);
        await webhookEndpoints(db.url, 0);
      }
      if (r.firstError) log('first error:', r.firstError);
      const [a, b] = [r0!, r1!] as [CpuReading, CpuReading];
      const seconds = (b.at - a.at) / 1000;
      const row: Row = {
        id, hot, variant, rps: r.rps, p50: r.p50, p99: r.p99, errors: r.errors, deadlocks: (await deadlocks()) - before,
        nodeCores: cores(a.node, b.node, seconds), pgCores: cores(a.pg, b.pg, seconds), clientCores: cores(a.client, b.client, seconds),
      };
      row.workerCores = workers.map((w) => cores(a.workers.get(w) ?? null, b.workers.get(w) ?? null, seconds));
      const perWorker = row.workerCores.map((c) => fmt(c, 2)).join(' + ');
      log(`${variant}: ${fromLoad(r)}, ${row.deadlocks} deadlocks; cores: handler ${fmt(row.nodeCores, 2)}${workers.length ? ` (workers ${perWorker})` : ''}, PostgreSQL ${fmt(row.pgCores, 2)}, client ${fmt(row.clientCores, 2)}`);
      rows.push(row);
    };

    for (const hot of [false, true]) {
      if (wanted('a0')) await pgbenchVariant('a0', hot, pgbenchMinimalScript(hot, HOT_N.a0));
      if (wanted('b0')) await httpVariant('b0', hot);
      if (wanted('a')) await pgbenchVariant('a', hot, pgbenchScript(hot, HOT_N.a));
      if (wanted('aw')) await pgbenchVariant('aw', hot, pgbenchScript(hot, HOT_N.aw));
      if (wanted('b')) await httpVariant('b', hot);
      if (wanted('c')) await httpVariant('c', hot);
      if (wanted('c2')) await httpVariant('c2', hot);
      if (wanted('cw')) await httpVariant('cw', hot);
    }
    const earnBroken = await brokenMembers(db.url);
    log(`ledger invariants after the earn runs: ${earnBroken} members broken`);

    let expiryLine = '- Expiry: not run (BENCH_ONLY).';
    let finalBroken = earnBroken;
    if (wanted('expiry')) {
      log(`expiry: adding ${LOTS} lots per member (a third of them due)…`);
      await sql(db.url, `insert into point_transaction (member_id, type, amount, balance_after, occurred_at, reason, created_at)
        select id, 'ADJUST', ${LOTS * 10}, 0, now() - interval '30 months', 'bench lots', now() from bench_member`);
      await sql(db.url, `insert into point_lot (member_id, transaction_id, points, remaining, earned_at, activates_at, expires_at)
        select b.id, 0, 10, 10, now() - interval '30 months' + g * interval '1 month', now() - interval '30 months' + g * interval '1 month',
          now() + (g - ${Math.floor(LOTS / 3)}) * interval '2 months' - interval '1 day' from bench_member b, generate_series(1, ${LOTS}) g`);
      await sql(db.url, `update point_account a set balance = a.balance + ${LOTS * 10}`);
      // Settle what the set-up wrote (10M lots, 1M account updates), as a nightly job would find
      // it: statistics and visibility maps current, dirty pages written out. Neither timed run
      // below then shares the machine with autovacuum or a checkpoint caused by the load.
      for (const table of ['point_lot', 'point_account', 'point_transaction']) await sql(db.url, `vacuum analyze ${table}`);
      await sql(db.url, 'checkpoint');
      const [{ due }] = await sql(db.url, `select count(*)::int as due from point_lot where remaining > 0 and expires_at <= now()`);
      const [{ lots }] = await sql(db.url, `select count(*)::int as lots from point_lot`);
      await sql(db.url, 'select member_id, sum(remaining) from point_lot group by member_id');
      const t0 = Date.now();
      await sql(db.url, 'select member_id, sum(remaining) from point_lot group by member_id');
      const scanMs = Date.now() - t0;
      const appPort = freePortSync();
      child = await startApp(db.url, appPort);
      const admin = await serviceToken('admin');
      const t1 = Date.now();
      const res = await post(`http://127.0.0.1:${appPort}/graphql`, { query: `mutation { expirePoints(asOf: "${new Date().toISOString()}") { processed changed } }` }, { authorization: `Bearer ${admin}` });
      const expiryMs = Date.now() - t1;
      await stopChild(child);
      child = null;
      log(`expiry: ${(expiryMs / 1000).toFixed(1)} s vs scan ${(scanMs / 1000).toFixed(1)} s; checking the ledger invariants…`);
      finalBroken = await brokenMembers(db.url);
      log(`ledger invariants after expiry: ${finalBroken} members broken`);
      expiryLine = `- Expiry: ${lots.toLocaleString('en')} lots, ${due.toLocaleString('en')} due; \`expirePoints\` over HTTP ${(expiryMs / 1000).toFixed(1)} s vs bare \`GROUP BY member_id\` scan ${(scanMs / 1000).toFixed(1)} s: **${(expiryMs / scanMs).toFixed(2)}×** (target ≤ 3×). Result: ${res.text.trim().slice(0, 120)}.`;
    }

    const row = (id: VariantId, hot: boolean) => rows.find((r) => r.id === id && r.hot === hot);
    const ratio = (top: VariantId, bottom: VariantId, hot: boolean) => {
      const [t, b] = [row(top, hot), row(bottom, hot)];
      return t && b ? `${fmt((t.rps / b.rps) * 100, 0)}%` : '–';
    };
    /** CPU milliseconds per request: average cores busy × 1000 / requests per second. */
    const msPerRequest = (cores: number | null | undefined, rps: number | undefined) => (cores == null || !rps ? null : (cores * 1000) / rps);
    const table = [
      '| variant | req/s | p50 ms | p99 ms | errors | deadlocks | handler cores | PostgreSQL cores | client cores |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      ...rows.map((r) => `| ${r.variant} | ${fmt(r.rps)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${r.errors} | ${r.deadlocks} | ${fmt(r.nodeCores, 2)} | ${fmt(r.pgCores, 2)} | ${fmt(r.clientCores, 2)} |`),
    ].join('\n');
    const perCase = (hot: boolean) => {
      const label = hot ? 'Hot member (one member, 32 connections)' : 'Random members';
      return `- ${label}: app / bare minimal = **${ratio('c', 'b0', hot)}** (goal ≥ 50%); context: app / bare running our statements = ${ratio('c', 'b', hot)}, `
        + `app / pgbench of our statements = ${ratio('c', 'a', hot)}, app / pgbench minimal = ${ratio('c', 'a0', hot)}, bare minimal / pgbench minimal = ${ratio('b0', 'a0', hot)}.`;
    };
    const cpuLine = (hot: boolean) => {
      const parts = (['b0', 'b', 'c', 'c2', 'cw'] as const).map((id) => {
        const r = row(id, hot);
        return r ? `(${id}) ${fmt(msPerRequest(r.nodeCores, r.rps), 2)} ms in Node + ${fmt(msPerRequest(r.pgCores, r.rps), 2)} ms in PostgreSQL` : null;
      }).filter(Boolean);
      const pgOnly = (['a0', 'a', 'aw'] as const).map((id) => {
        const r = row(id, hot);
        return r ? `(${id}) ${fmt(msPerRequest(r.pgCores, r.rps), 2)} ms in PostgreSQL` : null;
      }).filter(Boolean);
      return `- CPU per request, ${hot ? 'hot member' : 'random members'}: ${[...parts, ...pgOnly].join('; ') || '–'}.`;
    };
    const errors = rows.reduce((n, r) => n + r.errors, 0);
    const deadlockCount = rows.reduce((n, r) => n + r.deadlocks, 0);
    const summary = [
      perCase(false),
      perCase(true),
      `- Two processes (WORKERS=2) / one: random members ${ratio('c2', 'c', false)}, hot member ${ratio('c2', 'c', true)}; app with 2 processes / bare minimal: random ${ratio('c2', 'b0', false)}, hot ${ratio('c2', 'b0', true)}. `
        + `Cores of each worker: random ${row('c2', false)?.workerCores?.map((c) => fmt(c, 2)).join(' + ') ?? '–'}, hot ${row('c2', true)?.workerCores?.map((c) => fmt(c, 2)).join(' + ') ?? '–'}.`,
      `- Webhook capture, two active '*' endpoints (each purchase also writes 2 events and 4 deliveries in its statement) / none: app (cw / c) random members ${ratio('cw', 'c', false)}, hot member ${ratio('cw', 'c', true)} (goal ≥ 85%); `
        + `pgbench of our statement (aw / a) random ${ratio('aw', 'a', false)}, hot ${ratio('aw', 'a', true)}.`,
      cpuLine(false),
      cpuLine(true),
      `- Errors over the earn runs: ${errors}; deadlocks: ${deadlockCount} (\`pg_stat_database.deadlocks\`, counted per variant in the table).`,
      `- Members whose ledger invariants fail (balance = Σ lot remainders = Σ transactions): ${earnBroken} after the earn runs, ${finalBroken} at the end.`,
      expiryLine,
    ].join('\n');
    const section = `## Points ledger

${new Date().toISOString().slice(0, 10)}, \`${MEMBERS === 1_000_000 ? '' : `BENCH_MEMBERS=${MEMBERS} `}npm run bench -- points\` (${MEMBERS.toLocaleString('en')} members, ${CLIENTS} connections, ${SECONDS} s per run after a 3 s warm-up), ${machine()}, embedded PostgreSQL 17 on the same machine (pgbench 15 client). One run; the machine was shared with other work, so the figures are noisy: read the ratios, not the absolute rates.

What runs: (a0) pgbench and (b0) a bare \`node:http\` + \`pg\` handler (bench/bare-minimal.ts) run the minimal earn transaction, BEGIN; insert the idempotency key under a unique constraint; \`UPDATE point_account SET balance = balance + $1 … RETURNING balance\`; insert the ledger row with its balance after; insert the lot; COMMIT (six round trips). (a) pgbench and (b) a bare handler (bench/bare-server.ts) replay the app's own statements. (c) is the app (\`recordPurchase\` over GraphQL, one process), (c2) the same with \`WORKERS=2\` (two processes on one port: "Scaling out" below). (aw) and (cw) are (a) and (c) with two active webhook endpoints subscribed to every type: each purchase's statement then also writes its \`purchase.recorded\` and \`points.earned\` events and a PENDING delivery of each to each endpoint (nothing sends them: the delivery worker's cost is in "Webhooks"). The app and the bare handlers run in child processes; the same Node closed-loop client loads them all. Cores: CPU seconds over the measured window per second, read from /proc for the handler's processes, PostgreSQL's (postmaster and backends) and the load client; on 2 cores, 2.00 is the whole machine.

${table}

${summary}

Wall time of the whole run: ${((Date.now() - started) / 60000).toFixed(1)} min.
`;
    console.log('\n' + section);
    if (ONLY) log('BENCH_ONLY is set: a narrowed run, docs/benchmarks.md left as it is');
    else writeSection('Points ledger', section);
  } finally {
    await stopChild(child);
    await db.stop();
  }
}

function fromLoad(r: LoadResult): string {
  return `${r.rps.toFixed(1)} req/s, p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, ${r.errors} errors`;
}

function fmt(n: number | null | undefined, d = 1): string {
  return n == null || !Number.isFinite(n) ? '–' : n.toFixed(d);
}

/** The pid of the postmaster that serves `url`, when it runs on this machine: the parent of this connection's backend. */
async function postmasterOf(url: string): Promise<number | null> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const [{ pid }] = (await c.query<{ pid: number }>('select pg_backend_pid() as pid')).rows;
    return parentOf(pid); // read while the backend lives
  } finally {
    await c.end();
  }
}

/** Makes `n` active endpoints subscribed to every event type the only ones (0: none); nothing delivers to them here. */
async function webhookEndpoints(url: string, n: number): Promise<void> {
  await sql(url, 'delete from webhook_endpoint');
  if (n > 0) {
    await sql(url, `insert into webhook_endpoint (id, url, event_types, active, secret, created_at, updated_at)
      select gen_random_uuid(), 'https://receiver.invalid/' || g, '{*}', true, 'bench', now(), now() from generate_series(1, ${n}) g`);
  }
}

/** Members whose balance is not the sum of their open lots' remainders, or not the sum of their transactions. */
async function brokenMembers(url: string): Promise<number> {
  const [inv] = await sql(url, `with l as (select l.member_id, sum(l.remaining) as s from point_lot l join point_account a using (member_id)
      where coalesce(l.expires_at, 'infinity') > coalesce(a.expired_through, '-infinity') group by 1),
    t as (select member_id, sum(amount) as s from point_transaction group by 1)
    select count(*)::int as broken from point_account a left join l using (member_id) left join t using (member_id)
    where a.balance <> coalesce(l.s, 0) or a.balance <> coalesce(t.s, 0)`);
  return inv.broken;
}
