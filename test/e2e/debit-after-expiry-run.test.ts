/**
 * A debit (a redemption a till syncs late, an admin's dated debit) is judged on the lots
 * spendable at its own instant, whether the expiry run for a later date came before or after
 * it arrived (domain.md, "Time"; docs/decisions.md, "A redemption is judged at its own
 * instant": "the balance (the lots live then)"). Two members get the same facts; one's debit
 * arrives before the expiry run, the other's after it. Dates are relative to today, so that
 * lot B is still spendable when the balances are read.
 */
import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, LADDER, registerMember } from '../support/fixtures';
import { expectLedgerConsistent } from '../support/ledger';
import { addMonthsUtc } from '../../src/common/time.rules';

let s: TestServer;
let service: string;
beforeAll(async () => {
  s = await startTestServer();
  service = await s.token('service');
  await createLadder(s, LADDER.slice(0, 1));
  await s.admin('mutation { updateProgram(input: { pointsExpiryMonths: 12 }) { pointsExpiryMonths } }');
  await s.admin('mutation { upsertReward(input: { code: "LATE50", name: "Fifty", costPoints: 50 }) { code } }');
});
afterAll(() => s.stop());

const DAY = 86_400_000;
const now = new Date();
const iso = (d: Date) => d.toISOString();
/** Lot A: 100 points expiring a month ago. Lot B: 100 points earned before A expired, expiring in a month. */
const A_EARNED = addMonthsUtc(new Date(now.getTime() - 30 * DAY), -12);
const B_EARNED = addMonthsUtc(new Date(now.getTime() + 30 * DAY), -12);
const SPENT_AT = iso(new Date(now.getTime() - 60 * DAY)); // while A was spendable, soonest to expire
const RUN_AT = iso(new Date(now.getTime() - 14 * DAY)); // after A's expiry

const buy = async (memberId: string, orderId: string, at: Date) => {
  const res = await s.gql('mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }',
    { i: { memberId, orderId, amount: 100, occurredAt: iso(at) } }, service);
  expect(res.errors).toBeUndefined();
};
const expire = () => s.admin('mutation($a: DateTime!) { expirePoints(asOf: $a) { processed } }', { a: RUN_AT });
const shown = async (id: string) => (await s.admin<{ member: Record<string, unknown> }>(
  'query($id: ID!) { member(id: $id) { pointsBalance e: expiringPoints(withinDays: 3650) redemptions { edges { node { points status } } } } }', { id })).member;
/** Per type, what the member's ledger sums to: the late write's debit and the net expiry must be the on-time one's. */
const totals = async (id: string) => Object.fromEntries((await s.sql<{ type: string; total: number }>(
  `select type, sum(amount)::int as total from point_transaction where member_id = $1 group by type order by type`, [id])).map((r) => [r.type, r.total]));
const twoLots = async (tag: string) => {
  const id = await registerMember(s, { joinedAt: iso(addMonthsUtc(now, -14)) });
  await buy(id, `${tag}-a`, A_EARNED);
  await buy(id, `${tag}-b`, B_EARNED);
  return id;
};

it('a redemption dated before an expiry run and posted after it leaves the balance a redemption posted before the run leaves', async () => {
  const redeem = (memberId: string, key: string) => s.gql(
    'mutation($i: RedeemRewardInput!) { redeemReward(input: $i) { points } }',
    { i: { memberId, rewardCode: 'LATE50', idempotencyKey: key, occurredAt: SPENT_AT } }, service);
  const onTime = await twoLots('dl-1a');
  expect((await redeem(onTime, 'dl-1a')).errors).toBeUndefined();
  await expire();
  const late = await twoLots('dl-1b');
  await expire();
  const res = await redeem(late, 'dl-1b');
  expect(res.errors).toBeUndefined();
  // It took its 50 points from B (A left out as expired): the balance read 50, and 50 expiring.
  const expected = { pointsBalance: 100, e: 100, redemptions: { edges: [{ node: { points: 50, status: 'ISSUED' } }] } };
  expect(await shown(onTime)).toEqual(expected);
  expect(await shown(late)).toEqual(expected);
  // The REDEEM records its 50 points; the 50 of lot A it took did not expire (an EXPIRE correction at A's expiry).
  expect(await totals(late)).toEqual(await totals(onTime));
  expect(await totals(late)).toEqual({ EARN: 200, EXPIRE: -50, REDEEM: -50 });
  expect(await s.sql(`select type, amount from point_transaction where member_id = $1 and type in ('REDEEM', 'EXPIRE') order by id`, [late]))
    .toEqual([{ type: 'EXPIRE', amount: -100 }, { type: 'EXPIRE', amount: 50 }, { type: 'REDEEM', amount: -50 }]);
  await expectLedgerConsistent(s);
});

