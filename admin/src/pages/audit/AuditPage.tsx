import { useEffect, useState } from 'react';
import { useQuery } from 'urql';
import { Link, navigate, useSearchParams } from '../../app/router';
import type { AuditFilterInput, AuditRowFragment } from '../../gql/graphql';
import { toOperationError } from '../../graphql/errors';
import { useI18n, type MessageKey } from '../../i18n';
import { Field, Form } from '../../ui/Form';
import { Empty, Page } from '../../ui/Page';
import { ConnectionPager, useCursorPager } from '../../ui/Pager';
import { AuditChanges } from './changes';
import './audit.css';
import { AuditLogQuery, AuditTimeZoneQuery } from './operations';
import { dayNumber, dayOfNumber, startOfLocalDay } from '../../../../src/common/local-time.rules';
import { codeSegment } from '../../app/code-path';

const PAGE_SIZE = 20;
const FILTERS = ['entity', 'entityId', 'action', 'actor', 'from', 'to'] as const;
type Filter = (typeof FILTERS)[number];
type Filters = Record<Filter, string>;

/** The entities the log files changes under (docs/console-api.md), with their labels. */
const ENTITY_LABEL: Record<string, MessageKey> = {
  Member: 'audit.entity.Member', Benefit: 'audit.entity.Benefit', Reward: 'audit.entity.Reward', Tier: 'audit.entity.Tier',
  Program: 'audit.entity.Program', Tag: 'audit.entity.Tag', Segment: 'audit.entity.Segment', ActivityRule: 'audit.entity.ActivityRule',
  Redemption: 'audit.entity.Redemption', Campaign: 'audit.entity.Campaign', WebhookEndpoint: 'audit.entity.WebhookEndpoint',
};

