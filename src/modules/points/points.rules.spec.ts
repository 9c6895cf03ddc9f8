import fc from 'fast-check';
import { awardsThatFit,
  activityGrant, activityKeyOf, basePoints, consumeLotsFifo, dailyCapRemaining, earnedPoints, lotExpiry, planRefundDebit, refundReversal, RefundExceedsPurchaseError, replanDebits, replanTakes, DebitsShortError, sameActivityRule, settleDebtPlan, takeChanges, type Lot,
  type LotTake, type PlanDebit, type PlanLot,
} from './points.rules';
import { addMonthsUtc } from '../../common/time.rules';

const d = (s: string) => new Date(s);
const lot = (id: string, remaining: number, expiresAt: string | null, earnedAt = '2026-01-01T00:00:00Z'): Lot =>
  ({ id, remaining, expiresAt: expiresAt ? d(expiresAt) : null, earnedAt: d(earnedAt) });

describe('earning', () => {
  it('floors amount × pointsPerUnit × multiplier exactly, without float drift', () => {
    expect(basePoints(12399, 1)).toBe(123);
    expect(earnedPoints(1999, 1.1, 1.5)).toBe(32); // 32.9835
    expect(earnedPoints(1000, 0.1, 3)).toBe(3); // 0.1 × 3 is 0.30000000000000004 in floats
    expect(earnedPoints(10000, 1, 1.25)).toBe(125);
    expect(basePoints(99, 1)).toBe(0);
  });
});

describe('consumeLotsFifo', () => {
  const lots = [lot('1', 10, null), lot('2', 10, '2027-06-01T00:00:00Z'), lot('3', 10, '2027-01-01T00:00:00Z'), lot('4', 10, '2026-02-01T00:00:00Z')];
  it('spends soonest-expiring first, never-expiring last, skipping expired lots', () => {
    expect(consumeLotsFifo(lots, 25, { asOf: d('2026-06-01T00:00:00Z') })).toEqual({
      takes: [{ lotId: '3', amount: 10 }, { lotId: '2', amount: 10 }, { lotId: '1', amount: 5 }], shortfall: 0,
    });
  });
  it('takes a preferred lot first and reports the shortfall', () => {
    expect(consumeLotsFifo(lots, 45, { preferLotId: '1', asOf: d('2026-06-01T00:00:00Z') })).toEqual({
      takes: [{ lotId: '1', amount: 10 }, { lotId: '3', amount: 10 }, { lotId: '2', amount: 10 }], shortfall: 15,
    });
  });
  it('property: never takes more than a lot holds; taken + shortfall = amount', () => {
    fc.assert(fc.property(fc.array(fc.record({ remaining: fc.integer({ min: 0, max: 100 }), exp: fc.option(fc.integer({ min: 0, max: 1000 })) }), { maxLength: 10 }),
      fc.integer({ min: 0, max: 600 }), (raw, amount) => {
        const ls = raw.map((r, i) => lot(String(i), r.remaining, r.exp == null ? null : new Date(Date.UTC(2026, 0, 1) + r.exp * 86_400_000).toISOString()));
        const { takes, shortfall } = consumeLotsFifo(ls, amount);
        for (const t of takes) expect(t.amount).toBeLessThanOrEqual(ls.find((l) => l.id === t.lotId)!.remaining);
        expect(takes.reduce((s, t) => s + t.amount, 0) + shortfall).toBe(amount);
      }));
  });
});

