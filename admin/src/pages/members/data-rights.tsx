import { useState } from 'react';
import { useMutation } from 'urql';
import { currentSession } from '../../auth/session';
import type { OperationError } from '../../graphql/errors';
import { useT } from '../../i18n';
import { Field, Form } from '../../ui/Form';
import { Modal } from '../../ui/Modal';
import { useDialogSave } from '../../ui/useDialogSave';
import { downloadWithToken } from '../segments/download';
import { EraseMemberMutation } from './operations';

/**
 * A member's data rights on its page: "Export data" downloads everything held about it (the
 * JSON document of memberDataExport, README "Member data rights", streamed by the server), "Erase member" erases its
 * personal data (eraseMember) after a typed confirmation.
 */

/** The word the operator types to confirm an erasure: the same for every member and language (a member may have no externalId). */
export const ERASE_WORD = 'ERASE';

/**
 * The button that downloads the member's data as member-<id>.json, from the server's streamed
 * export (GET /exports/members/<id>.json, the memberDataExport document); what happened is said
 * next to it.
 */
export function ExportDataButton({ memberId }: { memberId: string }) {
  const t = useT();
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const exportData = async () => {
    const session = currentSession();
    if (!session) return;
    setBusy(true);
    setMessage(null);
    const file = `member-${memberId}.json`;
    try {
      await downloadWithToken(`/exports/members/${encodeURIComponent(memberId)}.json`, session.token, file);
      setMessage({ ok: true, text: t('members.dataRights.exported', { file }) });
    } catch (err) {
      setMessage({ ok: false, text: t('members.dataRights.exportFailed', { message: (err as Error).message }) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" onClick={() => void exportData()} disabled={busy} data-testid="export-data">
        {busy ? t('members.dataRights.exporting') : t('members.dataRights.export')}
      </button>
      {message?.ok ? <span className="visually-hidden" role="status">{message.text}</span> : null}
      {message && !message.ok ? <p className="field-error" role="alert">{message.text}</p> : null}
    </>
  );
}

/** The erasure's dialog: what it does, the reason (required by the server) and the typed confirmation. */
export function EraseMemberDialog({ memberId, open, onClose, onDone }: { memberId: string; open: boolean; onClose: () => void; onDone: () => void }) {
  const t = useT();
  const [reason, setReason] = useState('');
  const [typed, setTyped] = useState('');
  const [error, setError] = useState<OperationError | null>(null);
  const [, erase] = useMutation(EraseMemberMutation);
  const save = useDialogSave();
  const close = () => {
    setReason('');
    setTyped('');
    setError(null);
    save.closed();
    onClose();
  };
  const submit = async () => {
    // Exactly the word, as the hint says: " ERASE" or "ERASE " is not it.
    if (typed !== ERASE_WORD) {
      return setError({ code: 'BAD_USER_INPUT', fields: { confirm: t('members.dataRights.confirmMismatch', { word: ERASE_WORD }) }, general: [] });
    }
    await save.submit(() => erase({ memberId, reason: reason.trim() }), { setError, close, onDone });
  };
  return (
    <Modal title={t('members.dataRights.eraseTitle')} open={open} onClose={close} role="alertdialog" describedBy="erase-message">
      <p id="erase-message">{t('members.dataRights.eraseMessage')}</p>
      <Form onSubmit={submit} error={error} busy={save.busy} submitLabel={t('members.dataRights.submit')} danger onCancel={close}>
        <Field name="reason" label={t('members.dataRights.reason')} required>
          {(p) => <input {...p} value={reason} onChange={(e) => setReason(e.target.value)} data-testid="erase-reason" />}
        </Field>
        <Field name="confirm" label={t('members.dataRights.confirm', { word: ERASE_WORD })} hint={t('members.dataRights.confirmHint', { word: ERASE_WORD })} required>
          {(p) => <input {...p} value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" spellCheck={false} data-testid="erase-confirm" />}
        </Field>
      </Form>
    </Modal>
  );
}
