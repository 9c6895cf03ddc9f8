import { Migration } from '@mikro-orm/migrations';

/**
 * The referrer's reversal rows written before PointsService.reverseReferral named the referral
 * (its own REFUND_REVERSAL of the referrer points, key `…:referral:referrer`, and of its REFERRAL
 * campaigns' awards, `…:referral:campaign:<code>`) carried the referee's order id as reference
 * and its refund id in the reason (`refund <refundId>: referral`): the referrer's pointsHistory
 * and export kept showing which purchase its friend had returned. They now read as new ones do:
 * reference the referral's id, reason `referral reversed: <the referral's reason>` or
 * `referral reversed: referral campaign <code>`, and the negative lot such a row may have left
 * names no order. Amounts, instants and keys are untouched; the rows' webhook events were sent
 * when they were written (the stored events keep the order for the programme's receivers).
 */
export const REFERRER_ROWS_REWRITE = `with moved as (
      update point_transaction t set reference = rf.id::text,
        reason = 'referral reversed: ' || case when t.idempotency_key like '%:referral:campaign:%'
          then 'referral campaign ' || substring(t.idempotency_key from ':campaign:([^:]*)$') else coalesce(rf.reason, 'reversed') end
      from referral rf
      where t.type = 'REFUND_REVERSAL' and (t.idempotency_key like '%:referral:referrer' or t.idempotency_key like '%:referral:campaign:%')
        and rf.referrer_id = t.member_id and rf.order_id = t.reference and rf.status = 'REVERSED'
      returning t.id)
      update point_lot l set order_id = null from moved where l.transaction_id = moved.id and l.points < 0;`;

export class Migration20270101170000_referrer_reversal_rows extends Migration {
  override async up(): Promise<void> {
    this.addSql(REFERRER_ROWS_REWRITE);
  }

  override async down(): Promise<void> {
    // The rows keep the referral's id: the order they named is the referral's (referral.order_id), so nothing is lost.
  }
}
