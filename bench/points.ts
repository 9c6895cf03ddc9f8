// npm run bench -- points: earn throughput (random and hot member) for the app, a bare
// node:http + pg handler running the same SQL, and pgbench running it in-database; then
// expiry of 10 lots per member against a bare GROUP BY scan of the same lots.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePortSync } from './ports';
import {
  benchDatabase, log, machine, memberIds, pgbench, seedMembers, serviceToken, sql, startApp, startBare, stopChild,
} from './lib';
import { post, runLoad, type LoadResult } from './load';
import { writeSection } from './report';
import { minusMonths } from '../src/db/months';

const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 1_000_000);
const LOTS = Number(process.env.BENCH_LOTS_PER_MEMBER ?? 10);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const CLIENTS = 32;
const PURCHASE = `mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) { pointsEarned transaction { id balanceAfter } } }`;

function pgbenchScript(hot: boolean): string {
  const file = join(tmpdir(), `points-${hot ? 'hot' : 'random'}-${process.pid}.sql`);
  writeFileSync(file, `
\\set n ${hot ? '1' : `random(1, ${MEMBERS})`}
\\set r random(1, 1000000000000000)
select id as mid from bench_member where n = :n \\gset
select member_id from purchase where order_id = 'pg-' || :client_id::text || '-' || :r::text;
begin;
select a.balance from point_account a join member m on m.id = a.member_id where a.member_id = :mid for update of a for no key update of m \\gset
select member_id from purchase where order_id = 'pg-' || :client_id::text || '-' || :r::text;
select points_per_unit::float8 as ppu, points_expiry_months, points_pending_days from program where id = 1;
select m.tier_id as tid, t.points_multiplier::float8, coalesce(m.tier_expires_at <= greatest(now(), (select tier_reviewed_through from program where id = 1)), false) or coalesce(m.last_qualifying_at > now(), false) or exists (select 1 from tier_change c where c.member_id = m.id and c.occurred_at >= now() and c.superseded_at is null) as stale from member m join tier t on t.id = m.tier_id where m.id = :mid \\gset
select coalesce(sum((v.s->>'value')::numeric), 0)::float8 as bonus from (select distinct on (bv.code) bv.snapshot as s from benefit_version bv where bv.changed_at <= now() order by bv.code, bv.version desc) v join member m on m.id = :mid join tier t on t.id = :tid where v.s->>'kind' = 'POINTS_MULTIPLIER' and (v.s->>'active')::boolean and (v.s->>'validFrom' is null or (v.s->>'validFrom')::timestamptz <= now()) and (v.s->>'validTo' is null or (v.s->>'validTo')::timestamptz > now()) and (jsonb_array_length(v.s->'tierCodes') = 0 or v.s->'tierCodes' @> to_jsonb(t.code)) and (jsonb_array_length(v.s->'requiredTags') = 0 or v.s->'requiredTags' <@ coalesce((select jsonb_agg(tg.code) from member_tag mt join tag tg on tg.id = mt.tag_id where mt.member_id = m.id), '[]'::jsonb));
insert into point_transaction (member_id, type, amount, balance_after, occurred_at, expires_at, reason, reference, idempotency_key, unrecovered, created_at) values (:mid, 'EARN', 10, :balance::int + 10, now(), now() + interval '24 months', null, 'pg-' || :client_id::text || '-' || :r::text, 'purchase' || chr(58) || 'pg-' || :client_id::text || '-' || :r::text, 0, now()) returning id as txn \\gset
select 1 from point_lot where member_id = :mid and remaining < 0 limit 1;
insert into point_lot (member_id, transaction_id, points, remaining, earned_at, activates_at, expires_at, order_id, late) values (:mid, :txn, 10, 10, now(), now(), now() + interval '24 months', 'pg-' || :client_id::text || '-' || :r::text, coalesce(now() + interval '24 months' <= now(), false)) returning id as lot \\gset
update point_account set balance = :balance::int + 10, lifetime_earned = lifetime_earned + 10, updated_at = now() where member_id = :mid returning expired_through;
with entry as (insert into qualifying_entry (member_id, occurred_at, points, source) values (:mid, now(), 10, 'purchase' || chr(58) || 'pg-' || :client_id::text || '-' || :r::text)) update member set window_points = window_points + case when now() <= tier_expires_at and now() > ${minusMonths('tier_expires_at', 'window_points_months')} then 10 else 0 end, points_after_expiry = points_after_expiry + case when now() > tier_expires_at then 10 else 0 end, last_qualifying_at = greatest(last_qualifying_at, now()) where id = :mid;
insert into purchase (order_id, member_id, amount_cents, earned_points, qualifying_points, lot_id, transaction_id, occurred_at, occurred_at_given, tier_change_id, earned_tier_id, points_per_unit) values ('pg-' || :client_id::text || '-' || :r::text, :mid, 1000, 10, 10, :lot, :txn, now(), false, null, :tid, 1);
select qualification_window_months, tier_validity_months, downgrade_policy, tier_notice_days, tier_reviewed_through from program where id = 1;
select coalesce(sum(points), 0)::int as q from qualifying_entry where member_id = :mid and occurred_at > now() - interval '12 months' and occurred_at <= now() and coalesce(counts_from, occurred_at) <= now();
select m.tier_id, t.rank from member m join tier t on t.id = m.tier_id where m.id = :mid;
select id, rank, qualifying_points, retain_points, points_multiplier::float8 from tier order by rank;
commit;
`);
  return file;
}

