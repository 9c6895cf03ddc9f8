import { badInput } from './errors';
import { UUID_TEXT } from './uuid.rules';

export const MAX_PAGE_SIZE = 100;

/** Page sizes are capped so that one request cannot ask for a whole table. */
export function pageSize(first: number | null | undefined, fallback = 20): number {
  const n = first ?? fallback;
  if (!Number.isInteger(n) || n < 0) throw badInput('first', 'first must be a non-negative integer');
  if (n > MAX_PAGE_SIZE) throw badInput('first', `first must be at most ${MAX_PAGE_SIZE}`);
  return n;
}

/** The largest bigint: a cursor or id past it names no row, and PostgreSQL would refuse the cast. */
const MAX_BIGINT = 9223372036854775807n;

/** A bigint id or sequence from a client, as canonical decimal text; anything else is BAD_USER_INPUT on `field`. */
export function bigintArg(field: string, value: string, message = `${field} must be a row id (a whole number up to 2^63 − 1)`): string {
  if (!/^\d{1,19}$/.test(value) || BigInt(value) > MAX_BIGINT) throw badInput(field, message);
  return BigInt(value).toString();
}

/**
 * Opaque cursors: base64 of "<kind>:<sequence>", or "<kind>@<scope>:<sequence>" for a list that
 * is one member's (its ledger, its redemptions, its referrals; `scope` the member's id). The kind
 * guards against cursor mix-ups between lists, the scope between two members' lists of one kind:
 * a position in one member's ledger is a transaction id, which would read as a position in any
 * other's and page it silently from the wrong place.
 */
export function encodeCursor(kind: string, seq: string | number | bigint, scope?: string): string {
  return Buffer.from(`${scoped(kind, scope)}:${seq}`).toString('base64url');
}

/**
 * The sequence a cursor of `kind` holds; a garbage, foreign or out-of-range cursor is
 * BAD_USER_INPUT, and so is, for a list of one member's (`scope`), a cursor of another's.
 */
export function decodeCursor(kind: string, cursor: string | null | undefined, field = 'after', scope?: string): string | null {
  return decodeNumbers(kind, cursor, 1, field, scope)?.[0] ?? null;
}

const scoped = (kind: string, scope: string | undefined) => (scope === undefined ? kind : `${kind}@${scope}`);

/** "<kind>" or "<kind>@<scope>" as a cursor's head: its kind and its scope (a uuid), if any. */
const HEAD = `([a-z]+)(?:@(${UUID_TEXT}))?`;
/** A cursor of whole numbers: "<head>:<n>" or "<head>:<a>.<b>". */
const NUMBERS_CURSOR = new RegExp(`^${HEAD}:(\\d+(?:\\.\\d+)*)$`);
/** A key cursor: "<head>:<n>:<key>" ([^] also matches line breaks). */
const KEY_CURSOR = new RegExp(`^${HEAD}:(\\d+):([^]*)$`);

/** BAD_USER_INPUT on `field` unless a cursor's head names `kind` and `scope` (none when the list has none). */
function assertHead(kind: string, scope: string | undefined, m: RegExpExecArray | null, field: string): asserts m is RegExpExecArray {
  if (!m || m[1] !== kind || (m[2] === undefined) !== (scope === undefined)) throw badInput(field, `${field} is not a cursor of this list`);
  if (m[2] !== scope) throw badInput(field, `${field} is a cursor of another member's list`);
}

/**
 * The `count` whole numbers a cursor of `kind` (and `scope`) holds ("<head>:<n>" or
 * "<head>:<a>.<b>"), each checked as a bigint; null for no cursor; anything else is
 * BAD_USER_INPUT on `field`.
 */
function decodeNumbers(kind: string, cursor: string | null | undefined, count: number, field: string, scope?: string): string[] | null {
  if (cursor == null || cursor === '') return null;
  const message = `${field} is not a cursor of this list`;
  const m = NUMBERS_CURSOR.exec(Buffer.from(cursor, 'base64url').toString());
  assertHead(kind, scope, m, field);
  const numbers = m[3].split('.');
  if (numbers.length !== count) throw badInput(field, message);
  return numbers.map((n) => bigintArg(field, n, message));
}

/** The kind a cursor names ("<kind>:…" or "<kind>@<scope>:…"), null for none; whether the rest is valid is for its decoder to say. */
export function cursorKind(cursor: string | null | undefined): string | null {
  if (cursor == null || cursor === '') return null;
  return Buffer.from(cursor, 'base64url').toString().split(':', 1)[0].split('@', 1)[0];
}

/** A cursor for an order on two whole numbers (base64 of "<kind>:<a>.<b>"). */
export function encodeCursorPair(kind: string, a: string | number | bigint, b: string | number | bigint): string {
  return Buffer.from(`${kind}:${a}.${b}`).toString('base64url');
}

/** The two numbers a pair cursor of `kind` holds; a garbage, foreign or out-of-range cursor is BAD_USER_INPUT. */
export function decodeCursorPair(kind: string, cursor: string | null | undefined, field = 'after'): [string, string] | null {
  return decodeNumbers(kind, cursor, 2, field) as [string, string] | null;
}

