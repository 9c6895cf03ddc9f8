import { useState } from 'react';
import { useClient, useQuery, type Client } from 'urql';
import type { CombinedError } from '@urql/core';
import type { JobRunRowFragment } from '../../gql/graphql';
import { toOperationError, type OperationError } from '../../graphql/errors';
import { useI18n, type MessageKey } from '../../i18n';
import { useConfirm } from '../../ui/ConfirmDialog';
import { Field, Form } from '../../ui/Form';
import { Empty, Page, Section } from '../../ui/Page';
import { fromZonedInput, toZonedInput } from '../tiers/form-values';
import { jobNamed, JOBS, runState, type JobName, type RunState } from './jobs';
import {
  JobRunsQuery, JobsOverviewQuery, RunBirthdayGiftsMutation, RunCampaignReevaluationMutation, RunExpirePointsMutation,
  RunRetentionRefreshMutation, RunTierNoticesMutation, RunTierReviewMutation,
} from './operations';
import './jobs.css';

/** Runs shown at first, and added by each "Show more"; the server lists at most 100. */
const PAGE = 20;
const MAX_RUNS = 100;

const STATE_LABEL: Record<RunState, MessageKey> = { done: 'jobs.state.done', running: 'jobs.state.running', failed: 'jobs.state.failed' };
const STATE_CLASS: Record<RunState, string> = { done: 'status-ISSUED', running: 'status-USED', failed: 'status-CANCELLED' };

interface RunAnswer { result?: { processed: number; changed: number } | null; error?: CombinedError }

/** Each job's own mutation, as of an instant: the run the scheduler makes at a slot, made now. */
const RUN: Record<JobName, (client: Client, asOf: string) => Promise<RunAnswer>> = {
  'points.expire': async (c, asOf) => {
    const r = await c.mutation(RunExpirePointsMutation, { asOf }).toPromise();
    return { result: r.data?.expirePoints, error: r.error };
  },
  'tiers.review': async (c, asOf) => {
    const r = await c.mutation(RunTierReviewMutation, { asOf }).toPromise();
    return { result: r.data?.runTierReview, error: r.error };
  },
  'tiers.notices': async (c, asOf) => {
    const r = await c.mutation(RunTierNoticesMutation, { asOf }).toPromise();
    return { result: r.data?.sendTierNotices, error: r.error };
  },
  'benefits.birthday': async (c, asOf) => {
    const r = await c.mutation(RunBirthdayGiftsMutation, { asOf }).toPromise();
    return { result: r.data?.grantBirthdayGifts, error: r.error };
  },
  'retention.refresh': async (c, asOf) => {
    const r = await c.mutation(RunRetentionRefreshMutation, { asOf }).toPromise();
    return { result: r.data?.refreshRetention, error: r.error };
  },
  'campaigns.reevaluate': async (c, asOf) => {
    const r = await c.mutation(RunCampaignReevaluationMutation, { asOf }).toPromise();
    return { result: r.data?.reevaluateCampaigns, error: r.error };
  },
};

/**
 * The scheduled daily jobs (src/jobs/scheduler.ts): each job's last run (JobsOverview, with the
 * programme's time zone), the latest runs of all or one of them (JobRuns, "Show more" up to the
 * server's 100), and a form that runs one job as of a time after asking (its own mutation). Two
 * requests for the page; times are shown in the programme's zone, the one the slots are its
 * midnights of.
 */
