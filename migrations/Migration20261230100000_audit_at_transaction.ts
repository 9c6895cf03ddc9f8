import { Migration } from '@mikro-orm/migrations';

/**
 * An audit entry is dated by its transaction's start (now()), as the rows its change wrote are
 * (a benefit version's changed_at, a tier change's created_at): it was the app's clock when the
 * entry was made, tens of milliseconds later, so the log and the version it recorded gave one
 * change two instants.
 */
export class Migration20261230100000_audit_at_transaction extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "audit_entry" alter column "at" set default now();`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "audit_entry" alter column "at" drop default;`);
  }
}
