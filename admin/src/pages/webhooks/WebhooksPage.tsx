import { useCallback, useRef, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import type { WebhookDeliveryFieldsFragment, WebhookDeliveryStatus, WebhookEndpointFieldsFragment } from '../../gql/graphql';
import { toOperationError, type OperationError } from '../../graphql/errors';
import { newKey } from '../../graphql/idempotency';
import { useI18n } from '../../i18n';
import { DELIVERY_STATUS_LABEL } from '../../i18n/enums';
import { useConfirm } from '../../ui/ConfirmDialog';
import { Field, Form, useFormField } from '../../ui/Form';
import { Modal } from '../../ui/Modal';
import { Empty, Page, Section } from '../../ui/Page';
import { ConnectionPager, useCursorPager } from '../../ui/Pager';
import { useEditing } from '../../ui/useEditing';
import { useStillShown } from '../../ui/useStillShown';
import { keepLateSecret, useLateSecrets, type NewSecret, type ShownSecret } from './late-secrets';
import './webhooks.css';
import {
  CreateWebhookEndpointMutation, DeleteWebhookEndpointMutation, PingWebhookEndpointMutation, RedeliverWebhookMutation, RotateWebhookSecretMutation,
  SetWebhookEndpointActiveMutation, UpdateWebhookEndpointMutation, WebhookDeliveriesQuery, WebhooksPageQuery,
} from './operations';

type Endpoint = WebhookEndpointFieldsFragment;
type Delivery = WebhookDeliveryFieldsFragment;

const PAGE_SIZE = 20;

/** A click handler that runs an async action (each reports its own failure on the page). */
const act = (work: () => Promise<void>) => () => {
  void work();
};
const ALL = '*';
const STATUSES: WebhookDeliveryStatus[] = ['PENDING', 'DELIVERED', 'DEAD'];

/**
 * Webhooks: the endpoints (created with a secret shown once, edited, activated or deactivated,
 * their secret rotated, pinged, deleted after a confirmation) in one request with the event
 * types (WebhooksPage), and the delivery log, filtered by endpoint and status and paged, with
 * a redelivery per row (WebhookDeliveries).
 */
export default function WebhooksPage() {
  const { t } = useI18n();
  const [result, refetch] = useQuery({ query: WebhooksPageQuery });
  const { editing, opening, show, hide, hideIf } = useEditing<Endpoint | 'new'>();
  const [secret, setSecret] = useState<ShownSecret | null>(null);
  const stillShown = useStillShown();
  // A secret is in its create's or rotation's answer alone: one that comes after the operator left the page is shown on the page shown next (late-secrets.ts).
  const showSecret = (s: NewSecret) => {
    if (stillShown.current) setSecret({ url: s.url, secret: s.secret });
    else keepLateSecret(s);
  };
  const [notice, setNotice] = useState<string | null>(null);
  const [logEndpoint, setLogEndpoint] = useState('');
  const [logVersion, setLogVersion] = useState(0);
  const data = result.data;
  // The log's filter names an endpoint that exists, or none (every endpoint): an endpoint deleted
  // (here or elsewhere) leaves the select on "Every endpoint", and the query must say the same.
  const shownLogEndpoint = data?.webhookEndpoints.some((e) => e.id === logEndpoint) ? logEndpoint : '';
  const reload = useCallback(() => refetch({ requestPolicy: 'network-only' }), [refetch]);
  useLateSecrets(data?.webhookEndpoints, setSecret, reload);
  return (
    <Page
      title={t('webhooks.title')}
      subtitle={t('webhooks.subtitle')}
      toolbar={<button type="button" className="primary" onClick={() => show('new')}>{t('webhooks.new')}</button>}
      loading={result.fetching && !data}
      error={toOperationError(result.error)}
      onRetry={reload}
    >
      {notice ? <p className="notice" role="status" data-testid="webhooks-notice">{notice}</p> : null}
      {data ? (
        <>
          <Section title={t('webhooks.endpoints')} id="endpoints">
            {!data.webhookEndpoints.length ? <Empty>{t('webhooks.none')}</Empty> : (
              <Endpoints
                endpoints={data.webhookEndpoints}
                onEdit={show}
                onSecret={showSecret}
                onNotice={(message) => {
                  setNotice(message);
                  setLogVersion((v) => v + 1);
                  reload();
                }}
                onShowLog={(id) => {
                  setLogEndpoint(id);
                  document.getElementById('deliveries')?.scrollIntoView();
                }}
                onDeleted={(id) => setLogEndpoint((shown) => (shown === id ? '' : shown))}
              />
            )}
          </Section>
          <EndpointDialog
            key={editing === 'new' ? 'new' : editing?.id ?? 'closed'}
            endpoint={editing}
            eventTypes={data.webhookEventTypes}
            onClose={hide}
            onSaved={(saved, newSecret) => {
              // A save that lands after its dialog was closed leaves the dialog opened since alone.
              hideIf(opening);
              setNotice(t('webhooks.saved', { url: saved.url }));
              if (newSecret) showSecret({ url: saved.url, secret: newSecret, endpointId: saved.id, hint: saved.secretHint });
              reload();
            }}
          />
          <SecretDialog shown={secret} onClose={() => setSecret(null)} />
          <Deliveries
            key={logVersion}
            endpoints={data.webhookEndpoints}
            endpointId={shownLogEndpoint}
            onEndpoint={setLogEndpoint}
            onNotice={setNotice}
          />
        </>
      ) : null}
    </Page>
  );
}

function Endpoints({ endpoints, onEdit, onSecret, onNotice, onShowLog, onDeleted }: {
  endpoints: Endpoint[];
  onEdit: (e: Endpoint) => void;
  onSecret: (s: NewSecret) => void;
  onNotice: (message: string) => void;
  onShowLog: (id: string) => void;
  onDeleted: (id: string) => void;
}) {
  const { t, formatDateTime } = useI18n();
  const confirm = useConfirm();
  const [, rotate] = useMutation(RotateWebhookSecretMutation);
  const [, setActive] = useMutation(SetWebhookEndpointActiveMutation);
  const [, remove] = useMutation(DeleteWebhookEndpointMutation);
  const [, ping] = useMutation(PingWebhookEndpointMutation);
  const [error, setError] = useState<OperationError | null>(null);
  // A rotation's idempotency key per endpoint, kept until an answer comes: a rotation retried
  // after a lost answer returns the secret it made instead of rotating again (which would push
  // the secret the receiver still uses out of its 24 h grace).
  const rotationKeys = useRef(new Map<string, string>());
  // One action at a time per endpoint: a double click on Ping sent two pings (two deliveries).
  const running = useRef(new Set<string>());
  const [busy, setBusy] = useState<ReadonlySet<string>>(new Set());
  const once = (id: string, work: () => Promise<void>) => act(async () => {
    if (running.current.has(id)) return;
    running.current.add(id);
    setBusy(new Set(running.current));
    try {
      await work();
    } finally {
      running.current.delete(id);
      setBusy(new Set(running.current));
    }
  });
  const done = (failed: OperationError | null, message: string) => {
    setError(failed);
    if (!failed) onNotice(message);
  };
  return (
    <>
      {error ? <div className="form-alert" role="alert">{[...error.general, ...Object.values(error.fields)].map((m) => <p key={m}>{m}</p>)}</div> : null}
      <div className="table-wrap" tabIndex={0} role="region" aria-label={t('webhooks.endpoints')}>
        <table className="table webhooks-table" data-testid="endpoints">
          <caption className="visually-hidden">{t('webhooks.endpoints')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('webhooks.col.url')}</th>
              <th scope="col">{t('webhooks.col.eventTypes')}</th>
              <th scope="col">{t('webhooks.col.status')}</th>
              <th scope="col">{t('webhooks.col.secret')}</th>
              <th scope="col">{t('webhooks.col.created')}</th>
              <th scope="col">{t('webhooks.col.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {endpoints.map((e) => (
              <tr key={e.id} data-id={e.id}>
                <td className="webhook-url"><code>{e.url}</code></td>
                <td>{e.eventTypes.includes(ALL) ? t('webhooks.allTypes') : e.eventTypes.map((x) => <code key={x} className="event-type">{x}</code>)}</td>
                <td><span className={`badge ${e.active ? 'status-ISSUED' : 'status-CANCELLED'}`}>{t(e.active ? 'webhooks.active' : 'webhooks.inactive')}</span></td>
                <td><code>…{e.secretHint}</code></td>
                <td>{formatDateTime(e.createdAt)}</td>
                <td className="webhook-actions">
                  <button type="button" className="small" onClick={() => onEdit(e)} aria-label={t('webhooks.editNamed', { url: e.url })}>{t('webhooks.edit')}</button>
                  <button type="button" className="small" aria-label={t(e.active ? 'webhooks.deactivateNamed' : 'webhooks.activateNamed', { url: e.url })}
                    disabled={busy.has(e.id)}
                    onClick={once(e.id, async () => {
                      const r = await setActive({ id: e.id, active: !e.active });
                      done(toOperationError(r.error), t(e.active ? 'webhooks.deactivated' : 'webhooks.activated', { url: e.url }));
                    })}>
                    {t(e.active ? 'webhooks.deactivate' : 'webhooks.activate')}
                  </button>
                  <button type="button" className="small" disabled={!e.active || busy.has(e.id)} aria-label={t('webhooks.pingNamed', { url: e.url })}
                    onClick={once(e.id, async () => {
                      const r = await ping({ id: e.id });
                      done(toOperationError(r.error), t('webhooks.pinged', { url: e.url }));
                    })}>
                    {t('webhooks.ping')}
                  </button>
                  <button type="button" className="small" disabled={busy.has(e.id)} aria-label={t('webhooks.rotateNamed', { url: e.url })}
                    onClick={once(e.id, async () => {
                      if (!(await confirm({ title: t('webhooks.rotateTitle'), message: t('webhooks.rotateMessage', { url: e.url }), confirmLabel: t('webhooks.rotate') }))) return;
                      const idempotencyKey = rotationKeys.current.get(e.id) ?? newKey();
                      rotationKeys.current.set(e.id, idempotencyKey);
                      const r = await rotate({ id: e.id, idempotencyKey });
                      if (!r.error?.networkError) rotationKeys.current.delete(e.id);
                      const failed = toOperationError(r.error);
                      done(failed, t('webhooks.rotated', { url: e.url }));
                      if (!failed && r.data) {
                        const rotated = r.data.rotateWebhookSecret;
                        onSecret({ url: e.url, secret: rotated.secret, endpointId: e.id, hint: rotated.endpoint.secretHint });
                      }
                    })}>
                    {t('webhooks.rotate')}
                  </button>
                  <button type="button" className="small" onClick={() => onShowLog(e.id)} aria-label={t('webhooks.logNamed', { url: e.url })}>{t('webhooks.log')}</button>
                  <button type="button" className="small danger" disabled={busy.has(e.id)} aria-label={t('webhooks.deleteNamed', { url: e.url })}
                    onClick={once(e.id, async () => {
                      if (!(await confirm({ title: t('webhooks.deleteTitle'), message: t('webhooks.deleteMessage', { url: e.url }), confirmLabel: t('webhooks.delete') }))) return;
                      const r = await remove({ id: e.id });
                      const failed = toOperationError(r.error);
                      if (!failed) onDeleted(e.id);
                      done(failed, t('webhooks.deleted', { url: e.url }));
                    })}>
                    {t('webhooks.delete')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

/** Create (endpoint 'new') or edit an endpoint: its URL, the event types it receives (or all), whether it is active. */
function EndpointDialog({ endpoint, eventTypes, onClose, onSaved }: {
  endpoint: Endpoint | 'new' | null;
  eventTypes: string[];
  onClose: () => void;
  onSaved: (e: Endpoint, secret: string | null) => void;
}) {
  const { t } = useI18n();
  const existing = endpoint && endpoint !== 'new' ? endpoint : null;
  const [url, setUrl] = useState(existing?.url ?? '');
  const [all, setAll] = useState(existing ? existing.eventTypes.includes(ALL) : true);
  const [types, setTypes] = useState<string[]>(existing && !existing.eventTypes.includes(ALL) ? existing.eventTypes : []);
  const [active, setActive] = useState(existing?.active ?? true);
  const [error, setError] = useState<OperationError | null>(null);
  const [created, create] = useMutation(CreateWebhookEndpointMutation);
  // One key per form opened: saving again after an answer that never came gets the endpoint (and secret) the first save made.
  const [createKey, setCreateKey] = useState(newKey);
  const [updated, update] = useMutation(UpdateWebhookEndpointMutation);
  if (!endpoint) return null;
  const title = existing ? t('webhooks.editTitle', { url: existing.url }) : t('webhooks.newTitle');
  const submit = async () => {
    const input = { url: url.trim(), eventTypes: all ? [ALL] : types, active };
    if (existing) {
      const r = await update({ id: existing.id, input });
      const failed = toOperationError(r.error);
      setError(failed);
      if (!failed && r.data) onSaved(r.data.updateWebhookEndpoint, null);
    } else {
      const r = await create({ input, idempotencyKey: createKey });
      const failed = toOperationError(r.error);
      if (failed?.code === 'CONFLICT' && failed.fields.idempotencyKey) {
        // Sent again with another URL or other types after a lost answer: the first create landed,
        // as it was sent (the list, read again after the lost answer, shows it). Said so; a new key
        // makes the next Create another endpoint.
        setCreateKey(newKey());
        return setError({ code: failed.code, fields: {}, general: [t('webhooks.createdEarlier')] });
      }
      setError(failed);
      if (!failed && r.data) onSaved(r.data.createWebhookEndpoint.endpoint, r.data.createWebhookEndpoint.secret);
    }
  };
  return (
    <Modal title={title} open onClose={onClose}>
      <Form onSubmit={submit} error={error} busy={created.fetching || updated.fetching} submitLabel={existing ? t('common.save') : t('webhooks.create')} onCancel={onClose} label={title}>
        <Field name="url" label={t('webhooks.field.url')} hint={t('webhooks.hint.url')} required>
          {(p) => <input {...p} type="url" value={url} onChange={(e) => setUrl(e.target.value)} autoComplete="off" spellCheck={false} />}
        </Field>
        <EventTypesFieldset message={error?.fields.eventTypes}>
          {(control) => (
            <>
              <label className="checkbox">
                <input type="checkbox" name="allTypes" checked={all} onChange={(e) => setAll(e.target.checked)} {...control} />
                {t('webhooks.allTypes')}
              </label>
              <div className="event-type-list">
                {eventTypes.map((type) => (
                  <label key={type} className="checkbox">
                    <input type="checkbox" name="eventTypes" value={type} disabled={all} checked={all || types.includes(type)} {...control}
                      onChange={(e) => setTypes((list) => (e.target.checked ? [...list, type] : list.filter((x) => x !== type)))} />
                    <code>{type}</code>
                  </label>
                ))}
              </div>
            </>
          )}
        </EventTypesFieldset>
        <label className="checkbox">
          <input type="checkbox" name="active" checked={active} onChange={(e) => setActive(e.target.checked)} />
          {t('webhooks.field.active')}
        </label>
      </Form>
    </Modal>
  );
}

/**
 * The event types: a group of checkboxes, a field of the form's (`eventTypes`, as the server names
 * it): its refusal ("at least one event type") is shown in the group and marks its boxes, as a
 * <Field>'s message marks its control (the form focuses the first), not in the dialog's alert.
 */
function EventTypesFieldset({ message, children }: {
  message: string | undefined;
  children: (control: { 'aria-invalid'?: true; 'aria-describedby'?: string }) => React.ReactNode;
}) {
  const { t } = useI18n();
  useFormField('eventTypes');
  return (
    <fieldset className={`event-types${message ? ' field-invalid' : ''}`} aria-describedby={message ? 'event-types-hint event-types-error' : 'event-types-hint'} data-field="eventTypes">
      <legend>{t('webhooks.field.eventTypes')}</legend>
      <p id="event-types-hint" className="muted">{t('webhooks.hint.eventTypes')}</p>
      {children(message ? { 'aria-invalid': true, 'aria-describedby': 'event-types-error' } : {})}
      {message ? <p className="field-error" id="event-types-error" data-testid="field-error-eventTypes">{message}</p> : null}
    </fieldset>
  );
}

/** The secret, this once: with a button that copies it. */
function SecretDialog({ shown, onClose }: { shown: ShownSecret | null; onClose: () => void }) {
  const { t } = useI18n();
  const [copied, setCopied] = useState<'yes' | 'no' | null>(null);
  if (!shown) return null;
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(shown.secret);
      setCopied('yes');
    } catch {
      setCopied('no');
    }
  };
  return (
    <Modal title={t('webhooks.secretTitle')} open onClose={() => { setCopied(null); onClose(); }}>
      <p>{t('webhooks.secretMessage', { url: shown.url })}</p>
      <p className="secret-box">
        <label htmlFor="webhook-secret" className="visually-hidden">{t('webhooks.secretLabel')}</label>
        <input id="webhook-secret" readOnly value={shown.secret} data-testid="webhook-secret" onFocus={(e) => e.target.select()} spellCheck={false} />
        <button type="button" onClick={() => void copy()}>{t('webhooks.copy')}</button>
      </p>
      <p role="status" className="muted">{copied === 'yes' ? t('webhooks.copied') : copied === 'no' ? t('webhooks.copyFailed') : ''}</p>
      <div className="form-actions">
        <button type="button" className="primary" data-autofocus onClick={() => { setCopied(null); onClose(); }}>{t('webhooks.secretDone')}</button>
      </div>
    </Modal>
  );
}

function Deliveries({ endpoints, endpointId, onEndpoint, onNotice }: {
  endpoints: Endpoint[];
  endpointId: string;
  onEndpoint: (id: string) => void;
  onNotice: (message: string) => void;
}) {
  const { t, formatDateTime } = useI18n();
  const [status, setStatus] = useState<WebhookDeliveryStatus | ''>('');
  const pager = useCursorPager();
  const [result, refetch] = useQuery({
    query: WebhookDeliveriesQuery,
    variables: { endpointId: endpointId || null, status: status || null, first: PAGE_SIZE, after: pager.after },
    requestPolicy: 'network-only',
  });
  const [, redeliver] = useMutation(RedeliverWebhookMutation);
  const [error, setError] = useState<OperationError | null>(null);
  const connection = result.data?.webhookDeliveries;
  const rows: Delivery[] = connection?.edges.map((e) => e.node) ?? [];
  const urlOf = new Map(endpoints.map((e) => [e.id, e.url]));
  const loadError = toOperationError(result.error);
  return (
    <Section title={t('webhooks.deliveries')} id="deliveries">
      <div className="delivery-filters" role="group" aria-label={t('webhooks.filters')}>
        <label htmlFor="delivery-endpoint">{t('webhooks.filter.endpoint')}</label>
        <select id="delivery-endpoint" name="endpointId" value={endpointId} onChange={(e) => { pager.reset(); onEndpoint(e.target.value); }}>
          <option value="">{t('webhooks.filter.anyEndpoint')}</option>
          {endpoints.map((e) => <option key={e.id} value={e.id}>{e.url}</option>)}
        </select>
        <label htmlFor="delivery-status">{t('webhooks.filter.status')}</label>
        <select id="delivery-status" name="status" value={status} onChange={(e) => { pager.reset(); setStatus(e.target.value as WebhookDeliveryStatus | ''); }}>
          <option value="">{t('webhooks.filter.anyStatus')}</option>
          {STATUSES.map((s) => <option key={s} value={s}>{t(DELIVERY_STATUS_LABEL[s])}</option>)}
        </select>
        <button type="button" onClick={() => refetch({ requestPolicy: 'network-only' })}>{t('webhooks.refresh')}</button>
      </div>
      {loadError || error ? <div className="form-alert" role="alert">{[...(loadError ?? error)!.general, ...Object.values((loadError ?? error)!.fields)].map((m) => <p key={m}>{m}</p>)}</div> : null}
      {result.fetching && !connection ? <p className="muted" role="status">{t('page.loading')}</p> : null}
      {connection && !rows.length ? <Empty>{t('webhooks.noDeliveries')}</Empty> : null}
      {rows.length ? (
        <div className="table-wrap" tabIndex={0} role="region" aria-label={t('webhooks.deliveries')}>
          <table className="table deliveries-table" data-testid="deliveries">
            <caption className="visually-hidden">{t('webhooks.deliveries')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('webhooks.col.created')}</th>
                <th scope="col">{t('webhooks.col.event')}</th>
                <th scope="col">{t('webhooks.col.endpoint')}</th>
                <th scope="col">{t('webhooks.col.status')}</th>
                <th scope="col" className="num">{t('webhooks.col.attempts')}</th>
                <th scope="col">{t('webhooks.col.last')}</th>
                <th scope="col">{t('webhooks.col.when')}</th>
                <th scope="col">{t('webhooks.col.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((d) => (
                <tr key={d.id} data-id={d.id} data-status={d.status}>
                  <td>{formatDateTime(d.createdAt)}</td>
                  <td><code>{d.eventType}</code><div className="muted event-id">{d.eventId}</div></td>
                  <td className="webhook-url">{urlOf.get(d.endpointId) ?? d.endpointId}</td>
                  <td><span className={`badge delivery-${d.status}`}>{t(DELIVERY_STATUS_LABEL[d.status])}</span></td>
                  <td className="num">{d.attempts}</td>
                  <td className="last-error">{d.lastStatusCode != null ? <code>{d.lastStatusCode}</code> : null} {d.lastError ?? ''}</td>
                  <td>
                    {d.deliveredAt ? t('webhooks.deliveredAt', { at: formatDateTime(d.deliveredAt) })
                      : d.nextAttemptAt && d.status === 'PENDING' ? t('webhooks.nextAt', { at: formatDateTime(d.nextAttemptAt) }) : '—'}
                  </td>
                  <td>
                    <button type="button" className="small" aria-label={t('webhooks.redeliverNamed', { id: d.id })}
                      onClick={act(async () => {
                        const r = await redeliver({ deliveryId: d.id });
                        const failed = toOperationError(r.error);
                        setError(failed);
                        if (!failed) {
                          onNotice(t('webhooks.redelivered', { type: d.eventType }));
                          pager.reset();
                          refetch({ requestPolicy: 'network-only' });
                        }
                      })}>
                      {t('webhooks.redeliver')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <ConnectionPager label={t('webhooks.deliveries')} pager={pager} connection={connection} busy={result.fetching} />
    </Section>
  );
}
