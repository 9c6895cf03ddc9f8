// npm run bench -- tiers:
//  1. runTierReview over 1M members (a third of them downgrade) vs a bare GROUP BY member_id
//     of their qualifying points; purchase p99 alone and while a review runs.
//  2. Fan-out: 10,000 graphql-ws subscribers of the admin feed; delivery latency of each tier
//     change vs a bare `ws` server broadcasting the same bytes to as many sockets.
//  3. Purchase throughput (every purchase upgrades its member) with the outbox + NOTIFY on vs off.
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import WebSocket from 'ws';
import { freePortSync } from './ports';
import { benchDatabase, benchInt, log, machine, memberIds, seedMembers, serviceToken, sql, startApp, startBare, stopChild } from './lib';
import { openOrm } from '../src/db/database';
import { createServices } from '../src/modules/services';
import { CHANGE_COLUMNS } from '../src/modules/tiers/tiers.repository';
import { post, runLoad, type LoadResult } from './load';
import { writeSection } from './report';

const MEMBERS = benchInt('BENCH_MEMBERS', 1_000_000);
const SUBSCRIBERS = benchInt('BENCH_SUBSCRIBERS', 10_000);
const EVENTS = benchInt('BENCH_EVENTS', 20);
const SECONDS = benchInt('BENCH_SECONDS', 15);
const CLIENTS = 16;
/** Review-alone runs, each right after its own GROUP BY: the ratio is their median (the box is shared and noisy). */
const PAIRS = benchInt('BENCH_REVIEW_PAIRS', 3);
const PURCHASE = `mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) { pointsEarned tierChange { kind } } }`;
const FEED = 'subscription { tierChanged { id memberId kind fromTier { code } toTier { code } reason qualifyingPoints occurredAt } }';

const fmt = (n: number | null | undefined, d = 1) => (n == null || !Number.isFinite(n) ? '–' : n.toFixed(d));
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/** Members with tiers that lapsed in the last 30 days and a year of qualifying points: 4 in 9 of the non-entry members fall short. */
export async function seedReview(url: string) {
  await sql(url, `update member m set tier_id = t.id, tier_since = now() - interval '13 months',
      tier_expires_at = now() - ((b.n % 30) + 1) * interval '1 day'
    from bench_member b, tier t where b.id = m.id and t.rank = b.n % 4 and t.rank > 0`);
  // Per member a factor f in [0, 1): the window holds retain × (0.6 + 0.9 f), in four entries; one more entry is too old to count.
  await sql(url, `insert into qualifying_entry (member_id, occurred_at, points, source)
    select m.id, m.tier_expires_at - ((b.n * 31 + g * 97) % 330 + 1) * interval '1 day',
      ceil(t.retain_points * (0.6 + 0.9 * ((b.n::bigint * 7919) % 1000) / 1000.0) / 4)::int, 'bench'
    from member m join bench_member b on b.id = m.id join tier t on t.id = m.tier_id, generate_series(1, 4) g where t.rank > 0`);
  await sql(url, `insert into qualifying_entry (member_id, occurred_at, points, source)
    select id, now() - interval '500 days', 5000, 'bench-old' from bench_member`);
  await recountWindows(url);
  await sql(url, `create table bench_tier_state as select id, tier_id, tier_since, tier_expires_at,
    window_points, points_after_expiry, window_points_months, last_qualifying_at from member`);
  await sql(url, 'vacuum analyze');
}

/**
 * The seeding writes tiers and the ledger around the app, so it counts the members' window
 * counters as the app's own writes keep them (TierEngine.recountWindows).
 */
async function recountWindows(url: string) {
  const orm = await openOrm(url);
  try {
    await createServices(orm.em.fork()).tierEngine.recountWindows();
  } finally {
    await orm.close(true);
  }
}

