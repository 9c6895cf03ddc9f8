import { createHash, randomUUID } from 'node:crypto';
import { AppError } from '../../common/errors';
import {
  awardReversal, campaignIdOf, campaignValues, changedFields, controlArm, givesAt, inWindowAt, lifecycleStep, matchingCampaigns, multiplierExtra, multiplierText,
  normalizedAudience,
  type CampaignDefinition, type EffectCampaign,
} from './campaigns.rules';

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
  it('is md5(\'campaign:\' || code) written as a uuid (test/e2e/campaigns-api.test.ts compares it with SQL)', () => {
    const hex = createHash('md5').update('campaign:spring').digest('hex');
    expect(campaignIdOf('spring').replace(/-/g, '')).toBe(hex);
    expect(campaignIdOf('spring')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(campaignIdOf('spring')).not.toBe(campaignIdOf('Spring'));
  });
});

describe('lifecycleStep', () => {
  it('has DRAFT → ACTIVE → PAUSED ↔ ACTIVE → ENDED, DRAFT/PAUSED → ENDED, repeats as no-ops and nothing else', () => {
    const table = (['DRAFT', 'ACTIVE', 'PAUSED', 'ENDED'] as const).map((from) =>
      [from, ...(['activate', 'pause', 'end'] as const).map((a) => { const s = lifecycleStep(from, a); return s === null ? '-' : s.noop ? '=' : s.to; })]);
    expect(table).toEqual([
      ['DRAFT', 'ACTIVE', '-', 'ENDED'],
      ['ACTIVE', '=', 'PAUSED', 'ENDED'],
      ['PAUSED', 'ACTIVE', '=', 'ENDED'],
      ['ENDED', '-', '-', '='],
    ]);
  });
});

describe('campaignValues', () => {
  const def = (extra: Partial<CampaignDefinition> = {}): CampaignDefinition =>
    ({ code: 'c', name: ' Spring ', trigger: 'PURCHASE', startsAt: new Date('2026-01-01T00:00:00Z'), bonusPoints: 10, ...extra });
  const field = (d: CampaignDefinition) => {
    try {
      campaignValues(d);
      return null;
    } catch (err) {
      return err instanceof AppError ? err.details.field : err;
    }
  };

  it('stores money in cents, the multiplier as exact decimal text, instants as ISO text, controlPercent 10 by default', () => {
    expect(campaignValues(def({ minAmount: 19.99, multiplier: 1.25, endsAt: new Date('2026-02-01T00:00:00Z') }))).toEqual({
      name: 'Spring', trigger: 'PURCHASE', startsAt: '2026-01-01T00:00:00.000Z', endsAt: '2026-02-01T00:00:00.000Z', audience: null,
      activityKind: null, minAmountCents: 1999, bonusPoints: 10, multiplier: '1.25', rewardCode: null, perMemberLimit: null, budgetPoints: null,
      controlPercent: 10,
    });
    expect(campaignValues(def({ multiplier: 3 })).multiplier).toBe('3');
    expect(campaignValues(def({ multiplier: 1.0001 })).multiplier).toBe('1.0001');
  });

  it('refuses each rule\'s violation naming its field', () => {
    expect(field(def({ trigger: 'ACTIVITY' }))).toBe('activityKind');
    expect(field(def({ trigger: 'ACTIVITY', activityKind: 'review' }))).toBeNull();
    expect(field(def({ activityKind: 'review' }))).toBe('activityKind');
    expect(field(def({ trigger: 'REGISTRATION', minAmount: 5 }))).toBe('minAmount');
    expect(field(def({ trigger: 'TIER_UPGRADE', multiplier: 2 }))).toBe('multiplier');
    expect(field(def({ trigger: 'REFERRAL', multiplier: 2 }))).toBeNull();
    expect(field(def({ trigger: 'REFERRAL', activityKind: 'review' }))).toBe('activityKind');
    expect(field(def({ trigger: 'REFERRAL', minAmount: 5 }))).toBe('minAmount');
    expect(field(def({ bonusPoints: null }))).toBe('bonusPoints');
    expect(field(def({ bonusPoints: null, rewardCode: 'gift' }))).toBeNull();
    expect(field(def({ multiplier: 1 }))).toBe('multiplier');
    expect(field(def({ multiplier: 100.0001 }))).toBe('multiplier');
    expect(field(def({ multiplier: 1.23456 }))).toBe('multiplier');
    expect(field(def({ minAmount: 0.1 + 0.2 }))).toBe('minAmount');
    expect(field(def({ endsAt: new Date('2026-01-01T00:00:00Z') }))).toBe('endsAt');
    expect(field(def({ controlPercent: 50 }))).toBeNull();
    expect(field(def({ controlPercent: 51 }))).toBe('controlPercent');
    expect(field(def({ controlPercent: 2.5 }))).toBe('controlPercent');
    expect(field(def({ perMemberLimit: 0 }))).toBe('perMemberLimit');
    expect(field(def({ budgetPoints: -5 }))).toBe('budgetPoints');
    expect(field(def({ bonusPoints: 2 ** 31 }))).toBe('bonusPoints');
    expect(field(def({ code: 'a b' }))).toBe('code');
    expect(field(def({ name: '   ' }))).toBe('name');
  });
});

