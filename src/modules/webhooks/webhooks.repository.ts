import type { EntityManager } from '@mikro-orm/postgresql';

/** The channel the delivery workers LISTEN on: webhook_emit (and the capture triggers) NOTIFY it once committed. */
export const WEBHOOK_CHANNEL = 'loyalty_webhooks';

/** Records one event and its deliveries in `tx` (webhook_emit); the event's id, or null when no active endpoint wants the type. */
export async function insertEvent(tx: EntityManager, type: string, memberId: string | null, data: unknown, occurredAt: Date | null): Promise<string | null> {
  const [row] = await tx.execute<{ id: string | null }[]>(
    'select webhook_emit(?, ?::uuid, coalesce(?::timestamptz, now()), ?::jsonb)::text as id',
    [type, memberId, occurredAt?.toISOString() ?? null, JSON.stringify(data)],
  );
  return row.id;
}

/** Turns the per-row event capture off for the rest of `tx` (webhook_row_events()). */
export async function suppressRowEvents(tx: EntityManager): Promise<void> {
  await tx.execute(`set local loyalty.webhook_events = 'off'`);
}
