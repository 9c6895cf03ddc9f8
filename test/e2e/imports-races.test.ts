import { Client } from 'pg';
import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';
import { PURCHASE, expectLedgerConsistent } from '../support/ledger';
import { eventually } from '../support/wait';
import { whileInTransaction } from '../support/sessions';

// An order recorded by another writer (an API call, another import) after a purchases file was
// checked and before its line is written: the line is rejected as the check rejects an order
// recorded before it (another member, amount or instant), never counted done while the order
// holds another payload.

let s: TestServer;
let admin: string;
let service: string;
beforeAll(async () => {
  s = await startTestServer();
  admin = await s.token('admin');
  service = await s.token('service');
  await createLadder(s);
});
afterAll(() => s.stop());

const JOB = `query($id: ID!) { importJob(id: $id) { id status rowsDone rowsRejected errors(first: 100) { line message } } }`;
const csv = (rows: string[]) => rows.join('\n') + '\n';
const AT = '2026-11-02T10:00:00Z';

async function post(path: string, body: string): Promise<string> {
  const res = await fetch(`${s.url}${path}`, { method: 'POST', body, headers: { 'content-type': 'text/csv', authorization: `Bearer ${admin}` } });
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: string }).id;
}

async function finished(id: string): Promise<any> {
  let job: any;
  await eventually(async () => {
    job = (await s.admin(JOB, { id })).importJob;
    return job.status !== 'RUNNING';
  }, 'the import to end', 60_000);
  return job;
}

async function untilWaiting(n: number, text: string): Promise<void> {
  await eventually(async () => {
    const [{ waiting }] = await s.sql(`select count(*)::int as waiting from pg_stat_activity
      where wait_event_type = 'Lock' and query like '%' || $1 || '%' and datname = current_database()`, [text]);
    return waiting >= n;
  }, `${n} sessions to wait on ${text}`, 60_000);
}

const ANOTHER = (order: string) => `orderId ${order} is already recorded with another member, amount or occurredAt`;

