// A refund's campaign and referral reversals are keyed by the refund's own key and a marker
// ('refund:<refundId>:campaign:<code>', 'refund:<refundId>:referral:referee', …). A refundId that
// held a marker spelled another refund's reversal key: whichever of the two refunds came second
// failed on the ledger's unique key with INTERNAL_SERVER_ERROR, on every retry, and that order
// could never be refunded. Such a refundId is refused; any other is taken as given.
import { expectError, startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';
import { expectLedgerConsistent } from '../support/ledger';
import { importFile } from '../support/imports';

let s: TestServer;
let service: string;
beforeAll(async () => {
  s = await startTestServer();
  service = await s.token('service');
  await createLadder(s);
  await s.admin('mutation($i: CampaignInput!) { upsertCampaign(input: $i) { code } }', {
    i: { code: 'C1', name: 'Bonus', trigger: 'PURCHASE', startsAt: new Date(Date.now() - 60_000).toISOString(), bonusPoints: 50, controlPercent: 0 },
  });
  await s.admin('mutation($c: String!) { activateCampaign(code: $c) { status } }', { c: 'C1' });
});
afterAll(() => s?.stop());

const PURCHASE = 'mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned bonusPoints } }';
const REFUND = 'mutation($i: RefundPurchaseInput!) { refundPurchase(input: $i) { pointsEarned bonusPoints } }';
const balance = async (id: string) => (await s.admin('query($id: ID!) { member(id: $id) { pointsBalance } }', { id })).member.pointsBalance as number;

it('a refundId holding ":campaign:" or ":referral:", or ending ":referral", is refused on refundId, nothing changed; the orders are refunded by other ids', async () => {
  const a = await registerMember(s);
  const b = await registerMember(s);
  for (const [member, order] of [[a, 'ord-a'], [b, 'ord-b']]) {
    const p = await s.gql(PURCHASE, { i: { memberId: member, orderId: order, amount: 100 } }, service);
    expect(p.data!.recordPurchase.bonusPoints).toBe(50);
  }
  const before = await balance(b);
  for (const refundId of ['RF-x:campaign:C1', 'RF-x:referral:referee', 'x:campaign:', 'RF-x:referral']) {
    const r = await s.gql(REFUND, { i: { orderId: 'ord-b', refundId, amount: 100 } }, service);
    expectError(r, 'BAD_USER_INPUT');
    expect(r.errors![0].extensions!.field).toBe('refundId');
    expect(r.errors![0].message).toMatch(/refundId must not (contain|end with)/);
  }
  expect(await balance(b)).toBe(before);
  expect(await s.sql('select 1 from refund where order_id = $1', ['ord-b'])).toEqual([]);
  // The ids a till uses, colons included, are taken.
  const ra = await s.gql(REFUND, { i: { orderId: 'ord-a', refundId: 'RF-x', amount: 100 } }, service);
  expect(ra.errors).toBeUndefined();
  expect(ra.data!.refundPurchase.bonusPoints).toBe(-50);
  const rb = await s.gql(REFUND, { i: { orderId: 'ord-b', refundId: 'shop:RF-x:campaign', amount: 100 } }, service);
  expect(rb.errors).toBeUndefined();
  expect(await balance(a)).toBe(0);
  expect(await balance(b)).toBe(0);
  await expectLedgerConsistent(s);
});

it('a refundId in the namespace of the refunds an import makes ("import:") is refused; the import refunds the order as its file says', async () => {
  const m = await registerMember(s, { externalId: 'rk-imp' });
  const file = (refunded: string) => `orderId,externalId,amount,refundedAmount,occurredAt\nrk-o,rk-imp,100,${refunded},2026-01-05T10:00:00Z\n`;
  expect((await importFile(s, '/imports/purchases?mode=earn', file(''))).status).toBe('SUCCEEDED');
  // The id the import's refundedAmount of 50.00 makes for this order: it failed that import, the whole file, on every run.
  const r = await s.gql(REFUND, { i: { orderId: 'rk-o', refundId: 'import:rk-o:5000', amount: 20 } }, service);
  expectError(r, 'BAD_USER_INPUT');
  expect(r.errors![0].extensions!.field).toBe('refundId');
  expect(r.errors![0].message).toMatch(/must not begin with "import:"/);
  const job = await importFile(s, '/imports/purchases?mode=earn', file('50'));
  expect(job).toMatchObject({ status: 'SUCCEEDED', rowsRejected: 0 });
  const [p] = await s.sql<{ refunded: number }>('select refunded_cents::int as refunded from purchase where order_id = $1', ['rk-o']);
  expect(p.refunded).toBe(5000);
  expect(await balance(m)).toBeGreaterThan(0);
  await expectLedgerConsistent(s);
});
