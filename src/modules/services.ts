import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import { systemClock, type Clock } from '../common/clock';
import { AuditService } from './audit/audit.service';
import { BenefitsService } from './benefits/benefits.service';
import { DataRightsService } from './data-rights/data-rights.service';
import { RewardsService } from './rewards/rewards.service';
import { TagsService } from './tags/tags.service';
import { RetentionService } from './retention/retention.service';
import { SegmentsService } from './segments/segments.service';
import { createSegmentLoaders } from './segments/segments.loaders';
import { createImportLoaders } from './imports/imports.loaders';
import { createCatalogueLoaders } from './rewards/catalogue.loaders';
import { createRetentionLoaders } from './retention/retention.loaders';
import { createMemberLoaders } from './members/members.loaders';
import { MembersService } from './members/members.service';
import { MemberScreenService } from './members/member-screen.service';
import { createMemberScreenLoader } from './member-screen.loaders';
import { createPointsLoaders } from './points/points.loaders';
import { PointsService } from './points/points.service';
import { combineMultipliers } from './points/points.rules';
import { ProgramService } from './program/program.service';
import { createTierLoaders } from './tiers/tiers.loaders';
import { TiersService } from './tiers/tiers.service';
import { DEFAULT_TIER_ENGINE_OPTIONS, TierEngine, type Rerate, type TierEngineOptions } from './tiers/tier-engine.service';
import { createTierEngineLoaders } from './tiers/tier-engine.loaders';
import { TierFeed } from './tiers/tier-feed.service';
import { registerTierEvents } from './tiers/tier.events';
import { EventRegistry } from '../events/registry';
import { WebhookEndpointsService } from './webhooks/webhook-endpoints.service';
import type { UrlPolicy } from './webhooks/webhooks.rules';
import { ImportsService } from './imports/imports.service';
import { CampaignReportService } from './campaigns/campaign-report.service';
import { CampaignsService } from './campaigns/campaigns.service';
import { createCampaignLoaders } from './campaigns/campaigns.loaders';
import { ReferralsService } from './referrals/referrals.service';
import { ReferralsReadService } from './referrals/referrals-read.service';
import { createReferralReadLoaders } from './referrals/referrals-read.loaders';
import { createReferralLoaders } from './referrals/referrals.loaders';
import { CheckInService } from './check-in/check-in.service';
import { createCheckInLoaders } from './check-in/check-in.loaders';
import { JobRunsService } from '../jobs/job-runs.service';

/**
 * What the services take from the configuration: built once at start-up (serviceSettings) and
 * handed to every createServices; nothing in a module reads a process-wide switch.
 */
export interface ServiceSettings {
  tiers: TierEngineOptions;
  /** Which endpoint URLs the webhook admin API takes (WEBHOOK_ALLOW_INSECURE, production). */
  webhooks: UrlPolicy;
}

/** The settings of a default configuration (tier events on, the review's measured pace): seeds, tests, tools. */
export const DEFAULT_SERVICE_SETTINGS: Readonly<ServiceSettings> = Object.freeze({ tiers: DEFAULT_TIER_ENGINE_OPTIONS, webhooks: { allowInsecure: true } });

/** The settings for a configuration (AppConfig): `tierEvents` (TIER_EVENTS) turns the tier events' outbox rows off. */
export function serviceSettings(config: { tierEvents: boolean; webhooks: { allowInsecure: boolean } }): ServiceSettings {
  return { tiers: { ...DEFAULT_TIER_ENGINE_OPTIONS, outbox: config.tierEvents }, webhooks: { allowInsecure: config.webhooks.allowInsecure } };
}

/** The outbox events the modules publish, each topic with its event type, for this instance's dispatcher. */
export function createEventRegistry(): EventRegistry {
  return registerTierEvents(new EventRegistry());
}

/**
 * The services of one request (or one job run), all on one EntityManager fork. Services
 * are cheap to build; each opens its own transactions on forks of this manager.
 */
