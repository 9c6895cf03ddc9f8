import DataLoader from 'dataloader';
import type { AwardTotals } from './campaigns.repository';
import type { CampaignsService } from './campaigns.service';

const NOTHING: AwardTotals = { pointsGiven: 0, budgetSpent: 0 };

/** Per-request campaign figures: a list of N campaigns reads their award totals in one query. */
export function createCampaignLoaders(campaigns: CampaignsService) {
  const awardTotals = new DataLoader<string, AwardTotals>(async (ids) => {
    const map = await campaigns.awardTotals(ids);
    return ids.map((id) => map.get(id) ?? NOTHING);
  });
  return { awardTotals };
}
