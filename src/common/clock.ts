import type { Actor } from '../modules/actor';
import { badInput } from './errors';

/** A write may be backdated freely but not dated in the future beyond clock skew. */
export const MAX_FUTURE_SKEW_MS = 5 * 60 * 1000;

/**
 * The instants any input may name (domain.md, "Who may say when"): nothing before the epoch
 * (calendar code maps years 0–99 to 1900–1999 through Date.UTC, so year 1 became 1903), and
 * nothing past year 9999 (the last year ISO-8601's four digits write).
 */
export const MIN_INSTANT = new Date('1970-01-01T00:00:00.000Z');
export const MAX_INSTANT = new Date('9999-12-31T23:59:59.999Z');

/** BAD_USER_INPUT naming `field` unless `value` is a real instant within [MIN_INSTANT, MAX_INSTANT]. */
export function assertInstant(value: Date, field: string): Date {
  const t = value.getTime();
  if (Number.isNaN(t)) throw badInput(field, `${field} is not a valid date`);
  if (t < MIN_INSTANT.getTime()) throw badInput(field, `${field} must not be before 1970-01-01`);
  if (t > MAX_INSTANT.getTime()) throw badInput(field, `${field} must not be after 9999-12-31`);
  return value;
}

/**
 * When a write happened: the server's clock unless the caller dates it. Only service and
 * admin callers may (tills syncing offline, imports); a member's writes happen now, or a
 * member would redeem from a window that has closed or spend points that have expired.
 * A date is refused before the epoch and beyond the clock skew, for every caller.
 */
export function resolveOccurredAt(caller: Pick<Actor, 'role'>, value: Date | null | undefined, now = new Date(), field = 'occurredAt'): Date {
  if (value == null) return now;
  if (caller.role === 'member') throw badInput(field, `${field} is set by the server for a member's own writes: leave it out`);
  assertInstant(value, field);
  if (value.getTime() - now.getTime() > MAX_FUTURE_SKEW_MS) {
    throw badInput(field, `${field} is more than 5 minutes in the future`);
  }
  return value;
}

/**
 * The instant a job is run as of (an admin's runTierReview, expirePoints, sendTierNotices,
 * refreshRetention, grantBirthdayGifts, reevaluateCampaigns): any past instant from 1970 on (a
 * job run late decides as on time), but not beyond the clock skew: a run as of a day to come
 * would expire points before they are due, downgrade members ahead of their expiry and leave a
 * watermark that expires new earnings as they arrive (domain.md, "Who may say when": no
 * instant beyond the allowed clock skew is accepted from anyone).
 */
export function resolveJobAsOf(value: Date, now = new Date(), field = 'asOf'): Date {
  assertInstant(value, field);
  if (value.getTime() - now.getTime() > MAX_FUTURE_SKEW_MS) {
    throw badInput(field, `${field} is more than 5 minutes in the future: a job runs as of a time that has come`);
  }
  return value;
}

/**
 * The server's "now" for what a request reads as in force now (benefits, rewards, balances,
 * tier progress) and for token expiry. Production uses the system clock; tests pass their own
 * to startApp (options.clock) to move time instead of sleeping through it.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
