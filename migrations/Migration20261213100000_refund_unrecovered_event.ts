import { Migration } from '@mikro-orm/migrations';
import { CAPTURES, captureFunction, emitRows, transactionWhere } from './Migration20261205100000_webhook_capture';
import { replaceOnce } from './Migration20261210090000_budget_free_slot';

/**
 * `purchase.refunded` carries `pointsUnrecovered`: the part of `pointsReversed` the refund could
 * not take back because the member had spent it (domain.md: "what cannot be recovered is
 * recorded on the transaction"). Without it a receiver rebuilding the balance from events read
 * a reversal of 500 where the ledger's REFUND_REVERSAL took 200; now pointsReversed −
 * pointsUnrecovered is what the balance lost. Additive: the event's other fields are unchanged.
 */
const REFUND = CAPTURES.find((c) => c.fn === 'webhook_capture_refund')!;
export const WITH_UNRECOVERED = [
  [transactionWhere('t.id = r.transaction_id'), transactionWhere('t.id = r.transaction_id').replace('t.type from', 't.type, t.unrecovered from')],
  [`'balanceAfter', t.balance_after,`, `'pointsUnrecovered', coalesce(t.unrecovered, 0), 'balanceAfter', t.balance_after,`],
].reduce((text, [from, to]) => replaceOnce(text, from, to), REFUND.events);

export class Migration20261213100000_refund_unrecovered_event extends Migration {
  override async up(): Promise<void> {
    this.addSql(captureFunction(REFUND.fn, REFUND.types, emitRows(WITH_UNRECOVERED), REFUND.guard));
  }

  override async down(): Promise<void> {
    this.addSql(captureFunction(REFUND.fn, REFUND.types, emitRows(REFUND.events), REFUND.guard));
  }
}
