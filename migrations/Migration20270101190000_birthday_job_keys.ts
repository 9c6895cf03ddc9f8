import { Migration } from '@mikro-orm/migrations';

/**
 * The birthday job's gifts were keyed as an admin's adjustment (`adjust:birthday:<member>:<year>`),
 * so an admin's adjustment keyed `birthday:<member>:<year>` took a member's gift key and every
 * later run answered CONFLICT for the whole run. The job now keys its gifts in its own namespace
 * (`birthday:<member>:<year>`, benefits.rules.ts birthdayKey); its rows already written move
 * there, so that a run after the upgrade finds a gift it gave before it (a crash between the
 * gift and the year's grant) instead of giving it again. A row is the job's when its key names
 * its own member and the year of its reason (`birthday gift <year>`), as the job writes them.
 */
export const BIRTHDAY_KEYS_MOVE = `update point_transaction set idempotency_key = substr(idempotency_key, length('adjust:') + 1)
      where type = 'ADJUST' and amount > 0 and idempotency_key like 'adjust:birthday:%'
        and reason ~ '^birthday gift [0-9]+$'
        and idempotency_key = 'adjust:birthday:' || member_id::text || ':' || substr(reason, length('birthday gift ') + 1);`;

export class Migration20270101190000_birthday_job_keys extends Migration {
  override async up(): Promise<void> {
    this.addSql(BIRTHDAY_KEYS_MOVE);
  }

  override async down(): Promise<void> {
    this.addSql(`update point_transaction set idempotency_key = 'adjust:' || idempotency_key
      where type = 'ADJUST' and idempotency_key like 'birthday:%';`);
  }
}
