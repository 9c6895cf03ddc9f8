import { Migration } from '@mikro-orm/migrations';
import { rewriteFunctions } from './Migration20261228090000_webhook_fanout';
import { replaceOnce } from './Migration20261210090000_budget_free_slot';
import { byIndex, HOME, take } from './Migration20261217090000_award_cost';
import { budgetReturn, RETURN_GATE } from './Migration20261221090000_campaign_budget_gate';

/**
 * A budgeted award finds a free slot by an advisory lock, not by locking slot rows (issue 24: a
 * budgeted campaign's purchases at ≥ 0.80 of none's throughput; docs/benchmarks.md). The take
 * before locked the row it chose (`for update skip locked`, up to three probes of the key, each
 * skipped row's holder looked up) and then updated it: two writes of the same hot row (the lock
 * is a WAL record and a dirtied page too), under 32 clients a quarter to a third of a millisecond
 * of PostgreSQL's CPU per take in pgbench (a take's transaction 0.66–0.86 ms against 0.45–0.55
 * without one; the same with an advisory lock: 0.55–0.62).
 *
 * Now (campaign_budget_take_free) a take tries the slots from this backend's (pg_backend_pid() &
 * 31, so that concurrent connections start apart) with `pg_try_advisory_xact_lock` on (slot key,
 * campaign # slot): a slot another take holds is passed over without waiting, as before, and the
 * first one held here whose row covers the amount is decremented by one update. The budget's
 * invariant is the rows' as before: every take is an update of one row `where remaining >=
 * amount`, which PostgreSQL re-checks on the row's latest version after any wait, so no slot goes
 * below zero (the check constraint stands behind it) and Σ remaining + Σ awards = budget however
 * the takes are spread; the advisory lock only keeps takes from queueing on one another.
 * campaign_budget_take then goes on as before (the member's slot, waiting for its row; then every
 * slot locked in slot order and the rest spread again), and campaign_budget_return takes its
 * slot's advisory lock (waiting) before adding to it, so a take passes over a slot a refund is
 * writing to rather than wait for the refund's commit.
 *
 * campaign_effects loses its one-statement budgeted award (the take by row locks inside the
 * award's CTE): a budgeted award takes through campaign_budget_take, then writes its BONUS
 * transaction, lot, account and award in one statement, as an award with a coupon or without a
 * budget does.
 */
const SLOT_KEY = "hashtext('campaign.budget.slot')";

const TAKE_FREE = `create or replace function campaign_budget_take_free(p_campaign uuid, p_amount int) returns boolean
      language plpgsql volatile as $$
      declare
        v_key int := ${SLOT_KEY};
        v_campaign int := hashtext(p_campaign::text);
        v_slot int;
      begin
        -- From this backend's slot on, each slot no other transaction holds, until one covers the amount.
        for k in 0 .. 31 loop
          v_slot := (pg_backend_pid() + k) & 31;
          if pg_try_advisory_xact_lock(v_key, v_campaign # v_slot) then
            update campaign_budget set remaining = remaining - p_amount
              where campaign_id = p_campaign and slot = v_slot and remaining >= p_amount;
            if found then return true; end if;
          end if;
        end loop;
        return false;
      end $$;`;

/** campaign_budget_take as migration award_cost wrote it, and its first step (the free slot by row locks). */
const TAKE_BEFORE = take(byIndex('p_campaign', 'p_amount'));
const FIRST_BEFORE = `        -- a free slot with room first, then the member's slot (waiting for it), then every slot
        update campaign_budget set remaining = remaining - p_amount
          where campaign_id = p_campaign and slot = ${byIndex('p_campaign', 'p_amount')} and remaining >= p_amount;
        if found then return true; end if;
`;
const FIRST_NOW = `        -- a free slot with room first (campaign_budget_take_free), then the member's slot (waiting for it), then every slot
        if campaign_budget_take_free(p_campaign, p_amount) then return true; end if;
`;

/** campaign_budget_return as migration campaign_budget_gate wrote it, then with the slot's lock after the gate. */
const RETURN_BEFORE = budgetReturn(RETURN_GATE);
const RETURN_NOW = budgetReturn(`${RETURN_GATE}
        -- the slot's lock, as a take holds it: a take passes over this slot until the return commits
        perform pg_advisory_xact_lock(${SLOT_KEY}, hashtext(p_campaign::text) # (${HOME}));`);

