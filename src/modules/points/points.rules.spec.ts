import fc from 'fast-check';
import {
  activityGrant, activityKeyOf, basePoints, consumeLotsFifo, dailyCapRemaining, earnedPoints, lotExpiry, planRefundDebit, refundReversal, RefundExceedsPurchaseError, sameActivityRule, settleDebtPlan, type Lot,
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
