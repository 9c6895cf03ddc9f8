/** Exact money: amounts arrive as JSON numbers with at most 2 decimals and become integer cents. */
export class MoneyInputError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
    this.name = 'MoneyInputError';
  }
}

const MAX_CENTS = 1e14;

export function parseMoneyToCents(value: number, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new MoneyInputError(field, `${field} must be a finite number`);
  if (value <= 0) throw new MoneyInputError(field, `${field} must be greater than 0`);
  // The shortest decimal representation of the number decides its decimals: 19.99 is fine, 1.005 is not.
  const [, frac = ''] = String(value).split('.');
  if (frac.length > 2 || /e/i.test(String(value))) throw new MoneyInputError(field, `${field} takes at most 2 decimals`);
  const cents = Math.round(value * 100);
  if (cents > MAX_CENTS) throw new MoneyInputError(field, `${field} is too large`);
  return cents;
}

/** A decimal with at most `decimals` places as an exact scaled integer (1.25 → 12500 at 4). */
export function toScaledInt(value: number, decimals = 4): bigint {
  const [int, frac = ''] = value.toFixed(decimals).split('.');
  return BigInt(int + frac.padEnd(decimals, '0'));
}

export function formatCents(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
