import { Migration } from '@mikro-orm/migrations';

/**
 * A member's debts by an index of their own (issue 24: a campaign award at less cost). Every
 * purchase (purchase_at_once's guard) and every award with the ledger (campaign_effects' check
 * read) asks whether the member has a lot below 0 (`exists … where member_id = ? and remaining
 * < 0`), as do the referral's completion, the erasure's and the expiry's guards. The only index
 * that served it was point_lot_member_open_index (every lot not at 0), so each ask read all of
 * the member's open lots, with a heap fetch for those on pages not yet all-visible: twice per
 * purchase with an award, and more as the member's history grows. Debts are rare, so this index
 * is almost empty: the ask is one probe. Lots are written as before: `remaining` is already in
 * the other lot indexes (no HOT update is lost), and a lot enters this one only while below 0.
 */
export class Migration20261217100000_lot_debt_index extends Migration {
  override async up(): Promise<void> {
    this.addSql('create index if not exists "point_lot_member_debt_index" on "point_lot" ("member_id") where remaining < 0;');
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists "point_lot_member_debt_index";');
  }
}
