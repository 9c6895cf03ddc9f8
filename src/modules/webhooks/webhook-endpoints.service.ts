import { randomBytes, randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError, badInput, conflict, ErrorCode, notFound } from '../../common/errors';
import { bigintArg, decodeCursor, encodeCursor, pageOf, type Page } from '../../common/pagination';
import { inTransaction } from '../../db/transaction';
import type { Actor } from '../actor';
import type { AuditService } from '../audit/audit.service';
import { isUuid } from '../members/members.service';
import { WEBHOOK_EVENT_TYPES } from './webhook-events.rules';
import type { WebhookDeliveryStatus } from './webhook.entities';
import { fanOutQueued } from './webhook-delivery.repository';
import {
  deleteEndpoint, deliveriesPage, endpointByKey, endpointSecret, insertDelivery, insertEndpoint, insertPingEvent, listEndpoints, laterDelivery,
  lockDelivery, lockEndpoint, rotateSecret, updateEndpoint, type DeliveryRow, type EndpointRow,
} from './webhook-endpoints.repository';
import { normalizeEventTypes, sameEndpointSettings, urlProblem, type UrlPolicy } from './webhooks.rules';

export type { DeliveryRow as WebhookDeliveryRow, EndpointRow as WebhookEndpointRow } from './webhook-endpoints.repository';

/** What an admin gives for an endpoint. */
export interface WebhookEndpointInput { url: string; eventTypes: string[]; active?: boolean | null }

/** After a rotation, the secret it replaced is still signed with for this long. */
export const ROTATION_GRACE_HOURS = 24;

const DELIVERY_CURSOR = 'whdelivery';

/** A new signing secret: `whsec_` and 32 random bytes (base64url). Random, so here, not among the pure rules. */
const newSecret = (): string => `whsec_${randomBytes(32).toString('base64url')}`;

/** What an endpoint looks like in the audit log: never its secret. */
const audited = (e: EndpointRow) => ({ url: e.url, eventTypes: e.eventTypes, active: e.active });

/**
 * The webhook admin API: endpoints (created with a secret shown once, edited, rotated,
 * (de)activated, deleted), the delivery log, ping and redelivery. Every write is audited in
 * its own transaction. Delivery itself is the worker's (webhook-delivery.worker.ts).
 */
export class WebhookEndpointsService {
  constructor(private readonly em: EntityManager, private readonly audit: AuditService, private readonly policy: UrlPolicy) {}

  eventTypes(): string[] {
    return [...WEBHOOK_EVENT_TYPES];
  }

  endpoints(): Promise<EndpointRow[]> {
    return listEndpoints(this.em);
  }

  /**
   * A new endpoint and its secret, shown once. With an idempotency key, a retry (the same
   * settings: URL, event types as a set, activity) gets the endpoint the key made and its secret
   * in force, and writes nothing; other settings under that key are CONFLICT. A deleted
   * endpoint's key is free again.
   */
  async create(actor: Actor, input: WebhookEndpointInput, idempotencyKey: string | null = null): Promise<{ endpoint: EndpointRow; secret: string }> {
    const valid = this.checked(input);
    const key = checkedKey(idempotencyKey);
    const secret = newSecret();
    return inTransaction(this.em, async (tx) => {
      if (key != null) {
        const made = await endpointByKey(tx, key);
        if (made) {
          if (!sameEndpointSettings(made.endpoint, valid)) throw conflict(`Idempotency key ${key} was used with another payload`, { field: 'idempotencyKey' });
          return made;
        }
      }
      const endpoint = await insertEndpoint(tx, { id: randomUUID(), ...valid, secret, idempotencyKey: key });
      this.audit.record(tx, actor, { action: 'webhook.create', entity: 'WebhookEndpoint', entityId: endpoint.id, after: audited(endpoint) });
      await tx.flush();
      return { endpoint, secret };
    });
  }

