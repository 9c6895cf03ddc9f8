/**
 * Exact money and decimal rates. Amounts arrive from GraphQL as Floats with at most 2
 * decimals and become integer cents; rates (pointsPerUnit, multipliers) have at most 4
 * decimals and become scaled integers. No arithmetic is ever done on the floats themselves.
 */

/** Bad money or decimal input; the API layer maps it to BAD_USER_INPUT naming `field`. */
export class MoneyInputError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
    this.name = 'MoneyInputError';
  }
}

/** Above this an amount is a client bug, not a purchase; it also keeps cents far below 2^53. */
export const MAX_AMOUNT = 1e12;

/** The digits of a number's shortest round-trip decimal form, or null when JS would print an exponent. */
function decimalDigits(value: number): { negative: boolean; int: string; frac: string } | null {
  const text = String(Math.abs(value));
  if (/e/i.test(text)) return null;
  const [int, frac = ''] = text.split('.');
  return { negative: value < 0, int, frac };
}

/**
 * A positive amount with at most 2 decimals, as integer cents. The number's shortest decimal
 * form decides its decimals (the same answer as `Number(v.toFixed(2)) === v`): 19.99 and 0.07
 * pass, 19.999 fails, and so does a float sum like 0.1 + 0.2 (= 0.30000000000000004): we never
 * guess what the client meant.
 */
export function parseMoneyToCents(value: number, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new MoneyInputError(field, `${field} must be a finite number`);
  if (value <= 0) throw new MoneyInputError(field, `${field} must be greater than 0`);
  if (value > MAX_AMOUNT) throw new MoneyInputError(field, `${field} must not exceed ${MAX_AMOUNT}`);
  const digits = decimalDigits(value);
  if (digits === null || digits.frac.length > 2) throw new MoneyInputError(field, `${field} takes at most 2 decimals`);
  // Both parts are small integers here, so this sum is exact.
  return Number(digits.int) * 100 + Number(digits.frac.padEnd(2, '0'));
}

/**
 * Strict parse of a decimal input (e.g. an admin-set pointsPerUnit or multiplier): rejects
 * more than `maxDecimals` decimals instead of rounding. `units / scale` is the exact value,
 * with scale = 10^maxDecimals (1.25 at 4 decimals → { units: 12500n, scale: 10000 }).
 */
export function parseDecimalScaled(value: number, maxDecimals: number, field: string): { units: bigint; scale: number } {
  if (!Number.isInteger(maxDecimals) || maxDecimals < 0 || maxDecimals > 15) throw new RangeError(`maxDecimals out of range: ${maxDecimals}`);
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new MoneyInputError(field, `${field} must be a finite number`);
  const digits = decimalDigits(value);
  if (digits === null || digits.frac.length > maxDecimals) throw new MoneyInputError(field, `${field} takes at most ${maxDecimals} decimals`);
  const magnitude = BigInt(digits.int + digits.frac.padEnd(maxDecimals, '0'));
  return { units: digits.negative ? -magnitude : magnitude, scale: 10 ** maxDecimals };
}

/**
 * A rate as an exact integer scaled by 10^decimals (1.25 → 12500n at 4), rounded to the
 * nearest at that precision. Rounding (not rejecting) is deliberate: a multiplier built by
 * adding floats, e.g. tier 1.1 + bonus 0.2 = 1.3000000000000003, must count as 1.3. Inputs
 * are validated with parseDecimalScaled where they enter the system.
 */
export function toScaledInt(value: number, decimals = 4): bigint {
  // toFixed switches to exponent form at 1e21; no rate is anywhere near that.
  if (!Number.isFinite(value) || Math.abs(value) >= 1e21) throw new RangeError(`Not a usable decimal: ${value}`);
  const [int, frac = ''] = value.toFixed(decimals).split('.');
  return BigInt(int + frac);
}

/** Integer cents as a 2-decimal string: 1230 → "12.30", -150 → "-1.50". */
export function formatCents(cents: number): string {
  if (!Number.isSafeInteger(cents)) throw new RangeError(`Cents must be an integer: ${cents}`);
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
