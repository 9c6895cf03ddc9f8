import { uncounted } from './statement-count';

/**
 * The session settings the server's SQL and its reading of PostgreSQL's text output rely on,
 * set on every connection it opens (the pool's as each is created, the migrator's lock, the
 * dispatcher's and the webhook worker's listeners), whatever the operator's server, database
 * or role says (`DATABASE_URL`: docs/decisions.md, "Database access"):
 * - `TimeZone`: UTC. Dates the SQL derives (`::date`, a CSV's joinedAt without an offset, a day's
 *   bounds, months added to an instant) are UTC unless it names the programme's zone itself.
 * - `DateStyle`, `IntervalStyle`: ISO and postgres. Timestamps reach JavaScript as text (the ORM's
 *   and node-postgres' parsers read ISO only: with `SQL, DMY` the 4th of December was read as the
 *   12th of April, with `German` as no date, and the server did not start).
 * - `extra_float_digits`: 1 (PostgreSQL's default since 12), so a float8 reads back exactly.
 * - `default_transaction_isolation`: read committed. The writes' SQL counts on a new snapshot
 *   per statement (the purchase's PL/pgSQL reads what the lock it waited for let commit).
 * - `standard_conforming_strings`: on (PostgreSQL's default since 9.1). Off, a backslash in a
 *   literal escapes: the imports' patterns (`'^\\d{4}-…'`) became `'^d{4}-…'` and refused every
 *   valid line.
 * One statement when a connection opens (`pinSession`), not startup `options`: PgBouncer before
 * 1.20 refuses an `options` startup parameter, and later ones every setting in it they do not
 * track (extra_float_digits, default_transaction_isolation), so a server behind one in session
 * mode would not connect. Limits (`statement_timeout`, `lock_timeout`, `work_mem`) and
 * `search_path` stay the operator's.
 */
export const SESSION_SETTINGS: readonly (readonly [string, string])[] = [
  ['TimeZone', 'UTC'],
  ['DateStyle', 'ISO, MDY'],
  ['IntervalStyle', 'postgres'],
  ['extra_float_digits', '1'],
  ['default_transaction_isolation', 'read committed'],
  ['standard_conforming_strings', 'on'],
];

/** The statement that sets them for the session (set_config, not SET: one statement, whatever standard_conforming_strings was). */
export const PIN_SESSION_SQL = `select ${SESSION_SETTINGS.map(([name, value]) => `set_config('${name}', '${value}', false)`).join(', ')}`;

/** Sets the settings on a newly opened connection (outside any statement count: it is the connection's cost, not an operation's). */
export async function pinSession(client: { query(text: string): Promise<unknown> }): Promise<void> {
  await uncounted(() => client.query(PIN_SESSION_SQL));
}

/** The startup `options` text that sets them: `-c name=value` each, white space escaped as PostgreSQL splits it. */
const PINNED = SESSION_SETTINGS.map(([name, value]) => `-c ${name}=${value.replace(/\s/g, '\\ ')}`).join(' ');

/** `options` (a connection's startup options, possibly none) with the pinned settings after it; unchanged when they are there already. */
export function pinnedOptions(options: string | null | undefined): string {
  const given = (options ?? '').trim();
  if (given.endsWith(PINNED)) return given;
  return given ? `${given} ${PINNED}` : PINNED;
}

/**
 * A PostgreSQL URL whose `options` parameter sets them at connection start-up (node-postgres reads
 * it from the URL), for the tests' own clients, which every client made from the URL inherits
 * (no pooler stands between the tests and PostgreSQL).
 */
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
