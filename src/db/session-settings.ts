/**
 * The session settings the server's SQL and its reading of PostgreSQL's text output rely on,
 * pinned on every connection it opens (the pool, the migrator's lock, the dispatcher's and the
 * webhook worker's listeners, the CLI, the tests' own), whatever the operator's server, database
 * or role says (`DATABASE_URL`: docs/decisions.md, "Database access"):
 * - `TimeZone`: UTC. Dates the SQL derives (`::date`, a CSV's joinedAt without an offset, a day's
 *   bounds) are UTC unless it names the programme's zone itself.
 * - `DateStyle`, `IntervalStyle`: ISO and postgres. Timestamps reach JavaScript as text (the ORM's
 *   and node-postgres' parsers read ISO only: with `SQL, DMY` the 4th of December was read as the
 *   12th of April, with `German` as no date, and the server did not start).
 * - `extra_float_digits`: 1 (PostgreSQL's default since 12), so a float8 reads back exactly.
 * - `default_transaction_isolation`: read committed. The writes' SQL counts on a new snapshot
 *   per statement (the purchase's PL/pgSQL reads what the lock it waited for let commit).
 * - `standard_conforming_strings`: on (PostgreSQL's default since 9.1). Off, a backslash in a
 *   literal escapes: the imports' patterns (`'^\d{4}-…'`) became `'^d{4}-…'` and refused every
 *   valid line.
 * Each is `-c name=value` in the connection's startup `options`, after any the URL already has,
 * so ours win; no round trip is added. Limits (`statement_timeout`, `lock_timeout`, `work_mem`)
 * and `search_path` stay the operator's.
 */
export const SESSION_SETTINGS: readonly (readonly [string, string])[] = [
  ['TimeZone', 'UTC'],
  ['DateStyle', 'ISO, MDY'],
  ['IntervalStyle', 'postgres'],
  ['extra_float_digits', '1'],
  ['default_transaction_isolation', 'read committed'],
  ['standard_conforming_strings', 'on'],
];

/** The startup `options` text that sets them: `-c name=value` each, white space escaped as PostgreSQL splits it. */
const PINNED = SESSION_SETTINGS.map(([name, value]) => `-c ${name}=${value.replace(/\s/g, '\\ ')}`).join(' ');

/** `options` (a connection's startup options, possibly none) with the pinned settings after it; unchanged when they are there already. */
export function pinnedOptions(options: string | null | undefined): string {
  const given = (options ?? '').trim();
  if (given.endsWith(PINNED)) return given;
  return given ? `${given} ${PINNED}` : PINNED;
}

/** A PostgreSQL URL whose `options` parameter pins the settings (node-postgres reads it from the URL). */
export function pinnedUrl(url: string): string {
  const u = new URL(url);
  u.searchParams.set('options', pinnedOptions(u.searchParams.get('options')));
  return u.toString();
}

/**
 * `url` naming its connection `name`: node-postgres lets a URL's parameters win over the
 * client's own settings, so an `application_name` in DATABASE_URL (the operator's, for its
 * pool) would otherwise rename the background connections the foreground probe leaves out
 * (src/db/foreground.ts), and a nightly review paced itself as if the database were busy.
 */
export function namedUrl(url: string, name: string): string {
  const u = new URL(url);
  u.searchParams.set('application_name', name);
  return u.toString();
}
