import { useState } from 'react';
import { useMutation } from 'urql';
import type { MemberProfileQuery } from '../../gql/graphql';
import type { OperationError } from '../../graphql/errors';
import { newKey } from '../../graphql/idempotency';
import { useT } from '../../i18n';
import { Field, Form } from '../../ui/Form';
import { Modal } from '../../ui/Modal';
import { useDialogSave } from '../../ui/useDialogSave';
import { fromZonedInput, isIntText } from '../tiers/form-values';
import { AdjustPointsMutation, CancelRedemptionMutation, SetMemberTierMutation, UpdateMemberMutation } from './operations';

type ProfileMember = NonNullable<MemberProfileQuery['member']>;

interface DialogProps {
  open: boolean;
  onClose: () => void;
  /** After the server accepted the change: the page reloads the profile. */
  onDone: () => void;
}

/** The integer the operator typed, or NaN: the server says what is wrong with it (amount). */
function parseAmount(text: string): number {
  return isIntText(text) ? Number(text) : Number.NaN;
}

export function AdjustPointsDialog({ member, open, onClose, onDone }: DialogProps & { member: ProfileMember }) {
  const t = useT();
  const [amount, setAmount] = useState('');
  const [reason, setReason] = useState('');
  const [key, setKey] = useState(newKey);
  const [error, setError] = useState<OperationError | null>(null);
  const [, adjust] = useMutation(AdjustPointsMutation);
  const save = useDialogSave();
  const close = () => {
    setAmount('');
    setReason('');
    setError(null);
    setKey(newKey());
    save.closed();
    onClose();
  };
  // The dialog's key is kept until it closes, so that a save sent again after a lost answer is
  // the same adjustment, never a second one. Sent again with other points or reason, the server
  // refuses the key (CONFLICT on idempotencyKey): the first save was recorded as it was sent.
  // The operator is told so, the page shows it, and the form gets a new key: saving again now
  // records this one as well.
  const settle = (failed: OperationError | null) => {
    if (failed?.code === 'CONFLICT' && failed.fields.idempotencyKey) {
      setKey(newKey());
      setError({ code: failed.code, fields: {}, general: [t('members.adjust.recordedEarlier')] });
      onDone();
    } else if (failed?.code === 'NETWORK') {
      setError({ ...failed, general: [t('members.adjust.noAnswer')] });
    } else {
      setError(failed);
    }
  };
  const submit = async () => {
    const value = parseAmount(amount);
    if (Number.isNaN(value)) return setError({ code: 'BAD_USER_INPUT', fields: { amount: t('members.adjust.amountInvalid') }, general: [] });
    await save.submit(() => adjust({ input: { memberId: member.id, amount: value, reason: reason.trim(), idempotencyKey: key } }), { setError: settle, close, onDone });
  };
  return (
    <Modal title={t('members.adjust.title')} open={open} onClose={close}>
      <Form onSubmit={submit} error={error} busy={save.busy} submitLabel={t('members.adjust.submit')} onCancel={close}>
        <Field name="amount" label={t('members.adjust.amount')} hint={t('members.adjust.amountHint')} required>
          {(p) => <input {...p} inputMode="numeric" value={amount} onChange={(e) => setAmount(e.target.value)} data-testid="adjust-amount" />}
        </Field>
        <Field name="reason" label={t('members.adjust.reason')} required>
          {(p) => <input {...p} value={reason} onChange={(e) => setReason(e.target.value)} data-testid="adjust-reason" />}
        </Field>
      </Form>
    </Modal>
  );
}

export function OverrideTierDialog({ member, tiers, zone, open, onClose, onDone }: DialogProps & { member: ProfileMember; tiers: MemberProfileQuery['tiers']; zone: string }) {
  const t = useT();
  // What the operator picked; none: the member's tier as the page has it now. Closing the dialog
  // (cancel, Escape, or after a save) forgets the choice, the reason and the date, so that it
  // opens again on the member's current tier, as the points adjustment clears its fields.
  const [picked, setPicked] = useState<string | null>(null);
  const tierCode = picked ?? member.tier.code;
  const [reason, setReason] = useState('');
  const [until, setUntil] = useState('');
  const [error, setError] = useState<OperationError | null>(null);
  const [, setTier] = useMutation(SetMemberTierMutation);
  const save = useDialogSave();
  const close = () => {
    setPicked(null);
    setReason('');
    setUntil('');
    setError(null);
    save.closed();
    onClose();
  };
  const submit = async () => {
    // The end of the chosen day in the programme's time zone (the day a member and the server
    // mean), whatever the browser's; none: the server's default (one validity period).
    const expiresAt = until ? fromZonedInput(`${until}T23:59:59`, zone) || null : null;
    await save.submit(() => setTier({ memberId: member.id, tierCode, reason: reason.trim(), expiresAt }), { setError, close, onDone });
  };
  return (
    <Modal title={t('members.tier.title')} open={open} onClose={close}>
      <Form onSubmit={submit} error={error} busy={save.busy} submitLabel={t('members.tier.submit')} onCancel={close}>
        <Field name="tierCode" label={t('members.tier.tier')} required>
          {(p) => (
            <select {...p} value={tierCode} onChange={(e) => setPicked(e.target.value)}>
              {[...tiers].sort((a, b) => a.rank - b.rank).map((tier) => <option key={tier.code} value={tier.code}>{tier.name}</option>)}
            </select>
          )}
        </Field>
        <Field name="reason" label={t('members.tier.reason')} required>
          {(p) => <input {...p} value={reason} onChange={(e) => setReason(e.target.value)} />}
        </Field>
        <Field name="expiresAt" label={t('members.tier.expiresAt')} hint={t('members.tier.expiresAtHint', { zone })}>
          {(p) => <input {...p} type="date" value={until} onChange={(e) => setUntil(e.target.value)} />}
        </Field>
      </Form>
    </Modal>
  );
}

