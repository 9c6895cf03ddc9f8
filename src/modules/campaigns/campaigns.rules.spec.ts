import { createHash, randomUUID } from 'node:crypto';
import { AppError } from '../../common/errors';
import {
  campaignIdOf, campaignValues, changedFields, controlArm, lifecycleStep, multiplierExtra, multiplierText, normalizedAudience, type CampaignDefinition,
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
