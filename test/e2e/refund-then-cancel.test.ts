// A redemption spent an order's points, the order was refunded (the refund could not take those
// points back: unrecovered), then the redemption was cancelled: its points come back, and the
// refund takes what it lacked from them. Found by an outside audit: the member kept 300 points
// of a purchase refunded in full.
import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';
import { PURCHASE, expectLedgerConsistent } from '../support/ledger';
import { recoveryTakes } from '../../src/modules/points/points.rules';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  await createLadder(s);
  for (const [code, costPoints] of [['CUP', 300], ['CAKE', 150], ['PEN', 50]] as const) {
    await s.admin(`mutation($i: RewardInput!) { upsertReward(input: $i) { code } }`, { i: { code, name: code, costPoints } });
  }
});
afterAll(() => s.stop());

const REFUND = `mutation($i: RefundPurchaseInput!) { refundPurchase(input: $i) { pointsEarned transaction { amount unrecoveredPoints } member { pointsBalance } } }`;
const CANCEL = `mutation($id: ID!) { cancelRedemption(id: $id, reason: "returned") { status } }`;
let keys = 0;
const buy = async (m: string, orderId: string, amount: number, occurredAt?: string) =>
  (await s.admin(PURCHASE, { input: { memberId: m, orderId, amount, ...(occurredAt ? { occurredAt } : {}) } })).recordPurchase;
const redeem = async (m: string, rewardCode: string) =>
  (await s.admin(`mutation($i: RedeemRewardInput!) { redeemReward(input: $i) { id } }`, { i: { memberId: m, rewardCode, idempotencyKey: `rtc-${++keys}` } })).redeemReward.id as string;
const refund = async (orderId: string, refundId: string, amount: number, occurredAt?: string) =>
  (await s.admin(REFUND, { i: { orderId, refundId, amount, ...(occurredAt ? { occurredAt } : {}) } })).refundPurchase;
const balance = async (m: string) => (await s.admin(`query($id: ID!) { member(id: $id) { pointsBalance } }`, { id: m })).member.pointsBalance as number;
const ledger = (m: string) => s.sql<{ type: string; amount: number; unrecovered: number; key: string | null }>(
  `select type, amount, unrecovered, idempotency_key as key from point_transaction where member_id = $1 order by id`, [m]);

