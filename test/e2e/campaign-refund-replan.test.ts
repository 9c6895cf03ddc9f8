/**
 * A campaign's bonus reversal is re-planned in date order with the refunds' own reversals
 * (docs/decisions.md, "Refunds are re-planned with the debits, in date order"): a refund posted
 * late, dated before another refund, takes first pick of the lots for its bonus reversal as for
 * its own, and the other refund's bonus reversal moves on, so the member keeps no bonus it
 * would not have kept in date order. Points expire a month after they are earned; a PURCHASE
 * campaign gives 100 points to each purchase of 100 or more.
 */
import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, LADDER, registerMember } from '../support/fixtures';
import { expectLedgerConsistent } from '../support/ledger';

let s: TestServer;
let service: string;
const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();
beforeAll(async () => {
  s = await startTestServer();
  service = await s.token('service');
  await createLadder(s, LADDER.slice(0, 1));
  await s.admin('mutation { updateProgram(input: { pointsExpiryMonths: 1, pointsPendingDays: 0 }) { pointsExpiryMonths } }');
  await s.admin('mutation($i: CampaignInput!) { upsertCampaign(input: $i) { code } }', {
    i: { code: 'REPLAN', name: 'Re-plan', trigger: 'PURCHASE', startsAt: ago(120), minAmount: 100, bonusPoints: 100, controlPercent: 0, budgetPoints: 100000 },
  });
  await s.admin('mutation { activateCampaign(code: "REPLAN") { status } }');
});
afterAll(() => s.stop());

const ok = (res: { errors?: unknown[] }) => expect(res.errors).toBeUndefined();
type Fact = { kind: 'buy'; order: string; daysAgo: number; amount?: number } | { kind: 'refund'; order: string; refund: string; daysAgo: number; amount?: number }
  | { kind: 'redeem'; daysAgo: number };
/** The campaign's budget less its slots' remaining equals what its awards gave, net (the invariant of docs/benchmarks.md). */
const budgetHolds = async () => {
  const [row] = await s.sql<{ spent: number; taken: number }>(
    `select (select coalesce(sum(points - reversed_points + unrecovered_points + reward_points), 0)::int from campaign_award a join campaign c on c.id = a.campaign_id where c.code = 'REPLAN') as spent,
       (select c.budget_points - coalesce(sum(b.remaining), 0)::int from campaign c left join campaign_budget b on b.campaign_id = c.id where c.code = 'REPLAN' group by c.budget_points) as taken`);
  expect(row.taken).toBe(row.spent);
};

/** The facts posted in `order` for a fresh member, then the expiry run: what the member and its awards show. */
async function post(tag: string, facts: Record<string, Fact>, order: string[]) {
  const id = await registerMember(s, { joinedAt: ago(90) });
  for (const k of order) {
    const f = facts[k];
    if (f.kind === 'buy') {
      ok(await s.gql('mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }',
        { i: { memberId: id, orderId: `${tag}-${f.order}`, amount: f.amount ?? 150, occurredAt: ago(f.daysAgo) } }, service));
    } else if (f.kind === 'refund') {
      ok(await s.gql('mutation($i: RefundPurchaseInput!) { refundPurchase(input: $i) { pointsEarned } }',
        { i: { orderId: `${tag}-${f.order}`, refundId: `${tag}-${f.refund}`, amount: f.amount ?? 150, occurredAt: ago(f.daysAgo) } }, service));
    } else {
      ok(await s.gql('mutation($i: RedeemRewardInput!) { redeemReward(input: $i) { points } }',
        { i: { memberId: id, rewardCode: 'HUNDRED', idempotencyKey: `${tag}-${k}`, occurredAt: ago(f.daysAgo) } }, service));
    }
  }
  await s.admin('mutation($a: DateTime!) { expirePoints(asOf: $a) { processed } }', { a: new Date(Date.now() - 1000).toISOString() });
  const { member } = await s.admin('query($id: ID!) { member(id: $id) { pointsBalance } }', { id });
  const awards = await s.sql<{ order: string; points: number; reversed: number; unrecovered: number }>(
    `select split_part(source, '-', 3) as order, points, reversed_points as reversed, unrecovered_points as unrecovered
     from campaign_award where member_id = $1 order by source`, [id]);
  return { balance: member.pointsBalance, awards };
}

