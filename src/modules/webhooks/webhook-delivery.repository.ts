import type { EntityManager } from '@mikro-orm/postgresql';
import { pgArray, pgTextArray } from '../../db/entity-manager';
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
         -- The index's own order (endpoint, due): a range read of a few rows, however long the backlog behind them.
         order by d.next_attempt_at
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

/** What one attempt came to, to be recorded: DELIVERED, a retry after `delayMs`, DEAD, or GONE (410). */
export interface AttemptRecord {
  id: string;
  attempts: number;
  kind: 'DELIVERED' | 'RETRY' | 'DEAD' | 'GONE';
  status: number | null;
  error: string | null;
  delayMs: number | null;
}

/**
 * Records many attempts' outcomes in one statement, each under its fence (this delivery, still
 * PENDING, still at this attempt number: an attempt whose lease ran out and was taken again
 * records nothing). DELIVERED sets delivered_at; a retry moves the next attempt `delayMs`
 * ahead; DEAD has no next attempt; GONE (410) leaves the delivery due and deactivates its
 * endpoint (an inactive endpoint's deliveries wait until it is activated again). Returns the
 * ids recorded, with their kind.
 */
export async function recordAttempts(em: EntityManager, records: readonly AttemptRecord[]): Promise<{ id: string; kind: AttemptRecord['kind'] }[]> {
  if (!records.length) return [];
  const nullable = (v: number | null) => (v == null ? 'NULL' : v);
  return em.execute(
    `with o as (
       select * from unnest(?::bigint[], ?::int[], ?::text[], ?::int[], ?::text[], ?::float8[]) as o(id, attempt, kind, status, error, delay_ms)
     ),
     d as (
       update webhook_delivery d set
         status = case o.kind when 'DELIVERED' then 'DELIVERED' when 'DEAD' then 'DEAD' else 'PENDING' end,
         delivered_at = case when o.kind = 'DELIVERED' then now() end,
         last_status_code = o.status,
         last_error = case when o.kind = 'DELIVERED' then null else nullif(o.error, '') end,
         next_attempt_at = case o.kind when 'RETRY' then now() + make_interval(secs => o.delay_ms / 1000) when 'GONE' then now() end
       from o where d.id = o.id and d.attempts = o.attempt and d.status = 'PENDING'
       returning d.id, d.endpoint_id, o.kind
     ),
     gone as (
       update webhook_endpoint e set active = false, updated_at = now()
       where e.active and e.id in (select endpoint_id from d where kind = 'GONE') returning e.id
     )
     select d.id::text as id, d.kind from d left join (select count(*) from gone) g on true`,
    [
      pgArray(records.map((r) => r.id)), pgArray(records.map((r) => r.attempts)), pgArray(records.map((r) => r.kind)),
      pgArray(records.map((r) => nullable(r.status))), pgTextArray(records.map((r) => r.error ?? '')), pgArray(records.map((r) => nullable(r.delayMs))),
    ],
  );
}
