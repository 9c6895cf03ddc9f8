// Issue 17, item 4: totals past 2^31 are exact (SafeInt, summed as bigint); a write that
// would push points past the int columns is BAD_USER_INPUT naming the field, and writes nothing.
import { expectError, startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';
import { PURCHASE } from '../support/ledger';

let s: TestServer;
let admin: string;
beforeAll(async () => {
  s = await startTestServer();
  admin = await s.token('admin');
  await createLadder(s);
});
afterAll(() => s.stop());

const INT_MAX = 2_147_483_647;
const ADJUST = `mutation($i: AdjustPointsInput!) { adjustPoints(input: $i) { amount balanceAfter } }`;
const adjust = (memberId: string, amount: number, key: string) =>
  s.gql(ADJUST, { i: { memberId, amount, reason: 'overflow test', idempotencyKey: key } }, admin);

/** Everything a points write for this member could have touched. */
const footprint = async (memberId: string) => ({
  account: await s.sql('select balance, lifetime_earned from point_account where member_id = $1', [memberId]),
  member: await s.sql('select window_points, points_after_expiry, tier_id from member where id = $1', [memberId]),
  txns: await s.sql('select count(*)::int as n from point_transaction where member_id = $1', [memberId]),
  lots: await s.sql('select count(*)::int as n from point_lot where member_id = $1', [memberId]),
  qualifying: await s.sql('select count(*)::int as n from qualifying_entry where member_id = $1', [memberId]),
  purchases: await s.sql('select count(*)::int as n from purchase where member_id = $1', [memberId]),
  activities: await s.sql('select count(*)::int as n from activity where member_id = $1', [memberId]),
});

describe('totals past 2^31 are read exactly', () => {
  it('programStats.pointsLiability above 2^31', async () => {
    const a = await registerMember(s);
    const b = await registerMember(s);
    // Two ledgers near the int limit each: set directly, as years of a large programme would.
    await s.sql('update point_account set balance = $2 where member_id = $1', [a, 2_000_000_000]);
    await s.sql('update point_account set balance = $2 where member_id = $1', [b, 2_100_000_000]);
    const [{ total }] = await s.sql('select sum(balance)::text as total from point_account');
    const res = await s.gql('{ programStats { members pointsLiability byTier { count } byStage { count } } }', {}, admin);
    expect(res.errors).toBeUndefined();
    expect(res.data!.programStats.pointsLiability).toBe(Number(total));
    expect(res.data!.programStats.pointsLiability).toBeGreaterThan(INT_MAX);
    expect(res.data!.programStats.members).toBe(2);
    await s.sql('update point_account set balance = 0 where member_id in ($1, $2)', [a, b]);
  });

  it('pointsFlow: a month that earned more than 2^31 points', async () => {
    // Both adjustments dated at one instant, and the range ends just after it: one month whenever
    // the test runs (a range to a minute from now was two months in a month's last minute).
    const at = new Date();
    const ids = [await registerMember(s), await registerMember(s)];
    for (const id of ids) {
      expect((await s.gql(ADJUST, { i: { memberId: id, amount: 2_000_000_000, reason: 'overflow test', idempotencyKey: `flow-${id}`, occurredAt: at.toISOString() } }, admin)).errors).toBeUndefined();
    }
    const from = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1)).toISOString();
    const to = new Date(at.getTime() + 1).toISOString();
    const res = await s.gql('query($f: DateTime!, $t: DateTime!) { pointsFlow(from: $f, to: $t) { period earned redeemed expired } }', { f: from, t: to }, admin);
    expect(res.errors).toBeUndefined();
    expect(res.data!.pointsFlow).toHaveLength(1);
    expect(res.data!.pointsFlow[0].earned).toBeGreaterThanOrEqual(4_000_000_000);
    const [{ earned }] = await s.sql(`select sum(amount)::text as earned from point_transaction where amount > 0 and type in ('EARN', 'ADJUST') and occurred_at >= $1 and occurred_at < $2`, [from, to]);
    expect(res.data!.pointsFlow[0].earned).toBe(Number(earned));
  });
});

