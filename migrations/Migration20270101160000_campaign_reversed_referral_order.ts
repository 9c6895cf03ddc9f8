import { Migration } from '@mikro-orm/migrations';
import { rewriteFunctions } from './Migration20261228090000_webhook_fanout';

/**
 * `campaign.reversed` for a REFERRAL campaign's award taken back from the referrer names the
 * referee's purchase that completed the referral as `orderId` again. The referrer's reversal
 * rows now carry the referral's id as their reference (its ledger names no order of another
 * member: PointsService.reverseReferral), and the event read its `orderId` from that reference:
 * receivers got the referral's uuid where the README promises an order id. The event's
 * `orderId` is the referral's `order_id` when the row is a referral campaign's reversal (key
 * `…:referral:campaign:<code>`) whose reference is a referral; the reference otherwise (rows
 * written before, which carry the order).
 */
const ORDER_ID = String.raw`'orderId', new\.reference, 'pointsReversed'`;
const ORDER_ID_FROM_REFERRAL = String.raw`'orderId', case when new.idempotency_key like '%:referral:campaign:%' then coalesce((select rf.order_id from referral rf where rf.id::text = new.reference), new.reference) else new.reference end, 'pointsReversed'`;
const ORDER_ID_FROM_REFERRAL_PATTERN = String.raw`'orderId', case when new\.idempotency_key like '%:referral:campaign:%' then coalesce\(\(select rf\.order_id from referral rf where rf\.id::text = new\.reference\), new\.reference\) else new\.reference end, 'pointsReversed'`;
const ORDER_ID_TEXT = String.raw`'orderId', new.reference, 'pointsReversed'`;

export class Migration20270101160000_campaign_reversed_referral_order extends Migration {
  override async up(): Promise<void> {
    this.addSql(rewriteFunctions(ORDER_ID, ORDER_ID_FROM_REFERRAL));
    this.addSql(`do $$ begin
      if not exists (select 1 from pg_proc where proname = 'webhook_capture_campaign_points' and prosrc like '%select rf.order_id from referral rf%') then
        raise exception 'webhook_capture_campaign_points was not rewritten';
      end if;
    end $$;`);
  }

  override async down(): Promise<void> {
    this.addSql(rewriteFunctions(ORDER_ID_FROM_REFERRAL_PATTERN, ORDER_ID_TEXT));
  }
}
