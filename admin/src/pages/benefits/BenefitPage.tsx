import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import type { PageParams } from '../../app/pages';
import { Link } from '../../app/router';
import type { AuditRowFragment, BenefitDetailQuery, BenefitPatch } from '../../gql/graphql';
import { toOperationError, type OperationError } from '../../graphql/errors';
import { useI18n, type MessageKey } from '../../i18n';
import { useConfirm } from '../../ui/ConfirmDialog';
import { Form } from '../../ui/Form';
import { Empty, ErrorState, Page, Section } from '../../ui/Page';
import { ConnectionPager, useCursorPager } from '../../ui/Pager';
import { AuditChanges, changedFields, formatValue, parseJsonObject } from '../audit/changes';
import '../audit/audit.css';
import { sameSet } from '../tiers/form-values';
import { BenefitFormFields, kindLabel, kindTakesValue, ruleOf, valuesOf, type BenefitValues } from './form';
import './benefits.css';
import { BenefitAuditQuery, BenefitDetailQuery as DetailQuery, UpdateBenefitMutation } from './operations';
import { SCHEDULE_CLASS, SCHEDULE_LABEL, scheduleStatus } from './status';
import { codeOfSegment } from '../../app/code-path';

type Detail = BenefitDetailQuery;
type Benefit = Detail['benefits'][number];
const AUDIT_PAGE = 10;

/** A rule's fields as the version snapshots and audit entries name them, with their labels. */
const FIELD_LABEL: Record<string, MessageKey> = {
  code: 'benefits.field.code', name: 'benefits.field.name', description: 'benefits.field.description', kind: 'benefits.field.kind',
  value: 'benefits.field.value', tierCodes: 'benefits.field.tierCodes', requiredTags: 'benefits.field.requiredTags',
  active: 'benefits.field.active', validFrom: 'benefits.field.validFrom', validTo: 'benefits.field.validTo',
};

/**
 * One benefit rule: what it is now, its edit form (a patch: only the fields changed; a change is
 * a new version), its schedule (validFrom/validTo), its versions with a side-by-side comparison
 * of any two, and who changed what (the audit log for this rule). One request (BenefitDetail);
 * the audit entries' later pages are requests of their own.
 */
export default function BenefitPage({ params }: PageParams) {
  const { t } = useI18n();
  const code = codeOfSegment(params.code);
  const [result, refetch] = useQuery({ query: DetailQuery, variables: { code, auditFirst: AUDIT_PAGE } });
  const [saved, setSaved] = useState<number | null>(null);
  const [reloads, setReloads] = useState(0);
  const data = result.data;
  const benefit = data?.benefits.find((b) => b.code === code);
  const reload = () => {
    refetch({ requestPolicy: 'network-only' });
    setReloads((n) => n + 1);
  };
  return (
    <Page
      title={benefit?.name ?? code}
      subtitle={<Link to="/benefits">{t('benefits.backToList')}</Link>}
      loading={result.fetching && !data}
      error={toOperationError(result.error)}
      onRetry={reload}
    >
      {data && !benefit ? <Empty>{t('benefits.notFound', { code })}</Empty> : null}
      {data && benefit ? (
        <>
          {saved !== null ? <p className="notice" role="status" data-testid="saved">{t('benefits.edit.saved', { version: saved })}</p> : null}
          <RuleSummary benefit={benefit} tiers={data.tiers} zone={data.program.timeZone} />
          <EditBenefit
            benefit={benefit}
            tiers={data.tiers}
            tags={data.tags}
            zone={data.program.timeZone}
            onSaved={(version, allSaved) => {
              // Not called saved while a change typed meanwhile is still in the form, unsent.
              setSaved(allSaved ? version : null);
              reload();
            }}
          />
          <VersionHistory key={`history-${benefit.version}`} benefit={benefit} tiers={data.tiers} />
          <WhoChanged key={`audit-${reloads}`} code={code} first={data.auditEntries} />
        </>
      ) : null}
    </Page>
  );
}

