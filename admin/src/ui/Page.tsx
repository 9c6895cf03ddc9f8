import { useEffect, type ReactNode } from 'react';
import { useT } from '../i18n';
import type { OperationError } from '../graphql/errors';

/**
 * The page pattern every console page follows: a title (also the document's), a toolbar (the
 * page's actions and filters), then the content, or, while there is nothing to show yet, the
 * loading state, and when the data could not be loaded, the error with a retry.
 *
 *   <Page title={t('members.title')} toolbar={<SearchForm/>} fetching={fetching} error={err} onRetry={refetch}>
 *     …content…
 *   </Page>
 */
export interface PageProps {
  title: string;
  /** A line under the title. */
  subtitle?: ReactNode;
  toolbar?: ReactNode;
  /** True while the page's data is being loaded and there is none to show yet. */
  loading?: boolean;
  error?: OperationError | null;
  onRetry?: () => void;
  children?: ReactNode;
}

export function Page({ title, subtitle, toolbar, loading, error, onRetry, children }: PageProps) {
  const t = useT();
  useEffect(() => {
    document.title = `${title} · ${t('app.name')}`;
  }, [title, t]);
  return (
    <section className="page" aria-labelledby="page-title">
      <header className="page-header">
        <div>
          <h1 id="page-title" tabIndex={-1}>{title}</h1>
          {subtitle ? <p className="page-subtitle">{subtitle}</p> : null}
        </div>
        {toolbar ? <div className="page-toolbar" role="toolbar" aria-label={t('page.toolbar', { title })}>{toolbar}</div> : null}
      </header>
      {error ? <ErrorState error={error} onRetry={onRetry} /> : null}
      {loading && !error ? <Loading /> : null}
      {!loading ? children : null}
    </section>
  );
}

export function Loading({ label }: { label?: string }) {
  const t = useT();
  return (
    <div className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label ?? t('page.loading')}
    </div>
  );
}

export function ErrorState({ error, onRetry }: { error: OperationError; onRetry?: () => void }) {
  const t = useT();
  const messages = [...error.general, ...Object.entries(error.fields).map(([field, m]) => `${field}: ${m}`)];
  return (
    <div className="error-state" role="alert">
      <strong>{error.code === 'NETWORK' ? t('page.networkError') : t('page.error')}</strong>
      <ul>{messages.map((m) => <li key={m}>{m}</li>)}</ul>
      {onRetry ? <button type="button" onClick={onRetry}>{t('page.retry')}</button> : null}
    </div>
  );
}

/** A titled block inside a page (a profile's ledger, its tags…). */
export function Section({ title, actions, children, id }: { title: string; actions?: ReactNode; children: ReactNode; id?: string }) {
  const headingId = `${id ?? title.replace(/\W+/g, '-').toLowerCase()}-heading`;
  return (
    <section className="section" aria-labelledby={headingId} id={id}>
      <header className="section-header">
        <h2 id={headingId}>{title}</h2>
        {actions ? <div className="section-actions">{actions}</div> : null}
      </header>
      {children}
    </section>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}
