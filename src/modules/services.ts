import type { EntityManager } from '@mikro-orm/postgresql';
import { systemClock, type Clock } from '../common/clock';
import { AuditService } from './audit/audit.service';
import { BenefitsService } from './benefits/benefits.service';
import { RewardsService } from './rewards/rewards.service';
import { TagsService } from './tags/tags.service';
import { RetentionService } from './retention/retention.service';
import { SegmentsService } from './segments/segments.service';
import { createCatalogueLoaders } from './rewards/catalogue.loaders';
import { createRetentionLoaders } from './retention/retention.loaders';
import { createMemberLoaders } from './members/members.loaders';
import { MembersService } from './members/members.service';
import { createPointsLoaders } from './points/points.loaders';
import { PointsService } from './points/points.service';
import { combineMultipliers } from './points/points.rules';
import { ProgramService } from './program/program.service';
import { createTierLoaders } from './tiers/tiers.loaders';
import { TiersService } from './tiers/tiers.service';
import { TierEngine } from './tiers/tier-engine.service';
import { createTierEngineLoaders } from './tiers/tier-engine.loaders';
import { TierFeed } from './tiers/tier-feed.service';

/**
 * The services of one request (or one job run), all on one EntityManager fork. Services
 * are cheap to build; each opens its own transactions on forks of this manager.
 */
export function createServices(em: EntityManager) {
  const audit = new AuditService(em);
  const tierEngine = new TierEngine(em, audit);
  // A purchase earns at its tier's multiplier plus any POINTS_MULTIPLIER benefit in force then.
  const benefitsRef: { current?: BenefitsService } = {};
  const points = new PointsService(em, audit, {
    multiplierAt: async (tx, memberId, at) => {
      const tier = await tierEngine.tierAt(tx, memberId, at);
      return combineMultipliers(tier.multiplier, await benefitsRef.current!.bonusMultiplierAt(tx, memberId, tier.id, at));
    },
    onQualifying: (tx, memberId, at) => tierEngine.upgradeIfQualified(tx, memberId, at),
  });
  const benefits = (benefitsRef.current = new BenefitsService(em, audit, points));
  return {
    audit,
    points,
    tierEngine,
    tierFeed: new TierFeed(em),
    benefits,
    rewards: new RewardsService(em, audit, points),
    tags: new TagsService(em, audit),
    retention: new RetentionService(em),
    segments: new SegmentsService(em, audit),
    program: new ProgramService(em, audit),
    tiers: new TiersService(em, audit),
    members: new MembersService(em, points, audit),
  };
}
export type Services = ReturnType<typeof createServices>;

/** Batch loaders of one request: never shared between requests. `clock`: what "now" is for reads. */
export function createLoaders(em: EntityManager, services: Services, clock: Clock = systemClock) {
  return {
    tiers: createTierLoaders(em),
    members: createMemberLoaders(em),
    points: createPointsLoaders(services.points, clock),
    tierEngine: createTierEngineLoaders(services.tierEngine, clock),
    catalogue: createCatalogueLoaders(services, clock),
    retention: createRetentionLoaders(services.retention),
  };
}
export type Loaders = ReturnType<typeof createLoaders>;
