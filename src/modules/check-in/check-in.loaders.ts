import DataLoader from 'dataloader';
import type { Clock } from '../../common/clock';
import type { CheckInService } from './check-in.service';

/**
 * Per-request batch reads of members' check-in state (Member.checkInStreak, checkedInToday):
 * one statement for a whole page of members, read at load time (a check-in earlier in the same
 * request is seen).
 */
export function createCheckInLoaders(checkIn: CheckInService, clock: Clock) {
  const state = new DataLoader<string, { streak: number; checkedInToday: boolean }>(async (ids) => {
    const map = await checkIn.states(ids, clock.now());
    return ids.map((id) => map.get(id) ?? { streak: 0, checkedInToday: false });
  });
  return { state };
}
