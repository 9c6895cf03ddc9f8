/** UTC calendar arithmetic: pure functions, no clock. */
const DAY_MS = 86_400_000;

/** Calendar months in UTC, clamped to the month's end (Jan 31 + 1 month = Feb 28/29), time of day kept. */
export function addMonthsUtc(d: Date, months: number): Date {
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() + months;
  const targetYear = y + Math.floor(m / 12);
  const targetMonth = ((m % 12) + 12) % 12;
  const lastDay = new Date(Date.UTC(targetYear, targetMonth + 1, 0)).getUTCDate();
  const day = Math.min(d.getUTCDate(), lastDay);
  return new Date(Date.UTC(targetYear, targetMonth, day, d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()));
}

export function addDaysUtc(d: Date, days: number): Date {
  return new Date(d.getTime() + days * DAY_MS);
}

/** Whole UTC days since the epoch. */
export function utcDayNumber(d: Date): number {
  return Math.floor(d.getTime() / DAY_MS);
}

export function daysBetweenUtc(a: Date, b: Date): number {
  return utcDayNumber(b) - utcDayNumber(a);
}
