import { Migration } from '@mikro-orm/migrations';
import { budget } from './Migration20261209100000_campaign_award_path';

/**
 * Campaign awards: a source per member, and what a refund could not take back (issue 24).
 *
 * - REGISTRATION and CHECK_IN awards were keyed by an event every member shares ('registration',
 *   'check_in:<day>'), so (campaign, source) let one member a campaign (a day, for check-ins)
 *   and answered every other as a replay. Their sources now name the member
 *   ('registration:<member>', 'check_in:<member>:<day>'), and the rows written before are
 *   renamed, with their BONUS transactions' keys ('campaign:<code>:<source>').
 * - A refund reverses an award pro rata; what the member had already spent of it cannot be
 *   taken back (the REFUND_REVERSAL records it as unrecovered). `unrecovered_points` keeps that
 *   part: points given and kept, so the budget gets back only what came back, and the points
 *   given (pointsGiven, the report's cost, a budget's reset) are
 *   points − reversed_points + unrecovered_points.
 * - `refund.bonus_reversed`: the campaign and referral points a refund took back of its
 *   member's, as its answer said (bonusPoints), so that a retry answers the same.
 */
export class Migration20261211090000_award_sources_and_recovery extends Migration {
  override async up(): Promise<void> {
    this.addSql(`update campaign_award set source = 'registration:' || member_id where source = 'registration';`);
    this.addSql(`update campaign_award set source = 'check_in:' || member_id || ':' || substr(source, 10) where source ~ '^check_in:[0-9]{4}-[0-9]{2}-[0-9]{2}$';`);
    this.addSql(`update point_transaction t set idempotency_key = 'campaign:' || c.code || ':' || a.source
      from campaign_award a join campaign c on c.id = a.campaign_id
      where t.id = a.transaction_id and (a.source like 'registration:%' or a.source like 'check\\_in:%')
        and t.idempotency_key is distinct from 'campaign:' || c.code || ':' || a.source;`);
    this.addSql(`alter table "campaign_award" add column "unrecovered_points" int not null default 0;`);
    this.addSql(`alter table "campaign_award" add constraint "campaign_award_unrecovered_check" check ("unrecovered_points" >= 0 and "unrecovered_points" <= "reversed_points");`);
    this.addSql(`alter table "refund" add column "bonus_reversed" int not null default 0;`);
    this.addSql(reset(true));
  }

  override async down(): Promise<void> {
    this.addSql(reset(false));
    this.addSql(`alter table "refund" drop column "bonus_reversed";`);
    this.addSql(`alter table "campaign_award" drop constraint "campaign_award_unrecovered_check";`);
    this.addSql(`alter table "campaign_award" drop column "unrecovered_points";`);
  }
}

/** campaign_budget_reset over 32 slots, counting the points given net of what refunds took back (`unrecovered`: and kept what they could not). */
function reset(unrecovered: boolean): string {
  const text = budget(32)[0];
  const from = 'sum(a.points - a.reversed_points + a.reward_points)';
  if (!text.includes(from)) throw new Error('award_sources_and_recovery: campaign_budget_reset changed');
  return unrecovered ? text.replace(from, 'sum(a.points - a.reversed_points + a.unrecovered_points + a.reward_points)') : text;
}