describe('normalizedAudience and changedFields', () => {
  it('drops empty conditions, writes dates as ISO text, sorts keys; no condition left is null (every member)', () => {
    expect(normalizedAudience({ tierCodes: ['GOLD'], regions: [], minBalance: null, joinedFrom: new Date('2026-01-01T00:00:00Z') }))
      .toEqual({ joinedFrom: '2026-01-01T00:00:00.000Z', tierCodes: ['GOLD'] });
    expect(normalizedAudience({ regions: [], stages: null })).toBeNull();
    expect(normalizedAudience(null)).toBeNull();
  });

  it('names the fields whose values differ', () => {
    expect(changedFields({ a: 1, b: ['x'], c: null }, { a: 1, b: ['y'], c: 2 })).toEqual(['b', 'c']);
    expect(multiplierText(15000n)).toBe('1.5');
  });
});

describe('matchingCampaigns', () => {
  const base: EffectCampaign = {
    id: 'x', code: 'X', trigger: 'PURCHASE', startsAt: new Date('2026-01-01T00:00:00Z'), endsAt: new Date('2026-02-01T00:00:00Z'),
    endedAt: null, paused: [], activityKind: null, minAmountCents: null, bonusPoints: 10, multiplier: null, rewardCode: null,
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
  it('judges a campaign at the event\'s instant: ended or paused now, it gives to an event dated while it gave; running now, not to one dated in a pause', () => {
    const d = (s: string) => new Date(`2026-01-${s}Z`);
    const list: EffectCampaign[] = [
      { ...base, code: 'ENDED_BY_ADMIN', endedAt: d('20T00:00:00') },
      { ...base, code: 'PAUSED_NOW', paused: [[d('20T00:00:00'), null]] },
      { ...base, code: 'RESUMED', paused: [[d('10T00:00:00'), d('12T00:00:00')]] },
    ];
    const codes = (at: Date) => matchingCampaigns(list, { trigger: 'PURCHASE', at, amountCents: 100, basePoints: 1 }).map((g) => g.campaign.code).sort();
    expect(codes(d('09T23:59:59.999'))).toEqual(['ENDED_BY_ADMIN', 'PAUSED_NOW', 'RESUMED']);
    expect(codes(d('10T00:00:00'))).toEqual(['ENDED_BY_ADMIN', 'PAUSED_NOW']); // inside the pause [10th, 12th)
    expect(codes(d('11T23:59:59.999'))).toEqual(['ENDED_BY_ADMIN', 'PAUSED_NOW']);
    expect(codes(d('12T00:00:00'))).toEqual(['ENDED_BY_ADMIN', 'PAUSED_NOW', 'RESUMED']);
    expect(codes(d('19T23:59:59.999'))).toEqual(['ENDED_BY_ADMIN', 'PAUSED_NOW', 'RESUMED']);
    expect(codes(d('20T00:00:00'))).toEqual(['RESUMED']); // the end and the open pause both from the 20th
  });
  it('an ACTIVITY campaign matches its kind (any kind when it names none)', () => {
    const list: EffectCampaign[] = [{ ...base, trigger: 'ACTIVITY', code: 'K', activityKind: 'REVIEW' }, { ...base, trigger: 'ACTIVITY', code: 'ANY' }];
    expect(matchingCampaigns(list, { trigger: 'ACTIVITY', at, activityKind: 'SHARE' }).map((g) => g.campaign.code)).toEqual(['ANY']);
    expect(matchingCampaigns(list, { trigger: 'ACTIVITY', at, activityKind: 'REVIEW' }).map((g) => g.campaign.code)).toEqual(['ANY', 'K']);
  });
  it('a REFERRAL campaign gives its bonus plus the multiplier\'s extra on the referrer\'s referral points', () => {
    const list: EffectCampaign[] = [
      { ...base, trigger: 'REFERRAL', code: 'DOUBLE', bonusPoints: null, multiplier: '2' },
      { ...base, trigger: 'REFERRAL', code: 'EXTRA', bonusPoints: 30 },
      { ...base, code: 'BUY' },
    ];
    expect(matchingCampaigns(list, { trigger: 'REFERRAL', at, basePoints: 200 }).map((g) => [g.campaign.code, g.points])).toEqual([['DOUBLE', 200], ['EXTRA', 30]]);
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

describe('givesAt', () => {
  const startsAt = new Date('2026-03-01T00:00:00Z');
  const endsAt = new Date('2026-04-01T00:00:00Z');
  const t = (day: number, ms = 0) => new Date(Date.UTC(2026, 2, day) + ms);
  it('the window, before the end, outside every pause; the same answer whenever it is asked', () => {
    const c = { startsAt, endsAt, endedAt: t(25), paused: [[t(5), t(7)], [t(20), null]] as const };
    expect(givesAt(c, t(1))).toBe(true);
    expect(givesAt(c, t(5, -1))).toBe(true);
    expect(givesAt(c, t(5))).toBe(false);
    expect(givesAt(c, t(7))).toBe(true);
    expect(givesAt(c, t(20, -1))).toBe(true);
    expect(givesAt(c, t(21))).toBe(false);
    expect(givesAt({ ...c, paused: [] }, t(25, -1))).toBe(true);
    expect(givesAt({ ...c, paused: [] }, t(25))).toBe(false);
    expect(givesAt({ ...c, paused: [], endedAt: null }, new Date(startsAt.getTime() - 1))).toBe(false);
    expect(givesAt({ ...c, paused: [], endedAt: null }, endsAt)).toBe(false);
  });
});

describe('inWindowAt', () => {
  const startsAt = new Date('2026-03-01T00:00:00Z');
  const endsAt = new Date('2026-04-01T00:00:00Z');
  it('from startsAt inclusive to endsAt exclusive', () => {
    expect(inWindowAt({ startsAt, endsAt }, startsAt)).toBe(true);
    expect(inWindowAt({ startsAt, endsAt }, new Date(endsAt.getTime() - 1))).toBe(true);
    expect(inWindowAt({ startsAt, endsAt }, endsAt)).toBe(false);
    expect(inWindowAt({ startsAt, endsAt }, new Date(startsAt.getTime() - 1))).toBe(false);
  });
  it('without an end, from startsAt on', () => {
    expect(inWindowAt({ startsAt, endsAt: null }, new Date('2100-01-01T00:00:00Z'))).toBe(true);
    expect(inWindowAt({ startsAt, endsAt: null }, new Date(startsAt.getTime() - 1))).toBe(false);
  });
});
