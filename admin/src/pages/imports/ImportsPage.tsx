import { useEffect, useRef, useState } from 'react';
import { useQuery } from 'urql';
import { currentSession } from '../../auth/session';
import { ANSWER_MAY_BE_LOST, fromGraphQLErrors, refusalText, toOperationError, UNAVAILABLE_STATUS, type OperationError } from '../../graphql/errors';
import type { ImportStatus } from '../../gql/graphql';
import { useI18n } from '../../i18n';
import { IMPORT_KIND_LABEL, IMPORT_MODE_LABEL, IMPORT_STATUS_LABEL } from '../../i18n/enums';
import { importMessageText } from '../../i18n/import-messages';
import { Field, Form } from '../../ui/Form';
import { Empty, Page, Section } from '../../ui/Page';
import { Pager } from '../../ui/Pager';
import { ImportJobQuery, ImportJobsQuery } from './operations';
import './imports.css';

type Kind = 'members' | 'purchases';
type Mode = 'history' | 'earn';
const ERRORS_PAGE = 20;
const POLL_MS = 1000;
const STATUS_CLASS: Record<ImportStatus, string> = { RUNNING: 'status-USED', SUCCEEDED: 'status-ISSUED', FAILED: 'status-CANCELLED' };

/** The content type the server takes for a file: CSV by its name, else NDJSON. */
const contentTypeOf = (file: File) => (/\.csv$/i.test(file.name) || file.type === 'text/csv' ? 'text/csv' : 'application/x-ndjson');

/**
 * Imports: upload a members or purchases file (CSV with a header row, or NDJSON), follow the
 * job (polled while it runs), and page through its rejected lines by line number (the server's
 * reasons, and a failed job's, in the console's language: i18n/import-messages.ts). The upload
 * is a POST of the file itself to /imports/… (the browser streams it); the rest is GraphQL
 * (ImportJobs, ImportJob).
 */
