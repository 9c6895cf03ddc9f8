import { Migration } from '@mikro-orm/migrations';

export class Migration20261129220000_review_passes extends Migration {

  override async up(): Promise<void> {
    // The schema's only foreign key. Its check runs for every member whose tier changes
    // (SELECT … FOR KEY SHARE on the tier row): thousands of downgrades per review batch, on
    // two connections, plus upgrades from purchases, all locking the same three or four tier
    // rows, which PostgreSQL records as multixacts. Review of 750,000 members on the dev
    // database: 18.5 s with it, 14.0 s without. Tiers are never deleted; every tier id the
    // engine writes comes from the tier table in the same statement.
    this.addSql(`alter table "member" drop constraint if exists "member_tier_id_foreign";`);
    // Every reader of qualifying entries sums points over one member's window (the review, the
    // upgrade check on each purchase, progress, notices): with the points in the index those
    // sums are index-only. Review on the dev database: 14.8 s without, 14.0 s with.
    this.addSql(`drop index "qualifying_entry_member_occurred_index";`);
    this.addSql(`create index "qualifying_entry_member_occurred_index" on "qualifying_entry" ("member_id", "occurred_at") include ("points");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "qualifying_entry_member_occurred_index";`);
    this.addSql(`create index "qualifying_entry_member_occurred_index" on "qualifying_entry" ("member_id", "occurred_at");`);
    this.addSql(`alter table "member" add constraint "member_tier_id_foreign" foreign key ("tier_id") references "tier" ("id") on update cascade;`);
  }

}