  async update(actor: Actor, id: string, input: WebhookEndpointInput): Promise<EndpointRow> {
    const valid = this.checked(input);
    return this.change(id, async (tx, before) => {
      if (sameEndpointSettings(before, valid)) return before; // nothing to change, nothing to audit
      const after = await updateEndpoint(tx, id, valid);
      this.audit.record(tx, actor, { action: 'webhook.update', entity: 'WebhookEndpoint', entityId: id, before: audited(before), after: audited(after) });
      return after;
    });
  }

  /**
   * A new secret, shown once; the old one is still signed with (a second v1 value) for
   * ROTATION_GRACE_HOURS. With an idempotency key, a retry of the endpoint's last rotation gets
   * that rotation's secret and rotates nothing (a second rotation would have moved the secret the
   * receiver still knows out of the grace); another key, or none, rotates again.
   */
  async rotate(actor: Actor, id: string, idempotencyKey: string | null = null): Promise<{ endpoint: EndpointRow; secret: string }> {
    const key = checkedKey(idempotencyKey);
    const secret = newSecret();
    return this.change(id, async (tx, before) => {
      if (key != null) {
        const last = await endpointSecret(tx, id);
        if (last.rotationKey === key) return { endpoint: before, secret: last.secret };
      }
      const endpoint = await rotateSecret(tx, id, secret, ROTATION_GRACE_HOURS, key);
      this.audit.record(tx, actor, {
        action: 'webhook.rotate', entity: 'WebhookEndpoint', entityId: id, before: { secretHint: before.secretHint }, after: { secretHint: endpoint.secretHint },
      });
      return { endpoint, secret };
    });
  }

  /** Active: sent to (a re-activated endpoint gets the deliveries that waited); inactive: no new deliveries, and the waiting ones wait. */
  async setActive(actor: Actor, id: string, active: boolean): Promise<EndpointRow> {
    return this.change(id, async (tx, before) => {
      if (before.active === active) return before; // nothing to change, nothing to audit
      const after = await updateEndpoint(tx, id, { url: before.url, eventTypes: before.eventTypes, active });
      this.audit.record(tx, actor, { action: active ? 'webhook.activate' : 'webhook.deactivate', entity: 'WebhookEndpoint', entityId: id, before: audited(before), after: audited(after) });
      return after;
    });
  }

  /** Removes the endpoint and its delivery log; false when there was no such endpoint (deleted before: nothing to do). */
  async delete(actor: Actor, id: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    return inTransaction(this.em, async (tx) => {
      const before = await lockEndpoint(tx, id);
      if (!before) return false;
      await deleteEndpoint(tx, id);
      this.audit.record(tx, actor, { action: 'webhook.delete', entity: 'WebhookEndpoint', entityId: id, before: audited(before) });
      await tx.flush();
      return true;
    });
  }

  /** A webhook.ping event to this endpoint only, whatever it subscribes to; its delivery. */
  async ping(actor: Actor, id: string): Promise<DeliveryRow> {
    return this.change(id, async (tx, endpoint) => {
      this.mustBeActive(endpoint);
      const eventId = await insertPingEvent(tx, { endpoint: { id } });
      const delivery = await insertDelivery(tx, id, eventId);
      this.audit.record(tx, actor, { action: 'webhook.ping', entity: 'WebhookEndpoint', entityId: id, after: { deliveryId: delivery.id, eventId } });
      return delivery;
    });
  }

