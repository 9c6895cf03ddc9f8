import 'reflect-metadata';
import { printSchema, type GraphQLSchema } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import { buildSchema } from 'type-graphql';
import { createAppPubSub, type AppPubSub } from '../events/pubsub';
import { authChecker } from './guards';
import { freshMutations } from './fresh-mutations';
import { guardInputs } from './input-guard';
import { AuditResolver } from './resolvers/audit.resolver';
import { MemberResolver } from './resolvers/member.resolver';
import {
  MemberRetentionResolver, ProgramStatsResolver, RetentionResolver, SegmentPreviewResolver, SegmentResolver,
} from './resolvers/retention.resolver';
import { TierChangeResolver } from './resolvers/tier-change.resolver';
import { MemberTierResolver, TierEngineResolver, TierNoticeResolver } from './resolvers/tier-engine.resolver';
import { TierFeedResolver } from './resolvers/tier-feed.resolver';
import { ActivityResultResolver, MemberPointsResolver, PointsResolver, PurchaseResultResolver } from './resolvers/points.resolver';
import { ProgramResolver } from './resolvers/program.resolver';
import {
  BenefitResolver, MemberCatalogueResolver, RedemptionResolver, RewardResolver, TagResolver, TierBenefitsResolver,
} from './resolvers/catalogue.resolver';
import { TierResolver } from './resolvers/tier.resolver';
import { CouponResolver } from './resolvers/coupon.resolver';
import { WebhookResolver } from './resolvers/webhook.resolver';
import { ImportsResolver } from './resolvers/imports.resolver';
import { DataRightsResolver } from './resolvers/data-rights.resolver';
import { CampaignReportResolver } from './resolvers/campaign-report.resolver';
import { CampaignResolver } from './resolvers/campaign.resolver';
import { MemberReferralResolver } from './resolvers/referral.resolver';
import { CheckInResolver, MemberCheckInResolver } from './resolvers/check-in.resolver';
import { MemberReferralReadResolver, ReferralReadResolver } from './resolvers/referrals-read.resolver';
import { JobRunsResolver } from './resolvers/job-runs.resolver';

export const resolvers = [
  ProgramResolver, TierResolver, MemberResolver, TierChangeResolver, AuditResolver,
  PointsResolver, PurchaseResultResolver, ActivityResultResolver, MemberPointsResolver,
  TierEngineResolver, TierNoticeResolver, MemberTierResolver, TierFeedResolver,
  BenefitResolver, RewardResolver, RedemptionResolver, CouponResolver, TierBenefitsResolver, TagResolver, MemberCatalogueResolver,
  RetentionResolver, SegmentResolver, SegmentPreviewResolver, ProgramStatsResolver, MemberRetentionResolver,
  WebhookResolver,
  ImportsResolver,
  DataRightsResolver,
  CampaignReportResolver,
  CampaignResolver,
  MemberReferralResolver,
  CheckInResolver, MemberCheckInResolver,
  ReferralReadResolver, MemberReferralReadResolver,
  JobRunsResolver,
] as const;


/** Builds the executable schema from the resolver classes. */
export async function buildAppSchema(pubSub: AppPubSub = createAppPubSub()): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers,
    authChecker,
    pubSub,
    // The contract names its date scalar `DateTime` (ISO-8601 with offset).
    scalarsMap: [{ type: Date, scalar: DateTimeResolver }],
    validate: { forbidUnknownValues: false, stopAtFirstError: true },
  });
  return freshMutations(guardInputs(schema));
}

/** The SDL committed in schema/schema.graphql. */
export function printAppSchema(schema: GraphQLSchema): string {
  return printSchema(schema) + '\n';
}
