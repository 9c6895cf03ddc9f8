/**
 * Issue 18, items 1–7: the same facts give the same tiers and points whatever order they
 * arrive in and whenever the review job runs. Each test posts the same facts in two orders
 * (or with the job run before and after) on fresh members and compares what they show.
 * Ladder BRONZE 0; SILVER 1000 / retain 800 ×1.25; GOLD 5000 / retain 4000 ×1.5; 12-month
 * window and validity unless a test says otherwise.
 */
import { expectError, startTestServer, type TestServer } from '../support/harness';
import { createLadder, LADDER, registerMember } from '../support/fixtures';
import { createServices } from '../../src/modules/services';
import { TestClock, whenItComes } from '../support/clock';

let s: TestServer;
let service: string;
/** The server's clock: a job as of a day still to come runs once that day has come, then the clock goes back (whenItComes). */
const clock = new TestClock();
beforeAll(async () => {
  s = await startTestServer({ clock });
  service = await s.token('service');
  await createLadder(s, LADDER.slice(0, 3));
});
afterAll(() => s.stop());

const MEMBER = `query($id: ID!) { member(id: $id) { tier { code } tierSince tierExpiresAt pointsBalance pendingPoints lifetimePoints
  tierProgress { qualifyingPoints nextTier { code } pointsToNextTier pointsToRetain }
  tierHistory { kind fromTier { code } toTier { code } qualifyingPoints occurredAt } } }`;
const member = async (id: string) => (await s.admin(MEMBER, { id })).member;
/** What a member shows, without the ids that differ between two members. */
const shown = async (id: string) => {
  const m = await member(id);
  return { ...m, tierHistory: m.tierHistory.map((c: any) => [c.kind, c.fromTier?.code ?? null, c.toTier.code, c.qualifyingPoints, c.occurredAt]) };
};
const PURCHASE_RESULT = `pointsEarned qualifyingPointsEarned transaction { occurredAt }
  tierChange { kind fromTier { code } toTier { code } qualifyingPoints occurredAt }`;
const buy = (memberId: string, orderId: string, amount: number, occurredAt?: string) =>
  s.gql(`mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) { ${PURCHASE_RESULT} } }`,
    { input: { memberId, orderId, amount, ...(occurredAt ? { occurredAt } : {}) } }, service);
const refund = (orderId: string, refundId: string, amount: number, occurredAt?: string) =>
  s.gql(`mutation($input: RefundPurchaseInput!) { refundPurchase(input: $input) { pointsEarned qualifyingPointsEarned } }`,
    { input: { orderId, refundId, amount, ...(occurredAt ? { occurredAt } : {}) } }, service);
const review = (asOf: string) => whenItComes(clock, asOf, () => s.admin('mutation($a: DateTime!) { runTierReview(asOf: $a) { processed changed } }', { a: asOf }));
const program = (input: Record<string, unknown>) => s.admin('mutation($i: ProgramInput!) { updateProgram(input: $i) { pointsPerUnit } }', { i: input });
/** Members whose account balance is not Σ live lot remainders and Σ signed transactions. */
const ledgerDrift = (ids: string[]) => s.sql(`
  select a.member_id from point_account a where a.member_id = any($1) and (
    a.balance <> coalesce((select sum(remaining) from point_lot l where l.member_id = a.member_id
      and coalesce(l.expires_at, 'infinity') > coalesce(a.expired_through, '-infinity')), 0)
    or a.balance <> coalesce((select sum(amount) from point_transaction t where t.member_id = a.member_id), 0))`, [ids]);
const ok = <T>(res: { data?: T; errors?: unknown[] }): T => {
  expect(res.errors).toBeUndefined();
  return res.data as T;
};

/**
 * For the tests on fixed days of 2025 that read a balance: points that never expire. Their
 * points would expire 24 months after those days (from 2027-01-01 on), and the balance they
 * assert, what the purchases earned at their tiers, would read 0 whatever the order.
 */
const pointsNeverExpire = () => {
  beforeAll(() => program({ clearPointsExpiry: true }));
  afterAll(() => program({ pointsExpiryMonths: 24 }));
};

describe('1. two upgrades at one instant', () => {
  pointsNeverExpire();
  it('the second purchase at the same instant is recorded and upgrades to GOLD (not a 5xx)', async () => {
    const id = await registerMember(s, { joinedAt: '2025-01-01T00:00:00.000Z' });
    const T = '2025-03-01T10:00:00.000Z';
    const first = ok(await buy(id, 'one-instant-a', 1000, T)).recordPurchase;
    expect(first.tierChange).toMatchObject({ kind: 'UPGRADE', toTier: { code: 'SILVER' } });
    const second = await buy(id, 'one-instant-b', 4000, T);
    expect(ok(second).recordPurchase).toMatchObject({
      // Both purchases are at T: each earns at the tier held at T, before the upgrade at T.
      pointsEarned: 4000,
      tierChange: { kind: 'UPGRADE', fromTier: { code: 'BRONZE' }, toTier: { code: 'GOLD' }, qualifyingPoints: 5000, occurredAt: T },
    });
    const m = await shown(id);
    expect(m).toMatchObject({ tier: { code: 'GOLD' }, tierSince: T, tierExpiresAt: '2026-03-01T10:00:00.000Z', pointsBalance: 5000 });
    // As if both had arrived together: one upgrade at T.
    expect(m.tierHistory).toEqual([['UPGRADE', 'BRONZE', 'GOLD', 5000, T]]);
    // Retries return what each returned the first time.
    expect((await buy(id, 'one-instant-b', 4000, T)).data).toEqual(second.data);
    expect(ok(await buy(id, 'one-instant-a', 1000, T)).recordPurchase).toEqual(first);
  });
});

describe('2. the outcome does not depend on when the review runs', () => {
  /** A member GOLD from 2024-01-10 until E = 2025-01-10, with nothing in the window that ends at E. */
  const goldUntilE = async (order: string) => {
    const id = await registerMember(s, { joinedAt: '2024-01-01T00:00:00.000Z' });
    ok(await buy(id, order, 5000, '2024-01-10T00:00:00.000Z'));
    return id;
  };
  const E = '2025-01-10T00:00:00.000Z';

  it('a purchase after an expiry not reviewed yet earns and upgrades as it does after the review', async () => {
    const before = await goldUntilE('rv-before-0');
    const after = await goldUntilE('rv-after-0');
    const t = '2025-02-01T00:00:00.000Z';
    const early = ok(await buy(before, 'rv-before-1', 5000, t)).recordPurchase; // the review has not run yet
    await review('2025-03-01T00:00:00.000Z');
    const late = ok(await buy(after, 'rv-after-1', 5000, t)).recordPurchase;
    expect(early).toEqual(late);
    expect(late).toMatchObject({ pointsEarned: 6250, tierChange: { kind: 'UPGRADE', fromTier: { code: 'SILVER' }, toTier: { code: 'GOLD' } } });
    const [a, b] = [await shown(before), await shown(after)];
    expect(a).toEqual(b);
    expect(b.tierHistory.map((c: any[]) => [c[0], c[2], c[4]])).toEqual([
      ['UPGRADE', 'GOLD', '2024-01-10T00:00:00.000Z'], ['DOWNGRADE', 'SILVER', E], ['UPGRADE', 'GOLD', t],
    ]);
    expect(b).toMatchObject({ tier: { code: 'GOLD' }, tierSince: t, tierExpiresAt: '2026-02-01T00:00:00.000Z' });
  });

  it('a late batch dated just before E renews whether it is posted before or after the review', async () => {
    const before = await goldUntilE('lb-before-0');
    const after = await goldUntilE('lb-after-0');
    const t = '2025-01-09T23:00:00.000Z';
    const early = ok(await buy(before, 'lb-before-1', 4000, t)).recordPurchase;
    await review('2025-02-01T00:00:00.000Z');
    const late = ok(await buy(after, 'lb-after-1', 4000, t)).recordPurchase;
    expect(late).toEqual(early);
    expect(late).toEqual(expect.objectContaining({ pointsEarned: 6000, tierChange: null })); // GOLD's rate, held at t
    await review('2025-02-01T00:00:00.000Z');
    const [a, b] = [await shown(before), await shown(after)];
    expect(b).toEqual(a);
    expect(b.tierHistory.map((c: any[]) => [c[0], c[2], c[3], c[4]])).toEqual([
      ['UPGRADE', 'GOLD', 5000, '2024-01-10T00:00:00.000Z'], ['RENEWAL', 'GOLD', 4000, E],
    ]);
    expect(b).toMatchObject({ tier: { code: 'GOLD' }, tierSince: '2024-01-10T00:00:00.000Z', tierExpiresAt: '2026-01-10T00:00:00.000Z' });
  });
});

