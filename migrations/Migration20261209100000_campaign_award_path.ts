import { Migration } from '@mikro-orm/migrations';
import { EFFECTS } from './Migration20261207093000_campaign_effects';

/**
 * A purchase's campaign award at less cost (issue 24: purchase throughput with a budgeted
 * campaign active ≥ 80% of none; docs/benchmarks.md, "Campaigns: purchases with a budgeted
 * campaign active"). `campaign_effects` does what migration campaign_effects's did, with the
 * same arguments, checks in the same order, rows and writes, in fewer statements (each SPI
 * statement of a PL/pgSQL function pays an executor start and end of its own):
 *
 * - one read for every check: the campaign, the member's arm, whether the event was rewarded
 *   already, the member's awards (a per-member limit), and (with the ledger) the account's
 *   balance and the guard (no debt to repay first, no expiry watermark at or above the lot);
 *   before, five to seven statements;
 * - a member without an arm is assigned by an insert that returns the arm it wrote (read again
 *   only when a racing event wrote it first), instead of an insert on conflict (the hash of
 *   campaign_control computed at every event) followed by a read;
 * - the BONUS transaction, its lot, the account and the award row written by one statement
 *   (data-modifying CTEs) instead of four.
 *
 * And a budget is spread over 32 slots instead of 8: a take holds its member's slot until the
 * purchase commits, so with 8 a purchase met another holding its slot often enough to show
 * as waits on a loaded machine (pg_stat_statements: the take's UPDATE the costliest statement
 * of an award). The rest of the budget's design is unchanged (campaign_budget_take: the
 * member's slot, else every slot locked in slot order and the sum spread again).
 *
 * And campaign_member loses its index by member alone, which no query reads (every read goes
 * by campaign first: the primary key) and every new arm paid for.
 */
export class Migration20261209100000_campaign_award_path extends Migration {
  override async up(): Promise<void> {
    this.addSql(FAST);
    for (const sql of budget(SLOTS)) this.addSql(sql);
    // No query reads campaign_member by member alone (the arm's read, the counts, the report and
    // the assignment all go by campaign first: the primary key); every new arm paid for it.
    this.addSql('drop index if exists "campaign_member_member_id_index";');
  }

  override async down(): Promise<void> {
    this.addSql('create index if not exists "campaign_member_member_id_index" on "campaign_member" ("member_id");');
    this.addSql(EFFECTS);
    for (const sql of budget(8)) this.addSql(sql);
  }
}

/** A budget's slots (migration campaign_effects had 8). */
const SLOTS = 32;

/**
 * campaign_budget_reset, campaign_budget_take and campaign_budget_return as migration
 * campaign_effects wrote them, over `n` slots, and every budget spread again over them.
 */
export function budget(n: number): string[] {
  return [
    `create or replace function campaign_budget_reset(p_campaign uuid) returns void language plpgsql volatile as $$
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
          select p_campaign, s, v_rest / ${n} + case when s < v_rest % ${n} then 1 else 0 end from generate_series(0, ${n - 1}) s;
      end $$;`,
    `create or replace function campaign_budget_take(p_campaign uuid, p_member uuid, p_amount int) returns boolean
      language plpgsql volatile as $$
      declare
        v_slot int := hashtext(p_member::text) & ${n - 1};
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
        update campaign_budget set remaining = v_left / ${n} + case when slot < v_left % ${n} then 1 else 0 end where campaign_id = p_campaign;
        return true;
      end $$;`,
    `create or replace function campaign_budget_return(p_campaign uuid, p_member uuid, p_amount int) returns void
      language plpgsql volatile as $$
      begin
        if p_amount <= 0 then return; end if;
        update campaign_budget set remaining = remaining + p_amount where campaign_id = p_campaign and slot = hashtext(p_member::text) & ${n - 1};
      end $$;`,
    // Every budget over the new slots (its rest is recounted from its awards, as a change of budget_points does).
    `select campaign_budget_reset(id) from campaign where budget_points is not null;`,
  ];
}

/**
 * The BONUS transaction, its lot, the account and the award row as one statement's CTEs (its
 * head, `with` before it); `from`: a CTE whose row the writes need (the budget's take), none
 * written without it. Points `points`; the account and the guard as campaign_effects read them (c).
 */
function write(from: string | null, points: string): string {
  return `t as (
              insert into point_transaction (member_id, type, amount, balance_after, occurred_at, expires_at, reason, reference, idempotency_key, unrecovered, created_at)
                select p_member, 'BONUS', ${points}, c.balance + ${points}, p_at, p_expires, 'campaign ' || c.code, c.code,
                  'campaign:' || c.code || ':' || p_source, 0, now()${from ? ` from ${from}` : ''}
                returning id
            ), l as (
              insert into point_lot (member_id, transaction_id, points, remaining, earned_at, activates_at, expires_at, order_id, late)
                select p_member, t.id, ${points}, ${points}, p_at, p_activates, p_expires, null, coalesce(p_expires <= now(), false) from t
            ), b as (
              update point_account set balance = c.balance + ${points}, lifetime_earned = lifetime_earned + ${points}, updated_at = now()
                where member_id = p_member and exists (select 1 from t)
            )
            insert into campaign_award (campaign_id, member_id, source, occurred_at, points, reward_points, transaction_id, coupon_id)
              select c.id, p_member, p_source, p_at, ${points}, v_cost, t.id, f_coupon from t
              returning id, transaction_id into f_award, f_transaction;`;
}

