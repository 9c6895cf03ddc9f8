import { createPubSub } from '@graphql-yoga/subscription';
import type { TierChangeRow, TierNoticeRow } from '../modules/tiers/tier-engine.service';

/**
 * The in-process pub/sub that GraphQL subscriptions read from. Events reach it only
 * through the outbox dispatcher, after commit, on every instance; a Redis transport can
 * replace it behind the same typed interface.
 */
export type AppEvents = {
  TIER_CHANGED: [TierChangeRow];
  TIER_NOTICE: [TierNoticeRow];
};

export const createAppPubSub = () => createPubSub<AppEvents>();
export type AppPubSub = ReturnType<typeof createAppPubSub>;
