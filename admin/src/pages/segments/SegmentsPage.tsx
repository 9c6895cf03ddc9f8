import { useEffect, useMemo, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { currentSession } from '../../auth/session';
import { Link } from '../../app/router';
import type { SavedSegmentFragment, SegmentFilterInput, SegmentMemberFragment, SegmentsPageQuery as PageData } from '../../gql/graphql';
import { toOperationError, type OperationError } from '../../graphql/errors';
import { useI18n, type MessageKey } from '../../i18n';
import { RFM_LABEL, STAGE_LABEL } from '../../i18n/enums';
import { Chart } from '../../ui/Chart';
import { Field, Form } from '../../ui/Form';
import { Empty, ErrorState, Page, Section } from '../../ui/Page';
import { ConnectionPager, useCursorPager } from '../../ui/Pager';
import { useDebounced } from '../../ui/useDebounced';
import { useStillShown } from '../../ui/useStillShown';
import { downloadWithToken } from './download';
import { conditionCount, emptyDraft, FILTER_FIELDS, filterIntErrors, fromFilter, toFilterInput, toSavedFilter, type Draft } from './filter';
import { FilterBuilder } from './FilterBuilder';
import { SaveSegmentMutation, SegmentPreviewMembersQuery, SegmentPreviewQuery, SegmentsPageQuery } from './operations';
import { DIMENSIONS, rowsOf, tgiOption, type Dimension, type ProfileRow } from './profile';
import './segments.css';
import { memberLabel } from '../members/label';

const PAGE_SIZE = 20;
const DEBOUNCE_MS = 400;

const DIMENSION_LABEL: Record<Dimension, MessageKey> = {
  tier: 'segments.dimension.tier', stage: 'segments.dimension.stage', rfm: 'segments.dimension.rfm', tag: 'segments.dimension.tag',
  region: 'segments.dimension.region', channel: 'segments.dimension.channel', gender: 'segments.dimension.gender',
};
const GENDER_LABEL: Record<string, MessageKey> = { F: 'segments.gender.F', M: 'segments.gender.M', X: 'segments.gender.X' };

/**
 * Segments: a filter builder with the live size (segmentPreview, one request per change of the
 * filter, debounced), the TGI profile as a chart, the members (paged), saving by name, and
 * the saved segments with their CSV download (fetched with the token: a link cannot send it).
 */
export default function SegmentsPage() {
  const { t } = useI18n();
  const [meta, refetchMeta] = useQuery({ query: SegmentsPageQuery });
  const [draft, setDraft] = useState<Draft>(emptyDraft);
  const [name, setName] = useState('');
  // Dates are the programme's days; the builder (and so a date) appears once the page's data, the zone with it, is here.
  const zone = meta.data?.program.timeZone ?? 'UTC';
  const key = JSON.stringify(toFilterInput(draft, zone));
  const settledKey = useDebounced(key, DEBOUNCE_MS);
  const filter = useMemo(() => JSON.parse(settledKey) as SegmentFilterInput, [settledKey]);
  const local = filterIntErrors(draft, t('form.notAWholeNumber'));
  const [preview, refetchPreview] = useQuery({ query: SegmentPreviewQuery, variables: { filter, first: PAGE_SIZE }, pause: Object.keys(local).length > 0 });
  const previewError = useMemo(() => toOperationError(preview.error), [preview.error]);
  const previewData = preview.error ? undefined : preview.data?.segmentPreview;
  const updating = key !== settledKey || preview.fetching;
  // A save refused for a condition: its message under that condition (until the filter changes), with the preview's.
  const [saveRefusal, setSaveRefusal] = useState<{ key: string; fields: Record<string, string> } | null>(null);
  const filterErrors = { ...(saveRefusal?.key === key ? saveRefusal.fields : {}), ...(previewError?.fields ?? {}), ...local };

  // The profile lists every value of region, channel and gender among all members: the pickers' options.
  const [values, setValues] = useState<{ genders: string[]; regions: string[]; channels: string[] }>({ genders: [], regions: [], channels: [] });
  useEffect(() => {
    if (!previewData) return;
    const of = (dimension: string, known: string[]) => {
      const seen = new Set(known);
      for (const r of previewData.profile) if (r.dimension === dimension && r.value !== 'UNKNOWN') seen.add(r.value);
      return [...seen].sort();
    };
    setValues((v) => ({ genders: of('gender', v.genders), regions: of('region', v.regions), channels: of('channel', v.channels) }));
  }, [previewData]);

  const genderLabel = (g: string) => (GENDER_LABEL[g] ? t(GENDER_LABEL[g]) : g);
  const open = (segment: SavedSegmentFragment) => {
    setDraft(fromFilter(segment.filter, zone));
    setName(segment.name);
    document.getElementById('segment-filter-heading')?.scrollIntoView({ block: 'start' });
  };
  const data = meta.data;
  return (
    <Page
      title={t('segments.title')}
      subtitle={t('segments.subtitle')}
      loading={meta.fetching && !data}
      error={toOperationError(meta.error)}
      onRetry={() => refetchMeta({ requestPolicy: 'network-only' })}
    >
      {data ? (
        <>
          <div className="segments-layout">
            <Section
              title={t('segments.filter.title')}
              id="segment-filter"
              actions={<button type="button" onClick={() => { setDraft(emptyDraft()); setName(''); }} disabled={key === '{}'}>{t('segments.filter.clear')}</button>}
            >
              <p className="muted filter-summary">{t('segments.filter.conditions', { count: conditionCount(JSON.parse(key) as SegmentFilterInput) })}</p>
              <FilterBuilder
                draft={draft}
                onChange={setDraft}
                tiers={data.tiers}
                tags={data.tags}
                values={values}
                errors={filterErrors}
                genderLabel={genderLabel}
                zone={zone}
              />
            </Section>
            <div className="segments-results">
              <Section title={t('segments.size.title')} id="segment-size">
                <LiveSize size={previewData?.size ?? null} updating={updating && !Object.keys(local).length}
                  error={Object.keys(local).length ? { code: 'BAD_USER_INPUT', fields: local, general: [] } : previewError} onRetry={() => refetchPreview({ requestPolicy: 'network-only' })} />
                <SaveForm name={name} setName={setName} filter={toSavedFilter(draft, zone)} invalid={local} onRefused={(fields) => setSaveRefusal({ key, fields })} />
              </Section>
              <Section title={t('segments.profile.title')} id="segment-profile">
                {previewData ? <Profile rows={previewData.profile} data={data} size={previewData.size} genderLabel={genderLabel} /> : null}
              </Section>
              <Section title={t('segments.members.title')} id="segment-members">
                {previewData ? <Members key={settledKey} filter={filter} first={previewData.members} /> : null}
              </Section>
            </div>
          </div>
          <SavedSegments segments={data.segments} onOpen={open} />
        </>
      ) : null}
    </Page>
  );
}

function LiveSize({ size, updating, error, onRetry }: { size: number | null; updating: boolean; error: OperationError | null; onRetry: () => void }) {
  const { t, formatNumber } = useI18n();
  const general = error && (error.general.length || !Object.keys(error.fields).length) ? { ...error, fields: {} } : null;
  return (
    <div className="live-size" aria-busy={updating || undefined}>
      <p className="live-size-value" aria-live="polite" data-testid="segment-size">
        {error ? t('segments.size.invalid') : size == null ? t('page.loading') : t('segments.size.value', { count: formatNumber(size) })}
      </p>
      <p className="muted live-size-note">{updating ? t('segments.size.updating') : t('segments.size.note')}</p>
      {general ? <ErrorState error={general} onRetry={onRetry} /> : null}
    </div>
  );
}

function SaveForm({ name, setName, filter, invalid, onRefused }: {
  name: string; setName: (name: string) => void; filter: SegmentFilterInput; invalid: Record<string, string>; onRefused: (filterFields: Record<string, string>) => void;
}) {
  const { t } = useI18n();
  const [result, save] = useMutation(SaveSegmentMutation);
  const [saved, setSaved] = useState<string | null>(null);
  const [error, setError] = useState<OperationError | null>(null);
  const submit = async () => {
    setSaved(null);
    // A condition typed as no whole number is marked under it already: nothing is sent.
    if (Object.keys(invalid).length) return setError({ code: 'BAD_USER_INPUT', fields: invalid, general: [] });
    const r = await save({ input: { name: name.trim(), filter } });
    const refusal = toOperationError(r.error);
    setError(refusal);
    onRefused(Object.fromEntries(Object.entries(refusal?.fields ?? {}).filter(([f]) => FILTER_FIELDS.has(f))));
    if (r.data) setSaved(r.data.saveSegment.name);
  };
  return (
    <Form
      onSubmit={submit} error={error} busy={result.fetching} submitLabel={t('segments.save.submit')} label={t('segments.save.label')} className="save-form"
      shownElsewhere={(f) => FILTER_FIELDS.has(f)}
    >
      <Field name="name" label={t('segments.save.name')} hint={t('segments.save.hint')} required>
        {(p) => <input type="text" {...p} value={name} onChange={(e) => { setName(e.target.value); setSaved(null); }} autoComplete="off" data-testid="segment-name" />}
      </Field>
      {saved ? <p className="save-done" role="status" data-testid="segment-saved">{t('segments.save.done', { name: saved })}</p> : null}
    </Form>
  );
}

function Profile({ rows, data, size, genderLabel }: { rows: readonly ProfileRow[]; data: PageData; size: number; genderLabel: (g: string) => string }) {
  const { t, formatNumber } = useI18n();
  const [dimension, setDimension] = useState<Dimension>('tier');
  const tierNames = new Map(data.tiers.map((x) => [x.code, x.name]));
  const tagNames = new Map(data.tags.map((x) => [x.code, x.name]));
  const valueLabel = (row: ProfileRow): string => {
    if (row.value === 'UNKNOWN') return t('segments.value.unknown');
    if (row.value === 'NONE') return t('segments.value.noRfm');
    switch (row.dimension) {
      case 'tier': return tierNames.get(row.value) ?? row.value;
      case 'tag': return tagNames.get(row.value) ?? row.value;
      case 'stage': return row.value in STAGE_LABEL ? t(STAGE_LABEL[row.value as keyof typeof STAGE_LABEL]) : row.value;
      case 'rfm': return row.value in RFM_LABEL ? t(RFM_LABEL[row.value as keyof typeof RFM_LABEL]) : row.value;
      case 'gender': return genderLabel(row.value);
      default: return row.value;
    }
  };
  // Tiers by rank, stages and RFM cells in the schema's order, the rest as the server sorts them (by value).
  const order = (row: ProfileRow): number => {
    const list = row.dimension === 'tier' ? [...data.tiers].sort((a, b) => a.rank - b.rank).map((x) => x.code)
      : row.dimension === 'stage' ? Object.keys(STAGE_LABEL) : row.dimension === 'rfm' ? Object.keys(RFM_LABEL) : [];
    const i = list.indexOf(row.value);
    return i < 0 ? list.length : i;
  };
  const shown = [...rowsOf(rows, dimension)].sort((a, b) => order(a) - order(b));
  const percent = (x: number) => formatNumber(x, { style: 'percent', maximumFractionDigits: 1 });
  const number = (x: number) => formatNumber(x, { maximumFractionDigits: 0 });
  const option = useMemo(
    () => tgiOption(shown, valueLabel, {
      tgi: t('segments.profile.tgi'), population: t('segments.profile.population'), segmentShare: t('segments.profile.segmentShare'),
      populationShare: t('segments.profile.populationShare'), members: t('segments.profile.members'),
    }, percent, number),
    // Rebuilt when the rows, the dimension or the language change, not on every render (each would redraw).
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [rows, dimension, t, formatNumber],
  );
  return (
    <>
      <div className="profile-toolbar">
        <label htmlFor="profile-dimension">{t('segments.profile.dimension')}</label>
        <select id="profile-dimension" value={dimension} onChange={(e) => setDimension(e.target.value as Dimension)} data-testid="profile-dimension">
          {DIMENSIONS.map((d) => <option key={d} value={d}>{t(DIMENSION_LABEL[d])}</option>)}
        </select>
      </div>
      <p className="muted chart-note">{t('segments.profile.note')}</p>
      {size === 0 ? <Empty>{t('segments.profile.empty')}</Empty> : (
        <Chart
          option={option}
          label={t('segments.profile.chart', { dimension: t(DIMENSION_LABEL[dimension]) })}
          height={Math.max(180, 60 + shown.length * 34)}
          testId="chart-tgi"
        />
      )}
      <details className="profile-table">
        <summary>{t('segments.profile.asTable')}</summary>
        <div className="table-wrap" role="region" tabIndex={0} aria-label={t('segments.profile.tableLabel', { dimension: t(DIMENSION_LABEL[dimension]) })}>
          <table className="table">
            <thead>
              <tr>
                <th scope="col">{t(DIMENSION_LABEL[dimension])}</th>
                <th scope="col" className="num">{t('segments.profile.members')}</th>
                <th scope="col" className="num">{t('segments.profile.segmentShare')}</th>
                <th scope="col" className="num">{t('segments.profile.populationShare')}</th>
                <th scope="col" className="num">{t('segments.profile.tgi')}</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((r) => (
                <tr key={r.value}>
                  <th scope="row">{valueLabel(r)}</th>
                  <td className="num">{number(r.segmentCount)}</td>
                  <td className="num">{percent(r.segmentShare)}</td>
                  <td className="num">{percent(r.populationShare)}</td>
                  <td className="num">{r.tgi == null ? '—' : number(r.tgi)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </>
  );
}

function useMembersPage(filter: SegmentFilterInput, after: string | null) {
  const [result] = useQuery({ query: SegmentPreviewMembersQuery, variables: { filter, first: PAGE_SIZE, after }, pause: after === null });
  return result;
}

/** The first page comes with the preview; later ones are a request each. */
function Members({ filter, first }: { filter: SegmentFilterInput; first: { totalCount: number; edges: { node: SegmentMemberFragment }[]; pageInfo: { hasNextPage: boolean; endCursor?: string | null } } }) {
  const { t, formatNumber } = useI18n();
  const pager = useCursorPager();
  const later = useMembersPage(filter, pager.after);
  const connection = pager.after === null ? first : later.data?.segmentPreview.members;
  const rows = connection?.edges.map((e) => e.node) ?? [];
  const error = toOperationError(later.error);
  return (
    <>
      {error ? <ErrorState error={error} /> : null}
      {connection && rows.length === 0 ? <Empty>{t('segments.members.none')}</Empty> : null}
      {rows.length ? (
        <div className="table-wrap">
          <table className="table" data-testid="segment-members">
            <caption className="visually-hidden">{t('segments.members.title')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('segments.members.name')}</th>
                <th scope="col">{t('segments.members.externalId')}</th>
                <th scope="col">{t('segments.members.tier')}</th>
                <th scope="col">{t('segments.members.stage')}</th>
                <th scope="col" className="num">{t('segments.members.balance')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((m) => (
                <tr key={m.id}>
                  <td><Link to={`/members/${m.id}`}>{memberLabel(m)}</Link></td>
                  <td>{m.externalId ?? '—'}</td>
                  <td>{m.tier.name}</td>
                  <td><span className={`badge stage-${m.lifecycleStage}`}>{t(STAGE_LABEL[m.lifecycleStage])}</span></td>
                  <td className="num">{formatNumber(m.pointsBalance)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <ConnectionPager label={t('segments.members.title')} pager={pager} connection={connection} summary={connection && t('segments.members.total', { count: formatNumber(connection.totalCount) })} busy={later.fetching} />
    </>
  );
}

function SavedSegments({ segments, onOpen }: { segments: PageData['segments']; onOpen: (s: SavedSegmentFragment) => void }) {
  const { t, formatNumber } = useI18n();
  const [busy, setBusy] = useState<string | null>(null);
  const [message, setMessage] = useState<{ id: string; text: string; ok: boolean } | null>(null);
  const mounted = useStillShown();
  const download = async (s: SavedSegmentFragment) => {
    const session = currentSession();
    if (!session) return;
    setBusy(s.id);
    setMessage(null);
    try {
      const bytes = await downloadWithToken(s.exportPath, session.token, `${s.name.replace(/[^\p{L}\p{N}._-]+/gu, '-')}.csv`);
      if (mounted.current) setMessage({ id: s.id, ok: true, text: t('segments.saved.downloaded', { name: s.name, size: formatNumber(Math.ceil(bytes / 1024)) }) });
    } catch (err) {
      if (mounted.current) setMessage({ id: s.id, ok: false, text: t('segments.saved.downloadFailed', { name: s.name, message: (err as Error).message }) });
    } finally {
      if (mounted.current) setBusy(null);
    }
  };
  const sorted = [...segments].sort((a, b) => a.name.localeCompare(b.name));
  return (
    <Section title={t('segments.saved.title')} id="saved-segments">
      {message ? <p className={message.ok ? 'save-done' : 'field-error'} role={message.ok ? 'status' : 'alert'} data-testid="download-message">{message.text}</p> : null}
      {sorted.length === 0 ? <Empty>{t('segments.saved.none')}</Empty> : (
        <div className="table-wrap">
          <table className="table" data-testid="saved-segments">
            <caption className="visually-hidden">{t('segments.saved.title')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('segments.saved.name')}</th>
                <th scope="col" className="num">{t('segments.saved.size')}</th>
                <th scope="col">{t('segments.saved.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {sorted.map((s) => (
                <tr key={s.id}>
                  <th scope="row" id={`saved-${s.id}`}>{s.name}</th>
                  <td className="num">{formatNumber(s.size)}</td>
                  <td className="actions">
                    <button type="button" className="small" onClick={() => onOpen(s)} aria-describedby={`saved-${s.id}`}>{t('segments.saved.open')}</button>
                    <button type="button" className="small" onClick={() => void download(s)} disabled={busy === s.id} aria-busy={busy === s.id || undefined}
                      aria-describedby={`saved-${s.id}`}>
                      {busy === s.id ? t('common.working') : t('segments.saved.download')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Section>
  );
}
