import type { Clock } from '../common/clock';
import type { MemberView } from './members/member.entity';
import type { MemberScreenService, ScreenKey, ScreenParts } from './members/member-screen.service';
import type { MemberLoaders } from './members/members.loaders';
import type { PointsLoaders } from './points/points.loaders';
import type { createCatalogueLoaders } from './rewards/catalogue.loaders';
import type { createTierEngineLoaders } from './tiers/tier-engine.loaders';
import type { TierLoaders } from './tiers/tiers.loaders';

/** The per-request loaders a member screen fills. */
export interface ScreenLoaders {
  members: MemberLoaders;
  tiers: TierLoaders;
  points: PointsLoaders;
  tierEngine: ReturnType<typeof createTierEngineLoaders>;
  catalogue: ReturnType<typeof createCatalogueLoaders>;
}

/**
 * The member screen (`me`, `member`, `memberByExternalId`): one statement reads what the query
 * asks of the member (members/member-screen.service.ts) and primes the request's loaders that
 * Member's field resolvers read (the member, its tier and the next, balances, expiring points
 * per window, tier progress, tags, benefits), so that they send no statement of their own.
 */
export function createMemberScreenLoader(screens: MemberScreenService, loaders: ScreenLoaders, clock: Clock) {
  return {
    async load(key: ScreenKey, parts: ScreenParts): Promise<MemberView | null> {
      const screen = await screens.read(key, parts, clock.now());
      if (!screen) return null;
      const id = screen.member.id;
      loaders.members.byId.prime(id, screen.member);
      for (const tier of [screen.tier, screen.nextTier]) if (tier) loaders.tiers.byId.prime(tier.id, tier);
      if (screen.balances) loaders.points.balances.prime(id, screen.balances);
      for (const e of screen.expiring) loaders.points.expiring.prime({ memberId: id, withinDays: e.withinDays }, e.points);
      if (screen.progress) loaders.tierEngine.progress.prime(id, screen.progress);
      if (screen.tags) loaders.catalogue.memberTags.prime(id, screen.tags);
      if (screen.benefits) loaders.catalogue.memberBenefits.prime(id, screen.benefits);
      return screen.member;
    },
  };
}
