// npm run bench -- imports: bulk imports against a bare COPY of the same files, and earn mode
// against recordPurchase over HTTP, in one run. BENCH_MEMBERS, BENCH_PURCHASES, BENCH_EARN scale it.
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { benchDatabase, benchInt, log, machine, serviceToken, sql, startApp, stopChild } from './lib';
import { writeSection } from './report';

const MEMBERS = benchInt('BENCH_MEMBERS', 1_000_000);
const PURCHASES = benchInt('BENCH_PURCHASES', 10_000_000);
const EARN = benchInt('BENCH_EARN', 20_000);
const PORT = 4610;
const DAY = 86_400_000;

async function writeFile(path: string, header: string, n: number, row: (i: number) => string): Promise<void> {
  const out = createWriteStream(path);
  if (header) out.write(header + '\n');
  for (let i = 0; i < n; i += 10_000) {
    let chunk = '';
    for (let j = i; j < Math.min(n, i + 10_000); j++) chunk += row(j) + '\n';
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** A deterministic spread: member j's purchases over the last three years. */
const purchaseRow = (prefix: string, members: number, now: number) => (i: number) => {
  const m = (i * 7919) % members;
  const at = new Date(now - ((i * 104729) % (3 * 365)) * DAY - (i % 86_400) * 1000).toISOString();
  return `${prefix}${i},m-${m},${(5 + (i % 300)).toFixed(2)},${at},${i % 50 === 0 ? '1.00' : ''}`;
};

async function bareCopy(url: string, members: string, purchases: string): Promise<number> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`create table bare_member (external_id text, display_name text, email text, region text)`);
    await c.query(`create table bare_purchase (order_id text, external_id text, amount text, occurred_at text, refunded_amount text)`);
    const t = Date.now();
    await pipeline(createReadStream(members), c.query(copyFrom(`copy bare_member from stdin with (format csv, header true)`)));
    await pipeline(createReadStream(purchases), c.query(copyFrom(`copy bare_purchase from stdin with (format csv, header true)`)));
    return (Date.now() - t) / 1000;
  } finally {
    await c.end();
  }
}

/** A member's id in the floor's typed rows (any fixed uuid per external id will do). */
const floorMemberId = (m: number) => `00000000-0000-4000-8000-${m.toString(16).padStart(12, '0')}`;

/** The purchases file's rows as the ledger stores them: purchase's columns, typed, and each one's qualifying entry. */
const typedPurchaseRow = (members: number, now: number) => {
  const row = purchaseRow('o-', members, now);
  return (i: number) => {
    const [orderId, , amount, at, refunded] = row(i).split(',');
    const cents = Math.round(Number(amount) * 100);
    const refundedCents = refunded ? Math.round(Number(refunded) * 100) : 0;
    const q = Math.floor(cents / 100);
    return `${orderId},${floorMemberId((i * 7919) % members)},${cents},${refundedCents},0,${q},${Math.floor((q * refundedCents) / cents)},${at},true,1,import`;
  };
};

/**
 * The floor: what writing the same purchases costs any import that keeps the ledger's shape, at
 * the least: the rows already typed (no parsing, no checks, no member lookup), COPYed into
 * tables made `like purchase` and `like qualifying_entry` with all their indexes, one
 * connection. Nothing an implementation can do in SQL writes these rows for less.
 */
async function floorCopy(url: string, purchases: string, entries: string): Promise<number> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`create table floor_purchase (like purchase including all)`);
    await c.query(`create table floor_qualifying_entry (like qualifying_entry including all)`);
    const t = Date.now();
    await pipeline(createReadStream(purchases), c.query(copyFrom(`copy floor_purchase (order_id, member_id, amount_cents, refunded_cents, earned_points,
      qualifying_points, reversed_qualifying, occurred_at, occurred_at_given, points_per_unit, source) from stdin with (format csv)`)));
    await pipeline(createReadStream(entries), c.query(copyFrom(`copy floor_qualifying_entry (member_id, occurred_at, points, source) from stdin with (format csv)`)));
    const seconds = (Date.now() - t) / 1000;
    await c.query(`drop table floor_purchase; drop table floor_qualifying_entry`);
    return seconds;
  } finally {
    await c.end();
  }
}

