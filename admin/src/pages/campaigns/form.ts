import type { CampaignFieldsFragment, CampaignInput, CampaignTrigger } from '../../gql/graphql';
import { dayNumber, dayOfNumber, localDate, startOfLocalDay } from '../../../../src/common/local-time.rules';
import { emptyDraft, fromFilter, toFilterInput, type Draft } from '../segments/filter';

/**
 * The campaign form's state (the inputs' text) and the CampaignInput it stands for. Dates are
 * whole days of the programme's time zone (`program.timeZone`, as the server's daily rules
 * count them; the same calendar code, src/common/local-time.rules.ts): the campaign starts at
 * local midnight of `startsAt` and ends at local midnight of `endsAt` (the window is
 * [startsAt, endsAt)), and so are the audience's date conditions. An empty box is no value (null); an empty
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
  };
}

/** Integer fields whose text is not a whole number: field → true. */
export function notIntegers(d: CampaignDraft): IntField[] {
  return INT_FIELDS.filter((f) => d.numbers[f].trim() !== '' && !/^-?\d+$/.test(d.numbers[f].trim()));
}

/** The input to send. Fields the trigger does not use are left out (null). */
export function toInput(d: CampaignDraft, zone: string): CampaignInput {
  const num = (f: IntField | FloatField) => (d.numbers[f].trim() === '' ? null : Number(d.numbers[f].trim()));
  const audience = toFilterInput(d.audience, zone);
  return {
    code: d.code.trim(),
    name: d.name.trim(),
    trigger: d.trigger,
    startsAt: dayStart(d.startsAt || today(zone), zone),
    endsAt: d.endsAt ? dayStart(d.endsAt, zone) : null,
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

/** An instant's day in the programme's zone (the campaign's window) in the language's date format. */
export function formatDay(language: string, iso: string | null | undefined, zone: string): string {
  return iso ? new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeZone: zone }).format(new Date(iso)) : '—';
}
