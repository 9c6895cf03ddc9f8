import type { EntityManager } from '@mikro-orm/postgresql';
import { notifyAfterCommit, notifyCommitted, notifyFromConnectionAfterCommit } from '../db/notify';
import { pgTextArray } from '../db/entity-manager';

/**
 * The outbox: how a module publishes. A write records its events' outbox row in its own
 * transaction (a rolled-back change is never published); once it has committed, a NOTIFY on
 * OUTBOX_CHANNEL names the row's id to every instance's dispatcher (outbox-dispatcher.ts), which
 * loads the events through the topic's registered type (registry.ts) and publishes them.
 */
export const OUTBOX_CHANNEL = 'loyalty_outbox';

/** A row's payload: one event id, or several (a review batch's, as JSON numbers); a topic may carry the events themselves too. */
export interface OutboxPayload { id?: string; ids?: (string | number)[]; [carried: string]: unknown }
export interface OutboxRow { id: string; topic: string; payload: OutboxPayload; createdAt: string }

/**
 * The SQL of one outbox row of `topic` written from a select (for a write that records its
 * events and their outbox row in one statement): `memberId` and `payload` are expressions over
 * `from`, `having` an optional condition on its groups. Returns the row's id (text).
 */
export function outboxInsertSql(topic: string, row: { memberId: string; payload: string; from: string; having?: string }): string {
  return `insert into outbox (topic, member_id, payload, created_at)
  select '${topic}', ${row.memberId}, ${row.payload}, now()
  from ${row.from}${row.having ? ` having ${row.having}` : ''}
  returning id::text`;
}

/**
 * Writes the outbox row for these events (one row per transaction, whatever their number) in
 * the writing transaction and NOTIFYs its id once committed. The row lists the events' ids.
 */
export async function publishEvents(tx: EntityManager, topic: string, events: { memberId: string; id: string }[]): Promise<void> {
  if (!events.length) return;
  const [row] = await tx.execute<{ id: string }[]>(
    'insert into outbox (topic, member_id, payload, created_at) values (?, ?::uuid, ?::jsonb, now()) returning id::text',
    [topic, events.length === 1 ? events[0].memberId : null, JSON.stringify({ ids: events.map((e) => e.id) })],
  );
  notifyOutbox(tx, row.id);
}

/** An outbox row's id to every instance's dispatcher once committed (coalesced with others': notifyAfterCommit). */
export function notifyOutbox(tx: EntityManager, outboxId: string): void {
  notifyAfterCommit(tx, OUTBOX_CHANNEL, outboxId);
}

/** An outbox row's id, written by a statement that has committed on its own (no transaction around it). */
export function notifyOutboxCommitted(em: EntityManager, outboxId: string): void {
  notifyCommitted(em, OUTBOX_CHANNEL, outboxId);
}
/** The same, from the transaction's own connection (a paced job's batch: notifyFromConnectionAfterCommit). */
export function notifyOutboxFromConnection(tx: EntityManager, outboxId: string): void {
  notifyFromConnectionAfterCommit(tx, OUTBOX_CHANNEL, outboxId);
}

/** The event ids these outbox rows list. */
export function eventIdsOf(rows: OutboxRow[]): string[] {
  return rows.flatMap((r) => r.payload.ids?.map(String) ?? (r.payload.id ? [r.payload.id] : []));
}

/**
 * An erasure (data-rights.service.ts), in its transaction: the member's outbox rows (a tier
 * change carries its reason, which an override may have written with a name or an e-mail in it)
 * with every personal value scrubbed (jsonb_scrub). Rows of several members carry ids only.
 */
export async function scrubOutboxPayloads(tx: EntityManager, memberId: string, values: readonly string[]): Promise<void> {
  await tx.execute(
    `update outbox set payload = jsonb_scrub(payload, ?::text[]) where member_id = ? and payload is distinct from jsonb_scrub(payload, ?::text[])`,
    [pgTextArray(values), memberId, pgTextArray(values)],
  );
}
