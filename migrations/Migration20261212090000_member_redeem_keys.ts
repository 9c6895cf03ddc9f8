import { Migration } from '@mikro-orm/migrations';

/**
 * A redemption's idempotency key is the member's own: unique per (member, key), not across the
 * programme. Members' apps make their keys, and one member's key must neither refuse another
 * member's first redemption (CONFLICT) nor tell that member it was used. The REDEEM debit's
 * ledger key names the member too ('redeem:<member>:<key>'); the rows written before are renamed.
 */
export class Migration20261212090000_member_redeem_keys extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "redemption" drop constraint "redemption_idempotency_key_unique";`);
    this.addSql(`alter table "redemption" add constraint "redemption_member_id_idempotency_key_unique" unique ("member_id", "idempotency_key");`);
    this.addSql(`update point_transaction set idempotency_key = 'redeem:' || member_id || ':' || substr(idempotency_key, 8)
      where type = 'REDEEM' and idempotency_key like 'redeem:%';`);
  }

  override async down(): Promise<void> {
    this.addSql(`update point_transaction set idempotency_key = 'redeem:' || substr(idempotency_key, 8 + length(member_id::text) + 1)
      where type = 'REDEEM' and idempotency_key like 'redeem:' || member_id || ':%';`);
    this.addSql(`alter table "redemption" drop constraint "redemption_member_id_idempotency_key_unique";`);
    this.addSql(`alter table "redemption" add constraint "redemption_idempotency_key_unique" unique ("idempotency_key");`);
  }
}
