// npm run bench -- check-in: 1,000 members checking in at once just after a local midnight
// (issue 25): throughput, p99 and exactly one check-in each. The server's clock cannot be
// moved (the app runs as in production, in a child process), so the programme's zone is
// chosen so that the run starts just after a local midnight: a whole-hour Etc/GMT zone where
// it is 00:MM now. Every member checked in yesterday (local), with streaks of 1 to 10 days,
// so today's check-in continues a streak and earns by its day. The baseline, measured in the
// same run: the same 1,000 member tokens at once with a trivial authenticated query
// (`{ me { id } }`: the token checked, one read of the member). Each round takes 1,000 members
// not yet checked in today; a warm-up burst of the baseline goes first in each round, so both
// measured bursts find the tokens verified (the server remembers a verified token for a
// minute). Rounds alternate baseline and check-in; figures are medians of rounds, as ratios.
import http from 'node:http';
import { loadavg } from 'node:os';
import { mintToken } from '../src/api/auth';
import { dayNumber, dayOfNumber, localDate } from '../src/common/local-time.rules';
import { freePortSync } from './ports';
import { benchDatabase, benchInt, JWT_SECRET, log, machine, seedMembers, sql, startApp, stopChild } from './lib';
import { post } from './load';
import { writeSection } from './report';

const BURST = benchInt('BENCH_BURST', 1000);
const ROUNDS = benchInt('BENCH_ROUNDS', 5);
const CHECK_IN_POINTS = [5, 5, 10, 10, 15, 15, 30];
const CHECK_IN = `mutation($id: ID!) { checkIn(memberId: $id) { streak pointsEarned alreadyCheckedIn } }`;
const ME = `{ me { id } }`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

/** The whole-hour zone where it is just after midnight now (Etc/GMT-N is UTC+N). */
function zoneAtMidnight(now: Date): string {
  const h = now.getUTCHours();
  const offset = h <= 12 ? -h : 24 - h;
  return offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}

interface Burst { seconds: number; p99: number; p50: number; errors: number; firstError?: string; answers: string[] }

