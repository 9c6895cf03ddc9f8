/**
 * A birthday gift is the one the tier held at the run's asOf gives, whenever the run is made
 * (domain.md, "Time": "the result must be the same whenever the job actually runs"). Two
 * members get the same facts; one's gifts run on time, the other's run late, after a purchase
 * dated later in the month has made it GOLD. Ladder BRONZE 0; SILVER 1000; GOLD 5000.
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
const buyGold = async (memberId: string, orderId: string) => {
  const res = await s.gql('mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { tierChange { toTier { code } } } }',
    { i: { memberId, orderId, amount: 5000, occurredAt: '2025-03-10T12:00:00.000Z' } }, service);
  expect(res.errors).toBeUndefined();
  expect(res.data!.recordPurchase.tierChange.toTier.code).toBe('GOLD');
};
const gifts = async (id: string) => (await s.admin<{ member: { pointsHistory: { edges: { node: { type: string; amount: number; reason: string | null; occurredAt: string } }[] } } }>(
  'query($id: ID!) { member(id: $id) { pointsHistory(first: 20) { edges { node { type amount reason occurredAt } } } } }', { id }))
  .member.pointsHistory.edges.map((e) => e.node).filter((t) => t.reason?.startsWith('birthday'));

it('a gifts run made after a later-dated upgrade gives the gift of the tier held at its asOf', async () => {
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
