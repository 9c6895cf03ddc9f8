import DataLoader from 'dataloader';
import type { ChurnModelRow, RetentionRow, RetentionService } from './retention.service';

export function createRetentionLoaders(retention: RetentionService) {
  let model: Promise<ChurnModelRow | null> | null = null;
  return {
    byMember: new DataLoader<string, RetentionRow | null>(async (ids) => {
      const map = await retention.forMembers(ids);
      return ids.map((id) => map.get(id) ?? null);
    }),
    /** The latest fitted model, read once per request. */
    model: () => (model ??= retention.latestModel()),
  };
}
