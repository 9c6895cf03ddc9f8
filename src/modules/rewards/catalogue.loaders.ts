import DataLoader from 'dataloader';
import type { Clock } from '../../common/clock';
import type { BenefitRow, BenefitsService, BenefitVersionRow } from '../benefits/benefits.service';
import type { SegmentFilter } from '../segments/segments.service';
import type { TagRow, TagsService } from '../tags/tags.service';
import { firstPagesBySize, type Page } from '../../common/pagination';
import type { RedemptionRow, RewardRow, RewardsService } from './rewards.service';

/** Per-request batch reads of benefits, rewards and tags, so a page of members costs one query each. */
export function createCatalogueLoaders(s: { benefits: BenefitsService; rewards: RewardsService; tags: TagsService }, clock: Clock) {
  const byKey = <V>(load: (keys: readonly string[]) => Promise<Map<string, V>>, empty: V) =>
    new DataLoader<string, V>(async (keys) => {
      const map = await load(keys);
      return keys.map((k) => map.get(k) ?? empty);
    });
  return {
    memberBenefits: byKey<BenefitRow[]>((ids) => s.benefits.forMembers(ids, clock.now()), []),
    tierBenefits: byKey<BenefitRow[]>((ids) => s.benefits.forTiers(ids, clock.now()), []),
    benefitVersions: byKey<BenefitVersionRow[]>((codes) => s.benefits.versions(codes), []),
    memberTags: byKey<TagRow[]>((ids) => s.tags.codesOf(ids), []),
    tagRules: byKey<SegmentFilter | null>((ids) => s.tags.rulesOf(ids), null),
    rewards: new DataLoader<string, RewardRow | null>(async (ids) => {
      const rows = await s.rewards.byIds(ids);
      return ids.map((id) => rows.find((r) => r.id === id) ?? null);
    }),
    /** Each member's redemptions first page (no `after`): one statement for a list of members. */
    redemptionsFirstPage: new DataLoader<{ id: string; first: number }, Page<RedemptionRow>, string>(
      (keys) => firstPagesBySize(keys, (ids, first) => s.rewards.firstPagesOfMembers(ids, first)),
      { cacheKeyFn: (k) => `${k.id}:${k.first}` },
    ),
  };
}
