import { useState } from 'react';
import { useClient, useMutation, useQuery } from 'urql';
import { Link } from '../../app/router';
import type { RewardFieldsFragment, RewardInput, RewardPatch, RewardsPageQuery } from '../../gql/graphql';
import { toOperationError, type OperationError } from '../../graphql/errors';
import { useI18n, type MessageKey } from '../../i18n';
import { redemptionStatusLabel } from '../../i18n/enums';
import { useStillShown } from '../../ui/useStillShown';
import { useConfirm } from '../../ui/ConfirmDialog';
import { Field, Form } from '../../ui/Form';
import { Modal } from '../../ui/Modal';
import { Empty, Page, Section } from '../../ui/Page';
import { useEditing } from '../../ui/useEditing';
import { SCHEDULE_CLASS, SCHEDULE_LABEL, scheduleStatus } from '../benefits/status';
import { CancelRedemptionDialog } from '../members/actions';
import { fromZonedInput, intOrNull, numberOrNull, numberText, sameSet, toZonedInput } from '../tiers/form-values';
import '../tiers/tiers.css';
import './rewards.css';
import { CouponLookupQuery, CreateRewardMutation, RewardCodesQuery, RewardsPageQuery as PageQuery, UpdateRewardMutation } from './operations';
import { memberLabel } from '../members/label';

type Reward = RewardFieldsFragment;
type Tiers = RewardsPageQuery['tiers'];

/**
 * Rewards: the catalogue with stock, limits, who may redeem and how long a coupon stays valid,
 * each reward edited in a dialog (updateReward: only the fields changed), a new one created in
 * the same dialog (upsertReward, under a code no reward has); and the coupon
 * look-up (redemptionByCoupon: the coupon's reward, member and status; an
 * issued one can be cancelled, after a confirmation with the reason). The catalogue is one
 * request (RewardsPage), a look-up the second.
 */
export default function RewardsPage() {
  const { t } = useI18n();
  const [result, refetch] = useQuery({ query: PageQuery });
  // The reward in the dialog: one of the catalogue's, 'new' for a new one, null: closed.
  const { editing, opening, show, hide, hideIf } = useEditing<Reward | 'new'>();
  const [notice, setNotice] = useState<string | null>(null);
  const data = result.data;
  return (
    <Page
      title={t('rewards.title')}
      subtitle={t('rewards.subtitle')}
      loading={result.fetching && !data}
      error={toOperationError(result.error)}
      onRetry={() => refetch({ requestPolicy: 'network-only' })}
      toolbar={data ? <button type="button" className="primary" onClick={() => show('new')}>{t('rewards.new')}</button> : null}
    >
      <CouponLookup />
      {notice ? <p className="notice" role="status" data-testid="saved">{notice}</p> : null}
      {data ? (
        <Section title={t('rewards.catalogue')} id="catalogue">
          {!data.rewards.length ? <Empty>{t('rewards.none')}</Empty> : <Catalogue rewards={data.rewards} tiers={data.tiers} zone={data.program.timeZone} onEdit={show} />}
          <RewardDialog
            key={editing === 'new' ? 'new' : editing?.code ?? 'closed'}
            reward={editing}
            codes={data.rewards.map((r) => r.code)}
            tiers={data.tiers}
            zone={data.program.timeZone}
            onClose={hide}
            onSaved={(name) => {
              setNotice(t(editing === 'new' ? 'rewards.created' : 'rewards.saved', { name }));
              // A save that lands after its dialog was closed leaves the dialog opened since alone.
              hideIf(opening);
              refetch({ requestPolicy: 'network-only' });
            }}
          />
        </Section>
      ) : null}
    </Page>
  );
}

