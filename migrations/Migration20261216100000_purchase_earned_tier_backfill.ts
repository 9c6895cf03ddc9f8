import { Migration } from '@mikro-orm/migrations';

/**
 * `purchase.earned_tier_id` for the purchases recorded before it existed.
 *
 * Migration20261202080000_order_independence added the column (the tier a purchase earned at,
 * which a rebuild of the member's tier history compares with the tier the history then holds at
 * the purchase's instant, to earn it again at the new one) and filled no row. A rebuild lists the
 * purchases to re-rate with `not (source = 'import' and earned_tier_id is null)`, which is null,
 * not true, for such a purchase (source null): on an install upgraded from a version before it,
 * a backdated purchase or refund that moved the member's tier re-rated the purchases recorded
 * since the upgrade and never the older ones, so the same facts gave another balance depending
 * on when the purchases had been recorded.
 *
 * Each such purchase gets the tier its member's recorded history held at its instant (the last
 * standing change strictly before it: a purchase earns at the tier before the upgrade it brings;
 * before any change, the tier the first change left; with no change at all, the member's tier),
 * which is the tier a version of that time earned it at. A history import's purchases (source
 * 'import', no earning tier: they never earn) stay as they are.
 */
export class Migration20261216100000_purchase_earned_tier_backfill extends Migration {
  override async up(): Promise<void> {
    this.addSql(`update purchase p set earned_tier_id = coalesce(
        (select c.to_tier_id from tier_change c
          where c.member_id = p.member_id and c.superseded_at is null and c.occurred_at < p.occurred_at
          order by c.occurred_at desc, c.id desc limit 1),
        (select c.from_tier_id from tier_change c
          where c.member_id = p.member_id and c.superseded_at is null
          order by c.occurred_at, c.id limit 1),
        (select m.tier_id from member m where m.id = p.member_id))
      where p.earned_tier_id is null and p.source is null;`);
  }

  override async down(): Promise<void> {
    // Nothing to undo: the tiers it filled are those the purchases earned at.
  }
}