describe('a refund that could not take back what a redemption spent', () => {
  it('takes it when the redemption is cancelled: an order refunded in full leaves nothing', async () => {
    const m = await registerMember(s);
    expect((await buy(m, 'rtc-1', 500)).pointsEarned).toBe(500);
    const cup = await redeem(m, 'CUP');
    const r = await refund('rtc-1', 'rtc-1-r', 500);
    expect(r).toEqual({ pointsEarned: -500, transaction: { amount: -200, unrecoveredPoints: 300 }, member: { pointsBalance: 0 } });
    expect((await s.admin(CANCEL, { id: cup })).cancelRedemption.status).toBe('CANCELLED');
    expect(await balance(m)).toBe(0);
    const rows = await ledger(m);
    expect(rows.map((t) => [t.type, t.amount, t.unrecovered])).toEqual([
      ['EARN', 500, 0], ['REDEEM', -300, 0], ['REFUND_REVERSAL', -200, 300], ['REDEMPTION_CANCEL', 300, 0], ['REFUND_REVERSAL', -300, 0],
    ]);
    expect(rows[4].key).toMatch(/^refund-recovery:\d+:\d+$/); // the cancellation's transaction, the refund's reversal
    // Audited with the cancellation; a second cancel changes nothing more.
    const [entry] = await s.sql<{ after: Record<string, unknown> }>(`select after from audit_entry where action = 'redemption.cancel' and entity_id = $1`, [cup]);
    expect(entry.after).toMatchObject({ pointsReturned: 300, pointsLostToExpiry: 0, pointsTakenByRefunds: 300 });
    expect((await s.admin(CANCEL, { id: cup })).cancelRedemption.status).toBe('CANCELLED');
    expect(await ledger(m)).toHaveLength(5);
    await expectLedgerConsistent(s);
  });

  it('takes only what the refund lacked, once: two redemptions cancelled one after the other; other points stay', async () => {
    const m = await registerMember(s);
    await buy(m, 'rtc-2', 400);
    const cake = await redeem(m, 'CAKE'); // 150
    const pen = await redeem(m, 'PEN'); // 50
    await refund('rtc-2', 'rtc-2-r', 300); // reverses 300 of the 400; 200 left: takes 200, 100 unrecovered
    expect(await balance(m)).toBe(0);
    await buy(m, 'rtc-3', 70); // points of another order, after the refund: never the refund's
    await s.admin(CANCEL, { id: cake }); // 150 back; the refund lacked 100: 50 stay
    expect(await balance(m)).toBe(70 + 50);
    await s.admin(CANCEL, { id: pen }); // 50 back; the refund lacks nothing now
    expect(await balance(m)).toBe(70 + 100);
    const recoveries = (await ledger(m)).filter((t) => t.key?.startsWith('refund-recovery:'));
    expect(recoveries.map((t) => t.amount)).toEqual([-100]);
    await expectLedgerConsistent(s);
  });

  it('a refund dated before the redemption, recorded after it, that the redemption kept short (it no longer fitted after the refund): paid by its cancellation', async () => {
    const m = await registerMember(s);
    const day = 86_400_000;
    await buy(m, 'rtc-9', 500, new Date(Date.now() - 3 * day).toISOString());
    const cup = await redeem(m, 'CUP'); // now: 200 left
    // Dated yesterday, before the cup: in date order it takes all 500 and the cup does not fit,
    // so it is made on the lots as they are: 200 taken, 300 unrecovered.
    expect((await refund('rtc-9', 'rtc-9-r', 500, new Date(Date.now() - day).toISOString())).transaction).toEqual({ amount: -200, unrecoveredPoints: 300 });
    await s.admin(CANCEL, { id: cup });
    expect(await balance(m)).toBe(0); // as in date order: the refund takes 500, the cup is refused
    await expectLedgerConsistent(s);
  });

  it('a refund id that looks like a recovery key is just a refund', async () => {
    const m = await registerMember(s);
    await buy(m, 'rtc-10', 500);
    await buy(m, 'rtc-11', 100);
    const cup = await redeem(m, 'CUP');
    const cake = await redeem(m, 'CAKE'); // 450 spent, 150 left
    await refund('rtc-10', 'X', 500); // takes 150, 350 unrecovered
    await refund('rtc-11', 'refund-recovery:1:2', 100); // nothing left: 100 unrecovered
    await s.admin(CANCEL, { id: cup });
    await s.admin(CANCEL, { id: cake });
    expect(await balance(m)).toBe(0);
    await expectLedgerConsistent(s);
  });

  it('a redemption made after the refund owes it nothing: its cancellation gives everything back', async () => {
    const m = await registerMember(s);
    await buy(m, 'rtc-4', 300);
    const cup = await redeem(m, 'CUP');
    await refund('rtc-4', 'rtc-4-r', 300); // 300 unrecovered: the cup spent them
    await buy(m, 'rtc-5', 200);
    const cake = await redeem(m, 'CAKE'); // after the refund, from rtc-5's points
    await s.admin(CANCEL, { id: cake });
    expect(await balance(m)).toBe(200);
    await s.admin(CANCEL, { id: cup }); // this one spent what the refund lacked
    expect(await balance(m)).toBe(200);
    await expectLedgerConsistent(s);
  });

  it('a cancellation then a refund, and a refund then a cancellation, leave the same balance', async () => {
    const a = await registerMember(s);
    await buy(a, 'rtc-6', 500);
    const cupA = await redeem(a, 'CUP');
    await s.admin(CANCEL, { id: cupA });
    await refund('rtc-6', 'rtc-6-r', 500);
    const b = await registerMember(s);
    await buy(b, 'rtc-7', 500);
    const cupB = await redeem(b, 'CUP');
    await refund('rtc-7', 'rtc-7-r', 500);
    await s.admin(CANCEL, { id: cupB });
    // And a refund dated between the redemption and the cancellation that arrives after the cancellation.
    const c = await registerMember(s);
    const day = 86_400_000;
    await buy(c, 'rtc-8', 500, new Date(Date.now() - 3 * day).toISOString());
    const cupC = (await s.admin(`mutation($i: RedeemRewardInput!) { redeemReward(input: $i) { id } }`,
      { i: { memberId: c, rewardCode: 'CUP', idempotencyKey: 'rtc-c-cup', occurredAt: new Date(Date.now() - 2 * day).toISOString() } })).redeemReward.id;
    await s.admin(CANCEL, { id: cupC });
    await refund('rtc-8', 'rtc-8-r', 500, new Date(Date.now() - day).toISOString());
    expect([await balance(a), await balance(b), await balance(c)]).toEqual([0, 0, 0]);
    await expectLedgerConsistent(s);
  });
});

