import { Migration } from '@mikro-orm/migrations';

/**
 * Idempotency keys for the two webhook writes that had none (domain.md: every write takes a
 * key): `createWebhookEndpoint(idempotencyKey)`, one endpoint per key (unique), and
 * `rotateWebhookSecret(idempotencyKey)`, the key of the endpoint's last rotation. A client
 * retrying either after a lost answer gets the first answer instead of a second endpoint, or a
 * second rotation that would have pushed the secret its receiver still uses out of the grace.
 */
export class Migration20261228100000_webhook_endpoint_keys extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "webhook_endpoint" add column "idempotency_key" text null, add column "rotation_key" text null;`);
    this.addSql(`alter table "webhook_endpoint" add constraint "webhook_endpoint_idempotency_key_unique" unique ("idempotency_key");`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "webhook_endpoint" drop constraint if exists "webhook_endpoint_idempotency_key_unique";`);
    this.addSql(`alter table "webhook_endpoint" drop column if exists "idempotency_key", drop column if exists "rotation_key";`);
  }
}
