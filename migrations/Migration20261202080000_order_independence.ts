import { Migration } from '@mikro-orm/migrations';

/** Issue 18: the same facts give the same tiers and points whatever order they arrive in. */
export class Migration20261202080000_order_independence extends Migration {

  override async up(): Promise<void> {
    // Several changes may share an instant (a rebuilt history keeps the superseded rows beside the
    // new ones); a change that a backdated fact made wrong is kept, marked superseded, and the
    // member's history is the changes that are not. The index replaces the unique key for every
    // read of one member's changes: its history, the check for changes after an instant, and its
    // tier-change feed (which serves superseded changes too, so the index covers them).
    this.addSql(`alter table "tier_change" drop constraint "tier_change_member_occurred_kind_unique";`);
    this.addSql(`alter table "tier_change" add column "superseded_at" timestamptz null;`);
    this.addSql(`create index "tier_change_member_occurred_index" on "tier_change" ("member_id", "occurred_at");`);
    // The change a purchase's first run returned (its replay returns the same one).
    this.addSql(`alter table "purchase" add column "tier_change_id" bigint null;`);
    // The tier it earned at and the programme's rate then: when a backdated fact changes the tier
    // held at its instant, it earns again at the new tier (null: written before, unknown).
    this.addSql(`alter table "purchase" add column "earned_tier_id" uuid null, add column "points_per_unit" numeric(12,4) null;`);
    // A refund's reversal is dated at its purchase (it leaves the window the purchase was in) and
    // counts from the refund's own instant on (null: from occurred_at).
    this.addSql(`alter table "qualifying_entry" add column "counts_from" timestamptz null;`);
    // The latest asOf a tier review was run for: a member's recorded history reaches at least there.
    this.addSql(`alter table "program" add column "tier_reviewed_through" timestamptz null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "program" drop column "tier_reviewed_through";`);
    this.addSql(`alter table "qualifying_entry" drop column "counts_from";`);
    this.addSql(`alter table "purchase" drop column "tier_change_id", drop column "earned_tier_id", drop column "points_per_unit";`);
    this.addSql(`drop index "tier_change_member_occurred_index";`);
    this.addSql(`delete from "tier_change" where "superseded_at" is not null;`);
    this.addSql(`alter table "tier_change" drop column "superseded_at";`);
    this.addSql(`alter table "tier_change" add constraint "tier_change_member_occurred_kind_unique" unique ("member_id", "occurred_at", "kind");`);
  }

}
