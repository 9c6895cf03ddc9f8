import { useEffect } from 'react';
import { currentSession } from '../../auth/session';

/** A signing secret to show once, and the endpoint it is for. */
export interface ShownSecret {
  url: string;
  secret: string;
}

export interface NewSecret extends ShownSecret {
  endpointId: string;
  /** The endpoint's secretHint with this secret: another one means it was rotated since. */
  hint: string;
}

interface LateSecret extends NewSecret {
  /** The sign-in it was asked under: another operator signed in since does not see it. */
  token: string | null;
}

/**
 * New secrets (an endpoint created, a secret rotated) whose answer came while the Webhooks page
 * they were asked on was no longer shown. A secret is in that answer alone, so it is kept here
 * and shown by the Webhooks page shown next, or now.
 */
const late: LateSecret[] = [];
const listeners = new Set<() => void>();

export function keepLateSecret(s: NewSecret): void {
  late.push({ ...s, token: currentSession()?.token ?? null });
  for (const listener of listeners) listener();
}

/**
 * Shows a late secret on the Webhooks page: once its endpoints are loaded, for the same sign-in,
 * and only while the endpoint still has that secret (not rotated since). An endpoint the list does
 * not have yet (read before the write committed) asks for the list again (`reload`).
 */
export function useLateSecrets(endpoints: readonly { id: string; secretHint: string }[] | undefined, show: (s: ShownSecret) => void, reload: () => void): void {
  useEffect(() => {
    if (!endpoints) return;
    const take = (arrived: boolean) => {
      const token = currentSession()?.token ?? null;
      for (let i = 0; i < late.length; i += 1) {
        const s = late[i];
        const endpoint = endpoints.find((e) => e.id === s.endpointId);
        if (s.token !== token || (endpoint && endpoint.secretHint !== s.hint)) {
          late.splice(i--, 1);
        } else if (endpoint) {
          late.splice(i, 1);
          show({ url: s.url, secret: s.secret });
          return;
        }
      }
      if (arrived && late.length) reload();
    };
    take(false);
    const listener = () => take(true);
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }, [endpoints, show, reload]);
}
