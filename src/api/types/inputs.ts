// Input types of the public contract, with class-validator rules: a violation is a
// BAD_USER_INPUT error naming the field, before any service runs.
import {
  ArrayMaxSize, IsEmail, IsInt, IsOptional, Length, Matches, Max, MaxLength, Min, NotEquals,
} from 'class-validator';
import { Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import { VISIBLE_CHARACTER } from '../../common/text.rules';
import { MAX_COUPON_VALID_DAYS } from '../../modules/rewards/rewards.rules';
import { FILTER_LIST_CAPS as CAPS } from '../../modules/segments/segments.service';
import { DowngradePolicy, LifecycleStage, RfmSegment, TagCategory } from './enums';

const CODE = /^[A-Za-z0-9_.-]+$/;
const CODE_MESSAGE = 'codes use letters, digits, _ . - only';
/** A name the console lists: at least one character that is not white space. */
const NOT_BLANK = /\S/;
/** A name is what the console and the apps list: it needs a character that shows (zero-width and filler characters alone are blank). */
const NAME_MESSAGE = 'name must not be blank: it needs a visible character';
const KEY_NOT_BLANK_MESSAGE = 'idempotencyKey must not be blank';
/**
 * A key that begins and ends with a character that is not white space: an import reads its
 * fields trimmed, so a key with spaces at its edges would be another member's there.
 */
const NO_EDGE_SPACE = /^(?!\s)[\s\S]*(?<!\s)$/;
const NO_EDGE_SPACE_MESSAGE = 'externalId must not begin or end with white space';
const ORDER_ID_EDGE_SPACE_MESSAGE = 'orderId must not begin or end with white space';
/** A member's phone and birthday, as registerMember and updateMember take them. */
// At least one digit: a phone of separators alone ("---") is no number, and search could never find it.
const PHONE = /^\+?(?=[^0-9]*[0-9])[0-9 ()-]{3,32}$/;
const PHONE_MESSAGE = 'phone must be digits, spaces, ( ) - and a leading + (at least one digit)';
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** One class for both directions: a segment returns the filter it was saved with. */
@ObjectType('SegmentFilter')
@InputType('SegmentFilterInput')
export class SegmentFilterInput {
  @Field(() => [String], { nullable: true }) @IsOptional() @ArrayMaxSize(CAPS.tierCodes) tierCodes?: string[] | null;
  @Field(() => [String], { nullable: true }) @IsOptional() @ArrayMaxSize(CAPS.tagsAll) tagsAll?: string[] | null;
  @Field(() => [String], { nullable: true }) @IsOptional() @ArrayMaxSize(CAPS.tagsAny) tagsAny?: string[] | null;
  @Field(() => [String], { nullable: true }) @IsOptional() @ArrayMaxSize(CAPS.tagsNone) tagsNone?: string[] | null;
  @Field(() => [LifecycleStage], { nullable: true }) @IsOptional() stages?: LifecycleStage[] | null;
  @Field(() => [RfmSegment], { nullable: true }) @IsOptional() rfmSegments?: RfmSegment[] | null;
  @Field(() => Int, { nullable: true }) @IsOptional() minBalance?: number | null;
  @Field(() => Int, { nullable: true }) @IsOptional() maxBalance?: number | null;
  @Field(() => Float, { nullable: true, description: 'Net spend in the last 365 days, at least' }) @IsOptional() minSpend?: number | null;
  @Field(() => Float, { nullable: true }) @IsOptional() maxSpend?: number | null;
  @Field(() => Int, { nullable: true, description: 'RFM recency score 1-5, at least' }) @IsOptional() @Min(1) @Max(5) minR?: number | null;
  @Field(() => Int, { nullable: true }) @IsOptional() @Min(1) @Max(5) minF?: number | null;
  @Field(() => Int, { nullable: true }) @IsOptional() @Min(1) @Max(5) minM?: number | null;
  @Field(() => Date, { nullable: true }) joinedFrom?: Date | null;
  @Field(() => Date, { nullable: true }) joinedTo?: Date | null;
  @Field(() => Date, { nullable: true }) lastPurchaseFrom?: Date | null;
  @Field(() => Date, { nullable: true }) lastPurchaseTo?: Date | null;
  @Field(() => Date, { nullable: true }) tierExpiresFrom?: Date | null;
  @Field(() => Date, { nullable: true }) tierExpiresTo?: Date | null;
  @Field(() => [String], { nullable: true }) @IsOptional() @ArrayMaxSize(CAPS.genders) genders?: string[] | null;
  @Field(() => [String], { nullable: true }) @IsOptional() @ArrayMaxSize(CAPS.regions) regions?: string[] | null;
  @Field(() => [String], { nullable: true }) @IsOptional() @ArrayMaxSize(CAPS.channels) channels?: string[] | null;
  @Field(() => [Int], { nullable: true }) @IsOptional() @ArrayMaxSize(CAPS.birthdayMonths) birthdayMonths?: number[] | null;
}

@InputType()
export class SegmentInput {
  @Field() @Length(1, 200) @Matches(VISIBLE_CHARACTER, { message: NAME_MESSAGE }) name!: string;
  @Field(() => SegmentFilterInput) filter!: SegmentFilterInput;
}

@InputType()
export class ProgramInput {
  @Field(() => Float, { nullable: true }) @IsOptional() @Min(0.0001) @Max(10000) pointsPerUnit?: number | null;
  @Field(() => Int, { nullable: true }) @IsOptional() @Min(1) @Max(240) pointsExpiryMonths?: number | null;
  @Field(() => Boolean, { nullable: true }) clearPointsExpiry?: boolean | null;
  @Field(() => Int, { nullable: true }) @IsOptional() @Min(1) @Max(120) qualificationWindowMonths?: number | null;
  @Field(() => Int, { nullable: true }) @IsOptional() @Min(1) @Max(120) tierValidityMonths?: number | null;
  @Field(() => DowngradePolicy, { nullable: true }) downgradePolicy?: DowngradePolicy | null;
  @Field(() => Boolean, { nullable: true }) allowNegativeBalance?: boolean | null;
  @Field(() => Int, { nullable: true }) @IsOptional() @Min(0) @Max(365) pointsPendingDays?: number | null;
  @Field(() => Int, { nullable: true }) @IsOptional() @Min(0) @Max(365) tierNoticeDays?: number | null;
  @Field(() => Int, { nullable: true }) @IsOptional() @Min(1) @Max(3650) churnHorizonDays?: number | null;
  @Field(() => Int, { nullable: true }) @IsOptional() @Min(1) @Max(3650) lifecycleNewDays?: number | null;
  @Field(() => Int, { nullable: true }) @IsOptional() @Min(1) @Max(3650) lifecycleActiveDays?: number | null;
  @Field(() => Int, { nullable: true }) @IsOptional() @Min(1) @Max(3650) lifecycleAtRiskDays?: number | null;
  @Field(() => Int, { nullable: true }) @IsOptional() @Min(1) @Max(3650) lifecycleDormantDays?: number | null;
  @Field(() => Float, { nullable: true, description: 'money value of one point: at least 0, at most 6 decimals' }) pointValue?: number | null;
  @Field(() => String, { nullable: true, description: 'an IANA time zone, e.g. Asia/Shanghai' }) @IsOptional() @MaxLength(64) timeZone?: string | null;
  @Field(() => Int, { nullable: true }) @IsOptional() @Min(0) @Max(1_000_000) referrerPoints?: number | null;
  @Field(() => Int, { nullable: true }) @IsOptional() @Min(0) @Max(1_000_000) refereePoints?: number | null;
  @Field(() => Int, { nullable: true }) @IsOptional() @Min(0) @Max(365) referralHoldDays?: number | null;
  @Field(() => Int, { nullable: true }) @IsOptional() @Min(0) @Max(10_000) referralMonthlyLimit?: number | null;
  @Field(() => [Int], { nullable: true, description: 'points by streak day, at most 31 values from 0 to 100000; [] turns check-in off' })
  @IsOptional() @ArrayMaxSize(31) @IsInt({ each: true }) @Min(0, { each: true }) @Max(100_000, { each: true }) checkInPoints?: number[] | null;
}

@InputType()
export class TierInput {
  @Field() @Length(1, 64) @Matches(CODE, { message: CODE_MESSAGE }) code!: string;
  @Field() @Length(1, 200) @Matches(VISIBLE_CHARACTER, { message: NAME_MESSAGE }) name!: string;
  @Field(() => Int) @Min(0) @Max(50) rank!: number;
  @Field(() => Int) @Min(0) qualifyingPoints!: number;
  @Field(() => Int) @Min(0) retainPoints!: number;
  @Field(() => Float, { defaultValue: 1 }) @Min(1) @Max(100) pointsMultiplier!: number;
}

@InputType()
export class RegisterMemberInput {
  @Field(() => String, { nullable: true }) @IsOptional() @Length(1, 200) @Matches(NO_EDGE_SPACE, { message: NO_EDGE_SPACE_MESSAGE }) externalId?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(200) displayName?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @IsEmail() @MaxLength(320) email?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @Matches(PHONE, { message: PHONE_MESSAGE }) phone?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @Matches(DATE, { message: 'birthday must be YYYY-MM-DD' }) birthday?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(32) gender?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(100) region?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(100) channel?: string | null;
  @Field(() => Date, { nullable: true }) joinedAt?: Date | null;
  @Field(() => String, { nullable: true, description: "the referrer's invite code (case-insensitive); unknown: BAD_USER_INPUT" }) @IsOptional() @MaxLength(32) referralCode?: string | null;
}

/** updateMember: an absent field is unchanged, null clears it; each checked as registerMember checks it. */
@InputType()
export class MemberPatch {
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(200) displayName?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @IsEmail() @MaxLength(320) email?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @Matches(PHONE, { message: PHONE_MESSAGE }) phone?: string | null;
  @Field(() => String, { nullable: true, description: 'YYYY-MM-DD; a member may set it once, services and admins may change it' })
  @IsOptional() @Matches(DATE, { message: 'birthday must be YYYY-MM-DD' }) birthday?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(32) gender?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(100) region?: string | null;
}

@InputType()
export class RecordPurchaseInput {
  @Field(() => ID) memberId!: string;
  // The key a purchases file names the order by, read trimmed: ' X ' here was another order there.
  @Field() @Length(1, 200) @Matches(NO_EDGE_SPACE, { message: ORDER_ID_EDGE_SPACE_MESSAGE }) orderId!: string;
  @Field(() => Float) amount!: number;
  @Field(() => Date, { nullable: true }) occurredAt?: Date | null;
}

@InputType()
export class RefundPurchaseInput {
  @Field() @Length(1, 200) orderId!: string;
  // The refund's idempotency key: white space alone is none.
  @Field({ description: 'The refund\'s own id, its idempotency key (1 to 200 characters, not only spaces). It may not contain ":campaign:" or ":referral:", which the keys of the refund\'s campaign and referral reversals add to it, nor end with ":referral", nor begin with "import:", the refunds of an import\'s refundedAmount.' })
  @Length(1, 200) @Matches(NOT_BLANK, { message: 'refundId must not be blank' }) refundId!: string;
  @Field(() => Float) amount!: number;
  @Field(() => Date, { nullable: true }) occurredAt?: Date | null;
}

@InputType()
export class AdjustPointsInput {
  @Field(() => ID) memberId!: string;
  @Field(() => Int) @IsInt() @NotEquals(0, { message: 'amount must not be 0' }) amount!: number;
  @Field() @Length(1, 500) reason!: string;
  @Field() @Length(1, 200) @Matches(NOT_BLANK, { message: KEY_NOT_BLANK_MESSAGE }) idempotencyKey!: string;
  @Field(() => Date, { nullable: true }) occurredAt?: Date | null;
}

@InputType()
export class RedeemRewardInput {
  @Field(() => ID) memberId!: string;
  @Field() @Length(1, 64) rewardCode!: string;
  @Field() @Length(1, 200) @Matches(NOT_BLANK, { message: KEY_NOT_BLANK_MESSAGE }) idempotencyKey!: string;
  @Field(() => Date, { nullable: true }) occurredAt?: Date | null;
}

@InputType()
export class BenefitInput {
  @Field() @Length(1, 64) @Matches(CODE, { message: CODE_MESSAGE }) code!: string;
  @Field() @Length(1, 200) @Matches(VISIBLE_CHARACTER, { message: NAME_MESSAGE }) name!: string;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(2000) description?: string | null;
  @Field() @Length(1, 64) kind!: string;
  @Field(() => Float, { nullable: true }) value?: number | null;
  @Field(() => [String]) @ArrayMaxSize(100) tierCodes!: string[];
  @Field(() => [String], { nullable: true, defaultValue: [] }) @IsOptional() @ArrayMaxSize(100) requiredTags?: string[] | null;
  @Field({ defaultValue: true }) active!: boolean;
  @Field(() => Date, { nullable: true }) validFrom?: Date | null;
  @Field(() => Date, { nullable: true }) validTo?: Date | null;
}

@InputType()
export class RewardInput {
  @Field() @Length(1, 64) @Matches(CODE, { message: CODE_MESSAGE }) code!: string;
  @Field() @Length(1, 200) @Matches(VISIBLE_CHARACTER, { message: NAME_MESSAGE }) name!: string;
  @Field(() => Int) @Min(1) costPoints!: number;
  @Field(() => Int, { nullable: true }) @IsOptional() @Min(0) stock?: number | null;
  @Field(() => Int, { nullable: true }) @IsOptional() @Min(1) perMemberLimit?: number | null;
  @Field(() => [String], { nullable: true, defaultValue: [] }) @IsOptional() @ArrayMaxSize(100) tierCodes?: string[] | null;
  @Field({ defaultValue: true }) active!: boolean;
  @Field(() => Date, { nullable: true }) validFrom?: Date | null;
  @Field(() => Date, { nullable: true }) validTo?: Date | null;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(2000) description?: string | null;
  @Field(() => Float, { nullable: true, description: 'What the coupon is worth at the till, in money (at most 2 decimals); null = not a money coupon' })
  faceValue?: number | null;
  @Field(() => Int, { nullable: true, description: 'A redemption\'s coupon can be used for this many days (× 24 h) after its issue; null = no end' })
  @IsOptional() @Min(1) @Max(MAX_COUPON_VALID_DAYS) couponValidDays?: number | null;
}

// Patches: an absent field is unchanged (type-graphql leaves it off the instance), an explicit
// null clears a nullable field and is BAD_USER_INPUT on any other (the service says which).
// The validators skip null (IsOptional) and check a value as the upsert inputs do.

@InputType({ description: 'Any change is a new version; a patch that changes nothing makes none.' })
export class BenefitPatch {
  @Field(() => String, { nullable: true }) @IsOptional() @Length(1, 200) @Matches(VISIBLE_CHARACTER, { message: NAME_MESSAGE }) name?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(2000) description?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @Length(1, 64) kind?: string | null;
  @Field(() => Float, { nullable: true }) value?: number | null;
  @Field(() => [String], { nullable: true }) @IsOptional() @ArrayMaxSize(100) tierCodes?: string[] | null;
  @Field(() => [String], { nullable: true }) @IsOptional() @ArrayMaxSize(100) requiredTags?: string[] | null;
  @Field(() => Boolean, { nullable: true }) active?: boolean | null;
  @Field(() => Date, { nullable: true }) validFrom?: Date | null;
  @Field(() => Date, { nullable: true }) validTo?: Date | null;
}

@InputType()
export class RewardPatch {
  @Field(() => String, { nullable: true }) @IsOptional() @Length(1, 200) @Matches(VISIBLE_CHARACTER, { message: NAME_MESSAGE }) name?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(2000) description?: string | null;
  @Field(() => Float, { nullable: true }) faceValue?: number | null;
  @Field(() => Int, { nullable: true }) @IsOptional() @Min(1) costPoints?: number | null;
  @Field(() => Int, { nullable: true }) @IsOptional() @Min(0) stock?: number | null;
  @Field(() => Int, { nullable: true }) @IsOptional() @Min(1) perMemberLimit?: number | null;
  @Field(() => [String], { nullable: true }) @IsOptional() @ArrayMaxSize(100) tierCodes?: string[] | null;
  @Field(() => Boolean, { nullable: true }) active?: boolean | null;
  @Field(() => Date, { nullable: true }) validFrom?: Date | null;
  @Field(() => Date, { nullable: true }) validTo?: Date | null;
  @Field(() => Int, { nullable: true }) @IsOptional() @Min(1) @Max(MAX_COUPON_VALID_DAYS) couponValidDays?: number | null;
}

@InputType()
export class UseCouponInput {
  @Field({ description: 'As printed or typed: case and separators do not matter' }) @Length(1, 64) couponCode!: string;
  @Field({ description: 'A till retrying the same use gets the same answer' }) @Length(1, 200) @Matches(NOT_BLANK, { message: KEY_NOT_BLANK_MESSAGE }) idempotencyKey!: string;
  /** A store's key, part of the use's payload: refused, never trimmed, with white space at an edge or alone (a till's corrected retry would be a CONFLICT). */
  @Field(() => String, { nullable: true }) @IsOptional() @Length(1, 200)
  @Matches(NO_EDGE_SPACE, { message: 'storeId must not be blank nor begin or end with white space' }) storeId?: string | null;
  @Field(() => Date, { nullable: true, description: 'When the coupon was used, for a till that was offline (service, admin)' })
  occurredAt?: Date | null;
}

@InputType()
export class RecordActivityInput {
  @Field(() => ID) memberId!: string;
  @Field() @Length(1, 64) kind!: string;
  @Field() @Length(1, 200) @Matches(NOT_BLANK, { message: KEY_NOT_BLANK_MESSAGE }) idempotencyKey!: string;
  @Field(() => Date, { nullable: true }) occurredAt?: Date | null;
}

@InputType()
export class ActivityRuleInput {
  @Field() @Length(1, 64) @Matches(CODE, { message: CODE_MESSAGE }) kind!: string;
  @Field() @Length(1, 200) @Matches(VISIBLE_CHARACTER, { message: NAME_MESSAGE }) name!: string;
  @Field(() => Int) @Min(0) points!: number;
  @Field(() => Int, { defaultValue: 0 }) @Min(0) qualifyingPoints!: number;
  @Field(() => Int, { nullable: true }) @IsOptional() @Min(1) dailyCap?: number | null;
  @Field({ defaultValue: true }) active!: boolean;
  @Field(() => Boolean, { nullable: true, description: 'Whether a member\'s app may record this kind for its member (recordActivity with a member token); else only back ends and admins do. Omitted or null: a new rule says false, an existing rule keeps what it says' })
  memberMayRecord?: boolean | null;
}

@InputType()
export class TagInput {
  @Field() @Length(1, 64) @Matches(/^[A-Za-z0-9_.:-]+$/, { message: 'tag codes use letters, digits, _ . : - only' }) code!: string;
  @Field() @Length(1, 200) @Matches(VISIBLE_CHARACTER, { message: NAME_MESSAGE }) name!: string;
  @Field(() => TagCategory, { defaultValue: TagCategory.DESCRIPTIVE }) category!: TagCategory;
  @Field(() => SegmentFilterInput, { nullable: true, description: 'Makes it a RULE tag: the server keeps its members to those matching' })
  rule?: SegmentFilterInput | null;
}

@InputType({ description: 'What the audit log page filters by; a condition left out (null) selects every entry.' })
export class AuditFilterInput {
  @Field(() => String, { nullable: true, description: 'Member, Benefit, Reward, Tier, Program, Tag, Segment, ActivityRule, Redemption' })
  @IsOptional() @MaxLength(200) entity?: string | null;
  @Field(() => String, { nullable: true, description: 'The entity\'s key as the entry has it: a member\'s id, a benefit\'s code …' })
  @IsOptional() @MaxLength(200) entityId?: string | null;
  @Field(() => String, { nullable: true, description: 'benefit.update, member.tag, points.adjust …' }) @IsOptional() @MaxLength(200) action?: string | null;
  @Field(() => String, { nullable: true, description: 'role:subject, as the entry has it (admin:me)' }) @IsOptional() @MaxLength(200) actor?: string | null;
  @Field(() => Date, { nullable: true, description: 'At or after this instant' }) from?: Date | null;
  @Field(() => Date, { nullable: true, description: 'Before this instant' }) to?: Date | null;
}

// --- Webhooks (contract part integrations): the URL and event types are checked by the service (webhooks.rules.ts).
@InputType()
export class WebhookEndpointInput {
  @Field() @MaxLength(2048) url!: string;
  @Field(() => [String], { description: 'names from webhookEventTypes; ["*"] = every type' }) @ArrayMaxSize(100) eventTypes!: string[];
  @Field(() => Boolean, { nullable: true, defaultValue: true }) @IsOptional() active?: boolean | null;
}
