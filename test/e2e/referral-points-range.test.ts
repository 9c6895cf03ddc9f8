// A referrer whose balance or lifetime points the referrer points would take past 2,147,483,647:
// the referral is REJECTED with its reason (as one over the monthly limit) and the referee's first
// purchase is recorded. It was refused with BAD_USER_INPUT on `amount`: a store's valid purchase
// for one member, refused over another member's points.
import { startTestServer, type TestServer } from '../support/harness';
import { createLadder } from '../support/fixtures';
import { expectLedgerConsistent } from '../support/ledger';

let s: TestServer;
let n = 0;
const key = (p: string) => `${p}-${++n}`;

beforeAll(async () => {
  s = await startTestServer();
  await createLadder(s);
  await s.admin('mutation($i: ProgramInput!) { updateProgram(input: $i) { referrerPoints } }',
    { i: { referrerPoints: 200, refereePoints: 100, referralHoldDays: 0, referralMonthlyLimit: 0 } });
});
afterAll(() => s?.stop());

const REGISTER = `mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id referralCode } }`;
const ADJUST = `mutation($i: AdjustPointsInput!) { adjustPoints(input: $i) { balanceAfter } }`;
const PURCHASE = `mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned bonusPoints member { pointsBalance } } }`;
const REFERRER = `query($id: ID!) { member(id: $id) { pointsBalance lifetimePoints referrals { edges { node { status reason } } } } }`;

async function register(input: Record<string, unknown> = {}): Promise<{ id: string; referralCode: string }> {
  return (await s.admin(REGISTER, { input: { externalId: key('m'), ...input } })).registerMember;
}
const adjust = (memberId: string, amount: number) => s.admin(ADJUST, { i: { memberId, amount, reason: 'range', idempotencyKey: key('adj') } });

it.each([
  ['balance', [2_147_483_600]],
  ['lifetime points (its balance spent)', [2_147_483_600, -2_147_483_600]],
])('a referrer whose %s cannot take the referrer points: the referral is REJECTED, the purchase recorded', async (_, adjustments) => {
  const referrer = await register();
  for (const amount of adjustments) await adjust(referrer.id, amount);
  const before = (await s.admin(REFERRER, { id: referrer.id })).member;
  const referee = await register({ referralCode: referrer.referralCode });
  const res = await s.gql(PURCHASE, { i: { memberId: referee.id, orderId: key('o'), amount: 10 } }, await s.token('service'));
  expect(res.errors).toBeUndefined();
  expect(res.data!.recordPurchase).toEqual({ pointsEarned: 10, bonusPoints: 0, member: { pointsBalance: 10 } });
  const after = (await s.admin(REFERRER, { id: referrer.id })).member;
  expect(after).toEqual({
    pointsBalance: before.pointsBalance, lifetimePoints: before.lifetimePoints,
    referrals: { edges: [{ node: { status: 'REJECTED', reason: "the referrer's points would pass 2147483647" } }] },
  });
  await expectLedgerConsistent(s);
});

it('a referrer that can take them still completes (the bound is exact)', async () => {
  const referrer = await register();
  await adjust(referrer.id, 2_147_483_447);
  const referee = await register({ referralCode: referrer.referralCode });
  const res = await s.admin(PURCHASE, { i: { memberId: referee.id, orderId: key('o'), amount: 10 } });
  expect(res.recordPurchase).toEqual({ pointsEarned: 10, bonusPoints: 100, member: { pointsBalance: 110 } });
  const after = (await s.admin(REFERRER, { id: referrer.id })).member;
  expect(after).toEqual({ pointsBalance: 2_147_483_647, lifetimePoints: 2_147_483_647, referrals: { edges: [{ node: { status: 'COMPLETED', reason: null } }] } });
});

it("a REFERRAL campaign's bonus the referrer cannot take on top of its referrer points is passed over: the referral completes, the purchase is recorded", async () => {
  const startsAt = new Date(Date.now() - 60_000).toISOString();
  await s.admin('mutation($i: CampaignInput!) { upsertCampaign(input: $i) { code } }',
    { i: { code: 'REF_BONUS', name: 'Referral bonus', trigger: 'REFERRAL', startsAt, bonusPoints: 100, controlPercent: 0 } });
  await s.admin('mutation { activateCampaign(code: "REF_BONUS") { status } }');
  try {
    const referrer = await register();
    await adjust(referrer.id, 2_147_483_647 - 250);
    const referee = await register({ referralCode: referrer.referralCode });
    const res = await s.gql(PURCHASE, { i: { memberId: referee.id, orderId: key('o'), amount: 10 } }, await s.token('service'));
    expect(res.errors).toBeUndefined();
    expect(res.data!.recordPurchase).toEqual({ pointsEarned: 10, bonusPoints: 100, member: { pointsBalance: 110 } });
    const after = (await s.admin(REFERRER, { id: referrer.id })).member;
    expect(after).toEqual({
      pointsBalance: 2_147_483_597, lifetimePoints: 2_147_483_597, referrals: { edges: [{ node: { status: 'COMPLETED', reason: null } }] },
    });
    expect((await s.admin('query { campaign(code: "REF_BONUS") { pointsGiven } }')).campaign.pointsGiven).toBe(0);
    await expectLedgerConsistent(s);
  } finally {
    await s.admin('mutation { endCampaign(code: "REF_BONUS") { status } }');
  }
});
