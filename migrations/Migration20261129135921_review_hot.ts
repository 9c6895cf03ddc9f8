import { Migration } from '@mikro-orm/migrations';

export class Migration20261129135921_review_hot extends Migration {

  override async up(): Promise<void> {
    this.addSql(`drop index "member_tier_expires_at_index";`);
    this.addSql(`drop index "member_tier_id_index";`);
    // Half-empty pages leave room for the new version of a row on its own page: with no index on
    // a changed column, a tier renewal or downgrade is then a HOT update (no index entries).
    // Applies to pages written from now on; VACUUM FULL member rewrites existing ones.
    this.addSql(`alter table "member" set (fillfactor = 50);`);
    // Net change per tier = members now in it − members in it before: two aggregates over the
    // transition tables instead of joining them (a review changes 750,000 rows in one run).
    this.addSql(`create or replace function tier_member_delta_upd() returns trigger language plpgsql as $$ begin
      insert into tier_member_delta (tier_id, delta)
        select tier_id, sum(d)::int from (
          select tier_id, count(*) as d from new_members where tier_id is not null group by tier_id
          union all
          select tier_id, -count(*) from old_members where tier_id is not null group by tier_id
        ) c group by tier_id having sum(d) <> 0;
      return null; end $$;`);

    this.addSql(`alter table "tier_change" drop constraint "tier_change_member_kind_occurred_unique";`);
    this.addSql(`drop index "tier_change_member_occurred_index";`);

    this.addSql(`alter table "tier_change" add constraint "tier_change_member_occurred_kind_unique" unique ("member_id", "occurred_at", "kind");`);
  }

  override async down(): Promise<void> {
    this.addSql(`create index "member_tier_expires_at_index" on "member" ("tier_expires_at");`);
    this.addSql(`create index "member_tier_id_index" on "member" ("tier_id");`);
    this.addSql(`alter table "member" reset (fillfactor);`);
    this.addSql(`create or replace function tier_member_delta_upd() returns trigger language plpgsql as $$ begin
      insert into tier_member_delta (tier_id, delta)
        select tier_id, sum(d)::int from (
          select n.tier_id, 1 as d from new_members n join old_members o using (id) where n.tier_id is distinct from o.tier_id and n.tier_id is not null
          union all
          select o.tier_id, -1 from new_members n join old_members o using (id) where n.tier_id is distinct from o.tier_id and o.tier_id is not null
        ) c group by tier_id having sum(d) <> 0;
      return null; end $$;`);

    this.addSql(`alter table "tier_change" drop constraint "tier_change_member_occurred_kind_unique";`);

    this.addSql(`alter table "tier_change" add constraint "tier_change_member_kind_occurred_unique" unique ("member_id", "kind", "occurred_at");`);
    this.addSql(`create index "tier_change_member_occurred_index" on "tier_change" ("member_id", "occurred_at");`);
  }

}
