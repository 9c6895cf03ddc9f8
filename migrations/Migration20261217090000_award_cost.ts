import { Migration } from '@mikro-orm/migrations';
import { EFFECTS_REWARD_STOCK } from './Migration20261213090000_campaign_reward_stock';
import { replaceOnce } from './Migration20261210090000_budget_free_slot';
import { CAPTURES, captureFunction, emitRows } from './Migration20261205100000_webhook_capture';

/**
 * A campaign award at less CPU, doing what it did (issue 24: purchase throughput with a budgeted
 * campaign active ≥ 80% of none; docs/benchmarks.md, "Campaigns: purchases with a budgeted
 * campaign active"). Two kinds of waste, each measured (pg_stat_statements, pgbench replaying the
 * purchase's statement, alternating):
 *
 * - **The free slot was found by reading every slot.** The take's `order by (slot − home) & 31
 *   limit 1 for update skip locked` (migration budget_free_slot) cannot follow an index: it read
 *   and sorted the campaign's 32 slot rows at every award, by a sequential scan once the table
 *   had spread over pages (32 rows updated at every award: 26 pages after 130,000 awards, read
 *   whole each time). The same order is three probes of the primary key (campaign_id, slot):
 *   the member's slot (`slot = home`, one row), then those after it (`slot > home order by
 *   slot`), then those before it (`slot < home order by slot`), each read only when the ones
 *   before found no free slot with room. An award now reads its slot's row, not the campaign's 32; the slot chosen, the skip of
 *   a held slot and the budget's invariant are unchanged. In campaign_effects and
 *   campaign_budget_take alike.
 * - **The point_transaction capture trigger looked up the endpoints before its rows.** It fires
 *   on every insert into point_transaction (a purchase's EARN, an award's BONUS) and writes only
 *   for ADJUST and EXPIRE rows; it asked webhook_capture_types (a function, the transaction's
 *   setting, a read of webhook_endpoint) first and its own rows (a look at the one-row transition
 *   table) second. Now the rows first: for an EARN or a BONUS it returns without the lookup. The
 *   events written for an ADJUST or an EXPIRE are unchanged.
 */
export const HOME = 'hashtext(p_member::text) & 31';

/** The free-slot probe as migration budget_free_slot wrote it. */
const anyOrder = (campaign: string, amount: string) => `(select s.slot from campaign_budget s
                  where s.campaign_id = ${campaign} and s.remaining >= ${amount}
                  order by (s.slot - (${HOME})) & 31 limit 1 for update skip locked)`;

/**
 * The same slot in the same order, each probe by the primary key: the member's slot (one row),
 * else the first after it, else the first from 0 (each read only when the one before found no
 * free slot with room).
 */
export const byIndex = (campaign: string, amount: string) => `coalesce((select s.slot from campaign_budget s
                  where s.campaign_id = ${campaign} and s.slot = ${HOME} and s.remaining >= ${amount}
                  for update skip locked), (select s.slot from campaign_budget s
                  where s.campaign_id = ${campaign} and s.slot > ${HOME} and s.remaining >= ${amount}
                  order by s.slot limit 1 for update skip locked), (select s.slot from campaign_budget s
                  where s.campaign_id = ${campaign} and s.slot < ${HOME} and s.remaining >= ${amount}
                  order by s.slot limit 1 for update skip locked))`;

const EFFECTS_BY_INDEX = replaceOnce(EFFECTS_REWARD_STOCK, anyOrder('c.id', 'p_points[i]'), byIndex('c.id', 'p_points[i]'));

/** campaign_budget_take as migration budget_free_slot wrote it, its free slot found by `free`. */
export const take = (free: string) => `create or replace function campaign_budget_take(p_campaign uuid, p_member uuid, p_amount int) returns boolean
      language plpgsql volatile as $$
      declare
        v_slot int := ${HOME};
        v_total bigint;
        v_left bigint;
      begin
        if p_amount <= 0 then return true; end if;
        -- a free slot with room first, then the member's slot (waiting for it), then every slot
        update campaign_budget set remaining = remaining - p_amount
          where campaign_id = p_campaign and slot = ${free} and remaining >= p_amount;
        if found then return true; end if;
        update campaign_budget set remaining = remaining - p_amount
          where campaign_id = p_campaign and slot = v_slot and remaining >= p_amount;
        if found then return true; end if;
        perform 1 from campaign_budget b where b.campaign_id = p_campaign order by b.slot for update;
        select coalesce(sum(b.remaining), 0) into v_total from campaign_budget b where b.campaign_id = p_campaign;
        if v_total < p_amount then return false; end if;
        v_left := v_total - p_amount;
        update campaign_budget set remaining = v_left / 32 + case when slot < v_left % 32 then 1 else 0 end where campaign_id = p_campaign;
        return true;
      end $$;`;

const POINTS = CAPTURES.find((c) => c.fn === 'webhook_capture_points');
if (!POINTS?.guard) throw new Error('award_cost: webhook_capture_points changed');

/** webhook_capture_points with its rows looked at before the endpoints (the capture itself as captureFunction writes it). */
function pointsRowsFirst(): string {
  const types = POINTS!.types.map((t) => `'${t}'`).join(', ');
  return `create or replace function ${POINTS!.fn}() returns trigger language plpgsql as $$
    begin
      -- Most inserts (a purchase's EARN, an award's BONUS) have no row to report: that first, then whether an endpoint wants one.
      if not (${POINTS!.guard}) or cardinality(webhook_capture_types(array[${types}])) = 0 then
        return null;
      end if;${emitRows(POINTS!.events)}
      return null;
    end $$;`;
}

export class Migration20261217090000_award_cost extends Migration {
  override async up(): Promise<void> {
    this.addSql(EFFECTS_BY_INDEX);
    this.addSql(take(byIndex('p_campaign', 'p_amount')));
    this.addSql(pointsRowsFirst());
  }

  override async down(): Promise<void> {
    this.addSql(captureFunction(POINTS!.fn, POINTS!.types, emitRows(POINTS!.events), POINTS!.guard));
    this.addSql(take(anyOrder('p_campaign', 'p_amount')));
    this.addSql(EFFECTS_REWARD_STOCK);
  }
}