it('an admin debit dated before an expiry run and posted after it takes from the lot spendable then', async () => {
  const debit = (memberId: string, key: string, at: string) => s.admin(
    'mutation($i: AdjustPointsInput!) { adjustPoints(input: $i) { amount } }',
    { i: { memberId, amount: -50, reason: 'correction', idempotencyKey: key, occurredAt: at } });
  const at = SPENT_AT;
  const onTime = await twoLots('dl-2a');
  await debit(onTime, 'dl-2a', at);
  await expire();
  const late = await twoLots('dl-2b');
  await expire();
  await debit(late, 'dl-2b', at);
  const expected = { pointsBalance: 100, e: 100, redemptions: { edges: [] } };
  expect(await shown(onTime)).toEqual(expected);
  expect(await shown(late)).toEqual(expected);
  // The ADJUST records its whole −50 (not what the balance moved), as on time.
  expect(await totals(late)).toEqual(await totals(onTime));
  expect(await totals(late)).toEqual({ ADJUST: -50, EARN: 200, EXPIRE: -50 });
  await expectLedgerConsistent(s);
});

it('the expiry a late debit corrects is the run\'s: each date\'s expired points are the on-time ones (the run dates its EXPIRE at the latest expiry it covers)', async () => {
  // Lot A expires 40 days ago, lot B 20 days ago, lot C is live; one run covers A and B (its EXPIRE
  // dated at B's expiry). An adjustment of −150 dated 50 days ago takes A's 100 and 50 of B.
  const a = addMonthsUtc(new Date(now.getTime() - 40 * DAY), -12);
  const b = addMonthsUtc(new Date(now.getTime() - 20 * DAY), -12);
  const run = () => s.admin('mutation($a: DateTime!) { expirePoints(asOf: $a) { processed } }', { a: iso(new Date(now.getTime() - 10 * DAY)) });
  const threeLots = async (tag: string) => {
    const id = await registerMember(s, { joinedAt: iso(addMonthsUtc(now, -14)) });
    await buy(id, `${tag}-a`, a);
    await buy(id, `${tag}-b`, b);
    await buy(id, `${tag}-c`, B_EARNED);
    return id;
  };
  const debit = (memberId: string, key: string) => s.admin('mutation($i: AdjustPointsInput!) { adjustPoints(input: $i) { amount } }',
    { i: { memberId, amount: -150, reason: 'correction', idempotencyKey: key, occurredAt: iso(new Date(now.getTime() - 50 * DAY)) } });
  const onTime = await threeLots('dl-3a');
  await debit(onTime, 'dl-3a');
  await run();
  const late = await threeLots('dl-3b');
  await run();
  await debit(late, 'dl-3b');
  const byDate = (id: string) => s.sql<{ on: Date; expired: number }>(
    `select occurred_at as on, sum(amount)::int as expired from point_transaction where member_id = $1 and type = 'EXPIRE'
     group by occurred_at having sum(amount) <> 0 order by occurred_at`, [id]);
  expect(await byDate(late)).toEqual(await byDate(onTime));
  expect(await byDate(onTime)).toEqual([{ on: addMonthsUtc(b, 12), expired: -50 }]);
  expect(await totals(late)).toEqual(await totals(onTime));
  await expectLedgerConsistent(s);
});
