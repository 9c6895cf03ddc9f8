// npm run bench -- referrals: purchase throughput through the app (GraphQL recordPurchase, 32
// clients) for members without a pending referral (the baseline: what every purchase pays for
// the referral check, one index probe inside its one statement) and for members whose purchase
// completes their referral (guards, both sides' REFERRAL transactions and lots, in the same
// statement). The variants alternate in rounds on one app and one database; each figure is the
// median of its rounds, and each round's ratio to the same round's baseline.
import { freePortSync } from './ports';
import { benchDatabase, benchInt, log, machine, seedMembers, serviceToken, sql, startApp, stopChild } from './lib';
import { runLoad } from './load';
import { writeSection } from './report';

const MEMBERS = benchInt('BENCH_MEMBERS', 200_000);
const SECONDS = benchInt('BENCH_SECONDS', 6);
const ROUNDS = benchInt('BENCH_ROUNDS', 8);
const CLIENTS = 32;
const PURCHASE = `mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) { pointsEarned transaction { id balanceAfter } } }`;

const VARIANTS = {
  none: 'members without a pending referral',
  completing: 'each purchase completes its member\'s referral (200 + 100 points, pending 7 days)',
} as const;
type Variant = keyof typeof VARIANTS;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * The second half of the members are referees of the first half, each with a PENDING referral:
 * the completed ones replaced by fresh PENDING rows (new ids, so new ledger keys) before each
 * completing round. The ledger keeps what earlier rounds wrote.
 */
async function freshReferrals(url: string, half: number) {
  await sql(url, `delete from referral where status <> 'PENDING'`);
  await sql(url, `insert into referral (referrer_id, referee_id, created_at)
    select r.id, e.id, now() from bench_member e join bench_member r on r.n = e.n - $1 where e.n > $1
    on conflict (referee_id) do nothing`, [half]);
}

export async function benchReferrals(): Promise<void> {
  log(`referrals bench: ${MEMBERS} members, ${ROUNDS} rounds of ${SECONDS}s per variant, ${CLIENTS} clients; ${machine()}`);
  const db = await benchDatabase('bench_referrals');
  await seedMembers(db.url, MEMBERS);
  const half = Math.floor(MEMBERS / 2);
  const ids = (await sql(db.url, 'select id from bench_member order by n')).map((r) => r.id as string);
  const port = freePortSync();
  let app: Awaited<ReturnType<typeof startApp>> | null = null;
  const results: Record<Variant, { rps: number[]; p99: number[]; errors: number; requests: number }> = {
    none: { rps: [], p99: [], errors: 0, requests: 0 }, completing: { rps: [], p99: [], errors: 0, requests: 0 },
  };
  let completed = 0;
  let seq = 0;
  try {
    app = await startApp(db.url, port);
    await sql(db.url, 'update program set referrer_points = 200, referee_points = 100, referral_hold_days = 7, referral_monthly_limit = 0');
    const token = await serviceToken();
    // Round 0 warms the app, the database's caches and both variants' statements; it is not counted.
    for (let round = 0; round <= ROUNDS; round++) {
      for (const v of Object.keys(VARIANTS) as Variant[]) {
        if (v === 'completing') await freshReferrals(db.url, half);
        let next = 0;
        // none: random referrers (the first half: no referral of their own); completing: each referee once, in turn
        const member = () => (v === 'none' ? ids[Math.floor(Math.random() * half)] : ids[half + (next++ % (ids.length - half))]);
        const r = await runLoad({
          label: v, url: `http://127.0.0.1:${port}/graphql`, connections: CLIENTS, seconds: SECONDS, warmupSeconds: 1,
          headers: { authorization: `Bearer ${token}` },
          body: () => ({ query: PURCHASE, variables: { input: { memberId: member(), orderId: `b-${process.pid}-${++seq}`, amount: 10 } } }),
        });
        const [{ n }] = v === 'completing' ? await sql(db.url, `select count(*)::int as n from referral where status = 'COMPLETED'`) : [{ n: 0 }];
        log(`round ${round} ${v}: ${r.rps.toFixed(0)} req/s, p99 ${r.p99.toFixed(1)} ms, ${r.errors} errors${r.firstError ? ` (${r.firstError})` : ''}` +
          (v === 'completing' ? `, ${n} referrals completed of ${next} purchases` : ''));
        if (next > ids.length - half) throw new Error(`the completing round ran out of referees (${next} purchases, ${ids.length - half} referees): raise BENCH_MEMBERS`);
        if (round === 0) continue;
        results[v].rps.push(r.rps);
        results[v].p99.push(r.p99);
        results[v].errors += r.errors;
        results[v].requests += next;
        completed += n;
      }
    }
    const errors = results.none.errors + results.completing.errors;
    if (errors) throw new Error(`${errors} requests failed: no figures written`);
    const [ledger] = await sql(db.url, `select count(*)::int as drift from point_account a
      where a.balance <> coalesce((select sum(t.amount) from point_transaction t where t.member_id = a.member_id), 0)`);
    const base = median(results.none.rps);
    const paired = results.completing.rps.map((r, i) => r / results.none.rps[i]);
    const row = (v: Variant, ratio: string) => `| ${VARIANTS[v]} | ${(median(results[v].rps)).toFixed(0)} | ${ratio} | ${median(results[v].p99).toFixed(1)} | ${results[v].errors} |`;
    const section = `## Referrals: purchases that complete a referral\n\n` +
      `\`npm run bench -- referrals\`: GraphQL recordPurchase (amount 10), ${CLIENTS} clients, ${ROUNDS} rounds of ${SECONDS} s per variant after a warm-up round, ` +
      `the variants alternating on one app and one database (${MEMBERS.toLocaleString('en')} members, the second half referees of the first). ` +
      `Every purchase is one statement either way (statement-counts.test.ts pins it). ${machine()}.\n\n` +
      `| variant | req/s (median round) | vs none: median of each round's ratio (min–max) | p99 ms (median round) | errors |\n|---|---|---|---|---|\n` +
      `${row('none', '1.00')}\n${row('completing', `${median(paired).toFixed(2)} (${Math.min(...paired).toFixed(2)}–${Math.max(...paired).toFixed(2)}); medians ${(median(results.completing.rps) / base).toFixed(2)}`)}\n\n` +
      `The counted completing rounds completed ${completed.toLocaleString('en')} referrals in ${results.completing.requests.toLocaleString('en')} purchases ` +
      `(each round's purchases go to fresh referees); accounts whose balance is not Σ transactions after the run: ${ledger.drift}.\n`;
    writeSection('Referrals: purchases that complete a referral', section);
    console.log(section);
  } finally {
    await stopChild(app);
    await db.stop();
  }
}
