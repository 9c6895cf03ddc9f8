// Output types of the public contract (shared/contract/loyalty.graphql). Field resolvers
// that need loaders live in the resolver classes; these classes only declare shapes.
// Totals over many members or ledger rows are SafeInt (exact to 2^53; the contract's Int
// widened), summed as bigint: a programme's liability passes 2^31 long before that.
import { SafeIntResolver } from 'graphql-scalars';
import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import {
  DowngradePolicy, LifecycleStage, PointTransactionType, RfmSegment, TagCategory, TagKind, TierChangeKind, WebhookDeliveryStatus,
} from './enums';
import { SegmentFilterInput as SegmentFilter } from './inputs';

@ObjectType()
export class Program {
  @Field(() => Float) pointsPerUnit!: number;
  @Field(() => Int, { nullable: true }) pointsExpiryMonths!: number | null;
  @Field(() => Int) qualificationWindowMonths!: number;
  @Field(() => Int) tierValidityMonths!: number;
  @Field(() => DowngradePolicy) downgradePolicy!: DowngradePolicy;
  @Field() allowNegativeBalance!: boolean;
  @Field(() => Int) pointsPendingDays!: number;
  @Field(() => Int) tierNoticeDays!: number;
  @Field(() => Int) churnHorizonDays!: number;
  @Field(() => Int, { description: 'NEW: first purchase within this many days' }) lifecycleNewDays!: number;
  @Field(() => Int, { description: 'ACTIVE: last purchase within this many days' }) lifecycleActiveDays!: number;
  @Field(() => Int, { description: 'AT_RISK: last purchase within this many days' }) lifecycleAtRiskDays!: number;
  @Field(() => Int, { description: 'DORMANT: last purchase within this many days; CHURNED beyond' }) lifecycleDormantDays!: number;
  @Field(() => Float, { description: 'money value of one point, for costs and ROI (default 0.01)' }) pointValue!: number;
  @Field({ description: 'IANA; programme-local days for caps, check-in, birthdays, monthly reports, RFM recency' }) timeZone!: string;
  @Field(() => Int) referrerPoints!: number;
  @Field(() => Int) refereePoints!: number;
  @Field(() => Int, { description: 'referral points stay pending this long; a full refund of the completing purchase within it reverses them' }) referralHoldDays!: number;
  @Field(() => Int, { description: 'completed referrals rewarded per referrer per local month; 0 = no limit' }) referralMonthlyLimit!: number;
  @Field(() => [Int], { description: 'points by streak day; the last repeats; [] = check-in off' }) checkInPoints!: number[];
}

@ObjectType()
export class Tier {
  @Field(() => ID) id!: string;
  @Field() code!: string;
  @Field() name!: string;
  @Field(() => Int) rank!: number;
  @Field(() => Int) qualifyingPoints!: number;
  @Field(() => Int) retainPoints!: number;
  @Field(() => Float) pointsMultiplier!: number;
  // benefits, memberCount: TierResolver
}

@ObjectType()
export class TierProgress {
  @Field(() => Int) qualifyingPoints!: number;
  @Field(() => Tier, { nullable: true }) nextTier!: Tier | null;
  @Field(() => Int, { nullable: true }) pointsToNextTier!: number | null;
  @Field(() => Int) pointsToRetain!: number;
}

@ObjectType()
export class Member {
  @Field(() => ID) id!: string;
  @Field(() => String, { nullable: true }) externalId!: string | null;
  @Field(() => String, { nullable: true }) displayName!: string | null;
  @Field(() => String, { nullable: true }) email!: string | null;
  @Field(() => String, { nullable: true }) phone!: string | null;
  @Field(() => String, { nullable: true }) birthday!: string | null;
  @Field(() => String, { nullable: true }) gender!: string | null;
  @Field(() => String, { nullable: true }) region!: string | null;
  @Field(() => String, { nullable: true }) channel!: string | null;
  @Field() joinedAt!: Date;
  @Field() tierSince!: Date;
  @Field(() => Date, { nullable: true }) tierExpiresAt!: Date | null;
  @Field(() => Date, { nullable: true, description: 'Set by eraseMember; personal fields are null from then on' }) erasedAt!: Date | null;
  // tier, tierProgress, points, history, benefits, tags, redemptions, retention: MemberResolver
}

