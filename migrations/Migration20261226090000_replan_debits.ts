import { Migration } from '@mikro-orm/migrations';
import { PURCHASE_AT_ONCE, PURCHASE_FACTS } from './Migration20261205120000_member_erasure';
import { replaceOnce } from './Migration20261210090000_budget_free_slot';

/**
 * A backdated credit re-plans the debits after it (docs/decisions.md): a lot written dated
 * before a member's redemption or negative adjustment makes those debits take from it as if it
 * had arrived first (PointsService.replan, statement by statement, its account held). The
 * purchase's one-statement paths write a lot themselves, so they step aside when the member has
 * such a debit dated at or after the lot, as they do for a debt or a lot under the watermark:
 *
 * - `point_transaction_member_debit_index`: the member's debits (REDEEM, and ADJUST at or below 0)
 *   by date. Only debits enter it: a purchase's EARN adds nothing to it, and its check is one
 *   probe that finds nothing for a purchase dated now.
 * - `purchase_at_once` answers 'stepwise' (the transaction path takes the purchase) when such a
 *   debit is dated at or after the lot's activation.
 * - `purchase_facts` says so (`f_debits_after`, a debit dated at or after the purchase's
 *   instant: the lot activates then or later), and purchaseDecided leaves the purchase to
 *   the stepwise path, whose credit() re-plans. Its result gains a column: dropped and created.
 */
export const DEBIT_AFTER = (at: string) => `exists (select 1 from point_transaction t where t.member_id = p_member and t.type in ('REDEEM', 'ADJUST')
          and t.amount <= 0 and t.occurred_at >= ${at})`;

const AT_ONCE_GUARD = `        if v_stale or v_at is null or v_balance < 0 or exists (select 1 from point_lot l where l.member_id = p_member and l.remaining < 0) then`;
export const AT_ONCE = replaceOnce(PURCHASE_AT_ONCE, AT_ONCE_GUARD, `${AT_ONCE_GUARD.slice(0, -5)}
          or ${DEBIT_AFTER('p_activates')} then`);

export const FACTS_SIGNATURE = 'purchase_facts(uuid, text, timestamptz, int, bigint, timestamptz, boolean)';
export const FACTS = replaceOnce(
  replaceOnce(PURCHASE_FACTS, 'f_tier uuid, f_stale boolean, f_debt boolean,', 'f_tier uuid, f_stale boolean, f_debt boolean, f_debits_after boolean,'),
  `        f_debt := f_balance < 0 or exists (select 1 from point_lot l where l.member_id = p_member and l.remaining < 0);
`,
  `        f_debt := f_balance < 0 or exists (select 1 from point_lot l where l.member_id = p_member and l.remaining < 0);
        f_debits_after := ${DEBIT_AFTER('p_at')};
`);

export class Migration20261226090000_replan_debits extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index if not exists "point_transaction_member_debit_index" on "point_transaction" ("member_id", "occurred_at")
      where type in ('REDEEM', 'ADJUST') and amount <= 0;`);
    this.addSql(AT_ONCE);
    this.addSql(`drop function if exists ${FACTS_SIGNATURE};`);
    this.addSql(FACTS);
  }

  override async down(): Promise<void> {
    this.addSql(`drop function if exists ${FACTS_SIGNATURE};`);
    this.addSql(PURCHASE_FACTS);
    this.addSql(PURCHASE_AT_ONCE);
    this.addSql('drop index if exists "point_transaction_member_debit_index";');
  }
}
