import { startTestServer, type TestServer } from '../support/harness';
import { createLadder } from '../support/fixtures';
import { importFile as importFileTo } from '../support/imports';

/**
 * A file's date or time without an offset is the programme's local time (docs/decisions.md,
 * "Bulk import"): a till in Shanghai writes `2022-06-30 23:30:00` for a sale at 15:30 UTC, and a
 * date alone in New York is that day's local midnight. Read as UTC, the sale moved to the next
 * local day (and month). A time with `Z` or an offset is taken as written.
 */

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  await createLadder(s);
});
afterAll(() => s.stop());

const importFile = (path: string, body: string) => importFileTo(s, path, body, 'text/csv', 60_000);
const zone = (timeZone: string) => s.admin('mutation($i: ProgramInput!) { updateProgram(input: $i) { timeZone } }', { i: { timeZone } });
const instants = (sql: string) => s.sql<Record<string, unknown>>(sql);

it("reads a members file's times and dates without an offset in the programme's zone, with one as written", async () => {
  await zone('Asia/Shanghai');
  const members = ['externalId,joinedAt,tierCode,tierExpiresAt,pointsBalance,pointsExpireAt',
    'lt-m1,2024-03-10 01:30:00,SILVER,2031-01-01,100,2030-06-30T23:59:59',
    'lt-m2,2024-03-10T01:30:00+08:00,,,,',
    'lt-m3,2024-03-10T01:30:00Z,,,,'].join('\n') + '\n';
  expect(await importFile('/imports/members', members)).toMatchObject({ status: 'SUCCEEDED', rowsDone: 3, rowsRejected: 0 });
  expect(await instants(`select m.external_id, m.joined_at, m.tier_expires_at, (select max(expires_at) from point_lot l where l.member_id = m.id) as lot_expires
    from member m where m.external_id like 'lt-m%' order by m.external_id`)).toEqual([
    { external_id: 'lt-m1', joined_at: new Date('2024-03-09T17:30:00Z'), tier_expires_at: new Date('2030-12-31T16:00:00Z'), lot_expires: new Date('2030-06-30T15:59:59Z') },
    { external_id: 'lt-m2', joined_at: new Date('2024-03-09T17:30:00Z'), tier_expires_at: null, lot_expires: null },
    { external_id: 'lt-m3', joined_at: new Date('2024-03-10T01:30:00Z'), tier_expires_at: null, lot_expires: null },
  ]);
  // The same file again: the same instants, so nothing to change.
  expect(await importFile('/imports/members', members)).toMatchObject({ status: 'SUCCEEDED', rowsRejected: 0 });
  expect(await s.sql(`select count(*)::int as n from audit_entry where entity = 'Member' and action = 'member.update'`)).toEqual([{ n: 0 }]);
});

it("puts a till's evening sale on its local day, in history and in earn mode, and a second run changes nothing", async () => {
  await zone('Asia/Shanghai');
  const purchases = (mode: string) => ['orderId,externalId,amount,occurredAt',
    `lt-${mode}-1,lt-m3,10,2022-06-30 23:30:00`,
    `lt-${mode}-2,lt-m3,10,2022-06-30T23:30:00`,
    `lt-${mode}-3,lt-m3,10,2022-06-30T23:30:00+08:00`,
    `lt-${mode}-4,lt-m3,10,2022-06-30`].join('\n') + '\n';
  for (const mode of ['history', 'earn']) {
    expect(await importFile(`/imports/purchases?mode=${mode}`, purchases(mode))).toMatchObject({ status: 'SUCCEEDED', rowsDone: 4, rowsRejected: 0 });
    expect(await instants(`select order_id, occurred_at from purchase where order_id like 'lt-${mode}-%' order by order_id`)).toEqual([
      { order_id: `lt-${mode}-1`, occurred_at: new Date('2022-06-30T15:30:00Z') },
      { order_id: `lt-${mode}-2`, occurred_at: new Date('2022-06-30T15:30:00Z') },
      { order_id: `lt-${mode}-3`, occurred_at: new Date('2022-06-30T15:30:00Z') },
      { order_id: `lt-${mode}-4`, occurred_at: new Date('2022-06-29T16:00:00Z') },
    ]);
    // Imported again, each line is the order already recorded (same member, amount and instant), not "recorded otherwise".
    expect(await importFile(`/imports/purchases?mode=${mode}`, purchases(mode))).toMatchObject({ status: 'SUCCEEDED', rowsRejected: 0 });
  }
  // Earned on the sale's local day: every EARN of the earn-mode file is dated in June, Shanghai time.
  expect(await instants(`select to_char(occurred_at at time zone 'Asia/Shanghai', 'YYYY-MM-DD') as day, count(*)::int as n
    from point_transaction where type = 'EARN' and reference like 'lt-earn-%' group by 1`)).toEqual([{ day: '2022-06-30', n: 4 }]);
});

it("reads a date alone in New York as its local midnight, so a 1 July sale stays in July", async () => {
  await zone('America/New_York');
  const job = await importFile('/imports/purchases?mode=history', 'orderId,externalId,amount,occurredAt\nlt-ny-1,lt-m3,23,2021-07-01\nlt-ny-2,lt-m3,5,2021-11-07 01:30:00\n');
  expect(job).toMatchObject({ status: 'SUCCEEDED', rowsDone: 2, rowsRejected: 0 });
  expect(await instants(`select order_id, occurred_at from purchase where order_id like 'lt-ny-%' order by order_id`)).toEqual([
    { order_id: 'lt-ny-1', occurred_at: new Date('2021-07-01T04:00:00Z') },
    // 01:30 on the fall-back day happens twice; PostgreSQL takes the second (standard time, -05:00).
    { order_id: 'lt-ny-2', occurred_at: new Date('2021-11-07T06:30:00Z') },
  ]);
});
