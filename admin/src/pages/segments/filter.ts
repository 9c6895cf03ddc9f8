import type { LifecycleStage, RfmSegment, SegmentFilterFieldsFragment, SegmentFilterInput } from '../../gql/graphql';
import { localDate, startOfLocalDay } from '../../../../src/common/local-time.rules';

/**
 * The filter builder's state and the SegmentFilterInput it stands for. Numbers and dates are
 * kept as the inputs' text (an empty box is no condition); a tag is required (all), one of
 * several (any) or excluded (none). Dates are whole days of the programme's time zone
 * (`program.timeZone`, as the Dashboard's and the campaigns' days are; the server's calendar
 * code, src/common/local-time.rules.ts): `…From` is on or after that day's local midnight,
 * `…To` before it (the server's ranges are [from, to)).
 */
export type TagRule = 'all' | 'any' | 'none';

export const NUMBER_FIELDS = ['minBalance', 'maxBalance', 'minSpend', 'maxSpend', 'minR', 'minF', 'minM'] as const;
export const DATE_FIELDS = ['joinedFrom', 'joinedTo', 'lastPurchaseFrom', 'lastPurchaseTo', 'tierExpiresFrom', 'tierExpiresTo'] as const;
export type NumberField = (typeof NUMBER_FIELDS)[number];
export type DateField = (typeof DATE_FIELDS)[number];

export interface Draft {
  tierCodes: string[];
  stages: LifecycleStage[];
  rfmSegments: RfmSegment[];
  tags: Record<string, TagRule>;
  numbers: Record<NumberField, string>;
  dates: Record<DateField, string>;
  genders: string[];
  regions: string[];
  channels: string[];
  birthdayMonths: number[];
}

export function emptyDraft(): Draft {
  return {
    tierCodes: [], stages: [], rfmSegments: [], tags: {},
    numbers: Object.fromEntries(NUMBER_FIELDS.map((f) => [f, ''])) as Record<NumberField, string>,
    dates: Object.fromEntries(DATE_FIELDS.map((f) => [f, ''])) as Record<DateField, string>,
    genders: [], regions: [], channels: [], birthdayMonths: [],
  };
}

/** The filter to send: only the conditions the draft sets, lists sorted (the same filter is the same request); days start at `zone`'s midnight. */
export function toFilterInput(d: Draft, zone: string): SegmentFilterInput {
  const f: SegmentFilterInput = {};
  const list = <T extends string | number>(v: T[]) => (v.length ? [...v].sort() : undefined);
  const set = <K extends keyof SegmentFilterInput>(k: K, v: SegmentFilterInput[K] | undefined) => {
    if (v !== undefined) f[k] = v;
  };
  set('tierCodes', list(d.tierCodes));
  set('stages', list(d.stages));
  set('rfmSegments', list(d.rfmSegments));
  const tags = (rule: TagRule) => list(Object.entries(d.tags).filter(([, r]) => r === rule).map(([code]) => code));
  set('tagsAll', tags('all'));
  set('tagsAny', tags('any'));
  set('tagsNone', tags('none'));
  for (const k of NUMBER_FIELDS) {
    const text = d.numbers[k].trim();
    if (text !== '') set(k, Number(text));
  }
  for (const k of DATE_FIELDS) {
    if (d.dates[k]) set(k, startOfLocalDay(d.dates[k], zone).toISOString());
  }
  set('genders', list(d.genders));
  set('regions', list(d.regions));
  set('channels', list(d.channels));
  set('birthdayMonths', d.birthdayMonths.length ? [...d.birthdayMonths].sort((a, b) => a - b) : undefined);
  return f;
}

/** A saved segment's filter, back in the builder (its instants as `zone`'s days). */
export function fromFilter(f: SegmentFilterFieldsFragment, zone: string): Draft {
  const d = emptyDraft();
  d.tierCodes = f.tierCodes ?? [];
  d.stages = f.stages ?? [];
  d.rfmSegments = f.rfmSegments ?? [];
  for (const code of f.tagsAny ?? []) d.tags[code] = 'any';
  for (const code of f.tagsNone ?? []) d.tags[code] = 'none';
  for (const code of f.tagsAll ?? []) d.tags[code] = 'all';
  for (const k of NUMBER_FIELDS) d.numbers[k] = f[k] == null ? '' : String(f[k]);
  for (const k of DATE_FIELDS) d.dates[k] = f[k] ? localDate(new Date(f[k]), zone) : '';
  d.genders = f.genders ?? [];
  d.regions = f.regions ?? [];
  d.channels = f.channels ?? [];
  d.birthdayMonths = f.birthdayMonths ?? [];
  return d;
}

/** How many conditions the filter has (the builder's summary). */
export function conditionCount(f: SegmentFilterInput): number {
  return Object.values(f).filter((v) => v !== undefined && v !== null).length;
}
