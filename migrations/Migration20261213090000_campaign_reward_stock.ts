import { Migration } from '@mikro-orm/migrations';
import { EFFECTS_FREE_SLOT, replaceOnce } from './Migration20261210090000_budget_free_slot';

/**
 * A campaign's free reward takes the reward's stock, as a redemption does (domain.md: a reward
 * has a stock, null = unlimited). Before, a campaign coupon took none, so a physical reward
 * could be given away beyond its stock, and cancelling such a coupon gave back a unit that had
 * never been taken (cancelRedemption restores stock), raising the stock above what was there.
 *
 * Now, for a reward with a stock, the award takes one unit (`update … where stock > 0`, which
 * locks the reward row until the event's transaction ends, as a redemption's take does) before
 * the budget; with none left, the award gives no coupon and charges the budget nothing for it:
 * the campaign's points, if it has any, are still given, and an award of a coupon alone is
 * OUT_OF_STOCK (no award row; the campaign goes on). When the budget then refuses the award
 * (BUDGET_SPENT), the unit goes back. A reward with no stock (unlimited) locks nothing, as before.
 * Likewise the reward's per-member limit: a member who holds as many of it (not cancelled) as
 * the limit allows gets no coupon from a campaign either (REWARD_LIMIT), as its own redemption
 * would be refused LIMIT_REACHED.
 *
 * Lock order (db/locks.ts): the member's account, then the reward, then the budget's slots.
 * Coupons issued before this migration took no stock; cancelling one still gives a unit back.
 */
const SELECT_REWARD = `select r.id, r.cost_points, r.coupon_valid_days into v_reward, v_cost, v_days from reward r where r.code = c.reward_code and r.active;
            v_cost := coalesce(v_cost, 0);`;
const TAKE_STOCK = `select r.id, r.cost_points, r.coupon_valid_days, r.stock is not null,
                r.per_member_limit is not null and (select count(*) from redemption d
                  where d.member_id = p_member and d.reward_id = r.id and d.status <> 'CANCELLED') >= r.per_member_limit
              into v_reward, v_cost, v_days, v_stocked, v_capped from reward r where r.code = c.reward_code and r.active;
            v_cost := coalesce(v_cost, 0);
            -- The member holds as many of this reward as its per-member limit allows: no coupon (as a redemption would be refused).
            if v_reward is not null and v_capped then v_reward := null; v_cost := 0; v_out := 'REWARD_LIMIT'; end if;
            -- A reward with a stock gives a coupon only while a unit is left (taken here, given back below if the budget refuses).
            if v_reward is not null and v_stocked then
              update reward set stock = stock - 1 where id = v_reward and stock > 0;
              if not found then v_reward := null; v_cost := 0; v_out := 'OUT_OF_STOCK'; end if;
            end if;`;

const NOTHING = `if coalesce(p_points[i], 0) <= 0 and v_reward is null then f_status := 'NOTHING'; return next; continue; end if;`;
const NOTHING_OR_OUT = `if coalesce(p_points[i], 0) <= 0 and v_reward is null then
            f_status := coalesce(v_out, 'NOTHING'); return next; continue;
          end if;`;

const SPENT = `f_status := 'BUDGET_SPENT'; return next; continue;`;
const SPENT_RESTOCK = `if v_reward is not null and v_stocked then update reward set stock = stock + 1 where id = v_reward; end if;
            f_status := 'BUDGET_SPENT'; return next; continue;`;

const RESET = `v_reward := null; v_days := null; v_cost := 0;`;
const RESET_STOCK = `v_reward := null; v_days := null; v_cost := 0; v_stocked := false; v_capped := false; v_out := null;`;

const DECLARE = `v_cost int;
      begin`;
const DECLARE_STOCK = `v_cost int;
        v_stocked boolean;
        v_capped boolean;
        v_out text;
      begin`;

export const EFFECTS_REWARD_STOCK = [
  [SELECT_REWARD, TAKE_STOCK], [NOTHING, NOTHING_OR_OUT], [SPENT, SPENT_RESTOCK], [RESET, RESET_STOCK], [DECLARE, DECLARE_STOCK],
].reduce((text, [from, to]) => replaceOnce(text, from, to), EFFECTS_FREE_SLOT);

export class Migration20261213090000_campaign_reward_stock extends Migration {
  override async up(): Promise<void> {
    this.addSql(EFFECTS_REWARD_STOCK);
  }

  override async down(): Promise<void> {
    this.addSql(EFFECTS_FREE_SLOT);
  }
}
