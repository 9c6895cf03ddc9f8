import { Migration } from '@mikro-orm/migrations';

/**
 * The tables growth mechanics share (issue 25, contract part `engagement`): the programme's
 * time zone and its referral and check-in settings (configuration: `program` moves
 * config_version, so an instance holds them in memory); one row per referral (a referee is
 * referred once, for good); one row per member and programme-local day checked in; the ledger's
 * REFERRAL and CHECK_IN types and the campaigns' CHECK_IN and REFERRAL triggers.
 *
 * A member's referral code is not stored: it is derived from `member.seq` (members.rules.ts
 * referralCode), so every member has one however it was inserted (registration, import, seed)
 * and it is unique by construction.
 *
 * The activity rules the demo programme used for check-in and referral are retired: the
 * mechanics replace them.
 */
export class Migration20261208090000_engagement_foundation extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "program"
      add column "time_zone" text not null default 'UTC',
      add column "referrer_points" int not null default 0,
      add column "referee_points" int not null default 0,
      add column "referral_hold_days" int not null default 7,
      add column "referral_monthly_limit" int not null default 0,
      add column "check_in_points" int[] not null default '{}',
      add constraint "program_referral_points_check" check ("referrer_points" >= 0 and "referee_points" >= 0),
      add constraint "program_referral_hold_days_check" check ("referral_hold_days" >= 0),
      add constraint "program_referral_monthly_limit_check" check ("referral_monthly_limit" >= 0),
      add constraint "program_check_in_points_check" check (0 <= all ("check_in_points"));`);

    this.addSql(`create table "referral" (
      "id" uuid not null default gen_random_uuid(),
      "referrer_id" uuid not null,
      "referee_id" uuid not null,
      "status" text not null default 'PENDING' check ("status" in ('PENDING', 'COMPLETED', 'REJECTED', 'REVERSED')),
      "reason" text null,
      "created_at" timestamptz not null default now(),
      "completed_at" timestamptz null,
      "reversed_at" timestamptz null,
      "order_id" text null,
      "referrer_points" int not null default 0,
      "referee_points" int not null default 0,
      "referrer_transaction_id" bigint null,
      "referee_transaction_id" bigint null,
      constraint "referral_pkey" primary key ("id"),
      constraint "referral_referee_unique" unique ("referee_id"),
      constraint "referral_not_self" check ("referrer_id" <> "referee_id")
    );`);
    this.addSql(`create index "referral_referrer_index" on "referral" ("referrer_id", "created_at", "id");`);
    this.addSql(`create index "referral_created_index" on "referral" ("created_at");`);
    this.addSql(`create index "referral_completed_index" on "referral" ("completed_at");`);
    this.addSql(`create index "referral_order_index" on "referral" ("order_id");`);

    this.addSql(`create table "check_in" (
      "member_id" uuid not null,
      "day" date not null,
      "streak" int not null check ("streak" >= 1),
      "points" int not null check ("points" >= 0),
      "transaction_id" bigint null,
      "checked_in_at" timestamptz not null default now(),
      constraint "check_in_pkey" primary key ("member_id", "day")
    );`);

    this.addSql(`alter table "point_transaction" drop constraint if exists "point_transaction_type_check";`);
    this.addSql(`alter table "point_transaction" add constraint "point_transaction_type_check" check("type" in ('EARN', 'REDEEM', 'EXPIRE', 'ADJUST', 'REFUND_REVERSAL', 'REDEMPTION_CANCEL', 'OPENING_BALANCE', 'ERASURE', 'BONUS', 'REFERRAL', 'CHECK_IN'));`);
    this.addSql(`alter table "campaign" drop constraint if exists "campaign_trigger_check";`);
    this.addSql(`alter table "campaign" add constraint "campaign_trigger_check" check ("trigger" in ('PURCHASE', 'ACTIVITY', 'REGISTRATION', 'TIER_UPGRADE', 'CHECK_IN', 'REFERRAL'));`);

    this.addSql(`update "activity_rule" set "active" = false where "kind" in ('CHECK_IN', 'REFERRAL');`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "campaign" drop constraint if exists "campaign_trigger_check";`);
    this.addSql(`alter table "campaign" add constraint "campaign_trigger_check" check ("trigger" in ('PURCHASE', 'ACTIVITY', 'REGISTRATION', 'TIER_UPGRADE'));`);
    this.addSql(`alter table "point_transaction" drop constraint if exists "point_transaction_type_check";`);
    this.addSql(`alter table "point_transaction" add constraint "point_transaction_type_check" check("type" in ('EARN', 'REDEEM', 'EXPIRE', 'ADJUST', 'REFUND_REVERSAL', 'REDEMPTION_CANCEL', 'OPENING_BALANCE', 'ERASURE', 'BONUS'));`);
    this.addSql(`drop table if exists "check_in";`);
    this.addSql(`drop table if exists "referral";`);
    this.addSql(`alter table "program"
      drop constraint "program_check_in_points_check", drop constraint "program_referral_monthly_limit_check",
      drop constraint "program_referral_hold_days_check", drop constraint "program_referral_points_check",
      drop column "check_in_points", drop column "referral_monthly_limit", drop column "referral_hold_days",
      drop column "referee_points", drop column "referrer_points", drop column "time_zone";`);
  }
}
