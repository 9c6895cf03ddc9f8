// npm run bench -- rewards: redemption throughput for random members (the app vs a bare
// node:http + pg handler running the same statements vs pgbench running them in-database),
// then a flash sale: 2,000 members redeem a reward with 100 units at once.
import http from 'node:http';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePortSync } from './ports';
import { benchDatabase, benchInt, log, machine, memberIds, pgbench, seedMembers, serviceToken, sql, startApp, startBare, stopChild } from './lib';
import { post, runLoad, type LoadResult } from './load';
import { writeSection } from './report';

const MEMBERS = benchInt('BENCH_MEMBERS', 1_000_000);
const SECONDS = benchInt('BENCH_SECONDS', 15);
const SALE_MEMBERS = benchInt('BENCH_SALE_MEMBERS', 2000);
const SALE_STOCK = 100;
const COST = 100;
const CLIENTS = 32;
const REDEEM = `mutation($input: RedeemRewardInput!) { redeemReward(input: $input) { id couponCode points } }`;

/**
 * The statements of RewardsService.redeem for a reward with unlimited stock and no limits, in
 * the app's order and words (captured from the server log with log_statement = 'all'); the
 * app's parameters are pgbench variables here, values it computes in JS are expressions.
 */
function pgbenchScript(): string {
  const file = join(tmpdir(), `rewards-${process.pid}.sql`);
  const key = `'pg-' || :client_id::text || '-' || :r::text`;
  const columns = `id, seq::text, member_id as "memberId", reward_id as "rewardId", points, coupon_code as "couponCode", status, created_at as "createdAt", transaction_id::text as "transactionId", idempotency_key as "idempotencyKey"`;
  const replay = `select ${columns}, (select code from reward where id = reward_id) as "rewardCode" from redemption where idempotency_key = ${key};`;
  writeFileSync(file, `
\\set n random(1, ${MEMBERS})
\\set r random(1, 1000000000000000)
select id as mid from bench_member where n = :n \\gset
${replay}
begin;
select a.balance, a.lifetime_earned as "lifetimeEarned" from point_account a join member m on m.id = a.member_id where a.member_id = :mid for update of a for no key update of m \\gset a_
${replay}
select id, code, name, cost_points as "costPoints", stock, per_member_limit as "perMemberLimit", tier_codes as "tierCodes", active, valid_from as "validFrom", valid_to as "validTo" from reward where code = 'BENCH' \\gset r_
select id::text, remaining, expires_at as "expiresAt", earned_at as "earnedAt", activates_at as "activatesAt", order_id as "orderId" from point_lot where member_id = :mid and remaining <> 0 \\gset l_
insert into point_transaction (member_id, type, amount, balance_after, occurred_at, expires_at, reason, reference, idempotency_key, unrecovered, created_at) values (:mid, 'REDEEM', - :r_costPoints::int, :a_balance::int - :r_costPoints::int, now(), null, 'reward ' || :r_code::text, 'c-' || :client_id::text || '-' || :r::text, 'redeem' || chr(58) || ${key}, 0, now()) returning id::text, member_id as "memberId", type, amount, balance_after as "balanceAfter", occurred_at as "occurredAt", expires_at as "expiresAt", reason, reference, unrecovered \\gset t_
update point_lot l set remaining = l.remaining - v.amount from (values (:l_id::bigint, :r_costPoints::int)) as v(id, amount) where l.id = v.id;
insert into point_allocation (member_id, transaction_id, lot_id, amount) select :mid, :t_id, v.id, v.amount from (values (:l_id::bigint, :r_costPoints::int)) as v(id, amount);
update point_account set balance = :a_balance::int - :r_costPoints::int, lifetime_earned = lifetime_earned + 0, updated_at = now() where member_id = :mid;
insert into redemption (id, member_id, reward_id, points, coupon_code, status, idempotency_key, transaction_id, created_at) values (gen_random_uuid(), :mid, :r_id, :r_costPoints::int, 'c-' || :client_id::text || '-' || :r::text, 'ISSUED', ${key}, :t_id::bigint, now()) returning ${columns};
commit;
`);
  return file;
}

