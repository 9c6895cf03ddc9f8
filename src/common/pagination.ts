import { badInput } from './errors';

export const MAX_PAGE_SIZE = 100;

/** Page sizes are capped so that one request cannot ask for a whole table. */
export function pageSize(first: number | null | undefined, fallback = 20): number {
  const n = first ?? fallback;
  if (!Number.isInteger(n) || n < 0) throw badInput('first', 'first must be a non-negative integer');
  if (n > MAX_PAGE_SIZE) throw badInput('first', `first must be at most ${MAX_PAGE_SIZE}`);
  return n;
}

/** Opaque cursors: base64 of "<kind>:<sequence>". The kind guards against cursor mix-ups. */
export function encodeCursor(kind: string, seq: string | number | bigint): string {
  return Buffer.from(`${kind}:${seq}`).toString('base64url');
}

export function decodeCursor(kind: string, cursor: string | null | undefined): string | null {
  if (cursor == null || cursor === '') return null;
  const text = Buffer.from(cursor, 'base64url').toString();
  const [k, seq] = text.split(':');
  // At most 18 digits: below 2^63, so a sequence always fits the bigint it is compared with.
  if (k !== kind || !seq || !/^\d{1,18}$/.test(seq)) throw badInput('after', 'after is not a cursor of this list');
  return seq;
}

export interface Page<T> {
  items: T[];
  /** One cursor per item, same order. */
  cursors: string[];
  hasNextPage: boolean;
  endCursor: string | null;
  totalCount?: number;
}
