import { Migration } from '@mikro-orm/migrations';

/**
 * A scheduled job's slot is the instant it is evaluated at (local midnight in the programme's
 * zone, as ISO 8601 text), not the bare local date: after a change of zone, the new zone's day
 * whose date a run in the old zone had used was taken for done, and a day's date the old zone
 * had passed ran as of an instant before the last run (docs/decisions.md, "Scheduling"). The
 * slots recorded as dates become their local midnight in the programme's zone.
 */
export class Migration20261231090000_job_slot_instant extends Migration {
  override async up(): Promise<void> {
    this.addSql(`update "job_run" j set "slot" = to_char((j."slot"::date::timestamp at time zone p."time_zone") at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
      from "program" p where p."id" = 1 and j."slot" ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$';`);
  }

  override async down(): Promise<void> {
    this.addSql(`update "job_run" j set "slot" = to_char(j."slot"::timestamptz at time zone p."time_zone", 'YYYY-MM-DD')
      from "program" p where p."id" = 1 and j."slot" ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}T';`);
  }
}
