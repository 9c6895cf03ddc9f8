import type { EntityManager } from '@mikro-orm/postgresql';
import { pgArray, pgTextArray, prepared } from '../../db/entity-manager';
import { withDates } from '../../db/rows';

/** The delivery workers' SQL: claiming due attempts and recording what they came to. */

/** Captured events whose deliveries one fan-out statement writes at most (the workers' and the log's). */
export const FANOUT_BATCH = 1000;

/**
 * Writes the deliveries of up to `limit` captured events (webhook_fanout, oldest first): one
 * PENDING delivery, due now, for each endpoint that was active and wanted the event's type at the
 * event's instant (its `created_at`, in one of the endpoint's webhook_endpoint_period rows: an
 * endpoint deactivated since keeps it PENDING until it is activated again), and the
 * events' queue rows deleted in the same statement. Rows another instance is taking are skipped
 * (FOR UPDATE SKIP LOCKED): each event's deliveries are written once. Returns how many events
 * it took (`limit`: there may be more). A prepared statement.
 */
export async function fanOut(em: EntityManager, limit: number): Promise<{ events: number; deliveries: number }> {
  const [row] = await em.execute<{ events: number; deliveries: number }[]>(prepared(
    `with taken as (
       delete from webhook_fanout f
       where f.id in (select q.id from webhook_fanout q order by q.id limit ? for update skip locked)
       returning f.id, f.event_id
     ),
     written as (
       insert into webhook_delivery (endpoint_id, event_id)
       select w.id, ev.id from taken t join webhook_event ev on ev.id = t.event_id
         join webhook_endpoint_period p on p.during @> ev.created_at and (ev.type = any(p.event_types) or '*' = any(p.event_types))
         join webhook_endpoint w on w.id = p.endpoint_id
       order by t.id, w.id
       returning 1
     )
     select (select count(*) from taken)::int as events, (select count(*) from written)::int as deliveries`),
    [limit],
  );
  return row;
}

/**
 * Fans out what is queued now, up to `batches` statements of FANOUT_BATCH events: what a reader
 * of the delivery log calls first, so that a captured event's deliveries are there as soon as
 * its write has committed, whether or not a worker has come round to it.
 */
export async function fanOutQueued(em: EntityManager, batches = 5): Promise<void> {
  for (let i = 0; i < batches; i++) {
    if ((await fanOut(em, FANOUT_BATCH)).events < FANOUT_BATCH) return;
  }
}

/** When the oldest event still queued for fan-out was written (its transaction's start); null when none is. */
export async function oldestQueuedAt(em: EntityManager): Promise<Date | null> {
  const [row] = await em.execute<{ at: Date | string }[]>(prepared(
    `select e.created_at as at from webhook_fanout f join webhook_event e on e.id = f.event_id order by f.id limit 1`));
  return row ? new Date(row.at) : null;
}

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
  /** Attempts in flight to one endpoint at most (WEBHOOK_CONCURRENCY): one window. */
  perEndpoint: number;
  /** Attempts claimed per endpoint at most, in windows: those past the first wait in this instance's line for a place. */
  windows: number;
  /** Attempts this instance has claimed and not finished, per endpoint (in flight or waiting). */
  inFlight: Map<string, number>;
  /** At most this many in all. */
  limit: number;
  /** An attempt's time limit (WEBHOOK_TIMEOUT_MS). */
  timeoutMs: number;
  /** How long an attempt sent at once is this instance's: after it the attempt is due again (its sender died). */
  leaseMs: number;
}

/** One claimed attempt and how long it is this instance's (from the claim's start). */
export type ClaimedInLine = ClaimedAttempt & { leaseMs: number };

/**
 * Claims due PENDING deliveries of active endpoints, oldest due first, at most `perEndpoint` ×
 * `windows` less what this instance has claimed per endpoint: one short range of the
 * (endpoint, due) index each, so a backlog at one endpoint costs the others nothing. Rows
 * another instance is claiming are skipped (FOR UPDATE SKIP LOCKED), and a claimed row's
 * attempt number goes up and its next attempt moves a lease ahead, in the same statement: no
 * other claim takes it meanwhile, and if this instance dies mid-attempt the row is due again
 * when the lease ends. The lease covers the wait in line: an attempt at place p of its
 * endpoint's line (0 for the first, counting the attempts already claimed) starts once the
 * attempts a window ahead of it have ended, each within its time limit, so it is leased for
 * `floor(p / perEndpoint)` time limits more than one sent at once (`leaseMs`). The attempt
 * number also fences the result: only the claim that made attempt N records attempt N's
 * outcome. Rows come in line order per endpoint. A prepared statement (the worker's own
 * connection keeps its plan).
 */
