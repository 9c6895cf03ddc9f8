import type { CampaignFieldsFragment, CampaignInput, CampaignTrigger } from '../../gql/graphql';
import { dayNumber, dayOfNumber, localDate, startOfLocalDay } from '../../../../src/common/local-time.rules';
import { emptyDraft, filterIntErrors, fromFilter, toFilterInput, type Draft } from '../segments/filter';
import { isIntText } from '../tiers/form-values';

/**
 * The campaign form's state (the inputs' text) and the CampaignInput it stands for. Dates are
 * whole days of the programme's time zone (`program.timeZone`, as the server's daily rules
 * count them; the same calendar code, src/common/local-time.rules.ts): the campaign starts at
 * local midnight of `startsAt` and ends at local midnight of `endsAt` (the window is
 * [startsAt, endsAt)), and so are the audience's date conditions. A campaign's stored instants need not
 * be local midnights (a script may have set 14:23): a window field whose day is still the stored
 * instant's day sends that instant unchanged (`stored`), so that a save of a running campaign does
 * not move its start (which the server refuses) and a draft's end does not move to midnight unseen;
 * a day the operator changes is sent as its local midnight. An empty box is no value (null); an empty
 * audience is every member (null). Integer fields are checked here (GraphQL would refuse a
 * fraction before the server's validation, without naming the field); the rest is the server's.
 */
export const INT_FIELDS = ['bonusPoints', 'perMemberLimit', 'budgetPoints', 'controlPercent'] as const;
export const FLOAT_FIELDS = ['minAmount', 'multiplier'] as const;
export type IntField = (typeof INT_FIELDS)[number];
export type FloatField = (typeof FLOAT_FIELDS)[number];

export interface CampaignDraft {
  code: string;
  name: string;
  trigger: CampaignTrigger;
  startsAt: string;
  endsAt: string;
  audience: Draft;
  activityKind: string;
  rewardCode: string;
  numbers: Record<IntField | FloatField, string>;
  /** The window's instants as the server stores them (an existing campaign's), kept while their day is unchanged. */
  stored: StoredWindow | null;
}

export interface StoredWindow {
  startsAt: string;
  endsAt: string | null;
}

export const TRIGGERS: CampaignTrigger[] = ['PURCHASE', 'ACTIVITY', 'REGISTRATION', 'TIER_UPGRADE', 'CHECK_IN', 'REFERRAL'];

/** Today in the programme's zone, 'YYYY-MM-DD'. */
export const today = (zone: string): string => localDate(new Date(), zone);
/** The calendar day `days` after `day` (before, when negative). */
export const daysFrom = (day: string, days: number): string => dayOfNumber(dayNumber(day) + days);
/** The instant a local day starts (its local midnight), as the API takes it. */
export const dayStart = (day: string, zone: string): string => startOfLocalDay(day, zone).toISOString();

export function newDraft(zone: string): CampaignDraft {
  return {
    code: '', name: '', trigger: 'PURCHASE', startsAt: today(zone), endsAt: '', audience: emptyDraft(), activityKind: '', rewardCode: '',
    numbers: { bonusPoints: '', perMemberLimit: '', budgetPoints: '', controlPercent: '10', minAmount: '', multiplier: '' },
    stored: null,
  };
}

const text = (x: number | null | undefined) => (x == null ? '' : String(x));

export function fromCampaign(c: CampaignFieldsFragment, zone: string): CampaignDraft {
  return {
    code: c.code, name: c.name, trigger: c.trigger,
    startsAt: localDate(new Date(c.startsAt), zone), endsAt: c.endsAt ? localDate(new Date(c.endsAt), zone) : '',
    audience: c.audience ? fromFilter(c.audience, zone) : emptyDraft(), activityKind: c.activityKind ?? '', rewardCode: c.rewardCode ?? '',
    numbers: {
      bonusPoints: text(c.bonusPoints), perMemberLimit: text(c.perMemberLimit), budgetPoints: text(c.budgetPoints),
      controlPercent: String(c.controlPercent), minAmount: text(c.minAmount), multiplier: text(c.multiplier),
    },
    stored: storedWindow(c),
  };
}