describe('3. the tier at an instant comes from the tier history, and the member row agrees', () => {
  it('after a backdated upgrade, a later purchase earns at the upgraded tier', async () => {
    const id = await registerMember(s, { joinedAt: '2024-12-01T00:00:00.000Z' });
    ok(await buy(id, 'bd-30', 1000, '2025-01-30T00:00:00.000Z')); // SILVER on day 30
    const back = ok(await buy(id, 'bd-1', 5000, '2025-01-01T00:00:00.000Z')).recordPurchase; // GOLD on day 1
    expect(back.tierChange).toMatchObject({ kind: 'UPGRADE', fromTier: { code: 'BRONZE' }, toTier: { code: 'GOLD' }, occurredAt: '2025-01-01T00:00:00.000Z' });
    const next = ok(await buy(id, 'bd-40', 100, '2025-02-09T00:00:00.000Z')).recordPurchase;
    expect(next.pointsEarned).toBe(150);
    const m = await shown(id);
    // As in date order: GOLD from day 1; on day 30 the member is GOLD already, nothing changes.
    expect(m.tierHistory).toEqual([['UPGRADE', 'BRONZE', 'GOLD', 5000, '2025-01-01T00:00:00.000Z']]);
    expect(m).toMatchObject({ tier: { code: 'GOLD' }, tierSince: '2025-01-01T00:00:00.000Z', tierExpiresAt: '2026-01-01T00:00:00.000Z' });
  });
});

describe('3a. the result of a backdated purchase reports the upgrade it brought', () => {
  it('one that tips a later purchase\'s window over a threshold: tierChange is that upgrade, dated at the later purchase, and a retry answers it again', async () => {
    const id = await registerMember(s, { joinedAt: '2024-12-01T00:00:00.000Z' });
    expect(ok(await buy(id, 'tip-mar', 600, '2025-03-10T00:00:00.000Z')).recordPurchase.tierChange).toBeNull();
    const back = ok(await buy(id, 'tip-feb', 600, '2025-02-10T00:00:00.000Z')).recordPurchase;
    const upgrade = { kind: 'UPGRADE', fromTier: { code: 'BRONZE' }, toTier: { code: 'SILVER' }, qualifyingPoints: 1200, occurredAt: '2025-03-10T00:00:00.000Z' };
    expect(back.tierChange).toEqual(upgrade);
    expect(ok(await buy(id, 'tip-feb', 600, '2025-02-10T00:00:00.000Z')).recordPurchase.tierChange).toEqual(upgrade);
    // One that brings nothing new reports nothing.
    expect(ok(await buy(id, 'tip-jan', 10, '2025-01-10T00:00:00.000Z')).recordPurchase.tierChange).toBeNull();
  });
});

describe('3b. purchases after a backdated change earn again at the tier held at their instant', () => {
  pointsNeverExpire();
  /** The same purchases on two members, one in date order, the other the day-1 purchase last. */
  const both = async (prefix: string, facts: [string, number, string][], late: number) => {
    const inOrder = await registerMember(s, { joinedAt: '2024-12-01T00:00:00.000Z' });
    const backdated = await registerMember(s, { joinedAt: '2024-12-01T00:00:00.000Z' });
    for (const [o, amount, at] of facts) ok(await buy(inOrder, `${prefix}-a-${o}`, amount, at));
    for (const [i, [o, amount, at]] of facts.entries()) if (i !== late) ok(await buy(backdated, `${prefix}-b-${o}`, amount, at));
    ok(await buy(backdated, `${prefix}-b-${facts[late][0]}`, facts[late][1], facts[late][2]));
    return [await shown(inOrder), await shown(backdated)];
  };

  it('a backdated upgrade: the purchase after it earns at GOLD, as in date order', async () => {
    const [a, b] = await both('rr1', [['1', 5000, '2025-01-01T00:00:00.000Z'], ['30', 1000, '2025-01-30T00:00:00.000Z']], 0);
    expect(b).toEqual(a);
    expect(await ledgerDrift(await s.sql('select member_id from purchase where order_id like $1', ['rr1-%']).then((r) => r.map((x) => x.member_id)))).toEqual([]);
    expect(b).toMatchObject({ pointsBalance: 6500, lifetimePoints: 6500 }); // 5000 at BRONZE, 1000 × 1.5
  });

  it('a backdated refund that undoes an upgrade: the purchase after it earns at the lower tier again', async () => {
    const inOrder = await registerMember(s, { joinedAt: '2024-12-01T00:00:00.000Z' });
    const late = await registerMember(s, { joinedAt: '2024-12-01T00:00:00.000Z' });
    for (const [m, p] of [[inOrder, 'rr2-a'], [late, 'rr2-b']]) {
      ok(await buy(m, `${p}-1`, 600, '2025-01-01T00:00:00.000Z'));
      if (m === inOrder) ok(await refund(`${p}-1`, `${p}-1-r`, 600, '2025-01-10T00:00:00.000Z'));
      ok(await buy(m, `${p}-2`, 500, '2025-01-20T00:00:00.000Z')); // with the first: SILVER at day 20
      ok(await buy(m, `${p}-3`, 1000, '2025-02-01T00:00:00.000Z'));
      if (m === late) ok(await refund(`${p}-1`, `${p}-1-r`, 600, '2025-01-10T00:00:00.000Z')); // posted last
    }
    const [a, b] = [await shown(inOrder), await shown(late)];
    expect(b).toEqual(a);
    // In date order: no upgrade on day 20 (Q 500); on Feb 1, Q 1500: SILVER, earning at BRONZE.
    expect(a.tierHistory).toEqual([['UPGRADE', 'BRONZE', 'SILVER', 1500, '2025-02-01T00:00:00.000Z']]);
    expect(a).toMatchObject({ pointsBalance: 1500, lifetimePoints: 2100 });
    // The re-rating after the refund goes on from the balance the refund left (found by the model-based test).
    expect(await ledgerDrift([inOrder, late])).toEqual([]);
  });
});

describe('4. a refund leaves the window its purchase was in', () => {
  beforeAll(() => program({ qualificationWindowMonths: 6 }));
  afterAll(() => program({ qualificationWindowMonths: 12 }));

  it('a refund of a purchase outside the window at E does not lower Q at E', async () => {
    const id = await registerMember(s, { joinedAt: '2023-12-01T00:00:00.000Z' });
    ok(await buy(id, 'rf-u', 1000, '2024-01-01T00:00:00.000Z')); // SILVER until 2025-01-01
    ok(await buy(id, 'rf-v', 900, '2024-09-01T00:00:00.000Z')); // inside (E − 6 months, E]
    expect(ok(await refund('rf-u', 'rf-u-1', 1000, '2024-10-01T00:00:00.000Z')).refundPurchase).toEqual({ pointsEarned: -1000, qualifyingPointsEarned: -1000 });
    await review('2025-02-01T00:00:00.000Z');
    const m = await shown(id);
    expect(m.tierHistory.at(-1)).toEqual(['RENEWAL', 'SILVER', 'SILVER', 900, '2025-01-01T00:00:00.000Z']);
    expect(m.tier.code).toBe('SILVER');
  });

  it('a purchase earning nothing at E, posted before the backdated purchases that upgrade to an expiry E, still has its review at E (found by the model-based test)', async () => {
    const D = '2023-08-02T02:53:28.136Z';
    const E = '2024-08-02T02:53:28.136Z'; // D + 12 months: the window (E − 12 months, E] leaves D out
    const [inOrder, late] = [await registerMember(s, { joinedAt: '2023-07-01T00:00:00.000Z' }), await registerMember(s, { joinedAt: '2023-07-01T00:00:00.000Z' })];
    ok(await buy(inOrder, 'e0-a1', 800, D));
    ok(await buy(inOrder, 'e0-a2', 200, D));
    expect(ok(await buy(inOrder, 'e0-a3', 0.01, E)).recordPurchase).toMatchObject({ pointsEarned: 0 });
    ok(await buy(late, 'e0-b3', 0.01, E)); // the purchase at E first, then the ones at D
    ok(await buy(late, 'e0-b1', 800, D));
    ok(await buy(late, 'e0-b2', 200, D));
    const [a, b] = [await shown(inOrder), await shown(late)];
    expect(a.tierHistory.map((c: unknown[]) => c.slice(0, 3))).toEqual([['UPGRADE', 'BRONZE', 'SILVER'], ['DOWNGRADE', 'SILVER', 'BRONZE']]);
    expect(b).toEqual(a);
  });

  it('two partial refunds reverse the same qualifying points at the same instants whatever order they arrive in (found by the model-based test)', async () => {
    const D = '2023-08-01T12:00:00.000Z';
    const nextDay = '2023-08-02T12:00:00.000Z';
    const [inOrder, reversed] = [await registerMember(s, { joinedAt: '2023-07-01T00:00:00.000Z' }), await registerMember(s, { joinedAt: '2023-07-01T00:00:00.000Z' })];
    for (const [m, p] of [[inOrder, 'pr-a'], [reversed, 'pr-b']]) ok(await buy(m, p, 1349, D));
    ok(await refund('pr-a', 'pr-a-1', 349.4, D));
    ok(await refund('pr-a', 'pr-a-2', 999.6, nextDay));
    ok(await refund('pr-b', 'pr-b-2', 999.6, nextDay)); // the later one first
    ok(await refund('pr-b', 'pr-b-1', 349.4, D));
    const [a, b] = [await shown(inOrder), await shown(reversed)];
    expect(b).toEqual(a);
    // At D: 1349, SILVER (the refund at D counts from the millisecond after: a refund never moves
    // the decision made at its own instant); the rest is reversed from the next day.
    expect(a.tierHistory[0]).toEqual(['UPGRADE', 'BRONZE', 'SILVER', 1349, D]);
  });

  it('a refund dated before its purchase is BAD_USER_INPUT and changes nothing', async () => {
    const id = await registerMember(s, { joinedAt: '2023-12-01T00:00:00.000Z' });
    ok(await buy(id, 'rf-early', 500, '2024-03-01T00:00:00.000Z'));
    const before = await shown(id);
    expectError(await refund('rf-early', 'rf-early-1', 100, '2024-02-28T00:00:00.000Z'), 'BAD_USER_INPUT', 'occurredAt');
    expect(await shown(id)).toEqual(before);
    const [{ n }] = await s.sql('select count(*)::int as n from refund where order_id = $1', ['rf-early']);
    expect(n).toBe(0);
    // The same instant as the purchase is fine.
    ok(await refund('rf-early', 'rf-early-2', 100, '2024-03-01T00:00:00.000Z'));
  });

  it('a refund sent without occurredAt, of a purchase dated a little ahead of the server\'s clock (the skew allowed), is dated at the purchase', async () => {
    const id = await registerMember(s);
    const ahead = new Date(Date.now() + 120_000).toISOString();
    ok(await buy(id, 'rf-ahead', 100, ahead));
    ok(await refund('rf-ahead', 'rf-ahead-1', 40));
    expect(await s.sql(`select occurred_at as at from refund where refund_id = 'rf-ahead-1'`)).toEqual([{ at: new Date(ahead) }]);
    // Its retry without occurredAt is the same refund; a dated one still must not precede the purchase.
    ok(await refund('rf-ahead', 'rf-ahead-1', 40));
    expectError(await refund('rf-ahead', 'rf-ahead-2', 10, new Date(Date.parse(ahead) - 60_000).toISOString()), 'BAD_USER_INPUT', 'occurredAt');
  });
});

