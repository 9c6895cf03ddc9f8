import { Entity, Enum, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';

export type TierChangeKind = 'UPGRADE' | 'DOWNGRADE' | 'RENEWAL';

/**
 * Every upgrade, downgrade and renewal of a member's tier. A change that a fact arriving later
 * (backdated) made wrong is kept, superseded; the member's history is the changes that are not.
 */
@Entity({ tableName: 'tier_change' })
// One member's changes by occurredAt: its history (those not superseded), the check for changes
// after an instant, and its feed (superseded ones included); see the order_independence migration.
@Index({ name: 'tier_change_member_occurred_index', properties: ['memberId', 'occurredAt'] })
// The feed of every member in commit order (tier-feed.repository.ts).
@Index({ name: 'tier_change_feed_index', properties: ['xactId', 'id'] })
export class TierChangeRecord {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Property({ type: 'uuid' })
  memberId!: string;

  @Enum({ items: ['UPGRADE', 'DOWNGRADE', 'RENEWAL'] })
  kind!: TierChangeKind;

  @Property({ type: 'uuid', nullable: true })
  fromTierId: string | null = null;

  @Property({ type: 'uuid' })
  toTierId!: string;

  @Property({ type: 'text' })
  reason!: string;

  @Property({ type: 'integer' })
  qualifyingPoints!: number;

  @Property({ type: 'timestamptz' })
  occurredAt!: Date;

  @Property({ type: 'timestamptz', nullable: true })
  expiresAt: Date | null = null;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  /** The writing transaction's id, filled by the column's default on every insert: the feed's order (tier-feed.repository.ts). */
  @Property({ type: 'string', columnType: 'xid8', defaultRaw: 'pg_current_xact_id()', lazy: true })
  xactId?: string;

  /** When a backdated fact replaced it (the history rebuilt from that fact on); null = current. */
  @Property({ type: 'timestamptz', nullable: true })
  supersededAt: Date | null = null;
}

/** An at-risk notice: one per member, tier and period (keyed by the expiry it warns of). */
@Entity({ tableName: 'tier_notice' })
@Unique({ name: 'tier_notice_member_tier_expiry_unique', properties: ['memberId', 'tierExpiresAt', 'tierId'] })
export class TierNotice {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Property({ type: 'uuid' })
  memberId!: string;

  @Property({ type: 'uuid' })
  tierId!: string;

  @Property({ type: 'timestamptz' })
  tierExpiresAt!: Date;

  @Property({ type: 'integer' })
  pointsToRetain!: number;

  @Property({ type: 'timestamptz' })
  noticedAt!: Date;
}