function RuleSummary({ benefit, tiers, zone }: { benefit: Benefit; tiers: Detail['tiers']; zone: string }) {
  const { t, formatDateTime } = useI18n();
  const status = scheduleStatus(benefit);
  const tierName = new Map(tiers.map((x) => [x.code, x.name]));
  const rows: [string, React.ReactNode][] = [
    [t('benefits.field.code'), <code key="code">{benefit.code}</code>],
    [t('benefits.field.kind'), kindLabel(benefit.kind, t)],
    [t('benefits.field.value'), benefit.value ?? '—'],
    [t('benefits.field.description'), benefit.description ?? '—'],
    [t('benefits.field.tierCodes'), benefit.tierCodes.length ? benefit.tierCodes.map((c) => tierName.get(c) ?? c).join(', ') : t('benefits.allTiers')],
    [t('benefits.field.requiredTags'), benefit.requiredTags.length ? benefit.requiredTags.join(', ') : '—'],
    [t('benefits.col.status'), <span key="status" className={`badge ${SCHEDULE_CLASS[status]}`}>{t(SCHEDULE_LABEL[status])}</span>],
    [t('benefits.field.validFrom'), formatDateTime(benefit.validFrom, zone)],
    [t('benefits.field.validTo'), formatDateTime(benefit.validTo, zone)],
    [t('benefits.col.version'), <span key="version" data-testid="current-version">{benefit.version}</span>],
  ];
  return (
    <Section title={t('benefits.rule.title')} id="rule">
      <dl className="details rule-details">
        {rows.map(([label, value]) => <div key={label}><dt>{label}</dt><dd>{value}</dd></div>)}
      </dl>
    </Section>
  );
}

/** The fields changed, as a patch (an emptied field is cleared: null), or the fields the console itself refuses. */
function patchOf(b: Benefit, v: BenefitValues, zone: string, t: (key: MessageKey) => string): { patch: BenefitPatch } | { invalid: Record<string, string> } {
  const built = ruleOf(v, zone, t);
  if ('invalid' in built) return built;
  const next = built.rule;
  const was = valuesOf(b, zone);
  const patch: BenefitPatch = {};
  if (next.name !== was.name) patch.name = next.name;
  if ((next.description ?? '') !== was.description) patch.description = next.description;
  if (next.kind !== was.kind) patch.kind = next.kind;
  if ((kindTakesValue(next.kind) ? v.value.trim() : '') !== was.value) patch.value = next.value;
  if (!sameSet(next.tierCodes, was.tierCodes)) patch.tierCodes = next.tierCodes;
  if (!sameSet(next.requiredTags ?? [], was.requiredTags)) patch.requiredTags = next.requiredTags;
  if (next.active !== was.active) patch.active = next.active;
  for (const f of ['validFrom', 'validTo'] as const) if (v[f] !== was[f]) patch[f] = next[f];
  return { patch };
}

const sameValue = (a: BenefitValues[keyof BenefitValues], b: BenefitValues[keyof BenefitValues]) =>
  Array.isArray(a) && Array.isArray(b) ? sameSet(a, b) : a === b;

/**
 * The rule as the server has it, with the operator's changes over it. The form is not rebuilt
 * when a save's answer (a new version) comes: a field changed while the save was on its way stays
 * (and keeps the cursor), to be saved next; the fields the save stored, or that the operator did
 * not touch, show the rule as it now is.
 */
