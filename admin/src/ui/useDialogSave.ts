import { useCallback, useRef, useState } from 'react';

export interface DialogSave {
  /** A save of this opening of the dialog is on its way ("Working…"). */
  busy: boolean;
  /** The dialog closed: a save on its way now answers to no form (a dialog opened again is a new one). */
  closed: () => void;
  /** Sends `work`; `current`: the dialog was not closed meanwhile, so the answer is the shown form's. */
  send: <T>(work: () => Promise<T>) => Promise<{ value: T; current: boolean }>;
}

/**
 * A dialog's save, tied to the opening it was sent from. When the operator closes a dialog while
 * its save is on its way (and perhaps opens it again, or another), the late answer is not the
 * form's now shown: it neither closes it, nor shows "Working…" or its error over it. The caller
 * still learns that a save landed (so that the page shows the truth).
 */
export function useDialogSave(): DialogSave {
  const opening = useRef(0);
  const [shown, setShown] = useState(0);
  const [sending, setSending] = useState<number | null>(null);
  const closed = useCallback(() => {
    opening.current += 1;
    setShown(opening.current);
  }, []);
  const send = useCallback(async <T,>(work: () => Promise<T>) => {
    const mine = opening.current;
    setSending(mine);
    try {
      const value = await work();
      return { value, current: opening.current === mine };
    } finally {
      setSending((s) => (s === mine ? null : s));
    }
  }, []);
  return { busy: sending !== null && sending === shown, closed, send };
}