interface Row { variant: string; rps: number; p50: number | null; p99: number | null; errors: number }

export async function benchPoints(): Promise<void> {
  const started = Date.now();
  log(`points bench: ${MEMBERS} members, ${LOTS} lots each for expiry, ${CLIENTS} connections, ${SECONDS}s per run; ${machine()}`);
  const db = await benchDatabase('bench_points');
  let app = null;
  let bare = null;
  try {
    log('seeding members (set-based)…');
    await seedMembers(db.url, MEMBERS);
    const ids = await memberIds(db.url, MEMBERS);
    const hotId = ids[0];
    const token = await serviceToken();
    const rows: Row[] = [];
    const fromLoad = (variant: string, r: LoadResult): Row => {
      log(`${variant}: ${r.rps.toFixed(1)} req/s, p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, ${r.errors} errors`);
      return { variant, rps: r.rps, p50: r.p50, p99: r.p99, errors: r.errors };
    };
    const body = (hot: boolean) => (w: number, i: number) => ({
      query: PURCHASE,
      variables: { input: { memberId: hot ? hotId : ids[Math.floor(Math.random() * ids.length)], orderId: `o-${process.pid}-${w}-${i}-${Math.random()}`, amount: 10 } },
    });

    for (const hot of [false, true]) {
      const label = hot ? 'hot member' : 'random members';
      log(`(a) pgbench, ${label}…`);
      const pg = await pgbench(db.url, pgbenchScript(hot), CLIENTS, SECONDS);
      if (!Number.isFinite(pg.tps)) log(pg.output);
      rows.push({ variant: `(a) pgbench, ${label}`, rps: pg.tps, p50: null, p99: null, errors: pg.failed });
      log(`(a) pgbench, ${label}: ${pg.tps} tps, average latency ${pg.latencyMs} ms, ${pg.failed} failed`);

      log(`(b) bare node:http + pg, ${label}…`);
      const barePort = freePortSync();
      bare = await startBare(db.url, barePort);
      rows.push(fromLoad(`(b) bare node:http + pg, ${label}`, await runLoad({ label, url: `http://127.0.0.1:${barePort}/`, connections: CLIENTS, seconds: SECONDS, body: body(hot) })));
      await stopChild(bare);
      bare = null;

      log(`(c) the app (GraphQL recordPurchase), ${label}…`);
      const appPort = freePortSync();
      app = await startApp(db.url, appPort);
      const r = await runLoad({ label, url: `http://127.0.0.1:${appPort}/graphql`, connections: CLIENTS, seconds: SECONDS, body: body(hot), headers: { authorization: `Bearer ${token}` } });
      if (r.firstError) log('first error:', r.firstError);
      rows.push(fromLoad(`(c) app, ${label}`, r));
      await stopChild(app);
      app = null;
    }
    const deadlocks = (await sql(db.url, `select deadlocks::int from pg_stat_database where datname = current_database()`))[0].deadlocks;

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
    app = await startApp(db.url, appPort);
    const admin = await serviceToken('admin');
    const t1 = Date.now();
    const res = await post(`http://127.0.0.1:${appPort}/graphql`, { query: `mutation { expirePoints(asOf: "${new Date().toISOString()}") { processed changed } }` }, { authorization: `Bearer ${admin}` });
    const expiryMs = Date.now() - t1;
    await stopChild(app);
    app = null;
    log(`expiry: ${(expiryMs / 1000).toFixed(1)} s vs scan ${(scanMs / 1000).toFixed(1)} s; checking the ledger invariants…`);
    const [inv] = await sql(db.url, `with l as (select l.member_id, sum(l.remaining) as s from point_lot l join point_account a using (member_id)
        where coalesce(l.expires_at, 'infinity') > coalesce(a.expired_through, '-infinity') group by 1),
      t as (select member_id, sum(amount) as s from point_transaction group by 1)
      select count(*)::int as broken from point_account a left join l using (member_id) left join t using (member_id)
      where a.balance <> coalesce(l.s, 0) or a.balance <> coalesce(t.s, 0)`);

    const byName = (prefix: string) => rows.find((r) => r.variant.startsWith(prefix))!;
    const ratios = (label: string) => {
      const a = byName(`(a) pgbench, ${label}`), b = byName(`(b) bare node:http + pg, ${label}`), c = byName(`(c) app, ${label}`);
      return { appVsBare: c.rps / b.rps, bareVsPg: b.rps / a.rps, appVsPg: c.rps / a.rps };
    };
    const random = ratios('random members');
    const hot = ratios('hot member');
    const fmt = (n: number | null, d = 1) => (n == null || !Number.isFinite(n) ? '–' : n.toFixed(d));
    const table = [
      '| variant | req/s | p50 ms | p99 ms | errors |', '| --- | --- | --- | --- | --- |',
      ...rows.map((r) => `| ${r.variant} | ${fmt(r.rps)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${r.errors} |`),
    ].join('\n');
    const summary = [
      `- Random members: app / bare = **${fmt(random.appVsBare * 100, 0)}%** (target ≥ 50%); bare / pgbench = ${fmt(random.bareVsPg * 100, 0)}%; app / pgbench = ${fmt(random.appVsPg * 100, 0)}%.`,
      `- Hot member: app / bare = **${fmt(hot.appVsBare * 100, 0)}%** (target ≥ 50%); bare / pgbench = ${fmt(hot.bareVsPg * 100, 0)}%; deadlocks in the database over the whole run: ${deadlocks}.`,
      `- Expiry: ${lots.toLocaleString('en')} lots, ${due.toLocaleString('en')} due; \`expirePoints\` over HTTP ${(expiryMs / 1000).toFixed(1)} s vs bare \`GROUP BY member_id\` scan ${(scanMs / 1000).toFixed(1)} s: **${(expiryMs / scanMs).toFixed(2)}×** (target ≤ 3×). Result: ${res.text.slice(0, 120)}. Members whose ledger invariants fail afterwards: ${inv.broken}.`,
    ].join('\n');
    const section = `## Points ledger\n\n${new Date().toISOString().slice(0, 10)}, \`npm run bench -- points\` (${MEMBERS.toLocaleString('en')} members, ${CLIENTS} connections, ${SECONDS} s per run after a 3 s warm-up), ${machine()}, embedded PostgreSQL 17 on the same machine (pgbench 15 client). The app and the bare handler run in child processes; the same Node closed-loop client loads both. Every variant writes the same rows with the same statements.\n\n${table}\n\n${summary}\n\nWall time of the whole run: ${((Date.now() - started) / 60000).toFixed(1)} min.\n`;
    console.log('\n' + section);
    writeSection('Points ledger', section);
  } finally {
    await stopChild(app);
    await stopChild(bare);
    await db.stop();
  }
}
