import fc from 'fast-check';
import { evaluateUpgrade, reviewDecision, validateLadder, type TierRung } from './tiers.rules';

const LADDER: TierRung[] = [
  { id: 'b', code: 'BRONZE', rank: 0, qualifyingPoints: 0, retainPoints: 0, pointsMultiplier: 1 },
  { id: 's', code: 'SILVER', rank: 1, qualifyingPoints: 1000, retainPoints: 800, pointsMultiplier: 1.25 },
  { id: 'g', code: 'GOLD', rank: 2, qualifyingPoints: 5000, retainPoints: 4000, pointsMultiplier: 1.5 },
  { id: 'p', code: 'PLATINUM', rank: 3, qualifyingPoints: 15000, retainPoints: 12000, pointsMultiplier: 2 },
];

describe('validateLadder', () => {
  it('accepts a rising ladder', () => expect(validateLadder(LADDER)).toBeNull());
  it.each([
    [[...LADDER, { ...LADDER[3], id: 'd', code: 'DIAMOND', rank: 5, qualifyingPoints: 30000 }], 'rank'],
    [[...LADDER, { ...LADDER[3], id: 'd', code: 'DIAMOND', rank: 4, qualifyingPoints: 15000 }], 'qualifyingPoints'],
    [[...LADDER, { ...LADDER[3], id: 'd', code: 'DIAMOND', rank: 4, qualifyingPoints: 30000, retainPoints: 31000 }], 'retainPoints'],
    [[...LADDER, { ...LADDER[3], id: 'd', code: 'DIAMOND', rank: 4, qualifyingPoints: 30000, retainPoints: 100 }], 'retainPoints'],
    [[...LADDER, { ...LADDER[3], id: 'd', code: 'DIAMOND', rank: 4, qualifyingPoints: 30000, pointsMultiplier: 0.9 }], 'pointsMultiplier'],
    [[{ ...LADDER[0], qualifyingPoints: 10 }], 'qualifyingPoints'],
    [[...LADDER, { ...LADDER[3], id: 'd', rank: 4, qualifyingPoints: 30000 }], 'code'],
  ])('names the field of a bad ladder (%#)', (ladder, field) => expect(validateLadder(ladder as TierRung[])?.field).toBe(field));
});

describe('evaluateUpgrade', () => {
  it('moves to the highest reachable tier, skipping', () => expect(evaluateUpgrade(LADDER, 0, 5000)?.code).toBe('GOLD'));
  it('never moves down or sideways', () => {
    expect(evaluateUpgrade(LADDER, 2, 1200)).toBeNull();
    expect(evaluateUpgrade(LADDER, 2, 5000)).toBeNull();
  });
  it('needs the threshold exactly', () => {
    expect(evaluateUpgrade(LADDER, 0, 999)).toBeNull();
    expect(evaluateUpgrade(LADDER, 0, 1000)?.code).toBe('SILVER');
  });
});

describe('reviewDecision', () => {
  it('renews at exactly retainPoints', () => expect(reviewDecision(LADDER, 2, 4000, 'DROP_ONE')).toEqual({ kind: 'RENEWAL', toRank: 2 }));
  it('DROP_ONE goes one rank down however low Q is', () => expect(reviewDecision(LADDER, 3, 0, 'DROP_ONE')).toEqual({ kind: 'DOWNGRADE', toRank: 2 }));
  it('RECALCULATE goes to the highest tier whose retainPoints Q supports', () => {
    expect(reviewDecision(LADDER, 3, 900, 'RECALCULATE')).toEqual({ kind: 'DOWNGRADE', toRank: 1 });
    expect(reviewDecision(LADDER, 3, 10, 'RECALCULATE')).toEqual({ kind: 'DOWNGRADE', toRank: 0 });
  });
  it('never reviews the entry tier', () => expect(() => reviewDecision(LADDER, 0, 0, 'DROP_ONE')).toThrow());
  it('property: never lands above the current rank, nor below what RECALCULATE supports', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 20000 }), fc.constantFrom('DROP_ONE' as const, 'RECALCULATE' as const), (rank, q, policy) => {
      const d = reviewDecision(LADDER, rank, q, policy);
      expect(d.toRank).toBeLessThanOrEqual(rank);
      if (d.kind === 'DOWNGRADE') expect(LADDER[rank].retainPoints).toBeGreaterThan(q);
      if (policy === 'RECALCULATE' && d.kind === 'DOWNGRADE') expect(LADDER[d.toRank].retainPoints).toBeLessThanOrEqual(q);
    }));
  });
});