it('a refund posted after a later-dated refund takes its bonus back from the lots it finds in date order', async () => {
  // p0 earned 60 days ago (its lots expired 30 days ago), refunded 23 days ago; p2 earned 29
  // days ago, refunded 5 days ago; p1 earned 10 days ago. In date order r0 takes p2's lots (its
  // own expired), r2 then finds p2's taken and takes p1's: nothing is left.
  const facts: Record<string, Fact> = {
    p0: { kind: 'buy', order: 'p0', daysAgo: 60 }, p2: { kind: 'buy', order: 'p2', daysAgo: 29 }, p1: { kind: 'buy', order: 'p1', daysAgo: 10 },
    r0: { kind: 'refund', order: 'p0', refund: 'r0', daysAgo: 23 }, r2: { kind: 'refund', order: 'p2', refund: 'r2', daysAgo: 5 },
  };
  const inDateOrder = await post('cr-date', facts, ['p0', 'p2', 'r0', 'p1', 'r2']);
  const late = await post('cr-late', facts, ['p2', 'p0', 'r2', 'p1', 'r0']);
  expect(inDateOrder.balance).toBe(0);
  expect(late).toEqual(inDateOrder);
  await expectLedgerConsistent(s);
  await budgetHolds();
});

it('an award reversal that date order would leave short keeps its takes (its budget is not charged again); the balance is date order\'s', async () => {
  // Without p1: in date order r0 takes p2's lots and r2 finds nothing. Posted with r0 last, r2's
  // bonus reversal would give back what r0 takes first: it keeps its takes instead.
  const facts: Record<string, Fact> = {
    p0: { kind: 'buy', order: 'p0', daysAgo: 60 }, p2: { kind: 'buy', order: 'p2', daysAgo: 29 },
    r0: { kind: 'refund', order: 'p0', refund: 'r0', daysAgo: 23 }, r2: { kind: 'refund', order: 'p2', refund: 'r2', daysAgo: 5 },
  };
  const inDateOrder = await post('cf-date', facts, ['p0', 'p2', 'r0', 'r2']);
  const late = await post('cf-late', facts, ['p2', 'p0', 'r2', 'r0']);
  expect(late.balance).toBe(inDateOrder.balance);
  await expectLedgerConsistent(s);
  await budgetHolds();
});

describe('with pending points', () => {
  beforeAll(async () => {
    await s.admin('mutation { updateProgram(input: { pointsExpiryMonths: 2, pointsPendingDays: 5 }) { pointsExpiryMonths } }');
    await s.admin('mutation { upsertReward(input: { code: "HUNDRED", name: "Hundred", costPoints: 100 }) { code } }');
  });

  it('a refund inside its purchase\'s pending window, posted last, cancels that purchase\'s pending bonus as in date order', async () => {
    const facts: Record<string, Fact> = {
      p2: { kind: 'buy', order: 'p2', daysAgo: 47, amount: 240 }, p1: { kind: 'buy', order: 'p1', daysAgo: 44, amount: 120 },
      r1: { kind: 'refund', order: 'p1', refund: 'r1', daysAgo: 44 - 1 / 24, amount: 120 },
      p3: { kind: 'buy', order: 'p3', daysAgo: 15, amount: 200 }, d1: { kind: 'redeem', daysAgo: 10.1 },
      r2: { kind: 'refund', order: 'p2', refund: 'r2', daysAgo: 2, amount: 240 },
    };
    const inDateOrder = await post('cp-date', facts, ['p2', 'p1', 'r1', 'p3', 'd1', 'r2']);
    const late = await post('cp-late', facts, ['p2', 'p3', 'p1', 'd1', 'r2', 'r1']);
    expect(late).toEqual(inDateOrder);
    await expectLedgerConsistent(s);
    await budgetHolds();
  });
});
