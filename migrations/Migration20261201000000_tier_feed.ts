import { Migration } from '@mikro-orm/migrations';

export class Migration20261201000000_tier_feed extends Migration {

  override async up(): Promise<void> {
    // The id of the transaction that wrote each change: the feed serves changes in (xact_id, id)
    // order, up to the oldest transaction still running (see tier-feed.repository.ts). The default
    // fills it on every insert path (the review's batch statement, raw SQL in bench/). The function
    // is STABLE, so PostgreSQL 11+ adds the column without rewriting the table (a catalog change):
    // every existing row reads as this migration's own transaction id, so the existing changes
    // come first in the feed, in id order, once every transaction older than this one has ended.
    this.addSql(`alter table "tier_change" add column "xact_id" xid8 not null default pg_current_xact_id();`);
    // The feed of every member, in its order. One member's feed reads the member's few rows
    // through the (member_id, occurred_at) index (order_independence's, which replaced the unique
    // (member_id, occurred_at, kind) key) and sorts them: no index of its own, as every review
    // writes a tier_change row per member it reviews.
    this.addSql(`create index "tier_change_feed_index" on "tier_change" ("xact_id", "id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "tier_change_feed_index";`);
    this.addSql(`alter table "tier_change" drop column "xact_id";`);
  }

}
