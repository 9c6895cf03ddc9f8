// A campaign award the member cannot take (its balance or lifetime points would pass
// 2,147,483,647, the points columns being int) is passed over, as a birthday gift or a referrer's
// points are: the event it rides on is recorded. A PURCHASE campaign of bonusPoints 2147483647 (an
// operator's typo the API accepts) refused every purchase of its audience with BAD_USER_INPUT on
// `amount`, on every retry, and an ACTIVITY or TIER_UPGRADE one did the same to its events.
import { startTestServer, type TestServer } from '../support/harness';
import { createLadder } from '../support/fixtures';
import { expectLedgerConsistent } from '../support/ledger';

let s: TestServer;
let n = 0;
const key = (p: string) => `${p}-${++n}`;
const MAX = 2_147_483_647;

beforeAll(async () => {
  s = await startTestServer();
  await createLadder(s);
  await s.admin('mutation { upsertActivityRule(input: { kind: "REVIEW", name: "Review", points: 5, qualifyingPoints: 0, dailyCap: null }) { kind } }');
});
afterAll(() => s?.stop());

const PURCHASE = `mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned bonusPoints member { pointsBalance lifetimePoints } } }`;
const ACTIVITY = `mutation($i: RecordActivityInput!) { recordActivity(input: $i) { pointsEarned member { pointsBalance } } }`;
const ADJUST = `mutation($i: AdjustPointsInput!) { adjustPoints(input: $i) { balanceAfter } }`;
const CAMPAIGN = `query($c: String!) { campaign(code: $c) { status endedReason pointsGiven } }`;

/**
 * Ends every campaign as if it had never given (ended at its start: a campaign gives to late events
 * dated before its end), then creates and activates these through the API, open since a minute ago.
 */
async function campaigns(...list: { code: string; trigger: string; bonusPoints: number; activityKind?: string; audience?: Record<string, unknown> }[]): Promise<void> {
  await s.sql(`update campaign set status = 'ENDED', ended_reason = 'ADMIN', ended_at = starts_at where status <> 'ENDED'`);
  const startsAt = new Date(Date.now() - 60_000).toISOString();
  for (const c of list) {
    await s.admin('mutation($i: CampaignInput!) { upsertCampaign(input: $i) { code } }', { i: { name: c.code, startsAt, controlPercent: 0, ...c } });
    await s.admin('mutation($c: String!) { activateCampaign(code: $c) { status } }', { c: c.code });
  }
}

async function member(points = 0): Promise<string> {
  const id = (await s.admin('mutation($i: RegisterMemberInput!) { registerMember(input: $i) { id } }', { i: { externalId: key('m') } })).registerMember.id;
  if (points) await s.admin(ADJUST, { i: { memberId: id, amount: points, reason: 'range', idempotencyKey: key('adj') } });
  return id;
}

const servicePurchase = async (i: Record<string, unknown>) => s.gql(PURCHASE, { i }, await s.token('service'));

/** Runs `body` with referees given `points` on their first purchase (referrers 10, no hold), then gives none again. */
async function withRefereePoints(points: number, body: () => Promise<void>): Promise<void> {
  await s.admin('mutation($i: ProgramInput!) { updateProgram(input: $i) { refereePoints } }', { i: { referrerPoints: 10, refereePoints: points, referralHoldDays: 0 } });
  try {
    await body();
  } finally {
    await s.admin('mutation($i: ProgramInput!) { updateProgram(input: $i) { refereePoints } }', { i: { referrerPoints: 0, refereePoints: 0 } });
  }
}

it('a PURCHASE bonus past int is passed over: the purchase is recorded (and so is its retry), the campaign gives nothing and stays ACTIVE', async () => {
  await campaigns({ code: 'TYPO', trigger: 'PURCHASE', bonusPoints: MAX });
  const m = await member();
  const i = { memberId: m, orderId: key('o'), amount: 25 };
  for (let attempt = 0; attempt < 2; attempt++) {
    const res = await servicePurchase(i);
    expect(res.errors).toBeUndefined();
    expect(res.data!.recordPurchase).toEqual({ pointsEarned: 25, bonusPoints: 0, member: { pointsBalance: 25, lifetimePoints: 25 } });
  }
  expect((await s.admin(CAMPAIGN, { c: 'TYPO' })).campaign).toEqual({ status: 'ACTIVE', endedReason: null, pointsGiven: 0 });
  await expectLedgerConsistent(s);
});

