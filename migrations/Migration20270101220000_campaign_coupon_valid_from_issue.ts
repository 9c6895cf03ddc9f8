import { Migration } from '@mikro-orm/migrations';
import { rewriteFunctions } from './Migration20261228090000_webhook_fanout';

/**
 * A campaign's coupon is valid for the reward's `couponValidDays` from when the member could
 * first have it: its event's instant, or, for an event written more than the five minutes a back
 * end's clock may run ahead after it (a till syncing two days of offline sales), the award's
 * write. It expired `couponValidDays` after the event's instant, so such a purchase got a coupon
 * of a one-day reward that was EXPIRED from the start, which still took a unit of stock, the
 * campaign's budget and a place in the member's per-member limit. The coupon is still issued at
 * the event's instant (`created_at`): a till's use dated after its purchase stays valid, and an
 * event written on time gets the validity it always had. (A redemption the caller itself dates in
 * the past is the caller's: redeemReward keeps counting its coupon's days from occurredAt.)
 * The write's instant is the database's (`now()`, the statement's transaction), the clock every
 * award is written by.
 */
const FORMS: [string, string][] = [
  ['else p_at \\+ make_interval\\(secs => v_days \\* 86400\\) end',
    "else (case when now() - p_at > interval '5 minutes' then now() else p_at end) + make_interval(secs => v_days * 86400) end"],
];
const BACK: [string, string][] = [
  ["else \\(case when now\\(\\) - p_at > interval '5 minutes' then now\\(\\) else p_at end\\) \\+ make_interval\\(secs => v_days \\* 86400\\) end",
    'else p_at + make_interval(secs => v_days * 86400) end'],
];

export class Migration20270101220000_campaign_coupon_valid_from_issue extends Migration {
  override async up(): Promise<void> {
    for (const [pattern, replacement] of FORMS) this.addSql(rewriteFunctions(pattern, replacement));
  }

  override async down(): Promise<void> {
    for (const [pattern, replacement] of BACK) this.addSql(rewriteFunctions(pattern, replacement));
  }
}
