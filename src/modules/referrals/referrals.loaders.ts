import DataLoader from 'dataloader';
import type { ReferralsService } from './referrals.service';

/** Members' referral codes by id, for roots that came without their seq. */
export function createReferralLoaders(referrals: ReferralsService) {
  const codeById = new DataLoader<string, string | null>(async (ids) => {
    const codes = await referrals.codesOf(ids);
    return ids.map((id) => codes.get(id) ?? null);
  });
  return { codeById };
}
