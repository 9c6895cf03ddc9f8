import DataLoader from 'dataloader';
import type { ReferralPartyView } from './referral-party.rules';
import type { ReferralsPageView, ReferralsReadService } from './referrals-read.service';

/** A member's referrals page as a field asks for it. */
export interface ReferralsPageKey { memberId: string; first: number; after: string | null }

const emptyPage = (): ReferralsPageView => ({ items: [], cursors: [], hasNextPage: false, endCursor: null, totalCount: 0 });

/**
 * Per-request referral loaders: a list of N members reads each field (referredBy, referrals,
 * referralDepth) in one statement. Keys asking for different pages (first, after) are grouped:
 * one statement per first page size, and one per member for a page after a cursor.
 */
export function createReferralReadLoaders(referrals: ReferralsReadService) {
  const referredBy = new DataLoader<string, ReferralPartyView | null>(async (ids) => {
    const map = await referrals.referredBy(ids);
    return ids.map((id) => map.get(id) ?? null);
  });
  const pages = new DataLoader<ReferralsPageKey, ReferralsPageView, string>(async (keys) => {
    const groups = new Map<string, ReferralsPageKey[]>();
    for (const k of keys) {
      // A cursor is one referrer's: a page after one is asked for that referrer alone.
      const g = k.after ? `${k.memberId}:${k.first}:${k.after}` : `${k.first}:`;
      groups.set(g, [...(groups.get(g) ?? []), k]);
    }
    const found = new Map<ReferralsPageKey, ReferralsPageView | Error>();
    await Promise.all([...groups.values()].map(async (group) => {
      try {
        const map = await referrals.referrals(group.map((k) => k.memberId), group[0].first, group[0].after);
        for (const k of group) found.set(k, map.get(k.memberId) ?? emptyPage());
      } catch (e) {
        for (const k of group) found.set(k, e as Error);
      }
    }));
    return keys.map((k) => found.get(k)!);
  }, { cacheKeyFn: (k) => `${k.memberId}:${k.first}:${k.after ?? ''}` });
  const depth = new DataLoader<string, number>(async (ids) => {
    const map = await referrals.depths(ids);
    return ids.map((id) => map.get(id) ?? 0);
  });
  return { referredBy, pages, depth };
}
