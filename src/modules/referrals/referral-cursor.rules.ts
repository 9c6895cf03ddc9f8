import { badInput } from '../../common/errors';
import { decodeKeyCursor, encodeKeyCursor } from '../../common/pagination';
import { UUID_TEXT } from '../../common/uuid.rules';

/**
 * Member.referrals' cursor: where a row stands in (created_at desc, id desc), the list's order.
 * A key cursor (common/pagination.ts: base64url of "referral@<referrer>:<microseconds since the epoch>:<uuid>"):
 * created_at in whole microseconds as PostgreSQL keeps it, so the next page compares the typed
 * columns exactly (a JavaScript Date keeps milliseconds and would skip or repeat rows that
 * share one).
 */
export interface ReferralPosition { createdMicros: string; id: string }

const KIND = 'referral';
/** A referral's id as PostgreSQL writes it (lower case). */
const UUID = new RegExp(`^${UUID_TEXT}$`);

/** The cursor of a row of `referrer`'s list. */
export function encodeReferralCursor(p: ReferralPosition, referrer: string): string {
  return encodeKeyCursor(KIND, { n: p.createdMicros, key: p.id }, referrer);
}

/**
 * The last microsecond of 9999-12-31 (UTC), the latest instant the API handles: no referral was
 * created after it. A cursor past it names no row, and PostgreSQL's `bigint * interval` (computed
 * in float8) overflowed on the largest bigints ("interval out of range": INTERNAL_SERVER_ERROR).
 */
export const MAX_CREATED_MICROS = 253402300799999999n;

/**
 * The position a cursor of `referrer`'s list holds; null for none; a garbage, foreign or
 * out-of-range cursor, or one of another member's list, is BAD_USER_INPUT on `after`.
 */
export function decodeReferralCursor(cursor: string | null | undefined, referrer: string): ReferralPosition | null {
  const p = decodeKeyCursor(KIND, cursor, 'after', referrer);
  if (!p) return null;
  if (!UUID.test(p.key) || BigInt(p.n) > MAX_CREATED_MICROS) throw badInput('after', 'after is not a cursor of this list');
  return { createdMicros: p.n, id: p.key };
}
