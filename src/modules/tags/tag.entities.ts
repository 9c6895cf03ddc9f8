import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';

export type TagKind = 'MANUAL' | 'RULE';
export type TagCategory = 'DESCRIPTIVE' | 'BEHAVIOR' | 'PREFERENCE' | 'SCENARIO';

@Entity({ tableName: 'tag' })
export class Tag {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text' })
  @Unique({ name: 'tag_code_unique' })
  code!: string;

  @Property({ type: 'text' })
  name!: string;

  @Property({ type: 'text' })
  kind: TagKind = 'MANUAL';

  @Property({ type: 'text' })
  category: TagCategory = 'DESCRIPTIVE';

  /** For a RULE tag: the segment filter its members satisfy, kept current by the server. */
  @Property({ type: 'json', nullable: true })
  rule: unknown = null;
}

@Entity({ tableName: 'member_tag' })
@Index({ name: 'member_tag_tag_index', properties: ['tagId'] })
export class MemberTag {
  @PrimaryKey({ type: 'uuid' })
  memberId!: string;

  @PrimaryKey({ type: 'uuid' })
  tagId!: string;

  @Property({ type: 'timestamptz' })
  taggedAt: Date = new Date();
}