const PROFILE_FIELDS = ['displayName', 'email', 'phone', 'birthday', 'gender', 'region'] as const;
type ProfileField = (typeof PROFILE_FIELDS)[number];

/**
 * The profile's form. It keeps only what the operator typed: every other field shows the member
 * as the page has it now, so a form opened again after a save (while the page reloads the
 * member, or after) shows the saved values, and a later save cannot send stale ones back.
 */
export function EditProfileDialog({ member, open, onClose, onDone }: DialogProps & { member: ProfileMember }) {
  const t = useT();
  const [edits, setEdits] = useState<Partial<Record<ProfileField, string>>>({});
  const [error, setError] = useState<OperationError | null>(null);
  const [, update] = useMutation(UpdateMemberMutation);
  const save = useDialogSave();
  const valueOf = (f: ProfileField) => edits[f] ?? member[f] ?? '';
  const close = () => {
    setEdits({});
    setError(null);
    save.closed();
    onClose();
  };
  const submit = async () => {
    // Only the fields the operator changed; an emptied field is cleared (null).
    const patch: Partial<Record<ProfileField, string | null>> = {};
    for (const f of PROFILE_FIELDS) {
      const typed = edits[f];
      if (typed === undefined) continue;
      const next = typed.trim();
      if (next !== (member[f] ?? '')) patch[f] = next === '' ? null : next;
    }
    if (!Object.keys(patch).length) return close();
    await save.submit(() => update({ memberId: member.id, patch }), { setError, close, onDone });
  };
  const labels: Record<ProfileField, string> = {
    displayName: t('members.profile.displayName'), email: t('members.profile.email'), phone: t('members.profile.phone'),
    birthday: t('members.profile.birthday'), gender: t('members.profile.gender'), region: t('members.profile.region'),
  };
  return (
    <Modal title={t('members.edit.title')} open={open} onClose={close}>
      <Form onSubmit={submit} error={error} busy={save.busy} submitLabel={t('common.save')} onCancel={close}>
        {PROFILE_FIELDS.map((f) => (
          <Field key={f} name={f} label={labels[f]} hint={f === 'birthday' ? t('members.edit.birthdayHint') : undefined}>
            {(p) => (
              <input
                {...p}
                type={f === 'email' ? 'email' : 'text'}
                value={valueOf(f)}
                onChange={(e) => setEdits((v) => ({ ...v, [f]: e.target.value }))}
                data-testid={`edit-${f}`}
              />
            )}
          </Field>
        ))}
      </Form>
    </Modal>
  );
}

/** Cancelling a redemption gives its points back and voids its coupon: the dialog is the confirmation, with the reason. */
export function CancelRedemptionDialog({ redemption, onClose, onDone }: { redemption: { id: string; couponCode: string; rewardName: string } | null; onClose: () => void; onDone: () => void }) {
  const t = useT();
  const [reason, setReason] = useState('');
  const [error, setError] = useState<OperationError | null>(null);
  const [, cancel] = useMutation(CancelRedemptionMutation);
  const save = useDialogSave();
  const close = () => {
    setReason('');
    setError(null);
    save.closed();
    onClose();
  };
  const submit = async () => {
    if (!redemption) return;
    await save.submit(() => cancel({ id: redemption.id, reason: reason.trim() }), { setError, close, onDone });
  };
  return (
    <Modal title={t('members.cancelRedemption.title')} open={redemption !== null} onClose={close} role="alertdialog">
      <p>{redemption ? t('members.cancelRedemption.message', { reward: redemption.rewardName, coupon: redemption.couponCode }) : null}</p>
      <Form onSubmit={submit} error={error} busy={save.busy} submitLabel={t('members.cancelRedemption.submit')} danger onCancel={close}>
        <Field name="reason" label={t('members.cancelRedemption.reason')} required>
          {(p) => <input {...p} value={reason} onChange={(e) => setReason(e.target.value)} />}
        </Field>
      </Form>
    </Modal>
  );
}
