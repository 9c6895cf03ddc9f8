import { Suspense, useEffect, useMemo, useRef } from 'react';
import { Provider } from 'urql';
import { hasExpired, isAdminToken, signOut, useSession } from '../auth/session';
import { SignInPage } from '../auth/SignInPage';
import { createConsoleClient } from '../graphql/client';
import { I18nProvider, LanguageSwitch, useT } from '../i18n';
import { ConfirmProvider } from '../ui/ConfirmDialog';
import { Loading, Page } from '../ui/Page';
import { HOME, PAGES, type ConsolePage } from './pages';
import { Link, matchPath, navigate, usePath } from './router';

/** The console: languages, the GraphQL client, confirmations, then sign-in or the shell. */
export function App() {
  const client = useMemo(() => createConsoleClient(), []);
  return (
    <I18nProvider>
      <Provider value={client}>
        <ConfirmProvider>
          <Root />
        </ConfirmProvider>
      </Provider>
    </I18nProvider>
  );
}

function findPage(path: string): { page: ConsolePage; params: Record<string, string> } | null {
  for (const page of PAGES) {
    const params = matchPath(page.path, path);
    if (params) return { page, params };
  }
  return null;
}

function Root() {
  const session = useSession();
  const path = usePath();
  // A kept session that can no longer work goes back to sign-in, saying why, before any page asks
  // the server and shows its refusal as a failure: an expired token, or one that is not an admin's.
  const usable = session && isAdminToken(session) && !hasExpired(session);
  useEffect(() => {
    if (session && !usable) signOut(isAdminToken(session) ? 'expired' : 'notAdmin');
  }, [session, usable]);
  useEffect(() => {
    if (usable && (path === '/' || path === '/sign-in')) navigate(HOME, { replace: true });
  }, [usable, path]);
  if (!usable) return <SignInPage />;
  return <Shell path={path} />;
}

function Shell({ path }: { path: string }) {
  const t = useT();
  const session = useSession();
  const found = findPage(path);
  const current = found?.page.section ?? found?.page.path;
  const mainRef = useRef<HTMLElement>(null);
  const first = useRef(true);
  // After a navigation, focus goes to the new page's title (screen readers announce it).
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    // A lazy page's title appears once its chunk has loaded (until then Suspense keeps the old
    // page in the document, hidden): look for a visible title for up to two seconds.
    let tries = 0;
    const timer = window.setInterval(() => {
      const title = [...document.querySelectorAll<HTMLElement>('#page-title')].find((el) => el.getClientRects().length > 0);
      if (title || ++tries >= 40) {
        window.clearInterval(timer);
        (title ?? mainRef.current)?.focus();
      }
    }, 50);
    return () => window.clearInterval(timer);
  }, [path]);
  const PageComponent = found?.page.component;
  return (
    <div className="shell">
      <a className="skip-link" href="#main">{t('shell.skipToContent')}</a>
      <header className="topbar">
        <Link to={HOME} className="brand">{t('app.name')}</Link>
        <div className="topbar-end">
          {session?.role ? (
            <span className="whoami" title={session.subject ?? undefined}>
              {t('shell.signedInAs', { role: session.role, subject: session.subject ?? '—' })}
            </span>
          ) : null}
          <LanguageSwitch />
          <button type="button" onClick={() => signOut()} data-testid="sign-out">{t('shell.signOut')}</button>
        </div>
      </header>
      <nav className="sidebar" aria-label={t('nav.label')}>
        <ul>
          {PAGES.filter((p) => p.nav).map((p) => (
            <li key={p.path}>
              <Link to={p.path} aria-current={current === p.path ? 'page' : undefined}>{t(p.nav!)}</Link>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" ref={mainRef} tabIndex={-1}>
        <Suspense fallback={<Loading />}>
          {/* Keyed by the path: another member's (benefit's, campaign's) page starts afresh. Unkeyed,
              React kept the page's state across /members/A → /members/B, so B's ledger, redemptions
              and referrals opened at the page A's pagers stood on, with A's cursors: B's newest rows
              skipped ("Page 2", "No points movements yet"). The query string is not in the path: a
              list's own filters (?q=) reset its pager themselves. */}
          {PageComponent ? <PageComponent key={path} params={found.params} /> : <NotFound />}
        </Suspense>
      </main>
    </div>
  );
}

function NotFound() {
  const t = useT();
  return (
    <Page title={t('notFound.title')}>
      <p>{t('notFound.message')}</p>
      <Link to={HOME}>{t('notFound.home')}</Link>
    </Page>
  );
}
