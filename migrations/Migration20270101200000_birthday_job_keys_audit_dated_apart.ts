import { Migration } from '@mikro-orm/migrations';

/**
 * Migration `birthday_job_keys` took a gift as the job's when the system's audit entry bore the
 * row's very instant, which holds only since `audit_at_transaction`: before it the app dated its
 * entries itself, some milliseconds after the transaction's start (the row's `created_at`). The
 * gifts written before then kept their old keys, so a run that retried one of them (a crash
 * between the gift and the year's grant) gave it again, and the admin's key stayed taken.
 * A row is the job's when the system's own entry for that member records that adjustment (its
 * amount and reason), dated within minutes of the row, whatever the clocks said to the
 * millisecond; an admin's bonus in the job's words is still the admin's (its actor is not the
 * system). The rows `birthday_job_keys` moved are no longer under the old keys: nothing moves twice.
 */
export const BIRTHDAY_KEYS_MOVE_BY_AUDIT = `update point_transaction t set idempotency_key = substr(t.idempotency_key, length('adjust:') + 1)
      where t.type = 'ADJUST' and t.amount > 0 and t.idempotency_key like 'adjust:birthday:%'
        and t.reason ~ '^birthday gift [0-9]+$'
        and t.idempotency_key = 'adjust:birthday:' || t.member_id::text || ':' || substr(t.reason, length('birthday gift ') + 1)
        and not exists (select 1 from point_transaction o where o.idempotency_key = substr(t.idempotency_key, length('adjust:') + 1))
        and exists (select 1 from audit_entry a
          where a.action = 'points.adjust' and a.entity = 'Member' and a.actor = 'admin:system'
            and a.entity_id = t.member_id::text
            and a.after->>'reason' = t.reason and a.after->>'amount' = t.amount::text
            and a.at >= t.created_at - interval '5 minutes' and a.at < t.created_at + interval '5 minutes');`;

export class Migration20270101200000_birthday_job_keys_audit_dated_apart extends Migration {
  override async up(): Promise<void> {
    this.addSql(BIRTHDAY_KEYS_MOVE_BY_AUDIT);
  }

  override async down(): Promise<void> {
    // Migration `birthday_job_keys`'s down() moves every job key back, these rows with them.
  }
}
