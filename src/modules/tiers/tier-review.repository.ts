import type { EntityManager } from '@mikro-orm/postgresql';
import { pgArray } from '../../db/entity-manager';
import { minusMonths, plusMonths } from '../../db/months';
import { outboxInsertSql } from '../../events/outbox';
import type { TierSettings } from './tiers.repository';

/**
 * The SQL of the tiers module's set-based jobs (the review, the at-risk notices, the window
 * counters), each over every member at once.
 *
 * Cross-module reads, kept inside the statements on purpose: the review decides on Q at each
 * member's expiry from the member's window counters or else from the points module's ledger
 * (`qualifying_entry`), in the statement that writes the decision; reading the ledger through
 * the points service, member by member, would make it a query per member (docs/benchmarks.md,
 * "tiers": the review is measured against a bare GROUP BY over the same ledger). The same holds
 * for the notices' Q and for recountWindows. `program.tier_reviewed_through` (the program
 * module's row) is the review's own mark. The writes to `member` are to the tier columns it
 * holds for this module (tier_id, tier_since, tier_expires_at, the window counters: the member
 * row is where a review of a million members rewrites in place, member.entity.ts).
 */

/** What a review batch's statement did (reviewBatchSql). */
export interface ReviewBatchRow {
  reviewed: number;
  downgraded: number;
  stillDue: number;
  /** The batch's outbox row (null without one, or when it changed no one). */
  outboxId: string | null;
  /** Due members the statement read (at most the batch's limit). */
  selected: number;
  /** The row position (tid) of the last member it read. */
  last: string | null;
}

/** A batch: from `from` to the end of its range (pages `first` up to `end`), at most `limit` due members. */
export interface ReviewBatch { first: string; end: string; from: string; limit: number }

/** Memory for a review batch's statement (see reviewBatch). */
const REVIEW_WORK_MEM = '64MB';

/**
 * From now on every member's history is recorded through asOf: a write that brings a member up
 * to date (prepare) reviews it that far, as a review run does for everyone. A run as of a future
 * date counts up to now: it reviews the members it finds into the future, but facts that
 * arrive later are not taken as reviewed beyond the instant the run was made. Writes
 * `program.tier_reviewed_through` (the program module's table; the column is the review's own,
 * and a write of it does not move config_version: migration purchase_path).
 */
export async function markReviewedThrough(em: EntityManager, asOf: Date): Promise<void> {
  await em.execute(
    `update program set tier_reviewed_through = least(?::timestamptz, now()) where id = 1
       and tier_reviewed_through is distinct from greatest(tier_reviewed_through, least(?::timestamptz, now()))`,
    [asOf, asOf],
  );
}

/** The member table's size in pages, and the planner's count of its rows and pages (zero before any). */
export async function memberHeap(em: EntityManager): Promise<{ pages: number; tuples: number; relpages: number }> {
  const [h] = await em.execute<{ pages: number; tuples: number; relpages: number }[]>(
    `select (pg_relation_size('member') / current_setting('block_size')::int)::int as pages, c.reltuples::float8 as tuples, c.relpages as relpages
     from pg_class c where c.oid = 'member'::regclass`,
  );
  return h;
}

/**
 * One review batch, as one statement in `tx`: the next due members of the range in row order
 * (at most `limit`), decided on what this statement's snapshot shows of them, updated where
 * their row is still the version it read, recorded; with `outboxTopic`, one outbox row for the
 * batch's changes. A member a points write holds is waited for (the update's row lock); a member
 * a write changed since the snapshot (its qualifying points, its tier) is left as it was, still
 * due: the next pass decides on what the write left.
 */
export async function reviewBatch(tx: EntityManager, s: TierSettings, b: ReviewBatch, asOf: Date, outboxTopic: string | null): Promise<ReviewBatchRow> {
  // The batch's statement holds its members' rows in memory a few times over (decisions, the
  // changes it wrote): ~10 MB at 20,000 members, over the default work_mem, which spilled them
  // to temporary files.
  await tx.execute(`set local work_mem = '${REVIEW_WORK_MEM}'`);
  const [r] = await tx.execute<ReviewBatchRow[]>(reviewBatchSql(s, outboxTopic), [b.from, b.end, asOf, b.limit, asOf]);
  return r;
}

