import { Migration } from '@mikro-orm/migrations';

/**
 * A refund's qualifying reversal counts from the millisecond after the refund's instant
 * (tiers.rules.ts reversalCountsFrom), not from the instant itself: a refund dated at its
 * purchase's instant took away the upgrade that purchase had given (the rebuild from the
 * refund's instant decided that upgrade again with the reversal counted), with no change row
 * and no push; so did a refund dated at a review's instant to the review. The reversals written
 * before move one millisecond on, and so do the member counters that read them: the latest
 * instant an entry counts from, and the points counted in the window ending at the tier's expiry
 * (a reversal dated exactly there no longer counts at that review). The members with a
 * reversal are queued in `tier_rebuild` from the earliest instant one counted from: the next tier
 * review run rebuilds their histories from there (PointsService.rebuildQueuedTiers), as a late
 * fact does, which records the upgrades the old rule took away or never gave, and pushes them.
 */
export class Migration20270101210000_reversal_counts_after_refund extends Migration {
  override async up(): Promise<void> {
    this.addSql(REVERSALS_ON);
    this.addSql(MEMBER_COUNTERS);
    this.addSql(`create table "tier_rebuild" ("member_id" uuid not null, "from_at" timestamptz not null, constraint "tier_rebuild_pkey" primary key ("member_id"));`);
    this.addSql(REBUILDS_QUEUED);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table "tier_rebuild";`);
    this.addSql(REVERSALS_BACK);
    this.addSql(MEMBER_COUNTERS);
  }
}

export const REVERSALS_ON = `update qualifying_entry set counts_from = counts_from + interval '1 millisecond' where counts_from is not null;`;
export const REVERSALS_BACK = `update qualifying_entry set counts_from = counts_from - interval '1 millisecond' where counts_from is not null;`;

/**
 * Every member with a reversal, from the earliest instant one counted from under the old rule: a
 * decision at such an instant may have been made with it (a change recorded then, or an upgrade
 * never recorded: a refund and a purchase of one exchange at a till in the same second). A
 * rebuild that finds the same history keeps it as it is.
 */
export const REBUILDS_QUEUED = `insert into tier_rebuild (member_id, from_at)
  select q.member_id, min(q.counts_from - interval '1 millisecond') from qualifying_entry q
  where q.counts_from is not null
  group by q.member_id
  on conflict (member_id) do update set from_at = least(tier_rebuild.from_at, excluded.from_at);`;

/** The two counters recounted from the entries (as recountWindowCountersOf does) for the members that have a reversal. */
export const MEMBER_COUNTERS = `update member m set
    window_points = case when m.tier_expires_at is null or m.window_points_months is null then m.window_points else c.w end,
    last_qualifying_at = c.last
  from (
    select m2.id, l.w, l.last from member m2 cross join lateral (
      select coalesce(sum(q.points) filter (where q.occurred_at > ((m2.tier_expires_at) at time zone 'UTC' - make_interval(months => m2.window_points_months)) at time zone 'UTC'
          and q.occurred_at <= m2.tier_expires_at and coalesce(q.counts_from, q.occurred_at) <= m2.tier_expires_at), 0)::int as w,
        max(coalesce(q.counts_from, q.occurred_at)) as last
      from qualifying_entry q where q.member_id = m2.id) l
    where exists (select 1 from qualifying_entry r where r.member_id = m2.id and r.counts_from is not null)
  ) c
  where c.id = m.id and (m.last_qualifying_at is distinct from c.last
    or (m.tier_expires_at is not null and m.window_points_months is not null and m.window_points is distinct from c.w));`;
