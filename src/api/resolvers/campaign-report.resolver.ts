import { Arg, Authorized, Ctx, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../context';
import { CampaignReport } from '../types/campaign-report';

/** What a campaign earned, and what one would have given: admin only, reads only. */
@Resolver(() => CampaignReport)
export class CampaignReportResolver {
  @Authorized('admin')
  @Query(() => CampaignReport, { description: 'Treatment against control over [startsAt, min(endsAt, asOf)); asOf defaults to now.' })
  campaignReport(@Arg('code') code: string, @Arg('asOf', () => Date, { nullable: true }) asOf: Date | null, @Ctx() ctx: GraphQLContext) {
    return ctx.services.campaignReport.report(code, asOf ?? undefined);
  }
}