export async function resetReview(url: string) {
  await sql(url, `update member m set tier_id = s.tier_id, tier_since = s.tier_since, tier_expires_at = s.tier_expires_at,
      window_points = s.window_points, points_after_expiry = s.points_after_expiry, window_points_months = s.window_points_months,
      last_qualifying_at = s.last_qualifying_at
    from bench_tier_state s where s.id = m.id and (m.tier_id, m.tier_expires_at, m.window_points, m.points_after_expiry, m.window_points_months, m.last_qualifying_at)
      is distinct from (s.tier_id, s.tier_expires_at, s.window_points, s.points_after_expiry, s.window_points_months, s.last_qualifying_at)`);
  await sql(url, 'truncate tier_change, outbox');
  await recountWindows(url); // the members the purchases since the seeding wrote qualifying points for
  await sql(url, 'vacuum analyze member');
}

/** Members whose review must downgrade them: rank > 0 and fewer than retainPoints in (E − 12 months, E]. */
async function expectedDowngrades(url: string): Promise<number> {
  const [{ n }] = await sql(url, `select count(*)::int as n from bench_tier_state s join tier t on t.id = s.tier_id
    where t.rank > 0 and s.tier_expires_at <= now() and t.retain_points > (select coalesce(sum(points), 0) from qualifying_entry q
      where q.member_id = s.id and q.occurred_at > s.tier_expires_at - interval '12 months' and q.occurred_at <= s.tier_expires_at)`);
  return n;
}

export interface Socket { ws: WebSocket; received: number }

