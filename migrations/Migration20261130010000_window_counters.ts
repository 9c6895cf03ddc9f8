import { Migration } from '@mikro-orm/migrations';

export class Migration20261130010000_window_counters extends Migration {

  override async up(): Promise<void> {
    // A member's qualifying points kept beside the tier they count for, by every write that adds
    // them (see TierEngine, "window counters"): the review reads them instead of the ledger.
    // Members start uncounted (window_points_months null): their next review, upgrade or override
    // counts them from the ledger, as every review did before.
    this.addSql(`alter table "member" add column "window_points" int not null default 0, add column "points_after_expiry" int not null default 0,
      add column "window_points_months" smallint null, add column "last_qualifying_at" timestamptz null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "member" drop column "window_points", drop column "points_after_expiry", drop column "window_points_months", drop column "last_qualifying_at";`);
  }

}