describe('4a. a refund at a review\'s instant, of a purchase at that instant: the purchase nets to nothing whatever the order (found by an outside model-based audit)', () => {
  pointsNeverExpire();

  it('GOLD until E; a purchase at E refunded in full at E: the review at E renews GOLD (the refund counts from just after it), and the purchase nets to nothing whatever the order', async () => {
    const T0 = '2025-01-10T10:00:00.000Z';
    const E = '2026-01-10T10:00:00.000Z'; // T0 + 12 months: GOLD's expiry, and the window (E − 12 months, E] leaves T0 out
    const [ordered, late] = [await registerMember(s, { joinedAt: '2024-12-01T00:00:00.000Z' }), await registerMember(s, { joinedAt: '2024-12-01T00:00:00.000Z' })];
    // Date order: P2 at E keeps GOLD at the review at E (Q 4000 ≥ 4000) and earns ×1.5 (6000); its
    // refund at E counts from the millisecond after (a refund never moves the decision made at its
    // own instant: the next review sees it) and reverses all of P2's points.
    ok(await buy(ordered, 'rr-a1', 7000, T0));
    ok(await buy(ordered, 'rr-a2', 4000, E));
    ok(await refund('rr-a2', 'rr-a2-r', 4000, E));
    ok(await buy(late, 'rr-b2', 4000, E));
    ok(await refund('rr-b2', 'rr-b2-r', 4000, E));
    ok(await buy(late, 'rr-b1', 7000, T0));
    const [a, b] = [await shown(ordered), await shown(late)];
    expect(a.tier.code).toBe('GOLD');
    expect(a.pointsBalance).toBe(7000);
    expect(b).toEqual(a);
    const earning = (orderId: string) => s.sql('select earned_points as earned, reversed_points as reversed from purchase where order_id = $1', [orderId]);
    expect(await earning('rr-a2')).toEqual([{ earned: 6000, reversed: 6000 }]);
    expect(await earning('rr-b2')).toEqual(await earning('rr-a2'));
    expect(await ledgerDrift([ordered, late])).toEqual([]);
  });
});

describe('5. pending points repay a debt when they activate, not before', () => {
  beforeAll(() => program({ allowNegativeBalance: true }));
  afterAll(() => program({ allowNegativeBalance: false, pointsPendingDays: 0 }));

  it('a debt of 100 and a pending purchase of 100: balance −100, pending 100; repaid at activation', async () => {
    const id = await registerMember(s);
    const now = Date.now();
    const at = (days: number) => new Date(now + days * 86_400_000).toISOString();
    ok(await buy(id, 'debt-a', 100, at(-3)));
    await s.admin(`mutation($i: AdjustPointsInput!) { adjustPoints(input: $i) { id } }`,
      { i: { memberId: id, amount: -100, reason: 'spent', idempotencyKey: `debt-spend-${id}`, occurredAt: at(-2) } });
    ok(await refund('debt-a', 'debt-a-r', 100, at(-1)));
    expect(await member(id)).toMatchObject({ pointsBalance: -100, pendingPoints: 0 });
    await program({ pointsPendingDays: 14 });
    ok(await buy(id, 'debt-b', 100, at(0)));
    expect(await member(id)).toMatchObject({ pointsBalance: -100, pendingPoints: 100, lifetimePoints: 200 });
    // Once the points are active, the debt is repaid: at activation, the balance is 0 …
    const { points } = createServices(s.app.orm.em.fork());
    expect((await points.balances([id], new Date(at(15)))).get(id)).toMatchObject({ balance: 0, pending: 0 });
    // … and stays 0 when the lot that repaid it reaches its expiry (24 months after activation):
    // its points went to the debt, nothing of it is left to expire.
    await whenItComes(clock, at(14 + 740), () => s.admin('mutation($a: DateTime!) { expirePoints(asOf: $a) { changed } }', { a: at(14 + 740) }));
    expect((await points.balances([id], new Date(at(14 + 741)))).get(id)).toMatchObject({ balance: 0, pending: 0 });
    const [{ balance }] = await s.sql('select balance from point_account where member_id = $1', [id]);
    expect(balance).toBe(0);
  });
});

describe('6. a purchase earns with the benefit rules in force at its instant', () => {
  const UPSERT = `mutation($i: BenefitInput!) { upsertBenefit(input: $i) { code version history { version changedAt } } }`;
  const bonus = (code: string, active: boolean) => ({ code, name: code, kind: 'POINTS_MULTIPLIER', value: 0.5, tierCodes: [], active });

  it('a bonus in force then still pays after it is switched off', async () => {
    const on = (await s.admin(UPSERT, { i: bonus('THEN_BONUS', true) })).upsertBenefit;
    await new Promise((r) => setTimeout(r, 50));
    const off = (await s.admin(UPSERT, { i: bonus('THEN_BONUS', false) })).upsertBenefit;
    const [v1, v2] = off.history.map((v: any) => new Date(v.changedAt).getTime());
    expect(on.version).toBe(1);
    const id = await registerMember(s);
    const p = ok(await buy(id, 'bonus-then', 100, new Date((v1 + v2) / 2).toISOString())).recordPurchase;
    expect(p.pointsEarned).toBe(150);
  });

  it('a promotion created today does not pay on a purchase dated a year ago', async () => {
    await s.admin(UPSERT, { i: bonus('NEW_PROMO', true) });
    try {
      const id = await registerMember(s, { joinedAt: '2020-01-01T00:00:00.000Z' });
      const old = ok(await buy(id, 'promo-old', 100, new Date(Date.now() - 365 * 86_400_000).toISOString())).recordPurchase;
      expect(old.pointsEarned).toBe(100);
      const today = ok(await buy(id, 'promo-now', 100)).recordPurchase;
      expect(today.pointsEarned).toBe(150);
    } finally {
      await s.admin(UPSERT, { i: bonus('NEW_PROMO', false) });
    }
  });
});

