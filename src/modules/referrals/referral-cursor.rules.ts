import { badInput } from '../../common/errors';

/**
 * Member.referrals' cursor: where a row stands in (created_at desc, id desc), the list's order.
 * Opaque (base64url of "referral:<microseconds since the epoch>:<uuid>"): created_at in whole
 * microseconds as PostgreSQL keeps it, so the next page compares the typed columns exactly
 * (a JavaScript Date keeps milliseconds and would skip or repeat rows that share one).
 */
export interface ReferralPosition { createdMicros: string; id: string }

const KIND = 'referral';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Microseconds from the epoch up to year 294,276 (PostgreSQL's limit) fit in 16 digits, signed. */
const MICROS = /^-?\d{1,16}$/;

export function encodeReferralCursor(p: ReferralPosition): string {
  return Buffer.from(`${KIND}:${p.createdMicros}:${p.id}`).toString('base64url');
}

/** The position a cursor holds; null for none; a garbage or foreign cursor is BAD_USER_INPUT on `after`. */
export function decodeReferralCursor(cursor: string | null | undefined): ReferralPosition | null {
  if (cursor == null || cursor === '') return null;
  const parts = Buffer.from(cursor, 'base64url').toString().split(':');
  if (parts.length !== 3 || parts[0] !== KIND || !MICROS.test(parts[1]) || !UUID.test(parts[2])) {
    throw badInput('after', 'after is not a cursor of this list');
  }
  return { createdMicros: BigInt(parts[1]).toString(), id: parts[2] };
}