/** Every member gets one lot of 1,000,000 points (with its transaction), enough for the whole run. */
async function seedBalances(url: string) {
  await sql(url, `insert into point_transaction (member_id, type, amount, balance_after, occurred_at, reason, unrecovered, created_at)
    select id, 'ADJUST', 1000000, 1000000, now() - interval '1 day', 'bench balance', 0, now() from bench_member`);
  await sql(url, `insert into point_lot (member_id, transaction_id, points, remaining, earned_at, activates_at, expires_at)
    select t.member_id, t.id, 1000000, 1000000, t.occurred_at, t.occurred_at, now() + interval '2 years' from point_transaction t where t.reason = 'bench balance'`);
  await sql(url, `update point_account set balance = 1000000, lifetime_earned = 1000000`);
  await sql(url, 'vacuum analyze');
}

interface Row { variant: string; rps: number; p50: number | null; p99: number | null; errors: number }

/** The code of a GraphQL answer: OK, the first error's extensions.code, or HTTP_<status> / HTTP_FAILURE. */
function answerCode(res: { status: number; text: string }): string {
  if (res.status === 0) return 'HTTP_FAILURE';
  try {
    const json = JSON.parse(res.text);
    if (json.errors?.length) return String(json.errors[0]?.extensions?.code ?? 'NO_CODE');
    if (res.status === 200 && json.data?.redeemReward) return 'OK';
  } catch { /* not JSON */ }
  return `HTTP_${res.status}`;
}

