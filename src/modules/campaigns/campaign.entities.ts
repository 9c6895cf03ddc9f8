import { Check, DecimalType, Entity, Enum, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';

export type CampaignTrigger = 'PURCHASE' | 'ACTIVITY' | 'REGISTRATION' | 'TIER_UPGRADE' | 'CHECK_IN' | 'REFERRAL';
export const CAMPAIGN_TRIGGERS: CampaignTrigger[] = ['PURCHASE', 'ACTIVITY', 'REGISTRATION', 'TIER_UPGRADE', 'CHECK_IN', 'REFERRAL'];
export type CampaignStatus = 'DRAFT' | 'ACTIVE' | 'PAUSED' | 'ENDED';
export const CAMPAIGN_STATUSES: CampaignStatus[] = ['DRAFT', 'ACTIVE', 'PAUSED', 'ENDED'];

/**
 * A campaign: who (audience, a segment filter; null: every member), when (a window and a
 * trigger), on what condition, for what effect, within which limits, and the share held out as
 * a control group. Configuration: a change moves config_version (a trigger), so an instance
 * may hold active campaigns in memory with the version it read them at. What it has given is
 * counted beside its awards, not here.
 */
@Entity({ tableName: 'campaign' })
@Check({ name: 'campaign_window', expression: 'ends_at is null or ends_at > starts_at' })
@Check({ name: 'campaign_has_effect', expression: 'bonus_points is not null or multiplier is not null or reward_code is not null' })
@Check({ name: 'campaign_min_amount_cents_check', expression: 'min_amount_cents >= 0' })
@Check({ name: 'campaign_bonus_points_check', expression: 'bonus_points > 0' })
@Check({ name: 'campaign_multiplier_check', expression: 'multiplier > 1' })
@Check({ name: 'campaign_per_member_limit_check', expression: 'per_member_limit > 0' })
@Check({ name: 'campaign_budget_points_check', expression: 'budget_points > 0' })
@Check({ name: 'campaign_control_percent_check', expression: 'control_percent >= 0 and control_percent <= 50' })
export class Campaign {
  @PrimaryKey({ type: 'uuid', defaultRaw: 'gen_random_uuid()' })
  id!: string;

  @Property({ type: 'text', unique: 'campaign_code_unique' })
  code!: string;

  @Property({ type: 'text' })
  name!: string;

  @Enum({ items: CAMPAIGN_TRIGGERS, nativeEnumName: undefined })
  trigger!: CampaignTrigger;

  @Enum({ items: CAMPAIGN_STATUSES, nativeEnumName: undefined, default: 'DRAFT' })
  status: CampaignStatus = 'DRAFT';

  /** Why it ended: BUDGET_SPENT, ENDS_AT, ADMIN. */
  @Property({ type: 'text', nullable: true })
  endedReason: string | null = null;

  @Property({ type: 'timestamptz' })
  startsAt!: Date;

  @Property({ type: 'timestamptz', nullable: true })
  endsAt: Date | null = null;

  /** The segment filter (SegmentFilter) as given; null: every member. */
  @Property({ type: 'jsonb', nullable: true })
  audience: Record<string, unknown> | null = null;

  @Property({ type: 'text', nullable: true })
  activityKind: string | null = null;

  /** PURCHASE: the smallest qualifying amount, in cents. */
  @Property({ type: 'bigint', nullable: true })
  minAmountCents: string | null = null;

  @Property({ type: 'integer', nullable: true })
  bonusPoints: number | null = null;

  /** PURCHASE: extra points = floor(base × (multiplier − 1)); exact decimal. */
  @Property({ type: new DecimalType('string'), precision: 8, scale: 4, nullable: true })
  multiplier: string | null = null;

  @Property({ type: 'text', nullable: true })
  rewardCode: string | null = null;

  @Property({ type: 'integer', nullable: true })
  perMemberLimit: number | null = null;

  @Property({ type: 'integer', nullable: true })
  budgetPoints: number | null = null;

  @Property({ type: 'integer', default: 10 })
  controlPercent: number = 10;

  @Property({ type: 'timestamptz', nullable: true })
  activatedAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  endedAt: Date | null = null;

  /** The periods in which it was paused ([from, until), until open while PAUSED): it gives to no event dated inside them. */
  @Property({ type: 'string', columnType: 'tstzmultirange', defaultRaw: `'{}'`, lazy: true })
  paused?: string;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}

/**
 * A member's arm in a campaign, assigned when first found in its audience, never changed. Read
 * by campaign first (its primary key); no index by member alone (migration campaign_award_path).
 */
@Entity({ tableName: 'campaign_member' })
export class CampaignMember {
  @PrimaryKey({ type: 'uuid' })
  campaignId!: string;

  @PrimaryKey({ type: 'uuid' })
  memberId!: string;

  @Property({ type: 'boolean' })
  control!: boolean;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  assignedAt: Date = new Date();
}

/**
 * One rewarded event: (campaign, source) keeps it idempotent as the write it rides on. A source
 * names one event of one member, never an event many members share ('purchase:<orderId>',
 * 'activity:<key>', 'registration:<member>', 'tier:<change id>', 'check_in:<member>:<day>',
 * 'referral:<id>'). `points` the
 * BONUS points given, `rewardPoints` an issued reward's costPoints (counted against the budget),
 * `reversedPoints` what refunds reversed of it (pro rata), `unrecoveredPoints` the part of that
 * they could not take back (the member had spent it): given, net, is points − reversed +
 * unrecovered.
 */
@Entity({ tableName: 'campaign_award' })
@Unique({ name: 'campaign_award_source_unique', properties: ['campaignId', 'source'] })
@Index({ name: 'campaign_award_member_index', properties: ['memberId', 'campaignId'] })
@Check({ name: 'campaign_award_points_check', expression: 'points >= 0' })
@Check({ name: 'campaign_award_reward_points_check', expression: 'reward_points >= 0' })
@Check({ name: 'campaign_award_check', expression: 'reversed_points >= 0 and reversed_points <= points' })
@Check({ name: 'campaign_award_unrecovered_check', expression: 'unrecovered_points >= 0 and unrecovered_points <= reversed_points' })
export class CampaignAward {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Property({ type: 'uuid' })
  campaignId!: string;

  @Property({ type: 'uuid' })
  memberId!: string;

  @Property({ type: 'text' })
  source!: string;

  @Property({ type: 'timestamptz' })
  occurredAt!: Date;

  @Property({ type: 'integer', default: 0 })
  points: number = 0;

  @Property({ type: 'integer', default: 0 })
  rewardPoints: number = 0;

  @Property({ type: 'integer', default: 0 })
  reversedPoints: number = 0;

  @Property({ type: 'integer', default: 0 })
  unrecoveredPoints: number = 0;

  @Property({ type: 'bigint', nullable: true })
  transactionId: string | null = null;

  @Property({ type: 'uuid', nullable: true })
  couponId: string | null = null;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();
}

/**
 * A budgeted campaign's remaining points, split into 32 slots (migrations campaign_effects, campaign_award_path): a
 * purchase takes from its member's slot, so purchases of different members do not queue on one
 * row; budget_points − Σ remaining = what the awards hold (points − reversed + reward points).
 */
@Entity({ tableName: 'campaign_budget' })
@Check({ name: 'campaign_budget_remaining_check', expression: 'remaining >= 0' })
export class CampaignBudget {
  @PrimaryKey({ type: 'uuid' })
  campaignId!: string;

  @PrimaryKey({ type: 'integer' })
  slot!: number;

  @Property({ type: 'bigint' })
  remaining!: string;
}
