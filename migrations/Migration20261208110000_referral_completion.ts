import { Migration } from '@mikro-orm/migrations';

/**
 * Referrals completing on the referee's first purchase (issue 25):
 *
 * - `referral_complete(...)`: called in the purchase's own statement (points.repository.ts:
 *   purchase_at_once's and purchase_write's statements carry it; the stepwise path sends it on
 *   its own). Without a PENDING referral of the purchasing member it reads one index entry
 *   (referral_referee_unique) and returns nothing. Otherwise, the referee's account already held
 *   by the purchase, it locks the referral row, then the referrer's account and member rows (the
 *   lock order: referee, then referrer, who registered before it, so referral locks never close
 *   a cycle among themselves: db/locks.ts), and checks the guards at completion (the referrer
 *   erased, a shared phone or email as member search normalises them, the referrer's completed
 *   referrals in the programme-local month [p_month_from, p_month_to) at p_limit): REJECTED with
 *   its reason; else COMPLETED, and with p_ledger both sides' REFERRAL transactions, their lots
 *   (pending until p_activates, expiring at p_expires) and accounts. A side with a debt to repay
 *   first or an expiry watermark at or above p_expires cannot take that simple credit: with
 *   p_strict the function raises LC001 (nothing of the statement is written; the caller takes the
 *   transaction path), without it the referral is COMPLETED and f_credit says the caller credits
 *   both sides itself (points.service.ts). Racing first purchases of one referee queue on the
 *   referee's account; the second finds no PENDING referral.
 * - `referral_webhook`: `referral.completed` and `referral.reversed` events, captured in the
 *   transaction that makes them (as migration webhook_capture's triggers), carrying no personal
 *   data (members as {id, externalId}).
 */
/** referral_complete as this migration writes it (migration referral_points_range changes it). */
export const REFERRAL_COMPLETE = `create or replace function referral_complete(
        p_go boolean, p_member uuid, p_order text, p_now timestamptz, p_referrer_points int, p_referee_points int,
        p_limit int, p_month_from timestamptz, p_month_to timestamptz, p_activates timestamptz, p_expires timestamptz,
        p_ledger boolean, p_strict boolean)
      returns table (f_referral uuid, f_referrer uuid, f_status text, f_reason text, f_referrer_points int, f_referee_points int,
        f_referrer_transaction bigint, f_referee_transaction bigint, f_credit boolean)
      language plpgsql volatile as $$
      declare
        r record;
        v_side uuid;
        v_points int;
        v_balance int;
        v_txn bigint;
      begin
        if not coalesce(p_go, false) then return; end if;
        select x.id, x.referrer_id into r from referral x where x.referee_id = p_member and x.status = 'PENDING' for update;
        if not found then return; end if;
        f_referral := r.id; f_referrer := r.referrer_id; f_credit := false;
        perform 1 from point_account a join member m on m.id = a.member_id where a.member_id = r.referrer_id
          for update of a for no key update of m;
        select case
            when m.erased_at is not null then 'the referrer was erased'
            when member_phone_key(m.phone) = member_phone_key(e.phone) or member_search_fold(m.email) = member_search_fold(e.email)
              then 'the referee shares the referrer''s phone or email'
          end into f_reason
          from member m, member e where m.id = r.referrer_id and e.id = p_member;
        if f_reason is null and p_limit > 0 and (select count(*) from referral x where x.referrer_id = r.referrer_id and x.status = 'COMPLETED'
            and x.completed_at >= p_month_from and x.completed_at < p_month_to) >= p_limit then
          f_reason := format('the referrer reached its limit of %s completed referrals this month', p_limit);
        end if;
        if f_reason is not null then
          update referral set status = 'REJECTED', reason = f_reason, order_id = p_order where id = r.id;
          f_status := 'REJECTED'; f_referrer_points := 0; f_referee_points := 0;
          return next; return;
        end if;
        f_referrer_points := greatest(coalesce(p_referrer_points, 0), 0);
        f_referee_points := greatest(coalesce(p_referee_points, 0), 0);
        if p_ledger and (f_referrer_points > 0 or f_referee_points > 0) then
          -- The simple credit only without a debt to repay first and above the expiry watermark (as campaign_effects).
          if exists (select 1 from point_account a where a.member_id in (p_member, r.referrer_id)
                and (a.balance < 0 or (p_expires is not null and p_expires <= a.expired_through)))
             or exists (select 1 from point_lot l where l.member_id in (p_member, r.referrer_id) and l.remaining < 0) then
            if p_strict then raise exception 'referral points need the credit path (debt or expiry watermark)' using errcode = 'LC001'; end if;
            f_credit := true;
          else
            foreach v_side in array array[r.referrer_id, p_member] loop
              v_points := case when v_side = p_member then f_referee_points else f_referrer_points end;
              continue when v_points <= 0;
              select a.balance into v_balance from point_account a where a.member_id = v_side;
              insert into point_transaction (member_id, type, amount, balance_after, occurred_at, expires_at, reason, reference, idempotency_key, unrecovered, created_at)
                values (v_side, 'REFERRAL', v_points, v_balance + v_points, p_now, p_expires,
                  case when v_side = p_member then 'referral: welcome' else 'referral: friend''s first purchase' end, r.id::text,
                  'referral:' || r.id || case when v_side = p_member then ':referee' else ':referrer' end, 0, now())
                returning id into v_txn;
              insert into point_lot (member_id, transaction_id, points, remaining, earned_at, activates_at, expires_at, order_id, late)
                values (v_side, v_txn, v_points, v_points, p_now, p_activates, p_expires, null, coalesce(p_expires <= now(), false));
              update point_account set balance = v_balance + v_points, lifetime_earned = lifetime_earned + v_points, updated_at = now()
                where member_id = v_side;
              if v_side = p_member then f_referee_transaction := v_txn; else f_referrer_transaction := v_txn; end if;
            end loop;
          end if;
        elsif f_referrer_points > 0 or f_referee_points > 0 then
          f_credit := true;
        end if;
        update referral set status = 'COMPLETED', completed_at = p_now, order_id = p_order, referrer_points = f_referrer_points,
            referee_points = f_referee_points, referrer_transaction_id = f_referrer_transaction, referee_transaction_id = f_referee_transaction
          where id = r.id;
        f_status := 'COMPLETED';
        return next;
      end $$;`;

