/**
 * A backdated credit re-plans the debits after it (docs/decisions.md): a debit (a redemption, a
 * negative adjustment) takes soonest-expiring first among the lots spendable at its instant
 * (domain.md, "Spending consumes lots soonest-expiring first"), as if every fact had arrived in
 * date order. A purchase synced late, dated before a redemption already posted, gives the
 * redemption its lot if that lot expires sooner; the redemption's amount stays, its takes move
 * (and a later cancellation gives back to the lots it now holds). Program: points expire after
 * 12 months, no pending days; a reward R50 costs 50 points.
 */
import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, LADDER, registerMember } from '../support/fixtures';
import { expectLedgerConsistent } from '../support/ledger';
import { modelMember, type ModelFact } from '../../src/modules/loyalty-model.rules';

let s: TestServer;
let service: string;
beforeAll(async () => {
  s = await startTestServer();
  service = await s.token('service');
  await createLadder(s, LADDER.slice(0, 1));
  await s.admin('mutation { updateProgram(input: { pointsExpiryMonths: 12, pointsPendingDays: 0 }) { pointsExpiryMonths } }');
  await s.admin('mutation { upsertReward(input: { code: "R50", name: "Fifty", costPoints: 50 }) { code } }');
}, 120_000);
afterAll(() => s.stop());

const DAY = 86_400_000;
const now = Date.now();
const iso = (t: number) => new Date(t).toISOString();

const member = () => registerMember(s, { joinedAt: iso(now - 800 * DAY) });
const ok = <T>(res: { data?: T; errors?: unknown }): T => {
  expect(res.errors).toBeUndefined();
  return res.data!;
};
const buy = async (id: string, orderId: string, daysAgo: number, amount = 100) => ok(await s.gql(
  'mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }',
  { i: { memberId: id, orderId, amount, occurredAt: iso(now - daysAgo * DAY) } }, service));
const redeem = async (id: string, key: string, daysAgo: number) => (ok(await s.gql<{ redeemReward: { id: string } }>(
  'mutation($i: RedeemRewardInput!) { redeemReward(input: $i) { id } }',
  { i: { memberId: id, rewardCode: 'R50', idempotencyKey: key, occurredAt: iso(now - daysAgo * DAY) } }, service))).redeemReward.id;
const debitBy = async (id: string, key: string, daysAgo: number, points = 50) => ok(await s.gql(
  'mutation($i: AdjustPointsInput!) { adjustPoints(input: $i) { amount } }',
  { i: { memberId: id, amount: -points, reason: 'till correction', idempotencyKey: key, occurredAt: iso(now - daysAgo * DAY) } }, await s.token('admin')));
const expire = (daysAgo: number) => s.admin('mutation($a: DateTime!) { expirePoints(asOf: $a) { processed } }', { a: iso(now - daysAgo * DAY) });
const shown = async (id: string) => (await s.admin<{ member: Record<string, number> }>(
  'query($id: ID!) { member(id: $id) { pointsBalance e30: expiringPoints(withinDays: 30) e90: expiringPoints(withinDays: 90) } }', { id })).member;
/** What the member's lots expired by now held (expired by a run, or due at the next), and what its EXPIRE transactions took off. */
const expired = async (id: string) => {
  const [r] = await s.sql(`select
      (select coalesce(sum(remaining), 0)::int from point_lot where member_id = $1 and remaining > 0 and expires_at <= now()) as lots,
      (select coalesce(-sum(amount), 0)::int from point_transaction where member_id = $1 and type = 'EXPIRE') as txns`, [id]);
  return r as { lots: number; txns: number };
};

