import { createContext, useEffect, useId, useRef, type ReactNode } from 'react';
import { useT } from '../i18n';

/**
 * A modal dialog on the native <dialog> (showModal): focus moves into it and stays there,
 * Escape closes it, and focus returns to what opened it. Focus starts on the first field, or
 * on the element marked data-autofocus. Forms for a page's actions and the
 * confirmation of destructive ones (ConfirmDialog) use it.
 */
/** Whether a component is inside a dialog: a form there is locked while its save is on its way (Form). */
export const InDialog = createContext(false);

export interface ModalProps {
  title: string;
  open: boolean;
  onClose: () => void;
  children: ReactNode;
  /** alertdialog for confirmations. */
  role?: 'dialog' | 'alertdialog';
  describedBy?: string;
  /** A wider dialog, for a form with a filter builder (a rule tag). */
  wide?: boolean;
}

export function Modal({ title, open, onClose, children, role = 'dialog', describedBy, wide }: ModalProps) {
  const t = useT();
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      const opener = document.activeElement as HTMLElement | null;
      dialog.showModal();
      // Focus starts where the dialog says (data-autofocus: a confirmation's Cancel), else on its
      // first field, else on its first control (showModal's choice: the close button).
      dialog.querySelector<HTMLElement>('[data-autofocus], .modal-body :is(input, select, textarea)')?.focus();
      return () => {
        if (dialog.open) dialog.close();
        opener?.focus?.();
      };
    }
  }, [open]);
  if (!open) return null;
  return (
    <dialog
      ref={ref}
      className={wide ? 'modal modal-wide' : 'modal'}
      role={role}
      aria-modal="true"
      aria-labelledby={titleId}
      aria-describedby={describedBy}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      <header className="modal-header">
        <h2 id={titleId}>{title}</h2>
        <button type="button" className="icon-button" onClick={onClose} aria-label={t('common.close')}>×</button>
      </header>
      <div className="modal-body"><InDialog.Provider value>{children}</InDialog.Provider></div>
    </dialog>
  );
}
