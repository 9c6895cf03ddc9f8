import { createHash, randomUUID } from 'node:crypto';
import { awardReversal, campaignIdOf, controlArm, matchingCampaigns, multiplierExtra, type EffectCampaign } from './campaigns.rules';

describe('controlArm', () => {
  it('is deterministic and holds out about controlPercent % of members', () => {
    const campaign = randomUUID();
    const members = Array.from({ length: 20_000 }, () => randomUUID());
    const control = members.filter((m) => controlArm(campaign, m, 10));
    expect(control.length / members.length).toBeGreaterThan(0.09);
    expect(control.length / members.length).toBeLessThan(0.11);
    expect(members.filter((m) => controlArm(campaign, m, 10))).toEqual(control);
    expect(members.some((m) => controlArm(campaign, m, 0))).toBe(false);
  });

  it('reads the digest\'s first 8 hex digits as an unsigned number (test/e2e/campaign-arms.test.ts compares it with SQL)', () => {
    const a = '00000000-0000-0000-0000-000000000001';
    const b = '00000000-0000-0000-0000-000000000002';
    const bucket = parseInt(createHash('md5').update(`${a}:${b}`).digest('hex').slice(0, 8), 16) % 100;
    expect(controlArm(a, b, bucket + 1)).toBe(true);
    expect(controlArm(a, b, bucket)).toBe(false);
  });
});

describe('multiplierExtra', () => {
  it('is floor(base × (multiplier − 1)) in integers', () => {
    expect(multiplierExtra(100, '2')).toBe(100);
    expect(multiplierExtra(101, '1.5')).toBe(50);
    expect(multiplierExtra(3, '1.3333')).toBe(0);
    expect(multiplierExtra(7, '1.0001')).toBe(0);
    expect(multiplierExtra(10_000, '1.0001')).toBe(1);
    expect(multiplierExtra(0, '3')).toBe(0);
  });
});

describe('campaignIdOf', () => {
  it('is md5(\'campaign:\' || code)::uuid', () => {
    const hex = createHash('md5').update('campaign:SPRING').digest('hex');
    expect(campaignIdOf('SPRING').replace(/-/g, '')).toBe(hex);
    expect(campaignIdOf('SPRING')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });
});

describe('matchingCampaigns', () => {
  const base: EffectCampaign = {
    id: 'x', code: 'X', trigger: 'PURCHASE', startsAt: new Date('2026-01-01T00:00:00Z'), endsAt: new Date('2026-02-01T00:00:00Z'),
    activityKind: null, minAmountCents: null, bonusPoints: 10, multiplier: null, rewardCode: null,
  };
  const at = new Date('2026-01-15T00:00:00Z');
  it('keeps the trigger, the window [startsAt, endsAt) and the conditions; orders by (startsAt, code); gives bonus + multiplier extra', () => {
    const list: EffectCampaign[] = [
      { ...base, code: 'B', multiplier: '1.5' },
      { ...base, code: 'A', startsAt: new Date('2026-01-02T00:00:00Z') },
      { ...base, code: 'C', startsAt: new Date('2025-12-01T00:00:00Z'), bonusPoints: null, multiplier: '2' },
      { ...base, code: 'LATE', startsAt: at, endsAt: null },
      { ...base, code: 'ENDED', endsAt: at },
      { ...base, code: 'ACT', trigger: 'ACTIVITY' },
      { ...base, code: 'MIN', minAmountCents: 10_001 },
    ];
    const got = matchingCampaigns(list, { trigger: 'PURCHASE', at, amountCents: 10_000, basePoints: 101 });
    expect(got.map((g) => [g.campaign.code, g.points])).toEqual([['C', 101], ['B', 60], ['A', 10], ['LATE', 10]]);
  });
  it('an ACTIVITY campaign matches its kind (any kind when it names none)', () => {
    const list: EffectCampaign[] = [{ ...base, trigger: 'ACTIVITY', code: 'K', activityKind: 'REVIEW' }, { ...base, trigger: 'ACTIVITY', code: 'ANY' }];
    expect(matchingCampaigns(list, { trigger: 'ACTIVITY', at, activityKind: 'SHARE' }).map((g) => g.campaign.code)).toEqual(['ANY']);
    expect(matchingCampaigns(list, { trigger: 'ACTIVITY', at, activityKind: 'REVIEW' }).map((g) => g.campaign.code)).toEqual(['ANY', 'K']);
  });
});

describe('awardReversal', () => {
  it('is cumulative and floored like the purchase\'s own, so refunds adding up to the whole take back exactly the award', () => {
    expect(awardReversal(99, 20_000, 5_000, 0)).toBe(24);
    expect(awardReversal(99, 20_000, 20_000, 24)).toBe(75);
    let reversed = 0;
    for (let refunded = 0; refunded < 10_000; ) {
      refunded += 333;
      reversed += awardReversal(7, 10_000, Math.min(refunded, 10_000), reversed);
    }
    expect(reversed).toBe(7);
    expect(awardReversal(10, 100, 50, 9)).toBe(0); // never negative
  });
});
