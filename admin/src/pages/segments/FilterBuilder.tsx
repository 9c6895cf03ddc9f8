import { useId, type ReactNode } from 'react';
import type { LifecycleStage, RfmSegment, SegmentsPageQuery } from '../../gql/graphql';
import { useI18n, type MessageKey } from '../../i18n';
import { RFM_LABEL, STAGE_LABEL } from '../../i18n/enums';
import { startOfLocalDay } from '../../../../src/common/local-time.rules';
import { useFormField } from '../../ui/Form';
import { keptInstant, type DateField, type Draft, type NumberField, type TagRule } from './filter';

/**
 * The segment filter builder: one control per SegmentFilterInput field, grouped. It is live
 * (every change is previewed by the page, debounced), so it has no submit button; the
 * server's message about a field (extensions.field) is shown under that field's control,
 * which is marked invalid. A saved date condition at a time other than its day's midnight shows
 * its day with a note giving the time, and keeps that instant until the day is changed.
 */
export interface FilterBuilderProps {
  draft: Draft;
  onChange: (draft: Draft) => void;
  tiers: SegmentsPageQuery['tiers'];
  tags: SegmentsPageQuery['tags'];
  /** Values seen in the members' profiles (region, channel, gender): the pickers' options. */
  values: { genders: string[]; regions: string[]; channels: string[] };
  /** Field name → the server's message. */
  errors: Record<string, string>;
  genderLabel: (value: string) => string;
  /** The programme's time zone (program.timeZone): the dates are its days. */
  zone: string;
}

const STAGES = Object.keys(STAGE_LABEL) as LifecycleStage[];
const RFM_SEGMENTS = Object.keys(RFM_LABEL) as RfmSegment[];

export function FilterBuilder({ draft, onChange, tiers, tags, values, errors, genderLabel, zone }: FilterBuilderProps) {
  const { t, language } = useI18n();
  // The tag conditions' messages are shown below their pickers (a form around the builder leaves them out of its alert).
  useFormField('tagsAll');
  useFormField('tagsAny');
  useFormField('tagsNone');
  const update = (patch: Partial<Draft>) => onChange({ ...draft, ...patch });
  const number = (field: NumberField, value: string) => update({ numbers: { ...draft.numbers, [field]: value } });
  const date = (field: DateField, value: string) => update({ dates: { ...draft.dates, [field]: value } });
  const monthName = new Intl.DateTimeFormat(language, { month: 'short', timeZone: 'UTC' });
  const numberInput = (field: NumberField, label: MessageKey, props: { min?: number; max?: number; step?: number | 'any' } = {}) => (
    <Control name={field} label={t(label)} error={errors[field]}>
      {(p) => <input type="number" inputMode="decimal" {...p} {...props} value={draft.numbers[field]} onChange={(e) => number(field, e.target.value)} />}
    </Control>
  );
  const timeOfDay = new Intl.DateTimeFormat(language, { timeStyle: 'short', timeZone: zone });
  // A saved instant that is not its day's midnight, while that day is the one shown: the time it holds.
  const heldTime = (field: DateField) => {
    const instant = keptInstant(draft, field);
    if (!instant || new Date(instant).getTime() === startOfLocalDay(draft.dates[field], zone).getTime()) return undefined;
    return t('segments.dates.heldTime', { time: timeOfDay.format(new Date(instant)) });
  };
  const dateInput = (field: DateField, label: MessageKey) => (
    <Control name={field} label={t(label)} error={errors[field]} hint={heldTime(field)}>
      {(p) => <input type="date" {...p} value={draft.dates[field]} onChange={(e) => date(field, e.target.value)} />}
    </Control>
  );
  return (
    <div className="filter-builder" data-testid="filter-builder">
      <fieldset className="filter-group">
        <legend>{t('segments.group.membership')}</legend>
        <CheckGroup
          name="tierCodes" legend={t('segments.field.tiers')} error={errors.tierCodes}
          options={[...tiers].sort((a, b) => a.rank - b.rank).map((tier) => ({ value: tier.code, label: tier.name }))}
          selected={draft.tierCodes} onChange={(tierCodes) => update({ tierCodes })}
        />
        <CheckGroup
          name="stages" legend={t('segments.field.stages')} error={errors.stages}
          options={STAGES.map((s) => ({ value: s, label: t(STAGE_LABEL[s]) }))}
          selected={draft.stages} onChange={(stages) => update({ stages: stages as LifecycleStage[] })}
        />
      </fieldset>

      <fieldset className="filter-group">
        <legend>{t('segments.group.rfm')}</legend>
        <CheckGroup
          name="rfmSegments" legend={t('segments.field.rfmSegments')} error={errors.rfmSegments}
          options={RFM_SEGMENTS.map((s) => ({ value: s, label: t(RFM_LABEL[s]) }))}
          selected={draft.rfmSegments} onChange={(rfmSegments) => update({ rfmSegments: rfmSegments as RfmSegment[] })}
        />
        <div className="filter-row filter-row-3">
          {numberInput('minR', 'segments.field.minR', { min: 1, max: 5, step: 1 })}
          {numberInput('minF', 'segments.field.minF', { min: 1, max: 5, step: 1 })}
          {numberInput('minM', 'segments.field.minM', { min: 1, max: 5, step: 1 })}
        </div>
      </fieldset>

      <fieldset className="filter-group">
        <legend>{t('segments.group.tags')}</legend>
        {tags.length === 0 ? <p className="empty">{t('segments.tags.none')}</p> : null}
        <div className="filter-tags">
          {tags.map((tag) => (
            <Control key={tag.code} name={`tag-${tag.code}`} label={tag.name} error={undefined}>
              {(p) => (
                <select {...p} value={draft.tags[tag.code] ?? ''} onChange={(e) => {
                  const next = { ...draft.tags };
                  if (e.target.value) next[tag.code] = e.target.value as TagRule;
                  else delete next[tag.code];
                  update({ tags: next });
                }}>
                  <option value="">{t('segments.tags.ignore')}</option>
                  <option value="all">{t('segments.tags.all')}</option>
                  <option value="any">{t('segments.tags.any')}</option>
                  <option value="none">{t('segments.tags.without')}</option>
                </select>
              )}
            </Control>
          ))}
        </div>
        {['tagsAll', 'tagsAny', 'tagsNone'].map((f) => (errors[f] ? <p key={f} className="field-error" role="alert">{errors[f]}</p> : null))}
        <p className="field-hint">{t('segments.tags.hint')}</p>
      </fieldset>

      <fieldset className="filter-group">
        <legend>{t('segments.group.points')}</legend>
        <div className="filter-row">
          {numberInput('minBalance', 'segments.field.minBalance', { step: 1 })}
          {numberInput('maxBalance', 'segments.field.maxBalance', { step: 1 })}
        </div>
        <div className="filter-row">
          {numberInput('minSpend', 'segments.field.minSpend', { step: 'any' })}
          {numberInput('maxSpend', 'segments.field.maxSpend', { step: 'any' })}
        </div>
        <p className="field-hint">{t('segments.spend.hint')}</p>
      </fieldset>

      <fieldset className="filter-group">
        <legend>{t('segments.group.dates')}</legend>
        <div className="filter-row">
          {dateInput('joinedFrom', 'segments.field.joinedFrom')}
          {dateInput('joinedTo', 'segments.field.joinedTo')}
        </div>
        <div className="filter-row">
          {dateInput('lastPurchaseFrom', 'segments.field.lastPurchaseFrom')}
          {dateInput('lastPurchaseTo', 'segments.field.lastPurchaseTo')}
        </div>
        <div className="filter-row">
          {dateInput('tierExpiresFrom', 'segments.field.tierExpiresFrom')}
          {dateInput('tierExpiresTo', 'segments.field.tierExpiresTo')}
        </div>
        <p className="field-hint">{t('segments.dates.hint', { zone })}</p>
      </fieldset>

      <fieldset className="filter-group">
        <legend>{t('segments.group.profile')}</legend>
        <CheckGroup
          name="genders" legend={t('segments.field.genders')} error={errors.genders}
          options={values.genders.map((g) => ({ value: g, label: genderLabel(g) }))}
          selected={draft.genders} onChange={(genders) => update({ genders })}
        />
        <CheckGroup
          name="regions" legend={t('segments.field.regions')} error={errors.regions}
          options={values.regions.map((r) => ({ value: r, label: r }))}
          selected={draft.regions} onChange={(regions) => update({ regions })}
        />
        <CheckGroup
          name="channels" legend={t('segments.field.channels')} error={errors.channels}
          options={values.channels.map((c) => ({ value: c, label: c }))}
          selected={draft.channels} onChange={(channels) => update({ channels })}
        />
        <CheckGroup
          name="birthdayMonths" legend={t('segments.field.birthdayMonths')} error={errors.birthdayMonths}
          options={Array.from({ length: 12 }, (_, i) => ({ value: String(i + 1), label: monthName.format(new Date(Date.UTC(2000, i, 1))) }))}
          selected={draft.birthdayMonths.map(String)} onChange={(months) => update({ birthdayMonths: months.map(Number) })}
        />
      </fieldset>
    </div>
  );
}