describe('7. idempotency edges', () => {
  it('a purchase sent without occurredAt, retried with exactly the stored instant, is the same purchase', async () => {
    const id = await registerMember(s);
    const first = ok(await buy(id, 'no-when', 100)).recordPurchase;
    const again = await buy(id, 'no-when', 100, first.transaction.occurredAt);
    expect(ok(again).recordPurchase).toEqual(first);
    expectError(await buy(id, 'no-when', 100, new Date(Date.parse(first.transaction.occurredAt) - 1000).toISOString()), 'CONFLICT', 'orderId');
  });

  it('the replay of a purchase that did not upgrade returns no tier change, not another order\'s', async () => {
    const id = await registerMember(s, { joinedAt: '2025-01-01T00:00:00.000Z' });
    const T = '2025-04-01T00:00:00.000Z';
    const small = ok(await buy(id, 'rp-small', 500, T)).recordPurchase;
    expect(small.tierChange).toBeNull();
    const big = ok(await buy(id, 'rp-big', 600, T)).recordPurchase;
    expect(big.tierChange).toMatchObject({ toTier: { code: 'SILVER' } });
    expect(ok(await buy(id, 'rp-small', 500, T)).recordPurchase).toEqual(small);
    expect(ok(await buy(id, 'rp-big', 600, T)).recordPurchase).toEqual(big);
  });

  it('a refund replayed with another occurredAt is a CONFLICT; with the same one or none, the same refund', async () => {
    const id = await registerMember(s, { joinedAt: '2025-01-01T00:00:00.000Z' });
    ok(await buy(id, 'rr-1', 300, '2025-05-01T00:00:00.000Z'));
    const first = ok(await refund('rr-1', 'rr-1-a', 100, '2025-05-02T00:00:00.000Z')).refundPurchase;
    expectError(await refund('rr-1', 'rr-1-a', 100, '2025-05-03T00:00:00.000Z'), 'CONFLICT', 'refundId');
    expect(ok(await refund('rr-1', 'rr-1-a', 100, '2025-05-02T00:00:00.000Z')).refundPurchase).toEqual(first);
    expect(ok(await refund('rr-1', 'rr-1-a', 100)).refundPurchase).toEqual(first);
    const [{ n }] = await s.sql('select count(*)::int as n from refund where order_id = $1', ['rr-1']);
    expect(n).toBe(1);
  });
});

describe('a refund and an expiry run, in either order (found by the model-based test)', () => {
  const expire = (asOf: string) => s.admin('mutation($a: DateTime!) { expirePoints(asOf: $a) { changed } }', { a: asOf });
  const days = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString();

  it('a refund dated before its lot expired takes from that lot, whether the expiry run came before or after it', async () => {
    const joinedAt = days(-900);
    const [before, after] = [await registerMember(s, { joinedAt }), await registerMember(s, { joinedAt })];
    for (const [m, p] of [[before, 'xr-b'], [after, 'xr-a']]) ok(await buy(m, `${p}-old`, 100, days(-800))); // expires 24 months later: ~70 days ago
    await program({ clearPointsExpiry: true });
    try {
      // A lot spendable at the refund's instant that never expires: in date order the refund takes its own lot, not this one.
      for (const [m, p] of [[before, 'xr-b'], [after, 'xr-a']]) ok(await buy(m, `${p}-keep`, 100, days(-760)));
    } finally {
      await program({ pointsExpiryMonths: 24 });
    }
    ok(await refund('xr-b-old', 'xr-b-old-r', 100, days(-750))); // before the lot expired
    await expire(days(0));
    ok(await refund('xr-a-old', 'xr-a-old-r', 100, days(-750))); // the same refund, posted after the run
    const [a, b] = [await shown(before), await shown(after)];
    expect(b).toEqual(a);
    expect(b).toMatchObject({ pointsBalance: 100, lifetimePoints: 200 });
    expect(await ledgerDrift([before, after])).toEqual([]);
  });

  it('a refund inside the pending days of a lot an expiry run has since expired moves nothing on the balance', async () => {
    const id = await registerMember(s, { joinedAt: days(-900) });
    await program({ pointsPendingDays: 14 });
    try {
      ok(await buy(id, 'xp-1', 1000, days(-800))); // pending 14 days, then 24 months: expired ~56 days ago
    } finally {
      await program({ pointsPendingDays: 0 });
    }
    await expire(days(0));
    ok(await refund('xp-1', 'xp-1-r', 1, days(-800))); // inside its pending days: cancels pending points, long expired
    expect(await member(id)).toMatchObject({ pointsBalance: 0, pendingPoints: 0 });
    expect(await ledgerDrift([id])).toEqual([]);
  });
});

describe('a refund kept short by a debit, then a backdated credit that the debit moves to (found by an outside model-based audit)', () => {
  const days = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString();
  const adjust = (memberId: string, amount: number, key: string) =>
    s.admin('mutation($i: AdjustPointsInput!) { adjustPoints(input: $i) { amount } }', { i: { memberId, amount, reason: 'goodwill back', idempotencyKey: key } });
  const reversed = async (memberId: string, orderId: string) => (await s.sql<{ n: number }>(
    `select coalesce(-sum(amount), 0)::int as n from point_transaction where member_id = $1 and type = 'REFUND_REVERSAL' and reference = $2`, [memberId, orderId]))[0].n;

  it('the refunded order\'s points freed by the re-plan go to the refund: the same balance as in date order', async () => {
    const [late, first] = [await registerMember(s, { joinedAt: days(-60) }), await registerMember(s, { joinedAt: days(-60) })];
    // In date order: B (30 days ago), A, the adjustment (takes B, the sooner to expire), A refunded in full (its own lot).
    ok(await buy(first, 'rk-f-b', 200, days(-30)));
    ok(await buy(first, 'rk-f-a', 200));
    ok(await adjust(first, -200, 'rk-f-adj'));
    ok(await refund('rk-f-a', 'rk-f-a-r', 200));
    // B posted last: the adjustment had taken A's lot, so the refund could not take A's points back (unrecovered);
    // B's arrival re-plans the adjustment onto B, which frees A's lot: the refund now takes them.
    ok(await buy(late, 'rk-l-a', 200));
    ok(await adjust(late, -200, 'rk-l-adj'));
    ok(await refund('rk-l-a', 'rk-l-a-r', 200));
    expect(await reversed(late, 'rk-l-a')).toBe(0);
    const bAt = days(-30);
    ok(await buy(late, 'rk-l-b', 200, bAt));
    const [l, f] = [await member(late), await member(first)];
    expect(f).toMatchObject({ pointsBalance: 0 });
    expect(l.pointsBalance).toBe(f.pointsBalance);
    expect(await reversed(late, 'rk-l-a')).toBe(200);
    expect(await reversed(first, 'rk-f-a')).toBe(200);
    // Replayed, the purchase changes nothing more.
    ok(await buy(late, 'rk-l-b', 200, bAt));
    expect((await member(late)).pointsBalance).toBe(0);
    expect(await ledgerDrift([late, first])).toEqual([]);
  });

  it('a credit dated before a refund that fell short, posted after it, pays what it lacks: the balance of date order (found by an outside model-based audit)', async () => {
    const [ordered, late] = [await registerMember(s, { joinedAt: days(-90) }), await registerMember(s, { joinedAt: days(-90) })];
    const at = { p0: days(-42), p1: days(-21), adj: days(-20), r: days(-18) };
    const adjustAt = (memberId: string, key: string) =>
      s.admin('mutation($i: AdjustPointsInput!) { adjustPoints(input: $i) { amount } }', { i: { memberId, amount: -50, reason: 'correction', idempotencyKey: key, occurredAt: at.adj } });
    // Date order: P0, P1, the adjustment (takes P0, the sooner to expire), P0 refunded in full (its own 640, then 50 of P1).
    ok(await buy(ordered, 'rk3-o-0', 690, at.p0));
    ok(await buy(ordered, 'rk3-o-1', 200, at.p1));
    ok(await adjustAt(ordered, 'rk3-o-adj'));
    ok(await refund('rk3-o-0', 'rk3-o-0-r', 690, at.r));
    // P1 posted last: the refund found only P0's 640 (50 unrecovered); P1, spendable at the refund's instant, pays the 50.
    ok(await buy(late, 'rk3-l-0', 690, at.p0));
    ok(await adjustAt(late, 'rk3-l-adj'));
    ok(await refund('rk3-l-0', 'rk3-l-0-r', 690, at.r));
    expect(await reversed(late, 'rk3-l-0')).toBe(640);
    ok(await buy(late, 'rk3-l-1', 200, at.p1));
    expect((await member(ordered)).pointsBalance).toBe(150);
    expect((await member(late)).pointsBalance).toBe(150);
    expect(await reversed(late, 'rk3-l-0')).toBe(690);
    expect(await ledgerDrift([ordered, late])).toEqual([]);
  });

  it('a refund dated after its own lot expired takes from a purchase posted after it but spendable then', async () => {
    await program({ pointsExpiryMonths: 1 });
    try {
      const [ordered, late] = [await registerMember(s, { joinedAt: days(-90) }), await registerMember(s, { joinedAt: days(-90) })];
      const at = { p1: days(-52), p0: days(-18), r: days(-7) }; // P1's lot expires a month after it, before the refund
      ok(await buy(ordered, 'rk4-o-1', 260, at.p1));
      ok(await buy(ordered, 'rk4-o-0', 680, at.p0));
      ok(await refund('rk4-o-1', 'rk4-o-1-r', 10, at.r));
      ok(await buy(late, 'rk4-l-1', 260, at.p1));
      ok(await refund('rk4-l-1', 'rk4-l-1-r', 10, at.r));
      ok(await buy(late, 'rk4-l-0', 680, at.p0));
      const [o, l] = [await member(ordered), await member(late)];
      expect(o.pointsBalance).toBe(670);
      expect(l.pointsBalance).toBe(o.pointsBalance);
      expect(await ledgerDrift([ordered, late])).toEqual([]);
    } finally {
      await program({ pointsExpiryMonths: 24 });
    }
  });

  it('a refund takes only from freed lots spendable at its own instant: not one earned after it (found by review)', async () => {
    const id = await registerMember(s, { joinedAt: days(-90) });
    const at = { a: days(-60), adj1: days(-52), l: days(-42), adj2: days(-40), r: days(-45), b: days(-44) };
    const adjustAt = (amount: number, key: string, occurredAt: string) =>
      s.admin('mutation($i: AdjustPointsInput!) { adjustPoints(input: $i) { amount } }', { i: { memberId: id, amount, reason: 'correction', idempotencyKey: key, occurredAt } });
    ok(await buy(id, 'rk2-a', 50, at.a));
    ok(await adjustAt(-50, 'rk2-adj1', at.adj1)); // takes A
    ok(await buy(id, 'rk2-l', 50, at.l));
    ok(await adjustAt(-50, 'rk2-adj2', at.adj2)); // takes L
    ok(await refund('rk2-a', 'rk2-a-r', 50, at.r)); // nothing spendable at its instant: 50 unrecovered
    // B, dated before L: the later adjustment moves to B (sooner to expire) and frees L, which the
    // refund (dated before L was earned) could not have taken. In date order the balance is L's 50.
    ok(await buy(id, 'rk2-b', 50, at.b));
    expect((await member(id)).pointsBalance).toBe(50);
    expect(await reversed(id, 'rk2-a')).toBe(0);
    expect(await ledgerDrift([id])).toEqual([]);
  });
});

