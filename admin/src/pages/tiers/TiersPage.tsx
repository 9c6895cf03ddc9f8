import { useEffect, useRef, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import type { DowngradePolicy, ProgramInput, ProgramSettingsFragment, TiersPageQuery } from '../../gql/graphql';
import { toOperationError, type OperationError } from '../../graphql/errors';
import { useI18n, type MessageKey } from '../../i18n';
import { Field, Form } from '../../ui/Form';
import { Modal } from '../../ui/Modal';
import { Empty, Page, Section } from '../../ui/Page';
import { useEditing } from '../../ui/useEditing';
import { intOrNull, numberOrNull, numberText } from './form-values';
import { TiersPageQuery as PageQuery, UpdateProgramMutation, UpsertTierMutation } from './operations';
import './tiers.css';

type Tier = TiersPageQuery['tiers'][number];

/**
 * Tiers: the ladder (each tier's thresholds, multiplier, members and benefits) and the
 * programme's settings, both edited here; the server checks the whole ladder and each setting,
 * and its message is shown next to the field it names. One request (TiersPage); a save is the second.
 */
export default function TiersPage() {
  const { t } = useI18n();
  const [result, refetch] = useQuery({ query: PageQuery });
  const { editing, opening, show, hide, hideIf } = useEditing<Tier | 'new'>();
  const [notice, setNotice] = useState<string | null>(null);
  const data = result.data;
  const reload = () => refetch({ requestPolicy: 'network-only' });
  const ladder = data ? [...data.tiers].sort((a, b) => a.rank - b.rank) : [];
  return (
    <Page
      title={t('tiers.title')}
      subtitle={t('tiers.subtitle')}
      loading={result.fetching && !data}
      error={toOperationError(result.error)}
      onRetry={reload}
      toolbar={data ? <button type="button" className="primary" onClick={() => show('new')}>{t('tiers.add')}</button> : null}
    >
      {notice ? <p className="notice" role="status" data-testid="saved">{notice}</p> : null}
      {data ? (
        <>
          <Section title={t('tiers.ladder')} id="ladder">
            {!ladder.length ? <Empty>{t('tiers.none')}</Empty> : (
              <div className="table-wrap">
                <table className="table" data-testid="ladder">
                  <caption className="visually-hidden">{t('tiers.ladder')}</caption>
                  <thead>
                    <tr>
                      <th scope="col" className="num">{t('tiers.field.rank')}</th>
                      <th scope="col">{t('tiers.field.name')}</th>
                      <th scope="col">{t('tiers.field.code')}</th>
                      <th scope="col" className="num">{t('tiers.field.qualifyingPoints')}</th>
                      <th scope="col" className="num">{t('tiers.field.retainPoints')}</th>
                      <th scope="col" className="num">{t('tiers.field.pointsMultiplier')}</th>
                      <th scope="col" className="num">{t('tiers.members')}</th>
                      <th scope="col">{t('tiers.benefits')}</th>
                      <th scope="col">{t('tiers.actions')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {ladder.map((tier) => <TierRow key={tier.code} tier={tier} onEdit={() => show(tier)} />)}
                  </tbody>
                </table>
              </div>
            )}
          </Section>
          <ProgramSettings
            program={data.program}
            onSaved={(allSaved) => {
              // Not called saved while a change typed meanwhile is still in the form, unsent.
              setNotice(allSaved ? t('tiers.program.saved') : null);
              reload();
            }}
          />
          <TierDialog
            key={editing === null ? 'closed' : editing === 'new' ? 'new' : editing.code}
            tier={editing}
            codes={ladder.map((x) => x.code)}
            nextRank={ladder.length}
            onClose={hide}
            onSaved={(name) => {
              // A save that lands after its dialog was closed leaves the dialog opened since alone.
              hideIf(opening);
              setNotice(t('tiers.saved', { name }));
              reload();
            }}
          />
        </>
      ) : null}
    </Page>
  );
}

function TierRow({ tier, onEdit }: { tier: Tier; onEdit: () => void }) {
  const { t, formatNumber } = useI18n();
  return (
    <tr data-code={tier.code}>
      <td className="num">{tier.rank}</td>
      <td>{tier.name}</td>
      <td><code>{tier.code}</code></td>
      <td className="num">{formatNumber(tier.qualifyingPoints)}</td>
      <td className="num">{formatNumber(tier.retainPoints)}</td>
      <td className="num">{t('tiers.multiplierValue', { x: formatNumber(tier.pointsMultiplier) })}</td>
      <td className="num">{formatNumber(tier.memberCount)}</td>
      <td className="tier-benefits">
        {tier.benefits.length ? <ul>{tier.benefits.map((b) => <li key={b.code}>{b.name}</li>)}</ul> : '—'}
      </td>
      <td>
        <button type="button" className="small" onClick={onEdit} aria-label={t('tiers.editNamed', { name: tier.name })}>{t('tiers.edit')}</button>
      </td>
    </tr>
  );
}

const TIER_FIELDS = ['code', 'name', 'rank', 'qualifyingPoints', 'retainPoints', 'pointsMultiplier'] as const;
type TierField = (typeof TIER_FIELDS)[number];

/** Adds a tier or edits one. upsertTier is keyed by the code: adding a tier with a code the ladder has would replace that tier, so it is refused here. */
function TierDialog({ tier, codes, nextRank, onClose, onSaved }: { tier: Tier | 'new' | null; codes: string[]; nextRank: number; onClose: () => void; onSaved: (name: string) => void }) {
  const { t } = useI18n();
  const existing = tier !== null && tier !== 'new' ? tier : null;
  const [values, setValues] = useState<Record<TierField, string>>(() => ({
    code: existing?.code ?? '', name: existing?.name ?? '', rank: String(existing?.rank ?? nextRank),
    qualifyingPoints: numberText(existing?.qualifyingPoints), retainPoints: numberText(existing?.retainPoints),
    pointsMultiplier: numberText(existing?.pointsMultiplier ?? 1),
  }));
  const [error, setError] = useState<OperationError | null>(null);
  const [{ fetching }, upsert] = useMutation(UpsertTierMutation);
  const set = (f: TierField) => (e: React.ChangeEvent<HTMLInputElement>) => setValues((v) => ({ ...v, [f]: e.target.value }));
  const submit = async () => {
    const invalid: Record<string, string> = {};
    const code = values.code.trim();
    if (!existing && codes.includes(code)) invalid.code = t('tiers.codeTaken', { code });
    const whole = (f: 'rank' | 'qualifyingPoints' | 'retainPoints') => {
      const n = intOrNull(values[f]);
      if (n === null || Number.isNaN(n)) invalid[f] = t('form.notAWholeNumber');
      return n ?? 0;
    };
    const rank = whole('rank');
    const qualifyingPoints = whole('qualifyingPoints');
    const retainPoints = whole('retainPoints');
    const pointsMultiplier = numberOrNull(values.pointsMultiplier);
    if (pointsMultiplier === null || Number.isNaN(pointsMultiplier)) invalid.pointsMultiplier = t('form.notANumber');
    if (Object.keys(invalid).length) return setError({ code: 'BAD_USER_INPUT', fields: invalid, general: [] });
    const result = await upsert({
      input: { code, name: values.name.trim(), rank, qualifyingPoints, retainPoints, pointsMultiplier: pointsMultiplier! },
    });
    const failed = toOperationError(result.error);
    setError(failed);
    if (!failed && result.data) onSaved(result.data.upsertTier.name);
  };
  const labels: Record<TierField, MessageKey> = {
    code: 'tiers.field.code', name: 'tiers.field.name', rank: 'tiers.field.rank', qualifyingPoints: 'tiers.field.qualifyingPoints',
    retainPoints: 'tiers.field.retainPoints', pointsMultiplier: 'tiers.field.pointsMultiplier',
  };
  const hints: Partial<Record<TierField, MessageKey>> = {
    code: existing ? 'tiers.hint.codeFixed' : 'tiers.hint.code', rank: 'tiers.hint.rank', qualifyingPoints: 'tiers.hint.qualifyingPoints',
    retainPoints: 'tiers.hint.retainPoints', pointsMultiplier: 'tiers.hint.pointsMultiplier',
  };
  const title = existing ? t('tiers.editTitle', { name: existing.name }) : t('tiers.addTitle');
  return (
    <Modal title={title} open={tier !== null} onClose={onClose}>
      <Form onSubmit={submit} error={error} busy={fetching} submitLabel={t('common.save')} onCancel={onClose} label={title}>
        {TIER_FIELDS.map((f) => (
          <Field key={f} name={f} label={t(labels[f])} hint={hints[f] ? t(hints[f]) : undefined} required>
            {(p) => (
              <input
                {...p}
                value={values[f]}
                onChange={set(f)}
                readOnly={f === 'code' && existing !== null}
                inputMode={f === 'code' || f === 'name' ? undefined : f === 'pointsMultiplier' ? 'decimal' : 'numeric'}
              />
            )}
          </Field>
        ))}
      </Form>
    </Modal>
  );
}

type Setting = Exclude<keyof ProgramSettingsFragment, 'downgradePolicy' | 'allowNegativeBalance' | '__typename'>;

const GROUPS: { title: MessageKey; fields: Setting[] }[] = [
  { title: 'tiers.program.points', fields: ['pointsPerUnit', 'pointsExpiryMonths', 'pointsPendingDays'] },
  { title: 'tiers.program.tiers', fields: ['qualificationWindowMonths', 'tierValidityMonths', 'tierNoticeDays'] },
  { title: 'tiers.program.lifecycle', fields: ['churnHorizonDays', 'lifecycleNewDays', 'lifecycleActiveDays', 'lifecycleAtRiskDays', 'lifecycleDormantDays'] },
];

const SETTING_LABEL: Record<Setting, MessageKey> = {
  pointsPerUnit: 'program.pointsPerUnit', pointsExpiryMonths: 'program.pointsExpiryMonths', pointsPendingDays: 'program.pointsPendingDays',
  qualificationWindowMonths: 'program.qualificationWindowMonths', tierValidityMonths: 'program.tierValidityMonths',
  tierNoticeDays: 'program.tierNoticeDays', churnHorizonDays: 'program.churnHorizonDays', lifecycleNewDays: 'program.lifecycleNewDays',
  lifecycleActiveDays: 'program.lifecycleActiveDays', lifecycleAtRiskDays: 'program.lifecycleAtRiskDays', lifecycleDormantDays: 'program.lifecycleDormantDays',
};

const SETTING_HINT: Partial<Record<Setting, MessageKey>> = {
  pointsPerUnit: 'program.hint.pointsPerUnit', pointsExpiryMonths: 'program.hint.pointsExpiryMonths',
  pointsPendingDays: 'program.hint.pointsPendingDays', qualificationWindowMonths: 'program.hint.qualificationWindowMonths',
  tierNoticeDays: 'program.hint.tierNoticeDays', lifecycleDormantDays: 'program.hint.lifecycleDormantDays',
};

const POLICY_LABEL: Record<DowngradePolicy, MessageKey> = { DROP_ONE: 'program.policy.DROP_ONE', RECALCULATE: 'program.policy.RECALCULATE' };

const SETTINGS = GROUPS.flatMap((g) => g.fields);
const parseSetting = (f: Setting, text: string) => (f === 'pointsPerUnit' ? numberOrNull(text) : intOrNull(text));

/** What the operator changed and has not seen saved yet; a setting not in it shows the server's value. */
interface SettingEdits {
  values: Partial<Record<Setting, string>>;
  policy?: DowngradePolicy;
  negative?: boolean;
}

/**
 * The edits that still differ from what the server holds (those saved, here or by a colleague, are
 * done). When the server's values come, an edit equal in value goes ("1.50" saved as 1.5); as the
 * operator types, only one spelled as shown goes (typing "1.50" on the way to "1.505" stays).
 */
function stillEdited(edits: SettingEdits, program: ProgramSettingsFragment, asTyped = false): SettingEdits {
  const same = (f: Setting, v: string) => (asTyped ? v === numberText(program[f]) : parseSetting(f, v) === program[f]);
  return {
    values: Object.fromEntries(Object.entries(edits.values).filter(([f, v]) => !same(f as Setting, v))),
    policy: edits.policy !== program.downgradePolicy ? edits.policy : undefined,
    negative: edits.negative !== program.allowNegativeBalance ? edits.negative : undefined,
  };
}

/**
 * The programme's settings: only the fields changed are sent (updateProgram changes those alone).
 * The form is not rebuilt by a save's answer: a setting typed while the save was on its way stays
 * (with the cursor), to be saved next; the others show what the server now holds.
 */
function ProgramSettings({ program, onSaved }: { program: ProgramSettingsFragment; onSaved: (allSaved: boolean) => void }) {
  const { t } = useI18n();
  const [edits, setEdits] = useState<SettingEdits>({ values: {} });
  useEffect(() => setEdits((e) => stillEdited(e, program)), [program]);
  const values = Object.fromEntries(SETTINGS.map((f) => [f, edits.values[f] ?? numberText(program[f])])) as Record<Setting, string>;
  const policy = edits.policy ?? program.downgradePolicy;
  const negative = edits.negative ?? program.allowNegativeBalance;
  // The operator's changes, counted: a save's answer says "saved" only if none came while it was on its way.
  const changes = useRef(0);
  // An edit back to the server's value is no edit (a colleague's later change then shows, and is not sent back).
  const edit = (change: (e: SettingEdits) => SettingEdits) => {
    changes.current += 1;
    setEdits((e) => stillEdited(change(e), program, true));
  };
  const [error, setError] = useState<OperationError | null>(null);
  const [{ fetching }, update] = useMutation(UpdateProgramMutation);
  const submit = async () => {
    const input: ProgramInput = {};
    const invalid: Record<string, string> = {};
    for (const f of SETTINGS) {
      if (values[f].trim() === numberText(program[f])) continue;
      const n = parseSetting(f, values[f]);
      if (Number.isNaN(n)) invalid[f] = t(f === 'pointsPerUnit' ? 'form.notANumber' : 'form.notAWholeNumber');
      else if (n === null && f === 'pointsExpiryMonths') input.clearPointsExpiry = true;
      else if (n === null) invalid[f] = t('form.notAWholeNumber');
      else input[f] = n;
    }
    if (policy !== program.downgradePolicy) input.downgradePolicy = policy;
    if (negative !== program.allowNegativeBalance) input.allowNegativeBalance = negative;
    if (Object.keys(invalid).length) return setError({ code: 'BAD_USER_INPUT', fields: invalid, general: [] });
    if (!Object.keys(input).length) return setError({ code: 'BAD_USER_INPUT', fields: {}, general: [t('tiers.program.nothing')] });
    const sentAfter = changes.current;
    const result = await update({ input });
    const failed = toOperationError(result.error);
    // "Give pointsExpiryMonths or clearPointsExpiry": the console shows one field for both.
    if (failed?.fields.clearPointsExpiry) {
      failed.fields.pointsExpiryMonths = failed.fields.clearPointsExpiry;
      delete failed.fields.clearPointsExpiry;
    }
    setError(failed);
    if (!failed) onSaved(changes.current === sentAfter);
  };
  return (
    <Section title={t('tiers.program.title')} id="program">
      <Form onSubmit={submit} error={error} busy={fetching} submitLabel={t('tiers.program.submit')} label={t('tiers.program.title')} className="program-form">
        {GROUPS.map((g) => (
          <fieldset key={g.title} className="settings-group">
            <legend>{t(g.title)}</legend>
            <div className="settings-grid">
              {g.fields.map((f) => (
                <Field key={f} name={f} label={t(SETTING_LABEL[f])} hint={SETTING_HINT[f] ? t(SETTING_HINT[f]) : undefined}>
                  {(p) => (
                    <input {...p} inputMode={f === 'pointsPerUnit' ? 'decimal' : 'numeric'} value={values[f]}
                      onChange={(e) => edit((x) => ({ ...x, values: { ...x.values, [f]: e.target.value } }))} />
                  )}
                </Field>
              ))}
              {g.title === 'tiers.program.tiers' ? (
                <Field name="downgradePolicy" label={t('program.downgradePolicy')}>
                  {(p) => (
                    <select {...p} value={policy} onChange={(e) => edit((x) => ({ ...x, policy: e.target.value as DowngradePolicy }))}>
                      {(Object.keys(POLICY_LABEL) as DowngradePolicy[]).map((x) => <option key={x} value={x}>{t(POLICY_LABEL[x])}</option>)}
                    </select>
                  )}
                </Field>
              ) : null}
            </div>
            {g.title === 'tiers.program.points' ? (
              <label className="checkbox">
                <input type="checkbox" name="allowNegativeBalance" checked={negative} onChange={(e) => edit((x) => ({ ...x, negative: e.target.checked }))} />
                {t('program.allowNegativeBalance')}
              </label>
            ) : null}
          </fieldset>
        ))}
      </Form>
    </Section>
  );
}