/** A campaign's window as the server stores it. */
export const storedWindow = (c: { startsAt: string; endsAt?: string | null }): StoredWindow => ({ startsAt: c.startsAt, endsAt: c.endsAt ?? null });

/** The instant to send for a window field showing `day`: the stored instant while `day` is its day, else the day's local midnight. */
export function windowInstant(day: string, stored: string | null | undefined, zone: string): string {
  return stored && localDate(new Date(stored), zone) === day ? stored : dayStart(day, zone);
}

/** Whether an instant is the start of its day in `zone` (what a day typed in the form is sent as). */
export const isLocalMidnight = (iso: string, zone: string): boolean => startOfLocalDay(localDate(new Date(iso), zone), zone).getTime() === new Date(iso).getTime();

/** Integer fields whose text is not a whole number: field → true. */
export function notIntegers(d: CampaignDraft): string[] {
  return [...INT_FIELDS.filter((f) => d.numbers[f].trim() !== '' && !isIntText(d.numbers[f])), ...Object.keys(filterIntErrors(d.audience, ''))];
}

/** The input to send. Fields the trigger does not use are left out (null). */
export function toInput(d: CampaignDraft, zone: string): CampaignInput {
  const num = (f: IntField | FloatField) => (d.numbers[f].trim() === '' ? null : Number(d.numbers[f].trim()));
  const audience = toFilterInput(d.audience, zone);
  return {
    code: d.code.trim(),
    name: d.name.trim(),
    trigger: d.trigger,
    startsAt: windowInstant(d.startsAt || today(zone), d.stored?.startsAt, zone),
    endsAt: d.endsAt ? windowInstant(d.endsAt, d.stored?.endsAt, zone) : null,
    audience: Object.keys(audience).length ? audience : null,
    activityKind: d.trigger === 'ACTIVITY' && d.activityKind.trim() ? d.activityKind.trim() : null,
    minAmount: d.trigger === 'PURCHASE' ? num('minAmount') : null,
    // a REFERRAL campaign's multiplier multiplies the referrer's referral points
    multiplier: d.trigger === 'PURCHASE' || d.trigger === 'REFERRAL' ? num('multiplier') : null,
    bonusPoints: num('bonusPoints'),
    rewardCode: d.rewardCode || null,
    perMemberLimit: num('perMemberLimit'),
    budgetPoints: num('budgetPoints'),
    controlPercent: num('controlPercent') ?? 10,
  };
}

/** An instant's time of day in the programme's zone, in the language's format (a stored window instant that is not midnight). */
export function formatTimeOfDay(language: string, iso: string, zone: string): string {
  return new Intl.DateTimeFormat(language, { timeStyle: 'short', timeZone: zone }).format(new Date(iso));
}

/** An instant (when a campaign ended) in the programme's zone: its day and time of day, in the language's format. */
export function formatInstant(language: string, iso: string, zone: string): string {
  return new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeStyle: 'short', timeZone: zone }).format(new Date(iso));
}

/** An instant's day in the programme's zone (the campaign's window) in the language's date format. */
export function formatDay(language: string, iso: string | null | undefined, zone: string): string {
  return iso ? new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeZone: zone }).format(new Date(iso)) : '—';
}

/**
 * The last day a window that ends (exclusively) at `iso` includes, in the programme's zone: the
 * day before an end at local midnight (a December campaign ends on 1 January 00:00 and reads
 * "Dec 1 – Dec 31", not "– Jan 1": staff told "until 1 January" would honour it on New Year's
 * Day), the end's own day otherwise.
 */
export function formatLastDay(language: string, iso: string | null | undefined, zone: string): string {
  return iso ? formatDay(language, new Date(Date.parse(iso) - 1).toISOString(), zone) : '—';
}
