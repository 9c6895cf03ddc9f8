import { useEffect, useMemo, useRef, useState, type Dispatch, type SetStateAction } from 'react';
import { useClient, useMutation, useQuery } from 'urql';
import { useStillShown } from '../../ui/useStillShown';
import type { PageParams } from '../../app/pages';
import { Link, navigate } from '../../app/router';
import type { CampaignFieldsFragment, CampaignPageQuery as PageData, SegmentFilterInput, SimulateCampaignQuery as SimulationData } from '../../gql/graphql';
import { toOperationError, type OperationError } from '../../graphql/errors';
import { useI18n } from '../../i18n';
import { CAMPAIGN_STATUS_LABEL, CAMPAIGN_TRIGGER_LABEL, endedReasonLabel } from '../../i18n/enums';
import { useConfirm } from '../../ui/ConfirmDialog';
import { Field, Form } from '../../ui/Form';
import { Empty, Page, Section } from '../../ui/Page';
import { useDebounced } from '../../ui/useDebounced';
import { conditionCount, FILTER_FIELDS, filterIntErrors, fromFilter, toFilterInput } from '../segments/filter';
import { FilterBuilder } from '../segments/FilterBuilder';
import '../segments/segments.css';
import {
  dayStart, daysFrom, formatDay, formatInstant, formatLastDay, formatTimeOfDay, fromCampaign, isLocalMidnight, newDraft, notIntegers, storedWindow, today, toInput, TRIGGERS, windowInstant,
  type CampaignDraft, type FloatField, type IntField,
} from './form';
import {
  ActivateCampaignMutation, AudienceSizeQuery, CampaignCodeTakenQuery, CampaignPageQuery, EndCampaignMutation, PauseCampaignMutation, SimulateCampaignQuery, UpsertCampaignMutation,
} from './operations';
import { CampaignReportSection } from './report';
import './campaigns.css';
import { codeOfSegment, codeSegment } from '../../app/code-path';

const GENDER_LABEL: Record<string, 'segments.gender.F' | 'segments.gender.M' | 'segments.gender.X'> = { F: 'segments.gender.F', M: 'segments.gender.M', X: 'segments.gender.X' };
const DEBOUNCE_MS = 400;
const SIMULATE_DAYS = 90;

/**
 * A campaign (`/campaigns/:code`) or a new one (`/campaigns/new`): its status and lifecycle
 * (activate, pause, resume, end, which asks first), the form (trigger and its conditions, the
 * window, the audience as a segment filter, effects, limits, and the control group, shown
 * prominently with what it means), a simulation over a past period, and once activated the
 * report of both arms (first, once there is one). Loads in one request (CampaignPage), plus the report once activated.
 */
export default function CampaignPage({ params }: PageParams) {
  const { t } = useI18n();
  const code = codeOfSegment(params.code ?? '');
  const editing = code !== '';
  const [result, refetch] = useQuery({ query: CampaignPageQuery, variables: { code, editing } });
  const data = result.data;
  const campaign = data?.campaign ?? null;
  const title = editing ? (campaign ? campaign.name : code) : t('campaigns.new');
  return (
    <Page
      title={title}
      subtitle={editing ? <StatusLine campaign={campaign} zone={data?.program.timeZone ?? 'UTC'} /> : t('campaigns.newSubtitle')}
      toolbar={campaign ? <LifecycleActions campaign={campaign} /> : <Link to="/campaigns">{t('campaigns.back')}</Link>}
      loading={result.fetching && !data}
      error={toOperationError(result.error)}
      onRetry={() => refetch({ requestPolicy: 'network-only' })}
    >
      {data && editing && !campaign ? <Empty>{t('campaigns.notFound', { code })}</Empty> : null}
      {campaign && campaign.status !== 'DRAFT' ? <CampaignReportSection code={campaign.code} /> : null}
      {data && (!editing || campaign) ? <Editor key={campaign?.id ?? 'new'} data={data} campaign={campaign} /> : null}
    </Page>
  );
}