/** The validity window is shown in the programme's time zone, as the edit dialog takes it. */
function Catalogue({ rewards, tiers, zone, onEdit }: { rewards: Reward[]; tiers: Tiers; zone: string; onEdit: (r: Reward) => void }) {
  const { t, formatNumber, formatDateTime } = useI18n();
  const tierName = new Map(tiers.map((x) => [x.code, x.name]));
  return (
    <div className="table-wrap">
      <table className="table rewards-table" data-testid="rewards">
        <caption className="visually-hidden">{t('rewards.catalogue')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('rewards.field.name')}</th>
            <th scope="col" className="num">{t('rewards.field.costPoints')}</th>
            <th scope="col" className="num">{t('rewards.field.stock')}</th>
            <th scope="col" className="num">{t('rewards.field.perMemberLimit')}</th>
            <th scope="col">{t('rewards.field.tierCodes')}</th>
            <th scope="col">{t('rewards.col.status')}</th>
            <th scope="col">{t('rewards.col.couponValidity')}</th>
            <th scope="col" className="num">{t('rewards.field.faceValue')}</th>
            <th scope="col">{t('rewards.col.actions')}</th>
          </tr>
        </thead>
        <tbody>
          {rewards.map((r) => {
            const status = scheduleStatus(r);
            return (
              <tr key={r.code} data-code={r.code}>
                <td>
                  <strong>{r.name}</strong> <code className="muted">{r.code}</code>
                  {r.description ? <div className="muted reward-description">{r.description}</div> : null}
                </td>
                <td className="num">{formatNumber(r.costPoints)}</td>
                <td className="num">{r.stock == null ? t('rewards.unlimited') : formatNumber(r.stock)}</td>
                <td className="num">{r.perMemberLimit == null ? t('rewards.noLimit') : formatNumber(r.perMemberLimit)}</td>
                <td>{r.tierCodes.length ? r.tierCodes.map((c) => tierName.get(c) ?? c).join(', ') : t('benefits.allTiers')}</td>
                <td>
                  <span className={`badge ${SCHEDULE_CLASS[status]}`}>{t(SCHEDULE_LABEL[status])}</span>
                  {r.validFrom || r.validTo ? <div className="muted reward-window">{t('benefits.window', { from: formatDateTime(r.validFrom, zone), to: formatDateTime(r.validTo, zone) })}</div> : null}
                </td>
                <td>{r.couponValidDays == null ? t('rewards.noEnd') : t('rewards.validDays', { days: r.couponValidDays })}</td>
                <td className="num">{r.faceValue == null ? '—' : formatNumber(r.faceValue, { minimumFractionDigits: 2 })}</td>
                <td>
                  <button type="button" className="small" onClick={() => onEdit(r)} aria-label={t('rewards.editNamed', { name: r.name })}>{t('rewards.edit')}</button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

const TEXT_FIELDS = ['name', 'description'] as const;
const NUMBER_FIELDS = ['costPoints', 'stock', 'perMemberLimit', 'couponValidDays', 'faceValue'] as const;
type NumberField = (typeof NUMBER_FIELDS)[number];

interface Values {
  name: string;
  description: string;
  costPoints: string;
  stock: string;
  perMemberLimit: string;
  couponValidDays: string;
  faceValue: string;
  tierCodes: string[];
  active: boolean;
  validFrom: string;
  validTo: string;
}

/** A new reward's form: nothing typed yet, active, for every tier. */
const NEW_VALUES: Values = {
  name: '', description: '', costPoints: '', stock: '', perMemberLimit: '', couponValidDays: '', faceValue: '',
  tierCodes: [], active: true, validFrom: '', validTo: '',
};

/** The form's values; the validity window on the wall clock of the programme's time zone (`zone`), whatever the browser's. */
function valuesOf(r: Reward, zone: string): Values {
  return {
    name: r.name, description: r.description ?? '', costPoints: numberText(r.costPoints), stock: numberText(r.stock),
    perMemberLimit: numberText(r.perMemberLimit), couponValidDays: numberText(r.couponValidDays), faceValue: numberText(r.faceValue),
    tierCodes: [...r.tierCodes], active: r.active, validFrom: toZonedInput(r.validFrom, zone), validTo: toZonedInput(r.validTo, zone),
  };
}

const FIELD_LABEL: Record<NumberField | (typeof TEXT_FIELDS)[number], MessageKey> = {
  name: 'rewards.field.name', description: 'rewards.field.description', costPoints: 'rewards.field.costPoints', stock: 'rewards.field.stock',
  perMemberLimit: 'rewards.field.perMemberLimit', couponValidDays: 'rewards.field.couponValidDays', faceValue: 'rewards.field.faceValue',
};
const FIELD_HINT: Partial<Record<NumberField, MessageKey>> = {
  stock: 'rewards.hint.stock', perMemberLimit: 'rewards.hint.perMemberLimit', couponValidDays: 'rewards.hint.couponValidDays', faceValue: 'rewards.hint.faceValue',
};

/**
 * A reward's dialog: a catalogue reward edited (updateReward with only the fields changed), or a
 * new one (`reward` 'new': upsertReward with every field, under a code no reward has; `codes`
 * are the catalogue's as the page loaded it, and the codes are read again before saving:
 * upsertReward would replace the reward a taken code names).
 */
function RewardDialog({ reward, codes, tiers, zone, onClose, onSaved }: {
  reward: Reward | 'new' | null; codes: string[]; tiers: Tiers; zone: string; onClose: () => void; onSaved: (name: string) => void;
}) {
  const { t } = useI18n();
  const confirm = useConfirm();
  const [values, setValues] = useState<Values | null>(() => (reward === 'new' ? NEW_VALUES : reward ? valuesOf(reward, zone) : null));
  const [code, setCode] = useState('');
  const [error, setError] = useState<OperationError | null>(null);
  const [{ fetching: updating }, update] = useMutation(UpdateRewardMutation);
  const [{ fetching: creating }, create] = useMutation(CreateRewardMutation);
  const [checking, setChecking] = useState(false);
  const client = useClient();
  const shown = useStillShown();
  if (!reward || !values) return null;
  const set = <K extends keyof Values>(key: K, value: Values[K]) => setValues((v) => (v ? { ...v, [key]: value } : v));
  /** The numbers and instants typed, as the API takes them; the fields that are not. */
  const parsed = () => {
    const invalid: Record<string, string> = {};
    const numbers: Partial<Record<NumberField, number | null>> = {};
    for (const f of NUMBER_FIELDS) {
      const n = f === 'faceValue' ? numberOrNull(values[f]) : intOrNull(values[f]);
      if (Number.isNaN(n) || (n === null && f === 'costPoints')) invalid[f] = t(f === 'faceValue' ? 'form.notANumber' : 'form.notAWholeNumber');
      else numbers[f] = n;
    }
    const instants: Partial<Record<'validFrom' | 'validTo', string | null>> = {};
    for (const f of ['validFrom', 'validTo'] as const) {
      const instant = fromZonedInput(values[f], zone);
      if (instant === false) invalid[f] = t('form.notADate');
      else instants[f] = instant;
    }
    return { invalid, numbers, instants };
  };
  const createNew = async () => {
    const key = code.trim();
    const { invalid, numbers, instants } = parsed();
    if (!key) invalid.code = t('rewards.codeRequired');
    else if (codes.includes(key)) invalid.code = t('rewards.codeTaken', { code: key });
    if (Object.keys(invalid).length) return setError({ code: 'BAD_USER_INPUT', fields: invalid, general: [] });
    // Read again: a reward made since the page loaded (a colleague's, or a save whose answer was lost) is not in `codes`.
    setChecking(true);
    const now = await client.query(RewardCodesQuery, {}, { requestPolicy: 'network-only' }).toPromise().finally(() => setChecking(false));
    if (now.error || !now.data) return setError(toOperationError(now.error));
    if (now.data.rewards.some((r) => r.code === key)) return setError({ code: 'BAD_USER_INPUT', fields: { code: t('rewards.codeTaken', { code: key }) }, general: [] });
    if (!shown.current) return; // cancelled (or the page left) while the codes were read: nothing is sent
    const input: RewardInput = {
      code: key, name: values.name.trim(), description: values.description.trim() || null, costPoints: numbers.costPoints!, stock: numbers.stock,
      perMemberLimit: numbers.perMemberLimit, couponValidDays: numbers.couponValidDays, faceValue: numbers.faceValue,
      tierCodes: values.tierCodes, active: values.active, validFrom: instants.validFrom, validTo: instants.validTo,
    };
    const result = await create({ input });
    const failed = toOperationError(result.error);
    setError(failed);
    if (!failed && result.data) onSaved(result.data.upsertReward.name);
  };
  const submit = async () => {
    if (reward === 'new') return createNew();
    const was = valuesOf(reward, zone);
    const patch: RewardPatch = {};
    const invalid: Record<string, string> = {};
    if (values.name.trim() !== was.name) patch.name = values.name.trim();
    if (values.description.trim() !== was.description) patch.description = values.description.trim() || null;
    for (const f of NUMBER_FIELDS) {
      if (values[f].trim() === was[f]) continue;
      const n = f === 'faceValue' ? numberOrNull(values[f]) : intOrNull(values[f]);
      if (Number.isNaN(n)) invalid[f] = t(f === 'faceValue' ? 'form.notANumber' : 'form.notAWholeNumber');
      else if (n === null && f === 'costPoints') invalid[f] = t('form.notAWholeNumber');
      else patch[f] = n;
    }
    if (!sameSet(values.tierCodes, was.tierCodes)) patch.tierCodes = values.tierCodes;
    if (values.active !== was.active) patch.active = values.active;
    for (const f of ['validFrom', 'validTo'] as const) {
      if (values[f] === was[f]) continue;
      const instant = fromZonedInput(values[f], zone);
      if (instant === false) invalid[f] = t('form.notADate');
      else patch[f] = instant;
    }
    if (Object.keys(invalid).length) return setError({ code: 'BAD_USER_INPUT', fields: invalid, general: [] });
    if (!Object.keys(patch).length) return onClose();
    if (patch.active === false && !(await confirm({
      title: t('rewards.offTitle'), message: t('rewards.offMessage', { name: reward.name }), confirmLabel: t('rewards.offConfirm'),
    }))) return;
    const result = await update({ code: reward.code, patch });
    const failed = toOperationError(result.error);
    setError(failed);
    if (!failed && result.data) onSaved(result.data.updateReward.name);
  };
  const title = reward === 'new' ? t('rewards.newTitle') : t('rewards.editTitle', { name: reward.name });
  return (
    <Modal title={title} open onClose={onClose}>
      <Form onSubmit={submit} error={error} busy={updating || creating || checking} submitLabel={t(reward === 'new' ? 'rewards.create' : 'common.save')} onCancel={onClose} label={title}>
        {reward === 'new' ? (
          <Field name="code" label={t('rewards.field.code')} hint={t('rewards.codeHint')} required>
            {(p) => <input {...p} value={code} onChange={(e) => setCode(e.target.value)} autoComplete="off" />}
          </Field>
        ) : null}
        {TEXT_FIELDS.map((f) => (
          <Field key={f} name={f} label={t(FIELD_LABEL[f])} required={f === 'name'}>
            {(p) => <input {...p} value={values[f]} onChange={(e) => set(f, e.target.value)} />}
          </Field>
        ))}
        <div className="field-pair">
          {NUMBER_FIELDS.map((f) => (
            <Field key={f} name={f} label={t(FIELD_LABEL[f])} hint={FIELD_HINT[f] ? t(FIELD_HINT[f]) : undefined} required={f === 'costPoints'}>
              {(p) => <input {...p} inputMode={f === 'faceValue' ? 'decimal' : 'numeric'} value={values[f]} onChange={(e) => set(f, e.target.value)} />}
            </Field>
          ))}
          <Field name="tierCodes" label={t('rewards.field.tierCodes')} hint={t('benefits.edit.tiersHint')}>
            {(p) => (
              <select {...p} multiple size={Math.min(5, Math.max(2, tiers.length))} value={values.tierCodes}
                onChange={(e) => set('tierCodes', [...e.target.selectedOptions].map((o) => o.value))}>
                {[...tiers].sort((a, b) => a.rank - b.rank).map((x) => <option key={x.code} value={x.code}>{x.name}</option>)}
              </select>
            )}
          </Field>
          <Field name="validFrom" label={t('rewards.field.validFrom')} hint={t('benefits.edit.fromHint', { zone })}>
            {(p) => <input {...p} type="datetime-local" value={values.validFrom} onChange={(e) => set('validFrom', e.target.value)} />}
          </Field>
          <Field name="validTo" label={t('rewards.field.validTo')} hint={t('benefits.edit.toHint', { zone })}>
            {(p) => <input {...p} type="datetime-local" value={values.validTo} onChange={(e) => set('validTo', e.target.value)} />}
          </Field>
        </div>
        <label className="checkbox">
          <input type="checkbox" name="active" checked={values.active} onChange={(e) => set('active', e.target.checked)} />
          {t('rewards.field.active')}
        </label>
      </Form>
    </Modal>
  );
}

/** The longest code the server takes as typed (rewards.service.ts, MAX_COUPON_INPUT). */
const MAX_COUPON_INPUT = 64;

/** The form's own check of a code, as the server's couponKeyOf: the message, or null when it may be asked for. */
function couponCodeProblem(code: string, t: ReturnType<typeof useI18n>['t']): string | null {
  if (code === '') return t('rewards.lookup.required');
  if (code.length > MAX_COUPON_INPUT) return t('rewards.lookup.tooLong', { max: MAX_COUPON_INPUT, length: code.length });
  if (!/[0-9A-Za-z]/.test(code)) return t('rewards.lookup.noLettersOrDigits');
  return null;
}

/**
 * Service staff type or scan a coupon's code: whose it is, what for, and whether it can be used.
 * A code the server would refuse (empty, over 64 characters, no letter or digit) is not sent: its
 * message is the field's alone; a refusal shows no "no coupon has this code" under it.
 */
function CouponLookup() {
  const { t, formatNumber, formatDateTime } = useI18n();
  const [text, setText] = useState('');
  const [code, setCode] = useState<string | null>(null);
  const [cancelling, setCancelling] = useState<{ id: string; couponCode: string; rewardName: string } | null>(null);
  const problem = code === null ? null : couponCodeProblem(code, t);
  const [result, refetch] = useQuery({ query: CouponLookupQuery, variables: { couponCode: code ?? '' }, pause: code === null || problem !== null, requestPolicy: 'network-only' });
  const local: OperationError | null = problem ? { code: 'BAD_USER_INPUT', fields: { couponCode: problem }, general: [] } : null;
  const error = local ?? toOperationError(result.error);
  const redemption = code && !problem && !error && !result.fetching ? result.data?.redemptionByCoupon : undefined;
  const submit = () => {
    const next = text.trim();
    if (next === code && !couponCodeProblem(next, t)) refetch({ requestPolicy: 'network-only' });
    setCode(next);
  };
  const status = redemption ? redemptionStatusLabel(redemption.status) : null;
  return (
    <Section title={t('rewards.lookup.title')} id="coupon-lookup">
      <Form onSubmit={submit} error={error} busy={result.fetching} submitLabel={t('rewards.lookup.submit')} label={t('rewards.lookup.title')} className="lookup-form">
        <Field name="couponCode" label={t('rewards.lookup.code')} hint={t('rewards.lookup.hint')}>
          {(p) => <input {...p} value={text} onChange={(e) => setText(e.target.value)} autoComplete="off" spellCheck={false} data-testid="coupon-code" />}
        </Field>
      </Form>
      <div aria-live="polite">
        {code && result.data && !result.fetching && redemption === null ? <p className="empty coupon-none" data-testid="coupon-none">{t('rewards.lookup.none', { code })}</p> : null}
        {redemption ? (
          <div className="coupon" data-testid="coupon">
            <dl className="details">
              <div><dt>{t('rewards.lookup.coupon')}</dt><dd><code>{redemption.couponCode}</code></dd></div>
              <div>
                <dt>{t('rewards.lookup.status')}</dt>
                <dd><span className={`badge status-${redemption.status}`} data-testid="coupon-status">{status ? t(status) : redemption.status}</span></dd>
              </div>
              <div><dt>{t('rewards.lookup.reward')}</dt><dd>{redemption.reward.name}</dd></div>
              <div>
                <dt>{t('rewards.lookup.member')}</dt>
                <dd>
                  <Link to={`/members/${encodeURIComponent(redemption.member.id)}`}>{memberLabel(redemption.member)}</Link>
                  {redemption.member.externalId ? <span className="muted"> {redemption.member.externalId}</span> : null}
                </dd>
              </div>
              <div><dt>{t('rewards.lookup.points')}</dt><dd>{formatNumber(redemption.points)}</dd></div>
              <div><dt>{t('rewards.lookup.issued')}</dt><dd>{formatDateTime(redemption.createdAt)}</dd></div>
              <div><dt>{t('rewards.lookup.validUntil')}</dt><dd>{redemption.expiresAt ? formatDateTime(redemption.expiresAt) : t('rewards.noEnd')}</dd></div>
              {redemption.usedAt ? (
                <div><dt>{t('rewards.lookup.used')}</dt><dd>{formatDateTime(redemption.usedAt)}{redemption.usedAtStore ? ` · ${redemption.usedAtStore}` : ''}</dd></div>
              ) : null}
            </dl>
            {redemption.status === 'ISSUED' ? (
              <div className="form-actions">
                <button type="button" className="danger" onClick={() => setCancelling({ id: redemption.id, couponCode: redemption.couponCode, rewardName: redemption.reward.name })}>
                  {t('rewards.lookup.cancel')}
                </button>
              </div>
            ) : null}
          </div>
        ) : null}
      </div>
      <CancelRedemptionDialog redemption={cancelling} onClose={() => setCancelling(null)} onDone={() => refetch({ requestPolicy: 'network-only' })} />
    </Section>
  );
}