/** campaign_effects' one-statement budgeted award, as migration campaign_award_path wrote it and award_cost left it (its take by row locks). */
const FAST_AWARD = `          if c.budget_points is not null and v_reward is null and p_ledger and coalesce(p_points[i], 0) > 0 and not coalesce(c.debt, true) then
            -- The usual award of a budgeted campaign (points, no coupon, the ledger here): the take from
            -- the member's slot (as campaign_budget_take's first step) and the writes in one statement,
            -- which writes nothing when the slot cannot cover it: then campaign_budget_take below.
            with k as (
              update campaign_budget set remaining = remaining - p_points[i]
                where campaign_id = c.id and slot = coalesce((select s.slot from campaign_budget s
                  where s.campaign_id = c.id and s.slot = hashtext(p_member::text) & 31 and s.remaining >= p_points[i]
                  for update skip locked), (select s.slot from campaign_budget s
                  where s.campaign_id = c.id and s.slot > hashtext(p_member::text) & 31 and s.remaining >= p_points[i]
                  order by s.slot limit 1 for update skip locked), (select s.slot from campaign_budget s
                  where s.campaign_id = c.id and s.slot < hashtext(p_member::text) & 31 and s.remaining >= p_points[i]
                  order by s.slot limit 1 for update skip locked)) and remaining >= p_points[i]
                returning 1
            ), t as (
              insert into point_transaction (member_id, type, amount, balance_after, occurred_at, expires_at, reason, reference, idempotency_key, unrecovered, created_at)
                select p_member, 'BONUS', p_points[i], c.balance + p_points[i], p_at, p_expires, 'campaign ' || c.code, c.code,
                  'campaign:' || c.code || ':' || p_source, 0, now() from k
                returning id
            ), l as (
              insert into point_lot (member_id, transaction_id, points, remaining, earned_at, activates_at, expires_at, order_id, late)
                select p_member, t.id, p_points[i], p_points[i], p_at, p_activates, p_expires, null, coalesce(p_expires <= now(), false) from t
            ), b as (
              update point_account set balance = c.balance + p_points[i], lifetime_earned = lifetime_earned + p_points[i], updated_at = now()
                where member_id = p_member and exists (select 1 from t)
            )
            insert into campaign_award (campaign_id, member_id, source, occurred_at, points, reward_points, transaction_id, coupon_id)
              select c.id, p_member, p_source, p_at, p_points[i], v_cost, t.id, f_coupon from t
              returning id, transaction_id into f_award, f_transaction;
            if found then
              f_points := p_points[i]; f_status := 'AWARDED'; return next; continue;
            end if;
          end if;
`;
const GENERAL_TAKE = '          if c.budget_points is not null and not campaign_budget_take(c.id, p_member, coalesce(p_points[i], 0) + v_cost) then';

const escapeRegex = (s: string) => s.replace(/[\\^$.*+?()[\]{}|]/g, (c) => `\\${c}`);

const check = (now: boolean) => `do $$ begin
    if ${now ? '' : 'not '}exists (select 1 from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = current_schema() and p.proname in ('campaign_effects', 'campaign_budget_take') and p.prosrc like '%skip locked%') then
      raise exception 'a take %', ${now ? "'still locks slot rows'" : "'is not back to its row locks'"};
    end if;
  end $$;`;

export class Migration20270102090000_budget_slot_locks extends Migration {
  override async up(): Promise<void> {
    this.addSql(TAKE_FREE);
    this.addSql(replaceOnce(TAKE_BEFORE, FIRST_BEFORE, FIRST_NOW));
    this.addSql(RETURN_NOW);
    this.addSql(rewriteFunctions(escapeRegex(FAST_AWARD), ''));
    this.addSql(check(true));
  }

  override async down(): Promise<void> {
    this.addSql(rewriteFunctions(`(${escapeRegex(GENERAL_TAKE)})`, FAST_AWARD + String.raw`\1`));
    this.addSql(RETURN_BEFORE);
    this.addSql(TAKE_BEFORE);
    this.addSql('drop function if exists campaign_budget_take_free(uuid, int);');
    this.addSql(check(false));
  }
}