/**
 * The review batch's statement: decide, update members, write tier_change rows.
 * Renewal keeps tierSince; a downgrade starts at E; the entry tier never expires.
 *
 * Q at E comes from the member's window counters (kept by every qualifying write: addQualifying)
 * when they were counted with the program's window, else from the ledger. The counters for the
 * new expiry E' = E + validity: when the new window (E' − window, E'] is exactly the time after
 * E (validity = window, no month-end clamping) and no qualifying points are dated after E',
 * they are the points dated after E, carried over; else counted from the ledger. The batch's
 * outbox row lists its change ids as JSON numbers (as strings, building it cost ~4% of the
 * statement).
 *
 * The rules it implements are tiers.rules.ts's reviewDecision, period by period as in
 * tierTimeline: test/e2e/tier-review-differential.test.ts compares the two.
 */
export function reviewBatchSql(s: TierSettings, outboxTopic: string | null): string {
  const w = String(s.windowMonths);
  // (E + validity − window, E + validity] = (E, E + validity] when validity = window and E's day
  // of the month is in every month (no clamping at a month's end; later days go to the ledger).
  const carries = s.validityMonths === s.windowMonths ? `extract(day from d.e at time zone 'UTC') <= 28` : 'false';
  const newRank = s.policy === 'DROP_ONE'
    ? 'case when d.q >= d.retain_points then d.rank else d.rank - 1 end'
    : `case when d.q >= d.retain_points then d.rank
        else coalesce((select max(t2.rank) from tier t2 where t2.retain_points <= d.q and t2.rank <= d.rank), 0) end`;
  // Points dated in (after, upTo] that count by upTo (a refund's reversal counts from its own instant).
  const ledger = (member: string, after: string, upTo: string | null) => `coalesce((select sum(q.points) from qualifying_entry q
    where q.member_id = ${member} and q.occurred_at > ${after}${upTo ? ` and q.occurred_at <= ${upTo} and coalesce(q.counts_from, q.occurred_at) <= ${upTo}` : ''}), 0)`;
  return `
with due as materialized ( -- the range's next due members in row order: a scan of its pages, not a probe per member
  select m.ctid as row, m.xmin as version, m.id as member_id, m.tier_id, t.rank, t.retain_points, m.tier_expires_at as e,
    m.window_points, m.points_after_expiry, m.window_points_months, m.last_qualifying_at
  from member m join tier t on t.id = m.tier_id
  where m.ctid >= ?::tid and m.ctid < ?::tid and m.tier_expires_at <= ?::timestamptz and t.rank > 0
  order by m.ctid limit ?
), d as materialized ( -- once per member: inlined, Q was worked out again for every candidate tier
  select due.*, greatest(case when due.window_points_months = ${w} then due.window_points
      else ${ledger('due.member_id', minusMonths('due.e', w), 'due.e')} end, 0)::int as q,
    ${plusMonths('due.e', String(s.validityMonths))} as next_e
  from due
), decided as (
  select d.*, nt.id as new_tier_id, nt.rank as new_rank,
    case when nt.rank = d.rank then 'RENEWAL' else 'DOWNGRADE' end as kind,
    d.window_points_months = ${w} and ${carries} and (d.last_qualifying_at is null or d.last_qualifying_at <= d.next_e) as carried
  from d join tier nt on nt.rank = ${newRank}
), upd as (
  update member m set tier_id = x.new_tier_id,
    tier_since = case when x.kind = 'RENEWAL' then m.tier_since else x.e end,
    tier_expires_at = case when x.new_rank = 0 then null else x.next_e end,
    window_points = case when x.new_rank = 0 then 0 when x.carried then x.points_after_expiry
      else ${ledger('x.member_id', minusMonths('x.next_e', w), 'x.next_e')} end,
    points_after_expiry = case when x.new_rank = 0 or x.carried then 0 else ${ledger('x.member_id', 'x.next_e', null)} end,
    window_points_months = case when x.new_rank = 0 then null else ${w} end,
    updated_at = now()
  -- The row as the statement read it, or none: a row a concurrent write changed meanwhile has
  -- another version (xmin) and stays due. (PostgreSQL 15 and 17 also recheck the TID after
  -- waiting for the write; the xmin condition does not depend on how the plan finds the row.)
  from decided x where m.ctid = x.row and m.xmin = x.version
  returning x.member_id, x.kind, x.tier_id, x.new_tier_id, x.new_rank, x.q, x.e, x.next_e
), ins as (
  insert into tier_change (member_id, kind, from_tier_id, to_tier_id, reason, qualifying_points, occurred_at, expires_at, created_at)
  select member_id, kind, tier_id, new_tier_id,
    case when kind = 'RENEWAL' then 'retained at review' else 'review: below retain points' end,
    q, e, case when new_rank = 0 then null else next_e end, now()
  from upd
  order by member_id -- the index on (member_id, occurred_at) then grows in order, not at random places
  returning id, member_id, kind, expires_at
)${outboxTopic ? `, o as ( -- one outbox row for the batch's changes, whatever their number
  ${outboxInsertSql(outboxTopic, {
    memberId: 'case when count(*) = 1 then min(member_id::text)::uuid end', payload: `jsonb_build_object('ids', to_jsonb(array_agg(id)))`,
    from: 'ins', having: 'count(*) > 0',
  })}
)` : ''}
select count(*)::int as reviewed, (count(*) filter (where kind = 'DOWNGRADE'))::int as downgraded,
  (count(*) filter (where expires_at <= ?::timestamptz))::int as "stillDue", ${outboxTopic ? '(select id from o)' : 'null'} as "outboxId",
  (select count(*)::int from due) as selected, (select max(row)::text from due) as last
from ins`;
}

