import { Entity, Enum, Index, PrimaryKey, Property } from '@mikro-orm/core';

export type WebhookDeliveryStatus = 'PENDING' | 'DELIVERED' | 'DEAD';
export const WEBHOOK_DELIVERY_STATUSES: WebhookDeliveryStatus[] = ['PENDING', 'DELIVERED', 'DEAD'];

/** An HTTPS endpoint an admin registered, with the event types it receives (`*`: every type). */
@Entity({ tableName: 'webhook_endpoint' })
export class WebhookEndpoint {
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @Property({ type: 'text' })
  url!: string;

  @Property({ type: 'text[]' })
  eventTypes!: string[];

  @Property({ type: 'boolean', default: true })
  active: boolean = true;

  /** The signing secret (HMAC-SHA256 key), shown once. */
  @Property({ type: 'text', lazy: true })
  secret!: string;

  /** After a rotation, the secret before it, still signed with until `previousSecretExpiresAt`. */
  @Property({ type: 'text', nullable: true, lazy: true })
  previousSecret: string | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  previousSecretExpiresAt: Date | null = null;

  /** The key createWebhookEndpoint was given: a retry with it gets this endpoint. */
  @Property({ type: 'text', nullable: true, unique: 'webhook_endpoint_idempotency_key_unique' })
  idempotencyKey: string | null = null;

  /** The key of the last rotateWebhookSecret: a retry with it gets this secret, not another rotation. */
  @Property({ type: 'text', nullable: true })
  rotationKey: string | null = null;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}

/**
 * A domain event for webhooks, written in the transaction of the change it reports (only when
 * an active endpoint wants its type). `data` names the member by id and externalId, tiers by
 * code, amounts as numbers: never a personal field.
 */
@Entity({ tableName: 'webhook_event' })
@Index({ name: 'webhook_event_member_id_index', properties: ['memberId'] })
export class WebhookEvent {
  @PrimaryKey({ type: 'uuid', defaultRaw: 'gen_random_uuid()' })
  id!: string;

  /** The order events were written in (bigserial); not indexed: nothing reads an event by it. */
  @Property({ type: 'bigint', autoincrement: true })
  seq!: string;

  @Property({ type: 'text' })
  type!: string;

  @Property({ type: 'uuid', nullable: true })
  memberId: string | null = null;

  @Property({ type: 'timestamptz' })
  occurredAt!: Date;

  @Property({ type: 'jsonb' })
  data!: Record<string, unknown>;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt!: Date;
}

/** One event to one endpoint: its attempts and outcome. */
@Entity({ tableName: 'webhook_delivery' })
// The claim per endpoint: its due pending deliveries, oldest due first (Migration20261205120000_webhook_claims).
@Index({ name: 'webhook_delivery_endpoint_due_index', expression: `create index "webhook_delivery_endpoint_due_index" on "webhook_delivery" ("endpoint_id", "next_attempt_at") where "status" = 'PENDING'` })
// The log of one endpoint, newest first.
@Index({ name: 'webhook_delivery_endpoint_id_id_index', properties: ['endpointId', 'id'] })
@Index({ name: 'webhook_delivery_event_id_index', properties: ['eventId'] })
export class WebhookDelivery {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Property({ type: 'uuid' })
  endpointId!: string;

  @Property({ type: 'uuid' })
  eventId!: string;

  @Enum({ items: WEBHOOK_DELIVERY_STATUSES, default: 'PENDING' })
  status: WebhookDeliveryStatus = 'PENDING';

  @Property({ type: 'integer', default: 0 })
  attempts: number = 0;

  @Property({ type: 'integer', nullable: true })
  lastStatusCode: number | null = null;

  @Property({ type: 'text', nullable: true })
  lastError: string | null = null;

  @Property({ type: 'timestamptz', nullable: true, defaultRaw: 'now()' })
  nextAttemptAt: Date | null = null;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt!: Date;

  @Property({ type: 'timestamptz', nullable: true })
  deliveredAt: Date | null = null;
}