describe('the repro: B (100 points, 340 days ago) and A (100, 300 days ago), R50 redeemed 200 days ago', () => {
  // B expires in 25 days, A in 65: the redemption takes its 50 from B, whatever the order they arrive in.
  const expected = { pointsBalance: 150, e30: 50, e90: 150 };

  it('in date order: the redemption takes from B', async () => {
    const id = await member();
    await buy(id, 'rp-1-b', 340);
    await buy(id, 'rp-1-a', 300);
    await redeem(id, 'rp-1', 200);
    expect(await shown(id)).toEqual(expected);
  });

  it('B posted last (dated before the redemption): the redemption is re-planned onto B', async () => {
    const id = await member();
    await buy(id, 'rp-2-a', 300);
    const redemption = await redeem(id, 'rp-2', 200);
    expect(await shown(id)).toEqual({ pointsBalance: 50, e30: 0, e90: 50 });
    await buy(id, 'rp-2-b', 340);
    expect(await shown(id)).toEqual(expected);
    // Its transaction's amount is unchanged; its takes moved (allocations against its own transaction, net 50 from B).
    const takes = await s.sql(`select l.order_id as "order", sum(al.amount)::int as points from point_allocation al
      join point_lot l on l.id = al.lot_id join redemption r on r.transaction_id = al.transaction_id
      where r.id = $1 group by l.order_id having sum(al.amount) <> 0`, [redemption]);
    expect(takes).toEqual([{ order: 'rp-2-b', points: 50 }]);
    const [t] = await s.sql(`select t.amount from point_transaction t join redemption r on r.transaction_id = t.id where r.id = $1`, [redemption]);
    expect(t.amount).toBe(-50);
    // Cancelled now: the 50 points go back to B, the lot it holds now.
    await s.admin('mutation($id: ID!) { cancelRedemption(id: $id, reason: "changed mind") { status } }', { id: redemption });
    expect(await shown(id)).toEqual({ pointsBalance: 200, e30: 100, e90: 200 });
    await expectLedgerConsistent(s);
  });

  it('a negative adjustment is re-planned the same way', async () => {
    const id = await member();
    await buy(id, 'rp-3-a', 300);
    await debitBy(id, 'rp-3', 200);
    await buy(id, 'rp-3-b', 340);
    expect(await shown(id)).toEqual(expected);
    await expectLedgerConsistent(s);
  });

  it('a cancelled redemption and its takes are left as they are', async () => {
    const id = await member();
    await buy(id, 'rp-4-a', 300);
    const redemption = await redeem(id, 'rp-4', 200);
    await s.admin('mutation($id: ID!) { cancelRedemption(id: $id, reason: "changed mind") { status } }', { id: redemption });
    await buy(id, 'rp-4-b', 340);
    expect(await shown(id)).toEqual({ pointsBalance: 200, e30: 100, e90: 200 });
    await expectLedgerConsistent(s);
  });

  it('a debit posted late, dated before debits already written, re-plans them too', async () => {
    // Lot 1: 50 points 380 days ago under a 24-month expiry (then back to 12): it outlives the others.
    // Lot 3: 50 points 340 days ago (expires in 25 days); lot 2: 50 points 320 days ago (in 45).
    // Debits of 50: d1 330 days ago (lots 1 and 3 spendable), d2 310 days ago (all three).
    // Date order: d1 takes 3, d2 takes 2: lot 1 keeps 50 (expiring in a year). d2 first: it takes 3,
    // then d1 finds 3 empty and takes 1, and lot 2 keeps 50 expiring in 45 days, unless d1 re-plans d2.
    const [date, late] = [await member(), await member()];
    await s.admin('mutation { updateProgram(input: { pointsExpiryMonths: 24 }) { pointsExpiryMonths } }');
    await buy(date, 'rp-5d-1', 380, 50);
    await buy(late, 'rp-5l-1', 380, 50);
    await s.admin('mutation { updateProgram(input: { pointsExpiryMonths: 12 }) { pointsExpiryMonths } }');
    for (const [id, tag] of [[date, 'rp-5d'], [late, 'rp-5l']] as const) {
      await buy(id, `${tag}-3`, 340, 50);
      await buy(id, `${tag}-2`, 320, 50);
    }
    await debitBy(date, 'rp-5d-d1', 330);
    await debitBy(date, 'rp-5d-d2', 310);
    await debitBy(late, 'rp-5l-d2', 310);
    await debitBy(late, 'rp-5l-d1', 330);
    expect(await shown(date)).toEqual({ pointsBalance: 50, e30: 0, e90: 0 });
    expect(await shown(late)).toEqual({ pointsBalance: 50, e30: 0, e90: 0 });
    await expectLedgerConsistent(s);
  });
});

describe('the expiry run has passed the later-expiring lot before the late credit arrives', () => {
  // A: 100 points 400 days ago (expired 35 days ago); R50 redeemed 380 days ago; a run as of 10 days ago expired A's 50 left.
  // B: 100 points 420 days ago (expired 55 days ago) arrives last: the redemption takes from B, so A expired 100, B 50.
  it('what expired moves with the re-plan: A expired 100, B 50, the balance is what is live', async () => {
    const id = await member();
    await buy(id, 'rx-1-c', 100); // live: 100
    await buy(id, 'rx-1-a', 400);
    await redeem(id, 'rx-1', 380);
    await expire(10);
    expect(await shown(id)).toEqual({ pointsBalance: 100, e30: 0, e90: 0 });
    expect(await expired(id)).toEqual({ lots: 50, txns: 50 });
    await buy(id, 'rx-1-b', 420);
    expect(await shown(id)).toEqual({ pointsBalance: 100, e30: 0, e90: 0 });
    expect(await expired(id)).toEqual({ lots: 150, txns: 150 });
    const lots = await s.sql(`select order_id as "order", remaining from point_lot where member_id = $1 order by order_id`, [id]);
    expect(lots).toEqual([{ order: 'rx-1-a', remaining: 100 }, { order: 'rx-1-b', remaining: 50 }, { order: 'rx-1-c', remaining: 100 }]);
    await expectLedgerConsistent(s);
  });

  it('the same facts in date order, then the run, end the same', async () => {
    const id = await member();
    await buy(id, 'rx-2-b', 420);
    await buy(id, 'rx-2-a', 400);
    await redeem(id, 'rx-2', 380);
    await buy(id, 'rx-2-c', 100);
    await expire(10);
    expect(await shown(id)).toEqual({ pointsBalance: 100, e30: 0, e90: 0 });
    expect(await expired(id)).toEqual({ lots: 150, txns: 150 });
  });
});