describe('refunds', () => {
  const base = { originalAmountCents: 9999, earnedPoints: 149, qualifyingPoints: 99, refundedBeforeCents: 0, reversedPointsBefore: 0, reversedQualifyingBefore: 0 };
  it('reverses pro rata and cumulatively, with no drift over partial refunds', () => {
    const a = refundReversal({ ...base, refundCents: 3333 });
    const b = refundReversal({ ...base, refundedBeforeCents: 3333, reversedPointsBefore: a.points, reversedQualifyingBefore: a.qualifying, refundCents: 3333 });
    const c = refundReversal({ ...base, refundedBeforeCents: 6666, reversedPointsBefore: a.points + b.points, reversedQualifyingBefore: a.qualifying + b.qualifying, refundCents: 3333 });
    expect(a.points + b.points + c.points).toBe(149);
    expect(a.qualifying + b.qualifying + c.qualifying).toBe(99);
  });
  it('refuses more than remains', () => {
    expect(() => refundReversal({ ...base, refundedBeforeCents: 9000, refundCents: 1000 })).toThrow(RefundExceedsPurchaseError);
  });
  it('property: any split of a full refund reverses exactly what was earned', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 100000 }), fc.integer({ min: 0, max: 5000 }), fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 8 }), (amount, earned, weights) => {
      const total = weights.reduce((s, w) => s + w, 0);
      const parts = weights.map((w) => Math.floor((amount * w) / total));
      parts[parts.length - 1] += amount - parts.reduce((s, p) => s + p, 0);
      let before = 0, reversed = 0;
      for (const p of parts.filter((x) => x > 0)) {
        const r = refundReversal({ originalAmountCents: amount, refundedBeforeCents: before, refundCents: p, earnedPoints: earned, qualifyingPoints: 0, reversedPointsBefore: reversed, reversedQualifyingBefore: 0 });
        before += p; reversed += r.points;
      }
      expect(reversed).toBe(earned);
    }));
  });
  it('cancels pending points first, then own lot, then FIFO; the rest is unrecovered or negative', () => {
    const lots = [lot('own', 5, '2028-01-01T00:00:00Z'), lot('x', 20, '2027-01-01T00:00:00Z')];
    const asOf = d('2026-06-01T00:00:00Z');
    expect(planRefundDebit({ reversal: 40, pendingForOrder: 10, lots, ownLotId: 'own', asOf, allowNegativeBalance: false }))
      .toEqual({ cancelPending: 10, takes: [{ lotId: 'own', amount: 5 }, { lotId: 'x', amount: 20 }], negative: 0, unrecovered: 5 });
    expect(planRefundDebit({ reversal: 40, pendingForOrder: 0, lots, ownLotId: 'own', asOf, allowNegativeBalance: true }).negative).toBe(15);
  });
});

describe('expiry and caps', () => {
  it('counts expiry from activation', () => {
    expect(lotExpiry(d('2026-01-31T10:00:00Z'), 1, addMonthsUtc)).toEqual(d('2026-02-28T10:00:00Z'));
    expect(lotExpiry(d('2026-01-31T10:00:00Z'), null, addMonthsUtc)).toBeNull();
  });
  it('caps activity points per day', () => {
    expect(dailyCapRemaining(12, 10, 5)).toBe(2);
    expect(dailyCapRemaining(12, 12, 5)).toBe(0);
    expect(dailyCapRemaining(null, 1000, 5)).toBe(5);
  });
  it('grants an activity\'s qualifying points unless the cap took all its points; a 0-point rule has nothing to cap', () => {
    expect(activityGrant({ points: 5, qualifying: 2, dailyCap: 12 }, 10)).toEqual({ points: 2, qualifying: 2, capped: false });
    expect(activityGrant({ points: 5, qualifying: 2, dailyCap: 12 }, 12)).toEqual({ points: 0, qualifying: 0, capped: true });
    expect(activityGrant({ points: 0, qualifying: 3, dailyCap: null }, 0)).toEqual({ points: 0, qualifying: 3, capped: false });
    expect(activityGrant({ points: 0, qualifying: 3, dailyCap: 10 }, 10)).toEqual({ points: 0, qualifying: 3, capped: false });
  });
});

