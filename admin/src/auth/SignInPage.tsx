import { useEffect, useState } from 'react';
import { useClient } from 'urql';
import { graphql } from '../gql';
import { toOperationError, type OperationError } from '../graphql/errors';
import { LanguageSwitch, useI18n, type MessageKey } from '../i18n';
import { Field, Form } from '../ui/Form';
import { describeToken, hasExpired, isAdminToken, signIn, signOutReason, useSession, type SignOutReason } from './session';

/**
 * An admin-only query (the audit log, one entry): the check that the server takes the token as an
 * admin's. A service or member token answers FORBIDDEN, an expired or forged one UNAUTHENTICATED.
 */
const SignInCheck = graphql(`
  query SignInCheck {
    auditLog(first: 1) {
      id
    }
  }
`);

/**
 * Whether the server offers its development sign-in (GET /admin/dev-token): a development start
 * says so in index.html, to a browser on its machine (src/api/routes/console.ts); Vite's dev
 * server proxies to one. Any other start has no such route: asking would log a 404 on every load.
 */
function devSignInOffered(): boolean {
  return import.meta.env.DEV || document.querySelector('meta[name="loyalty-dev-sign-in"]') !== null;
}

const SIGNED_OUT: Record<SignOutReason, MessageKey> = { expired: 'signIn.sessionEnded', notAdmin: 'signIn.sessionNotAdmin' };

/**
 * Sign-in: paste a token (an admin's, from `npm run token -- --role admin --sub NAME` or the
 * identity provider); the console is for admins only. A token whose claims say it is not an
 * admin's, or has expired, is refused at once; the rest is checked by the server with an
 * admin-only query before the console keeps it. In a development start
 * (no JWT_SECRET, no JWKS), the server also offers its development admin token to a browser on
 * the same machine (GET /admin/dev-token): one click.
 */
export function SignInPage() {
  const { t, formatDateTime } = useI18n();
  useSession(); // a sign-out by the console itself (signOutReason) happens while this page shows
  const signedOut = signOutReason();
  const client = useClient();
  const [token, setToken] = useState('');
  const [remember, setRemember] = useState(false);
  const [error, setError] = useState<OperationError | null>(null);
  const [busy, setBusy] = useState(false);
  const [devToken, setDevToken] = useState<string | null>(null);

  useEffect(() => {
    document.title = t('signIn.title');
  }, [t]);

  useEffect(() => {
    if (!devSignInOffered()) return;
    let live = true;
    fetch('/admin/dev-token', { headers: { accept: 'application/json' }, cache: 'no-store' })
      .then(async (res) => (res.ok ? ((await res.json()) as { token?: unknown }) : null))
      .then((body) => {
        if (live && typeof body?.token === 'string') setDevToken(body.token);
      })
      .catch(() => {});
    return () => {
      live = false;
    };
  }, []);

  const refuse = (message: string, code = 'FORBIDDEN') => setError({ code, fields: { token: message }, general: [] });
  const submit = async () => {
    const pasted = token.trim().replace(/^Bearer\s+/i, '');
    if (!pasted) return refuse(t('signIn.tokenRequired'), 'BAD_USER_INPUT');
    const claims = describeToken(pasted);
    if (claims.role && !isAdminToken(claims)) return refuse(t('signIn.notAdmin', { role: claims.role }));
    if (hasExpired(claims)) return refuse(t('signIn.expired', { when: formatDateTime(claims.expiresAt!.toISOString()) }), 'UNAUTHENTICATED');
    setBusy(true);
    const result = await client.query(SignInCheck, {}, { requestPolicy: 'network-only', fetchOptions: { headers: { authorization: `Bearer ${pasted}` } } }).toPromise();
    setBusy(false);
    const failed = toOperationError(result.error);
    if (failed) {
      // Not about the token: the server was not reached, or is briefly away.
      if (failed.code === 'NETWORK' || failed.code === 'SERVICE_UNAVAILABLE') return setError(failed);
      // What the server said about the token (the console's sentence, the server's words after it) goes under the token field.
      return refuse(failed.code === 'FORBIDDEN' ? t('signIn.notAdminServer') : [...failed.general, ...Object.values(failed.fields)].join(' '), failed.code);
    }
    setError(null);
    signIn(pasted, remember);
  };

  return (
    <main className="sign-in" id="main">
      <div className="sign-in-card">
        <div className="sign-in-language"><LanguageSwitch /></div>
        <h1>{t('signIn.title')}</h1>
        {signedOut ? <p className="form-alert" role="alert" data-testid="signed-out">{t(SIGNED_OUT[signedOut])}</p> : null}
        <p>{t('signIn.intro')}</p>
        <Form onSubmit={submit} error={error} busy={busy} submitLabel={t('signIn.submit')} label={t('signIn.title')}>
          <Field name="token" label={t('signIn.token')} hint={t('signIn.tokenHint')} required>
            {(p) => (
              <textarea {...p} rows={4} value={token} onChange={(e) => setToken(e.target.value)} spellCheck={false} autoComplete="off" data-testid="token-input" />
            )}
          </Field>
          <label className="checkbox">
            <input type="checkbox" checked={remember} onChange={(e) => setRemember(e.target.checked)} />
            {t('signIn.remember')}
          </label>
        </Form>
        {devToken ? (
          <section className="dev-sign-in" aria-labelledby="dev-sign-in-heading">
            <h2 id="dev-sign-in-heading">{t('signIn.devTitle')}</h2>
            <p>{t('signIn.devIntro')}</p>
            <button type="button" className="primary" onClick={() => signIn(devToken, false)} data-testid="dev-sign-in">
              {t('signIn.devButton')}
            </button>
          </section>
        ) : null}
      </div>
    </main>
  );
}
