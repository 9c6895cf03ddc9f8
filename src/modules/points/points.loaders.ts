import DataLoader from 'dataloader';
import type { Clock } from '../../common/clock';
import { firstPagesBySize, type Page } from '../../common/pagination';
import type { TransactionRow } from './points.repository';
import type { PointsService } from './points.service';

/** Per-request batch reads of the ledger: one query for a whole page of members. */
/** Balances are read at load time, so a write earlier in the same request is seen. */
export function createPointsLoaders(points: PointsService, clock: Clock) {
  const balances = new DataLoader<string, { balance: number; pending: number; lifetime: number }>(async (ids) => {
    const map = await points.balances(ids, clock.now());
    return ids.map((id) => map.get(id) ?? { balance: 0, pending: 0, lifetime: 0 });
  });
  const expiring = new DataLoader<{ memberId: string; withinDays: number }, number, string>(
    (keys) => points.expiring(keys, clock.now()),
    { cacheKeyFn: (k) => `${k.memberId}:${k.withinDays}` },
  );
  const activations = new DataLoader<string, { activatesAt: Date; points: number }[]>((ids) => points.pendingActivations(ids, clock.now()));
  /** Each member's pointsHistory first page (no `after`): one statement for a list of members. */
  const historyFirstPage = new DataLoader<{ id: string; first: number }, Page<TransactionRow>, string>(
    (keys) => firstPagesBySize(keys, (ids, first) => points.historyFirstPages(ids, first)),
    { cacheKeyFn: (k) => `${k.id}:${k.first}` },
  );
  return { balances, expiring, activations, historyFirstPage };
}
export type PointsLoaders = ReturnType<typeof createPointsLoaders>;
