import { Check, Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';
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

  @Property({ type: 'timestamptz' })
  updatedAt: Date = new Date();
}

@Entity({ tableName: 'redemption' })
@Index({ name: 'redemption_member_reward_index', properties: ['memberId', 'rewardId'] })
@Index({ name: 'redemption_member_seq_index', properties: ['memberId', 'seq'] })
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

  @Property({ type: 'text' })
  @Unique({ name: 'redemption_coupon_code_unique' })
  couponCode!: string;

  /** ISSUED or CANCELLED. */
  @Property({ type: 'text' })
  status: string = 'ISSUED';

  @Property({ type: 'text' })
  @Unique({ name: 'redemption_idempotency_key_unique' })
  idempotencyKey!: string;

  @Property({ type: 'bigint' })
  transactionId!: string;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  cancelledAt: Date | null = null;

  @Property({ type: 'text', nullable: true })
  cancelReason: string | null = null;
}
