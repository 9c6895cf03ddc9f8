import { Migration } from '@mikro-orm/migrations';
import { replaceOnce } from './Migration20261210090000_budget_free_slot';
import { PHONES_MATCH } from './Migration20270101150000_referral_phone_line';

/**
 * member_phones_match (migration referral_phone_line) narrowed and widened by what its reviews
 * found: a national number written with a trunk 0 is never matched to a +1 number (North America
 * has no trunk prefix: Berlin's `030 1234 5678` is not `+1 301 234 5678`), and Russia's and
 * Kazakhstan's trunk 8 is known (`8 912 345 67 89` is `+7 912 345 67 89`: the self-referral the
 * guard is for). What is left is in docs/decisions.md ("Registration", known limits): a national
 * number and a foreign one whose last 7 or more digits agree count as one line, and a trunk
 * prefix other than 0 (or 8 before +7) is not known.
 */
const NATIONAL_A = "right(ka, length(nb)) = nb)";
const NATIONAL_B = "right(kb, length(na)) = na)";
/** member_phones_match as this migration leaves it: referral_phone_line's, a +1 number never matched to a trunk-0 one, and trunk 8 before +7. */
export const PHONES_MATCH_TRUNKS = replaceOnce(replaceOnce(PHONES_MATCH,
  NATIONAL_A, `right(ka, length(nb)) = nb
        and not (kb like '0%' and ka like '+1%'))`),
  NATIONAL_B, `right(kb, length(na)) = na
        and not (ka like '0%' and kb like '+1%'))
      or (ka like '+7%' and length(ka) = 12 and kb like '8%' and length(kb) = 11 and substr(kb, 2) = substr(ka, 3))
      or (kb like '+7%' and length(kb) = 12 and ka like '8%' and length(ka) = 11 and substr(ka, 2) = substr(kb, 3))`);

export class Migration20270101180000_referral_phone_trunks extends Migration {
  override async up(): Promise<void> {
    this.addSql(PHONES_MATCH_TRUNKS);
  }

  override async down(): Promise<void> {
    this.addSql(PHONES_MATCH);
  }
}
