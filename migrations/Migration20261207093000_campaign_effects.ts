import { Migration } from '@mikro-orm/migrations';

/**
 * Campaign effects (issue 24), applied in the transaction of the write that triggers them:
 *
 * - `campaign_budget`: a budgeted campaign's remaining points, split into slots, so that
 *   purchases of different members take from different rows and do not queue on one lock. A
 *   take is one conditional UPDATE of the member's slot (`remaining >= amount`); when that slot
 *   cannot cover it, the taker locks every slot of the campaign (in slot order), and either
 *   takes from their sum and spreads the rest evenly again, or finds the sum short: the award
 *   is not given and the campaign ends (BUDGET_SPENT). `remaining >= 0` is a constraint: the
 *   budget is never overspent, whatever the concurrency. Invariant: budget_points − Σ remaining
 *   = Σ (points − reversed_points + reward_points) over the campaign's awards; a change of
 *   budget_points recomputes the slots from that sum (trigger campaign_budget_slots).
 * - `campaign_effects(...)`: every candidate campaign of one event, in the order given (starts_at,
 *   code), in one statement: status and window checked again, the member assigned to its arm if
 *   new (campaign_control), control members skipped, the per-member limit, the award row
 *   (idempotent by (campaign, source)), the budget, and (p_ledger) the BONUS transaction and lot
 *   and the account, and a coupon at no cost for a reward effect.
 * - `redemption.transaction_id` becomes nullable: a coupon a campaign issues costs the member
 *   nothing, so there is no debit behind it.
 */
