import { addMonthsUtc, daysBetweenUtc, utcDayNumber } from './time.rules';

describe('addMonthsUtc', () => {
  it.each([
    ['2026-01-31T10:00:00.000Z', 1, '2026-02-28T10:00:00.000Z'],
    ['2024-01-31T10:00:00.000Z', 1, '2024-02-29T10:00:00.000Z'],
    ['2024-02-29T00:00:00.000Z', 12, '2025-02-28T00:00:00.000Z'],
    ['2026-03-31T00:00:00.000Z', -1, '2026-02-28T00:00:00.000Z'],
    ['2026-12-15T23:59:59.999Z', 1, '2027-01-15T23:59:59.999Z'],
    ['2026-05-10T00:00:00.000Z', -17, '2024-12-10T00:00:00.000Z'],
  ])('%s + %d months = %s', (from, months, to) => expect(addMonthsUtc(new Date(from), months).toISOString()).toBe(to));
});

describe('UTC days', () => {
  it('counts whole days across a leap day', () => {
    expect(daysBetweenUtc(new Date('2024-02-28T23:00:00Z'), new Date('2024-03-01T01:00:00Z'))).toBe(2);
    expect(utcDayNumber(new Date('1970-01-02T00:00:00Z'))).toBe(1);
  });
});
