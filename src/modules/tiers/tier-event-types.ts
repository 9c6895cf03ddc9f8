import type { TierChangeRow, TierNoticeRow } from './tiers.repository';

/**
 * What each of the tiers module's topics delivers to subscribers (events/pubsub.ts AppEvents).
 * Its own file, apart from tier.events.ts: that one implements the registry's event types, and
 * the registry is typed by AppEvents, so AppEvents cannot import it back (a cycle).
 */
export interface TierEvents {
  TIER_CHANGED: TierChangeRow;
  TIER_NOTICE: TierNoticeRow;
}