describe('sameActivityRule', () => {
  const rule = { name: 'Review', points: 20, qualifyingPoints: 10, dailyCap: 40 as number | null, active: true, memberMayRecord: false };
  it('is the same rule when every setting is equal (an absent cap is no cap)', () => {
    expect(sameActivityRule(rule, { ...rule })).toBe(true);
    expect(sameActivityRule({ ...rule, dailyCap: null }, { ...rule, dailyCap: undefined as unknown as null })).toBe(true);
  });
  it('is a change when any setting differs', () => {
    for (const change of [{ name: 'Reviews' }, { points: 21 }, { qualifyingPoints: 0 }, { dailyCap: null }, { active: false }, { memberMayRecord: true }]) {
      expect(sameActivityRule(rule, { ...rule, ...change })).toBe(false);
    }
  });
});

describe('settleDebtPlan', () => {
  const d = (day: number) => new Date(Date.UTC(2025, 0, 1) + day * 86_400_000);
  const lot = (id: string, remaining: number, earned: number, activates: number, expires: number | null) =>
    ({ id, remaining, earnedAt: d(earned), activatesAt: d(activates), expiresAt: expires == null ? null : d(expires), transactionId: `t${id}` });

  it('a pending lot repays a debt only once it has activated', () => {
    const lots = [lot('1', -100, 0, 0, null), lot('2', 100, 1, 15, 700)];
    expect(settleDebtPlan(lots, d(10)).moves).toEqual([]);
    const { moves, settled } = settleDebtPlan(lots, d(15));
    expect(moves).toEqual([{ from: '2', to: '1', amount: 100, transactionId: 't2' }]);
    expect(settled.map((l) => l.remaining)).toEqual([0, 0]);
    expect(lots.map((l) => l.remaining)).toEqual([-100, 100]); // the input is left as it was
  });

  it('oldest debt first, from lots in the order they activated; a lot that expired before it could repay does not', () => {
    const lots = [lot('3', -50, 5, 5, null), lot('2', -80, 4, 4, null), lot('10', 60, 0, 20, 700), lot('9', 100, 0, 10, 700), lot('4', 500, 0, 1, 3)];
    const { moves } = settleDebtPlan(lots, d(30));
    expect(moves).toEqual([
      { from: '9', to: '2', amount: 80, transactionId: 't9' },
      { from: '9', to: '3', amount: 20, transactionId: 't9' },
      { from: '10', to: '3', amount: 30, transactionId: 't10' },
    ]);
  });
});