  /**
   * Sends a delivery's event to its endpoint again: a new PENDING delivery, due now (the old one
   * keeps its record). Asked again for the same row, the delivery it made (the newest of the event
   * to the endpoint after it) is the answer while that one is PENDING or DELIVERED, however many
   * times the button is pressed: a receiver that answers at once does not turn twenty presses into
   * several sends. After that one went DEAD, a new delivery. A PENDING row is its own answer; to
   * send a delivered event once more, redeliver its newest row.
   */
  async redeliver(actor: Actor, deliveryId: string): Promise<DeliveryRow> {
    const id = bigintArg('deliveryId', deliveryId);
    return inTransaction(this.em, async (tx) => {
      const original = await lockDelivery(tx, id); // concurrent redeliveries of it take turns here
      if (!original) throw notFound('WebhookDelivery', deliveryId);
      const endpoint = await lockEndpoint(tx, original.endpointId);
      if (!endpoint) throw notFound('WebhookDelivery', deliveryId);
      this.mustBeActive(endpoint, 'deliveryId');
      // A press on it again (a double click, twenty at once, a retry whose answer was lost) gets the
      // delivery it made while that one is pending or delivered; after that one went DEAD, a new one.
      const made = original.status === 'PENDING' ? original : await laterDelivery(tx, original.endpointId, original.eventId, original.id);
      if (made && made.status !== 'DEAD') return made;
      const delivery = await insertDelivery(tx, original.endpointId, original.eventId);
      this.audit.record(tx, actor, {
        action: 'webhook.redeliver', entity: 'WebhookEndpoint', entityId: original.endpointId, after: { deliveryId: delivery.id, of: original.id, eventId: original.eventId },
      });
      await tx.flush();
      return delivery;
    });
  }

  /**
   * The delivery log, newest first, keyset-paged on the delivery id. Its first page fans out the
   * events captured and not fanned out yet (docs/decisions.md, "Webhook delivery"): a delivery is
   * in the log as soon as its event's write has committed, not a poll period later.
   */
  async deliveries(filter: { endpointId: string | null; status: WebhookDeliveryStatus | null }, first: number, after: string | null): Promise<Page<DeliveryRow>> {
    const afterId = decodeCursor(DELIVERY_CURSOR, after);
    if (filter.endpointId != null && !isUuid(filter.endpointId)) return { items: [], cursors: [], hasNextPage: false, endCursor: null };
    if (afterId == null) await fanOutQueued(this.em);
    const rows = await deliveriesPage(this.em, filter, afterId, first + 1);
    return pageOf(rows, first, (r) => encodeCursor(DELIVERY_CURSOR, r.id));
  }

  private checked(input: WebhookEndpointInput): { url: string; eventTypes: string[]; active: boolean } {
    const url = input.url.trim();
    const problem = urlProblem(url, this.policy);
    if (problem) throw badInput('url', problem);
    const types = normalizeEventTypes(input.eventTypes);
    if ('problem' in types) throw badInput('eventTypes', types.problem);
    return { url, eventTypes: types.types, active: input.active ?? true };
  }

  /** `field`: the argument the refusal names (the endpoint's `id` for a ping, the `deliveryId` for a redelivery). */
  private mustBeActive(endpoint: EndpointRow, field: 'id' | 'deliveryId' = 'id'): void {
    if (!endpoint.active) throw new AppError(ErrorCode.BAD_USER_INPUT, 'the endpoint is inactive: activate it first (nothing is sent to an inactive endpoint)', { field });
  }

  /** Runs `work` on the locked endpoint `id` in one transaction (audit included); NOT_FOUND when there is none. */
  private change<T>(id: string, work: (tx: EntityManager, endpoint: EndpointRow) => Promise<T>): Promise<T> {
    if (!isUuid(id)) throw notFound('WebhookEndpoint', id);
    return inTransaction(this.em, async (tx) => {
      const endpoint = await lockEndpoint(tx, id);
      if (!endpoint) throw notFound('WebhookEndpoint', id);
      const result = await work(tx, endpoint);
      await tx.flush();
      return result;
    });
  }
}

/** An idempotency key as given (1 to 200 characters), or null when none was. */
function checkedKey(key: string | null): string | null {
  if (key == null) return null;
  if (key.length < 1 || key.length > 200) throw badInput('idempotencyKey', 'idempotencyKey must be 1 to 200 characters');
  if (!key.trim()) throw badInput('idempotencyKey', 'idempotencyKey must not be blank');
  return key;
}
