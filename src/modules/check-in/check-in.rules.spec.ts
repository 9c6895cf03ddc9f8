import { checkInPointsFor, countsForToday, previousDay, streakOn, streakState } from './check-in.rules';

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

  // Days in UTC here: each starts at its UTC midnight; a check-in made at noon of its day.
  const starts = (day: string) => new Date(`${day}T00:00:00.000Z`);
  const made = (day: string, streak: number, at = `${day}T12:00:00.000Z`) => ({ day, streak, checkedInAt: new Date(at) });

  it('the streak read on a day: today\'s, yesterday\'s while today is not done, 0 after a missed day', () => {
    expect(streakState('2026-12-08', starts('2026-12-08'), null)).toEqual({ streak: 0, checkedInToday: false });
    expect(streakState('2026-12-08', starts('2026-12-08'), made('2026-12-08', 3))).toEqual({ streak: 3, checkedInToday: true });
    expect(streakState('2026-12-08', starts('2026-12-08'), made('2026-12-07', 3))).toEqual({ streak: 3, checkedInToday: false });
    expect(streakState('2026-12-08', starts('2026-12-08'), made('2026-12-06', 3))).toEqual({ streak: 0, checkedInToday: false });
  });

  it('a check-in counts for today by its date or by its instant: after the zone moved, no second one within the local day', () => {
    const today = '2026-12-04';
    expect(countsForToday(today, starts(today), null)).toBe(false);
    expect(countsForToday(today, starts(today), made(today, 1))).toBe(true);
    // Moved west: the check-in was counted on tomorrow's date (the old zone's).
    expect(countsForToday(today, starts(today), made('2026-12-05', 1, '2026-12-04T19:50:00.000Z'))).toBe(true);
    // Moved east: counted on yesterday's date, made after today began.
    expect(countsForToday(today, starts(today), made('2026-12-03', 1, '2026-12-04T00:30:00.000Z'))).toBe(true);
    // Yesterday's, made yesterday: today's is still to do.
    expect(countsForToday(today, starts(today), made('2026-12-03', 1, '2026-12-03T23:59:59.999Z'))).toBe(false);
    expect(streakState(today, starts(today), made('2026-12-05', 4, '2026-12-04T19:50:00.000Z'))).toEqual({ streak: 4, checkedInToday: true });
    // Moved east the day before: yesterday's check-in dated the day before it keeps the streak alive, and goes on.
    const east = made('2026-12-02', 4, '2026-12-03T01:00:00.000Z');
    expect(streakState(today, starts(today), east, starts('2026-12-03'))).toEqual({ streak: 4, checkedInToday: false });
    expect(streakState(today, starts(today), east)).toEqual({ streak: 0, checkedInToday: false });
    expect(streakOn(today, east, starts('2026-12-03'))).toBe(5);
    expect(streakOn(today, made('2026-12-02', 4, '2026-12-02T23:00:00.000Z'), starts('2026-12-03'))).toBe(1);
  });
});
