import { Migration } from '@mikro-orm/migrations';
import { rewriteFunctions } from './Migration20261228090000_webhook_fanout';

/**
 * A campaign's coupon is issued when the award is written, and its `couponValidDays` count from
 * then: the later of the event's instant and the transaction's. It was dated at the event's
 * instant, so a purchase posted late (a till syncing two days of offline sales) got a coupon of a
 * one-day reward that was EXPIRED from the start, which still took a unit of stock, the
 * campaign's budget and a place in the member's per-member limit. A coupon cannot be used before
 * it exists: the validity the reward promises now starts at its issue. (A redemption the caller
 * itself dates in the past is the caller's: redeemReward keeps dating its coupon at occurredAt.)
 */
const FORMS: [string, string][] = [
  ["p_source, null, p_at,", 'p_source, null, greatest(p_at, now()),'],
  ['else p_at \\+ make_interval\\(secs => v_days \\* 86400\\) end', 'else greatest(p_at, now()) + make_interval(secs => v_days * 86400) end'],
];
const BACK: [string, string][] = [
  ['p_source, null, greatest\\(p_at, now\\(\\)\\),', 'p_source, null, p_at,'],
  ['else greatest\\(p_at, now\\(\\)\\) \\+ make_interval\\(secs => v_days \\* 86400\\) end', 'else p_at + make_interval(secs => v_days * 86400) end'],
];

export class Migration20270101220000_campaign_coupon_valid_from_issue extends Migration {
  override async up(): Promise<void> {
    for (const [pattern, replacement] of FORMS) this.addSql(rewriteFunctions(pattern, replacement));
  }

  override async down(): Promise<void> {
    for (const [pattern, replacement] of BACK) this.addSql(rewriteFunctions(pattern, replacement));
  }
}
