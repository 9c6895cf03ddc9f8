import { SafeIntResolver } from 'graphql-scalars';
import { Arg, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { resolveJobAsOf } from '../../common/clock';
import type { CampaignRow } from '../../modules/campaigns/campaigns.service';
import type { GraphQLContext } from '../context';
import { requireActor } from '../guards';
import { JobResult } from '../types/objects';
import { Campaign, CampaignInput, type CampaignStatus, type CampaignTrigger } from '../types/campaigns';

/** A stored campaign as the API shows it: money in currency units, the multiplier as a number, instants as Dates. */
export function campaignOf(row: CampaignRow): Campaign {
  return {
    id: row.id, code: row.code, name: row.name, trigger: row.trigger as CampaignTrigger, status: row.status as CampaignStatus,
    endedReason: row.endedReason, endedAt: row.status === 'ENDED' ? row.endedAt : null, startsAt: new Date(row.startsAt), endsAt: row.endsAt === null ? null : new Date(row.endsAt),
    audience: row.audience, activityKind: row.activityKind,
    minAmount: row.minAmountCents === null ? null : row.minAmountCents / 100, bonusPoints: row.bonusPoints,
    multiplier: row.multiplier === null ? null : Number(row.multiplier), rewardCode: row.rewardCode,
    perMemberLimit: row.perMemberLimit, budgetPoints: row.budgetPoints, controlPercent: row.controlPercent,
  };
}

/** Campaigns' definitions and lifecycle: admins only. */
@Resolver(() => Campaign)
export class CampaignResolver {
  @Authorized('admin')
  @Query(() => [Campaign], { description: 'Every campaign, latest start first.' })
  async campaigns(@Ctx() ctx: GraphQLContext): Promise<Campaign[]> {
    return (await ctx.services.campaigns.list(ctx.clock.now())).map(campaignOf);
  }

  @Authorized('admin')
  @Query(() => Campaign, { nullable: true })
  async campaign(@Arg('code') code: string, @Ctx() ctx: GraphQLContext): Promise<Campaign | null> {
    const row = await ctx.services.campaigns.byCode(code, ctx.clock.now());
    return row && campaignOf(row);
  }

  @Authorized('admin')
  @Mutation(() => Campaign, { description: 'DRAFT until activated; keyed by code.' })
  async upsertCampaign(@Arg('input', () => CampaignInput) input: CampaignInput, @Ctx() ctx: GraphQLContext): Promise<Campaign> {
    return campaignOf(await ctx.services.campaigns.upsert(requireActor(ctx), { ...input, audience: input.audience as Record<string, unknown> | null | undefined }, ctx.clock.now()));
  }

  @Authorized('admin')
  @Mutation(() => Campaign, { description: 'Assigns the audience to treatment and control, starts giving.' })
  async activateCampaign(@Arg('code') code: string, @Ctx() ctx: GraphQLContext): Promise<Campaign> {
    return campaignOf(await ctx.services.campaigns.activate(requireActor(ctx), code, ctx.clock.now()));
  }

  @Authorized('admin')
  @Mutation(() => Campaign)
  async pauseCampaign(@Arg('code') code: string, @Ctx() ctx: GraphQLContext): Promise<Campaign> {
    return campaignOf(await ctx.services.campaigns.pause(requireActor(ctx), code, ctx.clock.now()));
  }

  @Authorized('admin')
  @Mutation(() => Campaign)
  async endCampaign(@Arg('code') code: string, @Ctx() ctx: GraphQLContext): Promise<Campaign> {
    return campaignOf(await ctx.services.campaigns.end(requireActor(ctx), code, ctx.clock.now()));
  }

  @Authorized('admin')
  @Mutation(() => JobResult, { description: 'The nightly re-evaluation at asOf: campaigns whose endsAt has passed end (ENDS_AT); each ACTIVE campaign\'s new audience members join their arm.' })
  reevaluateCampaigns(@Arg('asOf', () => Date) asOf: Date, @Ctx() ctx: GraphQLContext) {
    return ctx.services.campaigns.reevaluate(resolveJobAsOf(asOf, ctx.clock.now()));
  }

  // A total over every award of the campaign: SafeInt, as every total (a registration bonus of
  // 1,000 points to 2.2M members passes 2^31).
  @FieldResolver(() => SafeIntResolver, { description: 'net of reversals by refunds' })
  async pointsGiven(@Root() c: Campaign, @Ctx() ctx: GraphQLContext): Promise<number> {
    return (await ctx.loaders.campaigns.awardTotals.load(c.id)).pointsGiven;
  }

  @FieldResolver(() => SafeIntResolver, {
    description: 'What the budget has paid so far, in points: pointsGiven plus each issued reward at its costPoints (refunds give back what they reverse, as in pointsGiven). Counted with or without a budgetPoints.',
  })
  async budgetSpent(@Root() c: Campaign, @Ctx() ctx: GraphQLContext): Promise<number> {
    return (await ctx.loaders.campaigns.awardTotals.load(c.id)).budgetSpent;
  }
}