function EditBenefit({ benefit, tiers, tags, zone, onSaved }: { benefit: Benefit; tiers: Detail['tiers']; tags: Detail['tags']; zone: string; onSaved: (version: number, allSaved: boolean) => void }) {
  const { t } = useI18n();
  const confirm = useConfirm();
  const stored = useMemo(() => valuesOf(benefit, zone), [benefit, zone]);
  const [edits, setEdits] = useState<Partial<BenefitValues>>({});
  // The edits that still differ from the rule as it now is (those saved, here or by a colleague,
  // are done; one typed back to the rule's value is none, so a colleague's later change shows).
  const stillEdited = useCallback((e: Partial<BenefitValues>) =>
    Object.fromEntries(Object.entries(e).filter(([k, v]) => !sameValue(v, stored[k as keyof BenefitValues]))) as Partial<BenefitValues>, [stored]);
  useEffect(() => setEdits(stillEdited), [stillEdited]);
  const values: BenefitValues = { ...stored, ...edits };
  const [error, setError] = useState<OperationError | null>(null);
  const [{ fetching }, update] = useMutation(UpdateBenefitMutation);
  // The operator's changes, counted: a save's answer says "saved" only if none came while it was on its way.
  const changes = useRef(0);
  const set = <K extends keyof BenefitValues>(key: K, value: BenefitValues[K]) => {
    changes.current += 1;
    setEdits((e) => stillEdited({ ...e, [key]: value }));
  };
  const submit = async () => {
    const built = patchOf(benefit, values, zone, t);
    if ('invalid' in built) return setError({ code: 'BAD_USER_INPUT', fields: built.invalid, general: [] });
    if (!Object.keys(built.patch).length) return setError({ code: 'BAD_USER_INPUT', fields: {}, general: [t('benefits.edit.nothing')] });
    if (built.patch.active === false && !(await confirm({
      title: t('benefits.edit.offTitle'), message: t('benefits.edit.offMessage', { name: benefit.name }), confirmLabel: t('benefits.edit.offConfirm'),
    }))) return;
    const sentAfter = changes.current;
    const result = await update({ code: benefit.code, patch: built.patch });
    const failed = toOperationError(result.error);
    setError(failed);
    if (!failed && result.data) onSaved(result.data.updateBenefit.version, changes.current === sentAfter);
  };
  return (
    <Section title={t('benefits.edit.title')} id="edit">
      <Form onSubmit={submit} error={error} busy={fetching} submitLabel={t('benefits.edit.submit')} label={t('benefits.edit.title')} className="benefit-form">
        <BenefitFormFields values={values} set={set} tiers={tiers} tags={tags} zone={zone} />
      </Form>
    </Section>
  );
}

