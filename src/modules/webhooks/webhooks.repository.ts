import type { EntityManager } from '@mikro-orm/postgresql';
import { pgTextArray } from '../../db/entity-manager';

/** The channel the delivery workers LISTEN on: webhook_emit NOTIFYs it once committed (the capture triggers do not: their events wait for the workers' poll). */
export const WEBHOOK_CHANNEL = 'loyalty_webhooks';

/** Records one event and its deliveries in `tx` (webhook_emit); the event's id, or null when no active endpoint wants the type. */
export async function insertEvent(tx: EntityManager, type: string, memberId: string | null, data: unknown, occurredAt: Date | null): Promise<string | null> {
  const [row] = await tx.execute<{ id: string | null }[]>(
    'select webhook_emit(?, ?::uuid, coalesce(?::timestamptz, now()), ?::jsonb)::text as id',
    [type, memberId, occurredAt?.toISOString() ?? null, JSON.stringify(data)],
  );
  return row.id;
}

/**
 * A ledger row's own event, as the row capture would write it: `data` with the member as
 * {id, externalId} read here; nothing when the row capture is off for `tx` (a bulk writer's
 * own event stands for its rows) or no endpoint wants the type.
 */
export async function insertRowEvent(tx: EntityManager, type: string, memberId: string, data: Record<string, unknown>, occurredAt: Date): Promise<void> {
  await tx.execute(
    `select webhook_emit(?, m.id, ?::timestamptz, jsonb_build_object('member', jsonb_build_object('id', m.id, 'externalId', m.external_id)) || ?::jsonb)
     from member m where m.id = ?::uuid and webhook_row_events()`,
    [type, occurredAt.toISOString(), JSON.stringify(data), memberId],
  );
}

/**
 * Turns the per-row event capture off for the rest of `tx` (webhook_row_events()). The rows
 * written before it keep their events: the one deferred capture (the campaign points' constraint
 * trigger, which runs at the commit, when the capture would already be off) runs for them now
 * (SET CONSTRAINTS … IMMEDIATE fires what is pending), then is deferred again for the rest.
 */
export async function suppressRowEvents(tx: EntityManager): Promise<void> {
  // One round trip: three statements without parameters go as one simple query, in order.
  await tx.execute(
    `set constraints point_transaction_webhook_campaign immediate;
     set constraints point_transaction_webhook_campaign deferred;
     set local loyalty.webhook_events = 'off'`,
  );
}

/** What an erased member's delivery keeps of a receiver's answer body (scrubMemberEvents). */
export const DELIVERY_ERROR_ERASED = '[erased]';

/**
 * Personal data scrubbed from the member's stored events (an erasure): `data.member.externalId`
 * set to null, and every string equal to one of `values` (its former externalIds, name, email,
 * phone, birthday) set to null wherever it is in `data` (jsonb_scrub); so are the referral events
 * that name it as the referee (its referrer's events). Deliveries still to be
 * sent then carry the scrubbed data. The deliveries of those events lose what a receiver
 * answered (`last_error` keeps `HTTP <status>`, its body becomes DELIVERY_ERROR_ERASED; an error
 * of another shape goes through text_scrub): a receiver's error body may echo the payload, in
 * any encoding. Returns how many events changed.
 */
export async function scrubMemberEvents(tx: EntityManager, memberId: string, values: readonly string[]): Promise<number> {
  const rows = await tx.execute<{ n: number }[]>(
    `with scrubbed as (
       select e.id, jsonb_scrub(case when jsonb_typeof(e.data -> 'member') = 'object' and jsonb_exists(e.data -> 'member', 'externalId')
         then jsonb_set(e.data, '{member,externalId}', 'null'::jsonb) else e.data end, ?::text[]) as data
       from (
         select e.id, e.data from webhook_event e where e.member_id = ?
         union all
         -- a referral's events are its referrer's and carry the referee too (cross-module read: referral)
         select e.id, e.data from webhook_event e
         where e.member_id = (select r.referrer_id from referral r where r.referee_id = ?::uuid)
           and e.type in ('referral.completed', 'referral.reversed') and e.data -> 'referee' ->> 'id' = ?::text
       ) e
     ), changed as (
       update webhook_event e set data = s.data from scrubbed s where e.id = s.id and e.data is distinct from s.data returning 1
     ), answers as (
       update webhook_delivery d set last_error = case when d.last_error ~ '^HTTP [0-9]{3}:' then substring(d.last_error from '^HTTP [0-9]{3}') || ': ' || ?::text
         else text_scrub(d.last_error, ?::text[]) end
       from scrubbed s where d.event_id = s.id and d.last_error is not null
     )
     select count(*)::int as n from changed`,
    [pgTextArray(values), memberId, memberId, memberId, DELIVERY_ERROR_ERASED, pgTextArray(values)],
  );
  return rows[0].n;
}
