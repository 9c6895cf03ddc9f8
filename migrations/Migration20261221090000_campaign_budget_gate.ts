import { Migration } from '@mikro-orm/migrations';
import { EFFECTS_REWARD_STOCK } from './Migration20261213090000_campaign_reward_stock';
import { replaceOnce } from './Migration20261210090000_budget_free_slot';

/**
 * A budget given to a running campaign is never overspent (issue 24, "never overspent under
 * concurrency"). An award of a campaign without a budget takes no slot and read the campaign row
 * unlocked: the awards in flight when an edit gave the campaign a budget committed after it,
 * uncounted by the edit's check and by the slots' reset, and passed the new budget (budget 300
 * set while 390–600 were paid). Now each award takes a transaction-level SHARED advisory lock on
 * its campaign (class hashtext('campaign.budget'), key hashtext(campaign id)) before it reads
 * the campaign, in a statement of its own so that the read's snapshot is taken after the lock;
 * an edit that changes budget_points takes the same lock EXCLUSIVE before anything else
 * (campaigns.repository.ts `gateBudgetEdit`). Shared locks do not wait for each other and write
 * nothing: purchases of different members do not wait on each other.
 *
 * What a refund or a cancelled coupon gives back (campaign_budget_return) takes the gate shared
 * too: given back to a campaign without a budget it went nowhere (no slot), while the edit's reset,
 * not seeing the refund uncommitted, had counted the points as spent: the new budget then held
 * them as spent for good (budget − Σ slots above what the awards hold).
 */

const HOME = 'hashtext(p_member::text) & 31';

/** campaign_effects as migration award_cost wrote it: its free slot by three probes of the primary key (copied from there). */
const EFFECTS_BY_INDEX = replaceOnce(EFFECTS_REWARD_STOCK, `(select s.slot from campaign_budget s
                  where s.campaign_id = c.id and s.remaining >= p_points[i]
                  order by (s.slot - (${HOME})) & 31 limit 1 for update skip locked)`, `coalesce((select s.slot from campaign_budget s
                  where s.campaign_id = c.id and s.slot = ${HOME} and s.remaining >= p_points[i]
                  for update skip locked), (select s.slot from campaign_budget s
                  where s.campaign_id = c.id and s.slot > ${HOME} and s.remaining >= p_points[i]
                  order by s.slot limit 1 for update skip locked), (select s.slot from campaign_budget s
                  where s.campaign_id = c.id and s.slot < ${HOME} and s.remaining >= p_points[i]
                  order by s.slot limit 1 for update skip locked))`);

const READ = '          select cp.*, cm.control as arm,';

/** The award's gate: before its read of the campaign, in a statement of its own (READ COMMITTED: the read's snapshot comes after the lock). */
export const EFFECTS_GATED = replaceOnce(EFFECTS_BY_INDEX, READ, `          -- The campaign's budget gate, shared (an edit that gives, changes or removes the budget takes it exclusively first).
          perform pg_advisory_xact_lock_shared(hashtext('campaign.budget'), hashtext(p_campaigns[i]::text));
${READ}`);

/** campaign_budget_return as migration campaign_award_path wrote it, `gate` before its update. */
export const budgetReturn = (gate: string) => `create or replace function campaign_budget_return(p_campaign uuid, p_member uuid, p_amount int) returns void
      language plpgsql volatile as $$
      begin
        if p_amount <= 0 then return; end if;${gate}
        update campaign_budget set remaining = remaining + p_amount where campaign_id = p_campaign and slot = ${HOME};
      end $$;`;

/** What campaign_budget_return takes before its update: the budget gate, shared. */
export const RETURN_GATE = `
        -- the budget gate, shared: an edit of the budget waits for this to commit (its reset then counts what came back)
        perform pg_advisory_xact_lock_shared(hashtext('campaign.budget'), hashtext(p_campaign::text));`;

export class Migration20261221090000_campaign_budget_gate extends Migration {
  override async up(): Promise<void> {
    this.addSql(EFFECTS_GATED);
    this.addSql(budgetReturn(RETURN_GATE));
  }

  override async down(): Promise<void> {
    this.addSql(budgetReturn(''));
    this.addSql(EFFECTS_BY_INDEX);
  }
}
