/**
 * Calendar-month arithmetic in SQL, in UTC: `t ± n months` (PostgreSQL clamps to the month's
 * end, as addMonthsUtc does in JavaScript). `ts` and `months` are SQL expressions.
 */
export const minusMonths = (ts: string, months: string) => `((${ts}) at time zone 'UTC' - make_interval(months => ${months})) at time zone 'UTC'`;
export const plusMonths = (ts: string, months: string) => `((${ts}) at time zone 'UTC' + make_interval(months => ${months})) at time zone 'UTC'`;