it('each award is passed over or given on what the member holds: one that would pass int is not, a later one that fits exactly is', async () => {
  // In (startsAt, code) order: A_BIG (100) does not fit a balance of MAX - 60 after the purchase's 10; B_FIT (50) does, to the point.
  await campaigns({ code: 'A_BIG', trigger: 'PURCHASE', bonusPoints: 100 }, { code: 'B_FIT', trigger: 'PURCHASE', bonusPoints: 50 });
  const m = await member(MAX - 60);
  const res = await servicePurchase({ memberId: m, orderId: key('o'), amount: 10 });
  expect(res.errors).toBeUndefined();
  expect(res.data!.recordPurchase).toEqual({ pointsEarned: 10, bonusPoints: 50, member: { pointsBalance: MAX, lifetimePoints: MAX } });
  expect((await s.admin(CAMPAIGN, { c: 'A_BIG' })).campaign.pointsGiven).toBe(0);
  expect((await s.admin(CAMPAIGN, { c: 'B_FIT' })).campaign.pointsGiven).toBe(50);
  await expectLedgerConsistent(s);
});

it('the same on the transaction path (a purchase dated before a debit already written, which it re-plans)', async () => {
  await campaigns({ code: 'TYPO_LATE', trigger: 'PURCHASE', bonusPoints: MAX });
  const m = await member(1_000);
  await s.admin(ADJUST, { i: { memberId: m, amount: -100, reason: 'spent', idempotencyKey: key('adj') } });
  const occurredAt = new Date(Date.now() - 30_000).toISOString();
  const res = await servicePurchase({ memberId: m, orderId: key('o'), amount: 25, occurredAt });
  expect(res.errors).toBeUndefined();
  expect(res.data!.recordPurchase).toEqual({ pointsEarned: 25, bonusPoints: 0, member: { pointsBalance: 925, lifetimePoints: 1_025 } });
  await expectLedgerConsistent(s);
});

it('an ACTIVITY bonus past int: the activity is recorded with its own points', async () => {
  await campaigns({ code: 'TYPO_ACT', trigger: 'ACTIVITY', bonusPoints: MAX, activityKind: 'REVIEW' });
  const m = await member(100);
  const res = await s.gql(ACTIVITY, { i: { memberId: m, kind: 'REVIEW', idempotencyKey: key('a') } }, await s.token('service'));
  expect(res.errors).toBeUndefined();
  expect(res.data!.recordActivity).toEqual({ pointsEarned: 5, member: { pointsBalance: 105 } });
  await expectLedgerConsistent(s);
});

it('a TIER_UPGRADE bonus past int: the upgrading purchase is recorded, the upgrade with it', async () => {
  await campaigns({ code: 'TYPO_UP', trigger: 'TIER_UPGRADE', bonusPoints: MAX });
  const m = await member(100);
  const res = await s.gql(`mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned bonusPoints tierChange { kind } } }`,
    { i: { memberId: m, orderId: key('o'), amount: 1_000 } }, await s.token('service'));
  expect(res.errors).toBeUndefined();
  expect(res.data!.recordPurchase).toEqual({ pointsEarned: 1_000, bonusPoints: 0, tierChange: { kind: 'UPGRADE' } });
  await expectLedgerConsistent(s);
});

it('an award of another audience takes no room from the others: a big GOLD-only bonus does not keep a BRONZE member\'s small one from it', async () => {
  // In (startsAt, code) order: A_GOLD_BIG first. The member is not GOLD: A gives it nothing, B gives it 100.
  await campaigns(
    { code: 'A_GOLD_BIG', trigger: 'ACTIVITY', activityKind: 'REVIEW', bonusPoints: 2_000_000_000, audience: { tierCodes: ['GOLD'] } },
    { code: 'B_ALL', trigger: 'ACTIVITY', activityKind: 'REVIEW', bonusPoints: 100 },
  );
  const m = await member();
  const res = await s.gql(ACTIVITY, { i: { memberId: m, kind: 'REVIEW', idempotencyKey: key('a') } }, await s.token('service'));
  expect(res.errors).toBeUndefined();
  expect(res.data!.recordActivity).toEqual({ pointsEarned: 5, member: { pointsBalance: 105 } });
  expect((await s.admin(CAMPAIGN, { c: 'B_ALL' })).campaign.pointsGiven).toBe(100);
  await expectLedgerConsistent(s);
});

