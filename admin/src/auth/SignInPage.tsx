import { useEffect, useState } from 'react';
import { useClient } from 'urql';
import { graphql } from '../gql';
import { fromGraphQLErrors, toOperationError, type OperationError } from '../graphql/errors';
import { LanguageSwitch, useT } from '../i18n';
import { Field, Form } from '../ui/Form';
import { describeToken, signIn } from './session';

/** Any role may read the tiers: the check that the server accepts the token at all. */
const SignInCheck = graphql(`
  query SignInCheck {
    tiers {
      id
    }
  }
`);

/** Roles the console is for: admins (every page) and services (look-ups; admin pages say FORBIDDEN). */
const CONSOLE_ROLES = ['admin', 'service'];

/**
 * Whether the server offers its development sign-in (GET /admin/dev-token): a development start
 * says so in index.html, to a browser on its machine (src/api/routes/console.ts); Vite's dev
 * server proxies to one. Any other start has no such route: asking would log a 404 on every load.
 */
function devSignInOffered(): boolean {
  return import.meta.env.DEV || document.querySelector('meta[name="loyalty-dev-sign-in"]') !== null;
}

/**
 * Sign-in: paste a token (an admin's, from `npm run token -- --role admin --sub NAME` or the
 * identity provider); the server checks it before the console keeps it. In a development start
 * (no JWT_SECRET, no JWKS), the server also offers its development admin token to a browser on
 * the same machine (GET /admin/dev-token): one click.
 */
export function SignInPage() {
  const t = useT();
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

  const submit = async () => {
    const pasted = token.trim().replace(/^Bearer\s+/i, '');
    if (!pasted) return setError({ code: 'BAD_USER_INPUT', fields: { token: t('signIn.tokenRequired') }, general: [] });
    const role = describeToken(pasted).role;
    if (role && !CONSOLE_ROLES.includes(role)) {
      return setError({ code: 'FORBIDDEN', fields: { token: t('signIn.wrongRole', { role }) }, general: [] });
    }
    setBusy(true);
    const result = await client.query(SignInCheck, {}, { requestPolicy: 'network-only', fetchOptions: { headers: { authorization: `Bearer ${pasted}` } } }).toPromise();
    setBusy(false);
    const failed = toOperationError(result.error);
    if (failed) {
      // The server's words about the token go under the token field.
      const messages = [...failed.general, ...Object.values(failed.fields)];
      setError(failed.code === 'NETWORK' ? failed : fromGraphQLErrors(messages.map((message) => ({ message, extensions: { field: 'token' } }))));
      return;
    }
    setError(null);
    signIn(pasted, remember);
  };

  return (
    <main className="sign-in" id="main">
      <div className="sign-in-card">
        <div className="sign-in-language"><LanguageSwitch /></div>
        <h1>{t('signIn.title')}</h1>
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
