// The campaign report's and simulation's types (contract part `campaigns`).
import { SafeIntResolver } from 'graphql-scalars';
import { Field, Float, ObjectType } from 'type-graphql';
import { Campaign } from './campaigns';

@ObjectType({ description: 'One arm of a campaign over its window: every member assigned to it, buyer or not.' })
export class CampaignArm {
  @Field(() => SafeIntResolver, { description: 'Members assigned to the arm' }) members!: number;
  @Field(() => SafeIntResolver) buyers!: number;
  @Field(() => SafeIntResolver) purchases!: number;
  @Field(() => Float, { description: 'Net of refunds' }) gmv!: number;
  @Field(() => Float, { nullable: true, description: 'gmv / members; null with no members' }) arpu!: number | null;
  @Field(() => Float, { nullable: true, description: 'buyers / members; null with no members' }) purchaseRate!: number | null;
}

@ObjectType({ description: 'What a campaign earned: treatment against control over [startsAt, min(endsAt, asOf)); the uplift\'s interval by Welch\'s t on per-member spend.' })
export class CampaignReport {
  @Field(() => Campaign) campaign!: Campaign;
  @Field() from!: Date;
  @Field() to!: Date;
  @Field(() => CampaignArm) treatment!: CampaignArm;
  @Field(() => CampaignArm) control!: CampaignArm;
  @Field(() => Float, { nullable: true, description: 'Treatment ARPU − control ARPU; null when an arm has fewer than 2 members' }) upliftArpu!: number | null;
  @Field(() => Float, { nullable: true, description: '95% interval (Welch\'s t, Welch–Satterthwaite degrees of freedom)' }) upliftArpuLow!: number | null;
  @Field(() => Float, { nullable: true }) upliftArpuHigh!: number | null;
  @Field(() => Float, { nullable: true }) upliftPurchaseRate!: number | null;
  @Field(() => Float, { nullable: true, description: 'upliftArpu × treatment members' }) incrementalGmv!: number | null;
  @Field(() => Float, { description: 'Points given (net of reversals) and issued rewards\' points, × program.pointValue' }) cost!: number;
  @Field(() => Float, { nullable: true, description: '(incrementalGmv − cost) / cost; null when cost is 0 or uplift is null' }) roi!: number | null;
}

@ObjectType({ description: 'What a campaign would have given over a past period; nothing is written.' })
export class CampaignSimulation {
  @Field(() => SafeIntResolver, { description: 'Audience members now, treatment arm only' }) eligibleMembers!: number;
  @Field(() => SafeIntResolver, { description: 'Their events of the trigger in the period that meet the conditions (before limits and budget)' }) qualifyingEvents!: number;
  @Field(() => SafeIntResolver, { description: 'Within perMemberLimit and the budget, all or nothing per award in event order' }) pointsWouldGive!: number;
  @Field(() => Float, { description: '(points + issued rewards\' costPoints) × program.pointValue' }) costWouldBe!: number;
}
