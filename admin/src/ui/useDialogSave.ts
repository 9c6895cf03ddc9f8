import type { CombinedError } from '@urql/core';
import { useCallback, useRef, useState } from 'react';
import { toOperationError, type OperationError } from '../graphql/errors';

/** What a dialog does with its save's answer. */
export interface DialogSettle {
  setError: (error: OperationError | null) => void;
  /** Closes the dialog (its own close: the form cleared). */
  close: () => void;
  /** The page is told that the save landed (it reloads). */
  onDone: () => void;
}

export interface DialogSave {
  /** A save of this opening of the dialog is on its way ("Working…"). */
  busy: boolean;
  /** The dialog closed: a save on its way now answers to no form (a dialog opened again is a new one). */
  closed: () => void;
  /**
   * Sends `work` (a mutation) and settles the dialog by its answer: refused, its error is shown;
   * accepted, the dialog closes and the page is told. Closed meanwhile, only the page is told,
   * of a save that landed.
   */
  submit: (work: () => Promise<{ error?: CombinedError }>, settle: DialogSettle) => Promise<void>;
}

/**
 * A dialog's save, tied to the opening it was sent from. When the operator closes a dialog while
 * its save is on its way (and perhaps opens it again, or another), the late answer is not the
 * form's now shown: it neither closes it, nor shows "Working…" or its error over it. The page
 * still learns that a save landed (so that it shows the truth).
 */
export function useDialogSave(): DialogSave {
  const opening = useRef(0);
  const [shown, setShown] = useState(0);
  const [sending, setSending] = useState<number | null>(null);
  const closed = useCallback(() => {
    opening.current += 1;
    setShown(opening.current);
  }, []);
  const submit = useCallback(async (work: () => Promise<{ error?: CombinedError }>, { setError, close, onDone }: DialogSettle) => {
    const mine = opening.current;
    setSending(mine);
    let failed: OperationError | null;
    try {
      failed = toOperationError((await work()).error);
    } finally {
      setSending((s) => (s === mine ? null : s));
    }
    if (opening.current !== mine) {
      if (!failed) onDone();
      return;
    }
    setError(failed);
    if (!failed) {
      close();
      onDone();
    }
  }, []);
  return { busy: sending !== null && sending === shown, closed, submit };
}