export function createServices(em: EntityManager, settings: ServiceSettings = DEFAULT_SERVICE_SETTINGS) {
  const audit = new AuditService(em);
  const tierEngine = new TierEngine(em, audit, settings.tiers);
  const tiers = new TiersService(em, audit);
  // A purchase earns at the tier held at its instant plus any POINTS_MULTIPLIER benefit in force then.
  const benefitsRef: { current?: BenefitsService } = {};
  const multiplierAt = async (tx: EntityManager, memberId: string, tierId: string, tierMultiplier: number, at: Date) =>
    combineMultipliers(tierMultiplier, await benefitsRef.current!.bonusMultiplierAt(tx, memberId, tierId, at));
  /**
   * Purchases a backdated fact moved to another tier: the multiplier each earns at now. One
   * after another: they share the transaction's connection, which runs one query at a time.
   */
  const rerates = async (tx: EntityManager, memberId: string, list: Rerate[]) => {
    const out = [];
    for (const r of list) {
      out.push({ orderId: r.orderId, tierId: r.tierId, multiplier: await multiplierAt(tx, memberId, r.tierId, r.tierMultiplier, r.occurredAt) });
    }
    return out;
  };
  const points = new PointsService(em, audit, {
    prepare: async (tx, memberId, at) => {
      const tier = await tierEngine.prepare(tx, memberId, at);
      return {
        tierId: tier.tierId, multiplier: await multiplierAt(tx, memberId, tier.tierId, tier.multiplier, at),
        settled: tier.settled, upgrade: tier.upgrade, rerate: await rerates(tx, memberId, tier.rerate),
      };
    },
    upgrade: async (tx, memberId, at) => {
      const r = await tierEngine.upgradeIfQualified(tx, memberId, at);
      return { change: r.change, rerate: await rerates(tx, memberId, r.rerate) };
    },
    afterRefund: async (tx, memberId, at) => rerates(tx, memberId, await tierEngine.afterRefund(tx, memberId, at)),
    queuedRebuild: (tx, passed) => tierEngine.queuedRebuild(tx, passed),
    rebuildQueued: async (tx, memberId, from, rebuild) => rerates(tx, memberId, await tierEngine.rebuildQueued(tx, memberId, from, rebuild)),
    changeById: (tx, id) => tiers.changeById(tx, id),
    planUpgrade: (rules, memberId, tierId, q, at) => tierEngine.planUpgrade(rules, memberId, tierId, q, at),
    reachesReview: (plan, reviewedThrough) => tierEngine.reachesReview(plan, reviewedThrough),
    outboxTopic: () => tierEngine.outboxTopic,
    heldTierAt: (e, memberId, at) => tierEngine.heldTierAt(e, memberId, at),
  });
  const benefits = (benefitsRef.current = new BenefitsService(em, audit, points));
  const rewards = new RewardsService(em, audit, points);
  points.coupons = rewards; // a referral's reversal cancels its campaigns' unused coupons
  const tags = new TagsService(em, audit);
  const segments = new SegmentsService(em, audit);
  const referrals = new ReferralsService(em);
  const imports = new ImportsService(em, points, tierEngine);
  const members = new MembersService(em, points, audit, referrals);
  const program = new ProgramService(em, audit);
  /**
   * The tier review as the job and runTierReview run it: the histories a migration queued for a
   * rebuild first (PointsService.rebuildQueuedTiers), then the reviews as of `asOf`. A queued
   * rebuild that failed stays queued for the next run (`rebuildsFailed`).
   */
  const reviewTiers = async (asOf: Date) => {
    const queued = await points.rebuildQueuedTiers();
    return { review: await tierEngine.review(asOf), rebuildsFailed: queued.failed };
  };
  return {
    reviewTiers,
    audit,
    points,
    tierEngine,
    tierFeed: new TierFeed(em),
    benefits,
    rewards,
    tags,
    retention: new RetentionService(em, tags),
    segments,
    program,
    tiers,
    members,
    referrals,
    memberScreen: new MemberScreenService(em),
    webhookEndpoints: new WebhookEndpointsService(em, audit, settings.webhooks),
    imports,
    campaignReport: new CampaignReportService(em),
    dataRights: new DataRightsService(em, { members, points, rewards, tags, tiers, segments, audit, imports, referrals }),
    campaigns: new CampaignsService(em, audit, { points, rewards, tiers, tags }),
    checkIn: new CheckInService(em, points),
    referralsRead: new ReferralsReadService(em, program),
    jobRuns: new JobRunsService(em),
  };
}
export type Services = ReturnType<typeof createServices>;

/** Batch loaders of one request: never shared between requests. `clock`: what "now" is for reads. */
export function createLoaders(em: EntityManager, services: Services, clock: Clock = systemClock) {
  const loaders = {
    tiers: createTierLoaders(em),
    members: createMemberLoaders(em),
    points: createPointsLoaders(services.points, clock),
    tierEngine: createTierEngineLoaders(services.tierEngine, clock),
    catalogue: createCatalogueLoaders(services, clock),
    retention: createRetentionLoaders(services.retention),
    campaigns: createCampaignLoaders(services.campaigns),
    referrals: createReferralLoaders(services.referrals),
    checkIn: createCheckInLoaders(services.checkIn, clock),
    referralsRead: createReferralReadLoaders(services.referralsRead),
    segments: createSegmentLoaders(services.segments),
    imports: createImportLoaders(services.imports),
  };
  // The member screen reads in one statement and fills the loaders above.
  return {
    ...loaders,
    memberScreen: createMemberScreenLoader(services.memberScreen, loaders, clock),
    /**
     * Forgets what the request has read: every loader's cache and the EntityManager's identity
     * map. A request's mutations run one after another (src/api/fresh-mutations.ts calls this
     * before each), and each must answer with what stands after its own write, not with what
     * an earlier mutation of the request read (its member, balance, tags or tier).
     */
    forget(): void {
      clearLoaders(loaders);
      em.clear();
    },
  };
}

/** Clears every DataLoader in a tree of loaders (every per-request cache is one: a ladder or a model too, as a loader of one key). */
function clearLoaders(tree: object): void {
  for (const value of Object.values(tree) as unknown[]) {
    if (value instanceof DataLoader) value.clearAll();
    else if (value && typeof value === 'object') clearLoaders(value);
  }
}
export type Loaders = ReturnType<typeof createLoaders>;

/** What one request (or subscription operation) works with: its services and loaders, on one EntityManager fork of its own. */
export interface RequestServices { services: Services; loaders: Loaders }

/** A request's services and loaders on `em`, a fresh fork (start-up's factory in src/app.ts makes one per request: no shared identity map). */
export function createRequestServices(em: EntityManager, settings: ServiceSettings, clock: Clock): RequestServices {
  const services = createServices(em, settings);
  return { services, loaders: createLoaders(em, services, clock) };
}
