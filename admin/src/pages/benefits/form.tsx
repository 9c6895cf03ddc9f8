import type { ReactNode } from 'react';
import type { BenefitInput } from '../../gql/graphql';
import { useI18n, type MessageKey } from '../../i18n';
import { Field } from '../../ui/Form';
import { fromZonedInput, numberOrNull, numberText, toZonedInput } from '../tiers/form-values';

/**
 * The benefit form's fields, shared by "New benefit" and a rule's edit form: the inputs' text,
 * the inputs, and the checks the console makes before sending. Times are wall-clock times of
 * the programme's time zone (`program.timeZone`, shown in the hint), whatever the browser's.
 */
export interface BenefitValues {
  name: string;
  description: string;
  kind: string;
  value: string;
  tierCodes: string[];
  requiredTags: string[];
  active: boolean;
  validFrom: string;
  validTo: string;
}

/**
 * The kinds domain.md lists ("Benefits and rewards"), as the server and the demo name them. The
 * server takes any upper-case code; these are the ones the console offers (a rule of another kind
 * keeps its own in the edit form).
 */
export const BENEFIT_KINDS = [
  'DISCOUNT', 'POINTS_MULTIPLIER', 'FREE_SHIPPING', 'BIRTHDAY_GIFT', 'MEMBER_DAY', 'EVENT_ACCESS', 'LOUNGE_ACCESS', 'FREE_PARKING', 'CUSTOM',
] as const;
type KnownKind = (typeof BENEFIT_KINDS)[number];

export const KIND_LABEL: Record<KnownKind, MessageKey> = {
  DISCOUNT: 'benefits.kind.DISCOUNT', POINTS_MULTIPLIER: 'benefits.kind.POINTS_MULTIPLIER', FREE_SHIPPING: 'benefits.kind.FREE_SHIPPING',
  BIRTHDAY_GIFT: 'benefits.kind.BIRTHDAY_GIFT', MEMBER_DAY: 'benefits.kind.MEMBER_DAY', EVENT_ACCESS: 'benefits.kind.EVENT_ACCESS',
  LOUNGE_ACCESS: 'benefits.kind.LOUNGE_ACCESS', FREE_PARKING: 'benefits.kind.FREE_PARKING', CUSTOM: 'benefits.kind.CUSTOM',
};

/**
 * What the value means for each kind that takes one (benefits.service.ts checks it): a discount's
 * percentage, the multiplier bonus, the birthday gift's points; a custom rule's is free. The other
 * kinds are a perk with no amount: their value is none.
 */
const VALUE_HINT: Partial<Record<KnownKind, MessageKey>> = {
  DISCOUNT: 'benefits.valueHint.DISCOUNT', POINTS_MULTIPLIER: 'benefits.valueHint.POINTS_MULTIPLIER',
  BIRTHDAY_GIFT: 'benefits.valueHint.BIRTHDAY_GIFT', CUSTOM: 'benefits.valueHint.CUSTOM',
};

const isKnown = (kind: string): kind is KnownKind => (BENEFIT_KINDS as readonly string[]).includes(kind);

/** A kind as the operator reads it: the label of a known kind in the console's language, another kind's own code. */
export function kindLabel(kind: string, t: (key: MessageKey) => string): string {
  return isKnown(kind) ? t(KIND_LABEL[kind]) : kind;
}

/** Whether a kind takes a value: the known kinds with no amount do not; an unknown kind may. */
export function kindTakesValue(kind: string): boolean {
  return !isKnown(kind) || kind in VALUE_HINT;
}

export function emptyValues(): BenefitValues {
  return { name: '', description: '', kind: 'DISCOUNT', value: '', tierCodes: [], requiredTags: [], active: true, validFrom: '', validTo: '' };
}

type Rule = Omit<BenefitInput, 'code'>;

export function valuesOf(b: Rule, zone: string): BenefitValues {
  return {
    name: b.name, description: b.description ?? '', kind: b.kind, value: numberText(b.value), tierCodes: [...b.tierCodes],
    requiredTags: [...(b.requiredTags ?? [])], active: b.active ?? true, validFrom: toZonedInput(b.validFrom, zone),
    validTo: toZonedInput(b.validTo, zone),
  };
}

