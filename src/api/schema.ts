import 'reflect-metadata';
import { printSchema, type GraphQLSchema } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import { buildSchema, getMetadataStorage } from 'type-graphql';
import { createAppPubSub, type AppPubSub } from '../events/pubsub';
import { authChecker, checkRoles } from './guards';
import { freshMutations } from './fresh-mutations';
import { guardInputs, type FieldRefusal } from './input-guard';
import type { GraphQLContext } from './context';
import type { Role } from '../modules/actor';
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
  return freshMutations(guardInputs(schema, fieldRefusal()));
}

/**
 * The role check of every field whose resolver class names its roles (`@Authorized`, FieldFor),
 * by coordinate, as authChecker runs it (it throws its refusal): what type-graphql checks before
 * a resolver runs, asked by the input guard when a field's arguments are refused.
 */
function fieldRefusal(): FieldRefusal {
  const storage = getMetadataStorage();
  const roles = new Map<string, Role[]>();
  const root = [['Query', storage.queries], ['Mutation', storage.mutations], ['Subscription', storage.subscriptions]] as const;
  for (const [type, list] of root) for (const r of list) if (r.roles) roles.set(`${type}.${r.schemaName}`, r.roles as Role[]);
  for (const f of storage.fieldResolvers) {
    const type = storage.objectTypes.find((o) => o.target === f.getObjectType?.())?.name;
    if (type && f.roles) roles.set(`${type}.${f.schemaName}`, f.roles as Role[]);
  }
  return (coordinate, context) => {
    const needed = roles.get(coordinate);
    if (needed) checkRoles(context as GraphQLContext, needed);
  };
}

/** The SDL committed in schema/schema.graphql. */
export function printAppSchema(schema: GraphQLSchema): string {
  return printSchema(schema) + '\n';
}
