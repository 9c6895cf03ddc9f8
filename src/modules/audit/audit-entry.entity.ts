import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/** Append-only record of every admin write: who, what, before and after. */
@Entity({ tableName: 'audit_entry' })
@Index({ properties: ['entity', 'id'] })
export class AuditEntry {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Property({ type: 'text' })
  actor!: string;

  @Property({ type: 'text' })
  action!: string;

  @Property({ type: 'text' })
  entity!: string;

  @Property({ type: 'text' })
  entityId!: string;

  @Property({ type: 'json', nullable: true })
  before: unknown = null;

  @Property({ type: 'json', nullable: true })
  after: unknown = null;

  /** The writing transaction's start (the database's now()), as every row the change wrote carries it: one instant for the change and its entry. */
  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  at!: Date;
}