/** Opens `n` WebSocket connections in waves; with `init`, speaks graphql-transport-ws and subscribes. */
export async function openSockets(url: string, n: number, onMessage: (text: string) => void, init?: { token: string; query: string }): Promise<Socket[]> {
  const sockets: Socket[] = [];
  const open = () => new Promise<Socket>((resolve, reject) => {
    const ws = new WebSocket(url, init ? 'graphql-transport-ws' : undefined);
    const s: Socket = { ws, received: 0 };
    ws.on('error', reject);
    ws.on('message', (data) => {
      const text = (data as Buffer).toString(); // ws's default binaryType: one Buffer per message
      if (init && text.startsWith('{"type":"connection_ack"')) {
        ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: init.query } }));
        // The server registers the subscription asynchronously; a ping round trip after it is a barrier.
        ws.send(JSON.stringify({ type: 'ping' }));
        return;
      }
      if (init && text.startsWith('{"type":"pong"')) return resolve(s);
      s.received++;
      onMessage(text);
    });
    ws.on('open', () => (init ? ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${init.token}` } })) : resolve(s)));
  });
  for (let i = 0; i < n; i += 500) sockets.push(...(await Promise.all(Array.from({ length: Math.min(500, n - i) }, open))));
  return sockets;
}

/** Fires `events` triggers one after another; each waits until every socket has its message. Returns sorted latencies (ms). */
export async function measureFanOut(sockets: Socket[], events: number, trigger: (i: number) => Promise<void>, counter: { n: number; t0: number; latencies: number[] }) {
  for (let i = 0; i < events; i++) {
    counter.n = 0;
    counter.t0 = performance.now();
    await trigger(i);
    const until = Date.now() + 60_000;
    while (counter.n < sockets.length && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    if (counter.n < sockets.length) throw new Error(`event ${i}: only ${counter.n} of ${sockets.length} sockets received it`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return [...counter.latencies].sort((a, b) => a - b);
}

export async function benchTiers(): Promise<void> {
  const started = Date.now();
  log(`tiers bench: ${MEMBERS} members, ${SUBSCRIBERS} subscribers, ${CLIENTS} connections, ${SECONDS}s per load run; ${machine()}`);
  const db = await benchDatabase('bench_tiers');
  let app = null;
  let raw = null;
  const sockets: Socket[] = [];
  try {
    log('seeding members, tiers and qualifying points (set-based)…');
    await seedMembers(db.url, MEMBERS);
    await seedReview(db.url);
    const ids = await memberIds(db.url, MEMBERS);
    const service = await serviceToken();
    const admin = await serviceToken('admin');
    const auth = (t: string) => ({ authorization: `Bearer ${t}` });
    const expected = await expectedDowngrades(db.url);
    const [{ due }] = await sql(db.url, 'select count(*)::int as due from member where tier_expires_at <= now()');
    const [{ entries }] = await sql(db.url, 'select count(*)::int as entries from qualifying_entry');

    // --- 1. Review vs GROUP BY; purchase p99 alone and during a review.
    const groupBy = 'select member_id, sum(points) from qualifying_entry group by member_id';
    const timeGroupBy = async () => {
      await sql(db.url, groupBy);
      const tg = performance.now();
      await sql(db.url, groupBy);
      const ms = performance.now() - tg;
      log(`GROUP BY over ${entries} qualifying entries: ${fmt(ms / 1000, 2)} s`);
      return ms;
    };
    let port = freePortSync();
    app = await startApp(db.url, port);
    const gqlUrl = `http://127.0.0.1:${port}/graphql`;
    const purchase = (w: number, i: number) => ({
      query: PURCHASE,
      variables: { input: { memberId: ids[Math.floor(Math.random() * ids.length)], orderId: `t-${process.pid}-${w}-${i}-${Math.random()}`, amount: 10 } },
    });
    const runReview = async (url = gqlUrl) => {
      const t = performance.now();
      const res = await post(url, { query: `mutation { runTierReview(asOf: "${new Date().toISOString()}") { processed changed } }` }, auth(admin));
      return { ms: performance.now() - t, result: JSON.parse(res.text).data?.runTierReview as { processed: number; changed: number } | undefined, text: res.text };
    };
    log('purchases alone…');
    const alone = await runLoad({ label: 'alone', url: gqlUrl, connections: CLIENTS, seconds: SECONDS, body: purchase, headers: auth(service) });
    log(`purchases alone: ${fmt(alone.rps)} req/s, p99 ${fmt(alone.p99)} ms, ${alone.errors} errors`);
    // Its GROUP BY right before it, as for the other pairs (not before the purchases above: a
    // pair's two halves should see the same box).
    const groupByMs = await timeGroupBy();
    log('review alone…');
    await sql(db.url, "select pg_stat_reset_shared('io')");
    const reviewAlone = await runReview();
    log(`review alone: ${fmt(reviewAlone.ms / 1000, 1)} s, ${reviewAlone.text.slice(0, 120)}; expected downgrades ${expected}`);
    const [io] = await sql(db.url, `select sum(reads)::int as reads, sum(writes)::int as writes, sum(evictions)::int as evictions, sum(hits)::bigint::text as hits
      from pg_stat_io where backend_type = 'client backend' and object = 'relation'`);
    log(`review alone, client backends' buffer traffic: ${JSON.stringify(io)}`);
    const [{ left }] = await sql(db.url, 'select count(*)::int as left from member where tier_expires_at <= now()');
    const [{ dupes }] = await sql(db.url, 'select count(*)::int as dupes from (select member_id from tier_change group by member_id having count(*) > 1) d');
    const reviewTwice = await runReview();
    log(`review again: ${reviewTwice.text.slice(0, 120)}`);
    const [{ counted }] = await sql(db.url, `select count(*)::int as counted from tier t
      where (select coalesce(sum(delta), 0) from tier_member_delta d where d.tier_id = t.id) <> (select count(*) from member m where m.tier_id = t.id)`);

    const pairs = [{ groupByMs, reviewMs: reviewAlone.ms }];
    while (pairs.length < PAIRS) {
      log(`resetting the tiers; GROUP BY and review alone, pair ${pairs.length + 1} of ${PAIRS}…`);
      await stopChild(app);
      await resetReview(db.url);
      port = freePortSync();
      app = await startApp(db.url, port);
      const g = await timeGroupBy();
      const r = await runReview(`http://127.0.0.1:${port}/graphql`);
      log(`review alone: ${fmt(r.ms / 1000, 1)} s, ${r.text.slice(0, 120)}`);
      if (r.result?.changed !== expected) throw new Error(`review pair ${pairs.length + 1}: ${r.text}`);
      pairs.push({ groupByMs: g, reviewMs: r.ms });
    }
    const ratios = pairs.map((p) => p.reviewMs / p.groupByMs);
    const medianRatio = [...ratios].sort((a, b) => a - b)[Math.floor(ratios.length / 2)];

    log('resetting the tiers, then a review under purchase load…');
    await stopChild(app);
    await resetReview(db.url);
    port = freePortSync();
    app = await startApp(db.url, port);
    const gqlUrl2 = `http://127.0.0.1:${port}/graphql`;
    const loadSeconds = Math.max(5, Math.ceil(reviewAlone.ms / 1000));
    const [during, reviewLoaded] = await Promise.all([
      runLoad({ label: 'during review', url: gqlUrl2, connections: CLIENTS, seconds: loadSeconds, body: purchase, headers: auth(service) }),
      (async () => {
        await new Promise((r) => setTimeout(r, 3000));
        return runReview(gqlUrl2);
      })(),
    ]);
    log(`purchases during review: ${fmt(during.rps)} req/s, p99 ${fmt(during.p99)} ms; review under load ${fmt(reviewLoaded.ms / 1000)} s ${reviewLoaded.text.slice(0, 100)}`);
    await stopChild(app);
    app = null;

    // --- 3. Purchase throughput with the outbox on vs off; every purchase upgrades a Bronze member.
    // Settle what the two reviews wrote (1.5M member rewrites, 1.5M tier changes) first, or
    // autovacuum works through it during the first runs and only those.
    await sql(db.url, 'vacuum analyze');
    await sql(db.url, 'checkpoint');
    const bronze = (await sql(db.url, `select m.id from member m join tier t on t.id = m.tier_id where t.rank = 0 order by md5(m.id::text) limit 200000`)).map((r) => r.id as string);
    let next = 0;
    const upgrade = (w: number, i: number) => ({
      query: PURCHASE,
      variables: { input: { memberId: bronze[next++ % bronze.length], orderId: `u-${process.pid}-${w}-${i}-${Math.random()}`, amount: 1000 } },
    });
    const outboxRuns: { variant: string; r: LoadResult; delivered?: number; upgrades?: number }[] = [];
    for (const on of [true, false, false, true]) { // ABBA: a drift over the runs cancels out of the means
      port = freePortSync();
      app = await startApp(db.url, port, on ? {} : { TIER_EVENTS: 'off' });
      let delivered = 0;
      const feed = on ? await openSockets(`ws://127.0.0.1:${port}/graphql`, 1, () => delivered++, { token: admin, query: FEED }) : [];
      const [{ before }] = await sql(db.url, `select count(*)::int as before from tier_change where kind = 'UPGRADE'`);
      const r = await runLoad({ label: on ? 'on' : 'off', url: `http://127.0.0.1:${port}/graphql`, connections: CLIENTS, seconds: SECONDS, body: upgrade, headers: auth(service) });
      await new Promise((res) => setTimeout(res, 2000));
      const [{ after }] = await sql(db.url, `select count(*)::int as after from tier_change where kind = 'UPGRADE'`);
      for (const s of feed) s.ws.close();
      const upgrades = after - before; // warm-up included: the feed hears those too
      log(`outbox ${on ? 'on' : 'off'}: ${fmt(r.rps)} req/s, p99 ${fmt(r.p99)} ms, ${r.errors} errors${on ? `; feed got ${delivered} of ${upgrades} upgrades` : ''}`);
      outboxRuns.push({ variant: on ? 'on' : 'off', r, delivered: on ? delivered : undefined, upgrades });
      await stopChild(app);
      app = null;
    }

    // --- 2. Fan-out to SUBSCRIBERS graphql-ws subscribers vs raw ws.
    port = freePortSync();
    // Every subscriber speaks with the one admin token: its per-subject socket cap is raised to their number.
    app = await startApp(db.url, port, { WS_MAX_SOCKETS_PER_SUBJECT: String(SUBSCRIBERS) });
    const counter = { n: 0, t0: 0, latencies: [] as number[] };
    let frame = '';
    const onMessage = (text: string) => {
      if (!text.startsWith('{"id":"1","type":"next"') && frame === '') return;
      counter.n++;
      counter.latencies.push(performance.now() - counter.t0);
      if (!frame) frame = text;
    };
    log(`opening ${SUBSCRIBERS} graphql-ws subscriptions…`);
    sockets.push(...(await openSockets(`ws://127.0.0.1:${port}/graphql`, SUBSCRIBERS, onMessage, { token: admin, query: FEED })));
    const targets = ids.slice(0, EVENTS);
    const tierCodes = ['SILVER', 'GOLD', 'PLATINUM'];
    log('fan-out through the app…');
    // Each event starts at its commit: a tier change and its outbox row written and NOTIFYd
    // as the engine does, so that both sides are timed from one IPC hop (NOTIFY here, an
    // HTTP POST for the raw server) to each socket's receipt.
    const writer = new Client({ connectionString: db.url });
    await writer.connect();
    const appLatencies = await measureFanOut(sockets, EVENTS, async (i) => {
      const { rows } = await writer.query(`with t as (select id from tier where code = $2),
        c as (insert into tier_change (member_id, kind, from_tier_id, to_tier_id, reason, qualifying_points, occurred_at, created_at)
          select $1, 'UPGRADE', null, t.id, 'bench fan-out', 0, now(), now() from t returning ${CHANGE_COLUMNS})
        insert into outbox (topic, member_id, payload, created_at)
        select 'TIER_CHANGED', $1, jsonb_build_object('ids', jsonb_build_array(c.id), 'changes', jsonb_build_array(to_jsonb(c))), now() from c
        returning id::text`, [targets[i], tierCodes[i % 3]]);
      await writer.query(`select pg_notify('loyalty_outbox', $1)`, [`${rows[0].id}-${rows[0].id}`]);
    }, counter);
    await writer.end();
    const metricsText = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const metric = (line: string) => Number(metricsText.split('\n').find((l) => l.startsWith(line))?.split(' ')[1] ?? NaN);
    const executed = metric('subscription_event_executions_total{outcome="executed"}');
    const reused = metric('subscription_event_executions_total{outcome="reused"}');
    const serialized = metric('subscription_payloads_serialized_total');
    for (const s of sockets.splice(0)) s.ws.terminate();
    await stopChild(app);
    app = null;
    log(`app fan-out: p50 ${fmt(pct(appLatencies, 50))} ms, p95 ${fmt(pct(appLatencies, 95))} ms; executions ${executed}, reused ${reused}, serialized ${serialized}`);

    port = freePortSync();
    raw = await startBare(db.url, port, 'raw-ws-server.ts');
    const rawCounter = { n: 0, t0: 0, latencies: [] as number[] };
    log(`opening ${SUBSCRIBERS} raw ws connections…`);
    sockets.push(...(await openSockets(`ws://127.0.0.1:${port}/graphql`, SUBSCRIBERS, () => {
      rawCounter.n++;
      rawCounter.latencies.push(performance.now() - rawCounter.t0);
    })));
    const rawLatencies = await measureFanOut(sockets, EVENTS, async () => {
      await post(`http://127.0.0.1:${port}/broadcast`, frame);
    }, rawCounter);
    for (const s of sockets.splice(0)) s.ws.terminate();
    log(`raw ws fan-out: p50 ${fmt(pct(rawLatencies, 50))} ms, p95 ${fmt(pct(rawLatencies, 95))} ms`);

    // --- Report.
    const outboxMean = (v: string) => {
      const runs = outboxRuns.filter((r) => r.variant === v);
      return runs.reduce((a, r) => a + r.r.rps, 0) / runs.length;
    };
    const onRps = outboxMean('on');
    const offRps = outboxMean('off');
    const deliveredOk = outboxRuns.filter((r) => r.variant === 'on').every((r) => r.delivered === r.upgrades);
    const rows = [
      ...pairs.map((p, i) => `| pair ${i + 1}: bare \`GROUP BY member_id\` over ${entries.toLocaleString('en')} qualifying entries; \`runTierReview\`, ${due.toLocaleString('en')} members due, alone; ratio | ${fmt(p.groupByMs / 1000, 2)} s; ${fmt(p.reviewMs / 1000, 2)} s; ${fmt(ratios[i], 2)}× |`),
      `| \`runTierReview\` under ${CLIENTS} connections of purchases | ${fmt(reviewLoaded.ms / 1000, 2)} s |`,
      `| purchases alone: req/s, p50, p99 | ${fmt(alone.rps)}, ${fmt(alone.p50)} ms, ${fmt(alone.p99)} ms |`,
      `| purchases during the review: req/s, p50, p99 | ${fmt(during.rps)}, ${fmt(during.p50)} ms, ${fmt(during.p99)} ms |`,
      ...outboxRuns.map((o, i) => `| purchases that upgrade, outbox ${o.variant} (run ${i + 1}): req/s, p99 | ${fmt(o.r.rps)}, ${fmt(o.r.p99)} ms${o.delivered != null ? `; admin feed received ${o.delivered} of ${o.upgrades} upgrades` : ''} |`),
      `| fan-out to ${SUBSCRIBERS.toLocaleString('en')} graphql-ws subscribers: p50, p95, p99 | ${fmt(pct(appLatencies, 50))}, ${fmt(pct(appLatencies, 95))}, ${fmt(pct(appLatencies, 99))} ms |`,
      `| raw \`ws\` broadcast of the same ${frame.length} bytes to ${SUBSCRIBERS.toLocaleString('en')} sockets: p50, p95, p99 | ${fmt(pct(rawLatencies, 50))}, ${fmt(pct(rawLatencies, 95))}, ${fmt(pct(rawLatencies, 99))} ms |`,
    ];
    const summary = [
      `- Review: ${reviewAlone.result?.processed ?? '?'} members reviewed, ${reviewAlone.result?.changed ?? '?'} downgraded (expected from the data: ${expected}); left due afterwards: ${left}; members with more than one change: ${dupes}; a second run: ${reviewTwice.text.trim()}; tiers whose memberCount disagrees with a count: ${counted}. Review / GROUP BY, median of ${pairs.length} pairs (each review right after its own GROUP BY, the tiers reset before each pair) = **${fmt(medianRatio, 2)}×** (target ≤ 2.5×); the pairs: ${ratios.map((r) => `${fmt(r, 2)}×`).join(', ')}.`,
      `- Purchase p99 during the review / alone = **${fmt(during.p99 / alone.p99, 2)}×** (target ≤ 2×); errors ${alone.errors + during.errors}.`,
      `- Outbox + NOTIFY on / off (mean of two runs each, in on-off-off-on order so that a drift over the runs cancels; every purchase upgrading): **${fmt((onRps / offRps) * 100, 0)}%** (target ≥ 85%); each upgrade reached the admin feed exactly once: ${deliveredOk ? 'yes' : 'no'}.`,
      `- Fan-out p95, graphql-ws / raw ws = **${fmt(pct(appLatencies, 95) / pct(rawLatencies, 95), 2)}×** (target ≤ 2×). Latency is from each event's commit (a tier change and its outbox row, then NOTIFY, as the engine writes them; the app's dispatcher reads it back and fans it out) or, for the raw server, from the HTTP POST that hands it the frame, to each socket's receipt; ${EVENTS} events, each awaited by all sockets before the next. Each event was executed ${fmt(executed / EVENTS, 0)}× and serialized ${fmt(serialized / EVENTS, 0)}× for ${SUBSCRIBERS.toLocaleString('en')} subscribers (${reused} executions reused).`,
    ].join('\n');
    const section = `## Tier engine and realtime\n\n${new Date().toISOString().slice(0, 10)}, \`npm run bench -- tiers\` (${MEMBERS.toLocaleString('en')} members, ${SUBSCRIBERS.toLocaleString('en')} subscribers, ${CLIENTS} purchase connections, ${SECONDS} s load runs after a 3 s warm-up), ${machine()}, embedded PostgreSQL 17 on the same machine. The app and the baselines run in child processes; the load and the WebSocket clients share the bench process.\n\n| measure | figure |\n| --- | --- |\n${rows.join('\n')}\n\n${summary}\n\nWall time of the whole run: ${((Date.now() - started) / 60000).toFixed(1)} min.\n`;
    console.log('\n' + section);
    writeSection('Tier engine and realtime', section);
  } finally {
    for (const s of sockets) s.ws.terminate();
    await stopChild(app);
    await stopChild(raw);
    await db.stop();
  }
}
