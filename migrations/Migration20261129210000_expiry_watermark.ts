import { Migration } from '@mikro-orm/migrations';

export class Migration20261129210000_expiry_watermark extends Migration {

  override async up(): Promise<void> {
    // Expiry no longer zeroes lots. A member's account records how far the member's points have
    // been expired (`expired_through`): a lot whose expiry is at or before it was expired by an
    // EXPIRE transaction and keeps, as `remaining`, what it held when it expired. See
    // docs/decisions.md ("Points expiry").
    this.addSql(`alter table "point_account" add column "expired_through" timestamptz null;`);
    // Expiry updates every due member's account: balance, expired_through, updated_at, none of
    // them indexed; room on the page keeps those updates heap-only (new pages only: existing
    // ones fill up as rows move).
    this.addSql(`alter table "point_account" set (fillfactor = 70);`);
    // A lot that had already expired when it was written (a backdated earn): the expiry run finds
    // these whatever its floor (below). Rare, so their index stays small.
    this.addSql(`alter table "point_lot" add column "late" boolean not null default false;`);
    this.addSql(`create index "point_lot_late_index" on "point_lot" ("expires_at") include ("member_id") where late and remaining > 0;`);
    // The run finds due members by expiry date, index-only; and sums each due member's lots in a
    // date range, index-only.
    this.addSql(`drop index "point_lot_expiry_due_index";`);
    this.addSql(`create index "point_lot_expiry_due_index" on "point_lot" ("expires_at") include ("member_id") where remaining > 0;`);
    this.addSql(`drop index "point_lot_member_open_index";`);
    this.addSql(`create index "point_lot_member_open_index" on "point_lot" ("member_id", "expires_at") include ("remaining") where remaining <> 0;`);
    // The floor of the next run's search: every lot that expired at or before it (late ones
    // aside) has been expired. One row.
    this.addSql(`create table "point_expiry" ("id" smallint not null, "expired_through" timestamptz null, constraint "point_expiry_pkey" primary key ("id"));`);
    this.addSql(`insert into "point_expiry" ("id") values (1);`);
  }

  override async down(): Promise<void> {
    // Lots expired under the watermark get their remainders zeroed, as the old model kept them.
    this.addSql(`update "point_lot" l set remaining = 0 from "point_account" a
      where a.member_id = l.member_id and l.remaining > 0 and l.expires_at <= a.expired_through;`);
    this.addSql(`drop table if exists "point_expiry";`);
    this.addSql(`drop index "point_lot_member_open_index";`);
    this.addSql(`create index "point_lot_member_open_index" on "point_lot" ("member_id") where remaining <> 0;`);
    this.addSql(`drop index "point_lot_expiry_due_index";`);
    this.addSql(`create index "point_lot_expiry_due_index" on "point_lot" ("expires_at") where remaining > 0;`);
    this.addSql(`drop index "point_lot_late_index";`);
    this.addSql(`alter table "point_lot" drop column "late";`);
    this.addSql(`alter table "point_account" reset (fillfactor);`);
    this.addSql(`alter table "point_account" drop column "expired_through";`);
  }

}