export async function benchRewards(): Promise<void> {
  const started = Date.now();
  log(`rewards bench: ${MEMBERS} members, ${CLIENTS} connections, ${SECONDS}s per run; flash sale: ${SALE_MEMBERS} members for ${SALE_STOCK} units; ${machine()}`);
  const db = await benchDatabase('bench_rewards');
  let app = null;
  let bare = null;
  try {
    log('seeding members and balances (set-based)…');
    await seedMembers(db.url, MEMBERS);
    await seedBalances(db.url);
    const ids = await memberIds(db.url, MEMBERS);
    const token = await serviceToken();
    const admin = await serviceToken('admin');

    log('creating the rewards through upsertReward…');
    let port = freePortSync();
    app = await startApp(db.url, port);
    for (const input of [
      { code: 'BENCH', name: 'Bench voucher', costPoints: COST },
      { code: 'FLASH', name: 'Flash sale', costPoints: COST, stock: SALE_STOCK, perMemberLimit: 1 },
    ]) {
      const res = await post(`http://127.0.0.1:${port}/graphql`, { query: 'mutation($i: RewardInput!) { upsertReward(input: $i) { code } }', variables: { i: input } }, { authorization: `Bearer ${admin}` });
      if (res.status !== 200 || res.text.includes('"errors"')) throw new Error(`upsertReward ${input.code}: ${res.text}`);
    }
    await stopChild(app);
    app = null;

    const rows: Row[] = [];
    const fromLoad = (variant: string, r: LoadResult): Row => {
      log(`${variant}: ${r.rps.toFixed(1)} req/s, p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, ${r.errors} errors`);
      if (r.firstError) log('first error:', r.firstError);
      return { variant, rps: r.rps, p50: r.p50, p99: r.p99, errors: r.errors };
    };
    const body = (w: number, i: number) => ({
      query: REDEEM,
      variables: { input: { memberId: ids[Math.floor(Math.random() * ids.length)], rewardCode: 'BENCH', idempotencyKey: `k-${process.pid}-${w}-${i}-${Math.random()}` } },
    });

    log('(a) pgbench, random members…');
    const pg = await pgbench(db.url, pgbenchScript(), CLIENTS, SECONDS);
    if (!Number.isFinite(pg.tps) || pg.failed) log(pg.output);
    rows.push({ variant: '(a) pgbench, random members', rps: pg.tps, p50: null, p99: null, errors: pg.failed });
    log(`(a) pgbench, random members: ${pg.tps} tps, average latency ${pg.latencyMs} ms, ${pg.failed} failed`);

    log('(b) bare node:http + pg, random members…');
    port = freePortSync();
    bare = await startBare(db.url, port, 'bare-rewards.ts');
    rows.push(fromLoad('(b) bare node:http + pg, random members', await runLoad({ label: 'bare', url: `http://127.0.0.1:${port}/`, connections: CLIENTS, seconds: SECONDS, body })));
    await stopChild(bare);
    bare = null;

    log('(c) the app (GraphQL redeemReward), random members…');
    port = freePortSync();
    app = await startApp(db.url, port);
    const url = `http://127.0.0.1:${port}/graphql`;
    rows.push(fromLoad('(c) app, random members', await runLoad({ label: 'app', url, connections: CLIENTS, seconds: SECONDS, body, headers: { authorization: `Bearer ${token}` } })));

    // Flash sale: SALE_MEMBERS distinct members (none of them is the pgbench/bare/app load's
    // business: FLASH is a reward of its own), one request each, all sent at once.
    log(`flash sale: ${SALE_MEMBERS} members at once for ${SALE_STOCK} units…`);
    const buyers = ids.slice(-SALE_MEMBERS);
    const agent = new http.Agent({ keepAlive: true, maxSockets: SALE_MEMBERS });
    const answers: { ms: number; code: string }[] = [];
    let wins = 0;
    let soldOutMs = NaN;
    const t0 = performance.now();
    await Promise.all(buyers.map(async (memberId, i) => {
      const input = { memberId, rewardCode: 'FLASH', idempotencyKey: `flash-${process.pid}-${i}` };
      const res = await post(url, { query: REDEEM, variables: { input } }, { authorization: `Bearer ${token}` }, agent).catch((e) => ({ status: 0, text: String(e) }));
      const ms = performance.now() - t0;
      const code = answerCode(res);
      if (code === 'OK' && ++wins === SALE_STOCK) soldOutMs = ms;
      answers.push({ ms, code });
    }));
    const lastMs = performance.now() - t0;
    agent.destroy();
    await stopChild(app);
    app = null;
    const byCode = new Map<string, number>();
    for (const a of answers) byCode.set(a.code, (byCode.get(a.code) ?? 0) + 1);
    const losers = byCode.get('OUT_OF_STOCK') ?? 0;
    const unexpected = answers.length - wins - losers;
    const loserMs = answers.filter((a) => a.code === 'OUT_OF_STOCK').map((a) => a.ms).sort((x, y) => x - y);
    const firstWinMs = Math.min(...answers.filter((a) => a.code === 'OK').map((a) => a.ms));
    const beforeSoldOut = answers.filter((a) => a.ms <= soldOutMs).length;
    const [sale] = await sql(db.url, `select
        (select count(*)::int from redemption r join reward w on w.id = r.reward_id where w.code = 'FLASH') as issued,
        (select stock from reward where code = 'FLASH') as stock,
        (select count(*)::int from point_transaction where type = 'REDEEM' and reason = 'reward FLASH') as debits`);
    const oversold = Math.max(0, sale.issued - SALE_STOCK) + Math.max(0, -sale.stock);
    log(`flash sale: ${wins} won, first success after ${firstWinMs.toFixed(0)} ms, sold out after ${soldOutMs.toFixed(0)} ms (${beforeSoldOut} answers before), last answer after ${lastMs.toFixed(0)} ms; answers ${[...byCode].map(([c, n]) => `${c} ${n}`).join(', ')}; in the database ${sale.issued} redemptions, ${sale.debits} debits, stock left ${sale.stock}`);

    log('checking the ledger invariants…');
    const [inv] = await sql(db.url, `with l as (select l.member_id, sum(l.remaining) as s from point_lot l join point_account a using (member_id)
        where coalesce(l.expires_at, 'infinity') > coalesce(a.expired_through, '-infinity') group by 1),
      t as (select member_id, sum(amount) as s from point_transaction group by 1)
      select count(*)::int as broken from point_account a left join l using (member_id) left join t using (member_id)
      where a.balance <> coalesce(l.s, 0) or a.balance <> coalesce(t.s, 0)`);
    const [{ redemptions }] = await sql(db.url, `select count(*)::int as redemptions from redemption`);
    const deadlocks = (await sql(db.url, `select deadlocks::int from pg_stat_database where datname = current_database()`))[0].deadlocks;

    const byName = (prefix: string) => rows.find((r) => r.variant.startsWith(prefix))!;
    const a = byName('(a)'), b = byName('(b)'), c = byName('(c)');
    const fmt = (n: number | null, d = 1) => (n == null || !Number.isFinite(n) ? '–' : n.toFixed(d));
    const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
    const table = [
      '| variant | req/s | p50 ms | p99 ms | errors |', '| --- | --- | --- | --- | --- |',
      ...rows.map((r) => `| ${r.variant} | ${fmt(r.rps)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${r.errors} |`),
    ].join('\n');
    const summary = [
      `- Redemptions, random members: app / bare = **${fmt((c.rps / b.rps) * 100, 0)}%** (target ≥ 50%); bare / pgbench = ${fmt((b.rps / a.rps) * 100, 0)}%; app / pgbench = ${fmt((c.rps / a.rps) * 100, 0)}%; app p99 ${fmt(c.p99)} ms vs bare ${fmt(b.p99)} ms.`,
      `- Flash sale, ${buyers.length.toLocaleString('en')} members sending one \`redeemReward\` each at once (one socket each) for ${SALE_STOCK} units (perMemberLimit 1): first success after ${fmt(firstWinMs, 0)} ms, sold out **${fmt(soldOutMs, 0)} ms** after the first request (${beforeSoldOut.toLocaleString('en')} answers by then), last answer after ${fmt(lastMs, 0)} ms (losers' p50 ${fmt(pct(loserMs, 50), 0)} ms, p99 ${fmt(pct(loserMs, 99), 0)} ms). **${wins}** successes, ${losers.toLocaleString('en')} losers answered OUT_OF_STOCK, unexpected errors **${unexpected}** (answers: ${[...byCode].map(([code, n]) => `${code} ${n}`).join(', ')}).`,
      `- In the database afterwards: ${sale.issued} FLASH redemptions and ${sale.debits} FLASH debits, stock left ${sale.stock}: oversold **${oversold}**. Members whose ledger invariants (balance = Σ lot remaining = Σ transaction amounts) fail: ${inv.broken}; ${redemptions.toLocaleString('en')} redemptions in all; deadlocks in the database over the whole run: ${deadlocks}.`,
    ].join('\n');
    const section = `## Rewards\n\n${new Date().toISOString().slice(0, 10)}, \`npm run bench -- rewards\` (${MEMBERS.toLocaleString('en')} members with 1,000,000 points each, a ${COST}-point reward with unlimited stock, ${CLIENTS} connections, ${SECONDS} s per run after a 3 s warm-up), ${machine()}, embedded PostgreSQL 17 on the same machine (pgbench 15 client). The app and the bare handler run in child processes; the same Node closed-loop client loads both. Every variant writes the same rows with the same statements.\n\n${table}\n\n${summary}\n\nWall time of the whole run: ${((Date.now() - started) / 60000).toFixed(1)} min.\n`;
    console.log('\n' + section);
    writeSection('Rewards', section);
  } finally {
    await stopChild(app);
    await stopChild(bare);
    await db.stop();
  }
}
