/**
 * Programme-local calendar arithmetic (the programme's IANA time zone): pure functions, no clock.
 * A local day is a 'YYYY-MM-DD' string; its day number counts days since 1970-01-01 (local), so
 * consecutive local days differ by one whatever DST did to the instants between them.
 */
const DAY_MS = 86_400_000;

const formats = new Map<string, Intl.DateTimeFormat>();

function format(timeZone: string): Intl.DateTimeFormat {
  let f = formats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
    });
    formats.set(timeZone, f);
  }
  return f;
}

/** Whether `zone` names an IANA time zone this runtime knows (UTC included). */
export function isTimeZone(zone: string): boolean {
  if (!zone || zone.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * The names ICU still resolves zones to that IANA has since renamed (its own "backward" links),
 * with IANA's current name: Node answers Asia/Calcutta for Asia/Kolkata. Read from tzdata 2025c
 * against ICU 78.2 (every IANA zone whose resolved name is not itself a zone).
 */
export const IANA_NAME_OF_ICU: Readonly<Record<string, string>> = {
  'Africa/Asmera': 'Africa/Asmara', 'America/Buenos_Aires': 'America/Argentina/Buenos_Aires', 'America/Catamarca': 'America/Argentina/Catamarca',
  'America/Cordoba': 'America/Argentina/Cordoba', 'America/Jujuy': 'America/Argentina/Jujuy', 'America/Mendoza': 'America/Argentina/Mendoza',
  'America/Coral_Harbour': 'America/Atikokan', 'America/Indianapolis': 'America/Indiana/Indianapolis', 'America/Louisville': 'America/Kentucky/Louisville',
  'America/Godthab': 'America/Nuuk', 'Asia/Saigon': 'Asia/Ho_Chi_Minh', 'Asia/Katmandu': 'Asia/Kathmandu', 'Asia/Calcutta': 'Asia/Kolkata',
  'Asia/Rangoon': 'Asia/Yangon', 'Atlantic/Faeroe': 'Atlantic/Faroe', 'Europe/Kiev': 'Europe/Kyiv', 'Pacific/Truk': 'Pacific/Chuuk',
  'Pacific/Enderbury': 'Pacific/Kanton', 'Pacific/Ponape': 'Pacific/Pohnpei',
};

/** The name this runtime's ICU resolves the zone to (Asia/Calcutta for Asia/Kolkata). */
export function runtimeTimeZone(zone: string): string {
  return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
}

/**
 * The zone's canonical IANA name: its spelling (asia/shanghai → Asia/Shanghai), an alias resolved
 * (US/Pacific → America/Los_Angeles), and IANA's current name where ICU keeps an older one
 * (Asia/Kolkata stays Asia/Kolkata, Asia/Calcutta becomes it).
 */
export function canonicalTimeZone(zone: string): string {
  const resolved = runtimeTimeZone(zone);
  return IANA_NAME_OF_ICU[resolved] ?? resolved;
}

interface LocalParts { year: number; month: number; day: number; hour: number; minute: number; second: number }

function parts(instant: Date, timeZone: string): LocalParts {
  const p: Record<string, number> = {};
  for (const { type, value } of format(timeZone).formatToParts(instant)) if (type !== 'literal') p[type] = Number(value);
  return { year: p.year, month: p.month, day: p.day, hour: p.hour, minute: p.minute, second: p.second };
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** The programme-local calendar day of an instant, 'YYYY-MM-DD'. */
export function localDate(instant: Date, timeZone: string): string {
  const p = parts(instant, timeZone);
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}`;
}

/** Local days since 1970-01-01 of a 'YYYY-MM-DD' day. */
export function dayNumber(day: string): number {
  const [y, m, d] = day.split('-').map(Number);
  return Math.floor(Date.UTC(y, m - 1, d) / DAY_MS);
}

/**
 * The 'YYYY-MM-DD' of a local day number. A zone east of UTC has local days after 9999-12-31
 * (the last instant any input may name is already 10000-01-01 in Shanghai), and a day after an
 * input's day may be asked for: its year is written in full ('10000-01-01', which dayNumber
 * reads back), not as toISOString's '+010000-01-01'.
 */
export function dayOfNumber(n: number): string {
  const d = new Date(n * DAY_MS);
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** The programme-local day number of an instant. */
export function localDayNumber(instant: Date, timeZone: string): number {
  return dayNumber(localDate(instant, timeZone));
}

/** The zone's offset from UTC at an instant, in milliseconds (Shanghai: +8 h). */
function offsetAt(instant: Date, timeZone: string): number {
  const p = parts(instant, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

/**
 * The first instant of a local day (its local midnight; where DST skips midnight, the first
 * local time that exists that day).
 */
export function startOfLocalDay(day: string, timeZone: string): Date {
  const naive = dayNumber(day) * DAY_MS;
  // The offset at the guess, then at the corrected guess: settles across a transition.
  let t = naive - offsetAt(new Date(naive), timeZone);
  t = naive - offsetAt(new Date(t), timeZone);
  if (localDate(new Date(t), timeZone) !== day) {
    // Midnight does not exist (a spring-forward at 00:00): the day starts where the gap ends.
    t += 3_600_000;
    while (localDate(new Date(t - 60_000), timeZone) === day) t -= 60_000;
  }
  return new Date(t);
}

/**
 * The last month's bounds asked of each zone (epoch ms): every purchase asks for its recording
 * instant's month (a referral's monthly limit), and working them out takes a dozen Intl calls,
 * 3–4% of the app's CPU on the purchase path by profile. An instant inside them has them as its
 * month's bounds, by their definition.
 */
const lastMonth = new Map<string, { start: number; end: number }>();

/** The first instant of the local month holding `instant`, and of the next one. */
export function localMonthBounds(instant: Date, timeZone: string): { start: Date; end: Date } {
  const t = instant.getTime();
  const last = lastMonth.get(timeZone);
  if (last && t >= last.start && t < last.end) return { start: new Date(last.start), end: new Date(last.end) };
  const p = parts(instant, timeZone);
  const next = p.month === 12 ? { y: p.year + 1, m: 1 } : { y: p.year, m: p.month + 1 };
  const start = startOfLocalDay(`${pad(p.year, 4)}-${pad(p.month)}-01`, timeZone);
  const end = startOfLocalDay(`${pad(next.y, 4)}-${pad(next.m)}-01`, timeZone);
  lastMonth.set(timeZone, { start: start.getTime(), end: end.getTime() });
  return { start, end };
}
