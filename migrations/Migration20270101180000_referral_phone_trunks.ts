import { Migration } from '@mikro-orm/migrations';
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
export const PHONES_MATCH_TRUNKS = `create or replace function member_phones_match(a text, b text) returns boolean
  language sql immutable parallel safe as $$
    with k as (select member_phone_key(a) as ka, member_phone_key(b) as kb),
    n as (
      select ka, kb,
        case when ka like '+%' then null else regexp_replace(ka, '^0', '') end as na,
        case when kb like '+%' then null else regexp_replace(kb, '^0', '') end as nb
      from k
    )
    select coalesce(ka is not null and kb is not null and (
      ka = kb
      or (na is not null and nb is not null and na = nb)
      or (na is null and nb is not null and length(nb) >= 7 and length(ka) - 1 - length(nb) between 0 and 3 and right(ka, length(nb)) = nb
        and not (kb like '0%' and ka like '+1%'))
      or (nb is null and na is not null and length(na) >= 7 and length(kb) - 1 - length(na) between 0 and 3 and right(kb, length(na)) = na
        and not (ka like '0%' and kb like '+1%'))
      or (ka like '+7%' and length(ka) = 12 and kb like '8%' and length(kb) = 11 and substr(kb, 2) = substr(ka, 3))
      or (kb like '+7%' and length(kb) = 12 and ka like '8%' and length(ka) = 11 and substr(ka, 2) = substr(kb, 3))
    ), false) from n
  $$;`;

export class Migration20270101180000_referral_phone_trunks extends Migration {
  override async up(): Promise<void> {
    this.addSql(PHONES_MATCH_TRUNKS);
  }

  override async down(): Promise<void> {
    this.addSql(PHONES_MATCH);
  }
}