describe('with a campaign\'s bonus on the refunded order', () => {
  it('the award\'s reversal is paid too, its points go back to the budget: refund then cancel, and cancel then refund, both end at 0 given', async () => {
    const c = `mutation($i: CampaignInput!) { upsertCampaign(input: $i) { code } }`;
    await s.admin(c, { i: { code: 'RTC_BONUS', name: 'Bonus', trigger: 'PURCHASE', startsAt: '2026-01-01T00:00:00.000Z', bonusPoints: 100, budgetPoints: 1000, controlPercent: 0 } });
    await s.admin('mutation { activateCampaign(code: "RTC_BONUS") { status } }');
    const given = async () => (await s.admin('{ campaign(code: "RTC_BONUS") { pointsGiven } }')).campaign.pointsGiven as number;
    const budgetLeft = async () => (await s.sql<{ left: number }>(
      `select sum(b.remaining)::int as left from campaign_budget b join campaign c on c.id = b.campaign_id where c.code = 'RTC_BONUS'`))[0].left;

    const a = await registerMember(s);
    expect((await s.admin(`mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned bonusPoints } }`,
      { i: { memberId: a, orderId: 'rtc-c-1', amount: 500 } })).recordPurchase).toEqual({ pointsEarned: 500, bonusPoints: 100 });
    const cups = [await redeem(a, 'CUP'), await redeem(a, 'CUP')];
    await refund('rtc-c-1', 'rtc-c-1-r', 500); // 500 of the order's and 100 of the bonus unrecovered: all spent
    expect(await balance(a)).toBe(0);
    expect(await given()).toBe(100);
    for (const cup of cups) await s.admin(CANCEL, { id: cup });
    expect(await balance(a)).toBe(0);
    expect(await given()).toBe(0);
    expect(await budgetLeft()).toBe(1000);

    const b = await registerMember(s);
    await s.admin(`mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }`, { i: { memberId: b, orderId: 'rtc-c-2', amount: 500 } });
    const cupsB = [await redeem(b, 'CUP'), await redeem(b, 'CUP')];
    for (const cup of cupsB) await s.admin(CANCEL, { id: cup });
    await refund('rtc-c-2', 'rtc-c-2-r', 500);
    expect(await balance(b)).toBe(0);
    expect(await given()).toBe(0);
    expect(await budgetLeft()).toBe(1000);
    await expectLedgerConsistent(s);
    await s.admin('mutation { endCampaign(code: "RTC_BONUS") { status } }');
  });
});

describe('recoveryTakes', () => {
  it('takes from the refund\'s own order\'s lots first, at most what came back, oldest refund first', () => {
    const orderOf = new Map([['1', 'o-1'], ['2', 'o-2']]);
    expect(recoveryTakes([{ lotId: '2', amount: 100 }, { lotId: '1', amount: 50 }, { lotId: '3', amount: 40 }], orderOf, [
      { refundId: 'r-1', orderId: 'o-1', outstanding: 120 }, { refundId: 'r-2', orderId: 'o-2', outstanding: 100 },
    ])).toEqual([
      { refundId: 'r-1', takes: [{ lotId: '1', amount: 50 }, { lotId: '2', amount: 70 }] },
      { refundId: 'r-2', takes: [{ lotId: '2', amount: 30 }, { lotId: '3', amount: 40 }] },
    ]);
    expect(recoveryTakes([{ lotId: '1', amount: 10 }], orderOf, [{ refundId: 'r-1', orderId: 'o-9', outstanding: 0 }])).toEqual([]);
  });
});