function StatusLine({ campaign, zone }: { campaign: CampaignFieldsFragment | null; zone: string }) {
  const { t, language } = useI18n();
  if (!campaign) return null;
  const reason = campaign.endedReason ? endedReasonLabel(campaign.endedReason) : null;
  return (
    <span className="campaign-status-line">
      <span className={`badge campaign-${campaign.status}`} data-testid="campaign-status">{t(CAMPAIGN_STATUS_LABEL[campaign.status])}</span>
      {' '}
      {campaign.code} · {t(CAMPAIGN_TRIGGER_LABEL[campaign.trigger])} ·{' '}
      {campaign.endsAt ? t('campaigns.windowRange', { from: formatDay(language, campaign.startsAt, zone), to: formatLastDay(language, campaign.endsAt, zone) })
        : t('campaigns.windowOpen', { from: formatDay(language, campaign.startsAt, zone) })}
      {campaign.endedReason ? <> · <span data-testid="ended-reason">{reason ? t(reason) : campaign.endedReason}</span></> : null}
      {campaign.endedAt ? <> <span data-testid="ended-at">{t('campaigns.endedAt', { at: formatInstant(language, campaign.endedAt, zone) })}</span></> : null}
    </span>
  );
}

/** Activate (DRAFT), pause (ACTIVE), resume (PAUSED), end (ACTIVE or PAUSED; asks first). */
function LifecycleActions({ campaign }: { campaign: CampaignFieldsFragment }) {
  const { t } = useI18n();
  const confirm = useConfirm();
  const [activating, activate] = useMutation(ActivateCampaignMutation);
  const [pausing, pause] = useMutation(PauseCampaignMutation);
  const [ending, end] = useMutation(EndCampaignMutation);
  const [error, setError] = useState<OperationError | null>(null);
  const busy = activating.fetching || pausing.fetching || ending.fetching;
  const run = async (action: (vars: { code: string }) => Promise<{ error?: Parameters<typeof toOperationError>[0] }>) => {
    setError(null);
    const r = await action({ code: campaign.code });
    setError(toOperationError(r.error));
  };
  const endIt = async () => {
    if (await confirm({ title: t('campaigns.endTitle'), message: t('campaigns.endMessage', { name: campaign.name }), confirmLabel: t('campaigns.end') })) await run(end);
  };
  const s = campaign.status;
  return (
    <>
      {s === 'DRAFT' ? <button type="button" className="primary" disabled={busy} onClick={() => void run(activate)}>{t('campaigns.activate')}</button> : null}
      {s === 'PAUSED' ? <button type="button" className="primary" disabled={busy} onClick={() => void run(activate)}>{t('campaigns.resume')}</button> : null}
      {s === 'ACTIVE' ? <button type="button" disabled={busy} onClick={() => void run(pause)}>{t('campaigns.pause')}</button> : null}
      {s === 'ACTIVE' || s === 'PAUSED' ? <button type="button" className="danger" disabled={busy} onClick={() => void endIt()}>{t('campaigns.end')}</button> : null}
      <Link to="/campaigns">{t('campaigns.back')}</Link>
      {error ? <p className="field-error lifecycle-error" role="alert" data-testid="lifecycle-error">{[...error.general, ...Object.values(error.fields)].join(' ')}</p> : null}
    </>
  );
}

function Editor({ data, campaign }: { data: PageData; campaign: CampaignFieldsFragment | null }) {
  const zone = data.program.timeZone;
  const [draft, setDraft] = useState<CampaignDraft>(() => (campaign ? fromCampaign(campaign, zone) : newDraft(zone)));
  // The campaign's fields a simulation refused (a fraction in an integer field, or the server's
  // message about a campaign field): marked on the campaign's form, where those fields are.
  const [simulationMarks, setSimulationMarks] = useState<OperationError | null>(null);
  return (
    <>
      <CampaignForm data={data} campaign={campaign} draft={draft} setDraft={setDraft} marks={simulationMarks} clearMarks={() => setSimulationMarks(null)} />
      <SimulateSection draft={draft} zone={zone} onMarks={setSimulationMarks} />
    </>
  );
}

