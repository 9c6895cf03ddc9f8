import fc from 'fast-check';
import {
  classifyStage, lifecycleTimeline, purchaseDaysAsOf, purchaseFactsAsOf, quintileScores, redemptionRate, rfmSegment, scoreRfm, transitionMatrix, validateThresholds,
} from './retention.rules';
import { dayNumber } from '../../common/local-time.rules';

describe('quintileScores', () => {
  it('gives ties one score and spreads distinct values two per score', () => {
    expect(quintileScores([5, 5, 5, 5], true)).toEqual([1, 1, 1, 1]);
    expect(quintileScores([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], true)).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    expect(quintileScores([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], false)).toEqual([5, 5, 4, 4, 3, 3, 2, 2, 1, 1]);
  });
  it('property: monotone and within 1..5', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 60 }), (vs) => {
      const s = quintileScores(vs, true);
      for (let i = 0; i < vs.length; i++) {
        expect(s[i]).toBeGreaterThanOrEqual(1);
        expect(s[i]).toBeLessThanOrEqual(5);
        for (let j = 0; j < vs.length; j++) if (vs[i] > vs[j]) expect(s[i]).toBeGreaterThanOrEqual(s[j]);
      }
    }));
  });
});

describe('rfm cube', () => {
  it('names all eight cells', () => {
    const cells = [true, false].flatMap((r) => [true, false].flatMap((f) => [true, false].map((m) => rfmSegment(r, f, m))));
    expect(new Set(cells).size).toBe(8);
    expect(rfmSegment(true, true, true)).toBe('IMPORTANT_VALUE');
    expect(rfmSegment(false, false, false)).toBe('GENERAL_WINBACK');
    expect(rfmSegment(true, false, true)).toBe('IMPORTANT_DEVELOP');
    expect(rfmSegment(false, true, true)).toBe('IMPORTANT_RETAIN');
  });
  it('compares raw values with the means (at the mean counts as high for F and M)', () => {
    const [a, b] = scoreRfm([{ recencyDays: 10, frequency: 2, monetaryCents: 100 }, { recencyDays: 30, frequency: 2, monetaryCents: 100 }]);
    expect(a.segment).toBe('IMPORTANT_VALUE');
    expect(b.segment).toBe('IMPORTANT_RETAIN');
  });
});

describe('classifyStage', () => {
  const at = (first: number | null, last: number | null, prev: number | null = null) =>
    classifyStage({ firstPurchaseDay: first, lastPurchaseDay: last, previousPurchaseDay: prev, asOfDay: 1000 });
  it('at each boundary', () => {
    expect(at(null, null)).toBe('PROSPECT');
    expect(at(970, 970)).toBe('NEW');
    expect(at(969, 969)).toBe('ACTIVE');
    expect(at(500, 910)).toBe('ACTIVE');
    expect(at(500, 909)).toBe('AT_RISK');
    expect(at(500, 820)).toBe('AT_RISK');
    expect(at(500, 819)).toBe('DORMANT');
    expect(at(100, 635)).toBe('DORMANT');
    expect(at(100, 634)).toBe('CHURNED');
  });
  it('REACTIVATED needs a gap longer than atRiskDays before a recent purchase', () => {
    expect(at(100, 990, 700)).toBe('REACTIVATED');
    expect(at(100, 990, 900)).toBe('ACTIVE');
  });
  it('validates thresholds', () => {
    expect(validateThresholds({ newDays: 30, activeDays: 90, atRiskDays: 180, dormantDays: 365 })).toBeNull();
    expect(validateThresholds({ newDays: 30, activeDays: 20, atRiskDays: 180, dormantDays: 365 })).toBe('activeDays');
  });
});

