import { Migration } from '@mikro-orm/migrations';

/**
 * Tag codes are unique whatever their case: `VIP_x` beside `vip_x` split one tag in two (a
 * benefit or segment naming one never saw the members tagged with the other). TagsService
 * refuses a new code that only the case tells from an existing one; this index makes it hold
 * under concurrent first uses. A deployment that already holds such a pair keeps it: the index
 * is then not built (a notice says so) until an admin merges the pair, and the service's check
 * still refuses any new one.
 */
export class Migration20270101110000_tag_code_case extends Migration {
  override async up(): Promise<void> {
    this.addSql(`do $$ begin
      if exists (select 1 from tag group by lower(code) having count(*) > 1) then
        raise notice 'tag codes that differ only in case exist: tag_code_folded_unique not built';
      else
        create unique index tag_code_folded_unique on tag (lower(code));
      end if;
    end $$;`);
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists tag_code_folded_unique;');
  }
}