/** A keyset's column must be `table.column` (why: see `keyset`); anything else is a programming error. */
function assertQualified(caller: string, column: string): void {
  if (!/^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$/.test(column)) throw new Error(`${caller}: qualify the column with its table (got ${column})`);
}

/**
 * One keyset page over a bigint column (an id or a seq): the condition and the ordering, both
 * on the typed column, with the cursor compared as bigint. The column must be qualified
 * (`t.id`): PostgreSQL resolves a bare name in ORDER BY to an output column first, and a
 * select list's `id::text` is one, so `order by id` would sort ids as text (10 before 9) and
 * the page's cursor would skip rows. `params` go where `where` stands, before the limit's.
 */
export function keyset(column: string, direction: 'asc' | 'desc', after: string | null): { where: string; orderBy: string; params: unknown[] } {
  assertQualified('keyset', column);
  return {
    where: `(?::bigint is null or ${column} ${direction === 'asc' ? '>' : '<'} ?::bigint)`,
    orderBy: `order by ${column} ${direction}`,
    params: [after, after],
  };
}

/** Where a list sorted by a text key, then a bigint, stands: the last row's key (as SQL sorted it) and number. */
export interface KeyPosition { key: string; n: string }

/** Longest key a key cursor may hold (a sort key is a name or the like, not a document). */
const MAX_CURSOR_KEY = 1000;

/** A cursor for an order on a text key and a whole number (base64 of "<kind>:<n>:<key>"; `scope` as for `encodeCursor`). */
export function encodeKeyCursor(kind: string, position: KeyPosition, scope?: string): string {
  return Buffer.from(`${scoped(kind, scope)}:${position.n}:${position.key}`).toString('base64url');
}

/** The position a key cursor of `kind` (and `scope`) holds; a garbage, foreign or out-of-range cursor is BAD_USER_INPUT. */
export function decodeKeyCursor(kind: string, cursor: string | null | undefined, field = 'after', scope?: string): KeyPosition | null {
  if (cursor == null || cursor === '') return null;
  const message = `${field} is not a cursor of this list`;
  // [^] also matches line breaks; a NUL would reach PostgreSQL, which refuses it in text.
  const m = KEY_CURSOR.exec(Buffer.from(cursor, 'base64url').toString());
  assertHead(kind, scope, m, field);
  if (m[4].length > MAX_CURSOR_KEY || m[4].includes('\u0000')) throw badInput(field, message);
  return { n: bigintArg(field, m[3], message), key: m[4] };
}

/**
 * One keyset page ordered by a text key, then a bigint column for ties (a name, then a seq):
 * both typed, compared as one row against the cursor's (text, bigint). `keyExpr` is the SQL of
 * the key exactly as the index has it (with its collation); `column` must be qualified (see
 * `keyset`). `params` go where `where` stands.
 */
export function keysetByKey(keyExpr: string, column: string, after: KeyPosition | null): { where: string; orderBy: string; params: unknown[] } {
  assertQualified('keysetByKey', column);
  return {
    where: after ? `(${keyExpr}, ${column}) > (?::text, ?::bigint)` : 'true',
    orderBy: `order by ${keyExpr}, ${column}`,
    params: after ? [after.key, after.n] : [],
  };
}

export interface Page<T> {
  items: T[];
  /** One cursor per item, same order. */
  cursors: string[];
  hasNextPage: boolean;
  endCursor: string | null;
  totalCount?: number;
}

/**
 * The first `first` of `rows` as a page (the query asked for one row more than the page: when it
 * came, there is a next page), each item with its cursor; `itemOf` makes an item of a row.
 */
export function pageOf<R, T = R>(rows: readonly R[], first: number, cursorOf: (row: R) => string, itemOf: (row: R) => T = (row) => row as unknown as T): Page<T> {
  const kept = rows.slice(0, first);
  const cursors = kept.map(cursorOf);
  return { items: kept.map(itemOf), cursors, hasNextPage: rows.length > first, endCursor: cursors.at(-1) ?? null };
}

/** `rows` grouped by `keyOf`, each group in the rows' order. */
export function groupBy<T>(rows: readonly T[], keyOf: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return groups;
}

/**
 * A loader's batch of first pages keyed by (owner id, page size): `load` once per page size the
 * batch holds (a list's fields share one), the pages in the keys' order.
 */
export async function firstPagesBySize<T>(
  keys: readonly { id: string; first: number }[], load: (ids: string[], first: number) => Promise<Page<T>[]>,
): Promise<Page<T>[]> {
  const out = new Array<Page<T>>(keys.length);
  const sizes = groupBy(keys.map((k, i) => ({ ...k, i })), (k) => String(k.first));
  await Promise.all([...sizes.values()].map(async (group) => {
    const pages = await load(group.map((k) => k.id), group[0].first);
    group.forEach((k, j) => { out[k.i] = pages[j]; });
  }));
  return out;
}
