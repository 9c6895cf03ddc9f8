import { createContext, useCallback, useContext, useId, useRef, useState, type ReactNode } from 'react';
import { useT } from '../i18n';
import { Modal } from './Modal';

/**
 * Every destructive action asks first:
 *
 *   const confirm = useConfirm();
 *   if (await confirm({ title: t('members.tags.untagTitle'), message: t('members.tags.untagMessage', { tag }), confirmLabel: t('members.tags.untag') })) …
 *
 * The dialog is an alertdialog whose focus starts on Cancel (Enter does not destroy by accident).
 */
export interface ConfirmRequest {
  title: string;
  message: ReactNode;
  confirmLabel: string;
}

type Confirm = (request: ConfirmRequest) => Promise<boolean>;

const ConfirmContext = createContext<Confirm | null>(null);

export function ConfirmProvider({ children }: { children: ReactNode }) {
  const t = useT();
  const [request, setRequest] = useState<ConfirmRequest | null>(null);
  const resolver = useRef<((ok: boolean) => void) | null>(null);
  const messageId = useId();
  const confirm = useCallback<Confirm>((next) => {
    resolver.current?.(false);
    setRequest(next);
    return new Promise<boolean>((resolve) => {
      resolver.current = resolve;
    });
  }, []);
  const answer = (ok: boolean) => {
    resolver.current?.(ok);
    resolver.current = null;
    setRequest(null);
  };
  return (
    <ConfirmContext.Provider value={confirm}>
      {children}
      <Modal title={request?.title ?? ''} open={request !== null} onClose={() => answer(false)} role="alertdialog" describedBy={messageId}>
        <div id={messageId} className="confirm-message">{request?.message}</div>
        <div className="form-actions">
          <button type="button" data-autofocus onClick={() => answer(false)}>{t('common.cancel')}</button>
          <button type="button" className="danger" onClick={() => answer(true)} data-testid="confirm">{request?.confirmLabel}</button>
        </div>
      </Modal>
    </ConfirmContext.Provider>
  );
}

export function useConfirm(): Confirm {
  const confirm = useContext(ConfirmContext);
  if (!confirm) throw new Error('useConfirm outside <ConfirmProvider>');
  return confirm;
}
