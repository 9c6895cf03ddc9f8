import { Migration } from '@mikro-orm/migrations';

export class Migration20261122133644_foundation extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "audit_entry" ("id" bigserial primary key, "actor" text not null, "action" text not null, "entity" text not null, "entity_id" text not null, "before" jsonb null, "after" jsonb null, "at" timestamptz not null);`);
    this.addSql(`create index "audit_entry_entity_id_index" on "audit_entry" ("entity", "id");`);

    this.addSql(`create table "program" ("id" int not null default 1, "points_per_unit" numeric(12,4) not null default 1, "points_expiry_months" int null default 24, "qualification_window_months" int not null default 12, "tier_validity_months" int not null default 12, "downgrade_policy" text check ("downgrade_policy" in ('DROP_ONE', 'RECALCULATE')) not null default 'DROP_ONE', "allow_negative_balance" boolean not null default false, "points_pending_days" int not null default 0, "tier_notice_days" int not null default 30, "churn_horizon_days" int not null default 90, "updated_at" timestamptz not null, constraint "program_pkey" primary key ("id"), constraint "program_single_row" check ("id" = 1));`);
    // One programme per deployment: its settings row exists from the start, with the defaults of domain.md.
    this.addSql(`insert into "program" ("id", "updated_at") values (1, now());`);

    this.addSql(`create table "tier" ("id" uuid not null, "code" text not null, "name" text not null, "rank" int not null, "qualifying_points" int not null, "retain_points" int not null, "points_multiplier" numeric(8,4) not null default 1, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "tier_pkey" primary key ("id"));`);
    this.addSql(`alter table "tier" add constraint "tier_code_unique" unique ("code");`);
    this.addSql(`alter table "tier" add constraint "tier_rank_unique" unique ("rank");`);

    this.addSql(`create table "member" ("id" uuid not null, "seq" bigserial not null, "external_id" text null, "display_name" text null, "email" text null, "phone" text null, "birthday" date null, "gender" text null, "region" text null, "channel" text null, "joined_at" timestamptz not null, "tier_id" uuid not null, "tier_since" timestamptz not null, "tier_expires_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "member_pkey" primary key ("id"));`);
    this.addSql(`alter table "member" add constraint "member_external_id_unique" unique ("external_id");`);
    this.addSql(`create index "member_tier_id_index" on "member" ("tier_id");`);
    this.addSql(`alter table "member" add constraint "member_seq_unique" unique ("seq");`);

    this.addSql(`alter table "member" add constraint "member_tier_id_foreign" foreign key ("tier_id") references "tier" ("id") on update cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "member" drop constraint "member_tier_id_foreign";`);

    this.addSql(`drop table if exists "audit_entry" cascade;`);

    this.addSql(`drop table if exists "program" cascade;`);

    this.addSql(`drop table if exists "tier" cascade;`);

    this.addSql(`drop table if exists "member" cascade;`);
  }

}