export default function JobsPage() {
  const { t } = useI18n();
  const [overview, refetchOverview] = useQuery({ query: JobsOverviewQuery });
  const [job, setJob] = useState('');
  const [shown, setShown] = useState(PAGE);
  const [runs, refetchRuns] = useQuery({ query: JobRunsQuery, variables: { job: job || null, first: Math.min(shown + 1, MAX_RUNS) } });
  const zone = overview.data?.program.timeZone;
  const refresh = () => {
    refetchOverview({ requestPolicy: 'network-only' });
    refetchRuns({ requestPolicy: 'network-only' });
  };
  return (
    <Page title={t('jobs.title')} subtitle={t('jobs.subtitle')} loading={overview.fetching && !overview.data}
      error={toOperationError(overview.error ?? runs.error)} onRetry={refresh}
      toolbar={<button type="button" onClick={refresh}>{t('jobs.refresh')}</button>}>
      {overview.data && zone ? (
        <>
          <p className="jobs-zone" data-testid="jobs-zone">{t('jobs.zone', { zone })}</p>
          <Section title={t('jobs.overview')} id="jobs-overview">
            <ul className="job-cards">
              {JOBS.map((j) => <JobCard key={j.name} name={j.name} last={overview.data?.[j.alias][0] ?? null} zone={zone} />)}
            </ul>
          </Section>
          <RunForm zone={zone} />
          <Section title={t('jobs.recent')} id="jobs-recent">
            <label className="jobs-filter">
              <span>{t('jobs.filter')}</span>
              <select value={job} onChange={(e) => { setJob(e.target.value); setShown(PAGE); }} data-testid="jobs-filter">
                <option value="">{t('jobs.filter.all')}</option>
                {JOBS.map((j) => <option key={j.name} value={j.name}>{t(j.label)}</option>)}
              </select>
            </label>
            <RecentRuns rows={runs.data?.jobRuns} shown={shown} fetching={runs.fetching} zone={zone}
              onMore={() => setShown((n) => Math.min(n + PAGE, MAX_RUNS))} />
          </Section>
        </>
      ) : null}
    </Page>
  );
}

function StateBadge({ run }: { run: JobRunRowFragment }) {
  const t = useI18n().t;
  const state = runState(run);
  return <span className={`badge ${STATE_CLASS[state]}`}>{t(STATE_LABEL[state])}</span>;
}

const count = (n: number | null | undefined, format: (n: number) => string) => (n == null ? '—' : format(n));

function JobCard({ name, last, zone }: { name: JobName; last: JobRunRowFragment | null; zone: string }) {
  const { t, formatDateTime, formatNumber } = useI18n();
  const job = jobNamed(name)!;
  return (
    <li className="job-card" data-job={name}>
      <h3>{t(job.label)}</h3>
      <p className="job-about">{t(job.about)} <code>{name}</code></p>
      {last ? (
        <dl className="job-last">
          <div><dt>{t('jobs.lastRun')}</dt><dd>{formatDateTime(last.slot, zone)}</dd></div>
          <div><dt>{t('jobs.col.state')}</dt><dd><StateBadge run={last} /></dd></div>
          <div><dt>{t('jobs.col.processed')}</dt><dd>{count(last.processed, formatNumber)}</dd></div>
          <div><dt>{t('jobs.col.changed')}</dt><dd>{count(last.changed, formatNumber)}</dd></div>
          <div><dt>{t('jobs.col.finished')}</dt><dd>{formatDateTime(last.finishedAt, zone)}</dd></div>
        </dl>
      ) : <p className="muted">{t('jobs.neverRun')}</p>}
      {last?.failed ? <p className="field-hint">{t('jobs.failedHint')}</p> : null}
    </li>
  );
}