@ObjectType()
export class Rfm {
  @Field(() => Int) recencyDays!: number;
  @Field(() => Int) frequency!: number;
  @Field(() => Float) monetary!: number;
  @Field(() => Int) r!: number;
  @Field(() => Int) f!: number;
  @Field(() => Int) m!: number;
  @Field(() => RfmSegment) segment!: RfmSegment;
}

@ObjectType({ description: 'Pending points that become spendable at one instant (the purchase\'s date plus pointsPendingDays, as it was when they were earned).' })
export class PointsActivation {
  @Field() activatesAt!: Date;
  @Field(() => Int) points!: number;
}

@ObjectType()
export class PointTransaction {
  @Field(() => ID) id!: string;
  @Field(() => PointTransactionType) type!: PointTransactionType;
  @Field(() => Int) amount!: number;
  @Field(() => Int) balanceAfter!: number;
  @Field() occurredAt!: Date;
  @Field(() => Date, { nullable: true }) expiresAt!: Date | null;
  @Field(() => String, { nullable: true }) reason!: string | null;
  @Field(() => String, { nullable: true }) reference!: string | null;
  @Field(() => Int, {
    name: 'unrecoveredPoints',
    description: "A refund's reversal: the points it could not take back because the member had spent them (amount is what it took); a refund's give-back (a positive REFUND_REVERSAL a backdated write made, re-planning the refunds in date order): the points it gave back, which the refund owes again; 0 otherwise",
  })
  unrecovered!: number;
}

@ObjectType()
export class PageInfo {
  @Field() hasNextPage!: boolean;
  @Field(() => String, { nullable: true }) endCursor!: string | null;
}

@ObjectType()
export class PointTransactionEdge {
  @Field() cursor!: string;
  @Field(() => PointTransaction) node!: PointTransaction;
}

@ObjectType()
export class PointTransactionConnection {
  @Field(() => [PointTransactionEdge]) edges!: PointTransactionEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
}

@ObjectType()
export class MemberEdge {
  @Field() cursor!: string;
  @Field(() => Member) node!: Member;
}

@ObjectType()
export class MemberConnection {
  @Field(() => [MemberEdge]) edges!: MemberEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
  @Field(() => SafeIntResolver) totalCount!: number;
}

@ObjectType()
export class TierChange {
  @Field(() => ID) id!: string;
  @Field(() => ID) memberId!: string;
  @Field(() => TierChangeKind) kind!: TierChangeKind;
  // fromTier, toTier: TierChangeResolver
  @Field() reason!: string;
  @Field(() => Int) qualifyingPoints!: number;
  @Field() occurredAt!: Date;
  @Field(() => Date, {
    nullable: true,
    description: 'When a fact that arrived later (backdated) replaced this change; null while it stands. tierHistory lists only the '
      + 'changes that stand; tierChangeFeed serves every change once, in its place: a superseded one with this set when read after, '
      + 'what replaced it where the transaction that superseded it committed.',
  })
  supersededAt?: Date | null;
}

@ObjectType()
export class TierChangeEdge {
  @Field() cursor!: string;
  @Field(() => TierChange) node!: TierChange;
}

@ObjectType()
export class TierChangeConnection {
  @Field(() => [TierChangeEdge]) edges!: TierChangeEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
}

@ObjectType()
export class Benefit {
  @Field(() => ID) id!: string;
  @Field() code!: string;
  @Field() name!: string;
  @Field(() => String, { nullable: true }) description!: string | null;
  @Field() kind!: string;
  @Field(() => Float, { nullable: true }) value!: number | null;
  @Field(() => [String]) tierCodes!: string[];
  @Field(() => [String]) requiredTags!: string[];
  @Field() active!: boolean;
  @Field(() => Date, { nullable: true }) validFrom!: Date | null;
  @Field(() => Date, { nullable: true }) validTo!: Date | null;
  @Field(() => Int) version!: number;
}

