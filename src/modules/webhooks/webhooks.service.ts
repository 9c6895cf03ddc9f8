import type { EntityManager } from '@mikro-orm/postgresql';
import type { WebhookEventType } from './webhook-events.rules';
import * as repo from './webhooks.repository';

export { WEBHOOK_EVENT_TYPES, ALL_WEBHOOK_EVENTS, isWebhookEventType, type WebhookEventType } from './webhook-events.rules';
export { WEBHOOK_CHANNEL } from './webhooks.repository';

/**
 * Records a webhook event in the writing transaction `tx`, so that it is sent only if the
 * change commits and is never lost once it has: one PENDING delivery to each active endpoint
 * that wants `type` (none, and nothing written, when no endpoint does). `data` carries ids,
 * codes and amounts, never a personal field. `occurredAt` defaults to the transaction's now().
 * Returns the event's id, or null when nothing was written.
 */
export function emitWebhookEvent(
  tx: EntityManager, type: WebhookEventType, memberId: string | null, data: Record<string, unknown>, occurredAt: Date | null = null,
): Promise<string | null> {
  return repo.insertEvent(tx, type, memberId, data, occurredAt);
}

/** A ledger row's event written by its service rather than by the row capture (webhooks.repository insertRowEvent). */
export function emitRowEvent(tx: EntityManager, type: WebhookEventType, memberId: string, data: Record<string, unknown>, occurredAt: Date): Promise<void> {
  return repo.insertRowEvent(tx, type, memberId, data, occurredAt);
}

/**
 * For a bulk writer that reports itself with one event of its own (an import, an erasure):
 * the per-row event capture writes nothing for the rest of `tx`; what `tx` wrote before keeps
 * its events. Call it inside the transaction.
 */
export function suppressRowEvents(tx: EntityManager): Promise<void> {
  return repo.suppressRowEvents(tx);
}

/**
 * For an erasure (data-rights.service.ts), in its transaction: the member's stored events lose
 * its externalId (`data.member.externalId` null) and any string equal to one of `values`.
 * Returns how many events changed. The erasure's own `member.erased` event, emitted after this,
 * is the one place the former externalId is kept.
 */
export function scrubMemberEvents(tx: EntityManager, memberId: string, values: readonly string[]): Promise<number> {
  return repo.scrubMemberEvents(tx, memberId, values);
}
