import { Migration } from '@mikro-orm/migrations';

/**
 * What a registration asked for, kept as a digest (sha256 of its profile fields,
 * `registrationDigest` in members.rules.ts), so that a retried `registerMember` is matched
 * against its first payload rather than the profile as it stands now: a registration retried
 * after the member (or an import) changed its profile was a CONFLICT. Members registered
 * before have none and are matched against their profile, as before. An erasure clears it.
 */
export class Migration20261225090000_member_registration_digest extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table "member" add column "registration_digest" text null;');
  }

  override async down(): Promise<void> {
    this.addSql('alter table "member" drop column "registration_digest";');
  }
}