describe('replanDebits (a backdated credit re-plans the debits after it)', () => {
  const DAY = 86_400_000;
  const t0 = Date.UTC(2026, 0, 1);
  const at = (day: number) => new Date(t0 + day * DAY);
  const plan = (id: string, capacity: number, activates: number, expires: number | null): PlanLot =>
    ({ id, capacity, earnedAt: at(activates), activatesAt: at(activates), expiresAt: expires == null ? null : at(expires) });
  const left = (lots: PlanLot[], plans: Map<string, LotTake[]>) => {
    const m = new Map(lots.map((l) => [l.id, l.capacity]));
    for (const takes of plans.values()) for (const t of takes) m.set(t.lotId, m.get(t.lotId)! - t.amount);
    return Object.fromEntries(m);
  };

  it('the repro: B (earlier, expiring sooner) posted after the redemption takes the redemption over from A', () => {
    // A earned day 100 (expires 465), B day 60 (expires 425), redemption of 50 on day 200.
    const lots = [plan('1', 100, 100, 465), plan('2', 100, 60, 425)]; // '1' = A (first to arrive), '2' = B
    const plans = replanDebits(lots, [{ id: '10', at: at(200), amount: 50 }]);
    expect(plans.get('10')).toEqual([{ lotId: '2', amount: 50 }]);
    expect(takeChanges([{ lotId: '1', amount: 50 }], plans.get('10')!)).toEqual([{ lotId: '2', amount: 50 }, { lotId: '1', amount: -50 }]);
  });

  it('re-plans every later debit: D1 moving to L frees X, which D2 (that L does not reach) takes instead of Y', () => {
    // X expires day 50, Y day 300; L (new) spendable days 0..20; D1 on day 10 took X; D2 on day 30 took Y.
    const lots = [plan('1', 10, 0, 50), plan('2', 10, 0, 300), plan('3', 10, 0, 20)];
    const plans = replanDebits(lots, [{ id: '11', at: at(30), amount: 10 }, { id: '10', at: at(10), amount: 10 }]);
    expect(plans.get('10')).toEqual([{ lotId: '3', amount: 10 }]);
    expect(plans.get('11')).toEqual([{ lotId: '1', amount: 10 }]);
    expect(left(lots, plans)).toEqual({ 1: 0, 2: 10, 3: 0 });
  });

  it('takes only lots spendable at the debit\'s instant (pending ones not yet, expired ones no more)', () => {
    const lots = [plan('1', 10, 5, 100), plan('2', 10, 0, 3), plan('3', 10, 0, null)];
    expect(replanDebits(lots, [{ id: '9', at: at(4), amount: 5 }]).get('9')).toEqual([{ lotId: '3', amount: 5 }]);
  });

  it('a plan that cannot be fed is an Error (a broken ledger), not a refusal', () => {
    expect(() => replanDebits([plan('1', 5, 0, 10)], [{ id: '9', at: at(1), amount: 6 }])).toThrow(/1 points short/);
  });

  describe('replanTakes: refunds among the debits, in date order', () => {
    it('a refund takes its order\'s lot first, then the soonest to expire; what it cannot find it owes', () => {
      const lots = [plan('1', 30, 0, 100), plan('2', 50, 0, 50), plan('3', 50, 0, 200)];
      const { plans, owed } = replanTakes(lots, [], [{ id: '9', at: at(10), target: 100, ownLotId: '1' }]);
      expect(plans.get('9')).toEqual([{ lotId: '1', amount: 30 }, { lotId: '2', amount: 50 }, { lotId: '3', amount: 20 }]);
      expect(owed.get('9')).toBe(0);
      expect(replanTakes([plan('1', 30, 0, 100)], [], [{ id: '9', at: at(10), target: 100, ownLotId: '1' }]).owed.get('9')).toBe(70);
    });

    it('an earlier refund has first pick; the later one comes up short (the repro: P1\'s refund posted before P0\'s)', () => {
      // P0 100 (day 0, expires 60), P1 200 (day 20, expires 80); P0 refunded on day 10, an adjustment of 100 on day 25, P1 refunded 150 on day 28.
      const lots = [plan('1', 100, 0, 60), plan('2', 200, 20, 80)];
      const { plans, owed } = replanTakes(lots, [{ id: '20', at: at(25), amount: 100 }], [
        { id: '30', at: at(28), target: 150, ownLotId: '2' }, { id: '31', at: at(10), target: 100, ownLotId: '1' }]);
      expect(plans.get('31')).toEqual([{ lotId: '1', amount: 100 }]);
      expect(plans.get('20')).toEqual([{ lotId: '2', amount: 100 }]);
      expect(plans.get('30')).toEqual([{ lotId: '2', amount: 100 }]);
      expect([owed.get('31'), owed.get('30')]).toEqual([0, 50]);
    });

    it('cancels its order\'s pending points first; another order\'s pending points are out of its reach', () => {
      const lots = [plan('1', 40, 15, 100), plan('2', 40, 12, 100), plan('3', 10, 0, 100)];
      const { plans, owed } = replanTakes(lots, [], [{ id: '9', at: at(10), target: 60, ownLotId: '1' }]);
      expect(plans.get('9')).toEqual([{ lotId: '1', amount: 40 }, { lotId: '3', amount: 10 }]);
      expect(owed.get('9')).toBe(10);
    });

    it('a cancelled debit holds its takes until its cancellation, which gives back only to lots not past their expiry then', () => {
      // P0 (expires day 30) and P1 (no expiry); B on day 20 takes P0's 50; C on day 25 finds P0's 30 and P1; B cancelled on day 40.
      const lots = [plan('1', 80, 0, 30), plan('2', 200, 5, null)];
      const { plans, returns } = replanTakes(lots, [
        { id: '20', at: at(20), amount: 50, cancel: { at: at(40) } }, { id: '21', at: at(25), amount: 100 },
      ], []);
      expect(plans.get('20')).toEqual([{ lotId: '1', amount: 50 }]);
      expect(plans.get('21')).toEqual([{ lotId: '1', amount: 30 }, { lotId: '2', amount: 70 }]);
      // P0 expired on day 30, while B held its 50: nothing goes back.
      expect(returns.get('20')).toEqual([]);
      expect(left(lots, new Map([...plans, ['back', returns.get('20')!]]))).toEqual({ 1: 0, 2: 130 });
      // Cancelled on day 28 instead: its 50 go back to P0 (which then expires with them).
      const early = replanTakes(lots, [
        { id: '20', at: at(20), amount: 50, cancel: { at: at(28) } }, { id: '21', at: at(25), amount: 100 },
      ], []);
      expect(early.returns.get('20')).toEqual([{ lotId: '1', amount: -50 }]);
      // A debit after the cancellation finds what came back.
      const after = replanTakes(lots, [
        { id: '20', at: at(20), amount: 80, cancel: { at: at(22) } }, { id: '21', at: at(25), amount: 60 },
      ], []);
      expect(after.plans.get('21')).toEqual([{ lotId: '1', amount: 60 }]);
    });

    it('what a cancellation gives back pays first a refund the debit kept short, its own lot first', () => {
      // P (lot 1, 80) on day 0; B redeems 50 on day 10; P refunded on day 12 (reverses 60: finds 30, owes 30); B cancelled on day 20.
      const lots = [plan('1', 80, 0, 100), plan('2', 40, 5, 100)];
      const { plans, owed, returns } = replanTakes(lots, [{ id: '20', at: at(10), amount: 50, cancel: { at: at(20) } }],
        [{ id: '30', at: at(12), target: 60, ownLotId: '1' }]);
      // The refund found the rest of its lot and lot 2; the cancellation's 50 back to lot 1, nothing owed.
      expect(plans.get('30')).toEqual([{ lotId: '1', amount: 30 }, { lotId: '2', amount: 30 }]);
      expect(returns.get('20')).toEqual([{ lotId: '1', amount: -50 }]);
      expect(owed.get('30')).toBe(0);
      // Lot 2 out of its reach (pending until day 15): it owes 30, and the cancellation pays them from what came back.
      const short = replanTakes([plan('1', 80, 0, 100), plan('2', 40, 15, 100)], [{ id: '20', at: at(10), amount: 50, cancel: { at: at(20) } }],
        [{ id: '30', at: at(12), target: 60, ownLotId: '1' }]);
      expect(short.plans.get('30')).toEqual([{ lotId: '1', amount: 60 }]);
      expect(short.owed.get('30')).toBe(0);
    });

    it('a cancellation dated before its debit is a broken input', () => {
      expect(() => replanTakes([plan('1', 80, 0, null)], [{ id: '20', at: at(20), amount: 50, cancel: { at: at(10) } }], []))
        .toThrow(/dated before it/);
    });

    it('a debit that no longer fits after an earlier refund is DebitsShortError (the caller keeps the arrival\'s plan)', () => {
      expect(() => replanTakes([plan('1', 100, 0, null)], [{ id: '20', at: at(5), amount: 80 }], [{ id: '9', at: at(3), target: 50, ownLotId: '1' }]))
        .toThrow(DebitsShortError);
    });
  });

  // Random lots (activation, expiry, capacity) and debits dated at random days.
  const scenario = fc.record({
    lots: fc.array(fc.record({ cap: fc.integer({ min: 1, max: 50 }), act: fc.integer({ min: 0, max: 60 }), life: fc.option(fc.integer({ min: 1, max: 60 }), { nil: null }) }), { minLength: 1, maxLength: 7 }),
    debits: fc.array(fc.record({ day: fc.integer({ min: 0, max: 120 }), want: fc.integer({ min: 1, max: 60 }), key: fc.nat() }), { maxLength: 6 }),
  });
  const lotsOf = (raw: { cap: number; act: number; life: number | null }[]) => raw.map((r, i) => plan(String(i + 1), r.cap, r.act, r.life == null ? null : r.act + r.life));
  /** The debits that fit when each takes at its arrival (`keys` order) from what is left: what the ledger holds before a re-plan. */
  const arrivalPlan = (lots: PlanLot[], raw: { day: number; want: number; key: number }[]) => {
    const rest = new Map(lots.map((l) => [l.id, l.capacity]));
    const debits: PlanDebit[] = [];
    const plans = new Map<string, LotTake[]>();
    for (const [i, r] of raw.map((x, j) => [j, x] as const).sort((a, b) => a[1].key - b[1].key)) {
      const spendable = lots.filter((l) => l.activatesAt <= at(r.day) && (!l.expiresAt || l.expiresAt > at(r.day))).map((l) => ({ ...l, remaining: rest.get(l.id)! }));
      const amount = Math.min(r.want, spendable.reduce((s, l) => s + l.remaining, 0));
      if (amount <= 0) continue;
      const { takes } = consumeLotsFifo(spendable, amount);
      for (const t of takes) rest.set(t.lotId, rest.get(t.lotId)! - t.amount);
      debits.push({ id: String(100 + i), at: at(r.day), amount });
      plans.set(String(100 + i), takes);
    }
    return { debits, plans };
  };

  it('property: whatever plan fed the debits (any arrival order), the re-plan feeds them all, within each lot, each debit its amount', () => {
    fc.assert(fc.property(scenario, ({ lots: raw, debits: rawDebits }) => {
      const lots = lotsOf(raw);
      const { debits } = arrivalPlan(lots, rawDebits);
      const plans = replanDebits(lots, debits);
      for (const d of debits) expect(plans.get(d.id)!.reduce((s, t) => s + t.amount, 0)).toBe(d.amount);
      for (const v of Object.values(left(lots, plans))) expect(v).toBeGreaterThanOrEqual(0);
    }));
  });

  it('property: on a plan made in date order, a new lot never leaves an old lot with less (what expired only grows: Δ ≥ 0)', () => {
    fc.assert(fc.property(scenario, fc.record({ cap: fc.integer({ min: 1, max: 50 }), act: fc.integer({ min: 0, max: 60 }), life: fc.integer({ min: 1, max: 60 }) }), ({ lots: raw, debits: rawDebits }, extra) => {
      const lots = lotsOf(raw);
      const { debits } = arrivalPlan(lots, rawDebits.map((r) => ({ ...r, key: r.day })));
      const before = left(lots, replanDebits(lots, debits));
      const after = left([...lots, plan('99', extra.cap, extra.act, extra.act + extra.life)], replanDebits([...lots, plan('99', extra.cap, extra.act, extra.act + extra.life)], debits));
      for (const l of lots) expect(after[l.id]).toBeGreaterThanOrEqual(before[l.id]);
    }));
  });

  it('on a plan made in arrival order (debits posted out of date order) a re-plan can leave an old lot with less: an expired one expired less', () => {
    // Lots: 1 spendable days 0..29, 2 days 27..28, 3 days 14..28. D100 (day 27) arrived first and
    // took lot 3 (expiring with 2, earned before it); D101 (day 14) then found 3 empty and took 1.
    // In date order D101 takes 3 and D100 takes 2: lot 2 ends with 1 less, lot 1 with 1 more.
    const lots = [plan('1', 1, 0, 29), plan('2', 1, 27, 28), plan('3', 1, 14, 28)];
    const stored = new Map([['100', [{ lotId: '3', amount: 1 }]], ['101', [{ lotId: '1', amount: 1 }]]]);
    const plans = replanDebits(lots, [{ id: '100', at: at(27), amount: 1 }, { id: '101', at: at(14), amount: 1 }]);
    expect(left(lots, stored)).toEqual({ 1: 0, 2: 1, 3: 0 });
    expect(left(lots, plans)).toEqual({ 1: 1, 2: 0, 3: 0 });
  });
});

