import { Migration } from '@mikro-orm/migrations';

export class Migration20261123000554_tier_member_count extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "tier_member_delta" ("id" bigserial primary key, "tier_id" uuid not null, "delta" int not null);`);
    this.addSql(`create index "tier_member_delta_tier_id_index" on "tier_member_delta" ("tier_id");`);
    // Statement-level triggers with transition tables: one signed row per tier and statement,
    // so a set-based review of a million members writes a handful of rows, not a million.
    this.addSql(`create function tier_member_delta_ins() returns trigger language plpgsql as $$ begin
      insert into tier_member_delta (tier_id, delta) select tier_id, count(*) from new_members where tier_id is not null group by tier_id;
      return null; end $$;`);
    this.addSql(`create function tier_member_delta_del() returns trigger language plpgsql as $$ begin
      insert into tier_member_delta (tier_id, delta) select tier_id, -count(*) from old_members where tier_id is not null group by tier_id;
      return null; end $$;`);
    this.addSql(`create function tier_member_delta_upd() returns trigger language plpgsql as $$ begin
      insert into tier_member_delta (tier_id, delta)
        select tier_id, sum(d)::int from (
          select n.tier_id, 1 as d from new_members n join old_members o using (id) where n.tier_id is distinct from o.tier_id and n.tier_id is not null
          union all
          select o.tier_id, -1 from new_members n join old_members o using (id) where n.tier_id is distinct from o.tier_id and o.tier_id is not null
        ) c group by tier_id having sum(d) <> 0;
      return null; end $$;`);
    this.addSql(`create trigger member_tier_count_ins after insert on member referencing new table as new_members for each statement execute function tier_member_delta_ins();`);
    this.addSql(`create trigger member_tier_count_del after delete on member referencing old table as old_members for each statement execute function tier_member_delta_del();`);
    this.addSql(`create trigger member_tier_count_upd after update on member referencing old table as old_members new table as new_members for each statement execute function tier_member_delta_upd();`);
    this.addSql(`insert into tier_member_delta (tier_id, delta) select tier_id, count(*) from member where tier_id is not null group by tier_id;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger if exists member_tier_count_ins on member;`);
    this.addSql(`drop trigger if exists member_tier_count_del on member;`);
    this.addSql(`drop trigger if exists member_tier_count_upd on member;`);
    this.addSql(`drop function if exists tier_member_delta_ins(), tier_member_delta_del(), tier_member_delta_upd();`);
    this.addSql(`drop table if exists "tier_member_delta" cascade;`);
  }

}
