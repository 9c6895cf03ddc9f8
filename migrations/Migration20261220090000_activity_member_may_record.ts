import { Migration } from '@mikro-orm/migrations';

/**
 * Which activity kinds a member's app may record for its member (`recordActivity` with a
 * member token). A rule made from now on says no unless the admin says yes: an app that
 * could record any kind for itself could give its member a rule's points as often as it liked
 * (a rule without a daily cap, without end). Rules that exist keep what they allowed (every
 * kind, until now), so that an upgrade does not refuse a brand's app overnight: an admin turns
 * it off per rule (`upsertActivityRule`, `memberMayRecord: false`).
 */
export class Migration20261220090000_activity_member_may_record extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table "activity_rule" add column "member_may_record" boolean not null default true;');
    this.addSql('alter table "activity_rule" alter column "member_may_record" set default false;');
  }

  override async down(): Promise<void> {
    this.addSql('alter table "activity_rule" drop column "member_may_record";');
  }
}
