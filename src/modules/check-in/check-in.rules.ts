import { dayNumber, dayOfNumber } from '../../common/local-time.rules';

/**
 * Daily check-in (issue 25): pure rules, no clock. Days are programme-local 'YYYY-MM-DD'
 * strings (local-time.rules.ts); consecutive local days differ by one day number whatever DST
 * did to the instants between them.
 */

/** The local day before `day`. */
export function previousDay(day: string): string {
  return dayOfNumber(dayNumber(day) - 1);
}

/**
 * The streak a check-in on `day` reaches: one more than the check-in of the day before, or 1
 * when the member did not check in that day (a missed day starts again).
 */
export function streakOn(day: string, last: { day: string; streak: number } | null): number {
  return last && dayNumber(last.day) === dayNumber(day) - 1 ? last.streak + 1 : 1;
}

/** The points of a check-in on streak day `streak` (1 = the first): by position, the last value repeating; 0 when check-in is off ([]). */
export function checkInPointsFor(streak: number, checkInPoints: readonly number[]): number {
  if (!checkInPoints.length) return 0;
  if (!Number.isInteger(streak) || streak < 1) throw new RangeError(`not a streak day: ${streak}`);
  return checkInPoints[Math.min(streak, checkInPoints.length) - 1];
}

/**
 * What a member's check-in state reads on `today`, from its latest check-in on or before today:
 * the streak still alive (today's, or yesterday's when today's is not done yet; 0 after a
 * missed day) and whether today's is done.
 */
export function streakState(today: string, latest: { day: string; streak: number } | null): { streak: number; checkedInToday: boolean } {
  if (!latest) return { streak: 0, checkedInToday: false };
  const gap = dayNumber(today) - dayNumber(latest.day);
  if (gap === 0) return { streak: latest.streak, checkedInToday: true };
  if (gap === 1) return { streak: latest.streak, checkedInToday: false };
  return { streak: 0, checkedInToday: false };
}