export default function ImportsPage() {
  const { t, formatDateTime, formatNumber } = useI18n();
  const [jobs, refetchJobs] = useQuery({ query: ImportJobsQuery, variables: { first: 20 } });
  const [selected, setSelected] = useState<string | null>(null);
  return (
    <Page
      title={t('imports.title')}
      subtitle={t('imports.subtitle')}
      loading={jobs.fetching && !jobs.data}
      error={toOperationError(jobs.error)}
      onRetry={() => refetchJobs({ requestPolicy: 'network-only' })}
    >
      <UploadForm
        onStarted={(id) => { setSelected(id); refetchJobs({ requestPolicy: 'network-only' }); }}
        onUnanswered={() => refetchJobs({ requestPolicy: 'network-only' })}
      />
      {selected ? <JobDetail id={selected} onChanged={() => refetchJobs({ requestPolicy: 'network-only' })} /> : null}
      <Section title={t('imports.jobs')} id="import-jobs">
        {jobs.data && !jobs.data.importJobs.length ? <Empty>{t('imports.none')}</Empty> : null}
        {jobs.data?.importJobs.length ? (
          <div className="table-wrap">
            <table className="table" data-testid="import-jobs">
              <caption className="visually-hidden">{t('imports.jobs')}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('imports.col.started')}</th>
                  <th scope="col">{t('imports.col.kind')}</th>
                  <th scope="col">{t('imports.col.status')}</th>
                  <th scope="col" className="num">{t('imports.col.done')}</th>
                  <th scope="col" className="num">{t('imports.col.rejected')}</th>
                  <th scope="col">{t('imports.col.finished')}</th>
                  <th scope="col">{t('imports.col.actions')}</th>
                </tr>
              </thead>
              <tbody>
                {jobs.data.importJobs.map((j) => (
                  <tr key={j.id} aria-current={j.id === selected ? 'true' : undefined}>
                    <td>{formatDateTime(j.startedAt)}</td>
                    <td>{t(IMPORT_KIND_LABEL[j.kind])}{j.mode ? ` · ${t(IMPORT_MODE_LABEL[j.mode])}` : ''}</td>
                    <td><span className={`badge ${STATUS_CLASS[j.status]}`}>{t(IMPORT_STATUS_LABEL[j.status])}</span></td>
                    <td className="num">{formatNumber(j.rowsDone)}</td>
                    <td className="num">{formatNumber(j.rowsRejected)}</td>
                    <td>{formatDateTime(j.finishedAt)}</td>
                    <td><button type="button" onClick={() => setSelected(j.id)}>{t('imports.show')}</button></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </Section>
    </Page>
  );
}

/** `onUnanswered`: the upload got no answer (the server may have taken it): the list is read again. */
function UploadForm({ onStarted, onUnanswered }: { onStarted: (id: string) => void; onUnanswered: () => void }) {
  const { t } = useI18n();
  const [kind, setKind] = useState<Kind>('members');
  const [mode, setMode] = useState<Mode>('history');
  const [file, setFile] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<OperationError | null>(null);
  // No answer: the file may have been taken (a job made and run). The list is read again to show it.
  const unanswered = (message: string) => {
    setError({ code: 'NETWORK', general: [t('imports.upload.noAnswer', { message })], fields: {} });
    onUnanswered();
  };
  const submit = async () => {
    setError(null);
    if (!file) return setError({ code: 'BAD_USER_INPUT', general: [], fields: { file: t('imports.upload.noFile') } });
    const session = currentSession();
    if (!session) return;
    setBusy(true);
    try {
      const path = kind === 'members' ? '/imports/members' : `/imports/purchases?mode=${mode}`;
      const res = await fetch(path, { method: 'POST', body: file, headers: { 'content-type': contentTypeOf(file), authorization: `Bearer ${session.token}` } });
      const body = (await res.json().catch(() => null)) as { id?: string; errors?: { message: string; extensions?: { code?: string; field?: string } }[] } | null;
      if (res.status === 202 && body?.id) return onStarted(body.id);
      // The route answers errors as GraphQL does: the same sentences (graphql/errors.ts). Without
      // them, a gateway's 502 or 504 may hide a file taken (as no answer at all); a 503 is a
      // proxy's or a restart's refusal: the server is briefly away.
      const refused = fromGraphQLErrors(body?.errors ?? []);
      if (refused) setError(refused);
      else if (ANSWER_MAY_BE_LOST.has(res.status)) unanswered(`HTTP ${res.status}`);
      else if (UNAVAILABLE_STATUS.has(res.status)) setError({ code: 'SERVICE_UNAVAILABLE', general: [refusalText('SERVICE_UNAVAILABLE', `HTTP ${res.status}`)], fields: {} });
      else setError({ code: 'ERROR', general: [t('imports.upload.failed', { status: res.status })], fields: {} });
    } catch (err) {
      unanswered((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Section title={t('imports.upload.title')} id="import-upload">
      <Form onSubmit={submit} error={error} busy={busy} submitLabel={t('imports.upload.submit')} label={t('imports.upload.title')} className="import-form">
        <Field name="kind" label={t('imports.upload.kind')}>
          {(p) => (
            <select {...p} value={kind} onChange={(e) => setKind(e.target.value as Kind)}>
              <option value="members">{t('imports.kind.members')}</option>
              <option value="purchases">{t('imports.kind.purchases')}</option>
            </select>
          )}
        </Field>
        {kind === 'purchases' ? (
          <Field name="mode" label={t('imports.upload.mode')} hint={t(mode === 'history' ? 'imports.mode.historyHint' : 'imports.mode.earnHint')}>
            {(p) => (
              <select {...p} value={mode} onChange={(e) => setMode(e.target.value as Mode)}>
                <option value="history">{t('imports.mode.history')}</option>
                <option value="earn">{t('imports.mode.earn')}</option>
              </select>
            )}
          </Field>
        ) : null}
        <Field name="file" label={t('imports.upload.file')} hint={t(kind === 'members' ? 'imports.upload.membersHint' : 'imports.upload.purchasesHint')} required>
          {(p) => <input {...p} type="file" accept=".csv,.ndjson,.jsonl,text/csv,application/x-ndjson" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />}
        </Field>
      </Form>
    </Section>
  );
}

function JobDetail({ id, onChanged }: { id: string; onChanged: () => void }) {
  const { t, formatNumber, formatDateTime } = useI18n();
  const [pages, setPages] = useState<(number | null)[]>([null]);
  const afterLine = pages[pages.length - 1];
  const [result, refetch] = useQuery({ query: ImportJobQuery, variables: { id, first: ERRORS_PAGE + 1, afterLine } });
  const job = result.data?.importJob;
  const running = job?.status === 'RUNNING';
  const wasRunning = useRef(false);
  useEffect(() => setPages([null]), [id]);
  // Polled while it runs; the list above is refreshed once it ends.
  useEffect(() => {
    if (!running) {
      if (wasRunning.current) onChanged();
      wasRunning.current = false;
      return;
    }
    wasRunning.current = true;
    const timer = setInterval(() => refetch({ requestPolicy: 'network-only' }), POLL_MS);
    return () => clearInterval(timer);
  }, [running, refetch, onChanged]);
  if (!job) return null;
  const errors = job.errors.slice(0, ERRORS_PAGE);
  return (
    <Section title={t('imports.job.title', { started: formatDateTime(job.startedAt) })} id="import-job">
      <dl className="import-progress" data-testid="import-progress" aria-live="polite">
        <div><dt>{t('imports.col.status')}</dt><dd><span className={`badge ${STATUS_CLASS[job.status]}`}>{t(IMPORT_STATUS_LABEL[job.status])}</span></dd></div>
        <div><dt>{t('imports.col.done')}</dt><dd>{formatNumber(job.rowsDone)}</dd></div>
        <div><dt>{t('imports.col.rejected')}</dt><dd>{formatNumber(job.rowsRejected)}</dd></div>
        <div><dt>{t('imports.col.finished')}</dt><dd>{formatDateTime(job.finishedAt)}</dd></div>
      </dl>
      {running ? <p className="field-hint">{t('imports.job.running')}</p> : null}
      {job.failure ? <p className="field-error" role="alert" data-testid="import-failure">{t('imports.job.failure', { failure: importMessageText(job.failure, t) })}</p> : null}
      {errors.length ? (
        <>
          <div className="table-wrap">
            <table className="table" data-testid="import-errors">
              <caption>{t('imports.errors.title')}</caption>
              <thead>
                <tr>
                  <th scope="col" className="num">{t('imports.errors.line')}</th>
                  <th scope="col">{t('imports.errors.message')}</th>
                </tr>
              </thead>
              <tbody>
                {errors.map((e) => (
                  <tr key={e.line}>
                    <td className="num">{e.line}</td>
                    <td>{importMessageText(e.message, t)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager label={t('imports.errors.title')} page={pages.length} hasPrevious={pages.length > 1} hasNext={job.errors.length > ERRORS_PAGE}
            onPrevious={() => setPages((p) => p.slice(0, -1))} onNext={() => setPages((p) => [...p, errors[errors.length - 1].line])} busy={result.fetching} />
        </>
      ) : job.status !== 'RUNNING' && pages.length === 1 ? <Empty>{t('imports.errors.none')}</Empty> : null}
    </Section>
  );
}
