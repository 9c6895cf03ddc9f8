import { Migration } from '@mikro-orm/migrations';

export class Migration20261203100000_member_search extends Migration {

  override async up(): Promise<void> {
    // The one home of the phone rule (docs/decisions.md, "Member look-ups"): a phone's search
    // key is its digits, with a leading "+" for an international number ("+" or "00" first);
    // an international number's "(0)" (the trunk prefix some write after the country code)
    // is dropped. Null when there is no digit. Written in SQL so that every writer (the
    // service, a seeder, an import, raw SQL) is searchable the same way: the index computes it.
    this.addSql(`create or replace function member_phone_key(phone text) returns text
      language sql immutable strict parallel safe as $$
        select case when phone ~ '^\\s*(\\+|00)'
          then nullif('+' || regexp_replace(regexp_replace(replace(phone, '(0)', ''), '^\\s*(\\+|00)', ''), '\\D', '', 'g'), '+')
          else nullif(regexp_replace(phone, '\\D', '', 'g'), '') end
      $$;`);
    // The one home of case-insensitivity for names and emails: lower() under a collation that
    // knows Unicode case, whatever the database's locale (under "C", lower('É') is 'É'):
    // PostgreSQL 17's builtin pg_c_utf8 on a UTF8 database, else ICU's root locale, else the
    // database's own lower().
    this.addSql(`do $do$
      declare
        fold text := case
          when getdatabaseencoding() = 'UTF8' and exists (select 1 from pg_collation where collname = 'pg_c_utf8') then 'collate pg_c_utf8'
          when exists (select 1 from pg_collation where collname = 'und-x-icu') then 'collate "und-x-icu"'
          else '' end;
      begin
        execute format('create or replace function member_search_fold(s text) returns text language sql immutable strict parallel safe as %L',
          format('select lower(s %s)', fold));
      end
    $do$;`);
    // searchMembers: exact email (any case), exact phone (by key), and a display-name prefix
    // (any case) in (folded name, seq) order; display_name is included so that totalCount
    // counts the prefix's range from the index alone (PostgreSQL takes an index-only scan only
    // when the columns an expression reads are in the index). A change to either function needs
    // a reindex of the indexes that call it. None of these columns is written by the tier
    // review, so its updates stay HOT.
    this.addSql(`create index "member_email_search_index" on "member" (member_search_fold("email"));`);
    this.addSql(`create index "member_phone_search_index" on "member" (member_phone_key("phone"));`);
    this.addSql(`create index "member_name_search_index" on "member" ((member_search_fold("display_name") collate "C"), "seq") include ("display_name");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists "member_name_search_index";`);
    this.addSql(`drop index if exists "member_phone_search_index";`);
    this.addSql(`drop index if exists "member_email_search_index";`);
    this.addSql(`drop function if exists member_search_fold(text);`);
    this.addSql(`drop function if exists member_phone_key(text);`);
  }

}
