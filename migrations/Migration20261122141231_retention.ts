import { Migration } from '@mikro-orm/migrations';

export class Migration20261122141231_retention extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "churn_model" ("id" bigserial primary key, "as_of" timestamptz not null, "r" double precision not null, "alpha" double precision not null, "a" double precision not null, "b" double precision not null, "customers" int not null, "log_likelihood" double precision not null, "ks" double precision null, "gini" double precision null, "created_at" timestamptz not null);`);

    this.addSql(`create table "lifecycle_transition" ("id" bigserial primary key, "member_id" uuid not null, "from_stage" text null, "to_stage" text not null, "at" timestamptz not null);`);
    this.addSql(`create index "lifecycle_transition_at_index" on "lifecycle_transition" ("at");`);

    this.addSql(`create table "member_retention" ("member_id" uuid not null, "as_of" timestamptz not null, "stage" text not null, "stage_since" timestamptz not null, "first_purchase_at" timestamptz null, "last_purchase_at" timestamptz null, "recency_days" int null, "frequency" int null, "monetary_cents" bigint null, "r" smallint null, "f" smallint null, "m" smallint null, "rfm_segment" text null, "x" int null, "tx" int null, "t_days" int null, "alive_probability" double precision null, "churn_risk" double precision null, constraint "member_retention_pkey" primary key ("member_id"));`);
    this.addSql(`create index "member_retention_segment_index" on "member_retention" ("rfm_segment");`);
    this.addSql(`create index "member_retention_stage_index" on "member_retention" ("stage");`);

    this.addSql(`create table "segment" ("id" uuid not null, "name" text not null, "filter" jsonb not null, "updated_at" timestamptz not null, constraint "segment_pkey" primary key ("id"));`);
    this.addSql(`alter table "segment" add constraint "segment_name_unique" unique ("name");`);

    this.addSql(`alter table "program" add column "lifecycle_new_days" int not null default 30, add column "lifecycle_active_days" int not null default 90, add column "lifecycle_at_risk_days" int not null default 180, add column "lifecycle_dormant_days" int not null default 365;`);

    this.addSql(`alter table "tag" add column "rule" jsonb null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "churn_model" cascade;`);

    this.addSql(`drop table if exists "lifecycle_transition" cascade;`);

    this.addSql(`drop table if exists "member_retention" cascade;`);

    this.addSql(`drop table if exists "segment" cascade;`);

    this.addSql(`alter table "program" drop column "lifecycle_new_days", drop column "lifecycle_active_days", drop column "lifecycle_at_risk_days", drop column "lifecycle_dormant_days";`);

    this.addSql(`alter table "tag" drop column "rule";`);
  }

}