function VersionHistory({ benefit, tiers }: { benefit: Benefit; tiers: Detail['tiers'] }) {
  const { t, formatDateTime } = useI18n();
  const versions = benefit.history;
  const latest = versions[versions.length - 1]?.version ?? benefit.version;
  const [left, setLeft] = useState(versions.length > 1 ? versions[versions.length - 2].version : latest);
  const [right, setRight] = useState(latest);
  return (
    <Section title={t('benefits.history.title')} id="history">
      <div className="table-wrap">
        <table className="table" data-testid="versions">
          <caption className="visually-hidden">{t('benefits.history.title')}</caption>
          <thead>
            <tr>
              <th scope="col" className="num">{t('benefits.history.version')}</th>
              <th scope="col">{t('benefits.history.changedAt')}</th>
              <th scope="col">{t('benefits.history.changedBy')}</th>
              <th scope="col">{t('benefits.history.left')}</th>
              <th scope="col">{t('benefits.history.right')}</th>
            </tr>
          </thead>
          <tbody>
            {[...versions].reverse().map((v) => (
              <tr key={v.version} aria-current={v.version === benefit.version ? 'true' : undefined}>
                <td className="num">{v.version === benefit.version ? t('benefits.history.current', { version: v.version }) : v.version}</td>
                <td>{formatDateTime(v.changedAt)}</td>
                <td>{v.changedBy}</td>
                <td>
                  <input type="radio" name="diff-left" checked={left === v.version} onChange={() => setLeft(v.version)}
                    aria-label={t('benefits.history.pickLeft', { version: v.version })} />
                </td>
                <td>
                  <input type="radio" name="diff-right" checked={right === v.version} onChange={() => setRight(v.version)}
                    aria-label={t('benefits.history.pickRight', { version: v.version })} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <VersionDiff benefit={benefit} tiers={tiers} left={left} right={right} />
    </Section>
  );
}

/**
 * Two versions side by side: every field of the rule, the ones that differ marked (in words, not
 * colour alone); the kind and the tiers in words, as the rule's summary shows them.
 */
function VersionDiff({ benefit, tiers, left, right }: { benefit: Benefit; tiers: Detail['tiers']; left: number; right: number }) {
  const { t, formatDateTime } = useI18n();
  const snapshots = useMemo(() => new Map(benefit.history.map((v) => [v.version, parseJsonObject(v.snapshot) ?? {}])), [benefit.history]);
  const a = snapshots.get(left) ?? {};
  const b = snapshots.get(right) ?? {};
  // The rule's fields in the form's order (a snapshot is jsonb: its keys come back in jsonb's order), then any others.
  const order = Object.keys(FIELD_LABEL);
  const rank = (f: string) => (order.includes(f) ? order.indexOf(f) : order.length);
  const fields = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort((x, y) => rank(x) - rank(y) || x.localeCompare(y));
  const changed = new Set(changedFields(a, b).map((c) => c.field));
  const tierName = new Map(tiers.map((x) => [x.code, x.name]));
  const show = (field: string, v: unknown) => {
    if (field === 'kind' && typeof v === 'string') return kindLabel(v, t);
    if (field === 'tierCodes' && Array.isArray(v)) return v.length ? v.map((c) => tierName.get(String(c)) ?? String(c)).join(', ') : t('benefits.allTiers');
    return formatValue(v, t, formatDateTime);
  };
  const title = t('benefits.diff.title', { left, right });
  return (
    <div className="diff">
      <h3 id="diff-heading">{title}</h3>
      <p className="muted" aria-live="polite">{changed.size ? t('benefits.diff.count', { count: changed.size }) : t('benefits.diff.same')}</p>
      <div className="table-wrap">
        <table className="table diff-table" data-testid="benefit-diff" aria-labelledby="diff-heading">
          <thead>
            <tr>
              <th scope="col">{t('benefits.diff.field')}</th>
              <th scope="col">{t('benefits.diff.version', { version: left })}</th>
              <th scope="col">{t('benefits.diff.version', { version: right })}</th>
              <th scope="col">{t('benefits.diff.changed')}</th>
            </tr>
          </thead>
          <tbody>
            {fields.map((f) => {
              const differs = changed.has(f);
              return (
                <tr key={f} data-field={f} data-changed={differs ? 'true' : 'false'} className={differs ? 'diff-changed' : undefined}>
                  <th scope="row">{FIELD_LABEL[f] ? t(FIELD_LABEL[f]) : f}</th>
                  <td className={differs ? 'diff-old' : undefined}>{show(f, a[f])}</td>
                  <td className={differs ? 'diff-new' : undefined}>{show(f, b[f])}</td>
                  <td>{differs ? t('benefits.diff.yes') : ''}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </div>
  );
}

/** The audit entries of this rule, newest first: the first page came with the page's request. */
function WhoChanged({ code, first }: { code: string; first: Detail['auditEntries'] }) {
  const { t, formatDateTime } = useI18n();
  const pager = useCursorPager();
  const [later] = useQuery({ query: BenefitAuditQuery, variables: { code, first: AUDIT_PAGE, after: pager.after }, pause: pager.after === null });
  const connection = pager.after === null ? first : later.data?.auditEntries;
  const rows: AuditRowFragment[] = connection?.edges.map((e) => e.node) ?? [];
  return (
    <Section title={t('benefits.audit.title')} id="audit">
      {later.error ? <ErrorState error={toOperationError(later.error)!} /> : null}
      {connection && !rows.length ? <Empty>{t('benefits.audit.none')}</Empty> : null}
      {rows.length ? (
        <div className="table-wrap">
          <table className="table" data-testid="benefit-audit">
            <caption className="visually-hidden">{t('benefits.audit.title')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('audit.col.at')}</th>
                <th scope="col">{t('audit.col.actor')}</th>
                <th scope="col">{t('audit.col.action')}</th>
                <th scope="col">{t('audit.col.changes')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id}>
                  <td>{formatDateTime(r.at)}</td>
                  <td>{r.actor}</td>
                  <td><code>{r.action}</code></td>
                  <td><AuditChanges before={r.before} after={r.after} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <ConnectionPager label={t('benefits.audit.title')} pager={pager} connection={connection} busy={later.fetching} />
    </Section>
  );
}
