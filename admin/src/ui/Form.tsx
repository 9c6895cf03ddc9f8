import { createContext, useCallback, useContext, useEffect, useId, useMemo, useReducer, useRef, type FormEvent, type ReactNode } from 'react';
import { useT } from '../i18n';
import { InDialog } from './Modal';
import type { OperationError } from '../graphql/errors';

/**
 * A form whose errors come from the server. `error` is the failed operation's
 * (toOperationError): a message with extensions.field is shown under the <Field> of that name,
 * the field is marked invalid (aria-invalid, aria-describedby) and focused (unless the operator
 * has gone on typing in another control meanwhile, in a form outside a dialog: one in a dialog is
 * locked while its save is on its way); messages that name
 * no field, or a field this form does not show, go in the alert at the top (a control that is
 * not a <Field> registers its name with useFormField).
 *
 *   <Form onSubmit={save} error={error} busy={fetching} submitLabel={t('common.save')}>
 *     <Field name="amount" label={t('members.adjust.amount')}>{(p) => <input type="number" {...p} />}</Field>
 *   </Form>
 */
interface FormContextValue {
  error: OperationError | null;
  register: (name: string) => () => void;
}

const FormContext = createContext<FormContextValue | null>(null);

export interface FormProps {
  onSubmit: () => void | Promise<void>;
  error?: OperationError | null;
  busy?: boolean;
  submitLabel: string;
  /** Destructive submit buttons are red (the confirmation is the caller's: useConfirm). */
  danger?: boolean;
  onCancel?: () => void;
  children: ReactNode;
  /** The form's accessible name. */
  label?: string;
  className?: string;
  /**
   * Fields whose controls are outside this form and show their own message (the segment
   * builder beside a save form): their messages are not repeated in the alert, which says once
   * to correct what is marked instead.
   */
  shownElsewhere?: (field: string) => boolean;
  /** Nothing to submit (a record that can no longer change): the controls disabled, no buttons. */
  readOnly?: boolean;
}

export function Form({ onSubmit, error = null, busy, submitLabel, danger, onCancel, children, label, className, shownElsewhere, readOnly }: FormProps) {
  const t = useT();
  const inDialog = useContext(InDialog);
  const fields = useRef(new Set<string>());
  const formRef = useRef<HTMLFormElement>(null);
  // A field registers after the form's first render: the form renders again then, so that an
  // error it had from the start (a range read from the address) moves from the alert to its field
  // instead of showing in both.
  const [, fieldsChanged] = useReducer((n: number) => n + 1, 0);
  const register = useCallback((name: string) => {
    fields.current.add(name);
    fieldsChanged();
    return () => void fields.current.delete(name);
  }, []);
  const context = useMemo<FormContextValue>(() => ({ error, register }), [error, register]);
  // The server's message names its field in its own words: no raw field name in front of it (the console's language may not be English).
  const unshown = error ? Object.entries(error.fields).filter(([f]) => !fields.current.has(f)) : [];
  const elsewhere = unshown.some(([f]) => shownElsewhere?.(f));
  const unplaced = error ? [
    ...error.general, ...unshown.filter(([f]) => !shownElsewhere?.(f)).map(([, m]) => m), ...(elsewhere ? [t('form.correctMarked')] : []),
  ] : [];
  // Where focus was when the form was sent: a control focused since then is the operator's
  // (typing on while the save was on its way), and the answer does not take focus from it.
  const focusedAtSubmit = useRef<Element | null>(null);
  useEffect(() => {
    if (!error) return;
    const active = document.activeElement;
    const movedOn = active && active !== focusedAtSubmit.current && formRef.current?.contains(active) && active.matches('input, select, textarea');
    if (movedOn) return;
    const invalid = formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]');
    // A control inside a closed <details> (the campaign's audience conditions) cannot take focus: opened first.
    const closed = invalid?.closest('details');
    if (closed && !closed.open) closed.open = true;
    (invalid ?? formRef.current?.querySelector<HTMLElement>('.form-alert'))?.focus();
  }, [error]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    focusedAtSubmit.current = document.activeElement;
    void onSubmit();
  };
  return (
    <FormContext.Provider value={context}>
      <form ref={formRef} className={`form ${className ?? ''}`} onSubmit={submit} aria-label={label} noValidate>
        {unplaced.length ? (
          <div className="form-alert" role="alert" tabIndex={-1}>
            {unplaced.map((m) => <p key={m}>{m}</p>)}
          </div>
        ) : null}
        {readOnly ? <fieldset className="form-read-only" disabled>{children}</fieldset>
          // In a dialog, which closes when saved, the fields are locked while the save is on its way: what
          // is shown is what is saved (a change typed meanwhile would close with the dialog, unsent).
          : inDialog ? <fieldset className="form-fields" disabled={busy}>{children}</fieldset> : children}
        {readOnly ? null : (
          <div className="form-actions">
            {onCancel ? <button type="button" onClick={onCancel}>{t('common.cancel')}</button> : null}
            <button type="submit" className={danger ? 'danger' : 'primary'} disabled={busy} aria-busy={busy || undefined}>
              {busy ? t('common.working') : submitLabel}
            </button>
          </div>
        )}
      </form>
    </FormContext.Provider>
  );
}

export interface FieldControlProps {
  id: string;
  name: string;
  'aria-invalid': boolean;
  'aria-describedby'?: string;
  required?: boolean;
}

export interface FieldProps {
  /** The input's field name as the server names it in extensions.field. */
  name: string;
  label: string;
  hint?: string;
  required?: boolean;
  children: (props: FieldControlProps) => ReactNode;
}

/**
 * A control of the form's that is not a <Field> (the segment builder's): registered by its
 * field name, so the server's message about it is shown by the control and not again in the
 * alert (`shown` false: the control is not there, and its message goes in the alert).
 */
export function useFormField(name: string, shown = true): void {
  const register = useContext(FormContext)?.register;
  useEffect(() => (shown ? register?.(name) : undefined), [register, name, shown]);
}

export function Field({ name, label, hint, required, children }: FieldProps) {
  const ctx = useContext(FormContext);
  const id = useId();
  useFormField(name);
  const message = ctx?.error?.fields[name];
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = message ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${message ? ' field-invalid' : ''}`} data-field={name}>
      {/* "Required" is said by the control's required attribute; the mark is CSS (.required::after), outside the label's text. */}
      <label htmlFor={id} className={required ? 'required' : undefined}>{label}</label>
      {children({ id, name, 'aria-invalid': Boolean(message), 'aria-describedby': describedBy, required })}
      {hint ? <p className="field-hint" id={hintId}>{hint}</p> : null}
      {message ? <p className="field-error" id={errorId} data-testid={`field-error-${name}`}>{message}</p> : null}
    </div>
  );
}