describe('activity keys', () => {
  it('a member\'s keys are its own namespace; a back end\'s are stored as given unless they look like a namespace; never two callers\' keys on one', () => {
    expect(activityKeyOf('member', 'm1', 'k')).toBe('member:m1:k');
    expect(activityKeyOf('service', 'm1', 'k')).toBe('k');
    expect(activityKeyOf('admin', 'm1', 'k')).toBe('k');
    expect(activityKeyOf('service', 'm1', 'member:m1:k')).toBe('service:member:m1:k');
    expect(activityKeyOf('service', 'm1', 'service:member:m1:k')).toBe('service:service:member:m1:k');
    fc.assert(fc.property(
      fc.constantFrom<'member' | 'service'>('member', 'service'), fc.constantFrom('m1', 'm2'), fc.constantFrom('', 'member:', 'service:', 'member:m1:', 'service:member:m1:'), fc.string(),
      fc.constantFrom<'member' | 'service'>('member', 'service'), fc.constantFrom('m1', 'm2'), fc.constantFrom('', 'member:', 'service:', 'member:m1:', 'service:member:m1:'), fc.string(),
      (r1, id1, p1, k1, r2, id2, p2, k2) => {
        // A member is its own namespace; back ends share the programme's, whatever member they write for.
        const caller = (r: string, id: string, key: string) => (r === 'member' ? `${r}|${id}|${key}` : `${r}|${key}`);
        const same = caller(r1, id1, p1 + k1) === caller(r2, id2, p2 + k2);
        return (activityKeyOf(r1, id1, p1 + k1) === activityKeyOf(r2, id2, p2 + k2)) === same;
      },
    ));
  });
});

