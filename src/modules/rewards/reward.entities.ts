import { Check, DecimalType, Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';

/** A catalogue item bought with points. */
@Entity({ tableName: 'reward' })
@Check({ name: 'reward_stock_nonnegative', expression: 'stock is null or stock >= 0' })
export class Reward {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text' })
  @Unique({ name: 'reward_code_unique' })
  code!: string;

  @Property({ type: 'text' })
  name!: string;

  @Property({ type: 'text', nullable: true })
  description: string | null = null;

  /** What the coupon is worth at the till, in money (exact: numeric); null = not a money coupon. */
  @Property({ type: new DecimalType('number'), precision: 15, scale: 2, nullable: true })
  faceValue: number | null = null;

  @Property({ type: 'integer' })
  costPoints!: number;

  /** Remaining units; null = unlimited. Decremented atomically by redemptions. */
  @Property({ type: 'integer', nullable: true })
  stock: number | null = null;

  @Property({ type: 'integer', nullable: true })
  perMemberLimit: number | null = null;

  /** Empty = every tier. */
  @Property({ type: 'text[]' })
  tierCodes: string[] = [];

  @Property({ type: 'boolean' })
  active: boolean = true;

  @Property({ type: 'timestamptz', nullable: true })
  validFrom: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  validTo: Date | null = null;

  /** A redemption's coupon can be used for this many days (× 24 h) after its issue; null = no end. */
  @Property({ type: 'integer', nullable: true })
  couponValidDays: number | null = null;

  @Property({ type: 'timestamptz' })
  updatedAt: Date = new Date();
}

/**
 * redemption.coupon_key: the coupon code as it is looked up (rewards.rules.ts,
 * normalizeCouponCode), computed by PostgreSQL on every insert, whoever writes it.
 */
export const COUPON_KEY_SQL = `translate(upper(regexp_replace(coupon_code, '[^0-9A-Za-z]', '', 'g')), 'ILO', '110')`;

@Entity({ tableName: 'redemption' })
@Index({ name: 'redemption_member_reward_index', properties: ['memberId', 'rewardId'] })
@Index({ name: 'redemption_member_seq_index', properties: ['memberId', 'seq'] })
// A member's cancelled redemptions by their cancellation's instant (migration cancel_replan): whether a backdated points write re-plans.
@Index({
  name: 'redemption_member_cancelled_index',
  expression: `create index "redemption_member_cancelled_index" on "redemption" ("member_id", "cancelled_at") where status = 'CANCELLED'`,
})
@Unique({ name: 'redemption_member_id_idempotency_key_unique', properties: ['memberId', 'idempotencyKey'] })
export class Redemption {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'bigint', autoincrement: true, unique: 'redemption_seq_unique' })
  seq?: string;

  @Property({ type: 'uuid' })
  memberId!: string;

  @Property({ type: 'uuid' })
  rewardId!: string;

  @Property({ type: 'integer' })
  points!: number;

  /** As issued, e.g. 7K2M-…; shown to the member and read out at the till. */
  @Property({ type: 'text' })
  couponCode!: string;

  /** The code without separators, upper case (the unique lookup key; see COUPON_KEY_SQL). */
  @Property({ type: 'text', generated: `(${COUPON_KEY_SQL}) stored`, nullable: true })
  @Unique({ name: 'redemption_coupon_key_unique' })
  couponKey?: string;

  /** ISSUED, USED or CANCELLED; EXPIRED is derived when read (ISSUED and past expiresAt). */
  @Property({ type: 'text' })
  status: string = 'ISSUED';

  /** The key the member's redeemReward came with: the member's own (unique per member). */
  @Property({ type: 'text' })
  idempotencyKey!: string;

  /** The REDEEM debit; null for a coupon a campaign issued at no cost (migration campaign_effects). */
  @Property({ type: 'bigint', nullable: true })
  transactionId: string | null = null;

  /** Whether it took a unit of its reward's stock, which its cancellation gives back; null: made before that was recorded (migration redemption_took_stock). */
  @Property({ type: 'boolean', nullable: true })
  tookStock: boolean | null = null;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  cancelledAt: Date | null = null;

  @Property({ type: 'text', nullable: true })
  cancelReason: string | null = null;

  /** createdAt + reward.couponValidDays × 24 h, fixed at issue; null = no end. */
  @Property({ type: 'timestamptz', nullable: true })
  expiresAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  usedAt: Date | null = null;

  @Property({ type: 'text', nullable: true })
  usedAtStore: string | null = null;

  /** The till's key for its useCoupon: a retry with it gets the same answer. */
  @Property({ type: 'text', nullable: true })
  @Unique({ name: 'redemption_use_idempotency_key_unique' })
  useIdempotencyKey: string | null = null;
}