/** Every request at once, one socket each; the burst's wall time and each request's latency. */
async function burst(url: string, requests: { body: unknown; token: string }[]): Promise<Burst> {
  const agent = new http.Agent({ keepAlive: false, maxSockets: requests.length });
  const latencies: number[] = [];
  const answers: string[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const t0 = process.hrtime.bigint();
  await Promise.all(requests.map(async (r, i) => {
    const started = process.hrtime.bigint();
    const res = await post(url, r.body, { authorization: `Bearer ${r.token}` }, agent).catch((e) => ({ status: 0, text: String(e) }));
    latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
    answers[i] = res.text;
    if (res.status !== 200 || res.text.includes('"errors"')) {
      errors++;
      firstError ??= `${res.status} ${res.text.slice(0, 300)}`;
    }
  }));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  agent.destroy();
  const sorted = latencies.sort((a, b) => a - b);
  return { seconds, p99: percentile(sorted, 99), p50: percentile(sorted, 50), errors, firstError, answers };
}

export async function benchCheckIn(): Promise<void> {
  const members = BURST * (ROUNDS + 1);
  log(`check-in bench: ${ROUNDS} rounds (after a warm-up round) of ${BURST} members at once; ${machine()}`);
  const db = await benchDatabase('bench_check_in');
  await seedMembers(db.url, members);
  const zone = zoneAtMidnight(new Date());
  await sql(db.url, `update program set time_zone = $1, check_in_points = $2 where id = 1`, [zone, CHECK_IN_POINTS]);
  const today = localDate(new Date(), zone);
  const yesterday = dayOfNumber(dayNumber(today) - 1);
  // Yesterday's check-ins (bench data, no points): streaks of 1 to 10 days going on.
  await sql(db.url, `insert into check_in (member_id, day, streak, points, checked_in_at)
    select id, $1::date, 1 + n % 10, 0, now() - interval '1 day' from bench_member`, [yesterday]);
  const ids = (await sql(db.url, 'select id from bench_member order by n')).map((r) => r.id as string);
  const tokens = await Promise.all(ids.map((id) => mintToken(JWT_SECRET, { role: 'member', sub: id })));
  const port = freePortSync();
  const url = `http://127.0.0.1:${port}/graphql`;
  const loadAtStart = loadavg()[0];
  const startedLocal = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date());
  log(`programme zone ${zone}: local time ${startedLocal} on ${today}`);
  let app: Awaited<ReturnType<typeof startApp>> | null = null;
  const results = { baseline: { rps: [] as number[], p99: [] as number[] }, checkIn: { rps: [] as number[], p99: [] as number[] } };
  let errors = 0;
  try {
    app = await startApp(db.url, port);
    for (let round = 0; round <= ROUNDS; round++) {
      const set = ids.slice(round * BURST, (round + 1) * BURST).map((id, i) => ({ id, token: tokens[round * BURST + i] }));
      await burst(url, set.map((m) => ({ body: { query: ME }, token: m.token }))); // tokens verified, connections warm
      const base = await burst(url, set.map((m) => ({ body: { query: ME }, token: m.token })));
      const checkIn = await burst(url, set.map((m) => ({ body: { query: CHECK_IN, variables: { id: m.id } }, token: m.token })));
      log(`round ${round}: baseline ${(BURST / base.seconds).toFixed(0)} req/s, p99 ${base.p99.toFixed(0)} ms; ` +
        `check-in ${(BURST / checkIn.seconds).toFixed(0)} req/s, p99 ${checkIn.p99.toFixed(0)} ms; errors ${base.errors + checkIn.errors}` +
        `${base.firstError ?? checkIn.firstError ? ` (${base.firstError ?? checkIn.firstError})` : ''}`);
      const fresh = checkIn.answers.filter((a) => a.includes('"alreadyCheckedIn":false')).length;
      if (fresh !== BURST - checkIn.errors) throw new Error(`round ${round}: ${fresh} first check-ins of ${BURST}`);
      if (round === 0) continue;
      errors += base.errors + checkIn.errors;
      results.baseline.rps.push(BURST / base.seconds);
      results.baseline.p99.push(base.p99);
      results.checkIn.rps.push(BURST / checkIn.seconds);
      results.checkIn.p99.push(checkIn.p99);
    }
    if (errors) throw new Error(`${errors} requests failed: no figures written`);
    // Every member again, at once: all repeats, nothing written.
    const all = ids.map((id, i) => ({ body: { query: CHECK_IN, variables: { id } }, token: tokens[i] }));
    const again: string[] = [];
    for (let i = 0; i < all.length; i += BURST) again.push(...(await burst(url, all.slice(i, i + BURST))).answers);
    const repeats = again.filter((a) => a.includes('"alreadyCheckedIn":true')).length;
    const [check] = await sql(db.url, `select
        (select count(*)::int from check_in where day = $1::date) as rows,
        (select count(*)::int from (select member_id from check_in where day = $1::date group by member_id having count(*) <> 1) x) as "notOnce",
        (select count(*)::int from point_transaction where type = 'CHECK_IN' and reference = $2) as transactions,
        (select count(distinct member_id)::int from point_transaction where type = 'CHECK_IN' and reference = $2) as "transactionMembers",
        (select count(*)::int from check_in c where day = $1::date and c.streak <> 1 + (select y.streak from check_in y where y.member_id = c.member_id and y.day = $1::date - 1)) as "badStreaks"`,
    [today, today]);
    log(`after the run: ${JSON.stringify(check)}, repeats answered alreadyCheckedIn: ${repeats} of ${members}`);
    if (check.rows !== members || check.notOnce !== 0 || check.transactions !== members || check.transactionMembers !== members || check.badStreaks !== 0 || repeats !== members) {
      throw new Error(`not exactly one check-in each: ${JSON.stringify(check)}, ${repeats} repeats of ${members}`);
    }
    const paired = results.checkIn.rps.map((r, i) => r / results.baseline.rps[i]);
    const p99Ratio = results.checkIn.p99.map((p, i) => p / results.baseline.p99[i]);
    const section = `## Check-in: 1,000 members at once at local midnight\n\n` +
      `\`npm run bench -- check-in\`: ${BURST.toLocaleString('en')} members (each its own member token) send checkIn at the same moment, ` +
      `one request each, ${ROUNDS} rounds after a warm-up round, each round with ${BURST.toLocaleString('en')} members not yet checked in today ` +
      `(all checked in yesterday: streaks of 1 to 10 go on). The server's clock is not moved: the programme's zone is set so that the run starts just after ` +
      `a local midnight (${zone}, local ${startedLocal} at the start). Baseline in the same rounds: the same ${BURST.toLocaleString('en')} tokens at once ` +
      `with \`{ me { id } }\` (the token checked, one read). Throughput = ${BURST.toLocaleString('en')} ÷ the burst's wall time; one server process, defaults ` +
      `(6 requests in progress, the rest queued: a request's latency is mostly its wait in the queue, so p99 is close to the burst's length). ` +
      `${machine()}; load average ${loadAtStart.toFixed(1)} at the start (other work on the machine).\n\n` +
      `| burst of ${BURST.toLocaleString('en')} | throughput (median round) | p99 ms (median round) |\n|---|---|---|\n` +
      `| baseline \`{ me { id } }\` | 1.00 (${median(results.baseline.rps).toFixed(0)} req/s) | ${median(results.baseline.p99).toFixed(0)} |\n` +
      `| checkIn | ${(median(results.checkIn.rps) / median(results.baseline.rps)).toFixed(2)} of the baseline (each round's ratio: median ${median(paired).toFixed(2)}, ` +
      `${Math.min(...paired).toFixed(2)}–${Math.max(...paired).toFixed(2)}) | ${median(results.checkIn.p99).toFixed(0)} (${median(p99Ratio).toFixed(1)}× the baseline's) |\n\n` +
      `After the run: ${check.rows} check-in rows today for ${members} members, none twice; ${check.transactions} CHECK_IN transactions ` +
      `(${check.transactionMembers} members); every streak one more than yesterday's; all ${members} checked in again at once: ${repeats} answered alreadyCheckedIn, nothing written.\n`;
    writeSection('Check-in: 1,000 members at once at local midnight', section);
    console.log(section);
  } finally {
    await stopChild(app);
    await db.stop();
  }
}
