// The campaigns part of the contract (shared/contract/parts/campaigns.graphql): definitions and lifecycle.
import { IsOptional, Length, Matches, MaxLength } from 'class-validator';
import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { VISIBLE_CHARACTER } from '../../common/text.rules';
import { SegmentFilterInput } from './inputs';

export enum CampaignTrigger { PURCHASE = 'PURCHASE', ACTIVITY = 'ACTIVITY', REGISTRATION = 'REGISTRATION', TIER_UPGRADE = 'TIER_UPGRADE', CHECK_IN = 'CHECK_IN', REFERRAL = 'REFERRAL' }
export enum CampaignStatus { DRAFT = 'DRAFT', ACTIVE = 'ACTIVE', PAUSED = 'PAUSED', ENDED = 'ENDED' }
registerEnumType(CampaignTrigger, { name: 'CampaignTrigger' });
registerEnumType(CampaignStatus, { name: 'CampaignStatus' });

@ObjectType({ description: 'A campaign: who (audience), when (window, trigger), on what condition, for what effect, within which limits, with a control group held out.' })
export class Campaign {
  @Field(() => ID) id!: string;
  @Field() code!: string;
  @Field() name!: string;
  @Field(() => CampaignTrigger) trigger!: CampaignTrigger;
  @Field(() => CampaignStatus) status!: CampaignStatus;
  @Field(() => String, { nullable: true, description: 'BUDGET_SPENT, ENDS_AT or ADMIN' }) endedReason!: string | null;
  @Field(() => Date, { nullable: true, description: 'ENDED: when it stopped giving (the admin\'s end, its endsAt, or the award its budget could not cover); null before' })
  endedAt!: Date | null;
  @Field() startsAt!: Date;
  @Field(() => Date, { nullable: true }) endsAt!: Date | null;
  @Field(() => SegmentFilterInput, { nullable: true, description: 'null = every member' }) audience!: SegmentFilterInput | null;
  @Field(() => String, { nullable: true, description: 'ACTIVITY: which activity kind' }) activityKind!: string | null;
  @Field(() => Float, { nullable: true, description: 'PURCHASE: smallest qualifying amount' }) minAmount!: number | null;
  @Field(() => Int, { nullable: true, description: 'fixed points per qualifying event' }) bonusPoints!: number | null;
  @Field(() => Float, { nullable: true, description: 'PURCHASE: extra points = floor(base points × (multiplier − 1)); base = the programme rate\'s points, before tier and benefit multipliers' })
  multiplier!: number | null;
  @Field(() => String, { nullable: true, description: 'a reward issued at no cost per qualifying event (a coupon); costs its costPoints of the budget' }) rewardCode!: string | null;
  @Field(() => Int, { nullable: true }) perMemberLimit!: number | null;
  @Field(() => Int, { nullable: true, description: 'all or nothing per award: an award the rest cannot cover ends the campaign (BUDGET_SPENT)' }) budgetPoints!: number | null;
  @Field(() => Int, { description: '0..50: share of the audience held out, never rewarded' }) controlPercent!: number;
  // pointsGiven: CampaignResolver (net of reversals by refunds, from the awards)
}

@InputType()
export class CampaignInput {
  @Field() @Length(1, 64) @Matches(/^[A-Za-z0-9_.-]+$/, { message: 'codes use letters, digits, _ . - only' }) code!: string;
  @Field() @Length(1, 200) @Matches(VISIBLE_CHARACTER, { message: 'name must not be blank: it needs a visible character' }) name!: string;
  @Field(() => CampaignTrigger) trigger!: CampaignTrigger;
  @Field() startsAt!: Date;
  @Field(() => Date, { nullable: true }) endsAt?: Date | null;
  @Field(() => SegmentFilterInput, { nullable: true }) audience?: SegmentFilterInput | null;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(64) activityKind?: string | null;
  @Field(() => Float, { nullable: true }) minAmount?: number | null;
  @Field(() => Int, { nullable: true }) bonusPoints?: number | null;
  @Field(() => Float, { nullable: true }) multiplier?: number | null;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(64) rewardCode?: string | null;
  @Field(() => Int, { nullable: true }) perMemberLimit?: number | null;
  @Field(() => Int, { nullable: true }) budgetPoints?: number | null;
  @Field(() => Int, { defaultValue: 10 }) controlPercent!: number;
}
