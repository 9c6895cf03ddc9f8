import { Migration } from '@mikro-orm/migrations';

export class Migration20261203100000_member_search extends Migration {

  override async up(): Promise<void> {
    // The one home of the phone rule (docs/decisions.md, "Member look-ups"): a phone's search
    // key is its digits, with a leading "+" for an international number ("+" or "00" first);
    // an international number's "(0)" (the trunk prefix some write after the country code)
    // is dropped. Null when there is no digit. Written in SQL so that every writer (the
    // service, a seeder, an import, raw SQL) is searchable the same way: the index computes it.
    // A change to this function needs a reindex of member_phone_key_index.
    this.addSql(`create or replace function member_phone_key(phone text) returns text
      language sql immutable strict parallel safe as $$
        select case when phone ~ '^\\s*(\\+|00)'
          then nullif('+' || regexp_replace(regexp_replace(replace(phone, '(0)', ''), '^\\s*(\\+|00)', ''), '\\D', '', 'g'), '+')
          else nullif(regexp_replace(phone, '\\D', '', 'g'), '') end
      $$;`);
    // searchMembers: exact email (case-insensitive), exact phone (by key), and a display-name
    // prefix in (lower(name), seq) order. None of these columns is written by the tier review,
    // so its updates stay HOT.
    this.addSql(`create index "member_email_lower_index" on "member" (lower("email"));`);
    this.addSql(`create index "member_phone_key_index" on "member" (member_phone_key("phone"));`);
    this.addSql(`create index "member_display_name_prefix_index" on "member" ((lower("display_name") collate "C"), "seq");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists "member_display_name_prefix_index";`);
    this.addSql(`drop index if exists "member_phone_key_index";`);
    this.addSql(`drop index if exists "member_email_lower_index";`);
    this.addSql(`drop function if exists member_phone_key(text);`);
  }

}
