import { badInput } from '../../common/errors';
import { localMonthBounds } from '../../common/local-time.rules';

/**
 * referralStats (issue 25): what each figure counts over a period [from, to). Every figure is
 * an event dated inside the period, so periods add up (twelve months give the year):
 * - registered: referral rows created in the period (a referee registered with a code), whatever
 *   became of them (pending, completed, rejected, reversed);
 * - completed: referrals whose completion (the referee's first purchase) is dated in the period,
 *   including those reversed since (their reversal is counted, in its own period, by `reversed`);
 * - rejected: REJECTED referrals, dated by their rejection (rejected_at): the registration for
 *   a guard that refused it at once, the first purchase's occurredAt for one that refused it then;
 * - reversed: referrals whose reversal (a full refund within the hold) is dated in the period;
 * - pointsGiven: both sides' points of the completions in the period, less what the period's
 *   reversals took back (both sides' points less the part a side had spent already,
 *   referral.unrecovered_points): the net referral points the programme gave (negative in a
 *   period with more taken back than given);
 * - referrers: distinct referrers of the period's completions;
 * - referralsPerReferrer: completed / referrers, null when there is no referrer.
 */
export interface ReferralStatsFigures {
  registered: number;
  completed: number;
  rejected: number;
  reversed: number;
  pointsGiven: number;
  referrers: number;
  referralsPerReferrer: number | null;
}

export interface StatsPeriod { from: Date; to: Date }

/** The period asked: both instants valid and `to` after `from`, else BAD_USER_INPUT (on `to`, or on the bad one). */
export function statsPeriod(from: Date, to: Date): StatsPeriod {
  if (Number.isNaN(from.getTime())) throw badInput('from', 'from must be a valid instant');
  if (Number.isNaN(to.getTime())) throw badInput('to', 'to must be a valid instant');
  if (to.getTime() <= from.getTime()) throw badInput('to', 'to must be after from');
  return { from, to };
}

export function referralsPerReferrer(completed: number, referrers: number): number | null {
  return referrers === 0 ? null : completed / referrers;
}

/** The most months referralStatsByMonth answers in one call (ten years). */
export const MAX_STATS_MONTHS = 120;

/**
 * The `months` programme-local calendar months ending with the one holding `at`, oldest first;
 * `months` from 1 to MAX_STATS_MONTHS, else BAD_USER_INPUT.
 */
export function localMonths(at: Date, timeZone: string, months: number): StatsPeriod[] {
  if (!Number.isInteger(months) || months < 1 || months > MAX_STATS_MONTHS) {
    throw badInput('months', `months must be from 1 to ${MAX_STATS_MONTHS}`);
  }
  const periods: StatsPeriod[] = [];
  let bounds = localMonthBounds(at, timeZone);
  for (let i = 0; i < months; i++) {
    periods.unshift({ from: bounds.start, to: bounds.end });
    // The instant just before this month's start lies in the month before.
    bounds = localMonthBounds(new Date(bounds.start.getTime() - 1), timeZone);
  }
  return periods;
}