describe('refunds re-planned with the debits, in date order (found by an outside model-based audit)', () => {
  const days = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString();
  const adjustAt = (memberId: string, amount: number, key: string, occurredAt: string) =>
    s.admin('mutation($i: AdjustPointsInput!) { adjustPoints(input: $i) { amount } }', { i: { memberId, amount, reason: 'correction', idempotencyKey: key, occurredAt } });
  const reversed = async (memberId: string, orderId: string) => (await s.sql<{ n: number }>(
    `select coalesce(-sum(amount), 0)::int as n from point_transaction where member_id = $1 and type = 'REFUND_REVERSAL' and reference = $2`, [memberId, orderId]))[0].n;

  it('a refund posted after a later-dated refund took the points it would have found: the earlier refund has first pick, as in date order', async () => {
    const at = { p0: days(-30), r0: days(-20), p1: days(-10), adj: days(-5), r1: days(-2) };
    const [ordered, late] = [await registerMember(s, { joinedAt: days(-60) }), await registerMember(s, { joinedAt: days(-60) })];
    // Date order: P0 100, its refund (its own 100), P1 200, the adjustment (P1's 100), P1's refund of 150 (100 left: 50 short).
    ok(await buy(ordered, 'rr1-o-0', 100, at.p0));
    ok(await refund('rr1-o-0', 'rr1-o-0-r', 100, at.r0));
    ok(await buy(ordered, 'rr1-o-1', 200, at.p1));
    ok(await adjustAt(ordered, -100, 'rr1-o-adj', at.adj));
    ok(await refund('rr1-o-1', 'rr1-o-1-r', 150, at.r1));
    // P0's refund posted last: the adjustment had taken P0 (the sooner to expire) and P1's refund 150 of P1.
    ok(await buy(late, 'rr1-l-0', 100, at.p0));
    ok(await buy(late, 'rr1-l-1', 200, at.p1));
    ok(await adjustAt(late, -100, 'rr1-l-adj', at.adj));
    ok(await refund('rr1-l-1', 'rr1-l-1-r', 150, at.r1));
    expect((await member(late)).pointsBalance).toBe(50);
    ok(await refund('rr1-l-0', 'rr1-l-0-r', 100, at.r0));
    expect((await member(ordered)).pointsBalance).toBe(0);
    expect((await member(late)).pointsBalance).toBe(0);
    expect([await reversed(late, 'rr1-l-0'), await reversed(late, 'rr1-l-1')]).toEqual([100, 100]);
    expect([await reversed(ordered, 'rr1-o-0'), await reversed(ordered, 'rr1-o-1')]).toEqual([100, 100]);
    // What P1's refund gave back it still lacks: a credit spendable at its instant pays it.
    const lacks = `select coalesce(sum(unrecovered), 0)::int + coalesce((select sum(amount) from point_transaction x where x.member_id = $1
      and x.idempotency_key like 'refund-recovery:%'), 0)::int as n from point_transaction
      where member_id = $1 and type = 'REFUND_REVERSAL' and idempotency_key like 'refund:%'`;
    expect(await s.sql(lacks, [late])).toEqual(await s.sql(lacks, [ordered]));
    // Replayed, the refund changes nothing more.
    ok(await refund('rr1-l-0', 'rr1-l-0-r', 100, at.r0));
    expect((await member(late)).pointsBalance).toBe(0);
    expect(await ledgerDrift([ordered, late])).toEqual([]);
  });

  it('a late credit dated before a refund that fell short: the refund takes from it before a later debit moves onto it', async () => {
    const at = { p1: days(-60), adj1: days(-50), p0: days(-45), r: days(-40), p2: days(-30), adj2: days(-20) };
    const [ordered, late] = [await registerMember(s, { joinedAt: days(-90) }), await registerMember(s, { joinedAt: days(-90) })];
    const facts = (id: string, tag: string) => ({
      p1: () => buy(id, `${tag}-1`, 100, at.p1), adj1: () => adjustAt(id, -100, `${tag}-adj1`, at.adj1), p0: () => buy(id, `${tag}-0`, 100, at.p0),
      r: () => refund(`${tag}-1`, `${tag}-1-r`, 100, at.r), p2: () => buy(id, `${tag}-2`, 100, at.p2), adj2: () => adjustAt(id, -100, `${tag}-adj2`, at.adj2),
    });
    // Date order: the first adjustment takes P1, P1's refund takes P0 (its own lot is spent), the second adjustment P2: 0.
    const o = facts(ordered, 'rr2-o');
    for (const step of [o.p1, o.adj1, o.p0, o.r, o.p2, o.adj2]) ok(await step());
    // P0 posted last: the refund had found nothing (100 short); the second adjustment would move
    // to P0 (sooner to expire), freeing P2, earned after the refund: the refund must have P0 first.
    const l = facts(late, 'rr2-l');
    for (const step of [l.p1, l.adj1, l.r, l.p2, l.adj2]) ok(await step());
    expect((await member(late)).pointsBalance).toBe(0);
    ok(await l.p0());
    expect((await member(ordered)).pointsBalance).toBe(0);
    expect((await member(late)).pointsBalance).toBe(0);
    expect(await reversed(late, 'rr2-l-1')).toBe(100);
    expect(await ledgerDrift([ordered, late])).toEqual([]);
  });

  it('a refund that gave points back to an earlier one is re-planned from what it holds then; no balanceAfter reads below 0 (found by review)', async () => {
    await program({ pointsExpiryMonths: 1 });
    try {
      const at = { p1: days(-60), adj: days(-50), n: days(-45), q: days(-25), rq: days(-22), r1: days(-18) };
      const [ordered, late] = [await registerMember(s, { joinedAt: days(-90) }), await registerMember(s, { joinedAt: days(-90) })];
      const facts = (id: string, tag: string) => ({
        p1: () => buy(id, `${tag}-1`, 100, at.p1), adj: () => adjustAt(id, -100, `${tag}-adj`, at.adj), n: () => buy(id, `${tag}-n`, 300, at.n),
        q: () => buy(id, `${tag}-q`, 100, at.q), rq: () => refund(`${tag}-q`, `${tag}-q-r`, 100, at.rq), r1: () => refund(`${tag}-1`, `${tag}-1-r`, 100, at.r1),
      });
      // Date order: the adjustment takes P1; Q's refund takes Q; P1's refund (its own lot spent and expired) takes 100 of N.
      const o = facts(ordered, 'rr3-o');
      for (const step of [o.p1, o.adj, o.n, o.q, o.rq, o.r1]) ok(await step());
      // Late: P1's refund took Q; Q's refund, dated before it, has Q first and P1's gives it back (owed);
      // then N, dated before both, pays what P1's refund owes.
      const l = facts(late, 'rr3-l');
      for (const step of [l.p1, l.adj, l.q, l.r1, l.rq, l.n]) ok(await step());
      const [mo, ml] = [await member(ordered), await member(late)];
      expect(ml.pointsBalance).toBe(mo.pointsBalance);
      const lots = (id: string) => s.sql('select points, remaining from point_lot where member_id = $1 order by earned_at', [id]);
      expect(await lots(late)).toEqual(await lots(ordered));
      expect(await s.sql(`select count(*)::int as n from point_transaction where member_id = $1 and balance_after < 0`, [late])).toEqual([{ n: 0 }]);
      // After the expiry run (N and P1 expired), both hold the same: nothing.
      await whenItComes(clock, days(0), () => s.admin('mutation($a: DateTime!) { expirePoints(asOf: $a) { processed } }', { a: days(0) }));
      expect((await member(late)).pointsBalance).toBe((await member(ordered)).pointsBalance);
      expect(await ledgerDrift([ordered, late])).toEqual([]);
    } finally {
      await program({ pointsExpiryMonths: 24 });
    }
  });

  it('a debit dated before a refund written before it has first pick of the refunded order\'s lot (found by an outside audit)', async () => {
    const at = { p0: days(-32), p1: days(-29), d: days(-25), r: days(-10) };
    const [ordered, late] = [await registerMember(s, { joinedAt: days(-90) }), await registerMember(s, { joinedAt: days(-90) })];
    const facts = (id: string, tag: string) => ({
      p0: () => buy(id, `${tag}-0`, 200, at.p0), p1: () => buy(id, `${tag}-1`, 300, at.p1),
      d: () => adjustAt(id, -50, `${tag}-d`, at.d), r: () => refund(`${tag}-0`, `${tag}-0-r`, 200, at.r),
    });
    const o = facts(ordered, 'rr5-o');
    for (const step of [o.p0, o.p1, o.d, o.r]) ok(await step());
    const l = facts(late, 'rr5-l');
    for (const step of [l.p0, l.p1, l.r, l.d]) ok(await step());
    // Which order's lot the debit holds (what a cancellation would give back, and when it expires).
    const held = (id: string) => s.sql(`select split_part(lot.order_id, '-', 3) as "order", sum(al.amount)::int as points
      from point_allocation al join point_transaction t on t.id = al.transaction_id join point_lot lot on lot.id = al.lot_id
      where t.member_id = $1 and t.type = 'ADJUST' group by 1 having sum(al.amount) <> 0 order by 1`, [id]);
    expect(await held(ordered)).toEqual([{ order: '0', points: 50 }]);
    expect(await held(late)).toEqual(await held(ordered));
    expect((await member(late)).pointsBalance).toBe((await member(ordered)).pointsBalance);
    expect(await ledgerDrift([ordered, late])).toEqual([]);
  });

  it('a refund that fell short only because a later debit held its lot is re-planned when a credit lets the debit fit (found by an outside audit)', async () => {
    const at = { p0: days(-50), r: days(-40), p1: days(-30), a: days(-5) };
    const [ordered, late] = [await registerMember(s, { joinedAt: days(-90) }), await registerMember(s, { joinedAt: days(-90) })];
    const facts = (id: string, tag: string) => ({
      p0: () => buy(id, `${tag}-0`, 100, at.p0), r: () => refund(`${tag}-0`, `${tag}-0-r`, 80, at.r),
      p1: () => buy(id, `${tag}-1`, 100, at.p1), a: () => adjustAt(id, -40, `${tag}-a`, at.a),
    });
    const o = facts(ordered, 'rr6-o');
    for (const step of [o.p0, o.r, o.p1, o.a]) ok(await step());
    // The adjustment first: the refund, dated before it, could not make it fit after itself (nothing else then): 20 short.
    const l = facts(late, 'rr6-l');
    for (const step of [l.p0, l.a, l.r, l.p1]) ok(await step());
    expect((await member(ordered)).pointsBalance).toBe(80);
    expect((await member(late)).pointsBalance).toBe(80);
    expect([await reversed(late, 'rr6-l-0'), await reversed(ordered, 'rr6-o-0')]).toEqual([80, 80]);
    expect(await ledgerDrift([ordered, late])).toEqual([]);
  });

  it('a refund dated before other refunds and a debit writes no balanceAfter below 0 on the way (found by an outside audit)', async () => {
    const at = { p0: days(-30), r0: days(-10), a: days(-6), r1: days(-5) };
    const id = await registerMember(s, { joinedAt: days(-90) });
    ok(await buy(id, 'rr7-0', 100, at.p0));
    ok(await refund('rr7-0', 'rr7-0-r1', 60, at.r1));
    ok(await adjustAt(id, -40, 'rr7-a', at.a));
    ok(await refund('rr7-0', 'rr7-0-r0', 20, at.r0));
    expect((await member(id)).pointsBalance).toBe(0);
    expect(await s.sql(`select count(*)::int as n from point_transaction where member_id = $1 and balance_after < 0`, [id])).toEqual([{ n: 0 }]);
    expect(await ledgerDrift([id])).toEqual([]);
  });

  it('a late refund taking from a lot expired since writes what no longer expires before what expires more: no balanceAfter below 0 (found by review)', async () => {
    await program({ pointsExpiryMonths: 1, pointsPendingDays: 3 });
    try {
      const id = await registerMember(s, { joinedAt: days(-90) });
      ok(await buy(id, 'rr8-1', 214, days(-52)));
      ok(await buy(id, 'rr8-0', 430, days(-55)));
      ok(await refund('rr8-0', 'rr8-0-a', 3, days(-51)));
      ok(await adjustAt(id, -200, 'rr8-adj1', days(-39)));
      ok(await adjustAt(id, -300, 'rr8-adj2', days(-31)));
      await whenItComes(clock, days(0), () => s.admin('mutation($a: DateTime!) { expirePoints(asOf: $a) { processed } }', { a: days(0) }));
      // Refunded late, at an instant before both lots expired: the debits move 88 from P1 to P0.
      ok(await refund('rr8-0', 'rr8-0-b', 88, days(-51)));
      expect(await s.sql(`select count(*)::int as n from point_transaction where member_id = $1 and balance_after < 0`, [id])).toEqual([{ n: 0 }]);
      expect((await member(id)).pointsBalance).toBe(0);
      expect(await ledgerDrift([id])).toEqual([]);
    } finally {
      await program({ pointsExpiryMonths: 24, pointsPendingDays: 0 });
    }
  });

  it('a late credit pays a campaign award\'s reversal that fell short, as it did before refunds were re-planned (found by review)', async () => {
    const code = 'RR-BONUS';
    ok(await s.admin('mutation($i: CampaignInput!) { upsertCampaign(input: $i) { code } }',
      { i: { code, name: 'bonus', trigger: 'PURCHASE', startsAt: days(-365), minAmount: 1000, bonusPoints: 100, controlPercent: 0 } }));
    ok(await s.admin(`mutation { activateCampaign(code: "${code}") { status } }`));
    try {
      const at = { x: days(-60), adj: days(-50), n: days(-45), r: days(-40) };
      const [ordered, late] = [await registerMember(s, { joinedAt: days(-90) }), await registerMember(s, { joinedAt: days(-90) })];
      const facts = (id: string, tag: string) => ({
        x: () => buy(id, `${tag}-x`, 1000, at.x), adj: () => adjustAt(id, -1100, `${tag}-adj`, at.adj), n: () => buy(id, `${tag}-n`, 500, at.n),
        r: () => refund(`${tag}-x`, `${tag}-r`, 100, at.r),
      });
      const o = facts(ordered, 'rr4-o');
      for (const step of [o.x, o.adj, o.n, o.r]) ok(await step());
      const l = facts(late, 'rr4-l');
      for (const step of [l.x, l.adj, l.r, l.n]) ok(await step());
      // X earned 1000 and a bonus of 100, all spent; N earned 625 (SILVER since X); X's 10% refund
      // reverses 100 and 10 of the bonus, which N pays.
      expect((await member(ordered)).pointsBalance).toBe(515);
      expect((await member(late)).pointsBalance).toBe(515);
      expect(await ledgerDrift([ordered, late])).toEqual([]);
    } finally {
      ok(await s.admin(`mutation { endCampaign(code: "${code}") { status } }`));
    }
  });
});

