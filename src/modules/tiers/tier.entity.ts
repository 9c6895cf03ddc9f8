import { DecimalType, Entity, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';

/** One rung of the tier ladder. Rank 0 is the entry tier every member joins at. */
@Entity({ tableName: 'tier' })
export class Tier {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text' })
  @Unique()
  code!: string;

  @Property({ type: 'text' })
  name!: string;

  @Property({ type: 'integer' })
  @Unique()
  rank!: number;

  @Property({ type: 'integer' })
  qualifyingPoints!: number;

  @Property({ type: 'integer' })
  retainPoints!: number;

  @Property({ type: new DecimalType('number'), precision: 8, scale: 4 })
  pointsMultiplier: number = 1;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}

/** A tier as the API shows it: what a Tier entity has, and what the member screen reads without the ORM. */
export type TierView = Pick<Tier, 'id' | 'code' | 'name' | 'rank' | 'qualifyingPoints' | 'retainPoints' | 'pointsMultiplier'>;

/**
 * Tier.memberCount without counting members: statement-level triggers on `member` append
 * one signed row per tier and statement (insert-only, so concurrent upgrades never wait on
 * a shared counter row); the count is the sum, and the tier review folds the rows.
 */
@Entity({ tableName: 'tier_member_delta' })
export class TierMemberDelta {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Property({ type: 'uuid', index: true })
  tierId!: string;

  @Property({ type: 'integer' })
  delta!: number;
}
