import { useEffect, useMemo, useRef, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import type { EngagementSettingsFragment, ProgramInput } from '../../gql/graphql';
import { toOperationError, type OperationError } from '../../graphql/errors';
import { useI18n, type MessageKey } from '../../i18n';
import { Field, Form } from '../../ui/Form';
import { Page, Section } from '../../ui/Page';
import { intOrNull, numberText } from '../tiers/form-values';
import { ActivityRules } from './activities';
import { ProgrammePageQuery, UpdateEngagementMutation } from './operations';
import { knownZone, timeZones } from './time-zones';
import './programme.css';

type NumberSetting = 'referrerPoints' | 'refereePoints' | 'referralHoldDays' | 'referralMonthlyLimit';
const NUMBER_SETTINGS: NumberSetting[] = ['referrerPoints', 'refereePoints', 'referralHoldDays', 'referralMonthlyLimit'];
const LABEL: Record<NumberSetting, MessageKey> = {
  referrerPoints: 'programme.referrerPoints', refereePoints: 'programme.refereePoints',
  referralHoldDays: 'programme.referralHoldDays', referralMonthlyLimit: 'programme.referralMonthlyLimit',
};
const HINT: Record<NumberSetting, MessageKey> = {
  referrerPoints: 'programme.hint.referrerPoints', refereePoints: 'programme.hint.refereePoints',
  referralHoldDays: 'programme.hint.referralHoldDays', referralMonthlyLimit: 'programme.hint.referralMonthlyLimit',
};

/**
 * The programme's engagement settings (issue 25): its time zone (the calendar of every "day"
 * and "month"), the referral rewards, hold and monthly limit, and the check-in points by streak
 * day; and the activity rules (activities.tsx), what each engagement activity earns. One request
 * (ProgrammePage); a save (updateProgram, only the fields changed) is the second.
 */
export default function ProgrammePage() {
  const { t } = useI18n();
  // An empty list of rules names no type: the first rule saved still re-reads the page (urql's document cache).
  const context = useMemo(() => ({ additionalTypenames: ['ActivityRule'] }), []);
  const [result, refetch] = useQuery({ query: ProgrammePageQuery, context });
  const [saved, setSaved] = useState(false);
  const program = result.data?.program;
  return (
    <Page title={t('programme.title')} subtitle={t('programme.subtitle')} loading={result.fetching && !result.data}
      error={toOperationError(result.error)} onRetry={() => refetch({ requestPolicy: 'network-only' })}>
      {saved ? <p className="programme-notice" role="status" data-testid="saved">{t('programme.saved')}</p> : null}
      {program ? (
        <EngagementForm program={program} onSaved={() => setSaved(true)} onChange={() => setSaved(false)} />
      ) : null}
      {result.data ? <ActivityRules rules={result.data.activityRules} /> : null}
    </Page>
  );
}

/** What the operator changed and has not seen saved yet; a setting not in it shows the server's value. */
interface Edits {
  zone?: string;
  values: Partial<Record<NumberSetting, string>>;
  days?: string[];
}

/**
 * The edits that still differ from what the server holds (those saved, here or by a colleague, are
 * done). When the server's values come, an edit equal in value goes ("07" saved as 7); as the
 * operator types, only one spelled as shown goes (typing "1.50" on the way to "1.505" stays).
 */
function stillEdited(edits: Edits, program: EngagementSettingsFragment, zones: string[], asTyped = false): Edits {
  const same = (f: NumberSetting, v: string) => (asTyped ? v === numberText(program[f]) : intOrNull(v) === program[f]);
  const days = program.checkInPoints.join(',');
  return {
    values: Object.fromEntries(Object.entries(edits.values).filter(([f, v]) => !same(f as NumberSetting, v))),
    zone: edits.zone !== undefined && (asTyped ? edits.zone : knownZone(edits.zone, zones)) !== program.timeZone ? edits.zone : undefined,
    days: edits.days && (asTyped ? edits.days : edits.days.map(intOrNull)).join(',') !== days ? edits.days : undefined,
  };
}

/**
 * The settings as the server has them, with the operator's changes over them. The form is not
 * rebuilt when the server's answer comes: a change typed while a save was on its way stays (and
 * keeps the cursor), to be saved next; a setting the save stored, or one the operator did not
 * touch, shows what the server now holds.
 */
function EngagementForm({ program, onSaved, onChange }: { program: EngagementSettingsFragment; onSaved: () => void; onChange: () => void }) {
  const { t } = useI18n();
  const zones = useMemo(timeZones, []);
  const [edits, setEdits] = useState<Edits>({ values: {} });
  useEffect(() => setEdits((e) => stillEdited(e, program, zones)), [program, zones]);
  const zone = edits.zone ?? program.timeZone;
  const values = Object.fromEntries(NUMBER_SETTINGS.map((f) => [f, edits.values[f] ?? numberText(program[f])])) as Record<NumberSetting, string>;
  const days = edits.days ?? program.checkInPoints.map(String);
  const [error, setError] = useState<OperationError | null>(null);
  const [{ fetching }, update] = useMutation(UpdateEngagementMutation);
  // The operator's changes, counted: a save's answer says "saved" only if none came while it was on its way.
  const changes = useRef(0);
  // An edit back to the server's value is no edit (a colleague's later change then shows, and is not sent back).
  const edit = (change: (e: Edits) => Edits) => {
    changes.current += 1;
    setEdits((e) => stillEdited(change(e), program, zones, true));
    onChange();
  };
  const submit = async () => {
    const input: ProgramInput = {};
    const invalid: Record<string, string> = {};
    const chosen = knownZone(zone, zones);
    if (!chosen) invalid.timeZone = t('programme.unknownZone');
    else if (chosen !== program.timeZone) input.timeZone = chosen;
    for (const f of NUMBER_SETTINGS) {
      if (values[f].trim() === numberText(program[f])) continue;
      const n = intOrNull(values[f]);
      if (n === null || Number.isNaN(n)) invalid[f] = t('form.notAWholeNumber');
      else input[f] = n;
    }
    const points = days.map(intOrNull);
    if (points.some((n) => n === null || Number.isNaN(n))) invalid.checkInPoints = t('programme.checkIn.invalid');
    else if (points.join(',') !== program.checkInPoints.join(',')) input.checkInPoints = points as number[];
    if (Object.keys(invalid).length) return setError({ code: 'BAD_USER_INPUT', fields: invalid, general: [] });
    if (!Object.keys(input).length) return setError({ code: 'BAD_USER_INPUT', fields: {}, general: [t('programme.nothing')] });
    const sentAfter = changes.current;
    const failed = toOperationError((await update({ input })).error);
    setError(failed);
    if (!failed && changes.current === sentAfter) onSaved();
  };
  return (
    <Form onSubmit={submit} error={error} busy={fetching} submitLabel={t('common.save')} label={t('programme.form')}>
      <Section title={t('programme.calendar')} id="calendar">
        <Field name="timeZone" label={t('programme.timeZone')} hint={t('programme.hint.timeZone')}>
          {(p) => (
            <>
              <input {...p} list="time-zones" autoComplete="off" spellCheck={false} value={zone} onChange={(e) => edit((x) => ({ ...x, zone: e.target.value }))} />
              <datalist id="time-zones">{zones.map((z) => <option key={z} value={z} />)}</datalist>
            </>
          )}
        </Field>
      </Section>
      <Section title={t('programme.referrals')} id="referrals">
        <div className="programme-grid">
          {NUMBER_SETTINGS.map((f) => (
            <Field key={f} name={f} label={t(LABEL[f])} hint={t(HINT[f])}>
              {(p) => <input {...p} inputMode="numeric" value={values[f]} onChange={(e) => edit((x) => ({ ...x, values: { ...x.values, [f]: e.target.value } }))} />}
            </Field>
          ))}
        </div>
      </Section>
      <Section title={t('programme.checkIn')} id="check-in">
        <CheckInPoints days={days} onChange={(next) => edit((x) => ({ ...x, days: next }))} />
      </Section>
    </Form>
  );
}

/** The points of each streak day; the last repeats; none = check-in off. */
function CheckInPoints({ days, onChange }: { days: string[]; onChange: (days: string[]) => void }) {
  const { t } = useI18n();
  return (
    <Field name="checkInPoints" label={t('programme.checkIn.points')} hint={t(days.length ? 'programme.checkIn.hint' : 'programme.checkIn.off')}>
      {(p) => (
        <div id={p.id} role="group" aria-label={t('programme.checkIn.points')} aria-describedby={p['aria-describedby']} aria-invalid={p['aria-invalid']} tabIndex={-1}>
          <ol className="check-in-days" data-testid="check-in-days">
            {days.map((d, i) => (
              <li key={i}>
                <input aria-label={t('programme.checkIn.day', { day: i + 1 })} inputMode="numeric" value={d}
                  onChange={(e) => onChange(days.map((x, j) => (j === i ? e.target.value : x)))} />
                <button type="button" className="small" aria-label={t('programme.checkIn.remove', { day: i + 1 })}
                  onClick={() => onChange(days.filter((_, j) => j !== i))}>×</button>
              </li>
            ))}
          </ol>
          <button type="button" className="small" onClick={() => onChange([...days, days.at(-1) ?? '10'])}>{t('programme.checkIn.add')}</button>
        </div>
      )}
    </Field>
  );
}
