import type { LifecycleStage, RfmSegment, SegmentFilterFieldsFragment, SegmentFilterInput } from '../../gql/graphql';
import { localDate, startOfLocalDay } from '../../../../src/common/local-time.rules';
import { isIntText } from '../tiers/form-values';

/**
 * The filter builder's state and the SegmentFilterInput it stands for. Numbers and dates are
 * kept as the inputs' text (an empty box is no condition); a tag is required (all), one of
 * several (any) or excluded (none). Dates are whole days of the programme's time zone
 * (`program.timeZone`, as the Dashboard's and the campaigns' days are; the server's calendar
 * code, src/common/local-time.rules.ts): `…From` is on or after that day's local midnight,
 * `…To` before it (the server's ranges are [from, to)).
 *
 * A saved filter opened in the builder goes back as it was, field by field, until the operator
 * edits that field's control (`Draft.loaded`): a date condition keeps its exact instant while its
 * day is the one shown (an instant at 16:00 is not moved to midnight), a list keeps its order and
 * an empty list stays `[]`; a field the operator edits is sent as the builder makes it (whole
 * local days, sorted lists, an empty list left out).
 */
export type TagRule = 'all' | 'any' | 'none';

export const NUMBER_FIELDS = ['minBalance', 'maxBalance', 'minSpend', 'maxSpend', 'minR', 'minF', 'minM'] as const;
export const DATE_FIELDS = ['joinedFrom', 'joinedTo', 'lastPurchaseFrom', 'lastPurchaseTo', 'tierExpiresFrom', 'tierExpiresTo'] as const;
/** The filter's whole-number fields (Int in SegmentFilterInput; the spends are decimals). */
const INT_FILTER_FIELDS = ['minBalance', 'maxBalance', 'minR', 'minF', 'minM'] as const;

/**
 * The whole-number fields typed as anything else than an Int the API takes (a fraction, a number
 * beyond 32 bits): field → `message`. Checked in the browser, before the filter is sent:
 * GraphQL's coercion refuses them with its own English message. Every builder's form (segments,
 * a campaign's audience, a tag's rule) uses it.
 */
export function filterIntErrors(d: Draft, message: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of INT_FILTER_FIELDS) {
    const text = d.numbers[f].trim();
    if (text !== '' && !isIntText(text)) out[f] = message;
  }
  return out;
}
/** Every SegmentFilterInput field the builder has a control for (the server's messages about them are shown there). */
export const FILTER_FIELDS: ReadonlySet<string> = new Set([
  ...NUMBER_FIELDS, ...DATE_FIELDS, 'tierCodes', 'stages', 'rfmSegments', 'tagsAll', 'tagsAny', 'tagsNone', 'genders', 'regions', 'channels', 'birthdayMonths',
]);
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
  /** The saved filter this draft was opened from, with the draft it opened as: what an untouched field sends back. */
  loaded?: { filter: SegmentFilterFieldsFragment; draft: Omit<Draft, 'loaded'> };
}

const LIST_FIELDS = ['tierCodes', 'stages', 'rfmSegments', 'genders', 'regions', 'channels', 'birthdayMonths'] as const;
const TAG_FIELDS = ['tagsAll', 'tagsAny', 'tagsNone'] as const;
const sameList = (a: readonly (string | number)[], b: readonly (string | number)[]) =>
  a.length === b.length && JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());
const sameTags = (a: Record<string, TagRule>, b: Record<string, TagRule>) =>
  JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

export function emptyDraft(): Draft {
  return {
    tierCodes: [], stages: [], rfmSegments: [], tags: {},
    numbers: Object.fromEntries(NUMBER_FIELDS.map((f) => [f, ''])) as Record<NumberField, string>,
    dates: Object.fromEntries(DATE_FIELDS.map((f) => [f, ''])) as Record<DateField, string>,
    genders: [], regions: [], channels: [], birthdayMonths: [],
  };
}

