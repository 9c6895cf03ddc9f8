import { Migration } from '@mikro-orm/migrations';

export class Migration20261122140222_tier_engine extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create index "member_tier_expires_at_index" on "member" ("tier_expires_at");`);

    this.addSql(`create table "job_run" ("id" bigserial primary key, "job" text not null, "slot" text not null, "started_at" timestamptz not null, "finished_at" timestamptz null, "result" jsonb null);`);
    this.addSql(`alter table "job_run" add constraint "job_run_job_slot_unique" unique ("job", "slot");`);

    this.addSql(`create table "outbox" ("id" bigserial primary key, "topic" text not null, "member_id" uuid null, "payload" jsonb not null, "created_at" timestamptz not null);`);

    this.addSql(`create table "tier_change" ("id" bigserial primary key, "member_id" uuid not null, "kind" text check ("kind" in ('UPGRADE', 'DOWNGRADE', 'RENEWAL')) not null, "from_tier_id" uuid null, "to_tier_id" uuid not null, "reason" text not null, "qualifying_points" int not null, "occurred_at" timestamptz not null, "expires_at" timestamptz null, "created_at" timestamptz not null);`);
    this.addSql(`create index "tier_change_member_occurred_index" on "tier_change" ("member_id", "occurred_at");`);
    this.addSql(`alter table "tier_change" add constraint "tier_change_member_kind_occurred_unique" unique ("member_id", "kind", "occurred_at");`);

    this.addSql(`create table "tier_notice" ("id" bigserial primary key, "member_id" uuid not null, "tier_id" uuid not null, "tier_expires_at" timestamptz not null, "points_to_retain" int not null, "noticed_at" timestamptz not null);`);
    this.addSql(`alter table "tier_notice" add constraint "tier_notice_member_expiry_unique" unique ("member_id", "tier_expires_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "job_run" cascade;`);

    this.addSql(`drop table if exists "outbox" cascade;`);

    this.addSql(`drop table if exists "tier_change" cascade;`);

    this.addSql(`drop table if exists "tier_notice" cascade;`);
  }

}
