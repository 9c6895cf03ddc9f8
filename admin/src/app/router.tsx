import { useEffect, useMemo, useState, useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from 'react';

/**
 * A small router on the History API: the console's pages are /admin/<page>[/<id>] (the server
 * serves index.html for every /admin/* path). `navigate` pushes a path; `<Link>` is an <a>
 * with a real href (open in a new tab works) that navigates in place on a plain click.
 */
export const BASE = '/admin';

const listeners = new Set<() => void>();
const notify = () => listeners.forEach((l) => l());

function subscribe(listener: () => void) {
  listeners.add(listener);
  window.addEventListener('popstate', listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('popstate', listener);
  };
}

/** The path inside the console (`/members/…`), without /admin; `/` for the console's root. */
function currentPath(): string {
  const path = window.location.pathname;
  const inside = path.startsWith(BASE) ? path.slice(BASE.length) : path;
  return inside === '' ? '/' : inside;
}

function currentSearch(): string {
  return window.location.search;
}

export function usePath(): string {
  return useSyncExternalStore(subscribe, currentPath);
}

/** The query string's parameters (`?q=…`), read-only; change them with navigate(). */
export function useSearchParams(): URLSearchParams {
  // Kept in state and followed by a subscription: a page's search that went back to what it was
  // when the page mounted (Previous to the first page, Back to "all members") must render again.
  const [search, setSearch] = useState(currentSearch);
  useEffect(() => {
    const follow = () => setSearch(currentSearch());
    follow();
    return subscribe(follow);
  }, []);
  return useMemo(() => new URLSearchParams(search), [search]);
}

/** Goes to a console path (`/members?q=ava`); `replace` keeps the history entry (a search as it is typed). */
export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const url = BASE + (to.startsWith('/') ? to : `/${to}`);
  if (url === window.location.pathname + window.location.search) return;
  if (options.replace) window.history.replaceState(null, '', url);
  else window.history.pushState(null, '', url);
  notify();
  if (!options.replace) window.scrollTo(0, 0);
}

export function href(to: string): string {
  return BASE + (to.startsWith('/') ? to : `/${to}`);
}

type LinkProps = Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> & { to: string };

export function Link({ to, onClick, ...rest }: LinkProps) {
  const handle = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return <a href={href(to)} onClick={handle} {...rest} />;
}

/** `/members/:id` against `/members/abc` → { id: 'abc' }; null when it does not match. */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/').filter(Boolean);
  const have = path.split('/').filter(Boolean);
  if (want.length !== have.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    if (want[i].startsWith(':')) params[want[i].slice(1)] = decodeURIComponent(have[i]);
    else if (want[i] !== have[i]) return null;
  }
  return params;
}
