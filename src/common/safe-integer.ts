/**
 * A total summed or counted as bigint in SQL (the driver hands int8 over as text) as an exact
 * JavaScript number. Totals are SafeInt in the API: exact up to 2^53 − 1; past that a number
 * would round, so it is an error instead.
 */
export function safeInteger(value: string | number | bigint): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`Not an exact integer: ${value}`);
  return n;
}

/** The largest 32-bit integer: PostgreSQL's int column and GraphQL's Int both stop here. */
export const MAX_INT32 = 2_147_483_647;
