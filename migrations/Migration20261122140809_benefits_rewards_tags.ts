import { Migration } from '@mikro-orm/migrations';

export class Migration20261122140809_benefits_rewards_tags extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "benefit" ("id" uuid not null, "code" text not null, "version" int not null default 1, "name" text not null, "description" text null, "kind" text not null, "value" numeric(14,4) null, "tier_codes" text[] not null, "required_tags" text[] not null, "active" boolean not null default true, "valid_from" timestamptz null, "valid_to" timestamptz null, "updated_at" timestamptz not null, constraint "benefit_pkey" primary key ("id"));`);
    this.addSql(`alter table "benefit" add constraint "benefit_code_unique" unique ("code");`);

    this.addSql(`create table "benefit_version" ("id" bigserial primary key, "benefit_id" uuid not null, "code" text not null, "version" int not null, "snapshot" jsonb not null, "changed_by" text not null, "changed_at" timestamptz not null);`);
    this.addSql(`alter table "benefit_version" add constraint "benefit_version_code_version_unique" unique ("code", "version");`);

    this.addSql(`create table "birthday_grant" ("id" bigserial primary key, "member_id" uuid not null, "year" int not null, "points" int not null, "granted_at" timestamptz not null);`);
    this.addSql(`create index "birthday_grant_member_id_index" on "birthday_grant" ("member_id");`);
    this.addSql(`alter table "birthday_grant" add constraint "birthday_grant_member_year_unique" unique ("member_id", "year");`);

    this.addSql(`create table "member_tag" ("member_id" uuid not null, "tag_id" uuid not null, "tagged_at" timestamptz not null, constraint "member_tag_pkey" primary key ("member_id", "tag_id"));`);
    this.addSql(`create index "member_tag_tag_index" on "member_tag" ("tag_id");`);

    this.addSql(`create table "redemption" ("id" uuid not null, "seq" bigserial, "member_id" uuid not null, "reward_id" uuid not null, "points" int not null, "coupon_code" text not null, "status" text not null default 'ISSUED', "idempotency_key" text not null, "transaction_id" bigint not null, "created_at" timestamptz not null, "cancelled_at" timestamptz null, "cancel_reason" text null, constraint "redemption_pkey" primary key ("id"));`);
    this.addSql(`alter table "redemption" add constraint "redemption_seq_unique" unique ("seq");`);
    this.addSql(`alter table "redemption" add constraint "redemption_coupon_code_unique" unique ("coupon_code");`);
    this.addSql(`alter table "redemption" add constraint "redemption_idempotency_key_unique" unique ("idempotency_key");`);
    this.addSql(`create index "redemption_member_seq_index" on "redemption" ("member_id", "seq");`);
    this.addSql(`create index "redemption_member_reward_index" on "redemption" ("member_id", "reward_id");`);

    this.addSql(`create table "reward" ("id" uuid not null, "code" text not null, "name" text not null, "cost_points" int not null, "stock" int null, "per_member_limit" int null, "tier_codes" text[] not null, "active" boolean not null default true, "valid_from" timestamptz null, "valid_to" timestamptz null, "updated_at" timestamptz not null, constraint "reward_pkey" primary key ("id"));`);
    this.addSql(`alter table "reward" add constraint "reward_code_unique" unique ("code");`);
    this.addSql(`alter table "reward" add constraint "reward_stock_nonnegative" check (stock is null or stock >= 0);`);

    this.addSql(`create table "tag" ("id" uuid not null, "code" text not null, "name" text not null, "kind" text not null default 'MANUAL', "category" text not null default 'DESCRIPTIVE', constraint "tag_pkey" primary key ("id"));`);
    this.addSql(`alter table "tag" add constraint "tag_code_unique" unique ("code");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "benefit" cascade;`);

    this.addSql(`drop table if exists "benefit_version" cascade;`);

    this.addSql(`drop table if exists "birthday_grant" cascade;`);

    this.addSql(`drop table if exists "member_tag" cascade;`);

    this.addSql(`drop table if exists "redemption" cascade;`);

    this.addSql(`drop table if exists "reward" cascade;`);

    this.addSql(`drop table if exists "tag" cascade;`);
  }

}