describe('a write that would leave the points range is BAD_USER_INPUT and writes nothing', () => {
  it('a purchase of 1e12 (its points do not fit)', async () => {
    const id = await registerMember(s);
    const before = await footprint(id);
    const res = await s.gql(PURCHASE, { input: { memberId: id, orderId: `huge-${id}`, amount: 1e12 } }, admin);
    expectError(res, 'BAD_USER_INPUT', 'amount');
    expect(await footprint(id)).toEqual(before);
  });

  it('an adjustment of 2,147,483,647 on a balance of 1; one of 2,147,483,646 is exact', async () => {
    const id = await registerMember(s);
    expect((await adjust(id, 1, `one-${id}`)).data).toEqual({ adjustPoints: { amount: 1, balanceAfter: 1 } });
    const before = await footprint(id);
    expectError(await adjust(id, INT_MAX, `max-${id}`), 'BAD_USER_INPUT', 'amount');
    expect(await footprint(id)).toEqual(before);
    expect((await adjust(id, INT_MAX - 1, `fits-${id}`)).data).toEqual({ adjustPoints: { amount: INT_MAX - 1, balanceAfter: INT_MAX } });
  });

  it('a credit that would take lifetime points past the limit', async () => {
    const id = await registerMember(s);
    await s.sql('update point_account set lifetime_earned = $2 where member_id = $1', [id, INT_MAX - 10]);
    const before = await footprint(id);
    expectError(await adjust(id, 11, `life-${id}`), 'BAD_USER_INPUT', 'amount');
    expect(await footprint(id)).toEqual(before);
  });

  it('an activity whose points would not fit the balance names its kind', async () => {
    await s.admin('mutation { upsertActivityRule(input: { kind: "T-BIG", name: "Big", points: 2147483647 }) { kind } }');
    const id = await registerMember(s);
    await adjust(id, 1, `act-one-${id}`);
    const before = await footprint(id);
    const res = await s.gql('mutation($i: RecordActivityInput!) { recordActivity(input: $i) { pointsEarned } }',
      { i: { memberId: id, kind: 'T-BIG', idempotencyKey: `big-${id}` } }, admin);
    expectError(res, 'BAD_USER_INPUT', 'kind');
    expect(await footprint(id)).toEqual(before);
  });

  it('a purchase whose qualifying points would overflow the member\'s window counter (caught from SQL)', async () => {
    const id = await registerMember(s);
    // a member in a tier window whose counter is near the limit
    await s.sql(`update member set tier_expires_at = now() + interval '1 month', window_points_months = 12, window_points = $2 where id = $1`, [id, INT_MAX - 10]);
    const before = await footprint(id);
    expectError(await s.gql(PURCHASE, { input: { memberId: id, orderId: `window-${id}`, amount: 100 } }, admin), 'BAD_USER_INPUT', 'amount');
    expect(await footprint(id)).toEqual(before);
  });

  it('cancelling a redemption of a reward whose stock was set to 2,147,483,647 meanwhile: cancelled, the stock stays at the top', async () => {
    const id = await registerMember(s);
    expect((await adjust(id, 100, `stock-${id}`)).errors).toBeUndefined();
    const upsert = (stock: number) => s.gql('mutation($s: Int) { upsertReward(input: { code: "T-STOCK", name: "s", costPoints: 100, stock: $s }) { stock } }', { s: stock }, admin);
    expect((await upsert(10)).errors).toBeUndefined();
    const redeemed = await s.gql('mutation($i: RedeemRewardInput!) { redeemReward(input: $i) { id } }',
      { i: { memberId: id, rewardCode: 'T-STOCK', idempotencyKey: `stock-${id}` } }, admin);
    expect(redeemed.errors).toBeUndefined();
    expect((await upsert(INT_MAX)).data).toEqual({ upsertReward: { stock: INT_MAX } });
    const cancelled = await s.gql('mutation($id: ID!) { cancelRedemption(id: $id, reason: "returned") { status } }', { id: redeemed.data!.redeemReward.id }, admin);
    expect(cancelled.errors).toBeUndefined();
    expect(cancelled.data).toEqual({ cancelRedemption: { status: 'CANCELLED' } });
    expect(await s.sql(`select stock from reward where code = 'T-STOCK'`)).toEqual([{ stock: INT_MAX }]);
    expect(await s.sql('select balance from point_account where member_id = $1', [id])).toEqual([{ balance: 100 }]);
  });

  it('the first large purchase after pointsPerUnit was lowered earns on the new rate: the rate held before it is not the one refusing it', async () => {
    const id = await registerMember(s);
    // A purchase, so that this server holds the programme's configuration as it is now (pointsPerUnit 1).
    expect((await s.gql(PURCHASE, { input: { memberId: id, orderId: `rate-a-${id}`, amount: 10 } }, admin)).errors).toBeUndefined();
    expect((await s.gql('mutation { updateProgram(input: { pointsPerUnit: 0.0001 }) { pointsPerUnit } }', {}, admin)).errors).toBeUndefined();
    try {
      // 2e10 × 1 is past int; 2e10 × 0.0001 = 2,000,000 points.
      const r = await s.gql(PURCHASE, { input: { memberId: id, orderId: `rate-b-${id}`, amount: 2e10 } }, admin);
      expect(r.errors).toBeUndefined();
      expect(r.data!.recordPurchase).toMatchObject({ pointsEarned: 2_000_000, qualifyingPointsEarned: 2_000_000 });
    } finally {
      expect((await s.gql('mutation { updateProgram(input: { pointsPerUnit: 1 }) { pointsPerUnit } }', {}, admin)).errors).toBeUndefined();
    }
    // Raised back: past int on the current rate (1e10 × 1), still BAD_USER_INPUT (amount), nothing written.
    const before = await footprint(id);
    expectError(await s.gql(PURCHASE, { input: { memberId: id, orderId: `rate-c-${id}`, amount: 1e10 } }, admin), 'BAD_USER_INPUT', 'amount');
    expect(await footprint(id)).toEqual(before);
  });

  it('a retry of a large purchase after pointsPerUnit was raised gets its stored answer, not BAD_USER_INPUT', async () => {
    const id = await registerMember(s);
    const input = { memberId: id, orderId: `raise-${id}`, amount: 2e10 };
    expect((await s.gql('mutation { updateProgram(input: { pointsPerUnit: 0.0001 }) { pointsPerUnit } }', {}, admin)).errors).toBeUndefined();
    let first;
    try {
      first = await s.gql(PURCHASE, { input }, admin);
      expect(first.errors).toBeUndefined();
    } finally {
      expect((await s.gql('mutation { updateProgram(input: { pointsPerUnit: 1 }) { pointsPerUnit } }', {}, admin)).errors).toBeUndefined();
    }
    // A purchase at the raised rate, so that this server holds it.
    expect((await s.gql(PURCHASE, { input: { memberId: await registerMember(s), orderId: `raise-other-${id}`, amount: 10 } }, admin)).errors).toBeUndefined();
    const before = await footprint(id);
    for (const i of [1, 2]) {
      const again = await s.gql(PURCHASE, { input }, admin);
      expect([i, again.errors]).toEqual([i, undefined]);
      expect(again.data).toEqual(first.data);
    }
    expect(await footprint(id)).toEqual(before);
  });

  it('a benefit value beyond its column, and a birthday gift beyond the points range', async () => {
    const upsert = (value: number, kind = 'CUSTOM') => s.gql('mutation($v: Float!, $k: String!) { upsertBenefit(input: { code: "T-VAL", name: "v", kind: $k, value: $v, tierCodes: [] }) { value } }', { v: value, k: kind }, admin);
    expectError(await upsert(1e10), 'BAD_USER_INPUT', 'value');
    expectError(await upsert(INT_MAX + 1, 'BIRTHDAY_GIFT'), 'BAD_USER_INPUT', 'value');
    expect(await s.sql(`select count(*)::int as n from benefit where code = 'T-VAL'`)).toEqual([{ n: 0 }]);
    expect((await upsert(9_999_999_999.5)).data).toEqual({ upsertBenefit: { value: 9_999_999_999.5 } });
  });
});