function RecentRuns({ rows, shown, fetching, zone, onMore }: {
  rows: JobRunRowFragment[] | undefined; shown: number; fetching: boolean; zone: string; onMore: () => void;
}) {
  const { t, formatDateTime, formatNumber } = useI18n();
  if (!rows) return fetching ? <p className="muted" role="status">{t('page.loading')}</p> : null;
  if (!rows.length) return <Empty>{t('jobs.none')}</Empty>;
  const visible = rows.slice(0, shown);
  return (
    <>
      {/* Focusable: at tablet and phone width the table scrolls sideways inside its frame, and the keyboard scrolls it too. */}
      <div className="table-wrap" tabIndex={0} role="region" aria-label={t('jobs.recent')} aria-busy={fetching || undefined}>
        <table className="table jobs-table" data-testid="job-runs">
          <caption className="visually-hidden">{t('jobs.recent')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('jobs.col.slot')}</th>
              <th scope="col">{t('jobs.col.job')}</th>
              <th scope="col">{t('jobs.col.state')}</th>
              <th scope="col" className="num">{t('jobs.col.processed')}</th>
              <th scope="col" className="num">{t('jobs.col.changed')}</th>
              <th scope="col">{t('jobs.col.started')}</th>
              <th scope="col">{t('jobs.col.finished')}</th>
            </tr>
          </thead>
          <tbody>
            {visible.map((r) => {
              const job = jobNamed(r.job);
              return (
                <tr key={r.id} data-id={r.id}>
                  <td>{formatDateTime(r.slot, zone)}</td>
                  <td>{job ? t(job.label) : r.job}</td>
                  <td><StateBadge run={r} /></td>
                  <td className="num">{count(r.processed, formatNumber)}</td>
                  <td className="num">{count(r.changed, formatNumber)}</td>
                  <td>{formatDateTime(r.startedAt, zone)}</td>
                  <td>{formatDateTime(r.finishedAt, zone)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {rows.length > shown ? (
        <p className="jobs-more"><button type="button" onClick={onMore} disabled={fetching} aria-busy={fetching || undefined}>{t('jobs.showMore')}</button></p>
      ) : shown >= MAX_RUNS && rows.length >= MAX_RUNS ? <p className="muted">{t('jobs.allShown', { count: MAX_RUNS })}</p> : null}
    </>
  );
}

interface Done { job: string; asOf: string; processed: number; changed: number }

/** Runs one job as of a time of the programme's zone (default: now), after a confirmation: it writes. */
function RunForm({ zone }: { zone: string }) {
  const { t, formatDateTime, formatNumber } = useI18n();
  const client = useClient();
  const confirm = useConfirm();
  const [job, setJob] = useState<JobName>(JOBS[0].name);
  const [asOf, setAsOf] = useState(() => toZonedInput(new Date().toISOString(), zone));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<OperationError | null>(null);
  const [done, setDone] = useState<Done | null>(null);
  const submit = async () => {
    setError(null);
    setDone(null);
    const instant = fromZonedInput(asOf, zone);
    if (!instant) return setError({ code: 'BAD_USER_INPUT', general: [], fields: { asOf: t('jobs.run.asOfRequired') } });
    const label = t(jobNamed(job)!.label);
    const when = formatDateTime(instant, zone);
    const ok = await confirm({
      title: t('jobs.run.confirmTitle', { job: label }),
      message: t('jobs.run.confirmMessage', { job: label, asOf: when, zone }),
      confirmLabel: t('jobs.run.confirm'),
    });
    if (!ok) return;
    setBusy(true);
    try {
      const answer = await RUN[job](client, instant);
      if (answer.error) setError(toOperationError(answer.error));
      else if (answer.result) setDone({ job: label, asOf: when, ...answer.result });
    } finally {
      setBusy(false);
    }
  };
  return (
    <Section title={t('jobs.run.title')} id="jobs-run">
      <p className="jobs-note">{t('jobs.run.note')}</p>
      <Form onSubmit={submit} error={error} busy={busy} submitLabel={t('jobs.run.submit')} label={t('jobs.run.title')} className="jobs-run-form">
        <Field name="job" label={t('jobs.run.job')} required>
          {(p) => (
            <select {...p} value={job} onChange={(e) => { setJob(e.target.value as JobName); setDone(null); }}>
              {JOBS.map((j) => <option key={j.name} value={j.name}>{t(j.label)}</option>)}
            </select>
          )}
        </Field>
        <Field name="asOf" label={t('jobs.run.asOf')} hint={t('jobs.run.asOfHint', { zone })} required>
          {(p) => <input {...p} type="datetime-local" value={asOf} onChange={(e) => { setAsOf(e.target.value); setDone(null); }} />}
        </Field>
      </Form>
      {done ? (
        <p className="jobs-done" role="status" data-testid="job-result">
          {t('jobs.run.done', { job: done.job, asOf: done.asOf, processed: formatNumber(done.processed), changed: formatNumber(done.changed) })}
        </p>
      ) : null}
    </Section>
  );
}
