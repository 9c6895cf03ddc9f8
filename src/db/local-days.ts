/**
 * Programme-local calendar days in SQL (the programme's IANA time zone, program.time_zone):
 * `ts` is an SQL timestamptz expression, `zone` a zone the programme update accepted (checked
 * against pg_timezone_names), written as a literal so that an expression index on it
 * (purchase_member_day_index) matches. local-time.rules.ts is the same arithmetic in TypeScript.
 */

/** A time zone as an SQL string literal (quotes doubled, though a valid zone has none). */
export const zoneLiteral = (zone: string): string => `'${zone.replace(/'/g, "''")}'`;

/** The local wall-clock time of `ts` (timestamp without time zone). */
export const localTimestamp = (ts: string, zone: string): string => `(${ts}) at time zone ${zoneLiteral(zone)}`;

/** The local day number of `ts`: local days since 1970-01-01 (localDayNumber's). */
export const localDayNumberSql = (ts: string, zone: string): string => `((${localTimestamp(ts, zone)})::date - date '1970-01-01')`;
