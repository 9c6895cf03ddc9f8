import { useId, useRef, useState } from 'react';
import { useClient, useMutation } from 'urql';
import type { ActivityRuleFieldsFragment, ActivityRuleInput } from '../../gql/graphql';
import { toOperationError, type OperationError } from '../../graphql/errors';
import { useI18n } from '../../i18n';
import { useConfirm } from '../../ui/ConfirmDialog';
import { Field, Form } from '../../ui/Form';
import { Modal } from '../../ui/Modal';
import { Empty, Section } from '../../ui/Page';
import { useEditing } from '../../ui/useEditing';
import { intOrNull, numberText } from '../tiers/form-values';
import { earnedAtWill, replacedBy, type RuleFigures } from './activity-rules';
import { ActivityRuleKindsQuery, UpsertActivityRuleMutation } from './operations';

type Rule = ActivityRuleFieldsFragment;
/** What the dialog edits: a new rule (null) or an existing one. */
interface Editing { rule: Rule | null }

/**
 * The activity rules (domain.md "Points": an engagement activity earns what its kind's rule
 * gives, with an optional daily cap): each rule's points, qualifying points, cap, whether it is
 * on and whether members' apps may record it, said plainly next to a rule that lets an app give
 * its member points at will. A rule is created or edited in a dialog (upsertActivityRule, the
 * whole rule; its kind fixed once made); the list comes with the page's one request
 * (ProgrammePage) and is read again after a save (urql's cache: the answer holds an ActivityRule).
 * The CHECK_IN and REFERRAL rules the programme's settings replaced are shown as such.
 */
