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
 * when the member did not check in that day (a missed day starts again). With
 * `yesterdayStarts` (the first instant of the day before, in the zone in force), a check-in made
 * since then counts as the day before's whatever date it was counted on: after the programme's
 * zone moved east, yesterday's check-in may carry the date of the day before it.
 */
export function streakOn(day: string, last: { day: string; streak: number; checkedInAt?: Date } | null, yesterdayStarts?: Date): number {
  return last && isYesterdays(day, last, yesterdayStarts) ? last.streak + 1 : 1;
}

/**
 * Whether `last` (a check-in that does not count for `day`) is the day before's: dated the day
 * before, or, with `yesterdayStarts`, made since the day before began in the zone in force.
 */
function isYesterdays(day: string, last: { day: string; checkedInAt?: Date }, yesterdayStarts?: Date): boolean {
  return dayNumber(last.day) === dayNumber(day) - 1
    || (yesterdayStarts != null && last.checkedInAt != null && last.checkedInAt.getTime() >= yesterdayStarts.getTime());
}

/** The points of a check-in on streak day `streak` (1 = the first): by position, the last value repeating; 0 when check-in is off ([]). */
export function checkInPointsFor(streak: number, checkInPoints: readonly number[]): number {
  if (!checkInPoints.length) return 0;
  if (!Number.isInteger(streak) || streak < 1) throw new RangeError(`not a streak day: ${streak}`);
  return checkInPoints[Math.min(streak, checkInPoints.length) - 1];
}

/**
 * Whether the member's latest check-in already counts for `today` (the programme-local day now,
 * which starts at `todayStarts`): it was counted on today, or, after the programme's zone moved,
 * on a later day (moved west: today's date is before the one the check-in was counted on) or at
 * an instant inside today (moved east: counted on yesterday's date, made today). Once per local
 * day of the zone in force, by instants as well as by dates: a change of zone never pays a
 * second check-in within one local day.
 */
export function countsForToday(today: string, todayStarts: Date, latest: { day: string; checkedInAt: Date } | null): boolean {
  return latest != null && (dayNumber(latest.day) >= dayNumber(today) || latest.checkedInAt.getTime() >= todayStarts.getTime());
}

/**
 * What a member's check-in state reads on `today` (starting at `todayStarts`), from its latest
 * check-in: the streak still alive (today's, or yesterday's when today's is not done yet; 0
 * after a missed day) and whether today's is done (countsForToday). Yesterday's is the day
 * before's by date, or, with `yesterdayStarts`, one made since then (as streakOn reads it).
 */
export function streakState(
  today: string, todayStarts: Date, latest: { day: string; streak: number; checkedInAt: Date } | null, yesterdayStarts?: Date,
): { streak: number; checkedInToday: boolean } {
  if (!latest) return { streak: 0, checkedInToday: false };
  if (countsForToday(today, todayStarts, latest)) return { streak: latest.streak, checkedInToday: true };
  return { streak: isYesterdays(today, latest, yesterdayStarts) ? latest.streak : 0, checkedInToday: false };
}
