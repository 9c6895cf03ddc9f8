import { Migration } from '@mikro-orm/migrations';
import { rewriteFunctions } from './Migration20261228090000_webhook_fanout';

/**
 * `campaign.reversed` for the REFERRAL campaign awards a referee's erasure takes back from its
 * referrer (PointsService.reverseReferralOfErased: REFUND_REVERSAL keyed
 * `erasure:<memberId>:referral:campaign:<code>`), as for a refund's (`refund:<refundId>…`).
 * The trigger's WHEN took only the refund's keys, so a receiver that had the award's
 * `campaign.awarded` never heard it was taken back, and its `balanceAfter` stayed high.
 * The event's `refundId` is null for an erasure's reversal (there is no refund); `orderId` is
 * the referee's purchase that completed the referral, as for a refund's.
 */
const REFUND_ID = String.raw`'refundId', regexp_replace\(regexp_replace\(new\.idempotency_key, '\^refund:', ''\), '\(:referral\)\?:campaign:\[\^:\]\*\$', ''\),`;
const REFUND_ID_OR_NULL = String.raw`'refundId', case when new.idempotency_key like 'refund:%' then regexp_replace(regexp_replace(new.idempotency_key, '^refund:', ''), '(:referral)?:campaign:[^:]*$', '') end,`;
const REFUND_ID_OR_NULL_PATTERN = String.raw`'refundId', case when new\.idempotency_key like 'refund:%' then regexp_replace\(regexp_replace\(new\.idempotency_key, '\^refund:', ''\), '\(:referral\)\?:campaign:\[\^:\]\*\$', ''\) end,`;
const REFUND_ID_TEXT = String.raw`'refundId', regexp_replace(regexp_replace(new.idempotency_key, '^refund:', ''), '(:referral)?:campaign:[^:]*$', ''),`;

const trigger = (keys: string) => `create constraint trigger "point_transaction_webhook_campaign" after insert on "point_transaction"
      deferrable initially deferred for each row
      when ((new.type = 'BONUS' or (new.type = 'REFUND_REVERSAL' and (${keys})))
        and webhook_types_wanted(array['campaign.awarded', 'campaign.reversed']))
      execute function webhook_capture_campaign_points();`;

export class Migration20270101100000_erasure_campaign_reversed extends Migration {
  override async up(): Promise<void> {
    this.addSql(rewriteFunctions(REFUND_ID, REFUND_ID_OR_NULL));
    this.addSql(`do $$ begin
      if not exists (select 1 from pg_proc where proname = 'webhook_capture_campaign_points' and prosrc like '%case when new.idempotency_key like ''refund:%''%') then
        raise exception 'webhook_capture_campaign_points was not rewritten';
      end if;
    end $$;`);
    this.addSql('drop trigger if exists "point_transaction_webhook_campaign" on "point_transaction";');
    this.addSql(trigger(`new.idempotency_key like 'refund:%:campaign:%' or new.idempotency_key like 'erasure:%:referral:campaign:%'`));
  }

  override async down(): Promise<void> {
    this.addSql('drop trigger if exists "point_transaction_webhook_campaign" on "point_transaction";');
    this.addSql(trigger(`new.idempotency_key like 'refund:%:campaign:%'`));
    this.addSql(rewriteFunctions(REFUND_ID_OR_NULL_PATTERN, REFUND_ID_TEXT));
  }
}
