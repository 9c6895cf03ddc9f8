import DataLoader from 'dataloader';
import type { CampaignsService } from './campaigns.service';

/** Per-request campaign figures: a list of N campaigns reads their points given in one query. */
export function createCampaignLoaders(campaigns: CampaignsService) {
  const pointsGiven = new DataLoader<string, number>(async (ids) => {
    const map = await campaigns.pointsGiven(ids);
    return ids.map((id) => map.get(id) ?? 0);
  });
  return { pointsGiven };
}
export type CampaignLoaders = ReturnType<typeof createCampaignLoaders>;
