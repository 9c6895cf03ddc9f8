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

export function currentSession(): Session | null {
  const token = readToken();
  if (token !== cached.token) cached = { token, session: token ? describeToken(token) : null };
  return cached.session;
}

export function signIn(token: string, remember: boolean): void {
  signOutQuietly();
  (remember ? window.localStorage : window.sessionStorage).setItem(KEY, token.trim());
  listeners.forEach((l) => l());
}

function signOutQuietly() {
  for (const s of storages()) s.removeItem(KEY);
}

export function signOut(): void {
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