describe('awardsThatFit', () => {
  const MAX = 2_147_483_647;
  it('keeps each award that fits on its own on what is held (one that does not takes no room); in order while they fit when together they would not', () => {
    const awards = [{ id: 'a', points: 100 }, { id: 'b', points: 50 }, { id: 'c', points: 0 }, { id: 'd', points: 1 }];
    expect(awardsThatFit(awards, { balance: MAX - 60, lifetimeEarned: 0 }).map((a) => a.id)).toEqual(['b', 'c', 'd']);
    expect(awardsThatFit(awards, { balance: 0, lifetimeEarned: MAX - 100 }).map((a) => a.id)).toEqual(['a', 'c']); // together past int: in order while they fit
    expect(awardsThatFit(awards, { balance: -500, lifetimeEarned: 10 }).map((a) => a.id)).toEqual(['a', 'b', 'c', 'd']);
    expect(awardsThatFit([{ points: MAX }], { balance: 1, lifetimeEarned: 0 })).toEqual([]);
    // A big award that fits (and may not be given: another audience) leaves a small one after it in, while both fit together.
    expect(awardsThatFit([{ id: 'big', points: 2_000_000_000 }, { id: 'small', points: 100 }], { balance: 5, lifetimeEarned: 5 }).map((a) => a.id)).toEqual(['big', 'small']);
    // Two that fit alone but not together: in order while they fit.
    expect(awardsThatFit([{ id: 'x', points: 1_200_000_000 }, { id: 'y', points: 1_200_000_000 }, { id: 'z', points: 5 }], { balance: 0, lifetimeEarned: 0 }).map((a) => a.id)).toEqual(['x', 'z']);
  });
  it('never keeps awards that alone or together would pass int', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: MAX })), fc.integer({ min: -1000, max: MAX }), fc.integer({ min: 0, max: MAX }), (points, balance, lifetimeEarned) => {
      const sum = awardsThatFit(points.map((p) => ({ points: p })), { balance, lifetimeEarned }).reduce((t, a) => t + a.points, 0);
      expect(balance + sum).toBeLessThanOrEqual(MAX);
      expect(lifetimeEarned + sum).toBeLessThanOrEqual(MAX);
    }));
  });
});
