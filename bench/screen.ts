// npm run bench -- screen: the member screen (`me { … }`, every app open) with the member tokens
// of 2,000 members with purchases, tags and tier benefits, against a bare node:http + jose + pg
// handler that builds the same JSON with one json_build_object statement (bench/bare-screen.ts).
// BENCH_CPU_PROF=dir: afterwards, the same load once more on an app started with --cpu-prof, and
// where its CPU went (bench/profile-summary.ts) in the section.
import { mkdirSync, readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { mintToken } from '../src/api/auth';
import { freePortSync } from './ports';
import { benchDatabase, benchInt, JWT_SECRET, log, machine, memberIds, seedMembers, serviceToken, sql, startApp, startBare, stopChild } from './lib';
import { post, runLoad, type LoadResult } from './load';
import { summarizeProfile, type ProfileSummary } from './profile-summary';
import { writeSection } from './report';

const MEMBERS = benchInt('BENCH_MEMBERS', 2000);
const SECONDS = benchInt('BENCH_SECONDS', 15);
const PROFILE_DIR = process.env.BENCH_CPU_PROF ? resolve(process.env.BENCH_CPU_PROF) : null;
const CLIENTS = 32;
/** Members whose answers are compared, app against bare, before timing. */
const SAMPLE = Math.min(MEMBERS, 200);
const DAY = 86_400_000;
const WARMUP_SECONDS = 3;

export const SCREEN_QUERY = `{ me { id displayName tier { code name } pointsBalance pendingPoints expiringPoints(withinDays: 30)
  tierProgress { qualifyingPoints nextTier { code } pointsToNextTier } benefits { code name } tags { code } } }`;

/** Member n's purchases: [days ago, amount], oldest first (expiring within 30 days, then later ones; some members reach Silver, Gold, Platinum). */
function purchasesOf(n: number): [number, number][] {
  const list: [number, number][] = [[345 + (n % 15), 20 + (n % 400)]];
  if (n % 3 !== 0) list.push([200 - (n % 50), 50 + (n % 300)]);
  const big = n % 10 === 0 ? 16000 : n % 10 < 3 ? 5200 : n % 10 < 6 ? 1100 : 80;
  list.push([20 + (n % 10), big]);
  return list;
}

/** The programme, benefits, tags and purchases, through the app's own API (so every row is as the app writes it); tags set-based. */
async function seedScreens(url: string, ids: string[]): Promise<{ purchases: number }> {
  const port = freePortSync();
  const app = await startApp(url, port);
  try {
    const api = `http://127.0.0.1:${port}/graphql`;
    const admin = { authorization: `Bearer ${await serviceToken('admin')}` };
    const call = async (query: string, variables: Record<string, unknown> = {}) => {
      const res = await post(api, { query, variables }, admin);
      if (res.status !== 200 || res.text.includes('"errors"')) throw new Error(`${query.slice(0, 60)}: ${res.text.slice(0, 300)}`);
    };
    await call('mutation { updateProgram(input: { pointsPerUnit: 1, pointsExpiryMonths: 12, qualificationWindowMonths: 12, tierValidityMonths: 12 }) { pointsPerUnit } }');
    const later = new Date(Date.now() + 300 * DAY).toISOString();
    for (const i of [
      { code: 'FREE_SHIPPING', name: 'Free shipping', kind: 'SHIPPING', tierCodes: [] },
      { code: 'BIRTHDAY_GIFT', name: 'Birthday gift', kind: 'BIRTHDAY_GIFT', value: 200, tierCodes: [] },
      { code: 'DISCOUNT_5', name: '5 % off', kind: 'DISCOUNT', value: 5, tierCodes: ['SILVER', 'GOLD', 'PLATINUM'], validTo: later },
      { code: 'DISCOUNT_10', name: '10 % off', kind: 'DISCOUNT', value: 10, tierCodes: ['GOLD', 'PLATINUM'] },
      { code: 'LOUNGE', name: 'Lounge', kind: 'ACCESS', tierCodes: ['PLATINUM'] },
      { code: 'PARKING', name: 'Free parking', kind: 'ACCESS', tierCodes: [], requiredTags: ['high_value'] },
      { code: 'RETIRED', name: 'Retired offer', kind: 'DISCOUNT', value: 15, tierCodes: [], active: false },
    ]) await call('mutation($i: BenefitInput!) { upsertBenefit(input: $i) { code } }', { i });
    for (const [code, name] of [['vip', 'VIP'], ['high_value', 'High value'], ['app_user', 'App user'], ['newsletter', 'Newsletter']]) {
      await call('mutation($c: String!, $n: String!) { upsertTag(input: { code: $c, name: $n }) { code } }', { c: code, n: name });
    }
    // Purchases oldest first for every member (a backdated one would rebuild the member's tier history), 16 at a time.
    const rounds = new Map<number, { memberId: string; daysAgo: number; amount: number }[]>();
    ids.forEach((memberId, n) => purchasesOf(n).forEach(([daysAgo, amount], round) => {
      rounds.set(round, [...(rounds.get(round) ?? []), { memberId, daysAgo, amount }]);
    }));
    const now = Date.now();
    let purchases = 0;
    const buy = async (list: { memberId: string; daysAgo: number; amount: number }[], tag: string) => {
      let next = 0;
      await Promise.all(Array.from({ length: 16 }, async () => {
        while (next < list.length) {
          const p = list[next++];
          const occurredAt = p.daysAgo ? new Date(now - p.daysAgo * DAY).toISOString() : null;
          await call('mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }',
            { i: { memberId: p.memberId, orderId: `${tag}-${purchases++}`, amount: p.amount, occurredAt } });
        }
      }));
    };
    for (const [round, list] of [...rounds].sort(([a], [b]) => a - b)) await buy(list, `r${round}`);
    // A third of the members bought today while purchases were pending for 14 days.
    await call('mutation { updateProgram(input: { pointsPendingDays: 14 }) { pointsPendingDays } }');
    await buy(ids.filter((_, n) => n % 3 === 1).map((memberId, n) => ({ memberId, daysAgo: 0, amount: 30 + (n % 90) })), 'pending');
    await call('mutation { updateProgram(input: { pointsPendingDays: 0 }) { pointsPendingDays } }');
    await sql(url, `insert into member_tag (member_id, tag_id, tagged_at)
      select b.id, t.id, now() from bench_member b join tag t on (t.code = 'vip' and b.n % 4 = 0) or (t.code = 'high_value' and b.n % 7 = 0)
        or (t.code = 'app_user' and b.n % 2 = 0) or (t.code = 'newsletter' and b.n % 3 = 0)`);
    await sql(url, 'vacuum analyze');
    return { purchases };
  } finally {
    await stopChild(app);
  }
}

/** What the data looks like: the states the screen shows. */
async function describeData(url: string): Promise<string> {
  const [d] = await sql(url, `select
      (select count(*)::int from point_lot where activates_at > now() and remaining > 0) as pending,
      (select count(distinct member_id)::int from point_lot where remaining > 0 and expires_at > now() and expires_at <= now() + interval '30 days') as expiring,
      (select count(distinct member_id)::int from member_tag) as tagged,
      (select string_agg(t.code || ' ' || n, ', ' order by t.rank) from (select tier_id, count(*) as n from member group by 1) x join tier t on t.id = x.tier_id) as tiers`);
  return `${d.expiring.toLocaleString('en')} members with points expiring within 30 days, ${d.pending.toLocaleString('en')} pending lots, ${d.tagged.toLocaleString('en')} members tagged; tiers: ${d.tiers}`;
}

/** The app's and the bare handler's answers for a sample of members: the baseline answers the same JSON. */
async function checkAgreement(appUrl: string, bareUrl: string, tokens: string[]): Promise<number> {
  let differ = 0;
  for (const token of tokens.slice(0, SAMPLE)) {
    const headers = { authorization: `Bearer ${token}` };
    const [a, b] = await Promise.all([post(appUrl, { query: SCREEN_QUERY }, headers), post(bareUrl, { query: SCREEN_QUERY }, headers)]);
    const app = JSON.parse(a.text);
    if (a.status !== 200 || app.errors || !isDeepStrictEqual(app, JSON.parse(b.text))) {
      if (!differ++) log(`the app and the bare handler disagree:\napp:  ${a.text}\nbare: ${b.text}`);
    }
  }
  return differ;
}

async function ledgerInvariantsBroken(url: string): Promise<number> {
  const [inv] = await sql(url, `with l as (select l.member_id, sum(l.remaining) as s from point_lot l join point_account a using (member_id)
      where coalesce(l.expires_at, 'infinity') > coalesce(a.expired_through, '-infinity') group by 1),
    t as (select member_id, sum(amount) as s from point_transaction group by 1)
    select count(*)::int as broken from point_account a left join l using (member_id) left join t using (member_id)
    where a.balance <> coalesce(l.s, 0) or a.balance <> coalesce(t.s, 0)`);
  return inv.broken;
}

const fmt = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '–');
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** The share of the categories whose names start with any of `prefixes`. */
function share(p: ProfileSummary, ...prefixes: string[]): number {
  return p.categories.filter((c) => prefixes.some((x) => c.category.startsWith(x))).reduce((a, c) => a + c.share, 0);
}

