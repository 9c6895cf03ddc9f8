import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';

export type TagKind = 'MANUAL' | 'RULE';
export type TagCategory = 'DESCRIPTIVE' | 'BEHAVIOR' | 'PREFERENCE' | 'SCENARIO';

@Entity({ tableName: 'tag' })
// One tag whatever the case of its code (migration tag_code_case; TagsService refuses a new spelling).
@Index({ name: 'tag_code_folded_unique', expression: 'create unique index "tag_code_folded_unique" on "tag" (lower("code"))' })
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
