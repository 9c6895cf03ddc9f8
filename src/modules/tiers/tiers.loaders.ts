import type { EntityManager } from '@mikro-orm/postgresql';
import DataLoader from 'dataloader';
import { Tier, type TierView } from './tier.entity';
import { memberCounts as countMembers } from './tiers.repository';

/** Per-request tier lookups. The ladder is small, so one query loads all of it. */
export function createTierLoaders(em: EntityManager) {
  // A loader of one key, so that forgetting the request's reads (Loaders.forget) forgets the ladder too.
  const ladder = new DataLoader<'ladder', Tier[]>(async (keys) => {
    const tiers = await em.find(Tier, {}, { orderBy: { rank: 'asc' } });
    return keys.map(() => tiers);
  });
  const all = () => ladder.load('ladder');
  const byId = new DataLoader<string, TierView | null>(async (ids) => {
    const tiers = await all();
    const map = new Map(tiers.map((t) => [t.id, t]));
    return ids.map((id) => map.get(id) ?? null);
  });
  // Maintained by triggers on member (see TierMemberDelta): a sum over a few rows per tier.
  const memberCounts = new DataLoader<string, number>(async (ids) => {
    const map = await countMembers(em, ids);
    return ids.map((id) => map.get(id) ?? 0);
  });
  return { ladder, all, byId, memberCounts };
}
export type TierLoaders = ReturnType<typeof createTierLoaders>;
