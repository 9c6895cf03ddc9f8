import { bonusesNeedTags, isInForce, multiplierBonuses, type MultiplierBenefitVersion } from './benefits.rules';

const at = new Date('2026-06-01T00:00:00Z');
const v = (o: Partial<MultiplierBenefitVersion>): MultiplierBenefitVersion => ({
  code: 'B', version: 1, changedAt: new Date('2026-01-01T00:00:00Z'), kind: 'POINTS_MULTIPLIER', active: true, value: 0.5,
  validFrom: null, validTo: null, tierCodes: [], requiredTags: [], ...o,
});

describe('multiplierBonuses', () => {
  it('takes each benefit as its latest version saved at or before the instant', () => {
    const versions = [v({ version: 1, value: 0.5 }), v({ version: 2, value: 0.25, changedAt: new Date('2026-05-01T00:00:00Z') }), v({ version: 3, value: 9, changedAt: new Date('2026-07-01T00:00:00Z') })];
    expect(multiplierBonuses(versions, 'GOLD', [], at)).toEqual([0.25]);
    expect(multiplierBonuses(versions, 'GOLD', [], new Date('2025-12-31T00:00:00Z'))).toEqual([]);
  });

  it('a later version that changed the kind or switched it off pays nothing from then on', () => {
    expect(multiplierBonuses([v({}), v({ version: 2, kind: 'DISCOUNT', changedAt: new Date('2026-05-01T00:00:00Z') })], 'GOLD', [], at)).toEqual([]);
    expect(multiplierBonuses([v({}), v({ version: 2, active: false, changedAt: new Date('2026-05-01T00:00:00Z') })], 'GOLD', [], at)).toEqual([]);
  });

  it('inside its validity window only (from inclusive, to exclusive)', () => {
    expect(multiplierBonuses([v({ validFrom: at })], 'GOLD', [], at)).toEqual([0.5]);
    expect(multiplierBonuses([v({ validTo: at })], 'GOLD', [], at)).toEqual([]);
    expect(multiplierBonuses([v({ validFrom: new Date(at.getTime() + 1) })], 'GOLD', [], at)).toEqual([]);
  });

  it('for the tiers it lists (or every tier) and members with every tag it requires', () => {
    const versions = [v({ code: 'A', tierCodes: ['GOLD'] }), v({ code: 'B', requiredTags: ['vip', 'app'], value: 0.1 }), v({ code: 'C', value: 0.2 })];
    expect(multiplierBonuses(versions, 'GOLD', ['vip'], at).sort()).toEqual([0.2, 0.5]);
    expect(multiplierBonuses(versions, 'SILVER', ['app', 'vip'], at).sort()).toEqual([0.1, 0.2]);
  });

  it('needs the member\'s tags only when a multiplier in force at the instant requires one', () => {
    expect(bonusesNeedTags([v({})], at)).toBe(false);
    expect(bonusesNeedTags([v({ requiredTags: ['vip'] })], at)).toBe(true);
    expect(bonusesNeedTags([v({ requiredTags: ['vip'], kind: 'DISCOUNT' })], at)).toBe(false);
    const switchedOff = [v({ requiredTags: ['vip'] }), v({ version: 2, requiredTags: ['vip'], active: false, changedAt: new Date('2026-05-01T00:00:00Z') })];
    expect(bonusesNeedTags(switchedOff, at)).toBe(false);
    expect(bonusesNeedTags(switchedOff, new Date('2026-04-01T00:00:00Z'))).toBe(true);
    expect(bonusesNeedTags([v({ requiredTags: ['vip'], validTo: at })], at)).toBe(false);
  });
});

describe('isInForce', () => {
  const b = (o: { active?: boolean; validFrom?: Date | null; validTo?: Date | null }) => ({ active: true, validFrom: null, validTo: null, ...o });
  it('an active benefit with no window is in force at any instant', () => {
    expect(isInForce(b({}), at)).toBe(true);
    expect(isInForce(b({ active: false }), at)).toBe(false);
  });
  it('inside its window only: validFrom inclusive, validTo exclusive', () => {
    expect(isInForce(b({ validFrom: at }), at)).toBe(true);
    expect(isInForce(b({ validFrom: new Date(at.getTime() + 1) }), at)).toBe(false);
    expect(isInForce(b({ validTo: at }), at)).toBe(false);
    expect(isInForce(b({ validTo: new Date(at.getTime() + 1) }), at)).toBe(true);
    expect(isInForce(b({ active: false, validFrom: new Date(0) }), at)).toBe(false);
  });
});