/** What was changed after the first profile, and what was left, with the shares that profile measured. */
const CHANGED = `Changed after the first profile of this bench (400 members, with the screen already one statement): the screen hydrated its `
  + `member and its two tiers as MikroORM entities (\`em.map\`, 10% of the app's CPU with what it calls): it now reads plain rows (MemberView, TierView, `
  + `what the API shows of them); and below LOG_LEVEL info (the benches run at warn) pino-http, which writes every line at info, still built a `
  + `child logger per request with the request serialized and redacted (about 3%): the request now only gets its id. No check was removed: `
  + `the token (cached for a minute per token text, as before), the document limits, admission, the role and member checks all run. `
  + `Left as they are: the EntityManager fork and the services each request is given (about 3% by profile, 8 µs in a micro-benchmark), `
  + `Apollo's SHA-256 of each document (the key of its parse-and-validate cache), prom-client's labelled histograms.`;

function profileText(p: ProfileSummary, run: LoadResult): string {
  const rows = p.categories.map((c) => `| ${c.category} | ${pct(c.share)} |`).join('\n');
  const of = (...prefixes: string[]) => pct(share(p, ...prefixes));
  const words = `Of the app's CPU, ${of('Node HTTP', 'pg driver', 'JSON')} is what the bare handler does too (Node's HTTP and sockets ${of('Node HTTP')}, `
    + `most of it the \`writev\` of answers and statements, where the kernel delivers on loopback; the pg driver ${of('pg driver')}); `
    + `the GraphQL stack takes ${of('Apollo', 'Express', 'graphql', 'type-graphql', 'DataLoader')} (Apollo Server ${of('Apollo')}, Express ${of('Express')}, `
    + `graphql-js execution ${of('graphql execute')}, validation and parsing ${of('graphql validate', 'graphql parse')} as Apollo caches both per document text, `
    + `type-graphql ${of('type-graphql')}, DataLoader ${of('DataLoader')}); our own code ${of('our code', 'our document', 'auth')} (context and services `
    + `per request, resolvers, the screen's look-ahead and statement, the document checks and admission, the token cache), `
    + `logging and metrics ${of('pino', 'metrics', 'our logging')}, MikroORM and knex ${of('MikroORM')} (the fork per request, the pool), `
    + `the garbage collector ${of('GC')} and V8 or Node otherwise ${of('V8', 'Node core', 'other', 'start-up')}.`;
  return `Where the app's CPU goes: a second app run under \`--cpu-prof\` (\`BENCH_CPU_PROF=dir npm run bench -- screen\`; ${fmt(run.rps)} req/s under the profiler), `
    + `${(p.busyMs / 1000).toFixed(1)} s of CPU sampled over the ${SECONDS} s of load after its warm-up (idle left out), self time by category `
    + `(bench/profile-summary.ts; a frame of Node's core or a shared helper counts for the library that called it). ${words}\n\n`
    + `| category | share of CPU |\n| --- | --- |\n${rows}\n\n`
    + `The heaviest functions by self time: ${p.functions.slice(0, 8).map((f) => `${f.name} (${f.category}) ${pct(f.share)}`).join('; ')}.\n\n${CHANGED}\n`;
}

