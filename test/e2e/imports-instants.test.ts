import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';
import { PURCHASE } from '../support/ledger';
import { importFile as importFileTo } from '../support/imports';

/**
 * Instants as other systems write them (docs/decisions.md, "Bulk import"): Python's
 * isoformat and PostgreSQL's own text output have microseconds, Go's RFC 3339 and Java's
 * Instant nanoseconds. The API's DateTime reads them to the millisecond; an import reads them
 * the same way (the decimals past the third dropped), instead of rejecting every line.
 */

let s: TestServer;
let admin: string;
beforeAll(async () => {
  s = await startTestServer();
  admin = await s.token('admin');
  await createLadder(s);
});
afterAll(() => s.stop());

const importFile = (path: string, body: string, type = 'text/csv') => importFileTo(s, path, body, type, 60_000);

it('reads instants with microseconds or nanoseconds to the millisecond, as the API does; a second run changes nothing', async () => {
  const members = ['externalId,joinedAt,tierCode,tierExpiresAt',
    'ns-m1,2024-03-10T01:30:00.123456Z,SILVER,2031-01-01T00:00:00.999999999+01:00',
    'ns-m2,2024-03-10 01:30:00.5+00,,',
    'ns-m3,2024-03-10T01:30:00.123456789-05:30,,'].join('\n') + '\n';
  const m = await importFile('/imports/members', members);
  expect(m).toMatchObject({ status: 'SUCCEEDED', rowsDone: 3, rowsRejected: 0, errors: [] });
  expect(await s.sql(`select external_id, joined_at, tier_expires_at from member where external_id like 'ns-m%' order by external_id`)).toEqual([
    { external_id: 'ns-m1', joined_at: new Date('2024-03-10T01:30:00.123Z'), tier_expires_at: new Date('2030-12-31T23:00:00.999Z') },
    { external_id: 'ns-m2', joined_at: new Date('2024-03-10T01:30:00.500Z'), tier_expires_at: null },
    { external_id: 'ns-m3', joined_at: new Date('2024-03-10T07:00:00.123Z'), tier_expires_at: null },
  ]);

  // An order recorded through the API first: the same instant written with microseconds is the same order.
  const api = await registerMember(s, { externalId: 'ns-api' });
  const recorded = await s.gql(PURCHASE, { input: { memberId: api, orderId: 'ns-o0', amount: 10, occurredAt: '2025-05-01T10:00:00.123456Z' } }, admin);
  expect(recorded.errors).toBeUndefined();

  const purchases = ['orderId,externalId,amount,occurredAt',
    'ns-o0,ns-api,10,2025-05-01T10:00:00.123999Z',
    'ns-o1,ns-m1,20,2025-05-01 10:00:00.654321+00',
    'ns-o2,ns-m1,30,2025-05-02T10:00:00.000000001+08:00',
    'ns-o3,ns-m2,40,2025-05-03T10:00:00.9999999Z'].join('\n') + '\n';
  for (const mode of ['history', 'earn']) {
    const job = await importFile(`/imports/purchases?mode=${mode}`, purchases);
    expect({ mode, job }).toMatchObject({ mode, job: { status: 'SUCCEEDED', rowsRejected: 0, errors: [] } });
  }
  expect(await s.sql(`select order_id, occurred_at from purchase where order_id like 'ns-o%' order by order_id`)).toEqual([
    { order_id: 'ns-o0', occurred_at: new Date('2025-05-01T10:00:00.123Z') },
    { order_id: 'ns-o1', occurred_at: new Date('2025-05-01T10:00:00.654Z') },
    { order_id: 'ns-o2', occurred_at: new Date('2025-05-02T02:00:00.000Z') },
    { order_id: 'ns-o3', occurred_at: new Date('2025-05-03T10:00:00.999Z') },
  ]);
  // The same members file again: nothing to change, nothing rejected.
  expect(await importFile('/imports/members', members)).toMatchObject({ status: 'SUCCEEDED', rowsRejected: 0 });
});

it('NDJSON the same way; a value that is not an instant is still rejected', async () => {
  const ndjson = [
    JSON.stringify({ externalId: 'ns-j1', joinedAt: '2024-04-01T00:00:00.000001Z' }),
    JSON.stringify({ externalId: 'ns-j2', joinedAt: '2024-04-01T00:00:00.1234x' }),
  ].join('\n');
  const job = await importFile('/imports/members', ndjson, 'application/x-ndjson');
  expect(job).toMatchObject({ status: 'SUCCEEDED', rowsDone: 1, errors: [{ line: 2, message: 'joinedAt must be an ISO-8601 date-time' }] });
  expect(await s.sql(`select joined_at from member where external_id = 'ns-j1'`)).toEqual([{ joined_at: new Date('2024-04-01T00:00:00.000Z') }]);
});

it('an instant past 9999-12-31 (an offset west of UTC on the last day) is a rejected line, as the API refuses it', async () => {
  const members = ['externalId,tierCode,tierExpiresAt,pointsBalance,pointsExpireAt',
    'y10k-1,SILVER,9999-12-31T23:00:00-14:00,,',
    'y10k-2,,,100,9999-12-31T20:00:00-04:00',
    'y10k-3,SILVER,9999-12-31T23:59:59.999Z,100,9999-12-31T23:59:59.999+00:00'].join('\n') + '\n';
  const job = await importFile('/imports/members', members);
  expect(job).toEqual({
    status: 'SUCCEEDED', rowsDone: 1, rowsRejected: 2,
    errors: [
      { line: 2, message: 'tierExpiresAt must not be after 9999-12-31' },
      { line: 3, message: 'pointsExpireAt must not be after 9999-12-31' },
    ],
  });
  const last = await s.admin(`query { memberByExternalId(externalId: "y10k-3") { tierExpiresAt pointsHistory { edges { node { type expiresAt } } } } }`);
  expect(last.memberByExternalId).toEqual({
    tierExpiresAt: '9999-12-31T23:59:59.999Z',
    pointsHistory: { edges: [{ node: { type: 'OPENING_BALANCE', expiresAt: '9999-12-31T23:59:59.999Z' } }] },
  });
});