export class Migration20261208110000_referral_completion extends Migration {
  override async up(): Promise<void> {
    this.addSql(REFERRAL_COMPLETE);

    this.addSql(`create or replace function webhook_capture_referral() returns trigger language plpgsql as $$
      declare
        v_type text := case new.status when 'COMPLETED' then 'referral.completed' else 'referral.reversed' end;
      begin
        if cardinality(webhook_capture_types(array[v_type])) = 0 then return null; end if;
        with ev as (
          insert into webhook_event (type, member_id, occurred_at, data)
          select v_type, new.referrer_id, coalesce(new.reversed_at, new.completed_at, now()), jsonb_build_object(
            'referralId', new.id::text, 'status', new.status,
            'referrer', jsonb_build_object('id', new.referrer_id, 'externalId', (select external_id from member where id = new.referrer_id)),
            'referee', jsonb_build_object('id', new.referee_id, 'externalId', (select external_id from member where id = new.referee_id)),
            'orderId', new.order_id, 'referrerPoints', new.referrer_points, 'refereePoints', new.referee_points,
            'completedAt', webhook_time(new.completed_at), 'reversedAt', webhook_time(new.reversed_at), 'reason', new.reason)
          returning id
        )
        insert into webhook_delivery (endpoint_id, event_id)
        select w.id, ev.id from ev join webhook_endpoint w on w.active and (v_type = any(w.event_types) or '*' = any(w.event_types)) order by w.id;
        return null;
      end $$;`);
    this.addSql(`create trigger "referral_webhook" after update of "status" on "referral" for each row
      when (old.status is distinct from new.status and new.status in ('COMPLETED', 'REVERSED'))
      execute function webhook_capture_referral();`);
  }

  override async down(): Promise<void> {
    this.addSql('drop trigger if exists "referral_webhook" on "referral";');
    this.addSql('drop function if exists webhook_capture_referral();');
    this.addSql('drop function if exists referral_complete(boolean, uuid, text, timestamptz, int, int, int, timestamptz, timestamptz, timestamptz, timestamptz, boolean, boolean);');
  }
}