@ObjectType()
export class Reward {
  @Field(() => ID) id!: string;
  @Field() code!: string;
  @Field() name!: string;
  @Field(() => Int) costPoints!: number;
  @Field(() => Int, { nullable: true }) stock!: number | null;
  @Field(() => Int, { nullable: true }) perMemberLimit!: number | null;
  @Field(() => [String]) tierCodes!: string[];
  @Field() active!: boolean;
  @Field(() => Date, { nullable: true }) validFrom!: Date | null;
  @Field(() => Date, { nullable: true }) validTo!: Date | null;
  @Field(() => Boolean, { nullable: true, description: 'For a member caller: whether its spendable balance covers the cost' })
  affordable?: boolean | null;
  @Field(() => String, { nullable: true }) description!: string | null;
  @Field(() => Float, { nullable: true, description: 'What the coupon is worth at the till, in money; null = not a money coupon' })
  faceValue!: number | null;
  @Field(() => Int, { nullable: true, description: 'A redemption\'s coupon can be used for this many days (× 24 h) after its issue; null = no end' })
  couponValidDays!: number | null;
}

@ObjectType()
export class Redemption {
  @Field(() => ID) id!: string;
  @Field(() => ID) memberId!: string;
  @Field(() => Reward) reward!: Reward;
  @Field(() => Int) points!: number;
  @Field() couponCode!: string;
  @Field({ description: 'ISSUED, USED, CANCELLED or EXPIRED (ISSUED and past expiresAt, as of the request)' }) status!: string;
  @Field() createdAt!: Date;
  @Field(() => Date, { nullable: true, description: 'The issue instant + reward.couponValidDays × 24 h, fixed at issue; null = no end' })
  expiresAt!: Date | null;
  @Field(() => Date, { nullable: true }) usedAt!: Date | null;
  @Field(() => String, { nullable: true }) usedAtStore!: string | null;
}

@ObjectType()
export class RedemptionEdge {
  @Field() cursor!: string;
  @Field(() => Redemption) node!: Redemption;
}

@ObjectType()
export class RedemptionConnection {
  @Field(() => [RedemptionEdge]) edges!: RedemptionEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
}

@ObjectType()
export class Tag {
  @Field(() => ID) id!: string;
  @Field() code!: string;
  @Field() name!: string;
  @Field(() => TagKind) kind!: TagKind;
  @Field(() => TagCategory) category!: TagCategory;
}

@ObjectType()
export class PurchaseResult {
  @Field(() => Member) member!: Member;
  @Field(() => Int) pointsEarned!: number;
  @Field(() => Int) qualifyingPointsEarned!: number;
  @Field(() => PointTransaction, { nullable: true }) transaction!: PointTransaction | null;
  @Field(() => TierChange, { nullable: true }) tierChange!: TierChange | null;
  @Field(() => Int, { description: 'campaign (and, with engagement, referral) points this purchase gave its member, besides pointsEarned' }) bonusPoints!: number;
}

@ObjectType()
export class JobResult {
  @Field(() => Int) processed!: number;
  @Field(() => Int) changed!: number;
}

@ObjectType()
export class AuditEntry {
  @Field(() => ID) id!: string;
  @Field() actor!: string;
  @Field() action!: string;
  @Field() entity!: string;
  @Field() entityId!: string;
  @Field(() => String, { nullable: true }) before!: string | null;
  @Field(() => String, { nullable: true }) after!: string | null;
  @Field() at!: Date;
}

@ObjectType()
export class AuditEntryEdge {
  @Field() cursor!: string;
  @Field(() => AuditEntry) node!: AuditEntry;
}

@ObjectType()
export class AuditEntryConnection {
  @Field(() => [AuditEntryEdge]) edges!: AuditEntryEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
}