export async function claimDue(em: EntityManager, req: ClaimRequest): Promise<ClaimedInLine[]> {
  if (req.limit <= 0) return [];
  const ids = [...req.inFlight.keys()];
  const rows = await em.execute<ClaimedInLine[]>(prepared(
    `with busy as (select * from unnest(?::uuid[], ?::int[]) as b(endpoint_id, n)),
     due as (
       select d.id, e.id as endpoint_id, coalesce(busy.n, 0) as n from webhook_endpoint e
       left join busy on busy.endpoint_id = e.id
       cross join lateral (
         select d.id from webhook_delivery d
         where d.endpoint_id = e.id and d.status = 'PENDING' and d.next_attempt_at <= now()
         -- The index's own order (endpoint, due): a range read of a few rows, however long the backlog behind them.
         order by d.next_attempt_at
         limit greatest(0, ?::int * ?::int - coalesce(busy.n, 0))
         for update of d skip locked
       ) d
       where e.active
       limit ?
     ),
     placed as (
       select due.id, due.n + row_number() over (partition by due.endpoint_id order by due.id) - 1 as place from due
     ),
     claimed as (
       update webhook_delivery d set attempts = d.attempts + 1,
         next_attempt_at = now() + make_interval(secs => ((p.place / ?::int) * ?::float8 + ?::float8) / 1000)
       from placed p where d.id = p.id
       returning d.id, d.attempts, d.endpoint_id, d.event_id, d.created_at, p.place, ((p.place / ?::int) * ?::float8 + ?::float8) as lease_ms
     )
     select c.id::text as id, c.attempts, c.endpoint_id as "endpointId", e.url, e.secret, e.previous_secret as "previousSecret",
       e.previous_secret_expires_at as "previousSecretExpiresAt", ev.id as "eventId", ev.type as "eventType", ev.occurred_at as "occurredAt",
       ev.data, greatest(ev.created_at, c.created_at) as since, c.lease_ms as "leaseMs"
     from claimed c join webhook_endpoint e on e.id = c.endpoint_id join webhook_event ev on ev.id = c.event_id
     order by c.endpoint_id, c.place`),
    [
      pgArray(ids), pgArray(ids.map((id) => req.inFlight.get(id)!)), req.perEndpoint, req.windows, req.limit,
      req.perEndpoint, req.timeoutMs, req.leaseMs, req.perEndpoint, req.timeoutMs, req.leaseMs,
    ],
  );
  return rows.map((r) => ({ ...withDates(r, ['previousSecretExpiresAt', 'occurredAt', 'since']), leaseMs: Number(r.leaseMs) }));
}

/** Of these endpoints, those still active at the same URL (what attempts waiting in line were claimed for). */
export async function endpointsStillAt(em: EntityManager, endpoints: readonly { id: string; url: string }[]): Promise<Set<string>> {
  if (!endpoints.length) return new Set();
  const rows = await em.execute<{ id: string }[]>(
    `select e.id::text as id from webhook_endpoint e join unnest(?::uuid[], ?::text[]) as w(id, url) on w.id = e.id and w.url = e.url where e.active`,
    [pgArray(endpoints.map((e) => e.id)), pgArray(endpoints.map((e) => e.url))],
  );
  return new Set(rows.map((r) => r.id));
}

/**
 * Gives back claimed attempts this instance will not make (it stops, or their endpoint
 * answered 410 while they waited in line): due now again, their attempt number as before, each
 * under its fence (still PENDING at the number its claim gave it).
 */
export async function releaseClaims(em: EntityManager, claims: readonly { id: string; attempts: number }[]): Promise<void> {
  if (!claims.length) return;
  await em.execute(
    `update webhook_delivery d set attempts = d.attempts - 1, next_attempt_at = now()
     from unnest(?::bigint[], ?::int[]) as c(id, attempt) where d.id = c.id and d.attempts = c.attempt and d.status = 'PENDING'`,
    [pgArray(claims.map((c) => c.id)), pgArray(claims.map((c) => c.attempts))],
  );
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
  return em.execute(prepared(
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
     select d.id::text as id, d.kind from d left join (select count(*) from gone) g on true`),
    [
      pgArray(records.map((r) => r.id)), pgArray(records.map((r) => r.attempts)), pgArray(records.map((r) => r.kind)),
      pgArray(records.map((r) => nullable(r.status))), pgTextArray(records.map((r) => r.error ?? '')), pgArray(records.map((r) => nullable(r.delayMs))),
    ],
  );
}
