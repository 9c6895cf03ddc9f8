/**
 * What an operator typed, as the API takes it. A text that is not a number becomes NaN: the
 * form then says so next to the field, before any request (GraphQL would refuse the variable
 * with a message that names no field). The Tiers, Benefits and Rewards forms use these.
 */

/** '' → null; a whole number → it; anything else → NaN. */
export function intOrNull(text: string): number | null {
  const s = text.trim();
  if (!s) return null;
  return /^[-+]?\d+$/.test(s) ? Number(s) : Number.NaN;
}

/** '' → null; a decimal number → it; anything else → NaN. */
export function numberOrNull(text: string): number | null {
  const s = text.trim();
  if (!s) return null;
  return /^[-+]?(\d+(\.\d*)?|\.\d+)$/.test(s) ? Number(s) : Number.NaN;
}

/** A number for an input's value ('' for none). */
export function numberText(n: number | null | undefined): string {
  return n == null ? '' : String(n);
}

const pad = (n: number) => String(n).padStart(2, '0');

/** An instant as a datetime-local input's value, in the operator's time zone ('' for none). */
export function toLocalInput(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A datetime-local input's value as an instant (ISO); '' → null; not a date → false. */
export function fromLocalInput(text: string): string | null | false {
  if (!text.trim()) return null;
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? false : d.toISOString();
}

/** Whether two instants are the same (null and '' alike). */
export function sameInstant(a: string | null | undefined, b: string | null | undefined): boolean {
  if (!a || !b) return !a && !b;
  return new Date(a).getTime() === new Date(b).getTime();
}

/** Whether two lists hold the same values, in any order. */
export function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join('\0') === [...b].sort().join('\0');
}
