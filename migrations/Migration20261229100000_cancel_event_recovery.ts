import { Migration } from '@mikro-orm/migrations';
import { CAPTURES, captureFunction, emitRows } from './Migration20261205100000_webhook_capture';
import { replaceOnce } from './Migration20261210090000_budget_free_slot';
import { queuedCapture } from './Migration20261228090000_webhook_fanout';

/**
 * `redemption.cancelled` carries `pointsTakenByRefunds`, and its `balanceAfter` is the balance
 * once they took them. A cancellation gives the redemption's points back, then each refund the
 * redemption had kept short takes what it lacked from them (REFUND_REVERSAL rows keyed
 * 'refund-recovery:<the cancellation's transaction>:<the refund's reversal>', written before
 * the status update this event comes from: docs/decisions.md, "A cancelled redemption pays the
 * refunds it kept short"). Without them a receiver rebuilding the balance from events read +300
 * and a balance of 300 where the ledger's balance was 0. Additive: the other fields are as
 * they were; both are 0 and the cancellation's own balance when no refund took anything.
 */
const STATUS = CAPTURES.find((c) => c.fn === 'webhook_capture_redemption_status')!;
const CANCELLED_FIELDS = `'pointsReturned', coalesce(t.amount, 0), 'balanceAfter', t.balance_after, 'transactionId', t.id::text)`;
const CANCELLED_FROM = `where r.status = 'CANCELLED' and (select o.status from old_redemptions o where o.id = r.id) is distinct from 'CANCELLED'`;
/** The recoveries of the cancellation `t`: what they took, and the balance after the last one (a lookup kept apart, as the capture's others). */
const RECOVERIES = `left join lateral (select -sum(x.amount)::int as taken, (array_agg(x.balance_after order by x.id desc))[1] as balance_after
          from point_transaction x where x.member_id = r.member_id and x.type = 'REFUND_REVERSAL'
            and x.idempotency_key like 'refund-recovery:' || t.id::text || ':%' offset 0) k on true
        `;
export const WITH_RECOVERIES = [
  [CANCELLED_FIELDS, `'pointsReturned', coalesce(t.amount, 0), 'pointsTakenByRefunds', coalesce(k.taken, 0), 'balanceAfter', coalesce(k.balance_after, t.balance_after), 'transactionId', t.id::text)`],
  [CANCELLED_FROM, RECOVERIES + CANCELLED_FROM],
].reduce((text, [from, to]) => replaceOnce(text, from, to), STATUS.events);

export class Migration20261229100000_cancel_event_recovery extends Migration {
  override async up(): Promise<void> {
    this.addSql(queuedCapture(captureFunction(STATUS.fn, STATUS.types, emitRows(WITH_RECOVERIES), STATUS.guard)));
  }

  override async down(): Promise<void> {
    this.addSql(queuedCapture(captureFunction(STATUS.fn, STATUS.types, emitRows(STATUS.events), STATUS.guard)));
  }
}
