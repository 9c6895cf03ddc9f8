import { Migration } from '@mikro-orm/migrations';

/**
 * A refund's own reversal is no campaign's (docs/decisions.md, "Webhook events"). A refund's own
 * REFUND_REVERSAL is keyed `refund:<refundId>`, a campaign's `refund:<refundId>[:referral]:campaign:<code>`;
 * refund ids are the back end's own strings, so one holding `:campaign:` (`ret-1:campaign:SPRING`)
 * gave its own reversal a key that read like a campaign's: `point_transaction_webhook_campaign`
 * (migration campaign_points_events) sent a `campaign.reversed` for points that were the
 * purchase's own (already in `purchase.refunded`), naming a campaign and a refund id cut short.
 *
 * The capture now passes over a reversal that is its refund's own transaction (the refund row,
 * by its key, written by the commit the trigger is deferred to) and one whose key does not end in
 * `:campaign:<code>` (a referral side's, `refund:<refundId>:referral:referee`, when the refund id
 * holds `:campaign:`). The `WHEN` is unchanged.
 */
const FUNCTION = (ownRefundTest: boolean) => `create or replace function webhook_capture_campaign_points() returns trigger language plpgsql as $$
      declare
        v_type text := case new.type when 'BONUS' then 'campaign.awarded' else 'campaign.reversed' end;
        v_member jsonb;
        v_data jsonb;
        v_activates timestamptz;
      begin
        ${ownRefundTest ? `if new.type <> 'BONUS' and (new.idempotency_key !~ ':campaign:[^:]*$'
            or exists (select 1 from refund r where r.refund_id = substr(new.idempotency_key, length('refund:') + 1) and r.transaction_id = new.id)) then
          return null;
        end if;` : ''}
        if cardinality(webhook_capture_types(array[v_type])) = 0 then return null; end if;
        v_member := jsonb_build_object('id', new.member_id, 'externalId', (select external_id from member where id = new.member_id));
        if new.type = 'BONUS' then
          -- The award's lot (by the member's open lots: an index; null once a debt took it whole: spendable then).
          select l.activates_at into v_activates from point_lot l
            where l.member_id = new.member_id and l.transaction_id = new.id and l.remaining <> 0 limit 1;
          v_data := jsonb_build_object('member', v_member, 'campaign', new.reference,
            'source', substr(new.idempotency_key, length('campaign:' || new.reference || ':') + 1),
            'points', new.amount, 'balanceAfter', new.balance_after,
            'pending', coalesce(v_activates > greatest(new.occurred_at, now()), false),
            'activatesAt', webhook_time(coalesce(v_activates, new.occurred_at)), 'expiresAt', webhook_time(new.expires_at),
            'transactionId', new.id::text);
        else
          -- Campaign codes hold no colon: the code is what follows the last ':campaign:'.
          v_data := jsonb_build_object('member', v_member, 'campaign', substring(new.idempotency_key from ':campaign:([^:]*)$'),
            'refundId', regexp_replace(regexp_replace(new.idempotency_key, '^refund:', ''), '(:referral)?:campaign:[^:]*$', ''),
            'orderId', new.reference, 'pointsReversed', new.unrecovered - new.amount, 'pointsUnrecovered', new.unrecovered,
            'balanceAfter', new.balance_after, 'transactionId', new.id::text);
        end if;
        with ev as (
          insert into webhook_event (type, member_id, occurred_at, data) values (v_type, new.member_id, new.occurred_at, v_data) returning id
        )
        insert into webhook_delivery (endpoint_id, event_id)
        select w.id, ev.id from ev join webhook_endpoint w on w.active and (v_type = any(w.event_types) or '*' = any(w.event_types)) order by w.id;
        return null;
      end $$;`;

export class Migration20261220090000_campaign_reversal_own_refund extends Migration {
  override async up(): Promise<void> {
    this.addSql(FUNCTION(true));
  }

  override async down(): Promise<void> {
    this.addSql(FUNCTION(false));
  }
}
