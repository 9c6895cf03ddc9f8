import { useState } from 'react';
import { useClient, useMutation } from 'urql';
import { toOperationError, type OperationError } from '../../graphql/errors';
import { useT } from '../../i18n';
import { ErrorState } from '../../ui/Page';
import { Field, Form } from '../../ui/Form';
import { Modal } from '../../ui/Modal';
import { EraseMemberMutation, MemberDataExportQuery } from './operations';

/**
 * A member's data rights on its page: "Export data" downloads everything held about it (the
 * JSON document of memberDataExport, README "Member data rights"), "Erase member" erases its
 * personal data (eraseMember) after a typed confirmation.
 */

/** The word the operator types to confirm an erasure: the same for every member and language (a member may have no externalId). */
export const ERASE_WORD = 'ERASE';

/** The button that downloads the member's data as member-<id>.json; what happened is said next to it. */
export function ExportDataButton({ memberId }: { memberId: string }) {
  const t = useT();
  const client = useClient();
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const [error, setError] = useState<OperationError | null>(null);
  const exportData = async () => {
    setBusy(true);
    setDone(null);
    const result = await client.query(MemberDataExportQuery, { memberId }, { requestPolicy: 'network-only' }).toPromise();
    setBusy(false);
    const failed = toOperationError(result.error);
    setError(failed);
    if (failed || result.data?.memberDataExport == null) return;
    const file = `member-${memberId}.json`;
    const url = URL.createObjectURL(new Blob([result.data.memberDataExport], { type: 'application/json' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = file;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    setDone(file);
  };
  return (
    <>
      <button type="button" onClick={() => void exportData()} disabled={busy} data-testid="export-data">
        {busy ? t('members.dataRights.exporting') : t('members.dataRights.export')}
      </button>
      {done ? <span className="visually-hidden" role="status">{t('members.dataRights.exported', { file: done })}</span> : null}
      {error ? <ErrorState error={error} /> : null}
    </>
  );
}

/** The erasure's dialog: what it does, the reason (required by the server) and the typed confirmation. */
export function EraseMemberDialog({ memberId, open, onClose, onDone }: { memberId: string; open: boolean; onClose: () => void; onDone: () => void }) {
  const t = useT();
  const [reason, setReason] = useState('');
  const [typed, setTyped] = useState('');
  const [error, setError] = useState<OperationError | null>(null);
  const [{ fetching }, erase] = useMutation(EraseMemberMutation);
  const close = () => {
    setReason('');
    setTyped('');
    setError(null);
    onClose();
  };
  const submit = async () => {
    if (typed.trim() !== ERASE_WORD) {
      return setError({ code: 'BAD_USER_INPUT', fields: { confirm: t('members.dataRights.confirmMismatch', { word: ERASE_WORD }) }, general: [] });
    }
    const failed = toOperationError((await erase({ memberId, reason: reason.trim() })).error);
    setError(failed);
    if (!failed) {
      close();
      onDone();
    }
  };
  return (
    <Modal title={t('members.dataRights.eraseTitle')} open={open} onClose={close} role="alertdialog" describedBy="erase-message">
      <p id="erase-message">{t('members.dataRights.eraseMessage')}</p>
      <Form onSubmit={submit} error={error} busy={fetching} submitLabel={t('members.dataRights.submit')} danger onCancel={close}>
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
