import fc from 'fast-check';
import {
  evaluateUpgrade, horizonOf, placeAtRank, overridesIn, rankHeldAt, reviewDecision, stateBefore, tierProgressOf, tierTimeline, upgradeSteps, validateLadder,
  type QualifyingFact, type RecordedChange, type TierBefore, type TierRung,
} from './tiers.rules';

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
  ])('names the field of a bad ladder (%#)', (ladder, field) => expect(validateLadder(ladder)?.field).toBe(field));
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

describe('tierTimeline', () => {
  const d = (iso: string) => new Date(`${iso}T00:00:00.000Z`);
  const rules = { windowMonths: 12, validityMonths: 12, policy: 'DROP_ONE' as const };
  const bought = (at: string, points: number): QualifyingFact => ({ occurredAt: d(at), countsFrom: d(at), points });
  const start = { rank: 0, since: d('2024-01-01'), expiresAt: null };
  const run = (facts: QualifyingFact[], horizon: string, from = '2024-01-01') =>
    tierTimeline({ ladder: LADDER, rules, start, from: d(from), facts, overrides: [], horizon: d(horizon) });
  const shape = (r: ReturnType<typeof run>) => r.changes.map((c) => [c.kind, c.toRank, c.qualifyingPoints, c.occurredAt.toISOString().slice(0, 10)]);

  it('one upgrade per instant over all of its points (two purchases at T: GOLD, not SILVER then GOLD)', () => {
    expect(shape(run([bought('2025-03-01', 1000), bought('2025-03-01', 4000)], '2025-03-01'))).toEqual([['UPGRADE', 2, 5000, '2025-03-01']]);
  });

  it('reviews due at an instant come before its upgrade check, and reviews stop at the horizon', () => {
    const r = run([bought('2024-01-10', 5000), bought('2025-02-01', 5000)], '2025-02-01');
    expect(shape(r)).toEqual([['UPGRADE', 2, 5000, '2024-01-10'], ['DOWNGRADE', 1, 0, '2025-01-10'], ['UPGRADE', 2, 5000, '2025-02-01']]);
    expect(rankHeldAt(start, r.changes, d('2025-02-01'))).toBe(1); // the purchase at the upgrade's instant earns at SILVER
    expect(shape(run([bought('2024-01-10', 5000)], '2025-01-09'))).toEqual([['UPGRADE', 2, 5000, '2024-01-10']]);
  });

  it('a refund counts from its own instant, in the window of its purchase', () => {
    const refund = { occurredAt: d('2024-06-01'), countsFrom: d('2024-07-01'), points: -1000 };
    // Before the refund, the upgrade at 2024-06-15 saw the 1000; after it, the one at 2024-08-01 does not.
    expect(shape(run([bought('2024-06-01', 1000), refund, bought('2024-06-15', 100), bought('2024-08-01', 100)], '2024-08-01')))
      .toEqual([['UPGRADE', 1, 1000, '2024-06-01']]);
    expect(shape(run([bought('2024-06-01', 900), refund, bought('2024-08-01', 1500)], '2024-08-01')))
      .toEqual([['UPGRADE', 1, 1400, '2024-08-01']]);
  });

  it('an override to the tier held is a renewal and keeps tierSince; to another tier it starts it', () => {
    const keep = { at: d('2024-09-01'), toRank: 2, expiresAt: d('2026-01-01'), reason: 'override: extend' };
    const r = tierTimeline({ ladder: LADDER, rules, start, from: d('2024-01-01'), facts: [bought('2024-03-01', 5000)], overrides: [keep], horizon: d('2024-09-01') });
    expect(shape(r)).toEqual([['UPGRADE', 2, 5000, '2024-03-01'], ['RENEWAL', 2, 5000, '2024-09-01']]);
    expect(r.state).toEqual({ rank: 2, since: d('2024-03-01'), expiresAt: d('2026-01-01') });
    const up = tierTimeline({ ladder: LADDER, rules, start, from: d('2024-01-01'), facts: [bought('2024-03-01', 5000)], overrides: [{ ...keep, toRank: 3 }], horizon: d('2024-09-01') });
    expect(up.state).toEqual({ rank: 3, since: d('2024-09-01'), expiresAt: d('2026-01-01') });
  });

  it('is the same whatever order the facts are listed in', () => {
    fc.assert(fc.property(fc.array(fc.record({ day: fc.integer({ min: 0, max: 900 }), points: fc.integer({ min: 1, max: 6000 }) }), { maxLength: 8 }),
      fc.integer({ min: 0, max: 1000 }), (list, horizon) => {
        const facts = list.map((f) => bought(new Date(d('2024-01-01').getTime() + f.day * 86_400_000).toISOString().slice(0, 10), f.points));
        const h = new Date(d('2024-01-01').getTime() + horizon * 86_400_000).toISOString().slice(0, 10);
        expect(shape(run([...facts].reverse(), h))).toEqual(shape(run(facts, h)));
      }));
  });
});
describe('tierProgressOf', () => {
  const [bronze, silver, gold, platinum] = LADDER;
  it('counts what the next rung still takes, never below 0', () => {
    expect(tierProgressOf(silver, gold, { qNow: 1200, qKept: 900, hasExpiry: true }))
      .toEqual({ qualifyingPoints: 1200, nextTierId: 'g', pointsToNextTier: 3800, pointsToRetain: 0 });
    expect(tierProgressOf(silver, gold, { qNow: 7000, qKept: 0, hasExpiry: true }).pointsToNextTier).toBe(0);
  });
  it('has no next tier at the top, and nothing to retain on the entry tier or without an expiry', () => {
    expect(tierProgressOf(platinum, null, { qNow: 100, qKept: 100, hasExpiry: true }))
      .toEqual({ qualifyingPoints: 100, nextTierId: null, pointsToNextTier: null, pointsToRetain: 11900 });
    expect(tierProgressOf(bronze, silver, { qNow: 10, qKept: 10, hasExpiry: true }).pointsToRetain).toBe(0);
    expect(tierProgressOf(gold, platinum, { qNow: 10, qKept: 10, hasExpiry: false }).pointsToRetain).toBe(0);
  });
  it('reads negative counts (refunds past the window) as 0', () => {
    expect(tierProgressOf(gold, platinum, { qNow: -50, qKept: -50, hasExpiry: true }))
      .toEqual({ qualifyingPoints: 0, nextTierId: 'p', pointsToNextTier: 15000, pointsToRetain: 4000 });
  });
});

