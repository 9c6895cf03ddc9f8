import { Migration } from '@mikro-orm/migrations';

/**
 * Drops `webhook_delivery_due_index` (next_attempt_at, of the PENDING deliveries): no statement
 * reads it since the claim reads each endpoint's due deliveries from
 * `webhook_delivery_endpoint_due_index` (Migration20261205120000_webhook_claims), and every
 * delivery paid for it three times: at its insert, in the purchase's (or other writer's)
 * transaction, and at each claim and retry (each moves next_attempt_at).
 */
export class Migration20261209200000_webhook_delivery_due_index extends Migration {
  override async up(): Promise<void> {
    this.addSql(`drop index if exists "webhook_delivery_due_index";`);
  }

  override async down(): Promise<void> {
    this.addSql(`create index if not exists "webhook_delivery_due_index" on "webhook_delivery" ("next_attempt_at") where "status" = 'PENDING';`);
  }
}
