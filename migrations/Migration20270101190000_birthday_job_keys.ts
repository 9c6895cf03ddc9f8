import { Migration } from '@mikro-orm/migrations';

/**
 * The birthday job's gifts were keyed as an admin's adjustment (`adjust:birthday:<member>:<year>`),
 * so an admin's adjustment keyed `birthday:<member>:<year>` took a member's gift key and every
 * later run answered CONFLICT for the whole run. The job now keys its gifts in its own namespace
 * (`birthday:<member>:<year>`, benefits.rules.ts birthdayKey); its rows already written move
 * there, so that a run after the upgrade finds a gift it gave before it (a crash between the
 * gift and the year's grant) instead of giving it again. A row is the job's when its key names
 * its own member and the year of its reason (`birthday gift <year>`), as the job writes them,
 * and the job wrote it: its audit entry (the same transaction's instant) is the system's
 * (`admin:system`, SYSTEM_ACTOR), not an admin's who gave a bonus by hand in the job's words.
 */
export const BIRTHDAY_KEYS_MOVE = `update point_transaction t set idempotency_key = substr(t.idempotency_key, length('adjust:') + 1)
      where t.type = 'ADJUST' and t.amount > 0 and t.idempotency_key like 'adjust:birthday:%'
        and t.reason ~ '^birthday gift [0-9]+$'
        and t.idempotency_key = 'adjust:birthday:' || t.member_id::text || ':' || substr(t.reason, length('birthday gift ') + 1)
        and (t.member_id::text, t.created_at) in (select a.entity_id, a.at from audit_entry a
          where a.action = 'points.adjust' and a.entity = 'Member' and a.actor = 'admin:system');`;

export class Migration20270101190000_birthday_job_keys extends Migration {
  override async up(): Promise<void> {
    this.addSql(BIRTHDAY_KEYS_MOVE);
  }

  override async down(): Promise<void> {
    // Not a job's gift whose old key an admin has taken since (`adjust:birthday:…`): it keeps its key.
    this.addSql(`update point_transaction t set idempotency_key = 'adjust:' || t.idempotency_key
      where t.type = 'ADJUST' and t.idempotency_key like 'birthday:%'
        and not exists (select 1 from point_transaction o where o.idempotency_key = 'adjust:' || t.idempotency_key);`);
  }
}
