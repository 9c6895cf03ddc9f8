import { expectError, startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';
import { ADJUST } from '../support/ledger';
import { TestClock } from '../support/clock';

/**
 * The server's "now" (src/app.ts StartOptions.clock, a request's ctx.clock) is one for reads
 * and writes: a coupon the server reads as EXPIRED is refused at the till and cannot be
 * cancelled, and an undated adjustment or refund happens at the request's now. useCoupon,
 * cancelRedemption, adjustPoints and refundPurchase took the system's time instead, so a coupon
 * read EXPIRED was still used, or cancelled with its points given back.
 */
let s: TestServer;
let admin: string;
let service: string;
const clock = new TestClock();
beforeAll(async () => {
  s = await startTestServer({ clock });
  admin = await s.token('admin');
  service = await s.token('service');
  await createLadder(s);
  await s.admin(`mutation($i: RewardInput!) { upsertReward(input: $i) { code } }`, { i: { code: 'DAY', name: 'Day pass', costPoints: 10, couponValidDays: 1 } });
});
afterAll(() => s.stop());
afterEach(() => clock.reset());

const DAY = 86_400_000;
const FIELDS = 'id couponCode status expiresAt usedAt';

async function issued(): Promise<{ id: string; couponCode: string; memberId: string }> {
  const memberId = await registerMember(s);
  await s.admin(ADJUST, { input: { memberId, amount: 100, reason: 'start', idempotencyKey: `start-${memberId}` } });
  const r = await s.gql(`mutation($i: RedeemRewardInput!) { redeemReward(input: $i) { ${FIELDS} } }`,
    { i: { memberId, rewardCode: 'DAY', idempotencyKey: `r-${memberId}` } }, admin);
  if (r.errors) throw new Error(JSON.stringify(r.errors));
  return { ...r.data!.redeemReward, memberId };
}

it('a coupon the server reads as EXPIRED is refused at the till', async () => {
  const c = await issued();
  clock.advance(DAY + 60_000);
  const read = await s.gql(`query($c: String!) { redemptionByCoupon(couponCode: $c) { ${FIELDS} } }`, { c: c.couponCode }, service);
  expect(read.data!.redemptionByCoupon.status).toBe('EXPIRED');
  const used = await s.gql(`mutation($i: UseCouponInput!) { useCoupon(input: $i) { ${FIELDS} } }`, { i: { couponCode: c.couponCode, idempotencyKey: `use-${c.id}` } }, service);
  expectError(used, 'COUPON_NOT_USABLE');
});

it('a coupon the server reads as EXPIRED cannot be cancelled (its points are not given back)', async () => {
  const c = await issued();
  clock.advance(DAY + 60_000);
  const cancelled = await s.gql(`mutation($id: ID!) { cancelRedemption(id: $id, reason: "audit") { id status } }`, { id: c.id }, admin);
  expectError(cancelled, 'COUPON_NOT_USABLE');
  const { member } = await s.admin<{ member: { pointsBalance: number } }>('query($id: ID!) { member(id: $id) { pointsBalance } }', { id: c.memberId });
  expect(member.pointsBalance).toBe(90);
});

it('an undated adjustment and an undated refund happen at the request\'s now', async () => {
  const memberId = await registerMember(s);
  clock.advance(3 * DAY);
  const expected = clock.now().getTime();
  await s.admin(ADJUST, { input: { memberId, amount: 50, reason: 'later', idempotencyKey: `later-${memberId}` } });
  await s.gql('mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }', { i: { memberId, orderId: `o-${memberId}`, amount: 100 } }, service);
  const refund = await s.gql('mutation($i: RefundPurchaseInput!) { refundPurchase(input: $i) { pointsEarned } }', { i: { orderId: `o-${memberId}`, refundId: `r-${memberId}`, amount: 100 } }, service);
  expect(refund.errors).toBeUndefined();
  const { member } = await s.admin<{ member: { pointsHistory: { edges: { node: { type: string; occurredAt: string } }[] } } }>(
    'query($id: ID!) { member(id: $id) { pointsHistory(first: 10) { edges { node { type occurredAt } } } } }', { id: memberId });
  const at = (type: string) => new Date(member.pointsHistory.edges.find((e) => e.node.type === type)!.node.occurredAt).getTime();
  for (const type of ['ADJUST', 'REFUND_REVERSAL']) {
    expect(at(type)).toBeGreaterThanOrEqual(expected);
    expect(at(type)).toBeLessThan(expected + 60_000);
  }
});
