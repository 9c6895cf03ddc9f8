import { localDate, startOfLocalDay } from '../../../../src/common/local-time.rules';

/**
 * The dashboard's date range: whole months, `YYYY-MM` (an <input type="month">'s value), in the
 * programme's time zone as the server's monthly series are. The request's `from` is the first
 * instant of the first month; its `to` the last instant of the last month (the series' `to` is
 * exclusive for flows and transitions, and growth's months run up to the month `to` falls in).
 */
export interface MonthRange {
  from: string;
  to: string;
}

const MONTH = /^(\d{4})-(\d{2})$/;

export function isMonth(value: string | null | undefined): value is string {
  const m = value ? MONTH.exec(value) : null;
  return Boolean(m && Number(m[2]) >= 1 && Number(m[2]) <= 12);
}

export function monthOf(date: Date): string {
  return `${date.getUTCFullYear()}-${String(date.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** `YYYY-MM` plus n months (n may be negative). */
export function addMonths(month: string, n: number): string {
  const [y, m] = month.split('-').map(Number);
  return monthOf(new Date(Date.UTC(y, m - 1 + n, 1)));
}

/** The last 12 months in `timeZone`, this one included. */
export function defaultRange(timeZone: string, now = new Date()): MonthRange {
  const to = localDate(now, timeZone).slice(0, 7);
  return { from: addMonths(to, -11), to };
}

/** The earliest instant the API takes (1970-01-01 UTC), and the month it falls in. */
const EPOCH = 0;
const EPOCH_MONTH = '1970-01';

/**
 * The range as the series' variables: its months' bounds in `timeZone` (the programme's). January
 * 1970 begins before the epoch east of UTC (in Shanghai at 1969-12-31T16:00Z), which the API
 * refuses: its `from` is then the epoch, the earliest instant there is anything to count. (An
 * earlier month is sent as it is, for the server to refuse in its own words.)
 */
export function rangeVariables(range: MonthRange, timeZone: string): { from: string; to: string } {
  return {
    from: new Date(range.from >= EPOCH_MONTH ? Math.max(EPOCH, startOfLocalDay(`${range.from}-01`, timeZone).getTime()) : startOfLocalDay(`${range.from}-01`, timeZone).getTime()).toISOString(),
    to: new Date(startOfLocalDay(`${addMonths(range.to, 1)}-01`, timeZone).getTime() - 1).toISOString(),
  };
}

/** Every month of the range, in order (the charts' x axis: a month without rows still shows). */
export function monthsOf(range: MonthRange): string[] {
  const months: string[] = [];
  for (let m = range.from; m <= range.to && months.length < 1200; m = addMonths(m, 1)) months.push(m);
  return months;
}