function CampaignForm({ data, campaign, draft, setDraft, marks, clearMarks }: {
  data: PageData; campaign: CampaignFieldsFragment | null; draft: CampaignDraft; setDraft: Dispatch<SetStateAction<CampaignDraft>>; marks: OperationError | null; clearMarks: () => void;
}) {
  const { t, formatNumber, language } = useI18n();
  const client = useClient();
  const [saving, save] = useMutation(UpsertCampaignMutation);
  const [checking, setChecking] = useState(false);
  const shown = useStillShown();
  const [ownError, setError] = useState<OperationError | null>(null);
  const error = ownError ?? marks;
  const [saved, setSaved] = useState(false);
  // The operator's changes, counted: a save's answer says "Saved." only if none came while it was on its way.
  const changes = useRef(0);
  const zone = data.program.timeZone;
  /** A window field's hint: a stored instant that is not local midnight is said, and kept while its day is. */
  const windowHint = (day: string, stored: string | null | undefined, midnightHint: string) =>
    stored && windowInstant(day, stored, zone) === stored && !isLocalMidnight(stored, zone)
      ? t('campaigns.field.keptTime', { time: formatTimeOfDay(language, stored, zone), zone }) : midnightHint;
  const update = (patch: Partial<CampaignDraft>) => {
    changes.current += 1;
    setSaved(false);
    setDraft({ ...draft, ...patch });
  };
  const setNumber = (f: IntField | FloatField, value: string) => update({ numbers: { ...draft.numbers, [f]: value } });
  const submit = async () => {
    setSaved(false);
    clearMarks();
    const bad = notIntegers(draft);
    if (bad.length) return setError({ code: 'BAD_USER_INPUT', fields: Object.fromEntries(bad.map((f) => [f, t('campaigns.notInteger')])), general: [] });
    const input = toInput(draft, data.program.timeZone);
    // upsertCampaign is keyed by the code: a new campaign with a taken code would overwrite that campaign.
    if (!campaign && input.code) {
      setChecking(true);
      const taken = await client.query(CampaignCodeTakenQuery, { code: input.code }, { requestPolicy: 'network-only' }).toPromise().finally(() => setChecking(false));
      if (taken.error || !taken.data) return setError(toOperationError(taken.error));
      if (taken.data.campaign) return setError({ code: 'BAD_USER_INPUT', fields: { code: t('campaigns.field.codeTaken', { code: input.code }) }, general: [] });
    }
    const sentAfter = changes.current;
    const r = await save({ input });
    setError(toOperationError(r.error));
    if (r.data) {
      setSaved(changes.current === sentAfter);
      // What is stored now is what an unchanged window field sends next time; what the operator
      // typed while the save was on its way stays in the form, to be saved.
      const stored = storedWindow(r.data.upsertCampaign);
      setDraft((now) => ({ ...now, stored }));
      // Left meanwhile: the list shows the new campaign; the page the operator went to stays theirs.
      if (!campaign && shown.current) navigate(`/campaigns/${codeSegment(r.data.upsertCampaign.code)}`);
    }
  };
  const numberField = (f: IntField | FloatField, label: string, hint?: string, props: { min?: number; max?: number; step?: number | 'any'; readOnly?: boolean } = {}) => (
    <Field name={f} label={label} hint={hint}>
      {(p) => <input type="number" inputMode="decimal" {...p} {...props} value={draft.numbers[f]} onChange={(e) => setNumber(f, e.target.value)} />}
    </Field>
  );
  // Once activated (ACTIVE or PAUSED; an ENDED one is read-only whole), what the server refuses to
  // change is shown as it is stored: the control share (the arms are assigned), the trigger, a start that has passed.
  const activated = campaign?.status === 'ACTIVE' || campaign?.status === 'PAUSED';
  const started = activated && draft.stored?.startsAt != null && new Date(draft.stored.startsAt).getTime() <= Date.now();
  const startedHint = (stored: string) => (isLocalMidnight(stored, zone) ? t('campaigns.field.startsFixed')
    : t('campaigns.field.startsFixedAt', { time: formatTimeOfDay(language, stored, zone), zone }));
  const percent = Number(draft.numbers.controlPercent);
  const controlSentence = draft.numbers.controlPercent.trim() === '' || !Number.isFinite(percent) ? t('campaigns.control.default')
    : percent === 0 ? t('campaigns.control.none') : t('campaigns.control.meaning', { percent: formatNumber(percent) });
  return (
    <Section title={t('campaigns.form.title')} id="campaign-form">
      {campaign?.status === 'ACTIVE' || campaign?.status === 'PAUSED' ? <p className="muted">{t('campaigns.form.audited')}</p> : null}
      {campaign?.status === 'ENDED' ? <p className="muted" data-testid="campaign-ended-note">{t('campaigns.form.ended')}</p> : null}
      <Form
        onSubmit={submit} error={error} busy={checking || saving.fetching} submitLabel={campaign ? t('campaigns.form.save') : t('campaigns.form.create')}
        label={t('campaigns.form.title')} className="campaign-form" readOnly={campaign?.status === 'ENDED'}
      >
        <div className="control-callout" data-testid="control-callout">
          {numberField('controlPercent', t('campaigns.field.controlPercent'), activated ? t('campaigns.field.armsFixed') : undefined, { min: 0, max: 50, step: 1, readOnly: activated })}
          <p className="control-meaning" aria-live="polite" data-testid="control-meaning">{controlSentence}</p>
        </div>
        <fieldset className="form-group">
          <legend>{t('campaigns.form.identity')}</legend>
          <div className="form-row">
            <Field name="code" label={t('campaigns.field.code')} hint={campaign ? t('campaigns.field.codeFixed') : t('campaigns.field.codeHint')} required>
              {(p) => <input type="text" {...p} value={draft.code} readOnly={Boolean(campaign)} onChange={(e) => update({ code: e.target.value })} autoComplete="off" />}
            </Field>
            <Field name="name" label={t('campaigns.field.name')} required>
              {(p) => <input type="text" {...p} value={draft.name} onChange={(e) => update({ name: e.target.value })} autoComplete="off" />}
            </Field>
          </div>
        </fieldset>
        <fieldset className="form-group">
          <legend>{t('campaigns.form.when')}</legend>
          <div className="form-row form-row-3">
            <Field name="trigger" label={t('campaigns.field.trigger')} hint={activated ? t('campaigns.field.triggerFixed') : undefined} required>
              {(p) => (
                <select {...p} value={draft.trigger} disabled={activated} onChange={(e) => update({ trigger: e.target.value as CampaignDraft['trigger'] })}>
                  {TRIGGERS.map((x) => <option key={x} value={x}>{t(CAMPAIGN_TRIGGER_LABEL[x])}</option>)}
                </select>
              )}
            </Field>
            <Field name="startsAt" label={t('campaigns.field.startsAt')} hint={started ? startedHint(draft.stored!.startsAt) : windowHint(draft.startsAt, draft.stored?.startsAt, t('campaigns.field.startsAtHint', { zone }))} required>
              {(p) => <input type="date" {...p} value={draft.startsAt} readOnly={started} onChange={(e) => update({ startsAt: e.target.value })} />}
            </Field>
            <Field name="endsAt" label={t('campaigns.field.endsAt')} hint={windowHint(draft.endsAt, draft.stored?.endsAt, t('campaigns.field.endsAtHint', { zone }))}>
              {(p) => <input type="date" {...p} value={draft.endsAt} onChange={(e) => update({ endsAt: e.target.value })} />}
            </Field>
          </div>
          {draft.trigger === 'PURCHASE' ? numberField('minAmount', t('campaigns.field.minAmount'), t('campaigns.field.minAmountHint'), { min: 0, step: 'any' }) : null}
          {draft.trigger === 'ACTIVITY' ? (
            <Field name="activityKind" label={t('campaigns.field.activityKind')} hint={t('campaigns.field.activityKindHint')}>
              {(p) => <input type="text" {...p} value={draft.activityKind} onChange={(e) => update({ activityKind: e.target.value })} autoComplete="off" />}
            </Field>
          ) : null}
        </fieldset>
        <fieldset className="form-group">
          <legend>{t('campaigns.form.effects')}</legend>
          <div className="form-row form-row-3">
            {numberField('bonusPoints', t('campaigns.field.bonusPoints'), t('campaigns.field.bonusPointsHint'), { min: 0, step: 1 })}
            {draft.trigger === 'PURCHASE' || draft.trigger === 'REFERRAL' ? numberField('multiplier', t('campaigns.field.multiplier'), t('campaigns.field.multiplierHint'), { min: 1, step: 'any' }) : null}
            <Field name="rewardCode" label={t('campaigns.field.rewardCode')} hint={t('campaigns.field.rewardCodeHint')}>
              {(p) => (
                <select {...p} value={draft.rewardCode} onChange={(e) => update({ rewardCode: e.target.value })}>
                  <option value="">{t('campaigns.field.noReward')}</option>
                  {data.rewards.map((r) => <option key={r.code} value={r.code}>{t('campaigns.field.rewardOption', { name: r.name, points: formatNumber(r.costPoints) })}</option>)}
                </select>
              )}
            </Field>
          </div>
        </fieldset>
        <fieldset className="form-group">
          <legend>{t('campaigns.form.limits')}</legend>
          <div className="form-row">
            {numberField('perMemberLimit', t('campaigns.field.perMemberLimit'), t('campaigns.field.perMemberLimitHint'), { min: 1, step: 1 })}
            {numberField('budgetPoints', t('campaigns.field.budgetPoints'), t('campaigns.field.budgetPointsHint'), { min: 1, step: 1 })}
          </div>
        </fieldset>
        <Audience data={data} draft={draft} update={update} errors={error?.fields ?? {}} />
        {saved ? <p className="save-done" role="status" data-testid="campaign-saved">{t('campaigns.form.saved')}</p> : null}
      </Form>
    </Section>
  );
}

