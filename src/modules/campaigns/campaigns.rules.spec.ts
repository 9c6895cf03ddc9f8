import { createHash, randomUUID } from 'node:crypto';
import { controlArm, multiplierExtra } from './campaigns.rules';

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
