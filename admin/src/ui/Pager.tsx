import { useCallback, useState } from 'react';
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
