import { useCallback, useRef, useState } from 'react';

/**
 * What a page's editing dialog shows, each opening its own. A save's answer closes the dialog
 * only if it is still the opening that sent it: one that lands after the operator closed its
 * dialog (and perhaps opened another, or the same one again) leaves the dialog shown now alone.
 *
 *   const { editing, opening, show, hide, hideIf } = useEditing<Tier | 'new'>();
 *   <TierDialog tier={editing} onClose={hide} onSaved={() => { hideIf(opening); reload(); }} />
 */
export function useEditing<T>() {
  const openings = useRef(0);
  const [state, setState] = useState<{ value: T; opening: number } | null>(null);
  const show = useCallback((value: T) => setState({ value, opening: (openings.current += 1) }), []);
  const hide = useCallback(() => setState(null), []);
  const hideIf = useCallback((opening: number | undefined) => setState((s) => (s && s.opening === opening ? null : s)), []);
  return { editing: state?.value ?? null, opening: state?.opening, show, hide, hideIf };
}
