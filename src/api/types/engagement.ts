// Output types of the contract part `engagement` (shared/contract/parts/engagement.graphql):
// referrals and daily check-in. Member's referralCode, referredBy, referrals, checkInStreak
// and checkedInToday are field resolvers (referral.resolver.ts, check-in.resolver.ts).
import { SafeIntResolver } from 'graphql-scalars';
import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { ReferralStatus } from './enums';
import { Member, PageInfo } from './objects';

@ObjectType({ description: 'what one side of a referral may see of the other' })
export class ReferralParty {
  @Field(() => ID) id!: string;
  @Field(() => String, { nullable: true, description: 'masked, e.g. "Z*** W"; null once erased' }) displayName!: string | null;
}

@ObjectType()
export class Referral {
  @Field(() => ID) id!: string;
  @Field(() => ReferralParty) referrer!: ReferralParty;
  @Field(() => ReferralParty) referee!: ReferralParty;
  @Field(() => ReferralStatus) status!: ReferralStatus;
  @Field(() => String, { nullable: true, description: 'why REJECTED or REVERSED' }) reason!: string | null;
  @Field(() => Date) createdAt!: Date;
  @Field(() => Date, { nullable: true }) completedAt!: Date | null;
}

@ObjectType()
export class ReferralEdge {
  @Field() cursor!: string;
  @Field(() => Referral) node!: Referral;
}

@ObjectType()
export class ReferralConnection {
  @Field(() => [ReferralEdge]) edges!: ReferralEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
  @Field(() => SafeIntResolver) totalCount!: number;
}

@ObjectType()
export class ReferralStats {
  // Totals over the programme's referrals: SafeInt, as every total (pointsGiven passes 2^31 at
  // 2.2M completions of 500 + 500 points).
  @Field(() => SafeIntResolver, { description: 'referees registered with a code in the period' }) registered!: number;
  @Field(() => SafeIntResolver) completed!: number;
  @Field(() => SafeIntResolver) rejected!: number;
  @Field(() => SafeIntResolver) reversed!: number;
  @Field(() => SafeIntResolver) pointsGiven!: number;
  @Field(() => SafeIntResolver, { description: 'members with at least one completed referral in the period' }) referrers!: number;
  @Field(() => Float, { nullable: true, description: 'completed / referrers; null when referrers is 0' }) referralsPerReferrer!: number | null;
}

@ObjectType()
export class CheckInResult {
  @Field(() => Member) member!: Member;
  @Field(() => Int, { description: 'consecutive programme-local days including today' }) streak!: number;
  @Field(() => Int, { description: "today's check-in points (the same on a repeat the same day)" }) pointsEarned!: number;
  @Field({ description: 'true when this call was a repeat: nothing changed' }) alreadyCheckedIn!: boolean;
}