it('a PURCHASE bonus that fits only without the referee\'s welcome points the same purchase brings is passed over: the purchase and its referral are recorded', async () => {
  await withRefereePoints(1000, async () => {
    await campaigns({ code: 'WELCOME_TOO', trigger: 'PURCHASE', bonusPoints: 1500 });
    const referrer = (await s.admin('mutation($i: RegisterMemberInput!) { registerMember(input: $i) { referralCode } }', { i: { externalId: key('ref') } })).registerMember;
    const referee = (await s.admin('mutation($i: RegisterMemberInput!) { registerMember(input: $i) { id } }', { i: { externalId: key('m'), referralCode: referrer.referralCode } })).registerMember.id;
    await s.admin(ADJUST, { i: { memberId: referee, amount: MAX - 2000, reason: 'range', idempotencyKey: key('adj') } });
    const res = await servicePurchase({ memberId: referee, orderId: key('o'), amount: 10 });
    expect(res.errors).toBeUndefined();
    expect(res.data!.recordPurchase).toEqual({ pointsEarned: 10, bonusPoints: 1000, member: { pointsBalance: MAX - 990, lifetimePoints: MAX - 990 } });
    expect((await s.admin(CAMPAIGN, { c: 'WELCOME_TOO' })).campaign.pointsGiven).toBe(0);
    await expectLedgerConsistent(s);
  });
});

it('a member with no pending referral: its bonus is judged without welcome points it will not get (the programme gives some to referees)', async () => {
  await withRefereePoints(1000, async () => {
    // A TIER_UPGRADE campaign makes the one-statement path step aside: the purchase is decided on its facts (purchaseDecided).
    await campaigns({ code: 'NO_REFERRAL', trigger: 'PURCHASE', bonusPoints: 1500 }, { code: 'UP_ANY', trigger: 'TIER_UPGRADE', bonusPoints: 1 });
    const m = await member(MAX - 2000);
    const res = await servicePurchase({ memberId: m, orderId: key('o'), amount: 10 });
    expect(res.errors).toBeUndefined();
    expect(res.data!.recordPurchase).toEqual({ pointsEarned: 10, bonusPoints: 1500, member: { pointsBalance: MAX - 490, lifetimePoints: MAX - 490 } });
    expect((await s.admin(CAMPAIGN, { c: 'NO_REFERRAL' })).campaign.pointsGiven).toBe(1500);
    await expectLedgerConsistent(s);
  });
});

it('two bonuses that fit alone but not together: the first is given, the second passed over, the registration and the purchase recorded', async () => {
  await campaigns({ code: 'TWIN_REG_A', trigger: 'REGISTRATION', bonusPoints: 1_200_000_000 }, { code: 'TWIN_REG_B', trigger: 'REGISTRATION', bonusPoints: 1_200_000_000 });
  const registered = await member();
  expect((await s.admin('query($id: ID!) { member(id: $id) { pointsBalance } }', { id: registered })).member.pointsBalance).toBe(1_200_000_000);
  expect((await s.admin(CAMPAIGN, { c: 'TWIN_REG_B' })).campaign.pointsGiven).toBe(0);
  await campaigns({ code: 'TWIN_A', trigger: 'PURCHASE', bonusPoints: 1_200_000_000 }, { code: 'TWIN_B', trigger: 'PURCHASE', bonusPoints: 1_200_000_000 });
  const buyer = await member();
  const res = await servicePurchase({ memberId: buyer, orderId: key('o'), amount: 10 });
  expect(res.errors).toBeUndefined();
  expect(res.data!.recordPurchase).toEqual({ pointsEarned: 10, bonusPoints: 1_200_000_000, member: { pointsBalance: 1_200_000_010, lifetimePoints: 1_200_000_010 } });
  expect((await s.admin(CAMPAIGN, { c: 'TWIN_B' })).campaign.pointsGiven).toBe(0);
  await expectLedgerConsistent(s);
});