/** The audience: a segment filter (the Segments page's builder), a saved segment as a start, and its live size. */
function Audience({ data, draft, update, errors }: { data: PageData; draft: CampaignDraft; update: (patch: Partial<CampaignDraft>) => void; errors: Record<string, string> }) {
  const { t, formatNumber } = useI18n();
  const zone = data.program.timeZone;
  const key = JSON.stringify(toFilterInput(draft.audience, zone));
  const [initialKey] = useState(key);
  const settledKey = useDebounced(key, DEBOUNCE_MS);
  const filter = useMemo(() => JSON.parse(settledKey) as SegmentFilterInput, [settledKey]);
  // The size of everyone came with the page; a changed audience is one request per change (debounced).
  const local = filterIntErrors(draft.audience, t('campaigns.notInteger'));
  const [size] = useQuery({ query: AudienceSizeQuery, variables: { filter }, pause: settledKey === initialKey || settledKey === '{}' || Object.keys(local).length > 0 });
  const sizeError = toOperationError(size.error);
  const values = useMemo(() => {
    const of = (dimension: string) => [...new Set(data.everyone.profile.filter((r) => r.dimension === dimension && r.value !== 'UNKNOWN').map((r) => r.value))].sort();
    return { genders: of('gender'), regions: of('region'), channels: of('channel') };
  }, [data.everyone.profile]);
  const conditions = conditionCount(JSON.parse(key) as SegmentFilterInput);
  // Open at first when the audience has conditions, then as the operator leaves it (emptying the
  // last condition does not close it under their hands), and opened for a message about a condition.
  const [open, setOpen] = useState(conditions > 0);
  const audienceError = Object.keys(errors).some((f) => FILTER_FIELDS.has(f));
  useEffect(() => {
    if (audienceError) setOpen(true);
  }, [audienceError, errors]);
  const updating = key !== settledKey || size.fetching;
  const shown = key === '{}' ? t('campaigns.audience.everyone', { count: formatNumber(data.everyone.size) })
    : sizeError || Object.keys(local).length ? t('segments.size.invalid')
      : settledKey !== initialKey && size.data && !updating ? t('campaigns.audience.size', { count: formatNumber(size.data.segmentPreview.size) })
        : updating ? t('segments.size.updating') : t('campaigns.audience.conditions', { count: conditions });
  return (
    <fieldset className="form-group">
      <legend>{t('campaigns.form.audience')}</legend>
      <p className="muted">{t('campaigns.audience.note')}</p>
      <p className="audience-size" aria-live="polite" data-testid="audience-size">{shown}</p>
      {data.segments.length ? (
        <div className="field">
          <label htmlFor="audience-from-segment">{t('campaigns.audience.fromSegment')}</label>
          <select id="audience-from-segment" value="" onChange={(e) => {
            const s = data.segments.find((x) => x.id === e.target.value);
            if (s) {
              update({ audience: fromFilter(s.filter, zone) });
              setOpen(true); // the conditions it brought, shown
            }
          }}>
            <option value="">{t('campaigns.audience.pickSegment')}</option>
            {data.segments.map((s) => <option key={s.id} value={s.id}>{s.name}</option>)}
          </select>
        </div>
      ) : null}
      <details className="audience-details" open={open} onToggle={(e) => setOpen(e.currentTarget.open)}>
        <summary>{t('campaigns.audience.edit')}</summary>
        <FilterBuilder
          draft={draft.audience}
          onChange={(audience) => update({ audience })}
          tiers={data.tiers}
          tags={data.tags}
          values={values}
          errors={{ ...(sizeError?.fields ?? {}), ...errors, ...local }}
          genderLabel={(g) => (GENDER_LABEL[g] ? t(GENDER_LABEL[g]) : g)}
          zone={zone}
        />
      </details>
    </fieldset>
  );
}