// A review as of a date ahead of the clock of the writes that follow (the clock moved there for
// the run and back: a job as of a day to come is refused, but a run within the clock skew, or
// another instance's clock, can still be ahead of a write's).
describe('a review run as of a future date (last here: it reviews every member due by then)', () => {
  const days = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString();
  const history = async (id: string) => (await shown(id)).tierHistory.map((c: any[]) => [c[0], c[2], c[3]]);

  it('stays recorded: a write at the clock decides its reviews again on the facts instead of dropping them', async () => {
    const id = await registerMember(s, { joinedAt: days(-10) });
    ok(await buy(id, 'future-0', 1000, days(-1))); // Silver until E, a year ahead
    await review(days(400));
    expect(await history(id)).toEqual([['UPGRADE', 'SILVER', 1000], ['DOWNGRADE', 'BRONZE', 0]]);
    // A purchase at the clock, before E: the history is rebuilt from it, up to the review at E at
    // least. Too little to keep Silver: still down at E (its Q now counts the purchase), the
    // member row still Bronze; nothing superseded, nothing undone without a change that says so.
    ok(await buy(id, 'future-1', 10, days(0)));
    expect(await history(id)).toEqual([['UPGRADE', 'SILVER', 1000], ['DOWNGRADE', 'BRONZE', 10]]);
    expect((await member(id)).tier.code).toBe('BRONZE');
    expect(await s.sql('select count(*)::int as n from tier_change where member_id = $1 and superseded_at is not null', [id])).toEqual([{ n: 0 }]);
    // Enough to keep it: the review at E is a renewal now (recorded, the downgrade superseded).
    ok(await buy(id, 'future-2', 800, days(0)));
    expect(await history(id)).toEqual([['UPGRADE', 'SILVER', 1000], ['RENEWAL', 'SILVER', 810]]);
    expect((await member(id)).tier.code).toBe('SILVER');
  });
});