/** Folds the per-statement rows behind Tier.memberCount into one row per tier. */
export async function compactMemberCounts(em: EntityManager): Promise<void> {
  await em.execute(`with folded as (delete from tier_member_delta returning tier_id, delta)
    insert into tier_member_delta (tier_id, delta) select tier_id, sum(delta) from folded group by tier_id`);
}

/**
 * Counts every member's window counters from the ledger, set-based, with qualifying writes
 * held off meanwhile (a share lock on the points module's qualifying_entry until `tx` ends;
 * rows already right are left as they are).
 */
export async function recountWindowCounters(tx: EntityManager, windowMonths: number): Promise<void> {
  await tx.execute('lock table qualifying_entry in share mode');
  await tx.execute(
    `update member m set window_points = c.w, points_after_expiry = c.a, last_qualifying_at = c.last,
       window_points_months = case when m.tier_expires_at is null then null else ${windowMonths} end
     from (
       select m2.id,
         coalesce(sum(q.points) filter (where q.occurred_at > ${minusMonths('m2.tier_expires_at', String(windowMonths))} and q.occurred_at <= m2.tier_expires_at
           and coalesce(q.counts_from, q.occurred_at) <= m2.tier_expires_at), 0)::int as w,
         coalesce(sum(q.points) filter (where q.occurred_at > m2.tier_expires_at), 0)::int as a, max(coalesce(q.counts_from, q.occurred_at)) as last
       from member m2 left join qualifying_entry q on q.member_id = m2.id group by m2.id
     ) c
     where c.id = m.id and (m.window_points, m.points_after_expiry, m.last_qualifying_at, m.window_points_months)
       is distinct from (c.w, c.a, c.last, case when m.tier_expires_at is null then null else ${windowMonths} end)`,
  );
}

/**
 * The upgrade check at `asOf` for each of `memberIds` (after a bulk import of their history):
 * Q = their qualifying points in (asOf − window, asOf] that count by then; the highest tier with
 * qualifyingPoints ≤ Q above the one held (tiers.rules.ts evaluateUpgrade), held from asOf for
 * a validity period, with its UPGRADE change. The caller holds the members' rows.
 */
export async function upgradeFromWindows(tx: EntityManager, memberIds: string[], asOf: Date, s: TierSettings): Promise<number> {
  const [r] = await tx.execute<{ n: number }[]>(
    `with q as (
       select m.id, m.tier_id, t.rank, greatest(0, coalesce((select sum(e.points) from qualifying_entry e where e.member_id = m.id
         and e.occurred_at > ${minusMonths('?::timestamptz', String(s.windowMonths))} and e.occurred_at <= ?::timestamptz
         and coalesce(e.counts_from, e.occurred_at) <= ?::timestamptz), 0))::int as q
       from member m join tier t on t.id = m.tier_id where m.id = any(?::uuid[])
     ), target as (
       select q.*, (select t2.id from tier t2 where t2.qualifying_points <= q.q and t2.rank > q.rank order by t2.rank desc limit 1) as to_id from q
     ), upd as (
       update member m set tier_id = x.to_id, tier_since = ?::timestamptz, tier_expires_at = ${plusMonths('?::timestamptz', String(s.validityMonths))}, updated_at = now()
       from target x where m.id = x.id and x.to_id is not null
       returning m.id, x.tier_id as from_id, x.to_id, x.q, m.tier_expires_at
     ), ins as (
       insert into tier_change (member_id, kind, from_tier_id, to_tier_id, reason, qualifying_points, occurred_at, expires_at, created_at)
       select id, 'UPGRADE', from_id, to_id, 'qualifying points reached', q, ?::timestamptz, tier_expires_at, now() from upd order by id returning 1
     )
     select count(*)::int as n from ins`,
    [asOf, asOf, asOf, pgArray(memberIds), asOf, asOf, asOf],
  );
  return r.n;
}

