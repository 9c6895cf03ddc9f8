// npm run bench -- campaigns: purchase throughput through the app (GraphQL recordPurchase,
// random members) with no campaign active (the baseline), with one PURCHASE campaign active
// without a budget, and with one whose budget is taken by every purchase (issue 24's goal:
// ≥ 80% of none). The variants alternate in rounds on one app and one database, so the
// machine's noise falls on all of them alike; each figure is the median of its rounds.
import { Client } from 'pg';
import { parentOf, treeCpuSeconds } from './cpu';
import { freePortSync } from './ports';
import { benchDatabase, benchInt, log, machine, seedMembers, serviceToken, sql, startApp, stopChild } from './lib';
import { runLoad } from './load';
import { writeSection } from './report';

const MEMBERS = benchInt('BENCH_MEMBERS', 100_000);
const SECONDS = benchInt('BENCH_SECONDS', 6);
const ROUNDS = benchInt('BENCH_ROUNDS', 10);
const CLIENTS = 32;
const PURCHASE = `mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) { pointsEarned bonusPoints transaction { id balanceAfter } } }`;

const VARIANTS = {
  none: 'no campaign active',
  open: 'one PURCHASE campaign (bonus 10, control 10%), no budget',
  budgeted: 'one PURCHASE campaign (bonus 10, control 10%), budgetPoints 2,000,000,000',
  audience: 'the budgeted campaign with an audience (segment filter minBalance ≥ 0: every member, evaluated per purchase)',
} as const;
type Variant = keyof typeof VARIANTS;

/** One GraphQL call as the console makes it (an admin token); a GraphQL error stops the bench. */
async function admin(url: string, token: string, query: string, variables: Record<string, unknown>) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
  const json = (await res.json()) as { data?: unknown; errors?: unknown };
  if (json.errors) throw new Error(`${query.slice(0, 40)}…: ${JSON.stringify(json.errors)}`);
  return json.data;
}

const code = (v: Variant) => `BENCH_${v.toUpperCase()}`;

/**
 * The campaigns as an operator makes them: each written by upsertCampaign (a DRAFT, its window
 * opened a day ago) and, in turn, activated and paused by activateCampaign and pauseCampaign. An
 * activation assigns every member its audience holds to an arm (as the product does), so a
 * purchase finds its member's arm; a member new to the campaign after it (none here) would be
 * assigned by the purchase.
 */
async function createCampaigns(url: string, token: string) {
  const startsAt = new Date(Date.now() - 86_400_000).toISOString();
  for (const v of Object.keys(VARIANTS) as Variant[]) {
    if (v === 'none') continue;
    await admin(url, token, 'mutation($input: CampaignInput!) { upsertCampaign(input: $input) { code } }', {
      input: {
        code: code(v), name: code(v), trigger: 'PURCHASE', startsAt, bonusPoints: 10, controlPercent: 10,
        budgetPoints: v === 'open' ? null : 2_000_000_000, audience: v === 'audience' ? { minBalance: 0 } : null,
      },
    });
  }
}

