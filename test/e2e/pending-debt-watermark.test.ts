import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';

// A debt (allowNegativeBalance: a refund of points already gone) is repaid by pending points when
// they activate. A backdated purchase whose pending lot activated and expired before it arrived,
// after an expiry run had passed that expiry, repays the debt as it would have at its activation,
// and only the rest expires: the balance is the same whether the run came before or after it
// (domain.md, "Time"). It stayed in debt: EARN then EXPIRE of the whole lot, the debt untouched.

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  await createLadder(s);
  await s.admin(`mutation { updateProgram(input: { pointsPerUnit: 1, pointsExpiryMonths: 1, pointsPendingDays: 3, allowNegativeBalance: true }) { pointsPendingDays } }`);
});
afterAll(() => s.stop());

const DAY = 86_400_000;
const iso = (t: number) => new Date(t).toISOString();
const PURCHASE = `mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }`;
const REFUND = `mutation($i: RefundPurchaseInput!) { refundPurchase(input: $i) { pointsEarned } }`;
const EXPIRE = `mutation($a: DateTime!) { expirePoints(asOf: $a) { processed } }`;
const MEMBER = `query($id: ID!) { member(id: $id) { pointsBalance pointsHistory(first: 20) { edges { node { type amount balanceAfter } } } } }`;
type M = { member: { pointsBalance: number; pointsHistory: { edges: { node: { type: string; amount: number; balanceAfter: number } }[] } } };

async function scenario(runBeforeLatePurchase: boolean) {
  const t0 = Date.now() - 200 * DAY;
  const m = await registerMember(s, { joinedAt: iso(t0 - DAY) });
  await s.admin(PURCHASE, { i: { memberId: m, orderId: `debt-${m}-a`, amount: 100, occurredAt: iso(t0) } });
  // Refunded after its lot expired (t0 + 3 days + 1 month): nothing to take back, a debt of 100.
  await s.admin(REFUND, { i: { orderId: `debt-${m}-a`, refundId: `debt-${m}-ra`, amount: 100, occurredAt: iso(t0 + 40 * DAY) } });
  if (runBeforeLatePurchase) await s.admin(EXPIRE, { a: iso(Date.now()) });
  // Dated after the debt: pending 3 days, then spendable for a month, all long before now.
  await s.admin(PURCHASE, { i: { memberId: m, orderId: `debt-${m}-b`, amount: 100, occurredAt: iso(t0 + 50 * DAY) } });
  await s.admin(EXPIRE, { a: iso(Date.now()) });
  const { member } = await s.admin<M>(MEMBER, { id: m });
  const nodes = member.pointsHistory.edges.map((e) => e.node);
  return { balance: member.pointsBalance, ledger: nodes.reduce((sum, n) => sum + n.amount, 0), newest: nodes[0].balanceAfter };
}

it('a late pending purchase under the expiry watermark repays a debt as it would have at its activation', async () => {
  const onTime = await scenario(false);
  expect(onTime).toEqual({ balance: 0, ledger: 0, newest: 0 });
  expect(await scenario(true)).toEqual(onTime);
});

// The mirror: the debt comes from a late refund, dated while the repaying lot was still pending,
// that arrives after an expiry run has passed that lot's expiry. The lot would have repaid the debt
// when it activated; it repays it now without touching the balance (the run took its points off).
async function lateRefund(runBeforeRefund: boolean) {
  const t0 = Date.now() - 300 * DAY;
  const m = await registerMember(s, { joinedAt: iso(t0 - DAY) });
  await s.admin(`mutation { updateProgram(input: { pointsPendingDays: 40 }) { pointsPendingDays } }`);
  await s.admin(PURCHASE, { i: { memberId: m, orderId: `late-${m}-a`, amount: 100, occurredAt: iso(t0) } });
  await s.admin(PURCHASE, { i: { memberId: m, orderId: `late-${m}-b`, amount: 100, occurredAt: iso(t0 + 60 * DAY) } });
  await s.admin(`mutation { updateProgram(input: { pointsPendingDays: 3 }) { pointsPendingDays } }`);
  if (runBeforeRefund) await s.admin(EXPIRE, { a: iso(Date.now()) });
  // After a's lot expired (t0 + 40 days + 1 month), while b's is pending (until t0 + 100 days): a debt of 100.
  await s.admin(REFUND, { i: { orderId: `late-${m}-a`, refundId: `late-${m}-ra`, amount: 100, occurredAt: iso(t0 + 75 * DAY) } });
  await s.admin(EXPIRE, { a: iso(Date.now()) });
  const { member } = await s.admin<M>(MEMBER, { id: m });
  const nodes = member.pointsHistory.edges.map((e) => e.node);
  return { balance: member.pointsBalance, ledger: nodes.reduce((sum, n) => sum + n.amount, 0), newest: nodes[0].balanceAfter };
}

it('a late refund\'s debt is repaid by a pending lot an expiry run has expired since, as at its activation', async () => {
  const onTime = await lateRefund(false);
  expect(onTime).toEqual({ balance: 0, ledger: 0, newest: 0 });
  expect(await lateRefund(true)).toEqual(onTime);
});
