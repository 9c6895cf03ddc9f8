import { useCallback, useMemo, useState } from 'react';
import { navigate } from '../app/router';
import { useT } from '../i18n';

/**
 * Cursor paging (Relay connections: pageInfo { hasNextPage endCursor }). useCursorPager keeps
 * the cursors of the pages seen so far, so Previous goes back; `after` is what the query takes.
 * Reset it (reset()) when the list's filter changes.
 */
export function useCursorPager() {
  const [stack, setStack] = useState<(string | null)[]>([null]);
  const after = stack[stack.length - 1];
  const next = useCallback((endCursor: string | null | undefined) => {
    if (endCursor) setStack((s) => [...s, endCursor]);
  }, []);
  const previous = useCallback(() => setStack((s) => (s.length > 1 ? s.slice(0, -1) : s)), []);
  const reset = useCallback(() => setStack([null]), []);
  return { after, page: stack.length, next, previous, reset, hasPrevious: stack.length > 1 };
}

export type CursorPager = ReturnType<typeof useCursorPager>;

/**
 * useCursorPager with its place in the address: `?pages=c2.c3` holds the cursors of the pages
 * after the first up to this one (base64url cursors have no dot), so Back from a page opened
 * from the list, Forward, a reload and a link all come back to the same page, and Previous
 * still goes back one page. Next and Previous push a history entry; the list's other parameters
 * (`q`) are kept. A filter that changes navigates without `pages` (the first page).
 */
export function useAddressCursorPager(path: string, params: URLSearchParams, param = 'pages'): CursorPager {
  const value = params.get(param) ?? '';
  const rest = useMemo(() => {
    const p = new URLSearchParams(params);
    p.delete(param);
    return p.toString();
  }, [params, param]);
  return useMemo(() => {
    const trail = value.split('.').filter(Boolean);
    const go = (cursors: string[]) => {
      const p = new URLSearchParams(rest);
      if (cursors.length) p.set(param, cursors.join('.'));
      const query = p.toString();
      navigate(query ? `${path}?${query}` : path);
    };
    return {
      after: trail.length ? trail[trail.length - 1] : null,
      page: trail.length + 1,
      next: (endCursor: string | null | undefined) => {
        if (endCursor) go([...trail, endCursor]);
      },
      previous: () => go(trail.slice(0, -1)),
      reset: () => go([]),
      hasPrevious: trail.length > 0,
    };
  }, [value, rest, path, param]);
}

export interface PagerProps {
  /** The list's name, for the pager's label ("Ledger pages"). */
  label: string;
  page: number;
  hasPrevious: boolean;
  hasNext: boolean;
  onPrevious: () => void;
  onNext: () => void;
  /** e.g. the total count, when the query has it. */
  summary?: string;
  busy?: boolean;
}

export function Pager({ label, page, hasPrevious, hasNext, onPrevious, onNext, summary, busy }: PagerProps) {
  const t = useT();
  if (!hasPrevious && !hasNext && !summary) return null;
  return (
    <nav className="pager" aria-label={t('pager.label', { list: label })}>
      <button type="button" onClick={onPrevious} disabled={!hasPrevious || busy}>{t('pager.previous')}</button>
      <span className="pager-page" aria-live="polite">{t('pager.page', { page })}{summary ? ` · ${summary}` : ''}</span>
      <button type="button" onClick={onNext} disabled={!hasNext || busy}>{t('pager.next')}</button>
    </nav>
  );
}

export interface ConnectionPagerProps {
  label: string;
  pager: CursorPager;
  /** The list's connection as last answered; nothing is drawn before the first answer. */
  connection: { pageInfo: { hasNextPage: boolean; endCursor?: string | null } } | null | undefined;
  summary?: string | null;
  busy?: boolean;
}

/** The Pager of a Relay connection paged by useCursorPager. */
export function ConnectionPager({ label, pager, connection, summary, busy }: ConnectionPagerProps) {
  if (!connection) return null;
  return (
    <Pager
      label={label}
      page={pager.page}
      hasPrevious={pager.hasPrevious}
      hasNext={connection.pageInfo.hasNextPage}
      onPrevious={pager.previous}
      onNext={() => pager.next(connection.pageInfo.endCursor)}
      summary={summary ?? undefined}
      busy={busy}
    />
  );
}
