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