export async function benchScreen(): Promise<void> {
  const started = Date.now();
  const loadBefore = loadavg()[0];
  log(`screen bench: ${MEMBERS} members, ${CLIENTS} connections, ${SECONDS}s per run; ${machine()}`);
  const db = await benchDatabase('bench_screen');
  let app = null;
  let bare = null;
  try {
    log('seeding members (set-based), then the programme, benefits, tags and purchases through the app…');
    await seedMembers(db.url, MEMBERS);
    const ids = await memberIds(db.url, MEMBERS);
    const seeded = await seedScreens(db.url, ids);
    const data = await describeData(db.url);
    log(`${seeded.purchases} purchases; ${data}`);
    const tokens = await Promise.all(ids.map((sub) => mintToken(JWT_SECRET, { role: 'member', sub }, '2h')));

    const barePort = freePortSync();
    bare = await startBare(db.url, barePort, 'bare-screen.ts', { BARE_JWT_SECRET: JWT_SECRET });
    const bareUrl = `http://127.0.0.1:${barePort}/`;
    let port = freePortSync();
    app = await startApp(db.url, port);
    let appUrl = `http://127.0.0.1:${port}/graphql`;
    log(`comparing the app's and the bare handler's answers for ${SAMPLE} members…`);
    const differ = await checkAgreement(appUrl, bareUrl, tokens);
    if (differ) throw new Error(`${differ} of ${SAMPLE} answers differ between the app and the bare handler`);

    const load = async (label: string, url: string): Promise<LoadResult> => {
      log(`${label}…`);
      const r = await runLoad({
        label, url, connections: CLIENTS, seconds: SECONDS, warmupSeconds: WARMUP_SECONDS, body: () => ({ query: SCREEN_QUERY }),
        headers: () => ({ authorization: `Bearer ${tokens[Math.floor(Math.random() * tokens.length)]}` }),
      });
      log(`${label}: ${fmt(r.rps)} req/s, p50 ${fmt(r.p50)} ms, p99 ${fmt(r.p99)} ms, ${r.errors} errors`);
      if (r.firstError) log('first error:', r.firstError);
      return r;
    };
    // Bare, app, app, bare: a drift of the machine's other load over the runs weighs on both alike.
    const runs: LoadResult[] = [];
    for (const variant of ['bare', 'app', 'app', 'bare'] as const) {
      const n = runs.filter((r) => r.label.startsWith(variant === 'bare' ? '(b)' : '(a)')).length + 1;
      runs.push(variant === 'bare'
        ? await load(`(b) bare node:http + jose + pg, run ${n}`, bareUrl)
        : await load(`(a) app, run ${n}`, appUrl));
    }
    await stopChild(bare);
    bare = null;
    await stopChild(app);
    app = null;
    const mean = (prefix: string, f: (r: LoadResult) => number) => {
      const of = runs.filter((r) => r.label.startsWith(prefix));
      return of.reduce((sum, r) => sum + f(r), 0) / of.length;
    };
    const a = { rps: mean('(a)', (r) => r.rps), p50: mean('(a)', (r) => r.p50), p99: mean('(a)', (r) => r.p99) };
    const b = { rps: mean('(b)', (r) => r.rps), p50: mean('(b)', (r) => r.p50), p99: mean('(b)', (r) => r.p99) };
    const pairs = [runs[1].rps / runs[0].rps, runs[2].rps / runs[3].rps];

    let profile: { summary: ProfileSummary; run: LoadResult } | null = null;
    if (PROFILE_DIR) {
      mkdirSync(PROFILE_DIR, { recursive: true });
      const before = new Set(readdirSync(PROFILE_DIR));
      port = freePortSync();
      app = await startApp(db.url, port, {}, ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`]);
      appUrl = `http://127.0.0.1:${port}/graphql`;
      const fromUs = Number(process.hrtime.bigint() / 1000n) + WARMUP_SECONDS * 1e6;
      const run = await load('(a) app under --cpu-prof', appUrl);
      const window = { fromUs, toUs: Number(process.hrtime.bigint() / 1000n) };
      await stopChild(app);
      app = null;
      const file = readdirSync(PROFILE_DIR).find((f) => f.endsWith('.cpuprofile') && !before.has(f));
      if (!file) throw new Error(`no .cpuprofile written to ${PROFILE_DIR}`);
      log(`profile: ${join(PROFILE_DIR, file)}`);
      profile = { summary: summarizeProfile(join(PROFILE_DIR, file), window), run };
      log(`summary: npx ts-node --transpile-only bench/profile-summary.ts ${join(PROFILE_DIR, file)} ${window.fromUs} ${window.toUs}`);
    }
    const broken = await ledgerInvariantsBroken(db.url);

    const table = ['| variant | req/s | p50 ms | p99 ms | errors |', '| --- | --- | --- | --- | --- |',
      ...runs.map((r) => `| ${r.label} | ${fmt(r.rps)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${r.errors} |`)].join('\n');
    const section = `## Member screen\n\n${new Date().toISOString().slice(0, 10)}, \`npm run bench -- screen\` (${MEMBERS.toLocaleString('en')} members, `
      + `each request a random member's token, ${CLIENTS} connections, ${SECONDS} s per run after a 3 s warm-up), ${machine()}, embedded PostgreSQL 17 on the same machine. `
      + `The app and the bare handler run in child processes, loaded one at a time in the order bare, app, app, bare; the same Node closed-loop client loads both with the same body:\n\n\`\`\`graphql\n${SCREEN_QUERY}\n\`\`\`\n\n`
      + `The bare handler (bench/bare-screen.ts) verifies each token with jose (HS256, no cache) and answers with one \`json_build_object\` statement on the same tables. `
      + `Data: ${MEMBERS.toLocaleString('en')} members, ${seeded.purchases.toLocaleString('en')} purchases through \`recordPurchase\` (some a year old), ${data}. `
      + `Before timing, the app's and the bare handler's answers were compared for ${SAMPLE} members: ${differ} differ.\n\n${table}\n\n`
      + `- Member screen: app / bare = **${fmt(a.rps / b.rps, 2)}** (target ≥ 0.40), the mean of the app's two runs over the mean of the bare handler's `
      + `(each run next to the other's: ${pairs.map((x) => fmt(x, 2)).join(' and ')}); mean p50 ${fmt(a.p50)} ms, p99 ${fmt(a.p99)} ms vs bare ${fmt(b.p50)} ms, ${fmt(b.p99)} ms; `
      + `errors ${runs.reduce((sum, r) => sum + r.errors, 0)}. `
      + `The app sends one statement per request (test/e2e/statement-counts.test.ts pins it).\n`
      + `- Members whose ledger invariants (balance = Σ live lot remaining = Σ transaction amounts) fail afterwards: ${broken}.\n\n`
      + (profile ? profileText(profile.summary, profile.run) + '\n' : '')
      + `Wall time of the whole run: ${((Date.now() - started) / 60000).toFixed(1)} min; the machine's load average (1 min) ${loadBefore.toFixed(1)} at the start, `
      + `${loadavg()[0].toFixed(1)} at the end (other work shared its 2 cores: the figures are noisy).\n`;
    console.log('\n' + section);
    writeSection('Member screen', section);
  } finally {
    await stopChild(app);
    await stopChild(bare);
    await db.stop();
  }
}
