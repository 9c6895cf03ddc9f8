import { Migration } from '@mikro-orm/migrations';

/**
 * What a referral's reversal could not take back (a side had spent its points already):
 * `referral.unrecovered_points`, so that referralStats' pointsGiven keeps what was given and
 * kept, as a campaign's pointsGiven does (campaign_award.unrecovered_points). Reversals made
 * before it are filled from their REFUND_REVERSAL transactions (keys refund:<id>:referral:<side>).
 */
export class Migration20261213110000_referral_unrecovered extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "referral" add column "unrecovered_points" int not null default 0;`);
    this.addSql(`update referral r set unrecovered_points = s.n from (
        select rf.id, sum(t.unrecovered)::int as n from referral rf
        join refund x on x.order_id = rf.order_id
        join point_transaction t on t.idempotency_key in ('refund:' || x.refund_id || ':referral:referee', 'refund:' || x.refund_id || ':referral:referrer')
        where rf.status = 'REVERSED' group by rf.id
      ) s where s.id = r.id and s.n > 0;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "referral" drop column "unrecovered_points";`);
  }
}
