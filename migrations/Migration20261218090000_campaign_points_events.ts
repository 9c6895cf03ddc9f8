import { Migration } from '@mikro-orm/migrations';
import { CAPTURES, captureFunction, emitRows } from './Migration20261205100000_webhook_capture';
import { replaceOnce } from './Migration20261210090000_budget_free_slot';
import { WITH_UNRECOVERED } from './Migration20261213100000_refund_unrecovered_event';

/**
 * Campaign points have events of their own (docs/decisions.md, "Webhook events"): a receiver
 * following a member's balance through `balanceAfter` read 10 after a purchase that earned 10 and
 * a campaign's 77 (balance 87), and 77 after the full refund that took both back (balance 0).
 *
 * - `campaign.awarded`: a campaign's BONUS transaction (a purchase's, an activity's, a
 *   registration's, a tier upgrade's, a check-in's or a referral's campaign): the campaign's
 *   code, what triggered it (`source`, the award's: `purchase:<orderId>`, `tier:<changeId>` …),
 *   the points, `balanceAfter`, whether they are pending and when they activate (the BONUS lot's
 *   activation), when they expire, the transaction.
 * - `campaign.reversed`: a refund's REFUND_REVERSAL of a campaign's points (key
 *   `refund:<refundId>[:referral]:campaign:<code>`): the campaign, the refund and order, the
 *   points reversed and the part the member had spent already (`pointsUnrecovered`, as
 *   purchase.refunded has it), `balanceAfter`, the transaction.
 *   A refund's own reversal (`refund:<refundId>`) is passed over even when the back end's refund
 *   id holds `:campaign:` and its key reads like a campaign's: it is the refund row's transaction.
 * - `purchase.refunded` adds `bonusPointsReversed` (refund.bonus_reversed: its campaigns' and
 *   referral's points the refund took back of the member, as its answer's bonusPoints).
 *
 * One constraint trigger, row-level, deferred to the commit, `WHEN` the row is one of those and
 * an active endpoint wants its type: every other insert into point_transaction (a purchase's
 * EARN, a set-based EXPIRE's 10,000 rows) is passed over by the `WHEN`'s type test alone, no
 * function called; an award with no endpoint wanting it calls one small function
 * (webhook_types_wanted, its statement's plan kept by the session) and queues nothing. Queued,
 * a row is captured at the commit, when the award's lot is written whichever path wrote it
 * (purchase_at_once in one statement, or credit() statement by statement), so `pending` and
 * `activatesAt` are the lot's. Its events come after the transaction's others
 * (purchase.recorded, points.earned, purchase.refunded), in the order of the ledger. The
 * function checks again (webhook_capture_types: an endpoint, and row events not turned off for
 * the transaction).
 *
 * Measured (pgbench, one client, a BONUS insert in its own transaction, PostgreSQL 15, no
 * endpoint, the trigger enabled and disabled alternating, 3 × 10 s each): the endpoint test in
 * the function at the commit cost 0.09 ms per award (1,900 against 2,280 per second); in the
 * `WHEN`, 0.03 ms (2,150 against 2,320).
 */
const REFUND = CAPTURES.find((c) => c.fn === 'webhook_capture_refund')!;
const WITH_BONUS = replaceOnce(WITH_UNRECOVERED, `'balanceAfter', t.balance_after,`, `'bonusPointsReversed', r.bonus_reversed, 'balanceAfter', t.balance_after,`);

export class Migration20261218090000_campaign_points_events extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create or replace function webhook_types_wanted(p_types text[]) returns boolean language plpgsql stable as $$
      begin
        return exists (select 1 from webhook_endpoint e where e.active and (e.event_types && p_types or '*' = any(e.event_types)));
      end $$;`);
    this.addSql(`create or replace function webhook_capture_campaign_points() returns trigger language plpgsql as $$
      declare
        v_type text := case new.type when 'BONUS' then 'campaign.awarded' else 'campaign.reversed' end;
        v_member jsonb;
        v_data jsonb;
        v_activates timestamptz;
      begin
        -- A refund's own reversal is no campaign's: its key (refund:<refundId>) reads like one when
        -- the back end's refund id holds ':campaign:' (then it is the refund row's transaction).
        if new.type <> 'BONUS' and (new.idempotency_key !~ ':campaign:[^:]*$'
            or exists (select 1 from refund r where r.refund_id = substr(new.idempotency_key, length('refund:') + 1) and r.transaction_id = new.id)) then
          return null;
        end if;
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
      end $$;`);
    this.addSql(`create constraint trigger "point_transaction_webhook_campaign" after insert on "point_transaction"
      deferrable initially deferred for each row
      when ((new.type = 'BONUS' or (new.type = 'REFUND_REVERSAL' and new.idempotency_key like 'refund:%:campaign:%'))
        and webhook_types_wanted(array['campaign.awarded', 'campaign.reversed']))
      execute function webhook_capture_campaign_points();`);
    this.addSql(captureFunction(REFUND.fn, REFUND.types, emitRows(WITH_BONUS), REFUND.guard));
  }

  override async down(): Promise<void> {
    this.addSql(captureFunction(REFUND.fn, REFUND.types, emitRows(WITH_UNRECOVERED), REFUND.guard));
    this.addSql('drop trigger if exists "point_transaction_webhook_campaign" on "point_transaction";');
    this.addSql('drop function if exists webhook_capture_campaign_points();');
    this.addSql('drop function if exists webhook_types_wanted(text[]);');
  }
}
