import { Migration } from '@mikro-orm/migrations';
import { replaceOnce } from './Migration20261210090000_budget_free_slot';
import { REFERRAL_COMPLETE_RANGED } from './Migration20261224090000_referral_points_range';

/**
 * A REJECTED referral carries when it was rejected (rejected_at): its registration when a guard
 * refused it at once, the first purchase's recording (p_now, as its completion is dated) when a
 * guard refused it then. referralStats
 * counted a rejection at the first purchase in its registration's period, since the row had no
 * instant of that moment: a referee registered in March and rejected over April's monthly
 * limit was March's rejection. Rows already rejected keep the instant they were counted at.
 */
const REJECTED = `update referral set status = 'REJECTED', reason = f_reason, order_id = p_order where id = r.id;`;
const REJECTED_AT = `update referral set status = 'REJECTED', reason = f_reason, order_id = p_order, rejected_at = p_now where id = r.id;`;
/** referral_complete as this migration leaves it. */
export const REFERRAL_COMPLETE_REJECTED_AT = replaceOnce(REFERRAL_COMPLETE_RANGED, REJECTED, REJECTED_AT);

export class Migration20261230090000_referral_rejected_at extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "referral" add column "rejected_at" timestamptz null;`);
    this.addSql(`update "referral" set "rejected_at" = coalesce("completed_at", "created_at") where "status" = 'REJECTED';`);
    this.addSql(`drop index if exists "referral_rejected_index";`);
    this.addSql(`create index "referral_rejected_index" on "referral" ("rejected_at") where "status" = 'REJECTED';`);
    this.addSql(REFERRAL_COMPLETE_REJECTED_AT);
  }

  override async down(): Promise<void> {
    this.addSql(REFERRAL_COMPLETE_RANGED);
    this.addSql(`drop index if exists "referral_rejected_index";`);
    this.addSql(`create index "referral_rejected_index" on "referral" ((coalesce("completed_at", "created_at"))) where "status" = 'REJECTED';`);
    this.addSql(`alter table "referral" drop column "rejected_at";`);
  }
}
