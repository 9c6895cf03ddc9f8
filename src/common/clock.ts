import { badInput } from './errors';

/** A write may be backdated freely but not dated in the future beyond clock skew. */
export const MAX_FUTURE_SKEW_MS = 5 * 60 * 1000;

export function resolveOccurredAt(value: Date | null | undefined, now = new Date()): Date {
  if (value == null) return now;
  if (Number.isNaN(value.getTime())) throw badInput('occurredAt', 'occurredAt is not a valid date');
  if (value.getTime() - now.getTime() > MAX_FUTURE_SKEW_MS) {
    throw badInput('occurredAt', 'occurredAt is more than 5 minutes in the future');
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
