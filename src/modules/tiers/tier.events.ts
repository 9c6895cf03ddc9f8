import type { EntityManager } from '@mikro-orm/postgresql';
import { eventIdsOf, type OutboxPayload, type OutboxRow } from '../../events/outbox';
import type { EventRegistry, OutboxEventType } from '../../events/registry';
import { changeRow, changesByIds, noticesByIds, type TierChangeRow, type TierNoticeRow } from './tiers.repository';

/** The tiers module's outbox topics. */
export const TIER_CHANGED = 'TIER_CHANGED';
export const TIER_NOTICE = 'TIER_NOTICE';

/** The changes an outbox row carries (a single change's row does: insertChange), or null when it lists ids only. */
export function changesFromOutbox(payload: OutboxPayload): TierChangeRow[] | null {
  return Array.isArray(payload.changes) ? (payload.changes as TierChangeRow[]).map(changeRow) : null;
}

/**
 * Tier changes: upgrades, downgrades, renewals. A write's row carries its changes; a review
 * batch's lists their ids, read back from tier_change.
 */
export class TierChangedEvent implements OutboxEventType<typeof TIER_CHANGED> {
  readonly topic = TIER_CHANGED;

  /** In id order: those a row carries as they are, the others read back by id. With `members`, only theirs. */
  async load(em: EntityManager, rows: OutboxRow[], members: string[] | null): Promise<TierChangeRow[]> {
    const carried: TierChangeRow[] = [];
    const listed: OutboxRow[] = [];
    for (const r of rows) {
      const changes = changesFromOutbox(r.payload);
      if (changes) carried.push(...changes);
      else listed.push(r);
    }
    const wanted = members && new Set(members);
    const all = [...carried.filter((c) => !wanted || wanted.has(c.memberId)), ...(await changesByIds(em, eventIdsOf(listed), members))];
    return carried.length && listed.length ? all.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1)) : all;
  }
}

/** At-risk notices: a row lists their ids, read back from tier_notice. */
export class TierNoticeEvent implements OutboxEventType<typeof TIER_NOTICE> {
  readonly topic = TIER_NOTICE;

  async load(em: EntityManager, rows: OutboxRow[], members: string[] | null): Promise<TierNoticeRow[]> {
    return noticesByIds(em, eventIdsOf(rows), members);
  }
}

/** Registers the tiers module's events, in the order a delivery publishes them (changes, then notices). */
export function registerTierEvents(registry: EventRegistry): EventRegistry {
  return registry.register(new TierChangedEvent()).register(new TierNoticeEvent());
}