describe('purchaseFactsAsOf', () => {
  const asOf = new Date('2026-06-01T00:00:00.000Z');
  const day = (d: number) => new Date(asOf.getTime() + d * 86_400_000 + 12 * 3_600_000);
  const buy = (d: number, amountCents: number, ...refunds: [number, number][]) =>
    ({ occurredAt: day(d), amountCents, refunds: refunds.map(([r, c]) => ({ occurredAt: day(r), amountCents: c })) });

  it('counts refunds dated by asOf only; a purchase refunded in full is none', () => {
    expect(purchaseFactsAsOf([buy(-10, 30000, [5, 20000])], asOf)).toMatchObject({ monetaryCents: 30000, frequency: 1, recencyDays: 10 });
    expect(purchaseFactsAsOf([buy(-10, 30000, [-1, 10000])], asOf)).toMatchObject({ monetaryCents: 20000, frequency: 1 });
    expect(purchaseFactsAsOf([buy(-10, 30000, [-2, 10000], [-1, 20000])], asOf)).toBeNull();
    expect(purchaseFactsAsOf([buy(-200, 10000), buy(-5, 50000, [-3, 50000])], asOf)).toEqual({
      firstPurchaseDay: 20405, lastPurchaseDay: 20405, previousPurchaseDay: null, recencyDays: 200, frequency: 1, monetaryCents: 10000, x: 0, tx: 0, T: 200,
    });
  });

  it('frequency and monetary cover the 365 days before asOf; days and x all history up to asOf', () => {
    const facts = purchaseFactsAsOf([buy(-400, 1000), buy(-40, 2000, [-30, 500]), buy(-40, 100), buy(3, 9999)], asOf)!;
    expect(facts).toMatchObject({ frequency: 2, monetaryCents: 1600, x: 1, tx: 360, T: 400, recencyDays: 40, previousPurchaseDay: facts.firstPurchaseDay });
  });

  it('counts programme-local days: Shanghai\'s 23:59 and 00:01 are two days of one UTC date; New York\'s 23-hour day is one day of two UTC dates', () => {
    const at = (iso: string, amountCents = 100) => ({ occurredAt: new Date(iso), amountCents, refunds: [] });
    // 23:59 on 1 March, refreshed at 00:01 on 2 March, Shanghai time (both 1 March in UTC).
    const shanghai = [at('2026-03-01T15:59:00.000Z')];
    const shanghaiAsOf = new Date('2026-03-01T16:01:00.000Z');
    expect(purchaseFactsAsOf(shanghai, shanghaiAsOf, 'Asia/Shanghai')).toMatchObject({ recencyDays: 1, T: 1, lastPurchaseDay: dayNumber('2026-03-01') });
    expect(purchaseFactsAsOf(shanghai, shanghaiAsOf)).toMatchObject({ recencyDays: 0, T: 0 });
    // 00:01 and 23:59 on 8 March 2026 in New York (spring-forward): one purchase day, and asOf's.
    const ny = [at('2026-03-08T05:01:00.000Z'), at('2026-03-09T03:59:00.000Z')];
    const nyAsOf = new Date('2026-03-09T03:59:30.000Z');
    expect(purchaseDaysAsOf(ny, nyAsOf, 'America/New_York')).toEqual([dayNumber('2026-03-08')]);
    expect(purchaseFactsAsOf(ny, nyAsOf, 'America/New_York')).toMatchObject({ recencyDays: 0, x: 0, frequency: 2 });
    expect(purchaseDaysAsOf(ny, nyAsOf)).toEqual([dayNumber('2026-03-08'), dayNumber('2026-03-09')]);
  });
});

describe('redemptionRate', () => {
  it('is redeemed over earned, and null for a month that earned nothing', () => {
    expect(redemptionRate(250, 1000)).toBe(0.25);
    expect(redemptionRate(0, 1000)).toBe(0);
    expect(redemptionRate(300, 200)).toBe(1.5);
    expect(redemptionRate(0, 0)).toBeNull();
    expect(redemptionRate(120, 0)).toBeNull();
  });
});

