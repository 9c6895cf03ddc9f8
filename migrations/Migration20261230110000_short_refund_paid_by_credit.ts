import { Migration } from '@mikro-orm/migrations';
import { replaceOnce } from './Migration20261210090000_budget_free_slot';
import { AT_ONCE, DEBIT_AFTER, FACTS } from './Migration20261226090000_replan_debits';

/**
 * A lot written spendable at the instant of a refund that fell short (its reversal could not
 * take back all it reversed: `unrecovered`) pays what the refund still lacks (PointsService.replan,
 * docs/decisions.md "A backdated credit re-plans the debits after it"): in date order the
 * refund would have found it. Without it, P1 (260) expired, P0 (680) dated before the refund of
 * P1 but posted after it left the member 10 or 260 points that the refund takes in date order.
 *
 * The purchase's one-statement paths write a lot themselves, so they step aside for such a
 * refund as they do for a debit dated after the lot: `purchase_at_once` answers 'stepwise' and
 * `purchase_facts.f_debits_after` says so. `point_transaction_member_short_refund_index` holds
 * only the reversals that fell short (rare): one probe that finds nothing for almost every member.
 */
export const SHORT_REFUND_AFTER = (at: string) => `exists (select 1 from point_transaction t where t.member_id = p_member and t.type = 'REFUND_REVERSAL'
          and t.unrecovered > 0 and t.occurred_at >= ${at})`;

export const AT_ONCE_SHORT = replaceOnce(AT_ONCE, `or ${DEBIT_AFTER('p_activates')} then`, `or ${DEBIT_AFTER('p_activates')} or ${SHORT_REFUND_AFTER('p_activates')} then`);
export const FACTS_SHORT = replaceOnce(FACTS, `f_debits_after := ${DEBIT_AFTER('p_at')};`, `f_debits_after := ${DEBIT_AFTER('p_at')} or ${SHORT_REFUND_AFTER('p_at')};`);

export class Migration20261230110000_short_refund_paid_by_credit extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index if not exists "point_transaction_member_short_refund_index" on "point_transaction" ("member_id", "occurred_at")
      where type = 'REFUND_REVERSAL' and unrecovered > 0;`);
    this.addSql(AT_ONCE_SHORT);
    this.addSql(FACTS_SHORT);
  }

  override async down(): Promise<void> {
    this.addSql(AT_ONCE);
    this.addSql(FACTS);
    this.addSql('drop index if exists "point_transaction_member_short_refund_index";');
  }
}
