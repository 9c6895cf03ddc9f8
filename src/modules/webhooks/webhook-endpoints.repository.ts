import type { EntityManager } from '@mikro-orm/postgresql';
import { keyset } from '../../common/pagination';
import { pgTextArray } from '../../db/entity-manager';
import { withDates } from '../../db/rows';
import type { WebhookDeliveryStatus } from './webhook.entities';
import { WEBHOOK_CHANNEL } from './webhooks.repository';

/** The SQL of the webhook admin API: endpoints, the delivery log, ping and redelivery. */

/** An endpoint as the API shows it: the secret's last 4 characters only. */
export interface EndpointRow {
  id: string;
  url: string;
  eventTypes: string[];
  active: boolean;
  secretHint: string;
  createdAt: Date;
}

const ENDPOINT_COLUMNS = `e.id, e.url, e.event_types as "eventTypes", e.active, right(e.secret, 4) as "secretHint", e.created_at as "createdAt"`;

const endpoint = (r: EndpointRow) => withDates(r, ['createdAt']);

/** Every endpoint, oldest first. */
export async function listEndpoints(em: EntityManager): Promise<EndpointRow[]> {
  return (await em.execute<EndpointRow[]>(`select ${ENDPOINT_COLUMNS} from webhook_endpoint e order by e.created_at, e.id`)).map(endpoint);
}

export async function insertEndpoint(
  tx: EntityManager, e: { id: string; url: string; eventTypes: string[]; active: boolean; secret: string; idempotencyKey: string | null },
): Promise<EndpointRow> {
  const [row] = await tx.execute<EndpointRow[]>(
    `insert into webhook_endpoint as e (id, url, event_types, active, secret, idempotency_key, created_at, updated_at)
     values (?::uuid, ?, ?::text[], ?, ?, ?, now(), now()) returning ${ENDPOINT_COLUMNS}`,
    [e.id, e.url, pgTextArray(e.eventTypes), e.active, e.secret, e.idempotencyKey],
  );
  return endpoint(row);
}

/**
 * The endpoint createWebhookEndpoint made with `key`, with its secret in force, locked for the
 * rest of `tx`; null if none. Takes the key's lock first (released at the end of `tx`): creates
 * with one key run one at a time.
 */
export async function endpointByKey(tx: EntityManager, key: string): Promise<{ endpoint: EndpointRow; secret: string } | null> {
  await tx.execute(`select pg_advisory_xact_lock(hashtext('webhook_endpoint.key'), hashtext(?))`, [key]);
  const [row] = await tx.execute<(EndpointRow & { secret: string })[]>(
    `select ${ENDPOINT_COLUMNS}, e.secret from webhook_endpoint e where e.idempotency_key = ? for update`, [key]);
  if (!row) return null;
  const { secret, ...rest } = row;
  return { endpoint: endpoint(rest), secret };
}

/** The secret in force of endpoint `id` and the key of its last rotation (the caller holds its lock). */
export async function endpointSecret(tx: EntityManager, id: string): Promise<{ secret: string; rotationKey: string | null }> {
  const [row] = await tx.execute<{ secret: string; rotationKey: string | null }[]>(
    `select e.secret, e.rotation_key as "rotationKey" from webhook_endpoint e where e.id = ?::uuid`, [id]);
  return row;
}

/** The endpoint, locked for the rest of `tx` (a change to it waits for another); null if none. */
export async function lockEndpoint(tx: EntityManager, id: string): Promise<EndpointRow | null> {
  const [row] = await tx.execute<EndpointRow[]>(`select ${ENDPOINT_COLUMNS} from webhook_endpoint e where e.id = ?::uuid for update`, [id]);
  return row ? endpoint(row) : null;
}

export async function updateEndpoint(tx: EntityManager, id: string, e: { url: string; eventTypes: string[]; active: boolean }): Promise<EndpointRow> {
  const [row] = await tx.execute<EndpointRow[]>(
    `update webhook_endpoint e set url = ?, event_types = ?::text[], active = ?, updated_at = now() where e.id = ?::uuid returning ${ENDPOINT_COLUMNS}`,
    [e.url, pgTextArray(e.eventTypes), e.active, id],
  );
  return endpoint(row);
}

/** The new secret in force; the one it replaces still signed with for `graceHours`. */
export async function rotateSecret(tx: EntityManager, id: string, secret: string, graceHours: number, key: string | null): Promise<EndpointRow> {
  const [row] = await tx.execute<EndpointRow[]>(
    `update webhook_endpoint e set previous_secret = e.secret, previous_secret_expires_at = now() + make_interval(hours => ?::int),
       secret = ?, rotation_key = ?, updated_at = now() where e.id = ?::uuid returning ${ENDPOINT_COLUMNS}`,
    [graceHours, secret, key, id],
  );
  return endpoint(row);
}

