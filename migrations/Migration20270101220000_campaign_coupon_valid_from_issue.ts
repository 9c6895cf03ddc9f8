import { Migration } from '@mikro-orm/migrations';
import { rewriteFunctions } from './Migration20261228090000_webhook_fanout';

/**
 * A campaign's coupon is issued when the member could first have it: at its event's instant, or,
 * for an event written more than the five minutes a back end's clock may run ahead after it
 * (MAX_FUTURE_SKEW_MS; a till syncing two days of offline sales), at the award's write. Its
 * `expiresAt` stays the contract's "issue instant + couponValidDays × 24 h". It was always issued
 * at the event's instant, so such a purchase got a coupon of a one-day reward that was EXPIRED
 * from the start, which still took a unit of stock, the campaign's budget and a place in the
 * member's per-member limit. An event written on time is issued as before (a till's use dated
 * between its purchase and the purchase's arrival stays valid); a late one's coupon did not
 * exist before its write, so no use can be dated before it. (A redemption the caller itself
 * dates in the past is the caller's: redeemReward keeps issuing its coupon at occurredAt.) The
 * write's instant is the database's (`now()`, the statement's transaction).
 */
const ISSUED = "(case when now() - p_at > interval '5 minutes' then now() else p_at end)";
const ISSUED_RE = "\\(case when now\\(\\) - p_at > interval '5 minutes' then now\\(\\) else p_at end\\)";
const FORMS: [string, string][] = [
  ['p_source, null, p_at,', `p_source, null, ${ISSUED},`],
  ['else p_at \\+ make_interval\\(secs => v_days \\* 86400\\) end', `else ${ISSUED} + make_interval(secs => v_days * 86400) end`],
];
const BACK: [string, string][] = [
  [`p_source, null, ${ISSUED_RE},`, 'p_source, null, p_at,'],
  [`else ${ISSUED_RE} \\+ make_interval\\(secs => v_days \\* 86400\\) end`, 'else p_at + make_interval(secs => v_days * 86400) end'],
];

export class Migration20270101220000_campaign_coupon_valid_from_issue extends Migration {
  override async up(): Promise<void> {
    for (const [pattern, replacement] of FORMS) this.addSql(rewriteFunctions(pattern, replacement));
  }

  override async down(): Promise<void> {
    for (const [pattern, replacement] of BACK) this.addSql(rewriteFunctions(pattern, replacement));
  }
}