/**
 * The filter to send: only the conditions the draft sets, lists sorted (the same filter is the
 * same request); days start at `zone`'s midnight. A field the operator has not edited since the
 * filter was opened (`Draft.loaded`) is the saved value itself: a date's instant, a list's order.
 * Empty lists are left out (no condition either way): `toSavedFilter` puts back the saved ones.
 */
export function toFilterInput(d: Draft, zone: string): SegmentFilterInput {
  const f: SegmentFilterInput = {};
  const was = d.loaded?.filter;
  const list = <T extends string | number>(v: T[]) => (v.length ? [...v].sort() : undefined);
  const set = <K extends keyof SegmentFilterInput>(k: K, v: SegmentFilterInput[K] | undefined) => {
    if (v !== undefined) f[k] = v;
  };
  // A list as saved while it holds the same values (a non-empty one: see toSavedFilter for []).
  const kept = <K extends (typeof LIST_FIELDS)[number] | (typeof TAG_FIELDS)[number]>(k: K) => {
    const v = was?.[k];
    return v?.length ? (v as SegmentFilterInput[K]) : undefined;
  };
  for (const k of ['tierCodes', 'stages', 'rfmSegments', 'genders', 'regions', 'channels'] as const) {
    set(k, d.loaded && sameList(d[k], d.loaded.draft[k]) ? kept(k) : list(d[k]));
  }
  if (d.loaded && sameTags(d.tags, d.loaded.draft.tags)) {
    for (const k of TAG_FIELDS) set(k, kept(k));
  } else {
    const tags = (rule: TagRule) => list(Object.entries(d.tags).filter(([, r]) => r === rule).map(([code]) => code));
    set('tagsAll', tags('all'));
    set('tagsAny', tags('any'));
    set('tagsNone', tags('none'));
  }
  for (const k of NUMBER_FIELDS) {
    const text = d.numbers[k].trim();
    if (text !== '') set(k, d.loaded && text === d.loaded.draft.numbers[k] && was?.[k] != null ? was[k] : Number(text));
  }
  for (const k of DATE_FIELDS) {
    if (!d.dates[k]) continue;
    set(k, keptInstant(d, k) ?? startOfLocalDay(d.dates[k], zone).toISOString());
  }
  set('birthdayMonths', d.loaded && sameList(d.birthdayMonths, d.loaded.draft.birthdayMonths)
    ? kept('birthdayMonths')
    : d.birthdayMonths.length ? [...d.birthdayMonths].sort((a, b) => a - b) : undefined);
  return f;
}

/**
 * The filter to save: `toFilterInput` with the saved filter's empty lists (`tagsNone: []` …) put
 * back while their field is untouched, so that a filter opened and saved unchanged is the same
 * filter (an empty list is no condition on the server, as an absent one).
 */
export function toSavedFilter(d: Draft, zone: string): SegmentFilterInput {
  const f = toFilterInput(d, zone);
  const was = d.loaded?.filter;
  if (!d.loaded || !was) return f;
  for (const k of LIST_FIELDS) {
    if (Array.isArray(was[k]) && was[k].length === 0 && f[k] === undefined && d[k].length === 0) (f as Record<string, unknown>)[k] = [];
  }
  if (sameTags(d.tags, d.loaded.draft.tags)) {
    for (const k of TAG_FIELDS) if (Array.isArray(was[k]) && was[k].length === 0) f[k] = [];
  }
  return f;
}

/** The saved instant of a date condition whose day the operator has not changed (null otherwise). */
export function keptInstant(d: Draft, k: DateField): string | null {
  const was = d.loaded?.filter[k];
  return was && d.dates[k] === d.loaded?.draft.dates[k] ? String(was) : null;
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
  return { ...d, loaded: { filter: f, draft: structuredClone(d) } };
}

/** How many conditions the filter has (the builder's summary; an empty list is none). */
export function conditionCount(f: SegmentFilterInput): number {
  return Object.values(f).filter((v) => v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0)).length;
}
