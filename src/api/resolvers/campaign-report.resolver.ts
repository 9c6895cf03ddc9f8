import { Arg, Authorized, Ctx, Query, Resolver } from 'type-graphql';
import { notFound } from '../../common/errors';
import type { GraphQLContext } from '../context';
import { CampaignReport, CampaignSimulation } from '../types/campaign-report';
import { CampaignInput } from '../types/campaigns';
import { campaignOf } from './campaign.resolver';

/** What a campaign earned, and what one would have given: admin only, reads only. */
@Resolver(() => CampaignReport)
export class CampaignReportResolver {
  @Authorized('admin')
  @Query(() => CampaignReport, { description: 'Treatment against control over [startsAt, min(endsAt, endedAt, asOf)); asOf defaults to now.' })
  async campaignReport(@Arg('code') code: string, @Arg('asOf', () => Date, { nullable: true }) asOf: Date | null, @Ctx() ctx: GraphQLContext): Promise<CampaignReport> {
    const [report, campaign] = await Promise.all([ctx.services.campaignReport.report(code, asOf ?? ctx.clock.now()), ctx.services.campaigns.byCode(code, ctx.clock.now())]);
    if (!campaign) throw notFound('Campaign', code);
    return { ...report, campaign: campaignOf(campaign) };
  }

  @Authorized('admin')
  @Query(() => CampaignSimulation, { description: 'What the campaign would have given over [from, to): nothing is written.' })
  async simulateCampaign(
    @Arg('input', () => CampaignInput) input: CampaignInput, @Arg('from', () => Date) from: Date, @Arg('to', () => Date) to: Date, @Ctx() ctx: GraphQLContext,
  ): Promise<CampaignSimulation> {
    const definition = { ...input, audience: input.audience as Record<string, unknown> | null | undefined };
    await ctx.services.campaigns.checkDefinition(definition); // refused as upsertCampaign would refuse it
    return ctx.services.campaignReport.simulate(definition, from, to);
  }
}
