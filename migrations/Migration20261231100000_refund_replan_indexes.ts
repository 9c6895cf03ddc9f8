import { Migration } from '@mikro-orm/migrations';

/**
 * A late write re-plans the member's refunds with its debits (PointsService.replanWithRefunds):
 * `refund_member_index` finds a member's refunds by date (every refund asks whether a refund is
 * dated after it), and `point_transaction_refund_recovery_index` the recoveries keyed to a
 * refund's reversal (`refund-recovery:<cause>:<reversal>`) by member and reversal, where the
 * look-up scanned every recovery key of the programme.
 */
export class Migration20261231100000_refund_replan_indexes extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index if not exists "refund_member_index" on "refund" ("member_id", "occurred_at") include ("transaction_id");`);
    this.addSql(`create index if not exists "point_transaction_refund_recovery_index" on "point_transaction" ("member_id", split_part(idempotency_key, ':', 3))
      where type = 'REFUND_REVERSAL' and idempotency_key like 'refund-recovery:%';`);
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists "point_transaction_refund_recovery_index";');
    this.addSql('drop index if exists "refund_member_index";');
  }
}