@ObjectType()
export class ChurnModel {
  @Field(() => Float) r!: number;
  @Field(() => Float) alpha!: number;
  @Field(() => Float) a!: number;
  @Field(() => Float) b!: number;
  @Field(() => Int) customers!: number;
  @Field(() => Float) logLikelihood!: number;
  @Field() asOf!: Date;
  @Field(() => Float, { nullable: true, description: 'Backtest K-S of the score churnRisk holds (method), fitted churnHorizonDays earlier' }) ks!: number | null;
  @Field(() => Float, { nullable: true, description: 'Backtest Gini (2·AUC − 1) of the score churnRisk holds (method)' }) gini!: number | null;
  @Field(() => String, { description: 'Which score churnRisk holds: LOGISTIC (the supervised classifier) when its backtest beats BG/NBD and the naive recency ranking; else BG_NBD (the formula) when that is at least as good as recency; else RECENCY (days since the last purchase, calibrated to a probability: it ranks as the naive ranking does). BG_NBD with too little history' })
  method!: string;
  @Field(() => Float, { nullable: true, description: 'The naive ranking (longest since the last purchase first) on the same backtest: K-S' }) recencyKs!: number | null;
  @Field(() => Float, { nullable: true, description: 'The naive ranking on the same backtest: Gini' }) recencyGini!: number | null;
}

@ObjectType()
export class TierCount {
  @Field(() => Tier) tier!: Tier;
  @Field(() => SafeIntResolver) count!: number;
}

@ObjectType()
export class StageCount {
  @Field(() => LifecycleStage) stage!: LifecycleStage;
  @Field(() => SafeIntResolver) count!: number;
}

@ObjectType({ description: 'One RFM cell: its members and their net spend of the last 365 days.' })
export class RfmSegmentCount {
  @Field(() => RfmSegment) segment!: RfmSegment;
  @Field(() => SafeIntResolver) count!: number;
  @Field(() => Float, { description: 'Their 365-day net spend, in money' }) monetary!: number;
}

@ObjectType()
export class ProgramStats {
  @Field(() => SafeIntResolver) members!: number;
  @Field(() => [TierCount]) byTier!: TierCount[];
  @Field(() => [StageCount], { description: 'Every lifecycle stage, in lifecycle order (PROSPECT first, REACTIVATED last), 0 for an empty one' }) byStage!: StageCount[];
  @Field(() => SafeIntResolver) pointsLiability!: number;
  // pendingPoints, expiringPoints, byRfmSegment: ProgramStatsResolver
}

/** The filter of a saved segment: the same shape as its input type. */
export { SegmentFilter };

@ObjectType()
export class Segment {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field(() => SegmentFilter) filter!: SegmentFilter;
  // size, members: SegmentResolver
}

@ObjectType({ description: 'What a filter selects, before it is saved: the filter builder\'s live size, profile and members.' })
export class SegmentPreview {
  @Field(() => SegmentFilter) filter!: SegmentFilter;
  // size, members, profile: SegmentPreviewResolver
}

@ObjectType({ description: 'What an engagement activity (check-in, review, share, referral …) earns.' })
export class ActivityRule {
  @Field() kind!: string;
  @Field() name!: string;
  @Field(() => Int) points!: number;
  @Field(() => Int) qualifyingPoints!: number;
  @Field(() => Int, { nullable: true, description: 'Most points one member can earn from this kind per programme-local day (program.timeZone) of the activity occurredAt' }) dailyCap!: number | null;
  @Field() active!: boolean;
  @Field({ description: 'Whether a member\'s app may record this kind for its member (recordActivity with a member token); else only back ends and admins do (FORBIDDEN)' })
  memberMayRecord!: boolean;
}

@ObjectType()
export class ActivityResult {
  @Field(() => Member) member!: Member;
  @Field(() => Int) pointsEarned!: number;
  @Field(() => Int) qualifyingPointsEarned!: number;
  @Field(() => PointTransaction, { nullable: true }) transaction!: PointTransaction | null;
  @Field(() => TierChange, { nullable: true }) tierChange!: TierChange | null;
}

@ObjectType({ description: 'A warning that a member still needs points to keep its tier at tierExpiresAt.' })
export class TierNotice {
  @Field(() => ID) id!: string;
  @Field(() => ID) memberId!: string;
  @Field(() => Date) tierExpiresAt!: Date;
  @Field(() => Int) pointsToRetain!: number;
  @Field() noticedAt!: Date;
  // tier: TierNoticeResolver
}

