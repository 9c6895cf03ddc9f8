import { Migration } from '@mikro-orm/migrations';

/**
 * `webhook_event.seq` loses its unique index. Nothing reads an event by its seq: the fan-out
 * finds events by id (webhook_fanout), a member's export and erasure by member_id, and seq only
 * orders the rows those return. The column stays (bigserial: unique by its sequence), so does
 * its order; the index was one more B-tree insert for every event, three in a purchase's own
 * transaction with two '*' endpoints (docs/benchmarks.md, "Webhooks").
 */
export class Migration20261229090000_webhook_event_seq_unindexed extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "webhook_event" drop constraint if exists "webhook_event_seq_unique";`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "webhook_event" add constraint "webhook_event_seq_unique" unique ("seq");`);
  }
}
