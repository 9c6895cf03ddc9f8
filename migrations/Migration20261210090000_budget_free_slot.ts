import { Migration } from '@mikro-orm/migrations';
import { budget, FAST } from './Migration20261209100000_campaign_award_path';

/**
 * A budgeted award takes from a slot no other purchase holds (issue 24: a budgeted campaign must
 * not serialise purchases). A take holds its slot's row until the purchase commits, its WAL
 * flush included; with the take pinned to the member's slot (hashtext & 31), 32 clients met
 * another purchase holding their slot on most takes, and waited for its commit. Now the take
 * locks the first slot, counting on from the member's, that has room and that no transaction
 * holds (`for update skip locked`); only when every such slot is held does it fall back to
 * campaign_budget_take, which then waits for the member's slot as before and, when that cannot
 * cover the amount, locks every slot in slot order and spreads the rest again.
 *
 * The budget's invariant is the slots': every take decrements one locked row whose remaining
 * covers the amount (the check constraint remaining >= 0 stands behind it), so Σ remaining +
 * Σ awards = budget however the takes are spread; campaign_budget_return still returns to the
 * member's slot (any slot keeps the sum).
 */
const HOME = `hashtext(p_member::text) & 31`;

/** The first free slot with room for `amount`, counting on from the member's (locked by this statement; null when none). */
const freeSlot = (campaign: string, amount: string) => `(select s.slot from campaign_budget s
                  where s.campaign_id = ${campaign} and s.remaining >= ${amount}
                  order by (s.slot - (${HOME})) & 31 limit 1 for update skip locked)`;

const PINNED_TAKE = `where campaign_id = c.id and slot = ${HOME} and remaining >= p_points[i]`;
const FREE_TAKE = `where campaign_id = c.id and slot = ${freeSlot('c.id', 'p_points[i]')} and remaining >= p_points[i]`;

/** `text` with its one `from` replaced by `to` (exported: a later migration edits this one's function the same way). */
export function replaceOnce(text: string, from: string, to: string): string {
  const at = text.indexOf(from);
  if (at < 0 || text.indexOf(from, at + 1) >= 0) throw new Error(`expected one "${from}"`);
  return text.slice(0, at) + to + text.slice(at + from.length);
}

/** campaign_budget_take as migration campaign_award_path wrote it, with a free slot tried before the member's. */
const PINNED_FIRST = `        update campaign_budget set remaining = remaining - p_amount
          where campaign_id = p_campaign and slot = v_slot and remaining >= p_amount;`;
const TAKE = replaceOnce(budget(32)[1], PINNED_FIRST, `        -- a free slot with room first, then the member's slot (waiting for it), then every slot
        update campaign_budget set remaining = remaining - p_amount
          where campaign_id = p_campaign and slot = ${freeSlot('p_campaign', 'p_amount')} and remaining >= p_amount;
        if found then return true; end if;
${PINNED_FIRST}`);

/** campaign_effects as this migration writes it (exported: migration campaign_reward_stock changes its reward alone). */
export const EFFECTS_FREE_SLOT = replaceOnce(FAST, PINNED_TAKE, FREE_TAKE);

export class Migration20261210090000_budget_free_slot extends Migration {
  override async up(): Promise<void> {
    this.addSql(EFFECTS_FREE_SLOT);
    this.addSql(TAKE);
  }

  override async down(): Promise<void> {
    this.addSql(FAST);
    this.addSql(budget(32)[1]);
  }
}
