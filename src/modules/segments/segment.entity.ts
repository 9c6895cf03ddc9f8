import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';

/** A saved filter over members. */
@Entity({ tableName: 'segment' })
export class SegmentDef {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text' })
  @Unique({ name: 'segment_name_unique' })
  name!: string;

  @Property({ type: 'json' })
  filter!: unknown;

  @Property({ type: 'timestamptz' })
  updatedAt: Date = new Date();
}
