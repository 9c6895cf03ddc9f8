import DataLoader from 'dataloader';
import type { Clock } from '../../common/clock';
import type { TierChangeRow, TierEngine, TierProgressRow } from './tier-engine.service';

/** Per-request batch reads of tier progress and history. */
export function createTierEngineLoaders(engine: TierEngine, clock: Clock) {
  const progress = new DataLoader<string, TierProgressRow>(async (ids) => {
    const map = await engine.progress(ids, clock.now());
    return ids.map((id) => map.get(id) ?? { qualifyingPoints: 0, nextTierId: null, pointsToNextTier: null, pointsToRetain: 0 });
  });
  const history = new DataLoader<string, TierChangeRow[]>(async (ids) => {
    const map = await engine.history(ids);
    return ids.map((id) => map.get(id) ?? []);
  });
  return { progress, history };
}