/** The endpoint and its delivery log (the events stay: other endpoints' deliveries may name them). */
export async function deleteEndpoint(tx: EntityManager, id: string): Promise<void> {
  await tx.execute('delete from webhook_delivery where endpoint_id = ?::uuid', [id]);
  await tx.execute('delete from webhook_endpoint where id = ?::uuid', [id]);
}

/** A delivery as the log shows it. */
export interface DeliveryRow {
  id: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: Date | null;
  createdAt: Date;
  deliveredAt: Date | null;
}

const DELIVERY_COLUMNS = `d.id::text as id, d.endpoint_id as "endpointId", d.event_id as "eventId", ev.type as "eventType", d.status, d.attempts,
  d.last_status_code as "lastStatusCode", d.last_error as "lastError", d.next_attempt_at as "nextAttemptAt", d.created_at as "createdAt", d.delivered_at as "deliveredAt"`;

const delivery = (r: DeliveryRow) => withDates(r, ['nextAttemptAt', 'createdAt', 'deliveredAt']);

/**
 * The log, newest first, after delivery id `afterId` (keyset on the bigint id, compared as
 * bigint: text would put 10 before 9). Filtered by endpoint and status when given.
 */
export async function deliveriesPage(em: EntityManager, f: { endpointId: string | null; status: WebhookDeliveryStatus | null }, afterId: string | null, limit: number): Promise<DeliveryRow[]> {
  const page = keyset('d.id', 'desc', afterId);
  const rows = await em.execute<DeliveryRow[]>(
    `select ${DELIVERY_COLUMNS} from webhook_delivery d join webhook_event ev on ev.id = d.event_id
     where (?::uuid is null or d.endpoint_id = ?::uuid) and (?::text is null or d.status = ?) and ${page.where} ${page.orderBy} limit ?`,
    [f.endpointId, f.endpointId, f.status, f.status, ...page.params, limit],
  );
  return rows.map(delivery);
}

/** One delivery, locked for the rest of `tx`; null if none. */
export async function lockDelivery(tx: EntityManager, id: string): Promise<DeliveryRow | null> {
  const [row] = await tx.execute<DeliveryRow[]>(
    `select ${DELIVERY_COLUMNS} from webhook_delivery d join webhook_event ev on ev.id = d.event_id where d.id = ?::bigint for update of d`, [id],
  );
  return row ? delivery(row) : null;
}

/**
 * The newest delivery of the event to the endpoint made after delivery `afterId` (a redelivery of
 * it, whatever its status now), or null.
 */
export async function laterDelivery(tx: EntityManager, endpointId: string, eventId: string, afterId: string): Promise<DeliveryRow | null> {
  const [row] = await tx.execute<DeliveryRow[]>(
    `select ${DELIVERY_COLUMNS} from webhook_delivery d join webhook_event ev on ev.id = d.event_id
     where d.endpoint_id = ?::uuid and d.event_id = ?::uuid and d.id > ?::bigint order by d.id desc limit 1`, [endpointId, eventId, afterId],
  );
  return row ? delivery(row) : null;
}

/** A new PENDING delivery of the event to the endpoint, due now; the workers are woken once `tx` commits (NOTIFY is transactional). */
export async function insertDelivery(tx: EntityManager, endpointId: string, eventId: string): Promise<DeliveryRow> {
  const [row] = await tx.execute<DeliveryRow[]>(
    `with d as (insert into webhook_delivery (endpoint_id, event_id) values (?::uuid, ?::uuid) returning *),
       n as (select pg_notify(?, ''))
     select ${DELIVERY_COLUMNS} from d join webhook_event ev on ev.id = d.event_id, n`,
    [endpointId, eventId, WEBHOOK_CHANNEL],
  );
  return delivery(row);
}

/** A webhook.ping event for one endpoint only (not webhook_emit, which fans out to every subscriber); its id. */
export async function insertPingEvent(tx: EntityManager, data: Record<string, unknown>): Promise<string> {
  const [row] = await tx.execute<{ id: string }[]>(
    `insert into webhook_event (type, member_id, occurred_at, data) values ('webhook.ping', null, now(), ?::jsonb) returning id::text`,
    [JSON.stringify(data)],
  );
  return row.id;
}
