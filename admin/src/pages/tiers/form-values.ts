/**
 * What an operator typed, as the API takes it. A text that is not a number becomes NaN: the
 * form then says so next to the field, before any request (GraphQL would refuse the variable
 * with a message that names no field). The Tiers, Benefits and Rewards forms use these.
 */

/**
 * Whether the text is a whole number the API's `Int` takes (32 bits: −2,147,483,648 to
 * 2,147,483,647). One beyond it, 3000000000 say, GraphQL refuses with its own English message
 * naming no field; the form says so next to the field instead.
 */
export function isIntText(text: string): boolean {
  const s = text.trim();
  return /^[-+]?\d+$/.test(s) && Number(s) >= -2147483648 && Number(s) <= 2147483647;
}

/** '' → null; a whole number the API takes (isIntText) → it; anything else → NaN. */
export function intOrNull(text: string): number | null {
  const s = text.trim();
  if (!s) return null;
  return isIntText(s) ? Number(s) : Number.NaN;
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

/** Whether two instants are the same (null and '' alike). */
export function sameInstant(a: string | null | undefined, b: string | null | undefined): boolean {
  if (!a || !b) return !a && !b;
  return new Date(a).getTime() === new Date(b).getTime();
}

/** Whether two lists hold the same values, in any order. */
export function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join('\0') === [...b].sort().join('\0');
}

const zoneFormats = new Map<string, Intl.DateTimeFormat>();

/** An instant's wall-clock parts in `zone` (year, month, day, hour, minute, second). */
function wallClock(ms: number, zone: string): number[] {
  let f = zoneFormats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
    });
    zoneFormats.set(zone, f);
  }
  const p: Record<string, number> = {};
  for (const { type, value } of f.formatToParts(new Date(ms))) if (type !== 'literal') p[type] = Number(value);
  return [p.year, p.month, p.day, p.hour, p.minute, p.second];
}

/** The zone's offset from UTC at an instant, in milliseconds (Shanghai: +8 h). */
function offsetAt(ms: number, zone: string): number {
  const [y, mo, d, h, mi, s] = wallClock(ms, zone);
  return Date.UTC(y, mo - 1, d, h, mi, s) - Math.floor(ms / 1000) * 1000;
}

/** An instant as a datetime-local input's value, on the wall clock of `zone` (the programme's; '' for none). */
export function toZonedInput(iso: string | null | undefined, zone: string): string {
  if (!iso) return '';
  const [y, mo, d, h, mi] = wallClock(new Date(iso).getTime(), zone);
  return `${String(y).padStart(4, '0')}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}`;
}

/**
 * A datetime-local input's value, a wall-clock time of `zone`, as an instant (ISO); '' → null;
 * not a date → false. A time that a DST change skips is read with the offset before the change.
 */
export function fromZonedInput(text: string, zone: string): string | null | false {
  const s = text.trim();
  if (!s) return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(s);
  if (!m) return false;
  const [y, mo, d, h, mi, sec] = m.slice(1).map((x) => Number(x ?? 0));
  const naive = Date.UTC(y, mo - 1, d, h, mi, sec);
  if (Number.isNaN(naive) || new Date(naive).getUTCDate() !== d) return false;
  // The offset at the guess, then at the corrected guess: settles across a transition.
  let t = naive - offsetAt(naive, zone);
  t = naive - offsetAt(t, zone);
  return new Date(t).toISOString();
}
