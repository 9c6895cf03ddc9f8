import { armFigures, pointsCost, reportFigures, welchInterval, type ArmAggregate } from './campaign-report.rules';
import { regularizedBeta, studentTQuantile, studentTUpperTail } from './student-t.rules';

/** An arm from its members' spends in cents (0 for a member who bought nothing). */
function arm(spends: number[], purchases = spends.filter((x) => x > 0).length): ArmAggregate {
  return {
    members: spends.length, buyers: spends.filter((x) => x > 0).length, purchases,
    spendCents: spends.reduce((s, x) => s + BigInt(x), 0n),
    spendSquaredCents: spends.reduce((s, x) => s + BigInt(x) * BigInt(x), 0n),
  };
}

describe('Student t', () => {
  // The printed table's two-sided 95% column (t at 0.975), to the digits tables give and beyond
  // (the further digits: scipy.stats.t.ppf(0.975, df), computed once outside this project).
  it.each([
    [1, 12.706204736], [2, 4.302652730], [5, 2.570581836], [10, 2.228138852], [30, 2.042272456], [1000, 1.962339081], [3.5, 2.940088638],
  ])('t(0.975, df %p) = %p', (df, expected) => {
    expect(studentTQuantile(0.975, df)).toBeCloseTo(expected, 8);
    expect(studentTQuantile(0.025, df)).toBeCloseTo(-expected, 8);
  });

  it('tail probabilities and the incomplete beta match reference values', () => {
    expect(studentTUpperTail(2, 3)).toBeCloseTo(0.06966298427942152, 12);
    expect(studentTUpperTail(-1, 7)).toBeCloseTo(0.8246916685898963, 12);
    expect(studentTUpperTail(0, 4)).toBeCloseTo(0.5, 14);
    expect(regularizedBeta(0.3, 2.5, 0.5)).toBeCloseTo(0.018927124071945658, 12);
    expect(regularizedBeta(0.9, 10, 0.5)).toBeCloseTo(0.15164090963470994, 12);
    expect(studentTQuantile(0.5, 9)).toBe(0);
  });

  it('refuses what has no answer', () => {
    expect(() => studentTQuantile(1, 3)).toThrow(RangeError);
    expect(() => studentTUpperTail(1, 0)).toThrow(RangeError);
  });
});

describe('armFigures', () => {
  it('gives GMV in currency units, ARPU and purchase rate over every member', () => {
    expect(armFigures(arm([1000, 0, 2000, 0], 3))).toEqual({ members: 4, buyers: 2, purchases: 3, gmv: 30, arpu: 7.5, purchaseRate: 0.5 });
  });
  it('has no ARPU or purchase rate without members', () => {
    expect(armFigures(arm([]))).toEqual({ members: 0, buyers: 0, purchases: 0, gmv: 0, arpu: null, purchaseRate: null });
  });
});

describe('welchInterval', () => {
  it('equals the hand computation', () => {
    // treatment 10, 0, 20, 0 (units): mean 7.5, s² = (4·500 − 30²)/(4·3) = 91.6667, v₁ = s²/4 = 22.9167
    // control 5, 0, 0: mean 1.6667, s² = (3·25 − 25)/(3·2) = 8.3333, v₂ = s²/3 = 2.7778
    // difference 5.8333; se = √25.6944 = 5.06897; df = 25.6944² / (22.9167²/3 + 2.7778²/2) = 3.69003
    // t(0.975, 3.69003) = 2.86993 → interval 5.8333 ∓ 14.5474 = [−8.7191, 20.3858]
    // (scipy.stats.ttest_ind(equal_var=False).confidence_interval gives −8.719118, 20.385785)
    const w = welchInterval(arm([1000, 0, 2000, 0]), arm([500, 0, 0]))!;
    expect(w.difference).toBeCloseTo(583.3333333, 6);
    expect(w.df).toBeCloseTo(3.690026954177898, 9);
    expect(w.low).toBeCloseTo(-871.9118100901103, 6);
    expect(w.high).toBeCloseTo(2038.578476756777, 6);
  });

  it('is null when an arm has fewer than 2 members', () => {
    expect(welchInterval(arm([100]), arm([0, 5, 7]))).toBeNull();
    expect(welchInterval(arm([100, 3]), arm([]))).toBeNull();
  });

  it('is the point itself when neither arm varies', () => {
    expect(welchInterval(arm([300, 300]), arm([100, 100, 100]))).toEqual({ difference: 200, low: 200, high: 200, df: null, t: null });
  });

  it('keeps the variance exact when spends are large and close together', () => {
    // 10^12 cents ± 1: a float Σx² − (Σx)²/n would lose the spread entirely.
    const big = 1_000_000_000_000;
    const w = welchInterval(arm([big + 1, big - 1]), arm([big, big]))!;
    expect(w.difference).toBe(0);
    // s₁² = 2, v₁ = 1, se = 1, df = 1: ± t(0.975, 1)
    expect(w.high).toBeCloseTo(12.706204736, 8);
  });
});

describe('pointsCost', () => {
  it('multiplies exactly by the six-decimal point value', () => {
    expect(pointsCost(1234, '0.010000')).toBe(12.34);
    expect(pointsCost(3, '0.333333')).toBe(0.999999);
    expect(pointsCost(0, '0.01')).toBe(0);
    expect(pointsCost(7, '2')).toBe(14);
  });
});

describe('reportFigures', () => {
  it('gives uplift, incremental GMV, cost and ROI', () => {
    const r = reportFigures({ treatment: arm([1000, 0, 2000, 0]), control: arm([500, 0, 0]), pointsGiven: 150, rewardPoints: 50, pointValue: '0.010000' });
    // incremental GMV = 5.8333 × 4 = 23.3333; cost = 200 × 0.01 = 2; ROI = (23.3333 − 2) / 2 = 10.6667
    expect(r.upliftArpu).toBeCloseTo(5.833333, 6);
    expect(r.upliftPurchaseRate).toBeCloseTo(0.5 - 1 / 3, 12);
    expect(r.incrementalGmv).toBeCloseTo(23.333333, 6);
    expect(r.cost).toBe(2);
    expect(r.roi).toBeCloseTo(10.666667, 6);
    expect(r.upliftArpuLow).toBeCloseTo(-8.719118, 6);
  });

  it('has no ROI without cost, nor uplift with an arm under 2 members', () => {
    const free = reportFigures({ treatment: arm([100, 0]), control: arm([0, 0]), pointsGiven: 0, rewardPoints: 0, pointValue: '0.01' });
    expect(free.upliftArpu).toBe(0.5);
    expect(free.roi).toBeNull();
    const small = reportFigures({ treatment: arm([100, 0]), control: arm([0]), pointsGiven: 10, rewardPoints: 0, pointValue: '0.01' });
    expect([small.upliftArpu, small.upliftArpuLow, small.upliftArpuHigh, small.upliftPurchaseRate, small.incrementalGmv, small.roi]).toEqual([null, null, null, null, null, null]);
    expect(small.cost).toBe(0.1);
    expect(small.control.arpu).toBe(0);
  });
});
