import type { EntityManager } from '@mikro-orm/postgresql';
import DataLoader from 'dataloader';
import { safeInteger } from '../../common/safe-integer';
import { Tier } from './tier.entity';

/** Per-request tier lookups. The ladder is small, so one query loads all of it. */
export function createTierLoaders(em: EntityManager) {
  let ladder: Promise<Tier[]> | null = null;
  const all = () => (ladder ??= em.find(Tier, {}, { orderBy: { rank: 'asc' } }));
  const byId = new DataLoader<string, Tier | null>(async (ids) => {
    const tiers = await all();
    const map = new Map(tiers.map((t) => [t.id, t]));
    return ids.map((id) => map.get(id) ?? null);
  });
  // Maintained by triggers on member (see TierMemberDelta): a sum over a few rows per tier.
  const memberCounts = new DataLoader<string, number>(async (ids) => {
    const rows: { tier_id: string; n: string }[] = await em
      .getConnection()
      .execute('select tier_id, sum(delta) as n from tier_member_delta where tier_id in (?) group by tier_id', [ids as string[]]);
    const map = new Map(rows.map((r) => [r.tier_id, safeInteger(r.n)]));
    return ids.map((id) => map.get(id) ?? 0);
  });
  return { all, byId, memberCounts };
}
export type TierLoaders = ReturnType<typeof createTierLoaders>;