function upload(path: string, file: string, token: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(`http://127.0.0.1:${PORT}${path}`, { method: 'POST', headers: { 'content-type': 'text/csv', authorization: `Bearer ${token}` } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => { text += c; }).on('end', () => (res.statusCode === 202 ? resolve(JSON.parse(text).id) : reject(new Error(text))));
    });
    req.on('error', reject);
    createReadStream(file).pipe(req);
  });
}

async function gql(token: string, query: string, variables: Record<string, unknown> = {}): Promise<any> {
  const res = await fetch(`http://127.0.0.1:${PORT}/graphql`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }),
  });
  return res.json();
}

async function importAndWait(path: string, file: string, token: string): Promise<{ seconds: number; job: any }> {
  const t = Date.now();
  const id = await upload(path, file, token);
  for (;;) {
    const { data } = await gql(token, `query($id: ID!) { importJob(id: $id) { status rowsDone rowsRejected } }`, { id });
    if (data.importJob.status !== 'RUNNING') return { seconds: (Date.now() - t) / 1000, job: data.importJob };
    await new Promise((r) => setTimeout(r, 500));
  }
}

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

export async function benchImports(): Promise<void> {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'loyalty-imports-'));
  const now = Date.now() - DAY;
  const membersFile = join(dir, 'members.csv');
  const purchasesFile = join(dir, 'purchases.csv');
  const earnFile = join(dir, 'earn.csv');
  log(`writing ${MEMBERS} members, ${PURCHASES} purchases, ${EARN} earn purchases to ${dir}`);
  await writeFile(membersFile, 'externalId,displayName,email,region', MEMBERS, (i) => `m-${i},Member ${i},m${i}@example.com,r${i % 20}`);
  await writeFile(purchasesFile, 'orderId,externalId,amount,occurredAt,refundedAmount', PURCHASES, purchaseRow('o-', MEMBERS, now));
  // Earn: purchases of the last day (after the history), a refund on 1 in 50.
  await writeFile(earnFile, 'orderId,externalId,amount,occurredAt,refundedAmount', EARN,
    (i) => `e-${i},m-${(i * 7919) % MEMBERS},${(5 + (i % 300)).toFixed(2)},${new Date(now + 60_000 + (i % 80_000) * 1000).toISOString()},${i % 50 === 0 ? '1.00' : ''}`);
  const typedFile = join(dir, 'purchases-typed.csv');
  const entriesFile = join(dir, 'entries-typed.csv');
  const typed = typedPurchaseRow(MEMBERS, now);
  await writeFile(typedFile, '', PURCHASES, typed);
  await writeFile(entriesFile, '', PURCHASES, (i) => {
    const f = typed(i).split(',');
    return `${f[1]},${f[7]},${Number(f[5]) - Number(f[6])},purchase:${f[0]}`;
  });
  const db = await benchDatabase('imports');
  await sql(db.url, `insert into tier (id, code, name, rank, qualifying_points, retain_points, points_multiplier, created_at, updated_at) values
    (gen_random_uuid(), 'BRONZE', 'Bronze', 0, 0, 0, 1, now(), now()), (gen_random_uuid(), 'SILVER', 'Silver', 1, 1000, 800, 1.25, now(), now()),
    (gen_random_uuid(), 'GOLD', 'Gold', 2, 5000, 4000, 1.5, now(), now()), (gen_random_uuid(), 'PLATINUM', 'Platinum', 3, 15000, 12000, 2, now(), now())`);
  const bare = await bareCopy(db.url, membersFile, purchasesFile);
  log(`bare COPY of both files: ${bare.toFixed(1)} s`);
  const floor = await floorCopy(db.url, typedFile, entriesFile);
  log(`floor (typed purchases and qualifying entries COPYed into the ledger's table shapes with their indexes): ${floor.toFixed(1)} s`);
  const app = await startApp(db.url, PORT);
  const admin = await serviceToken('admin');
  const rssBefore = rssMb(app.pid!);
  let rssPeak = rssBefore;
  const sampler = setInterval(() => { try { rssPeak = Math.max(rssPeak, rssMb(app.pid!)); } catch { /* exited */ } }, 200);
  try {
    const members = await importAndWait('/imports/members', membersFile, admin);
    log(`members import: ${members.seconds.toFixed(1)} s`, members.job);
    const history = await importAndWait('/imports/purchases?mode=history', purchasesFile, admin);
    log(`history import: ${history.seconds.toFixed(1)} s`, history.job);
    const earn = await importAndWait('/imports/purchases?mode=earn', earnFile, admin);
    const earnRate = earn.job.rowsDone / earn.seconds;
    log(`earn import: ${earn.seconds.toFixed(1)} s, ${earnRate.toFixed(0)} purchases/s`, earn.job);
    // recordPurchase over HTTP, 32 at a time, on the same members, as many purchases as the earn file has (at most 20,000).
    const service = await serviceToken('service');
    const ids = (await sql(db.url, `select id from member order by external_id limit 10000`)).map((r) => r.id as string);
    const n = Math.min(EARN, 20_000);
    let next = 0;
    const t = Date.now();
    let errors = 0;
    await Promise.all(Array.from({ length: 32 }, async () => {
      for (let i = next++; i < n; i = next++) {
        const r = await gql(service, `mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }`,
          { i: { memberId: ids[i % ids.length], orderId: `http-${i}`, amount: 5 + (i % 300) } });
        if (r.errors) errors++;
      }
    }));
    const httpRate = n / ((Date.now() - t) / 1000);
    log(`recordPurchase over HTTP: ${httpRate.toFixed(0)} purchases/s, ${errors} errors`);
    clearInterval(sampler);
    const broken = await sql(db.url, `select count(*)::int as n from point_account a where a.balance <> coalesce((select sum(amount) from point_transaction t where t.member_id = a.member_id), 0)`);
    const size = (f: string) => (statSync(f).size / 2 ** 20).toFixed(0);
    const appTotal = members.seconds + history.seconds;
    writeSection('Bulk import', ['## Bulk import', '',
      `${new Date().toISOString().slice(0, 10)}, \`BENCH_MEMBERS=${MEMBERS} BENCH_PURCHASES=${PURCHASES} BENCH_EARN=${EARN} npm run bench -- imports\`, ${machine()}, embedded PostgreSQL 17 on the same machine, the app in a child process (NODE_ENV=production). Files: members ${size(membersFile)} MiB, purchases ${size(purchasesFile)} MiB (CSV, uploaded over HTTP by node:http from disk). The machine is shared with other work: read the ratios.`,
      '',
      '| what | figure |',
      '| --- | --- |',
      `| bare \`COPY\` of both files into plain text tables (one connection) | ${bare.toFixed(1)} s |`,
      `| members import (upload, checks, writes) | ${members.seconds.toFixed(1)} s: ${members.job.rowsDone} done, ${members.job.rowsRejected} rejected |`,
      `| purchases import, history mode (upload, checks, writes, tier decision) | ${history.seconds.toFixed(1)} s: ${history.job.rowsDone} done, ${history.job.rowsRejected} rejected |`,
      `| **imports / bare COPY** | **${(appTotal / bare).toFixed(2)}×** (goal ≤ 3×) |`,
      `| floor: the purchases already typed, \`COPY\` into tables \`like purchase\` and \`like qualifying_entry\` with all their indexes (one connection) | ${floor.toFixed(1)} s: **${(floor / bare).toFixed(2)}× the bare COPY**; the history import is ${(history.seconds / floor).toFixed(2)}× it |`,
      `| earn mode | ${earnRate.toFixed(0)} purchases/s (${earn.job.rowsDone} in ${earn.seconds.toFixed(1)} s) |`,
      `| recordPurchase over HTTP, 32 connections | ${httpRate.toFixed(0)} purchases/s (${n}, ${errors} errors) |`,
      `| **earn / HTTP** | **${(earnRate / httpRate).toFixed(2)}×** (goal ≥ 10×) |`,
      `| server RSS | ${rssBefore.toFixed(0)} MiB before, ${rssPeak.toFixed(0)} MiB at its peak: **+${(rssPeak - rssBefore).toFixed(0)} MiB** (goal < 300) |`,
      `| accounts whose balance ≠ Σ transactions afterwards | ${broken[0].n} |`,
      '',
      `Wall time of the whole run: ${((Date.now() - started) / 60_000).toFixed(1)} min.`,
    ].join('\n'));
  } finally {
    clearInterval(sampler);
    await stopChild(app);
    await db.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
