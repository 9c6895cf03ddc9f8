import { Migration } from '@mikro-orm/migrations';

export class Migration20261129220000_review_passes extends Migration {

  override async up(): Promise<void> {
    // The schema's only foreign key. Its check runs for every member whose tier changes
    // (SELECT … FOR KEY SHARE on the tier row): thousands of downgrades per review batch, on
    // two connections, plus upgrades from purchases, all locking the same three or four tier
    // rows, which PostgreSQL records as multixacts. Review of 750,000 members on the dev
    // database: 19.7 s with it, 14.8 s without. Tiers are never deleted; every tier id the
    // engine writes comes from the tier table in the same statement.
    this.addSql(`alter table "member" drop constraint if exists "member_tier_id_foreign";`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "member" add constraint "member_tier_id_foreign" foreign key ("tier_id") references "tier" ("id") on update cascade;`);
  }

}
