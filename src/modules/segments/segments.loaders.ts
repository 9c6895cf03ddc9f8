import DataLoader from 'dataloader';
import { canonicalFilter, type SegmentFilter, type SegmentsService } from './segments.service';

/** Per-request batch reads of segments: the sizes of a list of segments (and of a segment's members' totalCount) in one statement. */
export function createSegmentLoaders(segments: SegmentsService) {
  /** How many members a filter selects; the same filter asked twice (a segment's size and its members' totalCount) is counted once. */
  const size = new DataLoader<SegmentFilter, number, string>((filters) => segments.sizes(filters), { cacheKeyFn: (f) => canonicalFilter(f) });
  return { size };
}
export type SegmentLoaders = ReturnType<typeof createSegmentLoaders>;
