import { localMonths, referralsPerReferrer, statsPeriod } from './referral-stats.rules';

describe('statsPeriod', () => {
  it('takes a period whose end is after its start', () => {
    const p = statsPeriod(new Date('2026-01-01T00:00:00Z'), new Date('2026-01-01T00:00:00.001Z'));
    expect(p.to.toISOString()).toBe('2026-01-01T00:00:00.001Z');
  });
  it('refuses an empty or backwards period on `to`', () => {
    for (const [from, to] of [['2026-02-01', '2026-02-01'], ['2026-02-01', '2026-01-01']]) {
      expect(() => statsPeriod(new Date(from), new Date(to))).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', details: { field: 'to' } }));
    }
  });
});

describe('referralsPerReferrer', () => {
  it('is completed / referrers, null without referrers', () => {
    expect(referralsPerReferrer(7, 2)).toBe(3.5);
    expect(referralsPerReferrer(0, 0)).toBeNull();
  });
});

describe('localMonths', () => {
  it('twelve Shanghai months ending with the current one, oldest first, back to back', () => {
    // 2026-03-31T17:00Z is already 1 April in Shanghai.
    const months = localMonths(new Date('2026-03-31T17:00:00Z'), 'Asia/Shanghai', 12);
    expect(months).toHaveLength(12);
    expect(months[11].from.toISOString()).toBe('2026-03-31T16:00:00.000Z');
    expect(months[11].to.toISOString()).toBe('2026-04-30T16:00:00.000Z');
    expect(months[0].from.toISOString()).toBe('2025-04-30T16:00:00.000Z');
    for (let i = 1; i < 12; i++) expect(months[i].from).toEqual(months[i - 1].to);
  });
  it('a DST zone: months start at local midnight whatever the offset', () => {
    const months = localMonths(new Date('2026-04-15T12:00:00Z'), 'Europe/London', 2);
    expect(months.map((m) => m.from.toISOString())).toEqual(['2026-03-01T00:00:00.000Z', '2026-03-31T23:00:00.000Z']);
  });
  it('refuses 0 or more than 120 months', () => {
    expect(() => localMonths(new Date(), 'UTC', 0)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
    expect(() => localMonths(new Date(), 'UTC', 121)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
  });
});