describe('upgradeSteps', () => {
  it('gives what evaluateUpgrade gives, for every tier and window sum', () => {
    fc.assert(fc.property(
      fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 6 }),
      fc.integer({ min: -5, max: 60 }),
      (points, q) => {
        // ranks in order, thresholds in any order (evaluateUpgrade does not assume them rising)
        const ladder = points.map((p, rank) => ({ id: `t${rank}`, rank, qualifyingPoints: rank === 0 ? 0 : p }));
        const steps = upgradeSteps(ladder);
        for (const from of ladder) {
          const reached = steps.filter((s) => s.from === from.id && s.at <= q).sort((a, b) => b.at - a.at)[0];
          expect(reached?.to ?? null).toBe(evaluateUpgrade(ladder, from.rank, q)?.id ?? null);
        }
      },
    ));
  });
});

describe('a rebuild\'s starting point (stateBefore, overridesIn, horizonOf)', () => {
  const d = (iso: string) => new Date(`${iso}T00:00:00Z`);
  const member: TierBefore = {
    tierId: 'g', since: d('2026-05-01'), expiresAt: d('2027-05-01'), joinedAt: d('2025-01-01'),
    prevTierId: null, prevExpiresAt: null, prevSince: null, horizon: d('2026-06-01'),
  };
  const change = (o: Partial<RecordedChange>): RecordedChange => ({
    fromTierId: 'b', toTierId: 's', reason: 'qualifying points reached', occurredAt: d('2026-03-01'), expiresAt: d('2027-03-01'), ...o,
  });

  it('starts from the last change before `from` when there is one', () => {
    const m = { ...member, prevTierId: 's', prevSince: d('2026-02-01'), prevExpiresAt: d('2027-02-01') };
    expect(stateBefore(LADDER, m, [change({})])).toEqual({ rank: 1, since: d('2026-02-01'), expiresAt: d('2027-02-01') });
    expect(stateBefore(LADDER, { ...m, prevSince: null }, [])).toEqual({ rank: 1, since: member.joinedAt, expiresAt: d('2027-02-01') });
  });

  it('else from the tier the first later change started from (rank 0 when it had none), since joining, unexpiring', () => {
    expect(stateBefore(LADDER, member, [change({ fromTierId: 's', toTierId: 'g' })])).toEqual({ rank: 1, since: member.joinedAt, expiresAt: null });
    expect(stateBefore(LADDER, member, [change({ fromTierId: null })])).toEqual({ rank: 0, since: member.joinedAt, expiresAt: null });
  });

  it('else from the member row (no history at all)', () => {
    expect(stateBefore(LADDER, member, [])).toEqual({ rank: 2, since: member.since, expiresAt: member.expiresAt });
  });

  it('keeps the overrides and imported opening tiers among the recorded changes, at their instants', () => {
    const old = [
      change({}),
      change({ toTierId: 'p', reason: 'override: VIP', occurredAt: d('2026-04-01'), expiresAt: d('2026-10-01') }),
      change({ fromTierId: null, toTierId: 'g', reason: 'import', occurredAt: d('2025-01-01'), expiresAt: null }),
    ];
    expect(overridesIn(LADDER, old)).toEqual([
      { at: d('2026-04-01'), toRank: 3, expiresAt: d('2026-10-01'), reason: 'override: VIP' },
      { at: d('2025-01-01'), toRank: 2, expiresAt: null, reason: 'import' },
    ]);
  });

  it('records reviews up to the member\'s horizon, and never short of a change already recorded', () => {
    expect(horizonOf(member, [change({})])).toEqual(d('2026-06-01'));
    expect(horizonOf(member, [change({ occurredAt: d('2026-09-01') })])).toEqual(d('2026-09-01'));
    expect(horizonOf(member, [])).toEqual(d('2026-06-01'));
  });
});

