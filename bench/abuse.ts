// npm run bench -- abuse: members loading their home screen, alone and then while 16 more
// connections send the worst documents of test/support/abuse-documents.ts in a loop. Reports
// member throughput under attack as a share of without, /healthz latency during the attack,
// the server's RSS growth, and what each document was answered with.
import { readFileSync } from 'node:fs';
import { fork, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { mintToken } from '../src/api/auth';
import { abuseDocuments } from '../test/support/abuse-documents';
import { MEMBER_HOME } from '../test/support/operations';
import { freePortSync } from './ports';
import { ATTACKERS, type AttackReport, type ProbeReport } from './abuse-clients';
import { benchDatabase, benchInt, JWT_SECRET, log, machine, memberIds, ROOT, seedMembers, sql, startApp, stopChild } from './lib';
import { runLoad, type LoadResult } from './load';
import { writeSection } from './report';

const MEMBERS = benchInt('BENCH_MEMBERS', 1_000_000);
const SECONDS = benchInt('BENCH_SECONDS', 15);
const CLIENTS = 32;
/** Members whose tokens the load uses (each with a page of history). */
const SAMPLE = Math.min(MEMBERS, 10_000);
const HISTORY = 25;
/** Rounds of (members alone, members attacked), then members alone once more. */
const ROUNDS = 3;

/** Each sampled member gets HISTORY earn transactions, the last one's balance in its account. */
async function seedHistory(url: string) {
  await sql(url, `insert into point_transaction (member_id, type, amount, balance_after, occurred_at, reason, unrecovered, created_at)
    select b.id, 'EARN', 10, 10 * g, now() - ((${HISTORY} - g) || ' days')::interval, 'bench', 0, now()
    from bench_member b, generate_series(1, ${HISTORY}) g where b.n <= $1`, [SAMPLE]);
  await sql(url, `insert into point_lot (member_id, transaction_id, points, remaining, earned_at, activates_at, expires_at)
    select member_id, id, amount, amount, occurred_at, occurred_at, now() + interval '2 years' from point_transaction where reason = 'bench'`);
  await sql(url, `update point_account a set balance = ${10 * HISTORY}, lifetime_earned = ${10 * HISTORY} from bench_member b where b.id = a.member_id and b.n <= $1`, [SAMPLE]);
  await sql(url, 'vacuum analyze');
}

function rssMb(child: ChildProcess): number {
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/** Starts bench/abuse-clients.ts as `kind` against the server; `stop` ends it and returns its report. */
async function clients<R>(kind: 'healthz' | 'attack', port: number): Promise<{ stop: () => Promise<R> }> {
  const child = fork(resolve(__dirname, 'abuse-clients.ts'), [kind, String(port)], {
    cwd: ROOT, execArgv: ['-r', 'ts-node/register/transpile-only'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise<void>((ready, reject) => {
    child.once('message', () => ready());
    child.once('exit', (code) => reject(new Error(`abuse-clients ${kind} exited ${code}`)));
  });
  return {
    stop: () => new Promise<R>((done) => {
      child.once('message', (report) => done(report as R));
      child.send('stop');
    }),
  };
}

interface Phase { label: string; attacked: boolean; result: LoadResult; healthz: number[]; rssPeak: number }

/** One run of the member load, with or without the attackers, and what /healthz and RSS did meanwhile. */
async function phase(app: ChildProcess, port: number, load: (label: string) => Promise<LoadResult>, label: string,
  answers: Map<string, Map<string, number>> | null): Promise<Phase> {
  log(`${label}…`);
  // RSS moves by tens of MB with the collector's timing: peaks are compared, sampled every 250 ms.
  let rssPeak = rssMb(app);
  const sampler = setInterval(() => { rssPeak = Math.max(rssPeak, rssMb(app)); }, 250);
  const attackers = answers ? await clients<AttackReport>('attack', port) : null;
  const healthz = await clients<ProbeReport>('healthz', port);
  const result = await load(label);
  const latencies = (await healthz.stop()).latencies.sort((a, b) => a - b);
  for (const [name, counts] of (await attackers?.stop())?.answers ?? []) {
    const total = answers!.get(name) ?? new Map<string, number>();
    for (const [code, n] of counts) total.set(code, (total.get(code) ?? 0) + n);
    answers!.set(name, total);
  }
  clearInterval(sampler);
  log(`${label}: ${result.rps.toFixed(1)} req/s, p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms, ${result.errors} errors`);
  if (result.firstError) log('first error:', result.firstError);
  return { label, attacked: !!answers, result, healthz: latencies, rssPeak: Math.max(rssPeak, rssMb(app)) };
}

const fmt = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '–');
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function report(phases: Phase[], answers: Map<string, Map<string, number>>, started: number): string {
  const alone = phases.filter((p) => !p.attacked);
  const attacked = phases.filter((p) => p.attacked);
  const sorted = (ps: Phase[]) => ps.flatMap((p) => p.healthz).sort((a, b) => a - b);
  const during = sorted(attacked);
  const quiet = sorted(alone);
  const share = (mean(attacked.map((p) => p.result.rps)) / mean(alone.map((p) => p.result.rps))) * 100;
  const rssGrowth = Math.max(...attacked.map((p) => p.rssPeak)) - Math.max(...alone.map((p) => p.rssPeak));
  const expected = new Map(abuseDocuments.map((d) => [d.name, d.expect]));
  let unexpected = 0;
  let total = 0;
  const rows = abuseDocuments.map(({ name }) => {
    const counts = answers.get(name) ?? new Map<string, number>();
    const n = [...counts.values()].reduce((a, b) => a + b, 0);
    const refused = counts.get(expected.get(name)!) ?? 0;
    total += n;
    unexpected += n - refused;
    const other = [...counts].filter(([code]) => code !== expected.get(name)).map(([code, k]) => `${code} ${k}`).join(', ');
    return `| ${name} | ${expected.get(name)} | ${refused.toLocaleString('en')} | ${other || '–'} |`;
  });
  const table = [
    '| run | member req/s | p50 ms | p99 ms | errors | /healthz p99 ms | RSS peak MB |', '| --- | --- | --- | --- | --- | --- | --- |',
    ...phases.map((p) => `| ${p.label} | ${fmt(p.result.rps)} | ${fmt(p.result.p50)} | ${fmt(p.result.p99)} | ${p.result.errors} | ${fmt(percentile(p.healthz, 99))} | ${fmt(p.rssPeak, 0)} |`),
  ].join('\n');
  const summary = [
    `- Member throughput under attack: **${fmt(share, 0)}%** of without (target ≥ 80%): the mean of the attacked runs over the mean of the runs alone.`,
    `- /healthz during the attacks: p50 ${fmt(percentile(during, 50))} ms, **p99 ${fmt(percentile(during, 99))} ms** (target < 50 ms), max ${fmt(during.at(-1) ?? NaN)} ms; with members alone p99 ${fmt(percentile(quiet, 99))} ms.`,
    `- Server RSS: highest peak under attack minus highest peak alone, **${fmt(rssGrowth, 0)} MB** (target < 100 MB).`,
    `- Abuse documents answered: ${total.toLocaleString('en')}, of which not with their expected refusal: **${unexpected}**.`,
  ].join('\n');
  const refusedTable = ['| document | refused with | refused | other answers |', '| --- | --- | --- | --- |', ...rows].join('\n');
  return `## Abuse\n\n${new Date().toISOString().slice(0, 10)}, \`npm run bench -- abuse\` (${MEMBERS.toLocaleString('en')} members; ${CLIENTS} connections load the member app's home screen (\`MEMBER_HOME\` in test/support/operations.ts: tier, progress, balance and a page of ${HISTORY} transactions' history) with the tokens of ${SAMPLE.toLocaleString('en')} members, ${SECONDS} s per run after a 3 s warm-up, after a run not counted; runs alone alternate with runs where ${ATTACKERS} more anonymous connections send the ${abuseDocuments.length} documents of test/support/abuse-documents.ts in turn, each with a comment of its own so that no cache of a text helps), ${machine()}, NODE_ENV=production with the default limits, embedded PostgreSQL 17 on the same machine. The member load runs in the bench's process, the attackers and the /healthz probe in a process each, all on the same cores as the server and the database.\n\n${table}\n\n${summary}\n\n${refusedTable}\n\nWall time of the whole run: ${((Date.now() - started) / 60000).toFixed(1)} min.\n`;
}

export async function benchAbuse(): Promise<void> {
  const started = Date.now();
  log(`abuse bench: ${MEMBERS} members (${SAMPLE} with tokens and ${HISTORY} transactions), ${CLIENTS} member connections, ${ATTACKERS} attackers, ${SECONDS}s per run; ${machine()}`);
  const db = await benchDatabase('bench_abuse');
  let app: ChildProcess | null = null;
  try {
    log('seeding members and history (set-based)…');
    await seedMembers(db.url, MEMBERS);
    await seedHistory(db.url);
    const ids = await memberIds(db.url, SAMPLE);
    const tokens = await Promise.all(ids.map((sub) => mintToken(JWT_SECRET, { role: 'member', sub })));

    const port = freePortSync();
    // The limits at their defaults (lib's startApp raises the cost limit for the other benches).
    app = await startApp(db.url, port, { MAX_QUERY_COST: '5000' });
    const url = `http://127.0.0.1:${port}/graphql`;
    const load = (label: string) => runLoad({
      label, url, connections: CLIENTS, seconds: SECONDS,
      body: () => ({ query: MEMBER_HOME }),
      headers: (w, i) => ({ authorization: `Bearer ${tokens[(w * 7919 + i) % tokens.length]}` }),
    });
    log('warming up (members alone, not counted)…');
    await load('warm-up');
    // Runs alone and attacked alternate, so that the drift of a shared machine falls on both.
    const answers = new Map<string, Map<string, number>>();
    const phases: Phase[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      phases.push(await phase(app, port, load, `(${round}a) members alone`, null));
      phases.push(await phase(app, port, load, `(${round}b) members + ${ATTACKERS} attackers`, answers));
    }
    phases.push(await phase(app, port, load, `(${ROUNDS + 1}a) members alone`, null));
    const section = report(phases, answers, started);
    console.log('\n' + section);
    writeSection('Abuse', section);
  } finally {
    await stopChild(app);
    await db.stop();
  }
}
