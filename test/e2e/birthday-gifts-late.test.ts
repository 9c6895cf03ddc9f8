/**
 * A birthday gift is the one the tier held at the run's asOf gives, whenever the run is made
 * (domain.md, "Time": "the result must be the same whenever the job actually runs"). Two
 * members get the same facts; one's gifts run on time, the other's run late, after a purchase
 * dated later in the month has made it GOLD. The gift is dated at its own instant (the month's
 * start, or the joining), not the run's. Ladder BRONZE 0; SILVER 1000; GOLD 5000.
 */
import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, LADDER, registerMember } from '../support/fixtures';

let s: TestServer;
let service: string;
beforeAll(async () => {
  s = await startTestServer();
  service = await s.token('service');
  await createLadder(s, LADDER.slice(0, 3));
  await s.admin(`mutation { upsertBenefit(input: { code: "GIFT_ALL", name: "Birthday", kind: "BIRTHDAY_GIFT", value: 100, tierCodes: [] }) { code } }`);
  await s.admin(`mutation { upsertBenefit(input: { code: "GIFT_GOLD", name: "Gold birthday", kind: "BIRTHDAY_GIFT", value: 300, tierCodes: ["GOLD"] }) { code } }`);
});
afterAll(() => s.stop());

const AS_OF = '2025-03-01T00:00:00.000Z';
const grant = () => s.admin('mutation($a: DateTime!) { grantBirthdayGifts(asOf: $a) { processed changed } }', { a: AS_OF });
const buyGoldAt = async (memberId: string, orderId: string, occurredAt: string) => {
  const res = await s.gql('mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { tierChange { toTier { code } } } }',
    { i: { memberId, orderId, amount: 5000, occurredAt } }, service);
  expect(res.errors).toBeUndefined();
  expect(res.data!.recordPurchase.tierChange.toTier.code).toBe('GOLD');
};
const buyGold = (memberId: string, orderId: string) => buyGoldAt(memberId, orderId, '2025-03-10T12:00:00.000Z');
const gifts = async (id: string) => (await s.admin<{ member: { pointsHistory: { edges: { node: { type: string; amount: number; reason: string | null; occurredAt: string } }[] } } }>(
  'query($id: ID!) { member(id: $id) { pointsHistory(first: 20) { edges { node { type amount reason occurredAt } } } } }', { id }))
  .member.pointsHistory.edges.map((e) => e.node).filter((t) => t.reason?.startsWith('birthday'));

it('a gifts run made after a later-dated upgrade gives the gift of the tier held at the gift\'s instant', async () => {
  const born = { joinedAt: '2024-01-01T00:00:00.000Z', birthday: '1990-03-15' };
  const onTime = await registerMember(s, born);
  await grant();
  await buyGold(onTime, 'bd-1a');
  // Late: the run of 1 March is made after the purchase of 10 March arrived.
  const late = await registerMember(s, born);
  await buyGold(late, 'bd-1b');
  await grant();
  const expected = [{ type: 'ADJUST', amount: 100, reason: 'birthday gift 2025', occurredAt: AS_OF }];
  expect(await gifts(onTime)).toEqual(expected);
  expect(await gifts(late)).toEqual(expected); // it was 300, GOLD's gift, for a member BRONZE on 1 March
});

it('a gifts run made later in the month (a missed night caught up) gives the gift the run of the 1st gives, dated the 1st', async () => {
  // Born in April: the run of 1 April on time, against a first run on 20 April, after the GOLD purchase of 10 April.
  const born = { joinedAt: '2024-01-01T00:00:00.000Z', birthday: '1991-04-25' };
  const onTime = await registerMember(s, born);
  await s.admin('mutation { grantBirthdayGifts(asOf: "2025-04-01T00:00:00.000Z") { changed } }');
  await buyGoldAt(onTime, 'bd-2a', '2025-04-10T12:00:00.000Z');
  const late = await registerMember(s, born);
  await buyGoldAt(late, 'bd-2b', '2025-04-10T12:00:00.000Z');
  await s.admin('mutation { grantBirthdayGifts(asOf: "2025-04-20T00:00:00.000Z") { changed } }');
  const expected = [{ type: 'ADJUST', amount: 100, reason: 'birthday gift 2025', occurredAt: '2025-04-01T00:00:00.000Z' }];
  expect(await gifts(onTime)).toEqual(expected);
  expect(await gifts(late)).toEqual(expected); // it was 300 dated 20 April: its points expired 19 days after the on-time gift's
  // A member who joined during its birthday month: the gift is dated at its joining.
  const joined = await registerMember(s, { joinedAt: '2025-04-12T09:30:00.000Z', birthday: '1991-04-25' });
  await s.admin('mutation { grantBirthdayGifts(asOf: "2025-04-20T00:00:00.000Z") { changed } }');
  expect(await gifts(joined)).toEqual([{ ...expected[0], occurredAt: '2025-04-12T09:30:00.000Z' }]);
});
