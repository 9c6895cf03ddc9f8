import { Migration } from '@mikro-orm/migrations';

/**
 * `campaign_award.unrecovered_points` for the reversals made before it existed.
 *
 * Migration20261211090000_award_sources_and_recovery added the column (the part of a refund's
 * reversal of an award that the member had spent already: given and kept) and made the budget
 * count it, but it filled no row: on an install upgraded from a version with campaigns, every
 * award a refund had reversed after its member spent the points kept `unrecovered_points = 0`.
 * Its campaign's `pointsGiven` and report `cost` then left out points the members kept, and its
 * budget held them as if they had come back, so the campaign could give them a second time.
 *
 * The ledger has the figure: each reversal of an award is a REFUND_REVERSAL of the award's
 * member keyed 'refund:<refundId>:campaign:<code>' ('…:referral:campaign:<code>' for a REFERRAL
 * campaign's award), whose `unrecovered` is what it could not take back; the refunds are those
 * of the award's order (source 'purchase:<orderId>', or the referral's order). A row whose
 * figure is already that (written since) is left as it is; the budgets of the campaigns whose
 * awards changed are counted again (campaign_budget_reset, as the budget's own rule counts them).
 */
export class Migration20261216090000_award_unrecovered_backfill extends Migration {
  override async up(): Promise<void> {
    this.addSql(`do $do$
      declare v_campaigns uuid[];
      begin
        with ledger as (
          select a.id, sum(t.unrecovered)::bigint as n
          from campaign_award a
          join campaign c on c.id = a.campaign_id
          join refund x on x.order_id = case
              when a.source like 'purchase:%' then substr(a.source, 10)
              when a.source like 'referral:%' then (select r.order_id from referral r where r.id::text = substr(a.source, 10))
            end
          join point_transaction t on t.member_id = a.member_id and t.type = 'REFUND_REVERSAL'
            and t.idempotency_key in ('refund:' || x.refund_id || ':campaign:' || c.code, 'refund:' || x.refund_id || ':referral:campaign:' || c.code)
          where a.reversed_points > 0
          group by a.id
        ), changed as (
          update campaign_award a set unrecovered_points = least(l.n, a.reversed_points)::int
          from ledger l
          where l.id = a.id and a.unrecovered_points < least(l.n, a.reversed_points)
          returning a.campaign_id
        )
        select array_agg(distinct campaign_id) into v_campaigns from changed;
        perform campaign_budget_reset(c.id) from campaign c where c.id = any (coalesce(v_campaigns, '{}')) and c.budget_points is not null;
      end
    $do$;`);
  }

  override async down(): Promise<void> {
    // Nothing to undo: the figures it filled are what the ledger records, as the code writes them since.
  }
}