/** campaign_effects as this migration writes it (exported: migration budget_free_slot changes its take alone). */
export const FAST = `create or replace function campaign_effects(
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
      begin
        for i in 1 .. coalesce(array_length(p_campaigns, 1), 0) loop
          f_campaign := p_campaigns[i]; f_code := null; f_points := 0; f_reward_points := 0; f_award := null; f_transaction := null; f_coupon := null;
          -- One read for what the checks below look at: the campaign, the member's arm, whether the
          -- event was rewarded already, the member's awards (a per-member limit), and (with the
          -- ledger) the account and the guard on it. The caller holds the member's account, and
          -- nothing of this function's own writes before the checks moves them.
          select cp.*, cm.control as arm, exists (select 1 from campaign_award a where a.campaign_id = cp.id and a.source = p_source) as replay,
              case when cp.per_member_limit is not null then (select count(*) from campaign_award a where a.member_id = p_member and a.campaign_id = cp.id) end as awarded,
              case when p_ledger then (select a.balance from point_account a where a.member_id = p_member) end as balance,
              case when p_ledger then (select a.balance < 0 or coalesce(p_expires <= a.expired_through, false) from point_account a where a.member_id = p_member)
                or exists (select 1 from point_lot l where l.member_id = p_member and l.remaining < 0) end as debt
            into c from campaign cp left join campaign_member cm on cm.campaign_id = cp.id and cm.member_id = p_member where cp.id = p_campaigns[i];
          if not found then f_status := 'INACTIVE'; return next; continue; end if;
          f_code := c.code;
          if c.status <> 'ACTIVE' or p_at < c.starts_at or (c.ends_at is not null and p_at >= c.ends_at) then
            f_status := 'INACTIVE'; return next; continue;
          end if;
          if not p_inside[i] then f_status := 'OUTSIDE'; return next; continue; end if;
          -- A member without an arm yet is assigned (an insert that returns the arm it wrote; read again when a racing event wrote it first).
          v_control := c.arm;
          if v_control is null then
            insert into campaign_member (campaign_id, member_id, control) values (c.id, p_member, campaign_control(c.id, p_member, c.control_percent))
              on conflict do nothing returning control into v_control;
            if not found then
              select cm.control into v_control from campaign_member cm where cm.campaign_id = c.id and cm.member_id = p_member;
            end if;
          end if;
          if v_control then f_status := 'CONTROL'; return next; continue; end if;
          if c.replay then f_status := 'REPLAY'; return next; continue; end if;
          if c.per_member_limit is not null and c.awarded >= c.per_member_limit then
            f_status := 'LIMIT'; return next; continue;
          end if;
          v_reward := null; v_days := null; v_cost := 0;
          if c.reward_code is not null then
            select r.id, r.cost_points, r.coupon_valid_days into v_reward, v_cost, v_days from reward r where r.code = c.reward_code and r.active;
            v_cost := coalesce(v_cost, 0);
          end if;
          if coalesce(p_points[i], 0) <= 0 and v_reward is null then f_status := 'NOTHING'; return next; continue; end if;
          if c.budget_points is not null and v_reward is null and p_ledger and coalesce(p_points[i], 0) > 0 and not coalesce(c.debt, true) then
            -- The usual award of a budgeted campaign (points, no coupon, the ledger here): the take from
            -- the member's slot (as campaign_budget_take's first step) and the writes in one statement,
            -- which writes nothing when the slot cannot cover it: then campaign_budget_take below.
            with k as (
              update campaign_budget set remaining = remaining - p_points[i]
                where campaign_id = c.id and slot = hashtext(p_member::text) & ${SLOTS - 1} and remaining >= p_points[i]
                returning 1
            ), ${write('k', 'p_points[i]')}
            if found then
              f_points := p_points[i]; f_status := 'AWARDED'; return next; continue;
            end if;
          end if;
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
            if c.debt then
              raise exception 'campaign bonus needs the credit path (debt or expiry watermark)' using errcode = 'LC001';
            end if;
            -- The BONUS transaction, its lot, the account and the award: one statement.
            with ${write(null, 'f_points')}
          else
            insert into campaign_award (campaign_id, member_id, source, occurred_at, points, reward_points, transaction_id, coupon_id)
              values (c.id, p_member, p_source, p_at, f_points, v_cost, f_transaction, f_coupon)
              returning id into f_award;
          end if;
          f_status := 'AWARDED';
          return next;
        end loop;
      end $$;`;

