import { Migration } from '@mikro-orm/migrations';

export class Migration20261129190000_retention_facts extends Migration {

  override async up(): Promise<void> {
    // The refresh's scratch table: each buyer's purchase facts, refilled by every run (under its
    // advisory lock) by two connections at once, one per half of the members, which a
    // temporary table (one session's) cannot be. Unlogged: it is rebuilt from the purchases by
    // the next run, so a crash that empties it loses nothing; autovacuum has nothing to do
    // here (the run truncates and analyzes it). No entity: the schema diff skips it
    // (schemaGenerator.skipTables).
    this.addSql(`create unlogged table "retention_facts" (
      "member_id" uuid not null, "first_at" timestamptz not null, "last_at" timestamptz not null, "frequency" int not null,
      "monetary" bigint not null, "first_day" int not null, "last_day" int not null, "prev_day" int, "x" int not null,
      "bt_x" int not null, "bt_last_day" int
    ) with (autovacuum_enabled = false);`);
    // member_retention is now rebuilt as a new table by every refresh, never updated in place.
    this.addSql(`alter table "member_retention" reset (fillfactor);`);
    // No query could use it: the segment filter's stage test is coalesce(stage, 'PROSPECT'),
    // and the stage report groups every row. One index fewer for each refresh to build.
    this.addSql(`drop index "member_retention_stage_index";`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "retention_facts";`);
    this.addSql(`alter table "member_retention" set (fillfactor = 50);`);
    this.addSql(`create index "member_retention_stage_index" on "member_retention" ("stage");`);
  }

}
