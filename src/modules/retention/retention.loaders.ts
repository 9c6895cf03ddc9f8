import DataLoader from 'dataloader';
import type { ChurnModelRow, RetentionRow, RetentionService } from './retention.service';

export function createRetentionLoaders(retention: RetentionService) {
  // A loader of one key, so that forgetting the request's reads (Loaders.forget) forgets the model too.
  const latestModel = new DataLoader<'model', ChurnModelRow | null>(async (keys) => {
    const latest = await retention.latestModel();
    return keys.map(() => latest);
  });
  return {
    byMember: new DataLoader<string, RetentionRow | null>(async (ids) => {
      const map = await retention.forMembers(ids);
      return ids.map((id) => map.get(id) ?? null);
    }),
    /** The latest fitted model, read once per request. */
    latestModel,
    model: () => latestModel.load('model'),
  };
}