/** Makes `v` the one ACTIVE campaign (none for `none`): the others paused, through the API. */
async function setVariant(url: string, token: string, v: Variant) {
  for (const other of Object.keys(VARIANTS) as Variant[]) {
    if (other === 'none' || other === v) continue;
    const { campaign } = (await admin(url, token, 'query($code: String!) { campaign(code: $code) { status } }', { code: code(other) })) as { campaign: { status: string } };
    if (campaign.status === 'ACTIVE') await admin(url, token, 'mutation($code: String!) { pauseCampaign(code: $code) { status } }', { code: code(other) });
  }
  if (v !== 'none') await admin(url, token, 'mutation($code: String!) { activateCampaign(code: $code) { status } }', { code: code(v) });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function benchCampaigns(): Promise<void> {
  log(`campaigns bench: ${MEMBERS} members, ${ROUNDS} rounds of ${SECONDS}s per variant, ${CLIENTS} clients; ${machine()}`);
  const db = await benchDatabase('bench_campaigns');
  await seedMembers(db.url, MEMBERS);
  const ids = (await sql(db.url, 'select id from bench_member order by n')).map((r) => r.id as string);
  const port = freePortSync();
  let app: Awaited<ReturnType<typeof startApp>> | null = null;
  type Rounds = { rps: number[]; p99: number[]; errors: number; cpu: number[]; appCpu: number[] };
  const results = Object.fromEntries((Object.keys(VARIANTS) as Variant[]).map((v): [Variant, Rounds] => [v, { rps: [], p99: [], errors: 0, cpu: [], appCpu: [] }])) as Record<Variant, Rounds>;
  // The server side's CPU (the app's process tree and PostgreSQL's) over each measured window, per
  // purchase: less noisy than throughput on a shared machine, and what the award costs in itself.
  const probe = new Client({ connectionString: db.url });
  await probe.connect();
  const postmaster = parentOf(Number((await probe.query('select pg_backend_pid() as pid')).rows[0].pid));
  await probe.end();
  let seq = 0;
  try {
    app = await startApp(db.url, port);
    const token = await serviceToken();
    const gqlUrl = `http://127.0.0.1:${port}/graphql`;
    const adminToken = await serviceToken('admin');
    await createCampaigns(gqlUrl, adminToken);
    // Round 0 warms the app, the database's caches and every variant's statements; it is not counted.
    for (let round = 0; round <= ROUNDS; round++) {
      if (round === 1) {
        // The tables as the warm-up left them analysed now: the seed analysed them empty, and the
        // statements' cached plans (sequential scans of purchase, point_lot, campaign_award …)
        // then held until autovacuum came round, two to four minutes in (rounds 1–4 of every
        // run before this ran at a quarter of the later rounds' rate, every variant alike).
        await sql(db.url, 'analyze');
      }
      // The variants' order turns each round, so that none always runs first.
      const names = Object.keys(VARIANTS) as Variant[];
      for (const v of names.map((_, i) => names[(i + round) % names.length])) {
        await setVariant(gqlUrl, adminToken, v);
        let appStart = NaN;
        let pgStart = NaN;
        let appSeconds = NaN;
        let pgSeconds = NaN;
        const appCpu = () => treeCpuSeconds(app?.pid) ?? NaN;
        const pgCpu = () => treeCpuSeconds(postmaster) ?? NaN;
        const r = await runLoad({
          onMeasure: {
            start: () => { appStart = appCpu(); pgStart = pgCpu(); },
            end: () => { appSeconds = appCpu() - appStart; pgSeconds = pgCpu() - pgStart; },
          },
          label: v, url: `http://127.0.0.1:${port}/graphql`, connections: CLIENTS, seconds: SECONDS, warmupSeconds: 2,
          headers: { authorization: `Bearer ${token}` },
          body: () => ({ query: PURCHASE, variables: { input: { memberId: ids[Math.floor(Math.random() * ids.length)], orderId: `b-${process.pid}-${++seq}`, amount: 10 } } }),
        });
        const perPurchase = (seconds: number) => ((seconds * 1000) / r.requests).toFixed(2);
        log(`round ${round} ${v}: ${r.rps.toFixed(0)} req/s, p99 ${r.p99.toFixed(1)} ms, CPU ms per purchase app ${perPurchase(appSeconds)} + PostgreSQL ${perPurchase(pgSeconds)}, ` +
          `${r.errors} errors${r.firstError ? ` (${r.firstError})` : ''}`);
        if (round === 0) continue;
        results[v].rps.push(r.rps);
        results[v].p99.push(r.p99);
        results[v].errors += r.errors;
        results[v].cpu.push(((appSeconds + pgSeconds) * 1000) / r.requests);
        results[v].appCpu.push((appSeconds * 1000) / r.requests);
      }
    }
    const errors = Object.values(results).reduce((t, r) => t + r.errors, 0);
    if (errors) throw new Error(`${errors} requests failed: no figures written`);
    // Arms: those the activations assigned, and those a purchase had to assign (a member the audience gained after them; none expected).
    const [given] = await sql(db.url, `select (select count(*)::int from campaign_award) as awards, (select count(*)::int from campaign_member where control) as control,
      (select count(*)::int from campaign_member) as arms,
      (select count(*)::int from campaign_member cm join campaign c on c.id = cm.campaign_id where cm.assigned_at > c.activated_at) as "armsByPurchases"`);
    // The budget's invariant, per budgeted campaign: what its slots lost = what its awards kept.
    const budgets = await sql(db.url, `select c.code, (c.budget_points - (select sum(remaining) from campaign_budget b where b.campaign_id = c.id))::int as spent,
      (select coalesce(sum(points - reversed_points + unrecovered_points + reward_points), 0)::int from campaign_award a where a.campaign_id = c.id) as "awardSum"
      from campaign c where c.budget_points is not null order by c.code`);
    const base = median(results.none.rps);
    // Paired: each round's ratio to the same round's baseline (the machine's load drifts between rounds, less within one).
    const paired = (v: Variant) => results[v].rps.map((r, i) => r / results.none.rps[i]);
    const rows = (Object.keys(VARIANTS) as Variant[]).map((v) => {
      const rps = median(results[v].rps);
      const p = paired(v);
      const cpu = median(results[v].cpu);
      const app = median(results[v].appCpu);
      return `| ${VARIANTS[v]} | ${(rps / base).toFixed(2)} | ${median(p).toFixed(2)} (${Math.min(...p).toFixed(2)}–${Math.max(...p).toFixed(2)}) | ${cpu.toFixed(2)} (app ${app.toFixed(2)}) | ${(median(results.none.cpu) / cpu).toFixed(2)} | ${median(results[v].p99).toFixed(1)} | ${results[v].errors} |`;
    });
    const section = `## Campaigns: purchases with a budgeted campaign active\n\n` +
      `\`npm run bench -- campaigns\`: GraphQL recordPurchase for random members of ${MEMBERS.toLocaleString('en')} (amount 10), ${CLIENTS} clients, ` +
      `${ROUNDS} rounds of ${SECONDS} s per variant after a warm-up round (the tables analysed after it), the variants alternating on one app and one database, their order turning each round, ` +
      `each campaign made and switched through the API (upsertCampaign, then activateCampaign and pauseCampaign: an activation assigns every member an arm); throughput as the median round's ` +
      `ratio to the median round with no campaign (the issue's goal for the budgeted campaign: ≥ 0.80). ${machine()}.\n\n` +
      `| variant | throughput vs none (medians) | median of each round's ratio (min–max) | server CPU ms per purchase (app + PostgreSQL, median round; the app's median alone) | none's CPU / this CPU | p99 ms (median round) | errors |\n|---|---|---|---|---|---|---|\n${rows.join('\n')}\n\n` +
      `After the run: ${given.awards} awards; ${given.arms} arms (${given.control} in control), ${given.armsByPurchases} of them assigned by a purchase; ` +
      `${budgets.map((b) => `${b.code}: budget − Σ slots = ${b.spent}, Σ (points − reversed + unrecovered + reward points) of its awards = ${b.awardSum}`).join('; ')} (the invariant: equal).\n`;
    writeSection('Campaigns: purchases with a budgeted campaign active', section);
    console.log(section);
  } finally {
    await stopChild(app);
    await db.stop();
  }
}
