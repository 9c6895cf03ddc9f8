import { Migration } from '@mikro-orm/migrations';

/**
 * One at-risk notice per member, tier and expiry (was: per member and expiry). A backdated
 * purchase can make an upgrade already noticed reach a higher tier at the same instant, so with
 * the same expiry: the member, noticed for SILVER, now holds GOLD until the same date, and a run
 * on time would have warned of GOLD's retainPoints. With the old key that notice could never be
 * written; the SILVER one stays (it was sent).
 */
export class Migration20270101130000_tier_notice_per_tier extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table "tier_notice" drop constraint if exists "tier_notice_member_expiry_unique";');
    this.addSql('alter table "tier_notice" add constraint "tier_notice_member_tier_expiry_unique" unique ("member_id", "tier_expires_at", "tier_id");');
  }

  override async down(): Promise<void> {
    this.addSql('alter table "tier_notice" drop constraint if exists "tier_notice_member_tier_expiry_unique";');
    this.addSql(`delete from tier_notice n where exists (select 1 from tier_notice o where o.member_id = n.member_id and o.tier_expires_at = n.tier_expires_at and o.id < n.id);`);
    this.addSql('alter table "tier_notice" add constraint "tier_notice_member_expiry_unique" unique ("member_id", "tier_expires_at");');
  }
}
