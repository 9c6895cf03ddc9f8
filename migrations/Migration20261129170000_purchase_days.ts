import { Migration } from '@mikro-orm/migrations';

export class Migration20261129170000_purchase_days extends Migration {

  override async up(): Promise<void> {
    // The retention refresh reads every purchase in (member, UTC day) order. This index hands
    // them over in that order with everything the refresh reads (an index-only scan), so the
    // per-member aggregates (distinct days among them) need no sort. It replaces the
    // (member_id, occurred_at) index, whose only readers were the refresh and the growth report.
    this.addSql(`drop index if exists "purchase_member_occurred_index";`);
    this.addSql(`create index "purchase_member_day_index" on "purchase" ("member_id", (((occurred_at at time zone 'UTC')::date - date '1970-01-01'))) include ("occurred_at", "amount_cents", "refunded_cents");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists "purchase_member_day_index";`);
    this.addSql(`create index "purchase_member_occurred_index" on "purchase" ("member_id", "occurred_at");`);
  }

}
