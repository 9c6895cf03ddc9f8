import { Migration } from '@mikro-orm/migrations';
import { replaceOnce } from './Migration20261210090000_budget_free_slot';
import { AT_ONCE_SHORT, FACTS_SHORT, SHORT_REFUND_AFTER } from './Migration20261230110000_short_refund_paid_by_credit';

/**
 * A cancelled redemption is re-planned with the debits when a backdated write arrives
 * (PointsService.planInDateOrder, docs/decisions.md "A backdated credit re-plans the debits
 * after it"): it holds what it took until its cancellation, which gives back to the lots not
 * past their expiry then. What the cancellation gives back may change: a REDEMPTION_CANCEL
 * correction keyed `cancel-replan:<cause>:<debit>`.
 *
 * - `point_transaction_cancel_replan_index`: those corrections by member and debit, which the
 *   next re-plan adds up with the cancellation (few rows).
 * - `redemption_member_cancelled_index`: a member's cancelled redemptions by their cancellation's
 *   instant. A write dated before a cancellation re-plans even when the redemption is dated
 *   before it (the cancellation's points were not there yet): the probes that decide whether a
 *   write re-plans (points.repository.ts mayHaveDebitsFrom, and the purchase's one-statement
 *   paths, which step aside for the transaction path as for a debit dated after the lot) look
 *   there too: one probe that finds nothing for almost every member.
 */
const CANCEL_AFTER = (at: string) => `exists (select 1 from redemption y where y.member_id = p_member and y.status = 'CANCELLED' and y.cancelled_at >= ${at})`;

const AT_ONCE_CANCEL = replaceOnce(AT_ONCE_SHORT, `or ${SHORT_REFUND_AFTER('p_activates')} then`, `or ${SHORT_REFUND_AFTER('p_activates')} or ${CANCEL_AFTER('p_activates')} then`);
const FACTS_CANCEL = replaceOnce(FACTS_SHORT, `or ${SHORT_REFUND_AFTER('p_at')};`, `or ${SHORT_REFUND_AFTER('p_at')} or ${CANCEL_AFTER('p_at')};`);

export class Migration20261231110000_cancel_replan extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index if not exists "point_transaction_cancel_replan_index" on "point_transaction" ("member_id", split_part(idempotency_key, ':', 3))
      where type = 'REDEMPTION_CANCEL' and idempotency_key like 'cancel-replan:%';`);
    this.addSql(`create index if not exists "redemption_member_cancelled_index" on "redemption" ("member_id", "cancelled_at") where status = 'CANCELLED';`);
    this.addSql(AT_ONCE_CANCEL);
    this.addSql(FACTS_CANCEL);
  }

  override async down(): Promise<void> {
    this.addSql(AT_ONCE_SHORT);
    this.addSql(FACTS_SHORT);
    this.addSql('drop index if exists "redemption_member_cancelled_index";');
    this.addSql('drop index if exists "point_transaction_cancel_replan_index";');
  }
}