const FILTER_LABEL: Record<Filter, MessageKey> = {
  entity: 'audit.filter.entity', entityId: 'audit.filter.entityId', action: 'audit.filter.action', actor: 'audit.filter.actor',
  from: 'audit.filter.from', to: 'audit.filter.to',
};

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * A day (YYYY-MM-DD) as the instant it starts in the programme's time zone (its local midnight,
 * as the Dashboard's and the Segments page's days); `to` is the end of its day (exclusive: the next day's start).
 */
function dayStart(day: string, zone: string, plusDays = 0): string {
  if (!DAY.test(day)) return day; // the server names what is wrong with it
  return startOfLocalDay(dayOfNumber(dayNumber(day) + plusDays), zone).toISOString();
}

function toInput(f: Filters, zone: string): AuditFilterInput {
  const input: AuditFilterInput = {};
  if (f.entity) input.entity = f.entity;
  if (f.entityId.trim()) input.entityId = f.entityId.trim();
  if (f.action.trim()) input.action = f.action.trim();
  if (f.actor.trim()) input.actor = f.actor.trim();
  if (f.from) input.from = dayStart(f.from, zone);
  if (f.to) input.to = dayStart(f.to, zone, 1);
  return input;
}

/** Where an entry's entity has a console page: a member's profile, a benefit's or a campaign's page. */
function entityPath(entity: string, id: string): string | null {
  if (entity === 'Member') return `/members/${encodeURIComponent(id)}`;
  if (entity === 'Benefit') return `/benefits/${codeSegment(id)}`;
  if (entity === 'Campaign') return `/campaigns/${codeSegment(id)}`;
  return null;
}

/**
 * The audit log: every change made through the API, newest first, filtered by entity, entity
 * id, action, actor and days, and paged (auditEntries). The filters are in the address, so a
 * filtered log can be linked and Back returns to the previous filter. One request per page.
 */
export default function AuditPage() {
  const { t, formatDateTime } = useI18n();
  const params = useSearchParams();
  const applied = Object.fromEntries(FILTERS.map((f) => [f, params.get(f) ?? ''])) as Filters;
  const appliedKey = FILTERS.map((f) => applied[f]).join('\u0000');
  const [draft, setDraft] = useState<Filters>(applied);
  const pager = useCursorPager();
  const { reset } = pager;
  useEffect(() => {
    setDraft(Object.fromEntries(FILTERS.map((f) => [f, new URLSearchParams(window.location.search).get(f) ?? ''])) as Filters);
    reset();
  }, [appliedKey, reset]);
  // The days are the programme's: its zone comes with the log (one request); a page opened with
  // days in its filter asks for the zone first.
  const [zone, setZone] = useState<string | null>(null);
  const hasDays = Boolean(applied.from || applied.to);
  const [zoneResult, refetchZone] = useQuery({ query: AuditTimeZoneQuery, pause: zone !== null || !hasDays });
  const knownZone = zone ?? zoneResult.data?.program.timeZone ?? null;
  const [result, refetch] = useQuery({
    query: AuditLogQuery, variables: { filter: toInput(applied, knownZone ?? 'UTC'), first: PAGE_SIZE, after: pager.after }, pause: hasDays && !knownZone,
  });
  const loadedZone = result.data?.program.timeZone ?? zoneResult.data?.program.timeZone;
  // The rows' instants in the zone the day filter uses (a row of 8 December listed under 8 December), as the Jobs page shows its runs.
  const shownZone = loadedZone ?? undefined;
  useEffect(() => {
    if (loadedZone) setZone(loadedZone);
  }, [loadedZone]);
  const error = toOperationError(result.error ?? zoneResult.error);
  const retry = () => (hasDays && !knownZone ? refetchZone : refetch)({ requestPolicy: 'network-only' });
  // A refused filter (BAD_USER_INPUT naming from, to, after…) goes to the filter form; the rest is the page's.
  const formError = error?.code === 'BAD_USER_INPUT' ? error : null;
  const connection = result.fetching ? undefined : result.data?.auditEntries;
  const rows: AuditRowFragment[] = connection?.edges.map((e) => e.node) ?? [];
  const filtered = FILTERS.some((f) => applied[f]);

  const apply = () => {
    const query = new URLSearchParams();
    for (const f of FILTERS) if (draft[f].trim()) query.set(f, draft[f].trim());
    const search = query.toString();
    if (search === new URLSearchParams(window.location.search).toString()) refetch({ requestPolicy: 'network-only' });
    navigate(search ? `/audit?${search}` : '/audit');
  };
  const set = (f: Filter) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) => setDraft((d) => ({ ...d, [f]: e.target.value }));

  return (
    <Page title={t('audit.title')} subtitle={t('audit.subtitle')} error={formError ? null : error} onRetry={retry}>
      <section className="section" aria-labelledby="audit-filters-heading">
        <h2 id="audit-filters-heading" className="visually-hidden">{t('audit.filters')}</h2>
        <Form onSubmit={apply} error={formError} submitLabel={t('audit.apply')} label={t('audit.filters')} className="audit-filters">
          <Field name="entity" label={t(FILTER_LABEL.entity)}>
            {(p) => (
              <select {...p} value={draft.entity} onChange={set('entity')}>
                <option value="">{t('audit.filter.anyEntity')}</option>
                {Object.keys(ENTITY_LABEL).map((e) => <option key={e} value={e}>{t(ENTITY_LABEL[e])}</option>)}
              </select>
            )}
          </Field>
          {(['entityId', 'action', 'actor'] as const).map((f) => (
            <Field key={f} name={f} label={t(FILTER_LABEL[f])} hint={t(`audit.hint.${f}`)}>
              {(p) => <input {...p} value={draft[f]} onChange={set(f)} autoComplete="off" spellCheck={false} />}
            </Field>
          ))}
          {(['from', 'to'] as const).map((f) => (
            <Field key={f} name={f} label={t(FILTER_LABEL[f])} hint={knownZone ? t('audit.hint.days', { zone: knownZone }) : undefined}>
              {(p) => <input {...p} type="date" value={draft[f]} onChange={set(f)} />}
            </Field>
          ))}
        </Form>
        {filtered ? <p className="audit-clear"><Link to="/audit">{t('audit.clear')}</Link></p> : null}
      </section>
      {(result.fetching || zoneResult.fetching) && !connection ? <p className="muted" role="status">{t('page.loading')}</p> : null}
      {connection && !rows.length ? <Empty>{filtered ? t('audit.noMatch') : t('audit.none')}</Empty> : null}
      {rows.length ? (
        // Focusable: at tablet width the table scrolls sideways inside its frame, and the keyboard scrolls it too.
        <div className="table-wrap" tabIndex={0} role="region" aria-label={t('audit.title')}>
          <table className="table audit-table" data-testid="audit">
            <caption className="visually-hidden">{t('audit.title')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('audit.col.at')}{shownZone ? ` (${shownZone})` : ''}</th>
                <th scope="col">{t('audit.col.actor')}</th>
                <th scope="col">{t('audit.col.action')}</th>
                <th scope="col">{t('audit.col.entity')}</th>
                <th scope="col">{t('audit.col.entityId')}</th>
                <th scope="col">{t('audit.col.changes')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => {
                const path = entityPath(r.entity, r.entityId);
                return (
                  <tr key={r.id} data-id={r.id}>
                    <td>{formatDateTime(r.at, shownZone)}</td>
                    <td>{r.actor}</td>
                    <td><code>{r.action}</code></td>
                    <td>{ENTITY_LABEL[r.entity] ? t(ENTITY_LABEL[r.entity]) : r.entity}</td>
                    <td className="audit-id">{path ? <Link to={path}>{r.entityId}</Link> : r.entityId}</td>
                    <td><AuditChanges before={r.before} after={r.after} timeZone={shownZone} /></td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
      <ConnectionPager label={t('audit.title')} pager={pager} connection={connection} busy={result.fetching} />
    </Page>
  );
}
