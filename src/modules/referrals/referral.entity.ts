import { Check, Entity, Enum, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';

export type ReferralStatus = 'PENDING' | 'COMPLETED' | 'REJECTED' | 'REVERSED';
export const REFERRAL_STATUSES: ReferralStatus[] = ['PENDING', 'COMPLETED', 'REJECTED', 'REVERSED'];

/**
 * One referral: a referee registered with its referrer's code (once, for good: the referee is
 * unique). PENDING until the referee's first purchase recorded after it registered completes it
 * (both sides' REFERRAL transactions in that purchase's transaction); REJECTED at once or at
 * completion by a guard, with its reason; REVERSED when a full refund of the completing purchase
 * within the hold took both sides' points back.
 */
@Entity({ tableName: 'referral' })
@Unique({ name: 'referral_referee_unique', properties: ['refereeId'] })
@Check({ name: 'referral_not_self', expression: 'referrer_id <> referee_id' })
@Index({ name: 'referral_referrer_index', properties: ['referrerId', 'createdAt', 'id'] })
@Index({ name: 'referral_created_index', properties: ['createdAt'] })
@Index({ name: 'referral_completed_index', properties: ['completedAt'] })
@Index({ name: 'referral_order_index', properties: ['orderId'] })
// referralStats' completions, rejections and reversals by an index range per period (migration referral_stats_indexes).
@Index({
  name: 'referral_completion_index',
  expression: `create index "referral_completion_index" on "referral" ("completed_at") include ("referrer_id", "referrer_points", "referee_points") where "status" in ('COMPLETED', 'REVERSED')`,
})
@Index({
  name: 'referral_rejected_index',
  expression: `create index "referral_rejected_index" on "referral" ("rejected_at") where "status" = 'REJECTED'`,
})
@Index({
  name: 'referral_reversed_index',
  expression: `create index "referral_reversed_index" on "referral" ("reversed_at") include ("referrer_points", "referee_points") where "status" = 'REVERSED'`,
})
export class Referral {
  @PrimaryKey({ type: 'uuid', defaultRaw: 'gen_random_uuid()' })
  id!: string;

  @Property({ type: 'uuid' })
  referrerId!: string;

  @Property({ type: 'uuid' })
  refereeId!: string;

  @Enum({ items: REFERRAL_STATUSES, nativeEnumName: undefined, default: 'PENDING' })
  status: ReferralStatus = 'PENDING';

  /** Why REJECTED or REVERSED. */
  @Property({ type: 'text', nullable: true })
  reason: string | null = null;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  completedAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  reversedAt: Date | null = null;

  /** When a guard rejected it: its registration, or the first purchase's occurredAt (set on every REJECTED row). */
  @Property({ type: 'timestamptz', nullable: true })
  rejectedAt: Date | null = null;

  /** The purchase that completed it (its order id). */
  @Property({ type: 'text', nullable: true })
  orderId: string | null = null;

  @Property({ type: 'integer', default: 0 })
  referrerPoints: number = 0;

  @Property({ type: 'integer', default: 0 })
  refereePoints: number = 0;

  /** Of both sides' points, what a reversal could not take back (spent already): given and kept. */
  @Property({ type: 'integer', default: 0 })
  unrecoveredPoints: number = 0;

  @Property({ type: 'bigint', nullable: true })
  referrerTransactionId: string | null = null;

  @Property({ type: 'bigint', nullable: true })
  refereeTransactionId: string | null = null;
}
