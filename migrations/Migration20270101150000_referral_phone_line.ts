import { Migration } from '@mikro-orm/migrations';
import { replaceOnce } from './Migration20261210090000_budget_free_slot';
import { REFERRAL_COMPLETE_REJECTED_AT } from './Migration20261230090000_referral_rejected_at';

/**
 * A referral's "same phone" guard knows one line written with and without its country code:
 * `member_phones_match(a, b)`. member_phone_key keeps a leading `+`/`00` country code and
 * reads any other number as its digits, so `+86 138 1234 5678` and `138 1234 5678` (the same
 * mobile, written as a Chinese member types it) were two phones, and a member could refer itself
 * with its own number written nationally: both sides were paid. Two keys match when they are
 * equal; or, one international and one national, when the national number (its digits, without
 * a leading trunk 0, at least 7 of them) is the international one's last digits after a country
 * code of 1 to 3 digits (`+44 20 7946 0000` and `020 7946 0000`; `+1 212 555 0100` and
 * `(212) 555-0100`); or, both national, when they are equal without a trunk 0. Member search
 * keeps its exact key (its index).
 */
export const PHONES_MATCH = `create or replace function member_phones_match(a text, b text) returns boolean
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
      or (na is null and nb is not null and length(nb) >= 7 and length(ka) - 1 - length(nb) between 0 and 3 and right(ka, length(nb)) = nb)
      or (nb is null and na is not null and length(na) >= 7 and length(kb) - 1 - length(na) between 0 and 3 and right(kb, length(na)) = na)
    ), false) from n
  $$;`;

const SAME_PHONE = 'member_phone_key(m.phone) = member_phone_key(e.phone)';

/** referral_complete as this migration leaves it. */
export const REFERRAL_COMPLETE_PHONE_LINE = replaceOnce(REFERRAL_COMPLETE_REJECTED_AT, SAME_PHONE, 'member_phones_match(m.phone, e.phone)');

export class Migration20270101150000_referral_phone_line extends Migration {
  override async up(): Promise<void> {
    this.addSql(PHONES_MATCH);
    this.addSql(REFERRAL_COMPLETE_PHONE_LINE);
  }

  override async down(): Promise<void> {
    this.addSql(REFERRAL_COMPLETE_REJECTED_AT);
    this.addSql('drop function if exists member_phones_match(text, text);');
  }
}
