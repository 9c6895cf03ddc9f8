import { Migration } from '@mikro-orm/migrations';
import { replaceOnce } from './Migration20261210090000_budget_free_slot';
import { REFERRAL_COMPLETE_PHONE_LINE } from './Migration20270101150000_referral_phone_line';

/**
 * A referral's "same email" guard knows a mailbox's sub-addresses: `member_emails_match(a, b)`
 * compares the addresses as member search folds them (case) with a `+tag` at the end of the
 * local part left out, so `mia+alt@example.com` is `mia@example.com`'s mailbox (RFC 5233
 * sub-addressing, which the common providers deliver to the same inbox). A member registering
 * with a plus address of its own referrer's email was paid on both sides (audit 105). Dots in
 * the local part stay significant: they name the same mailbox at some providers only. Member
 * search keeps its exact key (its index).
 */
export const EMAILS_MATCH = `create or replace function member_emails_match(a text, b text) returns boolean
  language sql immutable parallel safe as $$
    select coalesce(regexp_replace(member_search_fold(a), '^([^+@]+)\\+[^@]*@', '\\1@')
      = regexp_replace(member_search_fold(b), '^([^+@]+)\\+[^@]*@', '\\1@'), false)
  $$;`;

const SAME_EMAIL = 'member_search_fold(m.email) = member_search_fold(e.email)';

/** referral_complete as this migration leaves it. */
export const REFERRAL_COMPLETE_MAILBOX = replaceOnce(REFERRAL_COMPLETE_PHONE_LINE, SAME_EMAIL, 'member_emails_match(m.email, e.email)');

export class Migration20270103090000_referral_same_mailbox extends Migration {
  override async up(): Promise<void> {
    this.addSql(EMAILS_MATCH);
    this.addSql(REFERRAL_COMPLETE_MAILBOX);
  }

  override async down(): Promise<void> {
    this.addSql(REFERRAL_COMPLETE_PHONE_LINE);
    this.addSql('drop function if exists member_emails_match(text, text);');
  }
}