describe('a cancelled redemption is re-planned with the debits: it holds its points until its cancellation (found by an outside model-based audit)', () => {
  const days = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString();
  const HOUR = 3_600_000;
  const redeem = (memberId: string, rewardCode: string, key: string, occurredAt: string) =>
    s.admin('mutation($i: RedeemRewardInput!) { redeemReward(input: $i) { id } }', { i: { memberId, rewardCode, idempotencyKey: key, occurredAt } });
  const cancel = (id: string) => s.admin('mutation($id: ID!) { cancelRedemption(id: $id, reason: "changed my mind") { status } }', { id });
  const adjustAt = (memberId: string, amount: number, key: string, occurredAt: string) =>
    s.admin('mutation($i: AdjustPointsInput!) { adjustPoints(input: $i) { amount } }', { i: { memberId, amount, reason: 'correction', idempotencyKey: key, occurredAt } });
  const expireAsOf = (asOf: string) => whenItComes(clock, asOf, () => s.admin('mutation($a: DateTime!) { expirePoints(asOf: $a) { processed } }', { a: asOf }));
  beforeAll(async () => {
    await program({ pointsExpiryMonths: 1 });
    for (const [code, costPoints] of [['CXR_50', 50], ['CXR_100', 100], ['CXR_120', 120]] as const) {
      ok(await s.admin('mutation($i: RewardInput!) { upsertReward(input: $i) { code } }', { i: { code, name: code, costPoints } }));
    }
  });
  afterAll(() => program({ pointsExpiryMonths: 24 }));

  /**
   * Plays `facts` in `order` for a fresh member: a purchase (its GraphQL response), a
   * redemption (its data; its id kept for its cancellation), a cancellation, an adjustment.
   */
  const play = async (facts: Record<string, (id: string, tag: string, redemptions: Map<string, string>) => Promise<any>>, order: string[], tag: string) => {
    const id = await registerMember(s, { joinedAt: days(-120) });
    const redemptions = new Map<string, string>();
    for (const name of order) {
      const r = await facts[name](id, tag, redemptions);
      const data = 'errors' in r || 'data' in r ? ok(r) : r;
      if (data.redeemReward) redemptions.set(name, data.redeemReward.id);
    }
    return id;
  };

  it('an earlier redemption posted after a later one was cancelled: the later ones take what date order gives them (the audit\'s repro: 230 both ways)', async () => {
    const t0 = Date.now();
    const p0At = new Date(t0 - 12 * HOUR);
    p0At.setUTCMonth(p0At.getUTCMonth() - 1); // P0 expires 12 hours ago
    const at = (ms: number) => new Date(ms).toISOString();
    const facts = {
      P0: (id: string, tag: string) => buy(id, `${tag}-p0`, 160, at(p0At.getTime())),
      P1: (id: string, tag: string) => buy(id, `${tag}-p1`, 350, at(p0At.getTime() + 6 * 24 * HOUR)),
      A: (id: string, tag: string) => redeem(id, 'CXR_120', `${tag}-a`, at(p0At.getTime() + 13 * 24 * HOUR)),
      B: (id: string, tag: string) => redeem(id, 'CXR_50', `${tag}-b`, at(t0 - 55 * HOUR)),
      C: (id: string, tag: string) => redeem(id, 'CXR_120', `${tag}-c`, at(t0 - 22 * HOUR)),
      XB: (_id: string, _tag: string, r: Map<string, string>) => cancel(r.get('B')!),
    };
    // Date order: A takes P0's 120, B P0's 40 and 10 of P1, C P1's 120; P0 expires while B holds its 40; XB gives back P1's 10.
    const ordered = await play(facts, ['P0', 'P1', 'A', 'B', 'C', 'XB'], 'cx1-o');
    const late = await play(facts, ['P1', 'C', 'P0', 'B', 'XB', 'A'], 'cx1-l');
    expect((await member(ordered)).pointsBalance).toBe(230);
    expect((await member(late)).pointsBalance).toBe(230);
    expect(await s.sql(`select count(*)::int as n from point_transaction where member_id = $1 and balance_after < 0`, [late])).toEqual([{ n: 0 }]);
    expect(await ledgerDrift([ordered, late])).toEqual([]);
  });

  /** No zero-point REDEMPTION_CANCEL (a correction that moves nothing on the balance is recorded on the cancellation's last row). */
  const zeroCancels = (ids: string[]) => s.sql(`select count(*)::int as n from point_transaction where member_id = any($1) and type = 'REDEMPTION_CANCEL' and amount = 0`, [ids]);

  it('a backdated purchase after a refund took what a cancellation gave back: recorded, not a 500 (found by review)', async () => {
    const facts = {
      P: (id: string, tag: string) => buy(id, `${tag}-p`, 100, days(-10)),
      D: (id: string, tag: string) => redeem(id, 'CXR_100', `${tag}-d`, days(-2)),
      XD: (_id: string, _tag: string, r: Map<string, string>) => cancel(r.get('D')!),
      R: (_id: string, tag: string) => refund(`${tag}-p`, `${tag}-p-r`, 100, days(-5)),
      Q: (id: string, tag: string) => buy(id, `${tag}-q`, 50, days(-3)),
    };
    const id = await play(facts, ['P', 'D', 'XD', 'R', 'Q'], 'cx3');
    expect((await member(id)).pointsBalance).toBe(50);
    expect(await ledgerDrift([id])).toEqual([]);
  });

  it('a redemption dated while a cancelled one still held the points is refused, as it is when it arrives before the cancellation (found by review)', async () => {
    const facts = {
      P: (id: string, tag: string) => buy(id, `${tag}-p`, 100, days(-10)),
      D: (id: string, tag: string) => redeem(id, 'CXR_100', `${tag}-d`, days(-5)),
      XD: (_id: string, _tag: string, r: Map<string, string>) => cancel(r.get('D')!),
    };
    for (const [order, tag] of [[['P', 'D', 'XD'], 'cx4-a'], [['P', 'D'], 'cx4-b']] as const) {
      const id = await play(facts, [...order], tag);
      const refused = await s.gql('mutation($i: RedeemRewardInput!) { redeemReward(input: $i) { id } }',
        { i: { memberId: id, rewardCode: 'CXR_100', idempotencyKey: `${tag}-e`, occurredAt: days(-3) } }, await s.token('admin'));
      expect(refused.errors?.[0]?.extensions?.code).toBe('INSUFFICIENT_POINTS');
      expect(await ledgerDrift([id])).toEqual([]);
    }
  });

  it('a cancellation whose redemption moves between lots that both outlast it records the move without a zero-point row (found by review)', async () => {
    await program({ pointsExpiryMonths: 2 });
    try {
      const facts = {
        L1: (id: string, tag: string) => buy(id, `${tag}-1`, 100, days(-62)),
        S: (id: string, tag: string) => buy(id, `${tag}-s`, 100, days(-55)),
        D: (id: string, tag: string) => redeem(id, 'CXR_100', `${tag}-d`, days(-50)),
        XD: (_id: string, _tag: string, r: Map<string, string>) => cancel(r.get('D')!),
        E: (id: string, tag: string) => adjustAt(id, -100, `${tag}-e`, days(-52)),
        P3: (id: string, tag: string) => buy(id, `${tag}-3`, 100, days(-57)),
      };
      const ordered = await play(facts, ['L1', 'S', 'P3', 'E', 'D', 'XD'], 'cx5-o');
      const late = await play(facts, ['L1', 'S', 'D', 'XD', 'E', 'P3'], 'cx5-l');
      expect((await member(late)).pointsBalance).toBe((await member(ordered)).pointsBalance);
      expect(await zeroCancels([ordered, late])).toEqual([{ n: 0 }]);
      expect(await ledgerDrift([ordered, late])).toEqual([]);
    } finally {
      await program({ pointsExpiryMonths: 1 });
    }
  });

  it('a refund posted after a cancellation, dated while the cancelled redemption held its points, takes what it lacks from what the cancellation gave back (found by an outside model-based probe)', async () => {
    await program({ pointsExpiryMonths: 2 });
    try {
      const facts = {
        P: (id: string, tag: string) => buy(id, `${tag}-p`, 51, days(-50)),
        D: (id: string, tag: string) => redeem(id, 'CXR_50', `${tag}-d`, days(-47)),
        R1: (_id: string, tag: string) => refund(`${tag}-p`, `${tag}-p-r1`, 38, days(-42)),
        R2: (_id: string, tag: string) => refund(`${tag}-p`, `${tag}-p-r2`, 13, days(-36)),
        Q: (id: string, tag: string) => buy(id, `${tag}-q`, 96, days(-29)),
        D2: (id: string, tag: string) => redeem(id, 'CXR_50', `${tag}-d2`, days(-8)),
        XD: (_id: string, _tag: string, r: Map<string, string>) => cancel(r.get('D')!),
      };
      // Date order: D holds P's 50, both refunds fall short (50), the cancellation's 50 pay them: Q's 46 left.
      const ordered = await play(facts, ['P', 'D', 'R1', 'R2', 'Q', 'D2', 'XD'], 'cx6-o');
      const late = await play(facts, ['P', 'D', 'Q', 'D2', 'XD', 'R1', 'R2'], 'cx6-l');
      expect((await member(ordered)).pointsBalance).toBe(46);
      expect((await member(late)).pointsBalance).toBe(46);
      expect(await ledgerDrift([ordered, late])).toEqual([]);
    } finally {
      await program({ pointsExpiryMonths: 1 });
    }
  });

  it('a refund whose re-rating re-plans the debits again inside its own re-plan, both falling back: recorded once, not a 500 (found by review)', async () => {
    ok(await s.admin('mutation($i: RewardInput!) { upsertReward(input: $i) { code } }', { i: { code: 'CXR_1400', name: 'CXR_1400', costPoints: 1400 } }));
    const facts = {
      P1: (id: string, tag: string) => buy(id, `${tag}-1`, 600, days(-10)),
      P2: (id: string, tag: string) => buy(id, `${tag}-2`, 500, days(-9)),
      P3: (id: string, tag: string) => buy(id, `${tag}-3`, 800, days(-8.5)),
      D: (id: string, tag: string) => adjustAt(id, -600, `${tag}-d`, days(-8.75)),
      C: (id: string, tag: string) => redeem(id, 'CXR_1400', `${tag}-c`, days(-8)),
      X: (_id: string, _tag: string, r: Map<string, string>) => cancel(r.get('C')!),
      R: (_id: string, tag: string) => refund(`${tag}-1`, `${tag}-1-r`, 600, days(-9.5)),
    };
    const id = await play(facts, ['P1', 'P2', 'P3', 'D', 'C', 'X', 'R'], 'cx7');
    expect(await s.sql(`select count(*)::int as n from point_transaction where member_id = $1 and idempotency_key like 'refund:%'`, [id])).toEqual([{ n: 1 }]);
    expect(await ledgerDrift([id])).toEqual([]);
  });

  it('a refund dated before a cancellation spent what it gave back: a later refund\'s re-plan does not start below 0 (found by an outside model-based probe)', async () => {
    await program({ pointsExpiryMonths: 2 });
    try {
      const facts = {
        P1: (id: string, tag: string) => buy(id, `${tag}-1`, 48.62, days(-46.17)),
        P0: (id: string, tag: string) => buy(id, `${tag}-0`, 255.17, days(-38.5)),
        D5: (id: string, tag: string) => redeem(id, 'CXR_120', `${tag}-d5`, days(-37.5)),
        D4: (id: string, tag: string) => redeem(id, 'CXR_120', `${tag}-d4`, days(-32.625)),
        X: (_id: string, _tag: string, r: Map<string, string>) => cancel(r.get('D5')!),
        R2: (_id: string, tag: string) => refund(`${tag}-1`, `${tag}-1-r`, 48.62, days(-20.583)),
        R3: (_id: string, tag: string) => refund(`${tag}-0`, `${tag}-0-r`, 255.17, days(-15.125)),
      };
      const id = await play(facts, ['P1', 'P0', 'D5', 'D4', 'X', 'R2', 'R3'], 'cx8');
      expect((await member(id)).pointsBalance).toBe(0);
      expect(await s.sql(`select count(*)::int as n from point_transaction where member_id = $1 and balance_after < 0`, [id])).toEqual([{ n: 0 }]);
      expect(await s.sql(`select count(*)::int as n from point_lot where member_id = $1 and remaining < 0`, [id])).toEqual([{ n: 0 }]);
      expect(await ledgerDrift([id])).toEqual([]);
    } finally {
      await program({ pointsExpiryMonths: 1 });
    }
  });

  it('a refund that fell short before a redemption was made takes nothing from what its cancellation gives back, and never from a lot earned after it (found by review)', async () => {
    const facts = {
      PA: (id: string, tag: string) => buy(id, `${tag}-a`, 100, days(-10)),
      A: (id: string, tag: string) => adjustAt(id, -100, `${tag}-adj`, days(-9)),
      R: (_id: string, tag: string) => refund(`${tag}-a`, `${tag}-a-r`, 100, days(-8)),
      PB: (id: string, tag: string) => buy(id, `${tag}-b`, 200, days(-3)),
      D: (id: string, tag: string) => redeem(id, 'CXR_50', `${tag}-d`, days(-2)),
      C: (_id: string, _tag: string, r: Map<string, string>) => cancel(r.get('D')!),
    };
    // Date order: R owes its 100 (A spent PA); PB, earned after it, never pays it: 200.
    const ordered = await play(facts, ['PA', 'A', 'R', 'PB', 'D', 'C'], 'cx9-o');
    const refundLast = await play(facts, ['PA', 'A', 'PB', 'D', 'C', 'R'], 'cx9-l');
    const refundBetween = await play(facts, ['PA', 'A', 'PB', 'D', 'R', 'C'], 'cx9-b');
    for (const id of [ordered, refundLast, refundBetween]) expect((await member(id)).pointsBalance).toBe(200);
    expect(await ledgerDrift([ordered, refundLast, refundBetween])).toEqual([]);
  });

  it('a debit dated while a cancelled redemption held its points, posted after the cancellation, does not take what came back: the same expiry as in date order', async () => {
    // L1 100 (expires in about 5 days), L2 200 (in about 10); D redeems 100 (L1) on day −15; X takes 100 on day −10; D cancelled now.
    const facts = {
      L1: (id: string, tag: string) => buy(id, `${tag}-1`, 100, days(-26)),
      L2: (id: string, tag: string) => buy(id, `${tag}-2`, 200, days(-21)),
      D: (id: string, tag: string) => redeem(id, 'CXR_100', `${tag}-d`, days(-15)),
      X: (id: string, tag: string) => adjustAt(id, -100, `${tag}-x`, days(-10)),
      XD: (_id: string, _tag: string, r: Map<string, string>) => cancel(r.get('D')!),
    };
    // Date order: X takes L2 (D holds L1); the cancellation gives L1's 100 back, which expire with L1.
    const ordered = await play(facts, ['L1', 'L2', 'D', 'X', 'XD'], 'cx2-o');
    // X posted after the cancellation: at its arrival it found L1 (soonest to expire) full again.
    const late = await play(facts, ['L1', 'L2', 'D', 'XD', 'X'], 'cx2-l');
    const held = (id: string) => s.sql('select points, remaining from point_lot where member_id = $1 order by earned_at', [id]);
    expect(await held(ordered)).toEqual([{ points: 100, remaining: 100 }, { points: 200, remaining: 100 }]);
    expect(await held(late)).toEqual(await held(ordered));
    // After L1's expiry, before L2's: 100 left both ways.
    await expireAsOf(days(7));
    expect((await member(ordered)).pointsBalance).toBe(100);
    expect((await member(late)).pointsBalance).toBe(100);
    expect(await ledgerDrift([ordered, late])).toEqual([]);
  });
});
