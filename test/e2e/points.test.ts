import { expectError, startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';
import { ADJUST, POINTS, PURCHASE, REFUND, expectLedgerConsistent, windowCounterDrift } from '../support/ledger';

let s: TestServer;
let service: string;
let admin: string;
beforeAll(async () => {
  s = await startTestServer();
  service = await s.token('service');
  admin = await s.token('admin');
  await createLadder(s);
});
afterAll(() => s.stop());
afterEach(() => expectLedgerConsistent(s, true));

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
const points = async (id: string) => (await s.admin(POINTS, { id })).member;
const purchase = (input: Record<string, unknown>) => s.gql(PURCHASE, { input }, service);

describe('recordPurchase', () => {
  it('earns floor(amount × pointsPerUnit × multiplier) and the same qualifying points', async () => {
    const id = await registerMember(s);
    const res = await purchase({ memberId: id, orderId: 'o-1', amount: 123.99 });
    expect(res.errors).toBeUndefined();
    expect(res.data!.recordPurchase).toMatchObject({
      pointsEarned: 123, qualifyingPointsEarned: 123, member: { id, pointsBalance: 123 },
      transaction: { type: 'EARN', amount: 123, balanceAfter: 123, reference: 'o-1' },
    });
    expect(await points(id)).toEqual({ pointsBalance: 123, pendingPoints: 0, lifetimePoints: 123, expiringPoints: 0 });
    const [q] = await s.sql('select sum(points)::int as q from qualifying_entry where member_id = $1', [id]);
    expect(q.q).toBe(123);
  });

  it('dates the lot expiry pointsExpiryMonths after the purchase', async () => {
    const id = await registerMember(s);
    const res = await purchase({ memberId: id, orderId: 'o-exp', amount: 10, occurredAt: '2026-01-31T12:00:00.000Z' });
    expect(res.data!.recordPurchase.transaction.expiresAt).toBe('2028-01-31T12:00:00.000Z');
  });

  it('is idempotent on orderId; another payload is CONFLICT', async () => {
    const id = await registerMember(s);
    const first = await purchase({ memberId: id, orderId: 'o-idem', amount: 50 });
    const again = await purchase({ memberId: id, orderId: 'o-idem', amount: 50 });
    expect(again.data).toEqual(first.data);
    expectError(await purchase({ memberId: id, orderId: 'o-idem', amount: 51 }), 'CONFLICT', 'orderId');
    const other = await registerMember(s);
    expectError(await purchase({ memberId: other, orderId: 'o-idem', amount: 50 }), 'CONFLICT', 'orderId');
    expect((await points(id)).pointsBalance).toBe(50);
  });

  it('rejects bad input with its code and changes nothing', async () => {
    const id = await registerMember(s);
    const before = await s.sql('select count(*)::int as n from point_transaction');
    const cases: [Record<string, unknown>, string, string?][] = [
      [{ memberId: id, orderId: 'b1', amount: 0 }, 'BAD_USER_INPUT', 'amount'],
      [{ memberId: id, orderId: 'b2', amount: -5 }, 'BAD_USER_INPUT', 'amount'],
      [{ memberId: id, orderId: 'b3', amount: 1.005 }, 'BAD_USER_INPUT', 'amount'],
      [{ memberId: id, orderId: 'b4', amount: 10, occurredAt: iso(Date.now() + 10 * 60_000) }, 'BAD_USER_INPUT', 'occurredAt'],
      [{ memberId: '00000000-0000-4000-8000-000000000000', orderId: 'b5', amount: 10 }, 'NOT_FOUND'],
      [{ memberId: 'not-a-uuid', orderId: 'b6', amount: 10 }, 'BAD_USER_INPUT', 'memberId'],
    ];
    for (const [input, code, field] of cases) expectError(await purchase(input), code, field);
    expect(await s.sql('select count(*)::int as n from point_transaction')).toEqual(before);
    expect(await s.sql(`select count(*)::int as n from purchase where order_id like 'b%'`)).toEqual([{ n: 0 }]);
  });

  it('keeps points pending for pointsPendingDays, counting their expiry from activation', async () => {
    await s.admin('mutation { updateProgram(input: { pointsPendingDays: 14 }) { pointsPendingDays } }');
    try {
      const id = await registerMember(s);
      const res = await purchase({ memberId: id, orderId: 'o-pend', amount: 40 });
      expect(res.data!.recordPurchase.pointsEarned).toBe(40);
      expect(await points(id)).toMatchObject({ pointsBalance: 0, pendingPoints: 40, lifetimePoints: 40 });
      const [lot] = await s.sql(`select activates_at, expires_at from point_lot where order_id = 'o-pend'`);
      expect(new Date(lot.activates_at).getTime() - new Date(res.data!.recordPurchase.transaction.occurredAt).getTime()).toBe(14 * DAY);
      expect(new Date(lot.expires_at).getUTCMonth()).toBe((new Date(lot.activates_at).getUTCMonth()) % 12);
      // spending pending points is refused
      const spend = await s.gql(ADJUST, { input: { memberId: id, amount: -10, reason: 'test', idempotencyKey: 'pend-spend' } }, admin);
      expectError(spend, 'INSUFFICIENT_POINTS');
      // a backdated purchase 20 days ago is already spendable
      await purchase({ memberId: id, orderId: 'o-old', amount: 5, occurredAt: iso(Date.now() - 20 * DAY) });
      expect(await points(id)).toMatchObject({ pointsBalance: 5, pendingPoints: 40 });
      // a refund inside the window cancels pending points first
      const refund = await s.gql(REFUND, { input: { orderId: 'o-pend', refundId: 'r-pend', amount: 10 } }, service);
      expect(refund.data!.refundPurchase.pointsEarned).toBe(-10);
      expect(await points(id)).toMatchObject({ pointsBalance: 5, pendingPoints: 30 });
    } finally {
      await s.admin('mutation { updateProgram(input: { pointsPendingDays: 0 }) { pointsPendingDays } }');
    }
  });
});

describe('pendingActivations', () => {
  it('says when the pending points become spendable, soonest first, summing to pendingPoints; a refund and the days setting as each lot was earned', async () => {
    await s.admin('mutation { updateProgram(input: { pointsPendingDays: 14 }) { pointsPendingDays } }');
    try {
      const id = await registerMember(s, { joinedAt: iso(Date.now() - 30 * DAY) });
      // Each instant taken once: the expected activations below are the purchases' own instants, not
      // instants computed again later (a second boundary passed between them on a slow machine).
      const now = Date.now();
      const at = (daysAgo: number) => new Date(Math.floor((now - daysAgo * DAY) / 1000) * 1000).toISOString();
      await purchase({ memberId: id, orderId: `act-${id}-a`, amount: 30, occurredAt: at(3) });
      await purchase({ memberId: id, orderId: `act-${id}-b`, amount: 20, occurredAt: at(10) });
      await purchase({ memberId: id, orderId: `act-${id}-c`, amount: 5, occurredAt: at(10) });
      await purchase({ memberId: id, orderId: `act-${id}-old`, amount: 7, occurredAt: at(20) }); // spendable already
      // A shorter setting applies to what is earned from now on; the lots keep their dates.
      await s.admin('mutation { updateProgram(input: { pointsPendingDays: 2 }) { pointsPendingDays } }');
      await purchase({ memberId: id, orderId: `act-${id}-d`, amount: 11, occurredAt: at(1) });
      await s.gql(REFUND, { input: { orderId: `act-${id}-a`, refundId: `act-${id}-r`, amount: 10 } }, service);
      const Q = 'query($id: ID!) { member(id: $id) { pendingPoints pendingActivations { activatesAt points } } }';
      const read = async (token: string) => (await s.gql(Q, { id }, token)).data!.member;
      const expected = {
        pendingPoints: 11 + 20 + 25,
        pendingActivations: [
          { activatesAt: new Date(Date.parse(at(1)) + 2 * DAY).toISOString(), points: 11 },
          { activatesAt: new Date(Date.parse(at(10)) + 14 * DAY).toISOString(), points: 25 },
          { activatesAt: new Date(Date.parse(at(3)) + 14 * DAY).toISOString(), points: 20 },
        ],
      };
      expect(await read(admin)).toEqual(expected);
      expect(await read(await s.token('member', id))).toEqual(expected); // the member's app reads its own
      expect((await s.gql(Q, { id }, await s.token('member', await registerMember(s)))).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    } finally {
      await s.admin('mutation { updateProgram(input: { pointsPendingDays: 0 }) { pointsPendingDays } }');
    }
  });
});

describe('refundPurchase', () => {
  it('reverses pro rata, cumulatively exact, and refuses more than remains', async () => {
    const id = await registerMember(s);
    await purchase({ memberId: id, orderId: 'o-ref', amount: 99.99 });
    const r1 = await s.gql(REFUND, { input: { orderId: 'o-ref', refundId: 'r1', amount: 33.33 } }, service);
    expect(r1.data!.refundPurchase).toMatchObject({ pointsEarned: -33, qualifyingPointsEarned: -33 });
    const r2 = await s.gql(REFUND, { input: { orderId: 'o-ref', refundId: 'r2', amount: 33.33 } }, service);
    expect(r2.data!.refundPurchase.pointsEarned).toBe(-33);
    expectError(await s.gql(REFUND, { input: { orderId: 'o-ref', refundId: 'r3', amount: 33.34 } }, service), 'BAD_USER_INPUT', 'amount');
    const r4 = await s.gql(REFUND, { input: { orderId: 'o-ref', refundId: 'r4', amount: 33.33 } }, service);
    expect(r4.data!.refundPurchase.pointsEarned).toBe(-33);
    expect(await points(id)).toMatchObject({ pointsBalance: 0 });
    // idempotent replay; another payload under the same refundId is CONFLICT
    const again = await s.gql(REFUND, { input: { orderId: 'o-ref', refundId: 'r1', amount: 33.33 } }, service);
    expect(again.data).toEqual(r1.data);
    expectError(await s.gql(REFUND, { input: { orderId: 'o-ref', refundId: 'r1', amount: 1 } }, service), 'CONFLICT', 'refundId');
    expectError(await s.gql(REFUND, { input: { orderId: 'nope', refundId: 'r9', amount: 1 } }, service), 'NOT_FOUND');
  });

  it('records what cannot be recovered once the points are spent', async () => {
    const id = await registerMember(s);
    await purchase({ memberId: id, orderId: 'o-spent', amount: 100 });
    await s.gql(ADJUST, { input: { memberId: id, amount: -80, reason: 'spent', idempotencyKey: 'spent-1' } }, admin);
    const r = await s.gql(REFUND, { input: { orderId: 'o-spent', refundId: 'r-spent', amount: 100 } }, service);
    expect(r.data!.refundPurchase.transaction).toMatchObject({ type: 'REFUND_REVERSAL', amount: -20, balanceAfter: 0 });
    const [t] = await s.sql(`select unrecovered from point_transaction where idempotency_key = 'refund:r-spent'`);
    expect(t.unrecovered).toBe(80);
    // Clients see it: on the refund's transaction and in the member's history (0 on every other entry).
    const shown = await s.gql(`mutation($input: RefundPurchaseInput!) { refundPurchase(input: $input) { pointsEarned transaction { amount unrecoveredPoints } } }`,
      { input: { orderId: 'o-spent', refundId: 'r-spent', amount: 100 } }, service);
    expect(shown.data!.refundPurchase).toEqual({ pointsEarned: -100, transaction: { amount: -20, unrecoveredPoints: 80 } });
    const history = await s.gql(`query($id: ID!) { member(id: $id) { pointsHistory(first: 10) { edges { node { type amount unrecoveredPoints } } } } }`, { id }, admin);
    expect(history.data!.member.pointsHistory.edges.map((e: { node: unknown }) => e.node)).toEqual([
      { type: 'REFUND_REVERSAL', amount: -20, unrecoveredPoints: 80 }, { type: 'ADJUST', amount: -80, unrecoveredPoints: 0 }, { type: 'EARN', amount: 100, unrecoveredPoints: 0 },
    ]);
  });

  it('may push the balance below zero when allowNegativeBalance, repaid by later earnings', async () => {
    await s.admin('mutation { updateProgram(input: { allowNegativeBalance: true }) { allowNegativeBalance } }');
    try {
      const id = await registerMember(s);
      await purchase({ memberId: id, orderId: 'o-neg', amount: 100 });
      await s.gql(ADJUST, { input: { memberId: id, amount: -80, reason: 'spent', idempotencyKey: 'neg-1' } }, admin);
      const r = await s.gql(REFUND, { input: { orderId: 'o-neg', refundId: 'r-neg', amount: 100 } }, service);
      expect(r.data!.refundPurchase.transaction).toMatchObject({ amount: -100, balanceAfter: -80 });
      expect((await points(id)).pointsBalance).toBe(-80);
      await purchase({ memberId: id, orderId: 'o-neg-2', amount: 100 });
      expect((await points(id)).pointsBalance).toBe(20);
    } finally {
      await s.admin('mutation { updateProgram(input: { allowNegativeBalance: false }) { allowNegativeBalance } }');
    }
  });
});

describe('adjustPoints', () => {
  it('credits and debits with a reason, idempotently, audited', async () => {
    const id = await registerMember(s);
    const plus = await s.gql(ADJUST, { input: { memberId: id, amount: 30, reason: 'goodwill', idempotencyKey: 'adj-1' } }, admin);
    expect(plus.data!.adjustPoints).toMatchObject({ type: 'ADJUST', amount: 30, balanceAfter: 30, reason: 'goodwill' });
    const again = await s.gql(ADJUST, { input: { memberId: id, amount: 30, reason: 'goodwill', idempotencyKey: 'adj-1' } }, admin);
    expect(again.data).toEqual(plus.data);
    expectError(await s.gql(ADJUST, { input: { memberId: id, amount: 31, reason: 'goodwill', idempotencyKey: 'adj-1' } }, admin), 'CONFLICT');
    // Its instant is part of the payload when the retry gives one: the stored one (the clock's,
    // here) is the same adjustment, another is a CONFLICT on the key.
    const stored = (await s.sql<{ at: Date }>(`select occurred_at as at from point_transaction where id = $1`, [plus.data!.adjustPoints.id]))[0].at;
    const dated = (at: Date) => s.gql(ADJUST, { input: { memberId: id, amount: 30, reason: 'goodwill', idempotencyKey: 'adj-1', occurredAt: at.toISOString() } }, admin);
    expect((await dated(stored)).data).toEqual(plus.data);
    expectError(await dated(new Date(stored.getTime() - 3_600_000)), 'CONFLICT', 'idempotencyKey');
    const minus = await s.gql(ADJUST, { input: { memberId: id, amount: -12, reason: 'correction', idempotencyKey: 'adj-2' } }, admin);
    expect(minus.data!.adjustPoints).toMatchObject({ amount: -12, balanceAfter: 18 });
    expectError(await s.gql(ADJUST, { input: { memberId: id, amount: -19, reason: 'x', idempotencyKey: 'adj-3' } }, admin), 'INSUFFICIENT_POINTS');
    expectError(await s.gql(ADJUST, { input: { memberId: id, amount: 0, reason: 'x', idempotencyKey: 'adj-4' } }, admin), 'BAD_USER_INPUT', 'amount');
    // A reason or key of spaces alone is none (the member's ledger and the audit log show the reason).
    expectError(await s.gql(ADJUST, { input: { memberId: id, amount: 5, reason: '   ', idempotencyKey: 'adj-blank-reason' } }, admin), 'BAD_USER_INPUT', 'reason');
    expectError(await s.gql(ADJUST, { input: { memberId: id, amount: 5, reason: 'x', idempotencyKey: '   ' } }, admin), 'BAD_USER_INPUT', 'idempotencyKey');
    expectError(await s.gql(REFUND, { input: { orderId: 'any-order', refundId: '  ', amount: 1 } }, admin), 'BAD_USER_INPUT', 'refundId');
    expectError(await s.gql(ADJUST, { input: { memberId: id, amount: 5, reason: 'x', idempotencyKey: 'adj-5' } }, service), 'FORBIDDEN');
    const log = await s.admin('{ auditLog(entity: "Member", first: 5) { action entityId before after } }');
    const mine = log.auditLog.filter((e: { entityId: string; action: string }) => e.entityId === id && e.action !== 'member.register');
    // Newest first: each says the balance it found and the one it left.
    expect(mine.map((e: { before: string; after: string }) => [JSON.parse(e.before), JSON.parse(e.after)])).toEqual([
      [{ balance: 30 }, { balance: 18, amount: -12, reason: 'correction' }],
      [{ balance: 0 }, { balance: 30, amount: 30, reason: 'goodwill' }],
    ]);
  });

  it('spends soonest-expiring lots first, never-expiring last', async () => {
    const id = await registerMember(s);
    await purchase({ memberId: id, orderId: 'f-late', amount: 10, occurredAt: iso(Date.now() - 1 * DAY) });
    await purchase({ memberId: id, orderId: 'f-early', amount: 10, occurredAt: iso(Date.now() - 300 * DAY) });
    await s.gql(ADJUST, { input: { memberId: id, amount: -15, reason: 'spend', idempotencyKey: 'fifo-1' } }, admin);
    const lots = await s.sql(`select order_id, remaining from point_lot where member_id = $1 order by order_id`, [id]);
    expect(lots).toEqual([{ order_id: 'f-early', remaining: 0 }, { order_id: 'f-late', remaining: 5 }]);
  });
});

describe('activities', () => {
  it('earn by rule, within a daily cap, idempotently', async () => {
    await s.admin(`mutation { upsertActivityRule(input: { kind: "CHECK_IN", name: "Daily check-in", points: 5, qualifyingPoints: 1, dailyCap: 12 }) { kind dailyCap } }`);
    const id = await registerMember(s);
    const run = (key: string, occurredAt?: string) => s.gql(`mutation($input: RecordActivityInput!) { recordActivity(input: $input) {
      pointsEarned qualifyingPointsEarned member { pointsBalance } } }`, { input: { memberId: id, kind: 'CHECK_IN', idempotencyKey: key, occurredAt } }, service);
    // Two days of the last few, not fixed days: the points must still be live (24 months) when the balance is read.
    const nineAm = (daysAgo: number) => new Date((Math.floor(Date.now() / DAY) - daysAgo) * DAY + 9 * 3_600_000).toISOString();
    const day = nineAm(3);
    expect((await run('c1', day)).data!.recordActivity).toEqual({ pointsEarned: 5, qualifyingPointsEarned: 1, member: { pointsBalance: 5 } });
    expect((await run('c2', day)).data!.recordActivity.pointsEarned).toBe(5);
    expect((await run('c3', day)).data!.recordActivity.pointsEarned).toBe(2);
    expect((await run('c4', day)).data!.recordActivity.pointsEarned).toBe(0);
    expect((await run('c2', day)).data!.recordActivity.pointsEarned).toBe(5);
    expect((await run('c5', nineAm(2))).data!.recordActivity.pointsEarned).toBe(5);
    expectError(await s.gql(`mutation { recordActivity(input: { memberId: "${id}", kind: "NOPE", idempotencyKey: "n1" }) { pointsEarned } }`, {}, service), 'NOT_FOUND');
  });

  it('a rule worth 0 points and some qualifying points gives those qualifying points; a cap that took every point takes them too', async () => {
    await s.admin(`mutation { upsertActivityRule(input: { kind: "EVENT_0", name: "Attended an event", points: 0, qualifyingPoints: 3 }) { kind } }`);
    await s.admin(`mutation { upsertActivityRule(input: { kind: "REVIEW_Q", name: "Review", points: 5, qualifyingPoints: 2, dailyCap: 8 }) { kind } }`);
    const id = await registerMember(s, { joinedAt: iso(Date.now() - 2 * DAY) });
    const run = (kind: string, key: string) => s.gql(`mutation($input: RecordActivityInput!) { recordActivity(input: $input) {
      pointsEarned qualifyingPointsEarned transaction { id } member { pointsBalance tierProgress { qualifyingPoints } } } }`,
    { input: { memberId: id, kind, idempotencyKey: `${key}-${id}`, occurredAt: iso(Date.now() - DAY) } }, service);
    expect((await run('EVENT_0', 'e1')).data!.recordActivity).toEqual({
      pointsEarned: 0, qualifyingPointsEarned: 3, transaction: null, member: { pointsBalance: 0, tierProgress: { qualifyingPoints: 3 } },
    });
    expect((await run('EVENT_0', 'e2')).data!.recordActivity).toMatchObject({ qualifyingPointsEarned: 3, member: { tierProgress: { qualifyingPoints: 6 } } });
    expect((await run('REVIEW_Q', 'r1')).data!.recordActivity).toMatchObject({ pointsEarned: 5, qualifyingPointsEarned: 2 });
    expect((await run('REVIEW_Q', 'r2')).data!.recordActivity).toMatchObject({ pointsEarned: 3, qualifyingPointsEarned: 2 }); // cut by the cap
    expect((await run('REVIEW_Q', 'r3')).data!.recordActivity).toMatchObject({
      pointsEarned: 0, qualifyingPointsEarned: 0, member: { pointsBalance: 8, tierProgress: { qualifyingPoints: 10 } },
    });
  });

  it('the same key with another occurredAt is a CONFLICT naming the key as sent; without one, or with the stored one, the same activity', async () => {
    await s.admin(`mutation { upsertActivityRule(input: { kind: "REVIEW_WHEN", name: "Review", points: 7, qualifyingPoints: 0, memberMayRecord: true }) { kind } }`);
    const id = await registerMember(s, { joinedAt: iso(Date.now() - 2 * DAY) });
    const run = (occurredAt?: string, kind = 'REVIEW_WHEN') => s.gql(`mutation($input: RecordActivityInput!) { recordActivity(input: $input) {
      pointsEarned transaction { id occurredAt } } }`, { input: { memberId: id, kind, idempotencyKey: `when-${id}`, occurredAt } }, service);
    const at = iso(Date.now() - DAY);
    const first = await run(at);
    expect(first.data!.recordActivity).toMatchObject({ pointsEarned: 7, transaction: { occurredAt: at } });
    expectError(await run(iso(Date.now() - 2 * 3_600_000)), 'CONFLICT', 'idempotencyKey');
    expect(await run(at)).toEqual(first);
    expect(await run()).toEqual(first);
    expect((await points(id)).pointsBalance).toBe(7);
    // A member's key is kept in its own namespace; a refusal names the key the member sent.
    const token = await s.token('member', id);
    const mine = (kind: string) => s.gql(`mutation($input: RecordActivityInput!) { recordActivity(input: $input) { pointsEarned } }`,
      { input: { memberId: id, kind, idempotencyKey: 'tap-1' } }, token);
    expect((await mine('REVIEW_WHEN')).errors).toBeUndefined();
    const refused = await mine('ANOTHER_KIND');
    expectError(refused, 'CONFLICT', 'idempotencyKey');
    expect(refused.errors![0].message).toBe('Idempotency key tap-1 was used with another payload');
  });

  it('a member records its own activity, now: its keys are its own; another member\'s is FORBIDDEN; a time it gives is BAD_USER_INPUT', async () => {
    await s.admin(`mutation { upsertActivityRule(input: { kind: "SHARE", name: "Share", points: 3, qualifyingPoints: 0, dailyCap: 30, memberMayRecord: true }) { kind } }`);
    const [a, b] = [await registerMember(s), await registerMember(s)];
    const [ta, tb] = [await s.token('member', a), await s.token('member', b)];
    const share = (memberId: string, token: string, extra: Record<string, unknown> = {}) => s.gql(`mutation($input: RecordActivityInput!) { recordActivity(input: $input) {
      pointsEarned transaction { occurredAt } member { pointsBalance } } }`, { input: { memberId, kind: 'SHARE', idempotencyKey: 'share-1', ...extra } }, token);
    const before = Date.now();
    const first = (await share(a, ta)).data!.recordActivity;
    expect(first).toMatchObject({ pointsEarned: 3, member: { pointsBalance: 3 } });
    expect(new Date(first.transaction.occurredAt).getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect((await share(a, ta)).data!.recordActivity).toEqual(first); // a retry
    // The same key from another member is that member's own first activity (and a service's is the programme's).
    expect((await share(b, tb)).data!.recordActivity).toMatchObject({ pointsEarned: 3, member: { pointsBalance: 3 } });
    expect((await share(a, service)).data!.recordActivity).toMatchObject({ pointsEarned: 3, member: { pointsBalance: 6 } });
    expectError(await share(b, ta), 'FORBIDDEN');
    expectError(await share(a, ta, { idempotencyKey: 'share-2', occurredAt: '2026-03-01T09:00:00.000Z' }), 'BAD_USER_INPUT', 'occurredAt');
    // A back end's key spelt like the member's namespace is the back end's own, not the member's 'share-1' (nor a CONFLICT with it).
    expect((await share(a, service, { idempotencyKey: `member:${a}:share-1` })).data!.recordActivity).toMatchObject({ pointsEarned: 3, member: { pointsBalance: 9 } });
    expect((await share(a, ta)).data!.recordActivity).toEqual({ ...first, member: { pointsBalance: 9 } }); // its own first answer (the balance is read now)
    expect((await share(a, service, { idempotencyKey: `member:${a}:share-1` })).data!.recordActivity).toMatchObject({ pointsEarned: 3, member: { pointsBalance: 9 } });
    expect(await s.sql('select count(*)::int as n from activity where member_id = any($1::uuid[])', [[a, b]])).toEqual([{ n: 4 }]);
  });

  it('a kind the rule does not let members record is FORBIDDEN to the member\'s app (else it gives itself the points at will) and changes nothing; a back end records it', async () => {
    const rule = await s.admin(`mutation { upsertActivityRule(input: { kind: "PROFILE_DONE", name: "Completed the profile", points: 50, qualifyingPoints: 0 }) { kind memberMayRecord } }`);
    expect(rule.upsertActivityRule).toEqual({ kind: 'PROFILE_DONE', memberMayRecord: false }); // the default
    const id = await registerMember(s);
    const record = (token: string, key: string) => s.gql(`mutation($input: RecordActivityInput!) { recordActivity(input: $input) { pointsEarned } }`,
      { input: { memberId: id, kind: 'PROFILE_DONE', idempotencyKey: key } }, token);
    const token = await s.token('member', id);
    for (const key of ['p1', 'p2', 'p3']) {
      const refused = await record(token, key);
      expectError(refused, 'FORBIDDEN', 'kind');
      expect(refused.errors![0].message).toBe("Activity PROFILE_DONE is recorded by the brand's systems, not by the member's app");
    }
    expect((await points(id)).pointsBalance).toBe(0);
    expect(await s.sql('select count(*)::int as n from activity where member_id = $1', [id])).toEqual([{ n: 0 }]);
    expect((await record(service, `profile-${id}`)).data!.recordActivity.pointsEarned).toBe(50);
    // The admin lets the app record it: from then on it may.
    await s.admin(`mutation { upsertActivityRule(input: { kind: "PROFILE_DONE", name: "Completed the profile", points: 50, qualifyingPoints: 0, dailyCap: 50, memberMayRecord: true }) { kind } }`);
    expect((await record(token, 'p4')).errors).toBeUndefined();
    // An edit of its points that says nothing of memberMayRecord (a script written before the
    // setting, the README's upsertActivityRule(kind, points, qualifyingPoints, dailyCap)) keeps it:
    // it withdrew every member app's right to record the kind, silently.
    const edited = await s.admin(`mutation { upsertActivityRule(input: { kind: "PROFILE_DONE", name: "Completed the profile", points: 60, qualifyingPoints: 0 }) { points memberMayRecord } }`);
    expect(edited.upsertActivityRule).toEqual({ points: 60, memberMayRecord: true });
    expect((await record(token, 'p5')).data!.recordActivity.pointsEarned).toBe(60);
    // Saying false withdraws it; null leaves it as it is.
    await s.admin(`mutation { upsertActivityRule(input: { kind: "PROFILE_DONE", name: "Completed the profile", points: 60, memberMayRecord: false }) { kind } }`);
    const kept = await s.admin(`mutation { upsertActivityRule(input: { kind: "PROFILE_DONE", name: "Completed the profile", points: 60, memberMayRecord: null }) { memberMayRecord } }`);
    expect(kept.upsertActivityRule).toEqual({ memberMayRecord: false });
    expectError(await record(token, 'p6'), 'FORBIDDEN', 'kind');
  });
});

describe('expirePoints', () => {
  it('expires every lot due at asOf in one EXPIRE transaction per member, and a second run does nothing', async () => {
    // The days of 2024–2026 moved by whole years so that asOf has come and e-a3 (due 24 months
    // after 2025-06-10) has not expired yet, whenever the test runs: fixed days stopped holding on 2027-06-10.
    const now = new Date();
    const years = now.getUTCFullYear() - 2026 - (now.toISOString().slice(5) < '03-01' ? 1 : 0);
    const y = (instant: string) => `${Number(instant.slice(0, 4)) + years}${instant.slice(4)}`;
    const a = await registerMember(s);
    const b = await registerMember(s);
    await purchase({ memberId: a, orderId: 'e-a1', amount: 10, occurredAt: y('2024-01-10T00:00:00.000Z') });
    await purchase({ memberId: a, orderId: 'e-a2', amount: 20, occurredAt: y('2024-02-10T00:00:00.000Z') });
    await purchase({ memberId: a, orderId: 'e-a3', amount: 40, occurredAt: y('2025-06-10T00:00:00.000Z') });
    await purchase({ memberId: b, orderId: 'e-b1', amount: 7, occurredAt: y('2024-01-15T00:00:00.000Z') });
    // expired lots are not spendable even before the job runs
    expect((await points(a)).pointsBalance).toBe(40);
    const asOf = y('2026-03-01T00:00:00.000Z');
    const run = await s.admin(`mutation($asOf: DateTime!) { expirePoints(asOf: $asOf) { processed changed } }`, { asOf });
    expect(run.expirePoints.changed).toBeGreaterThanOrEqual(2);
    const txns = await s.sql(`select member_id, amount, occurred_at from point_transaction where type = 'EXPIRE' and member_id in ($1, $2) order by amount`, [a, b]);
    expect(txns.map((t) => [t.member_id, t.amount, new Date(t.occurred_at).toISOString()])).toEqual([
      [a, -30, y('2026-02-10T00:00:00.000Z')], [b, -7, y('2026-01-15T00:00:00.000Z')],
    ]);
    const again = await s.admin(`mutation($asOf: DateTime!) { expirePoints(asOf: $asOf) { processed changed } }`, { asOf });
    expect(again.expirePoints).toEqual({ processed: 0, changed: 0 });
    expect((await points(a)).pointsBalance).toBe(40);
  });
});

describe('pointsHistory', () => {
  it('pages newest first with cursors', async () => {
    const id = await registerMember(s);
    for (let i = 0; i < 5; i++) await purchase({ memberId: id, orderId: `h-${i}`, amount: i + 1 });
    const q = `query($id: ID!, $after: String) { member(id: $id) { pointsHistory(first: 2, after: $after) {
      edges { cursor node { amount reference } } pageInfo { hasNextPage endCursor } } } }`;
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const h: any = (await s.admin(q, { id, after })).member.pointsHistory;
      seen.push(...h.edges.map((e: any) => e.node.reference));
      if (!h.pageInfo.hasNextPage) break;
      after = h.pageInfo.endCursor;
    }
    expect(seen).toEqual(['h-4', 'h-3', 'h-2', 'h-1', 'h-0']);
  });
});

describe('window counters', () => {
  // Last in the file: every test before it wrote qualifying points (purchases, refunds, activities, adjustments).
  it('agree with the ledger for every member after all of the above', async () => {
    expect(await windowCounterDrift(s)).toEqual([]);
  });
});