/** What the campaign as the form stands would have given over a past period (nothing is written). */
function SimulateSection({ draft, zone, onMarks }: { draft: CampaignDraft; zone: string; onMarks: (marks: OperationError | null) => void }) {
  const { t, formatNumber } = useI18n();
  const client = useClient();
  const [from, setFrom] = useState(() => daysFrom(today(zone), -SIMULATE_DAYS));
  const [to, setTo] = useState(() => today(zone));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<OperationError | null>(null);
  const [outcome, setOutcome] = useState<SimulationData['simulateCampaign'] | null>(null);
  const simulate = async () => {
    setOutcome(null);
    // A campaign field's message goes next to that field in the form above (no raw field name);
    // this form's alert says where to look, and keeps the rest.
    const place = (failed: OperationError | null) => {
      const campaignFields = Object.entries(failed?.fields ?? {}).filter(([f]) => f !== 'from' && f !== 'to');
      onMarks(campaignFields.length ? { code: failed!.code, fields: Object.fromEntries(campaignFields), general: [] } : null);
      setError(failed && {
        ...failed,
        fields: Object.fromEntries(Object.entries(failed.fields).filter(([f]) => f === 'from' || f === 'to')),
        general: [...failed.general, ...(campaignFields.length ? [t('campaigns.simulate.correctForm')] : [])],
      });
    };
    const bad = notIntegers(draft);
    if (bad.length) return place({ code: 'BAD_USER_INPUT', fields: Object.fromEntries(bad.map((f) => [f, t('campaigns.notInteger')])), general: [] });
    setBusy(true);
    try {
      const r = await client.query(SimulateCampaignQuery, {
        input: toInput(draft, zone), from: dayStart(from, zone), to: dayStart(to, zone),
      }, { requestPolicy: 'network-only' }).toPromise();
      place(toOperationError(r.error));
      if (r.data) setOutcome(r.data.simulateCampaign);
    } finally {
      setBusy(false);
    }
  };
  const cards: [string, string, string][] = outcome ? [
    [t('campaigns.simulate.eligibleMembers'), formatNumber(outcome.eligibleMembers), 'sim-eligible'],
    [t('campaigns.simulate.qualifyingEvents'), formatNumber(outcome.qualifyingEvents), 'sim-events'],
    [t('campaigns.simulate.points'), formatNumber(outcome.pointsWouldGive), 'sim-points'],
    [t('campaigns.simulate.cost'), formatNumber(outcome.costWouldBe, { minimumFractionDigits: 2, maximumFractionDigits: 2 }), 'sim-cost'],
  ] : [];
  return (
    <Section title={t('campaigns.simulate.title')} id="campaign-simulate">
      <p className="muted">{t('campaigns.simulate.note')}</p>
      <Form onSubmit={simulate} error={error} busy={busy} submitLabel={t('campaigns.simulate.submit')} label={t('campaigns.simulate.title')} className="simulate-form">
        <Field name="from" label={t('campaigns.simulate.from')} required>
          {(p) => <input type="date" {...p} value={from} onChange={(e) => setFrom(e.target.value)} />}
        </Field>
        <Field name="to" label={t('campaigns.simulate.to')} required>
          {(p) => <input type="date" {...p} value={to} onChange={(e) => setTo(e.target.value)} />}
        </Field>
      </Form>
      {outcome ? (
        <div className="campaign-cards" data-testid="simulation" role="status">
          {cards.map(([label, value, id]) => (
            <div className="card" key={id}>
              <div className="card-label">{label}</div>
              <div className="card-value" data-testid={id}>{value}</div>
            </div>
          ))}
        </div>
      ) : null}
    </Section>
  );
}