interface ControlProps {
  name: string;
  label: string;
  error: string | undefined;
  /** A note under the control (ui/Form's Field's hint). */
  hint?: string;
  children: (props: { id: string; name: string; 'aria-invalid': boolean; 'aria-describedby'?: string }) => ReactNode;
}

/** A labelled control with the server's message under it (ui/Form's Field, for a form without a submit). */
function Control({ name, label, error, hint, children }: ControlProps) {
  const id = useId();
  useFormField(name);
  const errorId = error ? `${id}-error` : undefined;
  const hintId = hint ? `${id}-hint` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${error ? ' field-invalid' : ''}`} data-field={name}>
      <label htmlFor={id}>{label}</label>
      {children({ id, name, 'aria-invalid': Boolean(error), 'aria-describedby': describedBy })}
      {hint ? <p className="field-hint" id={hintId} data-testid={`field-hint-${name}`}>{hint}</p> : null}
      {error ? <p className="field-error" id={errorId} data-testid={`field-error-${name}`}>{error}</p> : null}
    </div>
  );
}

interface CheckGroupProps {
  name: string;
  legend: string;
  options: { value: string; label: string }[];
  selected: string[];
  onChange: (selected: string[]) => void;
  error: string | undefined;
}

/** Checkboxes for a list field (tiers, stages…): none checked is no condition. */
function CheckGroup({ name, legend, options, selected, onChange, error }: CheckGroupProps) {
  const id = useId();
  useFormField(name, options.length > 0);
  const errorId = error ? `${id}-error` : undefined;
  if (!options.length) return null;
  const toggle = (value: string, on: boolean) => onChange(on ? [...selected, value] : selected.filter((v) => v !== value));
  return (
    <fieldset className={`check-group${error ? ' field-invalid' : ''}`} data-field={name} aria-describedby={errorId}>
      <legend>{legend}</legend>
      <div className="checks">
        {options.map((o) => (
          <label key={o.value} className="check">
            <input type="checkbox" name={name} value={o.value} checked={selected.includes(o.value)} onChange={(e) => toggle(o.value, e.target.checked)} />
            {o.label}
          </label>
        ))}
      </div>
      {error ? <p className="field-error" id={errorId} data-testid={`field-error-${name}`}>{error}</p> : null}
    </fieldset>
  );
}
