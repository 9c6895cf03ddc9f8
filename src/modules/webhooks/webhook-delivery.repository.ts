import type { EntityManager } from '@mikro-orm/postgresql';
import { pgArray } from '../../db/entity-manager';
import { withDates } from '../../db/rows';

/** The delivery workers' SQL: claiming due attempts and recording what they came to. */

/** One claimed attempt, with what it needs to be sent. `attempts` is this attempt's number. */
export interface ClaimedAttempt {
  id: string;
  attempts: number;
  endpointId: string;
  url: string;
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresAt: Date | null;
  eventId: string;
  eventType: string;
  occurredAt: Date;
  data: unknown;
  /** When the event was written (its transaction's start: close to its commit), or the delivery for a redelivery. */
  since: Date;
}

export interface ClaimRequest {
  /** Attempts in flight to one endpoint at most. */
  perEndpoint: number;
  /** Attempts this instance has in flight now, per endpoint. */
  inFlight: Map<string, number>;
  /** At most this many in all. */
  limit: number;
  /** How long a claimed attempt is this instance's: after it the attempt is due again (its sender died). */
  leaseMs: number;
}

/**
 * Claims due PENDING deliveries of active endpoints, oldest due first, at most `perEndpoint`
 * less what is in flight per endpoint: one short range of the (endpoint, due) index each, so a
 * backlog at one endpoint costs the others nothing. Rows another instance is claiming are
 * skipped (FOR UPDATE SKIP LOCKED), and a claimed row's attempt number goes up and its next
 * attempt moves a lease ahead, in the same statement: no other claim takes it meanwhile, and if
 * this instance dies mid-attempt the row is due again when the lease ends. The attempt number
 * also fences the result: only the claim that made attempt N records attempt N's outcome.
 */
export async function claimDue(em: EntityManager, req: ClaimRequest): Promise<ClaimedAttempt[]> {
  if (req.limit <= 0) return [];
  const ids = [...req.inFlight.keys()];
  const rows = await em.execute<ClaimedAttempt[]>(
    `with busy as (select * from unnest(?::uuid[], ?::int[]) as b(endpoint_id, n)),
     due as (
       select d.id from webhook_endpoint e
       left join busy on busy.endpoint_id = e.id
       cross join lateral (
         select d.id from webhook_delivery d
         where d.endpoint_id = e.id and d.status = 'PENDING' and d.next_attempt_at <= now()
         order by d.next_attempt_at, d.id
         limit greatest(0, ?::int - coalesce(busy.n, 0))
         for update of d skip locked
       ) d
       where e.active
       limit ?
     ),
     claimed as (
       update webhook_delivery d set attempts = d.attempts + 1, next_attempt_at = now() + make_interval(secs => ?::float8 / 1000)
       from due where d.id = due.id
       returning d.id, d.attempts, d.endpoint_id, d.event_id, d.created_at
     )
     select c.id::text as id, c.attempts, c.endpoint_id as "endpointId", e.url, e.secret, e.previous_secret as "previousSecret",
       e.previous_secret_expires_at as "previousSecretExpiresAt", ev.id as "eventId", ev.type as "eventType", ev.occurred_at as "occurredAt",
       ev.data, greatest(ev.created_at, c.created_at) as since
     from claimed c join webhook_endpoint e on e.id = c.endpoint_id join webhook_event ev on ev.id = c.event_id
     order by c.id`,
    [pgArray(ids), pgArray(ids.map((id) => req.inFlight.get(id)!)), req.perEndpoint, req.limit, req.leaseMs],
  );
  return rows.map((r) => withDates(r, ['previousSecretExpiresAt', 'occurredAt', 'since']));
}

/** The fence every outcome is written under: this delivery, still PENDING, still at this attempt. */
const FENCE = `d.id = ?::bigint and d.attempts = ? and d.status = 'PENDING'`;

/** A 2xx: DELIVERED. False when another attempt has taken the row meanwhile (nothing written). */
export async function recordDelivered(em: EntityManager, a: { id: string; attempts: number }, status: number): Promise<boolean> {
  const rows = await em.execute(
    `update webhook_delivery d set status = 'DELIVERED', delivered_at = now(), last_status_code = ?, last_error = null, next_attempt_at = null
     where ${FENCE} returning d.id`, [status, a.id, a.attempts]);
  return rows.length > 0;
}

/** A failed attempt: due again in `delayMs`, or DEAD (no next attempt) with `delayMs` null. */
export async function recordFailed(em: EntityManager, a: { id: string; attempts: number }, status: number | null, error: string, delayMs: number | null): Promise<boolean> {
  const rows = await em.execute(
    `update webhook_delivery d set last_status_code = ?::int, last_error = ?,
       status = case when ?::float8 is null then 'DEAD' else 'PENDING' end,
       next_attempt_at = now() + make_interval(secs => ?::float8 / 1000)
     where ${FENCE} returning d.id`, [status, error, delayMs, delayMs, a.id, a.attempts]);
  return rows.length > 0;
}

/**
 * A 410 Gone: the endpoint is deactivated, and this delivery waits with the others (PENDING,
 * due, not claimed while the endpoint is inactive) until an admin activates it again.
 */
export async function recordGone(em: EntityManager, a: { id: string; attempts: number; endpointId: string }, error: string): Promise<boolean> {
  const rows = await em.execute(
    `with d as (update webhook_delivery d set last_status_code = 410, last_error = ?, next_attempt_at = now() where ${FENCE} returning d.id),
       e as (update webhook_endpoint set active = false, updated_at = now() where id = ?::uuid and active and exists (select 1 from d) returning id)
     select (select count(*) from d)::int as n, (select count(*) from e)::int as disabled`, [error, a.id, a.attempts, a.endpointId]);
  return (rows as { n: number }[])[0].n > 0;
}
