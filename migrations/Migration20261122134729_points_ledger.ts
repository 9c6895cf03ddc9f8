import { Migration } from '@mikro-orm/migrations';

export class Migration20261122134729_points_ledger extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "activity" ("idempotency_key" text not null, "member_id" uuid not null, "kind" text not null, "day" date not null, "points" int not null, "qualifying_points" int not null, "transaction_id" bigint null, "occurred_at" timestamptz not null, constraint "activity_pkey" primary key ("idempotency_key"));`);
    this.addSql(`create index "activity_member_kind_day_index" on "activity" ("member_id", "kind", "day");`);

    this.addSql(`create table "activity_rule" ("kind" text not null, "name" text not null, "points" int not null, "qualifying_points" int not null default 0, "daily_cap" int null, "active" boolean not null default true, constraint "activity_rule_pkey" primary key ("kind"));`);

    this.addSql(`create table "point_account" ("member_id" uuid not null, "balance" int not null default 0, "lifetime_earned" int not null default 0, "updated_at" timestamptz not null, constraint "point_account_pkey" primary key ("member_id"));`);

    this.addSql(`create table "point_allocation" ("id" bigserial primary key, "member_id" uuid not null, "transaction_id" bigint not null, "lot_id" bigint not null, "amount" int not null);`);
    this.addSql(`create index "point_allocation_transaction_index" on "point_allocation" ("transaction_id");`);

    this.addSql(`create table "point_lot" ("id" bigserial primary key, "member_id" uuid not null, "transaction_id" bigint not null, "points" int not null, "remaining" int not null, "earned_at" timestamptz not null, "activates_at" timestamptz not null, "expires_at" timestamptz null, "order_id" text null);`);
    this.addSql(`create index "point_lot_expiry_due_index" on "point_lot" ("expires_at") where remaining > 0;`);
    this.addSql(`create index "point_lot_member_open_index" on "point_lot" ("member_id") where remaining <> 0;`);

    this.addSql(`create table "point_transaction" ("id" bigserial primary key, "member_id" uuid not null, "type" text check ("type" in ('EARN', 'REDEEM', 'EXPIRE', 'ADJUST', 'REFUND_REVERSAL', 'REDEMPTION_CANCEL')) not null, "amount" int not null, "balance_after" int not null, "occurred_at" timestamptz not null, "expires_at" timestamptz null, "reason" text null, "reference" text null, "idempotency_key" text null, "unrecovered" int not null default 0, "created_at" timestamptz not null);`);
    this.addSql(`alter table "point_transaction" add constraint "point_transaction_idempotency_key_unique" unique ("idempotency_key");`);
    this.addSql(`create index "point_transaction_member_id_id_index" on "point_transaction" ("member_id", "id");`);

    this.addSql(`create table "purchase" ("order_id" text not null, "member_id" uuid not null, "amount_cents" bigint not null, "refunded_cents" bigint not null default '0', "earned_points" int not null, "qualifying_points" int not null, "reversed_points" int not null default 0, "reversed_qualifying" int not null default 0, "lot_id" bigint null, "transaction_id" bigint null, "occurred_at" timestamptz not null, "occurred_at_given" boolean not null, constraint "purchase_pkey" primary key ("order_id"));`);
    this.addSql(`create index "purchase_member_occurred_index" on "purchase" ("member_id", "occurred_at");`);

    this.addSql(`create table "qualifying_entry" ("id" bigserial primary key, "member_id" uuid not null, "occurred_at" timestamptz not null, "points" int not null, "source" text not null);`);
    this.addSql(`create index "qualifying_entry_member_occurred_index" on "qualifying_entry" ("member_id", "occurred_at");`);

    // Members registered before the ledger existed get their (empty) account.
    this.addSql(`insert into "point_account" ("member_id", "updated_at") select "id", now() from "member" on conflict do nothing;`);

    this.addSql(`create table "refund" ("refund_id" text not null, "order_id" text not null, "member_id" uuid not null, "amount_cents" bigint not null, "points_reversed" int not null, "qualifying_reversed" int not null, "transaction_id" bigint null, "occurred_at" timestamptz not null, constraint "refund_pkey" primary key ("refund_id"));`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "activity" cascade;`);

    this.addSql(`drop table if exists "activity_rule" cascade;`);

    this.addSql(`drop table if exists "point_account" cascade;`);

    this.addSql(`drop table if exists "point_allocation" cascade;`);

    this.addSql(`drop table if exists "point_lot" cascade;`);

    this.addSql(`drop table if exists "point_transaction" cascade;`);

    this.addSql(`drop table if exists "purchase" cascade;`);

    this.addSql(`drop table if exists "qualifying_entry" cascade;`);

    this.addSql(`drop table if exists "refund" cascade;`);
  }

}