export class Migration20261207093000_campaign_effects extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "campaign_budget" (
      "campaign_id" uuid not null,
      "slot" int not null,
      "remaining" bigint not null constraint "campaign_budget_remaining_check" check ("remaining" >= 0),
      constraint "campaign_budget_pkey" primary key ("campaign_id", "slot")
    );`);

    // The slots of a budget: the rest (budget_points less what the awards hold) spread over 8 rows.
    this.addSql(`create or replace function campaign_budget_reset(p_campaign uuid) returns void language plpgsql volatile as $$
      declare
        v_budget int;
        v_rest bigint;
      begin
        -- every slot locked first (slot order, as a take's rebalancing does), so no take is half-way
        perform 1 from campaign_budget b where b.campaign_id = p_campaign order by b.slot for update;
        delete from campaign_budget where campaign_id = p_campaign;
        select c.budget_points into v_budget from campaign c where c.id = p_campaign;
        if v_budget is null then return; end if;
        select greatest(0, v_budget - coalesce(sum(a.points - a.reversed_points + a.reward_points), 0)) into v_rest
          from campaign_award a where a.campaign_id = p_campaign;
        insert into campaign_budget (campaign_id, slot, remaining)
          select p_campaign, s, v_rest / 8 + case when s < v_rest % 8 then 1 else 0 end from generate_series(0, 7) s;
      end $$;`);
    this.addSql(`create or replace function campaign_budget_slots() returns trigger language plpgsql as $$
      begin
        if tg_op = 'INSERT' or new.budget_points is distinct from old.budget_points then
          perform campaign_budget_reset(new.id);
        end if;
        return null;
      end $$;`);
    this.addSql(`create trigger "campaign_budget_slots" after insert or update of "budget_points" on "campaign"
      for each row execute function campaign_budget_slots();`);
    // Campaigns made before this migration (none in production yet): their slots.
    this.addSql(`select campaign_budget_reset(id) from campaign where budget_points is not null;`);

    // Takes p_amount from the campaign's budget: the member's slot if it covers it, else from all
    // slots at once (locked in slot order) when their sum does. False: the rest cannot cover it.
    this.addSql(`create or replace function campaign_budget_take(p_campaign uuid, p_member uuid, p_amount int) returns boolean
      language plpgsql volatile as $$
      declare
        v_slot int := hashtext(p_member::text) & 7;
        v_total bigint;
        v_left bigint;
      begin
        if p_amount <= 0 then return true; end if;
        update campaign_budget set remaining = remaining - p_amount
          where campaign_id = p_campaign and slot = v_slot and remaining >= p_amount;
        if found then return true; end if;
        perform 1 from campaign_budget b where b.campaign_id = p_campaign order by b.slot for update;
        select coalesce(sum(b.remaining), 0) into v_total from campaign_budget b where b.campaign_id = p_campaign;
        if v_total < p_amount then return false; end if;
        v_left := v_total - p_amount;
        update campaign_budget set remaining = v_left / 8 + case when slot < v_left % 8 then 1 else 0 end where campaign_id = p_campaign;
        return true;
      end $$;`);
    // Gives back to the budget (a refund reversed an award's points).
    this.addSql(`create or replace function campaign_budget_return(p_campaign uuid, p_member uuid, p_amount int) returns void
      language plpgsql volatile as $$
      begin
        if p_amount <= 0 then return; end if;
        update campaign_budget set remaining = remaining + p_amount where campaign_id = p_campaign and slot = hashtext(p_member::text) & 7;
      end $$;`);

    this.addSql(`alter table "redemption" alter column "transaction_id" drop not null;`);

    // The effects of one event on its candidate campaigns, in the order given. p_inside[i]: the
    // member is in campaign i's audience now (evaluated by the caller's statement); p_points[i]:
    // the bonus points it would give (bonusPoints + the multiplier's extra); p_coupons[i]: a
    // fresh coupon code for a reward effect. p_ledger: write the BONUS transaction, its lot and
    // the account here (the caller knows the member has no debt to repay first and the lot is
    // not under the expiry watermark); otherwise the caller credits the points and links the
    // transaction (campaign_award.transaction_id). One row per campaign: its status
    // (AWARDED, INACTIVE, OUTSIDE, CONTROL, REPLAY, LIMIT, NOTHING, BUDGET_SPENT).
    this.addSql(EFFECTS);
  }

  override async down(): Promise<void> {
    this.addSql('drop function if exists campaign_effects(uuid, text, timestamptz, uuid[], boolean[], int[], text[], boolean, timestamptz, timestamptz);');
    this.addSql(`delete from redemption where transaction_id is null;`);
    this.addSql(`alter table "redemption" alter column "transaction_id" set not null;`);
    this.addSql('drop function if exists campaign_budget_return(uuid, uuid, int);');
    this.addSql('drop function if exists campaign_budget_take(uuid, uuid, int);');
    this.addSql('drop trigger if exists "campaign_budget_slots" on "campaign";');
    this.addSql('drop function if exists campaign_budget_slots();');
    this.addSql('drop function if exists campaign_budget_reset(uuid);');
    this.addSql('drop table if exists "campaign_budget";');
  }

}

/** campaign_effects as this migration writes it (exported: migration campaign_award_path's down() restores it). */
export const EFFECTS = `create or replace function campaign_effects(
        p_member uuid, p_source text, p_at timestamptz, p_campaigns uuid[], p_inside boolean[], p_points int[], p_coupons text[],
        p_ledger boolean, p_activates timestamptz, p_expires timestamptz)
      returns table (f_campaign uuid, f_code text, f_status text, f_points int, f_reward_points int, f_award bigint, f_transaction bigint, f_coupon uuid)
      language plpgsql volatile as $$
      declare
        c record;
        v_control boolean;
        v_reward uuid;
        v_days int;
        v_cost int;
        v_balance int;
      begin
        for i in 1 .. coalesce(array_length(p_campaigns, 1), 0) loop
          f_campaign := p_campaigns[i]; f_code := null; f_points := 0; f_reward_points := 0; f_award := null; f_transaction := null; f_coupon := null;
          select * into c from campaign where id = p_campaigns[i];
          if not found then f_status := 'INACTIVE'; return next; continue; end if;
          f_code := c.code;
          if c.status <> 'ACTIVE' or p_at < c.starts_at or (c.ends_at is not null and p_at >= c.ends_at) then
            f_status := 'INACTIVE'; return next; continue;
          end if;
          if not p_inside[i] then f_status := 'OUTSIDE'; return next; continue; end if;
          insert into campaign_member (campaign_id, member_id, control) values (c.id, p_member, campaign_control(c.id, p_member, c.control_percent))
            on conflict do nothing;
          select cm.control into v_control from campaign_member cm where cm.campaign_id = c.id and cm.member_id = p_member;
          if v_control then f_status := 'CONTROL'; return next; continue; end if;
          if exists (select 1 from campaign_award a where a.campaign_id = c.id and a.source = p_source) then
            f_status := 'REPLAY'; return next; continue;
          end if;
          if c.per_member_limit is not null
             and (select count(*) from campaign_award a where a.member_id = p_member and a.campaign_id = c.id) >= c.per_member_limit then
            f_status := 'LIMIT'; return next; continue;
          end if;
          v_reward := null; v_days := null; v_cost := 0;
          if c.reward_code is not null then
            select r.id, r.cost_points, r.coupon_valid_days into v_reward, v_cost, v_days from reward r where r.code = c.reward_code and r.active;
            v_cost := coalesce(v_cost, 0);
          end if;
          if coalesce(p_points[i], 0) <= 0 and v_reward is null then f_status := 'NOTHING'; return next; continue; end if;
          if c.budget_points is not null and not campaign_budget_take(c.id, p_member, coalesce(p_points[i], 0) + v_cost) then
            update campaign set status = 'ENDED', ended_reason = 'BUDGET_SPENT', ended_at = now(), updated_at = now()
              where id = c.id and status = 'ACTIVE';
            f_status := 'BUDGET_SPENT'; return next; continue;
          end if;
          f_points := greatest(coalesce(p_points[i], 0), 0);
          f_reward_points := v_cost;
          if v_reward is not null then
            insert into redemption (id, member_id, reward_id, points, coupon_code, status, idempotency_key, transaction_id, created_at, expires_at)
              values (gen_random_uuid(), p_member, v_reward, 0, p_coupons[i], 'ISSUED', 'campaign:' || c.code || ':' || p_source, null, p_at,
                case when v_days is null then null else p_at + make_interval(secs => v_days * 86400) end)
              returning id into f_coupon;
          end if;
          if f_points > 0 and p_ledger then
            -- The caller said no debt and no watermark above the lot: it decided on facts; never write past them (LC001: the caller takes another path).
            if exists (select 1 from point_account a where a.member_id = p_member and (a.balance < 0 or (p_expires is not null and p_expires <= a.expired_through)))
               or exists (select 1 from point_lot l where l.member_id = p_member and l.remaining < 0) then
              raise exception 'campaign bonus needs the credit path (debt or expiry watermark)' using errcode = 'LC001';
            end if;
            select a.balance into v_balance from point_account a where a.member_id = p_member;
            insert into point_transaction (member_id, type, amount, balance_after, occurred_at, expires_at, reason, reference, idempotency_key, unrecovered, created_at)
              values (p_member, 'BONUS', f_points, v_balance + f_points, p_at, p_expires, 'campaign ' || c.code, c.code,
                'campaign:' || c.code || ':' || p_source, 0, now())
              returning id into f_transaction;
            insert into point_lot (member_id, transaction_id, points, remaining, earned_at, activates_at, expires_at, order_id, late)
              values (p_member, f_transaction, f_points, f_points, p_at, p_activates, p_expires, null, coalesce(p_expires <= now(), false));
            update point_account set balance = v_balance + f_points, lifetime_earned = lifetime_earned + f_points, updated_at = now()
              where member_id = p_member;
          end if;
          insert into campaign_award (campaign_id, member_id, source, occurred_at, points, reward_points, transaction_id, coupon_id)
            values (c.id, p_member, p_source, p_at, f_points, v_cost, f_transaction, f_coupon)
            returning id into f_award;
          f_status := 'AWARDED';
          return next;
        end loop;
      end $$;`;
