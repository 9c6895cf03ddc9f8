import { useSyncExternalStore } from 'react';

/**
 * The signed-in token. Kept in sessionStorage (this tab, until it closes) or, when the operator
 * asks to stay signed in, in localStorage. Sign-out removes it from both. The token is sent as
 * `Authorization: Bearer …` on every GraphQL request (src/graphql/client.ts); the server is
 * what checks it.
 */
const KEY = 'loyalty-console.token';
const listeners = new Set<() => void>();

export interface Session {
  token: string;
  /** Read from the token's payload for display only (the server verifies the signature). */
  role: string | null;
  subject: string | null;
  expiresAt: Date | null;
}

function storages(): Storage[] {
  try {
    return [window.sessionStorage, window.localStorage];
  } catch {
    return [];
  }
}

function readToken(): string | null {
  for (const s of storages()) {
    const token = s.getItem(KEY);
    if (token) return token;
  }
  return null;
}

let cached: { token: string | null; session: Session | null } = { token: null, session: null };

/**
 * Why the console signed the operator out by itself, for the sign-in page to say: the token ran
 * out or the server refused it (`expired`), or the kept token is not an admin's (`notAdmin`, kept
 * by an older console that let service tokens in). Null after a sign-out the operator asked for.
 */
export type SignOutReason = 'expired' | 'notAdmin';
let reason: SignOutReason | null = null;

export function signOutReason(): SignOutReason | null {
  return reason;
}

/** The console is for admins: a token whose role claim says otherwise is not kept (the server checks the rest). */
export function isAdminToken(session: Session): boolean {
  return session.role === 'admin';
}

/** Whether the token's `exp` has passed (by this browser's clock; the server's is what decides). */
export function hasExpired(session: Session, now = Date.now()): boolean {
  return session.expiresAt !== null && session.expiresAt.getTime() <= now;
}

export function currentSession(): Session | null {
  const token = readToken();
  if (token !== cached.token) cached = { token, session: token ? describeToken(token) : null };
  return cached.session;
}

export function signIn(token: string, remember: boolean): void {
  signOutQuietly();
  reason = null;
  (remember ? window.localStorage : window.sessionStorage).setItem(KEY, token.trim());
  listeners.forEach((l) => l());
}

function signOutQuietly() {
  for (const s of storages()) s.removeItem(KEY);
}

/** Signs out: by the operator (no reason), or by the console itself, saying why on the sign-in page. */
export function signOut(why: SignOutReason | null = null): void {
  reason = why;
  signOutQuietly();
  listeners.forEach((l) => l());
}

export function useSession(): Session | null {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      window.addEventListener('storage', listener);
      return () => {
        listeners.delete(listener);
        window.removeEventListener('storage', listener);
      };
    },
    currentSession,
  );
}

/** The JWT's claims, unverified: what the header shows (role, subject) and whether it has run out. */
export function describeToken(token: string): Session {
  const session: Session = { token, role: null, subject: null, expiresAt: null };
  const part = token.split('.')[1];
  if (!part) return session;
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '='));
    const claims = JSON.parse(json) as { role?: unknown; sub?: unknown; exp?: unknown };
    if (typeof claims.role === 'string') session.role = claims.role;
    if (typeof claims.sub === 'string') session.subject = claims.sub;
    if (typeof claims.exp === 'number') session.expiresAt = new Date(claims.exp * 1000);
  } catch {
    // Not a JWT the console can read: the server will say what is wrong with it.
  }
  return session;
}
