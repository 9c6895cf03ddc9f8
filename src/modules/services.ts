import type { EntityManager } from '@mikro-orm/postgresql';
import { AuditService } from './audit/audit.service';
import { createMemberLoaders } from './members/members.loaders';
import { MembersService } from './members/members.service';
import { createPointsLoaders } from './points/points.loaders';
import { PointsService } from './points/points.service';
import { ProgramService } from './program/program.service';
import { createTierLoaders } from './tiers/tiers.loaders';
import { TiersService } from './tiers/tiers.service';
import { TierEngine } from './tiers/tier-engine.service';
import { createTierEngineLoaders } from './tiers/tier-engine.loaders';

/**
 * The services of one request (or one job run), all on one EntityManager fork. Services
 * are cheap to build; each opens its own transactions on forks of this manager.
 */
export function createServices(em: EntityManager) {
  const audit = new AuditService(em);
  const tierEngine = new TierEngine(em, audit);
  const points = new PointsService(em, audit, {
    multiplierAt: (tx, memberId, at) => tierEngine.multiplierAt(tx, memberId, at),
    onQualifying: (tx, memberId, at) => tierEngine.upgradeIfQualified(tx, memberId, at),
  });
  return {
    audit,
    points,
    tierEngine,
    program: new ProgramService(em, audit),
    tiers: new TiersService(em, audit),
    members: new MembersService(em, points),
  };
}
export type Services = ReturnType<typeof createServices>;

/** Batch loaders of one request: never shared between requests. */
export function createLoaders(em: EntityManager, services: Services) {
  return {
    tiers: createTierLoaders(em),
    members: createMemberLoaders(em),
    points: createPointsLoaders(services.points),
    tierEngine: createTierEngineLoaders(services.tierEngine),
  };
}
export type Loaders = ReturnType<typeof createLoaders>;
