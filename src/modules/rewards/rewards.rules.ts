/**
 * Coupons and partial updates of catalogue rules: pure functions, no clock, no database.
 */
import { randomBytes } from 'node:crypto';
import { badInput } from '../../common/errors';

const DAY_MS = 86_400_000;

/** The longest a coupon may be valid for (ten years). */
export const MAX_COUPON_VALID_DAYS = 3650;

/** The status a coupon is stored with; EXPIRED is never stored (see couponStatus). */
export type StoredCouponStatus = 'ISSUED' | 'USED' | 'CANCELLED';
export type CouponStatus = StoredCouponStatus | 'EXPIRED';

export interface CouponState {
  status: string;
  /** The issue instant (the redemption's occurredAt). */
  createdAt: Date;
  /** Fixed at issue; null = no end. */
  expiresAt: Date | null;
}

/**
 * A coupon code as people type it, in the form it is stored and looked up by: letters and
 * digits only (dashes, spaces and anything else dropped), upper case, and the letters Crockford
 * base32 reads as digits (I and L as 1, O as 0), which the codes we issue never contain. The
 * column redemption.coupon_key computes the same in SQL (migration coupons); a test holds them
 * together.
 */
export function normalizeCouponCode(raw: string): string {
  return raw.replace(/[^0-9A-Za-z]/g, '').toUpperCase().replace(/[ILO]/g, (c) => (c === 'O' ? '0' : '1'));
}

/** issuedAt + couponValidDays × 24 h; null days = no end. */
export function couponExpiresAt(issuedAt: Date, couponValidDays: number | null | undefined): Date | null {
  return couponValidDays == null ? null : new Date(issuedAt.getTime() + couponValidDays * DAY_MS);
}

/** The status as read at `at`: an ISSUED coupon at or past its expiry is EXPIRED. */
export function couponStatus(c: Pick<CouponState, 'status' | 'expiresAt'>, at: Date): CouponStatus {
  if (c.status === 'ISSUED' && c.expiresAt && c.expiresAt.getTime() <= at.getTime()) return 'EXPIRED';
  return c.status as CouponStatus;
}

export interface CouponRefusal {
  /** The coupon's status to report (extensions.status). */
  status: CouponStatus;
  message: string;
  /** Set when the refusal is about the instant the caller named. */
  field?: 'occurredAt';
}

/**
 * Why a coupon cannot be used at `at` (the till's occurredAt, or now), or null when it can:
 * it must be ISSUED (not used, not cancelled, whenever that happened: a use and a cancel never
 * both stand), issued at or before `at`, and not expired at `at`. `now` only decides the status
 * reported when `at` is before the issue.
 */
export function couponUseRefusal(c: CouponState, at: Date, now: Date): CouponRefusal | null {
  if (c.status === 'USED') return { status: 'USED', message: 'This coupon has already been used' };
  if (c.status === 'CANCELLED') return { status: 'CANCELLED', message: 'This coupon was cancelled' };
  if (at.getTime() < c.createdAt.getTime()) {
    return { status: couponStatus(c, now), message: 'This coupon was not yet issued at occurredAt', field: 'occurredAt' };
  }
  if (couponStatus(c, at) === 'EXPIRED') return { status: 'EXPIRED', message: `This coupon expired at ${c.expiresAt!.toISOString()}` };
  return null;
}

/**
 * Why a redemption cannot be cancelled at `now`, or null when it can (a CANCELLED one is
 * answered as it is by the caller: cancelling is idempotent). A USED coupon was spent at the
 * till; an EXPIRED one keeps its points (they do not come back).
 */
export function couponCancelRefusal(c: CouponState, now: Date): CouponRefusal | null {
  const status = couponStatus(c, now);
  if (status === 'USED') return { status, message: 'A used coupon cannot be cancelled' };
  if (status === 'EXPIRED') return { status, message: 'An expired coupon cannot be cancelled: its points do not come back' };
  return null;
}

/** Whether a patch's field may be set to null (cleared) or not. */
export type PatchSpec<T> = { readonly [K in keyof T]?: 'nullable' | 'required' };

/**
 * `current` with the fields `patch` names: a field absent from the patch (not an own property)
 * is kept, an explicit null clears a nullable field and is BAD_USER_INPUT naming a required one.
 * Only the fields of `spec` are read. Returns the merged value and the fields the patch gave.
 */
export function applyPatch<T extends object>(current: T, patch: object, spec: PatchSpec<T>): { next: T; given: (keyof T)[] } {
  const next = { ...current };
  const given: (keyof T)[] = [];
  for (const field of Object.keys(spec) as (keyof T & string)[]) {
    if (!Object.prototype.hasOwnProperty.call(patch, field)) continue;
    const value = (patch as Record<string, unknown>)[field];
    if (value === undefined) continue;
    if (value === null && spec[field] !== 'nullable') throw badInput(field, `${field} cannot be null: leave it out to keep it`);
    next[field] = value as T[typeof field];
    given.push(field);
  }
  return { next, given };
}

/** 16 characters of Crockford base32 (80 random bits): unguessable and easy to read out at a till. */
export function newCouponCode(): string {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  const bytes = randomBytes(16);
  let code = '';
  for (let i = 0; i < 16; i++) code += alphabet[bytes[i] & 31];
  return code.match(/.{4}/g)!.join('-');
}

/** Whether a member's spendable balance covers a reward's cost (a reward's `affordable`, as the catalogue and a read after a write give it). */
export function isAffordable(costPoints: number, balance: number): boolean {
  return costPoints <= balance;
}

/**
 * Whether a member is not to learn that the reward exists: a draft (inactive). Its catalogue
 * does not list it, so redeeming it answers as an unknown code does (NOT_FOUND), not
 * NOT_ELIGIBLE "is not active", which told a member guessing codes of unreleased offers. A
 * reward outside its window answers NOT_ELIGIBLE ("not available at this time"): a flash sale
 * is announced before it opens, and one that closed was listed before. Services and admins are
 * told why in every case.
 */
export function unreleasedFor(role: string, reward: { active: boolean }): boolean {
  return role === 'member' && !reward.active;
}