export function ActivityRules({ rules }: { rules: Rule[] }) {
  const { t } = useI18n();
  const { editing, opening, show, hide, hideIf } = useEditing<Editing>();
  const [notice, setNotice] = useState<string | null>(null);
  const open = (next: Editing) => {
    setNotice(null);
    show(next);
  };
  return (
    <Section
      title={t('activities.title')}
      id="activities"
      actions={<button type="button" onClick={() => open({ rule: null })}>{t('activities.new')}</button>}
    >
      <p className="muted activities-intro">{t('activities.intro')}</p>
      {notice ? <p className="programme-notice" role="status" data-testid="activity-saved">{notice}</p> : null}
      {!rules.length ? <Empty>{t('activities.none')}</Empty> : (
        <div className="table-wrap">
          <table className="table activities-table" data-testid="activity-rules">
            <caption className="visually-hidden">{t('activities.title')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('activities.col.activity')}</th>
                <th scope="col" className="num">{t('activities.field.points')}</th>
                <th scope="col" className="num">{t('activities.field.qualifyingPoints')}</th>
                <th scope="col" className="num">{t('activities.field.dailyCap')}</th>
                <th scope="col">{t('activities.col.status')}</th>
                <th scope="col">{t('activities.col.members')}</th>
                <th scope="col">{t('activities.col.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {rules.map((r) => <RuleRow key={r.kind} rule={r} onEdit={() => open({ rule: r })} onSwitchedOff={(name) => setNotice(t('activities.switchedOff', { name }))} />)}
            </tbody>
          </table>
        </div>
      )}
      {editing ? (
        <RuleDialog
          key={editing.rule?.kind ?? 'new'}
          rule={editing.rule}
          onClose={hide}
          onSaved={(name, isNew) => {
            // A save that lands after its dialog was closed leaves the dialog opened since alone.
            hideIf(opening);
            setNotice(t(isNew ? 'activities.created' : 'activities.saved', { name }));
          }}
        />
      ) : null}
    </Section>
  );
}

function RuleRow({ rule: r, onEdit, onSwitchedOff }: { rule: Rule; onEdit: () => void; onSwitchedOff: (name: string) => void }) {
  const { t, formatNumber } = useI18n();
  const replaced = replacedBy(r.kind);
  const atWill = earnedAtWill(r);
  const name = <th scope="row"><strong>{r.name}</strong> <code className="muted">{r.kind}</code></th>;
  if (replaced) {
    return (
      <tr data-kind={r.kind} className="activity-replaced">
        {name}
        <td colSpan={5}>
          {t('activities.replaced')} <a href={`#${replaced.section}`}>{t(replaced.label)}</a>
          {r.active ? <p className="activity-warning" data-testid="activity-warning">{t('activities.replacedStillOn', { kind: r.kind, points: formatNumber(r.points) })}</p> : null}
        </td>
        <td>{r.active ? <SwitchOff rule={r} onDone={onSwitchedOff} /> : <span className="muted">{t('activities.replacedOff')}</span>}</td>
      </tr>
    );
  }
  return (
    <tr data-kind={r.kind}>
      {name}
      <td className="num">{formatNumber(r.points)}</td>
      <td className="num">{formatNumber(r.qualifyingPoints)}</td>
      <td className="num">{r.dailyCap == null ? t('activities.noCap') : formatNumber(r.dailyCap)}</td>
      <td><span className={`badge ${r.active ? 'status-ISSUED' : 'status-CANCELLED'}`}>{t(r.active ? 'activities.on' : 'activities.off')}</span></td>
      <td>
        {t(r.memberMayRecord ? 'activities.members.may' : 'activities.members.mayNot')}
        {atWill ? <p className="activity-warning" data-testid="activity-warning">{t(atWill === 'points' ? 'activities.atWill.points' : 'activities.atWill.qualifying')}</p> : null}
      </td>
      <td>
        <button type="button" className="small" onClick={onEdit} aria-label={t('activities.editNamed', { name: r.name })}>{t('activities.edit')}</button>
      </td>
    </tr>
  );
}

/** A replaced rule that is still on (reactivated through the API): one click, after a confirmation, turns it off. */
function SwitchOff({ rule, onDone }: { rule: Rule; onDone: (name: string) => void }) {
  const { t } = useI18n();
  const confirm = useConfirm();
  const [{ fetching, error }, upsert] = useMutation(UpsertActivityRuleMutation);
  const failed = toOperationError(error);
  const run = async () => {
    if (fetching) return;
    if (!(await confirm({ title: t('activities.offTitle'), message: t('activities.offMessage', { name: rule.name, kind: rule.kind }), confirmLabel: t('activities.offConfirm') }))) return;
    const { kind, name, points, qualifyingPoints, dailyCap, memberMayRecord } = rule;
    const r = await upsert({ input: { kind, name, points, qualifyingPoints, dailyCap, memberMayRecord, active: false } });
    if (!r.error) onDone(rule.name);
  };
  return (
    <>
      <button type="button" className="small" disabled={fetching} onClick={() => void run()} aria-label={t('activities.switchOffNamed', { name: rule.name })}>
        {t('activities.switchOff')}
      </button>
      {failed ? <p className="field-error" role="alert">{[...failed.general, ...Object.values(failed.fields)].join(' ')}</p> : null}
    </>
  );
}

interface Values { kind: string; name: string; points: string; qualifyingPoints: string; dailyCap: string; active: boolean; memberMayRecord: boolean }

function valuesOf(r: Rule | null): Values {
  if (!r) return { kind: '', name: '', points: '', qualifyingPoints: '0', dailyCap: '', active: true, memberMayRecord: false };
  return {
    kind: r.kind, name: r.name, points: numberText(r.points), qualifyingPoints: numberText(r.qualifyingPoints), dailyCap: numberText(r.dailyCap),
    active: r.active, memberMayRecord: r.memberMayRecord,
  };
}

/** The figures typed, when they are whole numbers (for the live warning); null while one is not. */
function figuresOf(v: Values): RuleFigures | null {
  const points = intOrNull(v.points);
  const qualifyingPoints = intOrNull(v.qualifyingPoints);
  const dailyCap = intOrNull(v.dailyCap);
  if (points === null || Number.isNaN(points) || qualifyingPoints === null || Number.isNaN(qualifyingPoints) || Number.isNaN(dailyCap)) return null;
  return { points, qualifyingPoints, dailyCap, active: v.active, memberMayRecord: v.memberMayRecord };
}

/**
 * A rule's form: kind (a new rule only: upsertActivityRule is keyed by it, so a kind already
 * taken is refused here rather than overwriting that rule, and CHECK_IN and REFERRAL are the
 * programme's settings), name, points, qualifying points, daily cap (empty: none), on, and
 * whether members' apps may record it, with the warning the list would show for those values.
 * Integers are checked here (GraphQL's coercion would refuse a fraction without naming the
 * field); the rest is the server's word, under its field. Switching a rule off asks first. One
 * save at a time: a second click while one is on its way sends nothing.
 */
function RuleDialog({ rule, onClose, onSaved }: { rule: Rule | null; onClose: () => void; onSaved: (name: string, isNew: boolean) => void }) {
  const { t } = useI18n();
  const client = useClient();
  const confirm = useConfirm();
  const [values, setValues] = useState<Values>(() => valuesOf(rule));
  const [error, setError] = useState<OperationError | null>(null);
  const [busy, setBusy] = useState(false);
  const sending = useRef(false);
  const [, upsert] = useMutation(UpsertActivityRuleMutation);
  const set = <K extends keyof Values>(key: K, value: Values[K]) => setValues((v) => ({ ...v, [key]: value }));
  const figures = figuresOf(values);
  const atWill = figures ? earnedAtWill(figures) : null;
  const id = useId();

  const submit = async () => {
    if (sending.current) return;
    const kind = rule?.kind ?? values.kind.trim();
    const invalid: Record<string, string> = {};
    if (!rule) {
      const replaced = replacedBy(kind, true);
      if (!kind) invalid.kind = t('activities.kindRequired');
      else if (replaced) invalid.kind = t('activities.kindReplaced', { kind, section: t(replaced.label) });
    }
    const points = intOrNull(values.points);
    const qualifyingPoints = intOrNull(values.qualifyingPoints);
    const dailyCap = intOrNull(values.dailyCap);
    if (points === null || Number.isNaN(points)) invalid.points = t('form.notAWholeNumber');
    if (qualifyingPoints === null || Number.isNaN(qualifyingPoints)) invalid.qualifyingPoints = t('form.notAWholeNumber');
    if (Number.isNaN(dailyCap)) invalid.dailyCap = t('activities.capNotAWholeNumber');
    if (Object.keys(invalid).length) return setError({ code: 'BAD_USER_INPUT', fields: invalid, general: [] });
    const input: ActivityRuleInput = {
      kind, name: values.name.trim(), points: points!, qualifyingPoints: qualifyingPoints!, dailyCap, active: values.active, memberMayRecord: values.memberMayRecord,
    };
    if (rule && (['name', 'points', 'qualifyingPoints', 'dailyCap', 'active', 'memberMayRecord'] as const).every((f) => input[f] === rule[f])) return onClose();
    sending.current = true;
    setBusy(true);
    try {
      if (rule?.active && !input.active && !(await confirm({
        title: t('activities.offTitle'), message: t('activities.offMessage', { name: rule.name, kind }), confirmLabel: t('activities.offConfirm'),
      }))) return;
      if (!rule) {
        // upsertActivityRule is keyed by the kind: a new rule with a taken kind would overwrite that rule.
        const taken = await client.query(ActivityRuleKindsQuery, {}, { requestPolicy: 'network-only' }).toPromise();
        if (taken.error || !taken.data) return setError(toOperationError(taken.error));
        if (taken.data.activityRules.some((x) => x.kind === kind)) return setError({ code: 'CONFLICT', fields: { kind: t('activities.kindTaken', { kind }) }, general: [] });
      }
      const r = await upsert({ input });
      const failed = toOperationError(r.error);
      setError(failed);
      if (!failed && r.data) onSaved(r.data.upsertActivityRule.name, !rule);
    } finally {
      sending.current = false;
      setBusy(false);
    }
  };

  const title = rule ? t('activities.editNamed', { name: rule.name }) : t('activities.new');
  return (
    <Modal title={title} open onClose={onClose}>
      <Form onSubmit={submit} error={error} busy={busy} submitLabel={t('common.save')} onCancel={onClose} label={title} className="activity-form">
        {rule ? (
          <p className="activity-kind"><strong>{t('activities.field.kind')}</strong> <code>{rule.kind}</code> <span className="muted">{t('activities.kindFixed')}</span></p>
        ) : (
          <Field name="kind" label={t('activities.field.kind')} hint={t('activities.hint.kind')} required>
            {(p) => <input {...p} value={values.kind} onChange={(e) => set('kind', e.target.value)} autoComplete="off" spellCheck={false} />}
          </Field>
        )}
        <Field name="name" label={t('activities.field.name')} required>
          {(p) => <input {...p} value={values.name} onChange={(e) => set('name', e.target.value)} autoComplete="off" />}
        </Field>
        <div className="field-pair">
          <Field name="points" label={t('activities.field.points')} hint={t('activities.hint.points')} required>
            {(p) => <input {...p} inputMode="numeric" value={values.points} onChange={(e) => set('points', e.target.value)} />}
          </Field>
          <Field name="qualifyingPoints" label={t('activities.field.qualifyingPoints')} hint={t('activities.hint.qualifyingPoints')} required>
            {(p) => <input {...p} inputMode="numeric" value={values.qualifyingPoints} onChange={(e) => set('qualifyingPoints', e.target.value)} />}
          </Field>
          <Field name="dailyCap" label={t('activities.field.dailyCap')} hint={t('activities.hint.dailyCap')}>
            {(p) => <input {...p} inputMode="numeric" value={values.dailyCap} onChange={(e) => set('dailyCap', e.target.value)} />}
          </Field>
        </div>
        <label className="checkbox">
          <input type="checkbox" name="active" checked={values.active} onChange={(e) => set('active', e.target.checked)} />
          {t('activities.field.active')}
        </label>
        <div className="activity-member-record">
          <label className="checkbox">
            <input type="checkbox" name="memberMayRecord" checked={values.memberMayRecord} onChange={(e) => set('memberMayRecord', e.target.checked)}
              aria-describedby={atWill ? `${id}-hint ${id}-warning` : `${id}-hint`} />
            {t('activities.field.memberMayRecord')}
          </label>
          <p className="field-hint" id={`${id}-hint`}>{t('activities.hint.memberMayRecord')}</p>
          {atWill ? (
            <p className="activity-warning" id={`${id}-warning`} data-testid="activity-form-warning">
              {t(atWill === 'points' ? 'activities.atWill.points' : 'activities.atWill.qualifying')}
            </p>
          ) : null}
        </div>
      </Form>
    </Modal>
  );
}
