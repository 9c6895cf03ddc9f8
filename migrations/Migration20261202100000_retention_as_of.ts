import { Migration } from '@mikro-orm/migrations';

export class Migration20261202100000_retention_as_of extends Migration {

  override async up(): Promise<void> {
    // A refresh as of a date counts the refunds dated by then, not every refund recorded: for a
    // purchase with any refund (refunded_cents > 0) it sums that order's refunds up to asOf. The
    // order id rides in the covering index so that the pass over the purchases stays index-only,
    // and the refunds of an order are found (with their dates and amounts) in an index of their own.
    this.addSql(`drop index if exists "purchase_member_day_index";`);
    this.addSql(`create index "purchase_member_day_index" on "purchase" ("member_id", (((occurred_at at time zone 'UTC')::date - date '1970-01-01'))) include ("occurred_at", "amount_cents", "refunded_cents", "order_id");`);
    this.addSql(`create index "refund_order_index" on "refund" ("order_id", "occurred_at") include ("amount_cents");`);
    // Every asOf a refresh has run for: the lifecycle timeline's dates (a refresh for a date
    // between two of them fits its moves in between). Filled from what earlier runs left.
    this.addSql(`create table "retention_run" ("as_of" timestamptz not null, "refreshed_at" timestamptz not null, constraint "retention_run_pkey" primary key ("as_of"));`);
    this.addSql(`insert into "retention_run" ("as_of", "refreshed_at")
      select as_of, now() from (select distinct "at" as as_of from "lifecycle_transition" union select as_of from "member_retention" union select as_of from "churn_model") runs;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "retention_run";`);
    this.addSql(`drop index if exists "refund_order_index";`);
    this.addSql(`drop index if exists "purchase_member_day_index";`);
    this.addSql(`create index "purchase_member_day_index" on "purchase" ("member_id", (((occurred_at at time zone 'UTC')::date - date '1970-01-01'))) include ("occurred_at", "amount_cents", "refunded_cents");`);
  }

}