@ObjectType({ description: 'One version of a benefit rule, as it was saved.' })
export class BenefitVersion {
  @Field(() => Int) version!: number;
  @Field() changedBy!: string;
  @Field() changedAt!: Date;
  @Field({ description: 'The rule as saved, JSON text' }) snapshot!: string;
}

@ObjectType()
export class StageTransition {
  @Field(() => LifecycleStage, { nullable: true, description: 'null: first classification' }) from!: LifecycleStage | null;
  @Field(() => LifecycleStage) to!: LifecycleStage;
  @Field(() => SafeIntResolver) count!: number;
}

@ObjectType()
export class SegmentProfileRow {
  @Field() dimension!: string;
  @Field() value!: string;
  @Field(() => SafeIntResolver) segmentCount!: number;
  @Field(() => Float) segmentShare!: number;
  @Field(() => Float) populationShare!: number;
  @Field(() => Float, { nullable: true, description: 'segment share ÷ population share × 100, rounded to 2 decimals; null when the segment is empty or no member has the value' }) tgi!: number | null;
}

@ObjectType()
export class PointsFlow {
  @Field() period!: string;
  @Field(() => SafeIntResolver) earned!: number;
  @Field(() => SafeIntResolver) redeemed!: number;
  @Field(() => SafeIntResolver) expired!: number;
  @Field(() => SafeIntResolver, { description: 'Points taken back by refunds (REFUND_REVERSAL) dated that month; earned is before them' }) reversed!: number;
  @Field(() => SafeIntResolver, { description: 'Points admins took away (adjustPoints below 0) that month' }) debited!: number;
  @Field(() => SafeIntResolver, { description: 'Balances forfeited by erasures that month' }) forfeited!: number;
  @Field(() => SafeIntResolver, { description: 'Opening balances bulk imports brought in, dated that month. earned + opening − redeemed − expired − reversed − debited − forfeited is what the liability moved by' }) opening!: number;
  @Field(() => Float, { nullable: true, description: 'redeemed ÷ earned' }) redemptionRate!: number | null;
}

@ObjectType({ description: 'Active members of a month = last month + new + won back − churned.' })
export class GrowthPeriod {
  @Field() period!: string;
  @Field(() => SafeIntResolver) active!: number;
  @Field(() => SafeIntResolver) new!: number;
  @Field(() => SafeIntResolver) retained!: number;
  @Field(() => SafeIntResolver) wonBack!: number;
  @Field(() => SafeIntResolver) churned!: number;
}

// --- Webhooks (contract part integrations)
@ObjectType()
export class WebhookEndpoint {
  @Field(() => ID) id!: string;
  @Field() url!: string;
  @Field(() => [String], { description: 'names from webhookEventTypes; ["*"] = every type' }) eventTypes!: string[];
  @Field() active!: boolean;
  @Field({ description: "the secret's last 4 characters" }) secretHint!: string;
  @Field() createdAt!: Date;
}

@ObjectType()
export class WebhookEndpointWithSecret {
  @Field(() => WebhookEndpoint) endpoint!: WebhookEndpoint;
  @Field({ description: 'shown once, at creation and at rotation' }) secret!: string;
}

@ObjectType()
export class WebhookDelivery {
  @Field(() => ID) id!: string;
  @Field(() => ID) endpointId!: string;
  @Field(() => ID, { description: 'stable across retries: receivers de-duplicate on it' }) eventId!: string;
  @Field() eventType!: string;
  @Field(() => WebhookDeliveryStatus) status!: WebhookDeliveryStatus;
  @Field(() => Int) attempts!: number;
  @Field(() => Int, { nullable: true }) lastStatusCode!: number | null;
  @Field(() => String, { nullable: true }) lastError!: string | null;
  @Field(() => Date, { nullable: true }) nextAttemptAt!: Date | null;
  @Field() createdAt!: Date;
  @Field(() => Date, { nullable: true }) deliveredAt!: Date | null;
}

@ObjectType()
export class WebhookDeliveryEdge {
  @Field() cursor!: string;
  @Field(() => WebhookDelivery) node!: WebhookDelivery;
}

@ObjectType()
export class WebhookDeliveryConnection {
  @Field(() => [WebhookDeliveryEdge]) edges!: WebhookDeliveryEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
}