/** The rule the values stand for, or the fields the console itself refuses (not a number, not a date). */
export function ruleOf(v: BenefitValues, zone: string, t: (key: MessageKey) => string): { rule: Rule } | { invalid: Record<string, string> } {
  const invalid: Record<string, string> = {};
  const value = kindTakesValue(v.kind.trim()) ? numberOrNull(v.value) : null;
  if (Number.isNaN(value)) invalid.value = t('form.notANumber');
  const instant = (f: 'validFrom' | 'validTo') => {
    const at = fromZonedInput(v[f], zone);
    if (at === false) invalid[f] = t('form.notADate');
    return at || null;
  };
  const rule: Rule = {
    name: v.name.trim(), description: v.description.trim() || null, kind: v.kind.trim(), value, tierCodes: v.tierCodes,
    requiredTags: v.requiredTags, active: v.active, validFrom: instant('validFrom'), validTo: instant('validTo'),
  };
  return Object.keys(invalid).length ? { invalid } : { rule };
}

function selected(e: React.ChangeEvent<HTMLSelectElement>): string[] {
  return [...e.target.selectedOptions].map((o) => o.value);
}

interface FieldsProps {
  values: BenefitValues;
  set: <K extends keyof BenefitValues>(key: K, value: BenefitValues[K]) => void;
  tiers: readonly { code: string; name: string; rank: number }[];
  tags: readonly { code: string; name: string }[];
  zone: string;
  /** "New benefit" puts its code field first. */
  before?: ReactNode;
}

/** The rule's fields inside a <Form>: name, description, kind and value, tiers and tags, schedule, active. */
export function BenefitFormFields({ values, set, tiers, tags, zone, before }: FieldsProps) {
  const { t } = useI18n();
  const sortedTiers = [...tiers].sort((a, b) => a.rank - b.rank);
  const kind = values.kind;
  const valueHint = isKnown(kind) ? VALUE_HINT[kind] : undefined;
  return (
    <>
      {before}
      <Field name="name" label={t('benefits.field.name')} required>
        {(p) => <input {...p} value={values.name} onChange={(e) => set('name', e.target.value)} />}
      </Field>
      <Field name="description" label={t('benefits.field.description')}>
        {(p) => <input {...p} value={values.description} onChange={(e) => set('description', e.target.value)} />}
      </Field>
      <div className="field-row">
        <Field name="kind" label={t('benefits.field.kind')} required>
          {(p) => (
            <select {...p} value={kind} onChange={(e) => set('kind', e.target.value)}>
              {isKnown(kind) ? null : <option value={kind}>{kind}</option>}
              {BENEFIT_KINDS.map((k) => <option key={k} value={k}>{t(KIND_LABEL[k])}</option>)}
            </select>
          )}
        </Field>
        {kindTakesValue(kind) ? (
          <Field name="value" label={t('benefits.field.value')} hint={valueHint ? t(valueHint) : undefined} required={kind === 'POINTS_MULTIPLIER'}>
            {(p) => <input {...p} inputMode="decimal" value={values.value} onChange={(e) => set('value', e.target.value)} />}
          </Field>
        ) : null}
      </div>
      <div className="field-row">
        <Field name="tierCodes" label={t('benefits.field.tierCodes')} hint={t('benefits.edit.tiersHint')}>
          {(p) => (
            <select {...p} multiple size={Math.min(5, Math.max(2, tiers.length))} value={values.tierCodes} onChange={(e) => set('tierCodes', selected(e))}>
              {sortedTiers.map((x) => <option key={x.code} value={x.code}>{x.name}</option>)}
            </select>
          )}
        </Field>
        <Field name="requiredTags" label={t('benefits.field.requiredTags')} hint={t('benefits.edit.tagsHint')}>
          {(p) => (
            <select {...p} multiple size={Math.min(5, Math.max(2, tags.length))} value={values.requiredTags} onChange={(e) => set('requiredTags', selected(e))}>
              {tags.map((x) => <option key={x.code} value={x.code}>{x.name}</option>)}
            </select>
          )}
        </Field>
      </div>
      <fieldset className="schedule">
        <legend>{t('benefits.edit.schedule')}</legend>
        <div className="field-row">
          <Field name="validFrom" label={t('benefits.field.validFrom')} hint={t('benefits.edit.fromHint', { zone })}>
            {(p) => <input {...p} type="datetime-local" value={values.validFrom} onChange={(e) => set('validFrom', e.target.value)} />}
          </Field>
          <Field name="validTo" label={t('benefits.field.validTo')} hint={t('benefits.edit.toHint', { zone })}>
            {(p) => <input {...p} type="datetime-local" value={values.validTo} onChange={(e) => set('validTo', e.target.value)} />}
          </Field>
        </div>
      </fieldset>
      <label className="checkbox">
        <input type="checkbox" checked={values.active} onChange={(e) => set('active', e.target.checked)} name="active" />
        {t('benefits.field.active')}
      </label>
    </>
  );
}