/** recountWindowCounters for some members only (their rows held by the caller). */
export async function recountWindowCountersOf(tx: EntityManager, memberIds: string[], windowMonths: number): Promise<void> {
  await tx.execute(
    `update member m set window_points = c.w, points_after_expiry = c.a, last_qualifying_at = c.last,
       window_points_months = case when m.tier_expires_at is null then null else ${windowMonths} end
     from (
       -- each member's entries through the (member_id, occurred_at) index, not a pass over the whole ledger per batch
       select m2.id, l.w, l.a, l.last from member m2 cross join lateral (
         select coalesce(sum(q.points) filter (where q.occurred_at > ${minusMonths('m2.tier_expires_at', String(windowMonths))} and q.occurred_at <= m2.tier_expires_at
             and coalesce(q.counts_from, q.occurred_at) <= m2.tier_expires_at), 0)::int as w,
           coalesce(sum(q.points) filter (where q.occurred_at > m2.tier_expires_at), 0)::int as a, max(coalesce(q.counts_from, q.occurred_at)) as last
         from qualifying_entry q where q.member_id = m2.id) l
       where m2.id = any(?::uuid[])
     ) c
     where c.id = m.id and (m.window_points, m.points_after_expiry, m.last_qualifying_at, m.window_points_months)
       is distinct from (c.w, c.a, c.last, case when m.tier_expires_at is null then null else ${windowMonths} end)`,
    [pgArray(memberIds)],
  );
}

/** A notices run: the members it looked at, and the notices it wrote. */
export interface NoticesRun { processed: number; notices: { id: string; memberId: string }[] }

/**
 * Writes an at-risk notice for every member whose tier expires in (asOf, until] and whose Q by
 * asOf in the window ending at that expiry is short of the tier's retainPoints (once per
 * member, tier and expiry: a notice already written stays the only one for them; a backdated
 * purchase that made the same upgrade reach a higher tier, with the same expiry, gets its own).
 *
 * The tier and its expiry are those held at asOf: the last standing tier change dated at or
 * before asOf (the member row is the end of that history, which a renewal, a downgrade or a
 * later-dated upgrade recorded since asOf has moved on). Only members who may hold a tier with
 * an expiry after asOf are looked up: moved since asOf (tier_since after it) or holding an
 * expiry after it now; one index probe each (tier_change_member_occurred_index). A run made
 * late writes the notices a run on time wrote (docs/decisions.md, "At-risk notices").
 */
export async function insertNotices(tx: EntityManager, asOf: Date, until: Date, windowMonths: number): Promise<NoticesRun> {
  const rows = await tx.execute<{ processed: number; id: string | null; memberId: string | null }[]>(
    `with held as (
       select m.id as member_id, h.to_tier_id as tier_id, h.expires_at as tier_expires_at from member m cross join lateral (
         select c.to_tier_id, c.expires_at from tier_change c
         where c.member_id = m.id and c.superseded_at is null and c.occurred_at <= ?::timestamptz
         order by c.occurred_at desc, c.id desc limit 1) h
       where m.tier_since > ?::timestamptz or m.tier_expires_at > ?::timestamptz
     ), candidates as (
       select h.member_id, h.tier_id, h.tier_expires_at, t.retain_points
       from held h join tier t on t.id = h.tier_id
       where h.tier_expires_at > ?::timestamptz and h.tier_expires_at <= ?::timestamptz and t.rank > 0
     ), kept as (
       select c.*, coalesce((select sum(q.points) from qualifying_entry q where q.member_id = c.member_id
         and q.occurred_at > ${minusMonths('c.tier_expires_at', '?::int')} and q.occurred_at <= ?::timestamptz
         and coalesce(q.counts_from, q.occurred_at) <= ?::timestamptz), 0) as q
       from candidates c
     ), ins as (
       insert into tier_notice (member_id, tier_id, tier_expires_at, points_to_retain, noticed_at)
       select member_id, tier_id, tier_expires_at, retain_points - q, ?::timestamptz from kept where q < retain_points
       on conflict (member_id, tier_expires_at, tier_id) do nothing
       returning id::text, member_id as "memberId"
     )
     select (select count(*) from candidates)::int as processed, id, "memberId" from ins
     union all select (select count(*) from candidates)::int, null, null where not exists (select 1 from ins)`,
    [asOf, asOf, asOf, asOf, until, windowMonths, asOf, asOf, asOf],
  );
  const notices = rows.flatMap((r) => (r.id != null && r.memberId != null ? [{ id: r.id, memberId: r.memberId }] : []));
  return { processed: rows[0]?.processed ?? 0, notices };
}
