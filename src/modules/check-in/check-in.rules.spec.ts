import { checkInPointsFor, previousDay, streakOn, streakState } from './check-in.rules';

describe('check-in rules', () => {
  it('previousDay crosses months, years and leap days', () => {
    expect(previousDay('2026-03-01')).toBe('2026-02-28');
    expect(previousDay('2024-03-01')).toBe('2024-02-29');
    expect(previousDay('2027-01-01')).toBe('2026-12-31');
  });

  it('a check-in the day after the last grows the streak; a missed day starts again at 1', () => {
    expect(streakOn('2026-12-08', null)).toBe(1);
    expect(streakOn('2026-12-08', { day: '2026-12-07', streak: 4 })).toBe(5);
    expect(streakOn('2026-12-08', { day: '2026-12-06', streak: 4 })).toBe(1);
    expect(streakOn('2027-01-01', { day: '2026-12-31', streak: 9 })).toBe(10);
    // Days, not instants: the day after a DST change is still the next day.
    expect(streakOn('2026-03-09', { day: '2026-03-08', streak: 2 })).toBe(3);
  });

  it('points by streak day, the last value repeating; [] gives nothing', () => {
    const table = [5, 5, 10, 10, 15, 15, 30];
    expect([1, 2, 3, 4, 5, 6, 7, 8, 30].map((s) => checkInPointsFor(s, table))).toEqual([5, 5, 10, 10, 15, 15, 30, 30, 30]);
    expect(checkInPointsFor(1, [7])).toBe(7);
    expect(checkInPointsFor(12, [0, 3])).toBe(3);
    expect(checkInPointsFor(3, [])).toBe(0);
    expect(() => checkInPointsFor(0, table)).toThrow(RangeError);
  });

  it('the streak read on a day: today\'s, yesterday\'s while today is not done, 0 after a missed day', () => {
    expect(streakState('2026-12-08', null)).toEqual({ streak: 0, checkedInToday: false });
    expect(streakState('2026-12-08', { day: '2026-12-08', streak: 3 })).toEqual({ streak: 3, checkedInToday: true });
    expect(streakState('2026-12-08', { day: '2026-12-07', streak: 3 })).toEqual({ streak: 3, checkedInToday: false });
    expect(streakState('2026-12-08', { day: '2026-12-06', streak: 3 })).toEqual({ streak: 0, checkedInToday: false });
  });
});
