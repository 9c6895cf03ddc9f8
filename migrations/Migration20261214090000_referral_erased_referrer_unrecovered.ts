import { Migration } from '@mikro-orm/migrations';

/**
 * A referral reversed after its referrer was erased: the erasure had forfeited the referrer's
 * side, and the reversal took none of it back (no REFUND_REVERSAL under the key
 * refund:<id>:referral:referrer), so all of it is `unrecovered_points` (referralStats' pointsGiven
 * keeps it). Reversals made before the rule are filled here.
 */
export class Migration20261214090000_referral_erased_referrer_unrecovered extends Migration {
  override async up(): Promise<void> {
    this.addSql(`update referral r set unrecovered_points = r.unrecovered_points + r.referrer_points
      from member m
      where m.id = r.referrer_id and m.erased_at is not null and r.status = 'REVERSED' and r.referrer_points > 0
        and not exists (select 1 from refund x join point_transaction t on t.idempotency_key = 'refund:' || x.refund_id || ':referral:referrer'
          where x.order_id = r.order_id);`);
  }

  override async down(): Promise<void> {
    // Data only: the values before it are not kept.
  }
}
