import { Migration } from '@mikro-orm/migrations';

/** The collation member_search_fold lowers under (as Migration20261203100000_member_search chose it). */
export const CHOOSE_FOLD = `case
  when getdatabaseencoding() = 'UTF8' and exists (select 1 from pg_collation where collname = 'pg_c_utf8') then 'collate pg_c_utf8'
  when exists (select 1 from pg_collation where collname = 'und-x-icu') then 'collate "und-x-icu"'
  else '' end`;

/**
 * member_search_fold folds the letters whose lower case depends on where they stand, or on the
 * collation, to one form: final sigma (ς) as σ, and a dotted capital I (İ, which ICU lowers to
 * i + U+0307 and pg_c_utf8 to i) as i. Under ICU (PostgreSQL before 17) a prefix typed in
 * capitals that ends in Σ ("ΣΊΣ") lowered to "σίς" and matched no "σίσυφος", and "ilk" did not
 * find "İlkay"; under pg_c_utf8 "σίσυφος" typed in lower case did not find "ΣΊΣΥΦΟΣ" (stored as
 * "σίσυφοσ"). The search indexes compute the function, so they are rebuilt.
 */
export class Migration20261215090000_member_search_fold_forms extends Migration {
  override async up(): Promise<void> {
    this.addSql(`do $do$
      declare fold text := ${CHOOSE_FOLD};
      begin
        execute format('create or replace function member_search_fold(s text) returns text language sql immutable strict parallel safe as %L',
          format('select translate(replace(lower(s %s), ''i'' || chr(775), ''i''), chr(962), chr(963))', fold));
      end
    $do$;`);
    this.addSql('reindex index "member_email_search_index";');
    this.addSql('reindex index "member_name_search_index";');
  }

  override async down(): Promise<void> {
    this.addSql(`do $do$
      declare fold text := ${CHOOSE_FOLD};
      begin
        execute format('create or replace function member_search_fold(s text) returns text language sql immutable strict parallel safe as %L',
          format('select lower(s %s)', fold));
      end
    $do$;`);
    this.addSql('reindex index "member_email_search_index";');
    this.addSql('reindex index "member_name_search_index";');
  }
}