describe('a refund synced late, dated before a redemption already posted', () => {
  const refund = async (orderId: string, refundId: string, daysAgo: number, amount = 100) => ok(await s.gql<{ refundPurchase: { transaction: unknown } }>(
    'mutation($i: RefundPurchaseInput!) { refundPurchase(input: $i) { pointsEarned transaction { amount unrecoveredPoints } } }',
    { i: { orderId, refundId, amount, occurredAt: iso(now - daysAgo * DAY) } }, service));

  it('takes its own lot as it stood before the redemption, which then takes from the next lot (as in date order)', async () => {
    // B (340 days ago) fully refunded 330 days ago; A 300 days ago; R50 200 days ago. In date order the
    // redemption finds B refunded and takes A. Posted before the refund it had taken B, and the refund
    // found 50 of its 100 points there and recorded the rest unrecovered: the member kept 50 more.
    const [date, late] = [await member(), await member()];
    await buy(date, 'rr-1d-b', 340);
    await buy(date, 'rr-1d-a', 300);
    await refund('rr-1d-b', 'rr-1d-r', 330);
    await redeem(date, 'rr-1d', 200);
    await buy(late, 'rr-1l-b', 340);
    await buy(late, 'rr-1l-a', 300);
    await redeem(late, 'rr-1l', 200);
    const r = await refund('rr-1l-b', 'rr-1l-r', 330);
    expect(r.refundPurchase.transaction).toEqual({ amount: -100, unrecoveredPoints: 0 });
    expect(await shown(late)).toEqual({ pointsBalance: 50, e30: 0, e90: 50 });
    expect(await shown(late)).toEqual(await shown(date));
    await expectLedgerConsistent(s);
  });

  it('when the redemptions would not have fitted after it, the refund takes what is left, as before', async () => {
    // B 100 points, two R50 take all of it; B's refund dated before them: in date order they would have been refused.
    const id = await member();
    await buy(id, 'rr-2-b', 340);
    await redeem(id, 'rr-2-1', 200);
    await redeem(id, 'rr-2-2', 190);
    const r = await refund('rr-2-b', 'rr-2-r', 330);
    expect(r.refundPurchase.transaction).toEqual({ amount: 0, unrecoveredPoints: 100 });
    expect(await shown(id)).toEqual({ pointsBalance: 0, e30: 0, e90: 0 });
    await expectLedgerConsistent(s);
  });
});

describe('many late credits and debits for one member at once', () => {
  it('leave balance = Σ live lots = Σ transactions, and what the model gives for the facts in date order', async () => {
    const id = await member();
    // A float posted first: 5000 points 200 days ago, so that no debit is short in any order.
    await buy(id, 'rc-float', 200, 5000);
    const facts: ModelFact[] = [{ kind: 'purchase', orderId: 'rc-float', amountCents: 500_000, at: new Date(now - 200 * DAY) }];
    const writes: (() => Promise<unknown>)[] = [];
    for (let i = 0; i < 12; i++) {
      const daysAgo = 150.5 + ((i * 37) % 230); // 150..380 days ago, lots expiring in −15..215 days (half a day off the horizons)
      facts.push({ kind: 'purchase', orderId: `rc-p${i}`, amountCents: 3000 + i * 100, at: new Date(now - daysAgo * DAY) });
      writes.push(() => buy(id, `rc-p${i}`, daysAgo, 30 + i));
    }
    for (let i = 0; i < 10; i++) {
      const daysAgo = 10.25 + ((i * 53) % 185); // after the float
      if (i % 2) {
        facts.push({ kind: 'redeem', id: `rc-d${i}`, points: 50, at: new Date(now - daysAgo * DAY) });
        writes.push(() => redeem(id, `rc-d${i}`, daysAgo));
      } else {
        facts.push({ kind: 'adjust', id: `rc-d${i}`, points: 40 + i, at: new Date(now - daysAgo * DAY) });
        writes.push(() => debitBy(id, `rc-d${i}`, daysAgo, 40 + i));
      }
    }
    await Promise.all(writes.map((w) => w()));
    await expectLedgerConsistent(s);
    const m = modelMember({
      pointsPerUnit: 1, pointsExpiryMonths: 12, pointsPendingDays: 0, windowMonths: 12, validityMonths: 12, policy: 'DROP_ONE',
      ladder: [{ code: 'BRONZE', rank: 0, qualifyingPoints: 0, retainPoints: 0, pointsMultiplier: 1 }],
    }, [], new Date(now - 800 * DAY), facts, new Date(now), new Date(), [30, 90]);
    expect(await shown(id)).toEqual({ pointsBalance: m.balance, e30: m.expiring[0], e90: m.expiring[1] });
    expect((await expired(id)).lots).toBe(m.expired);
  });
});
