import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * Events to deliver after commit, on every instance: the row is written in the same
 * transaction as the change it announces, NOTIFY carries only its id.
 */
@Entity({ tableName: 'outbox' })
export class OutboxEvent {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Property({ type: 'text' })
  topic!: string;

  @Property({ type: 'uuid', nullable: true })
  memberId: string | null = null;

  @Property({ type: 'json' })
  payload!: unknown;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}
