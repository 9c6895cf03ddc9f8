import { Migration } from '@mikro-orm/migrations';

/**
 * The delivery workers' claim reads each active endpoint's due deliveries, oldest due first,
 * at most as many as the endpoint has free places: one short range of this index per endpoint,
 * however many deliveries another endpoint has waiting.
 */
export class Migration20261205120000_webhook_claims extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index "webhook_delivery_endpoint_due_index" on "webhook_delivery" ("endpoint_id", "next_attempt_at") where "status" = 'PENDING';`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists "webhook_delivery_endpoint_due_index";`);
  }
}