describe('placeAtRank', () => {
  const ladder = [{ code: 'B', rank: 0 }, { code: 'S', rank: 1 }, { code: 'G', rank: 2 }];
  const ranks = (code: string, rank: number) => Object.fromEntries(placeAtRank(ladder, code, rank));
  it('puts a new tier between two: those from its rank on move up one', () => {
    expect(ranks('N', 1)).toEqual({ B: 0, N: 1, S: 2, G: 3 });
    expect(ranks('N', 3)).toEqual({ B: 0, S: 1, G: 2, N: 3 });
    expect(ranks('N', 0)).toEqual({ N: 0, B: 1, S: 2, G: 3 });
  });
  it('moves a tier to another rank, those it passes moving by one; the same rank moves nobody', () => {
    expect(ranks('G', 0)).toEqual({ G: 0, B: 1, S: 2 });
    expect(ranks('B', 2)).toEqual({ S: 0, G: 1, B: 2 });
    expect(ranks('S', 1)).toEqual({ B: 0, S: 1, G: 2 });
  });
  it('moves nobody for a rank outside the ladder (validateLadder refuses it)', () => {
    expect(ranks('N', 5)).toEqual({ B: 0, S: 1, G: 2, N: 5 });
    expect(ranks('N', -1)).toEqual({ B: 0, S: 1, G: 2, N: -1 });
    expect(ranks('G', 3)).toEqual({ B: 0, S: 1, G: 3 });
  });
});
