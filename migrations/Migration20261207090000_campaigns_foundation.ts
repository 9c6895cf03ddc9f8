import { Migration } from '@mikro-orm/migrations';

/**
 * The tables campaigns share (issue 24): the campaign's definition (configuration: a change
 * moves config_version, so an instance may hold active campaigns in memory the way it holds
 * tiers and benefits); its arms (every member assigned to treatment or control, once, for good);
 * its awards (one row per rewarded event, the idempotency and per-member-limit record, with what
 * refunds reversed); the programme's point value; the ledger's BONUS type.
 *
 * What a campaign has given and spent is not a column of `campaign`: every award would move the
 * configuration's version. It is counted beside the awards.
 */
export class Migration20261207090000_campaigns_foundation extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "campaign" (
      "id" uuid not null default gen_random_uuid(),
      "code" text not null,
      "name" text not null,
      "trigger" text not null check ("trigger" in ('PURCHASE', 'ACTIVITY', 'REGISTRATION', 'TIER_UPGRADE')),
      "status" text not null default 'DRAFT' check ("status" in ('DRAFT', 'ACTIVE', 'PAUSED', 'ENDED')),
      "ended_reason" text null,
      "starts_at" timestamptz not null,
      "ends_at" timestamptz null,
      "audience" jsonb null,
      "activity_kind" text null,
      "min_amount_cents" bigint null check ("min_amount_cents" >= 0),
      "bonus_points" int null check ("bonus_points" > 0),
      "multiplier" numeric(8, 4) null check ("multiplier" > 1),
      "reward_code" text null,
      "per_member_limit" int null check ("per_member_limit" > 0),
      "budget_points" int null check ("budget_points" > 0),
      "control_percent" int not null default 10 check ("control_percent" >= 0 and "control_percent" <= 50),
      "activated_at" timestamptz null,
      "ended_at" timestamptz null,
      "created_at" timestamptz not null default now(),
      "updated_at" timestamptz not null default now(),
      constraint "campaign_pkey" primary key ("id"),
      constraint "campaign_code_unique" unique ("code"),
      constraint "campaign_window" check ("ends_at" is null or "ends_at" > "starts_at"),
      constraint "campaign_has_effect" check ("bonus_points" is not null or "multiplier" is not null or "reward_code" is not null)
    );`);
    this.addSql(`create trigger "campaign_config_version" after insert or update or delete or truncate on "campaign"
      for each statement execute function bump_config_version();`);

    // The arms: a member is assigned when first found in the audience (at activation, by the
    // nightly re-evaluation, or by a triggering event) and keeps its arm.
    this.addSql(`create table "campaign_member" (
      "campaign_id" uuid not null,
      "member_id" uuid not null,
      "control" boolean not null,
      "assigned_at" timestamptz not null default now(),
      constraint "campaign_member_pkey" primary key ("campaign_id", "member_id")
    );`);
    this.addSql(`create index "campaign_member_member_id_index" on "campaign_member" ("member_id");`);

    // One row per rewarded event: (campaign, source) makes an award idempotent as the write it
    // rides on ('purchase:<orderId>', 'activity:<key>', 'registration', 'tier:<change id>').
    // points: the BONUS points given; reward_points: an issued reward's costPoints, counted
    // against the budget; reversed_points: what refunds took back (pointsGiven is net).
    this.addSql(`create table "campaign_award" (
      "id" bigserial primary key,
      "campaign_id" uuid not null,
      "member_id" uuid not null,
      "source" text not null,
      "occurred_at" timestamptz not null,
      "points" int not null default 0 check ("points" >= 0),
      "reward_points" int not null default 0 check ("reward_points" >= 0),
      "reversed_points" int not null default 0 check ("reversed_points" >= 0 and "reversed_points" <= "points"),
      "transaction_id" bigint null,
      "coupon_id" uuid null,
      "created_at" timestamptz not null default now(),
      constraint "campaign_award_source_unique" unique ("campaign_id", "source")
    );`);
    this.addSql(`create index "campaign_award_member_index" on "campaign_award" ("member_id", "campaign_id");`);

    this.addSql(`alter table "program" add column "point_value" numeric(12, 6) not null default 0.01 check ("point_value" >= 0);`);

    this.addSql(`alter table "point_transaction" drop constraint if exists "point_transaction_type_check";`);
    this.addSql(`alter table "point_transaction" add constraint "point_transaction_type_check" check("type" in ('EARN', 'REDEEM', 'EXPIRE', 'ADJUST', 'REFUND_REVERSAL', 'REDEMPTION_CANCEL', 'OPENING_BALANCE', 'ERASURE', 'BONUS'));`);

    // A member's arm, the same in SQL and in campaigns.rules.ts (controlArm): control when the
    // first 32 bits of md5(campaign id ':' member id), as an unsigned number, modulo 100 are
    // below controlPercent. Deterministic, so re-evaluating an audience never moves anyone.
    this.addSql(`create or replace function campaign_control(p_campaign uuid, p_member uuid, p_percent int) returns boolean
      language sql immutable parallel safe as $$
        select (('x' || substr(md5(p_campaign::text || ':' || p_member::text), 1, 8))::bit(32)::bigint % 100) < p_percent
      $$;`);
  }

  override async down(): Promise<void> {
    this.addSql('drop function if exists campaign_control(uuid, uuid, int);');
    this.addSql(`alter table "point_transaction" drop constraint if exists "point_transaction_type_check";`);
    this.addSql(`alter table "point_transaction" add constraint "point_transaction_type_check" check("type" in ('EARN', 'REDEEM', 'EXPIRE', 'ADJUST', 'REFUND_REVERSAL', 'REDEMPTION_CANCEL', 'OPENING_BALANCE', 'ERASURE'));`);
    this.addSql('alter table "program" drop column "point_value";');
    this.addSql('drop table if exists "campaign_award";');
    this.addSql('drop table if exists "campaign_member";');
    this.addSql('drop table if exists "campaign";');
  }

}
