// A backdated qualifying entry counts in the windows after its instant too, with the entries dated
// after it: a purchase or activity whose own window fits but a later window would pass
// 2,147,483,647 is BAD_USER_INPUT naming its input, and nothing is written. It was accepted, and
// every read of the member's tier progress answered INTERNAL_SERVER_ERROR from then on.
import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';
import { expectLedgerConsistent } from '../support/ledger';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  await createLadder(s);
  await s.admin(`mutation($i: ActivityRuleInput!) { upsertActivityRule(input: $i) { kind } }`,
    { i: { kind: 'AUDIT', name: 'Audit', points: 0, qualifyingPoints: 2_000_000_000 } });
});
afterAll(() => s?.stop());

const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();
const ACTIVITY = `mutation($i: RecordActivityInput!) { recordActivity(input: $i) { qualifyingPointsEarned } }`;
const PURCHASE = `mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned qualifyingPointsEarned } }`;
const MEMBER = `query($id: ID!) { member(id: $id) { pointsBalance lifetimePoints tierProgress { qualifyingPoints } } }`;

it('a backdated purchase or activity that a later window could not hold is refused, and the member stays readable', async () => {
  const id = await registerMember(s, { joinedAt: ago(30) });
  await s.admin(ACTIVITY, { i: { memberId: id, kind: 'AUDIT', idempotencyKey: 'audit-now' } });

  const purchase = await s.gql(PURCHASE, { i: { memberId: id, orderId: 'late-big', amount: 200_000_000, occurredAt: ago(1) } }, await s.token('service'));
  expect(purchase.errors?.[0]).toMatchObject({
    message: 'amount would take points or a balance beyond 2147483647', extensions: { code: 'BAD_USER_INPUT', field: 'amount' },
  });
  const activity = await s.gql(ACTIVITY, { i: { memberId: id, kind: 'AUDIT', idempotencyKey: 'audit-late', occurredAt: ago(2) } }, await s.token('service'));
  expect(activity.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'kind' } });

  expect((await s.admin(MEMBER, { id })).member).toEqual({ pointsBalance: 0, lifetimePoints: 0, tierProgress: { qualifyingPoints: 2_000_000_000 } });
  expect(await s.sql(`select order_id from purchase where member_id = $1`, [id])).toEqual([]);

  // One that every window can hold is recorded as before.
  expect((await s.admin(PURCHASE, { i: { memberId: id, orderId: 'late-small', amount: 100, occurredAt: ago(1) } })).recordPurchase)
    .toEqual({ pointsEarned: 100, qualifyingPointsEarned: 100 }); // at the entry tier it held then
  expect((await s.admin(MEMBER, { id })).member.tierProgress.qualifyingPoints).toBe(2_000_000_100);
  await expectLedgerConsistent(s);
});