describe('earn mode', () => {
  it('an order the API records for another member while the file waits for its member: the line is rejected, not done', async () => {
    const m = await registerMember(s, { externalId: 'race-a' });
    const other = await registerMember(s, { externalId: 'race-b' });
    const file = csv(['orderId,externalId,amount,occurredAt', `rx-1,race-a,100,${AT}`, 'rx-2,race-a,50,2026-11-03T10:00:00Z']);
    const id = await whileInTransaction(s, `select 1 from point_account where member_id = '${m}' for update`, async () => {
      const id = await post('/imports/purchases?mode=earn', file);
      await untilWaiting(1, 'point_account'); // checked; its first round waits for the member
      const api = await s.gql(PURCHASE, { input: { memberId: other, orderId: 'rx-1', amount: 70, occurredAt: AT } }, service);
      expect(api.errors).toBeUndefined();
      return id;
    });
    const job = await finished(id);
    expect(job).toMatchObject({ status: 'SUCCEEDED', rowsDone: 1, rowsRejected: 1, errors: [{ line: 2, message: ANOTHER('rx-1') }] });
    expect(await s.sql(`select order_id, member_id::text, amount_cents::int from purchase where order_id like 'rx-%' order by order_id`))
      .toEqual([{ order_id: 'rx-1', member_id: other, amount_cents: 7000 }, { order_id: 'rx-2', member_id: m, amount_cents: 5000 }]);
    await expectLedgerConsistent(s);
  });

  it('two files with one order at two amounts, both checked before either writes: one line done, the other rejected', async () => {
    await registerMember(s, { externalId: 'race-c' });
    const [m] = await s.sql(`select id from member where external_id = 'race-c'`);
    const [a, b] = await whileInTransaction(s, `select 1 from point_account where member_id = '${m.id}' for update`, async () => {
      const a = await post('/imports/purchases?mode=earn', csv(['orderId,externalId,amount,occurredAt', `ry-1,race-c,100,${AT}`]));
      const b = await post('/imports/purchases?mode=earn', csv(['orderId,externalId,amount,occurredAt', `ry-1,race-c,200,${AT}`]));
      await untilWaiting(2, 'point_account');
      return [a, b];
    });
    const jobs = [await finished(a), await finished(b)];
    expect(jobs.map((j) => j.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(jobs.map((j) => j.rowsDone + j.rowsRejected)).toEqual([1, 1]);
    const [stored] = await s.sql(`select amount_cents::int from purchase where order_id = 'ry-1'`);
    const done = jobs[stored.amount_cents === 10000 ? 0 : 1];
    const rejected = jobs[stored.amount_cents === 10000 ? 1 : 0];
    expect(done).toMatchObject({ rowsDone: 1, rowsRejected: 0 });
    expect(rejected).toMatchObject({ rowsDone: 0, rowsRejected: 1, errors: [{ line: 2, message: ANOTHER('ry-1') }] });
    // One earn, the stored order's.
    expect(await s.sql(`select amount::int from point_transaction where member_id = $1 and type = 'EARN'`, [m.id])).toEqual([{ amount: stored.amount_cents / 100 }]);
    await expectLedgerConsistent(s);
  });
});

describe('earn mode: an order another writer commits while a round writes it', () => {
  it('the round waits for that writer, is retried on the unique key, and rejects the line', async () => {
    const m = await registerMember(s, { externalId: 'race-u' });
    const other = await registerMember(s, { externalId: 'race-v' });
    // Another writer's order, inserted and not yet committed: the file's check and the round's
    // decision do not see it; the round's insert of the same order waits for it.
    const writer = new Client({ connectionString: s.databaseUrl });
    await writer.connect();
    let id: string;
    try {
      await writer.query('begin');
      await writer.query(`insert into purchase (order_id, member_id, amount_cents, earned_points, qualifying_points, occurred_at, occurred_at_given)
        values ('ru-1', $1, 7000, 0, 0, $2, true)`, [other, AT]);
      id = await post('/imports/purchases?mode=earn', csv(['orderId,externalId,amount,occurredAt', `ru-1,race-u,100,${AT}`, 'ru-2,race-u,50,2026-11-03T10:00:00Z']));
      await untilWaiting(1, 'import_round'); // the first round's write waits on the order's key
      await writer.query('commit');
    } finally {
      await writer.end();
    }
    const job = await finished(id);
    expect(job).toMatchObject({ status: 'SUCCEEDED', rowsDone: 1, rowsRejected: 1, errors: [{ line: 2, message: ANOTHER('ru-1') }] });
    expect(await s.sql(`select order_id, member_id::text, amount_cents::int from purchase where order_id like 'ru-%' order by order_id`))
      .toEqual([{ order_id: 'ru-1', member_id: other, amount_cents: 7000 }, { order_id: 'ru-2', member_id: m, amount_cents: 5000 }]);
    expect(await s.sql(`select balance from point_account where member_id = $1`, [m])).toEqual([{ balance: 50 }]);
    await expectLedgerConsistent(s);
  });
});

describe('earn mode and erasure', () => {
  it('a member erased after the file was checked earns nothing from it: its lines are rejected (NOT_FOUND), its balance stays forfeited', async () => {
    const m = await registerMember(s, { externalId: 'race-e' });
    await s.admin(`mutation { adjustPoints(input: { memberId: "${m}", amount: 40, reason: "seed", idempotencyKey: "race-e-seed" }) { id } }`);
    const [erased, id] = await whileInTransaction(s, `select 1 from point_account where member_id = '${m}' for update`, async () => {
      // The erasure waits for the member first, then the file's first round behind it.
      const erased = s.admin(`mutation { eraseMember(memberId: "${m}", reason: "asked") { erasedAt } }`);
      await untilWaiting(1, 'point_account');
      const id = await post('/imports/purchases?mode=earn', csv(['orderId,externalId,amount,occurredAt', `re-1,race-e,100,${AT}`, 're-2,race-e,50,2026-11-03T10:00:00Z']));
      await untilWaiting(2, 'point_account');
      return [erased, id] as const;
    });
    expect((await erased).eraseMember.erasedAt).toBeTruthy();
    const job = await finished(id);
    expect(job).toMatchObject({ status: 'SUCCEEDED', rowsDone: 0, rowsRejected: 2 });
    expect(job.errors.map((e: any) => e.line)).toEqual([2, 3]);
    expect(await s.sql(`select count(*)::int as n from purchase where order_id like 're-%'`)).toEqual([{ n: 0 }]);
    expect(await s.sql(`select balance from point_account where member_id = $1`, [m])).toEqual([{ balance: 0 }]);
    expect(await s.sql(`select type from point_transaction where member_id = $1 order by id`, [m])).toEqual([{ type: 'ADJUST' }, { type: 'ERASURE' }]);
    await expectLedgerConsistent(s);
  });
});

describe('history mode', () => {
  it('two files with one order at two amounts, both checked before either writes: one line done, the other rejected', async () => {
    await registerMember(s, { externalId: 'race-d' });
    // Writes to purchase held back (reads go on): both files are checked, then both wait to insert.
    const [a, b] = await whileInTransaction(s, 'lock table purchase in exclusive mode', async () => {
      const a = await post('/imports/purchases?mode=history', csv(['orderId,externalId,amount,occurredAt', `rz-1,race-d,100,${AT}`, `rz-2,race-d,10,${AT}`]));
      const b = await post('/imports/purchases?mode=history', csv(['orderId,externalId,amount,occurredAt', `rz-1,race-d,200,${AT}`, `rz-2,race-d,10,${AT}`]));
      await untilWaiting(2, 'insert into purchase');
      return [a, b];
    });
    const jobs = [await finished(a), await finished(b)];
    expect(jobs.map((j) => j.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    const [stored] = await s.sql(`select amount_cents::int from purchase where order_id = 'rz-1'`);
    const done = jobs[stored.amount_cents === 10000 ? 0 : 1];
    const rejected = jobs[stored.amount_cents === 10000 ? 1 : 0];
    // rz-2 is the same in both files: done in both (a replay in one).
    expect(done).toMatchObject({ rowsDone: 2, rowsRejected: 0 });
    expect(rejected).toMatchObject({ rowsDone: 1, rowsRejected: 1, errors: [{ line: 2, message: ANOTHER('rz-1') }] });
  });
});

// A member erased after the file was checked and before its lines are written: its externalId is
// gone (null), so its lines are in no write; each is a rejected line that does not quote the
// externalId (the erasure has scrubbed it from the lines written before it), so that the lines
// done and rejected still add up to the file's.
const GONE = "No member has this line's externalId any more: the member was erased, or its externalId changed, after the file was checked";

describe('a member erased between the check and the write', () => {
  it('history mode: its lines are rejected, the others done', async () => {
    const m = await registerMember(s, { externalId: 'race-h' });
    await registerMember(s, { externalId: 'race-i' });
    const file = csv(['orderId,externalId,amount,occurredAt', `rh-1,race-h,100,${AT}`, `rh-2,race-i,10,${AT}`, `rh-3,race-h,20,${AT}`]);
    const id = await whileInTransaction(s, 'lock table purchase in exclusive mode', async () => {
      const id = await post('/imports/purchases?mode=history', file);
      await untilWaiting(1, 'insert into purchase'); // checked; its write waits
      const erased = await s.admin(`mutation { eraseMember(memberId: "${m}", reason: "asked") { erasedAt } }`);
      expect(erased.eraseMember.erasedAt).toBeTruthy();
      return id;
    });
    const job = await finished(id);
    expect(job).toMatchObject({ status: 'SUCCEEDED', rowsDone: 1, rowsRejected: 2, errors: [{ line: 2, message: GONE }, { line: 4, message: GONE }] });
    expect(await s.sql(`select order_id from purchase where order_id like 'rh-%'`)).toEqual([{ order_id: 'rh-2' }]);
  });

  it('earn mode, erased before the queue is made: its lines are rejected, the others earn', async () => {
    const m = await registerMember(s, { externalId: 'race-j' });
    await registerMember(s, { externalId: 'race-k' });
    const file = csv(['orderId,externalId,amount,occurredAt', `rj-1,race-j,100,${AT}`, `rj-2,race-k,10,${AT}`]);
    // The queue is made after the programme's configuration is read again (its multiplier
    // benefits' versions): held back there.
    const id = await whileInTransaction(s, 'lock table benefit_version in access exclusive mode', async () => {
      const id = await post('/imports/purchases?mode=earn', file);

      await untilWaiting(1, 'from config_version'); // checked; the configuration's read waits
      const erased = await s.admin(`mutation { eraseMember(memberId: "${m}", reason: "asked") { erasedAt } }`);
      expect(erased.eraseMember.erasedAt).toBeTruthy();
      return id;
    });
    const job = await finished(id);
    expect(job).toMatchObject({ status: 'SUCCEEDED', rowsDone: 1, rowsRejected: 1, errors: [{ line: 2, message: GONE }] });
    expect(await s.sql(`select order_id from purchase where order_id like 'rj-%'`)).toEqual([{ order_id: 'rj-2' }]);
    await expectLedgerConsistent(s);
  });
});
