import type { EntityManager } from '@mikro-orm/postgresql';
import { CHANGE_COLUMNS, changeRow, type TierChangeRow } from './tiers.repository';

/**
 * The tier-change feed's SQL: every change in the order its transaction committed, as far as
 * that order is settled.
 *
 * Each tier_change row holds its writing transaction's id (`xact_id`, xid8, the column's
 * default `pg_current_xact_id()`). Transaction ids are handed out when a transaction first
 * writes, not when it commits, so (xact_id, id) is not commit order by itself: a purchase that
 * waited on a lock may commit after a later transaction. What makes it safe is the horizon: a
 * page holds only rows whose transaction is older than the oldest transaction still running
 * (`pg_snapshot_xmin` of the statement's own snapshot). Every transaction below it has ended,
 * and its rows are all visible to the statement (committed) or never will be (rolled back); a
 * transaction that commits later has an id at or above the horizon, so its rows sort after
 * every row served so far. Hence a row never appears behind a cursor that was handed out, and
 * a page that stops at the horizon is complete up to it. A change a backdated fact supersedes
 * (TierEngine.rebuild) keeps its place: it is served once, as it stands when read (marked
 * `supersededAt` once superseded), and what replaces it comes where the superseding
 * transaction commits (docs/decisions.md). The price: a transaction that stays
 * open with an id holds back every change committed after it began, until it ends (see
 * docs/decisions.md, "Tier-change feed"). xid8 is 64 bits (epoch and xid): no wraparound.
 */

/** Where a client stands in the feed: the last change it saw, by its transaction id and its own id. */
export type FeedPosition = readonly [xactId: string, id: string];

export interface FeedRow extends TierChangeRow {
  /** The writing transaction's id (xid8, as text): with `id`, the change's place in the feed. */
  xactId: string;
}

/** The horizon, once per statement (an InitPlan): the oldest transaction id still running for the statement's snapshot. */
const HORIZON = '(select pg_snapshot_xmin(pg_current_snapshot()))';

/**
 * Up to `limit` changes after `after` (from the start without one), in (xact_id, id) order,
 * below the horizon; only `memberId`'s with one. Every member's reads the (xact_id, id) index in
 * order; one member's reads its own few rows by the (member_id, …) index and sorts them.
 */
export async function feedPage(em: EntityManager, q: { memberId: string | null; after: FeedPosition | null; limit: number }): Promise<FeedRow[]> {
  const [xactId, id] = q.after ?? ['0', '0'];
  const rows = await em.execute<FeedRow[]>(
    `select ${CHANGE_COLUMNS}, tc.xact_id::text as "xactId" from tier_change tc
     where ${q.memberId ? 'tc.member_id = ?::uuid and' : ''} tc.xact_id < ${HORIZON} and (tc.xact_id, tc.id) > (?::xid8, ?::bigint)
     order by tc.xact_id, tc.id limit ?`,
    [...(q.memberId ? [q.memberId] : []), xactId, id, q.limit],
  );
  return rows.map(changeRow);
}