describe('lifecycleTimeline (the reference for the timeline, late facts or not)', () => {
  const now = new Date('2026-06-01T00:00:00.000Z');
  const ago = (days: number, hours = 0) => new Date(now.getTime() - days * 86_400_000 + hours * 3_600_000);
  const buy = (days: number, ...refunds: [number, number][]) =>
    ({ occurredAt: ago(days, 12), amountCents: 1000, refunds: refunds.map(([d, c]) => ({ occurredAt: ago(d, 12), amountCents: c })) });
  const joinedAt = ago(400);

  it('the repro: bought 200 days ago and 20 days ago, refreshed 10 days ago and now: ACTIVE at both, one move', () => {
    const facts = { joinedAt, purchases: [buy(200), buy(20)] };
    const { stages, moves } = lifecycleTimeline(facts, [ago(0), ago(10)]);
    expect(stages.map((s) => s.stage)).toEqual(['ACTIVE', 'ACTIVE']);
    expect(moves).toEqual([{ from: null, to: 'ACTIVE', at: ago(10) }]);
    // After a gap longer than atRiskDays: REACTIVATED while the purchase is within newDays, then ACTIVE.
    expect(lifecycleTimeline({ joinedAt, purchases: [buy(220), buy(35)] }, [ago(10), ago(0)]).moves.map((m) => m.to)).toEqual(['REACTIVATED', 'ACTIVE']);
    // Without the later purchase: DORMANT (200 days) at both dates.
    expect(lifecycleTimeline({ joinedAt, purchases: [buy(200)] }, [ago(10), ago(0)]).moves).toEqual([{ from: null, to: 'DORMANT', at: ago(10) }]);
    expect(transitionMatrix(moves, ago(15), now)).toEqual([{ from: null, to: 'ACTIVE', count: 1 }]);
    expect(transitionMatrix(moves, ago(9), now)).toEqual([]);
  });

  it('a refund in full takes the purchase away from its date on; a member not classified at a date moves nothing there', () => {
    const facts = { joinedAt: ago(50), purchases: [buy(100, [30, 1000])] };
    const { stages, moves } = lifecycleTimeline(facts, [ago(90), ago(60), ago(40), ago(20)]);
    expect(stages.map((s) => s.stage)).toEqual(['NEW', 'ACTIVE', 'ACTIVE', 'PROSPECT']);
    expect(moves.map((m) => [m.from, m.to])).toEqual([[null, 'NEW'], ['NEW', 'ACTIVE'], ['ACTIVE', 'PROSPECT']]);
    // Refunded before it joined: not classified between the refund and its joining; the next move starts from its latest stage.
    const gap = lifecycleTimeline({ joinedAt: ago(10), purchases: [buy(100, [30, 1000])] }, [ago(60), ago(20), ago(5)]);
    expect(gap.stages.map((s) => s.stage)).toEqual(['ACTIVE', null, 'PROSPECT']);
    expect(gap.moves.map((m) => [m.from, m.to])).toEqual([[null, 'ACTIVE'], ['ACTIVE', 'PROSPECT']]);
  });

  it('stageAsOf agrees with classifyStage over purchaseFactsAsOf, and the dates\' order does not matter', () => {
    fc.assert(fc.property(
      fc.array(fc.integer({ min: 0, max: 700 }), { maxLength: 6 }), fc.array(fc.integer({ min: 0, max: 700 }), { minLength: 1, maxLength: 8 }),
      (days, dates) => {
        const facts = { joinedAt: ago(800), purchases: days.map((d) => buy(d)) };
        const a = lifecycleTimeline(facts, dates.map((d) => ago(d)));
        const b = lifecycleTimeline(facts, [...dates].reverse().map((d) => ago(d)));
        expect(a).toEqual(b);
        for (const { at, stage } of a.stages) {
          const f = purchaseFactsAsOf(facts.purchases, at);
          expect(stage).toBe(f ? classifyStage({ ...f, asOfDay: f.recencyDays + f.lastPurchaseDay }) : 'PROSPECT');
        }
      },
    ));
  });
});
