import { Migration } from '@mikro-orm/migrations';
import { REFERRAL_COMPLETE } from './Migration20261208110000_referral_completion';
import { replaceOnce } from './Migration20261210090000_budget_free_slot';

/**
 * A referral whose referrer cannot take its points is REJECTED with its reason, as one over the
 * monthly limit is, and the referee's purchase is recorded. referral_complete credited the
 * referrer as it was: with a balance or lifetime points that the referrer points would take past
 * 2,147,483,647 (the points columns are int), the referee's first purchase, a store's valid
 * request about another member, was refused with BAD_USER_INPUT on `amount`, and every retry with
 * it, until the referrer spent its points.
 */
const LIMIT_CHECKED = `          f_reason := format('the referrer reached its limit of %s completed referrals this month', p_limit);
        end if;
`;
const RANGE_CHECKED = `${LIMIT_CHECKED}        if f_reason is null and coalesce(p_referrer_points, 0) > 0 and exists (select 1 from point_account a where a.member_id = r.referrer_id
            and (a.balance::bigint + p_referrer_points > 2147483647 or a.lifetime_earned::bigint + p_referrer_points > 2147483647)) then
          f_reason := 'the referrer''s points would pass 2147483647';
        end if;
`;

/** referral_complete as this migration leaves it. */
export const REFERRAL_COMPLETE_RANGED = replaceOnce(REFERRAL_COMPLETE, LIMIT_CHECKED, RANGE_CHECKED);

export class Migration20261224090000_referral_points_range extends Migration {
  override async up(): Promise<void> {
    this.addSql(REFERRAL_COMPLETE_RANGED);
  }

  override async down(): Promise<void> {
    this.addSql(REFERRAL_COMPLETE);
  }
}
