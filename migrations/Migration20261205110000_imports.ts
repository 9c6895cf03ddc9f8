import { Migration } from '@mikro-orm/migrations';

/**
 * Bulk imports (docs/decisions.md, "Bulk import"): the job and its rejected lines, the shapes
 * of the staging tables a job's upload is COPYed into, and the mark on imported purchases.
 *
 * Each job stages its file in an unlogged table of its own, made `like` the shapes below
 * (`import_stage_<id>`) and dropped when the job ends: no WAL for what is thrown away, and a
 * DROP instead of deleting millions of rows. Every staged value is text, as the file had it;
 * the set-based checks that follow turn a bad value into an `import_error` row with its line.
 */
export class Migration20261205110000_imports extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "import_job" (
      "id" uuid not null,
      "kind" text not null, "mode" text null, "format" text not null, "status" text not null default 'RUNNING',
      "phase" text not null default 'UPLOADING',
      "actor" text not null,
      "rows_total" int not null default 0,
      "rows_done" int not null default 0,
      "rows_rejected" int not null default 0,
      "failure" text null,
      "started_at" timestamptz not null default now(),
      "finished_at" timestamptz null, constraint "import_job_pkey" primary key ("id"));`);
    this.addSql(`create index "import_job_started_at_index" on "import_job" ("started_at");`);
    // One reason per rejected line (the first check it fails), read in line order.
    this.addSql(`create table "import_error" ("job_id" uuid not null, "line" int not null,
      "message" text not null, constraint "import_error_pkey" primary key ("job_id", "line"));`);
    this.addSql(`create unlogged table "import_member_stage" ("line" int not null, "external_id" text, "display_name" text, "email" text,
      "phone" text, "birthday" text, "gender" text, "region" text, "channel" text, "joined_at" text, "tier_code" text,
      "tier_expires_at" text, "points_balance" text, "points_expire_at" text, "error" text);`);
    this.addSql(`create unlogged table "import_purchase_stage" ("line" int not null, "order_id" text, "external_id" text, "amount" text,
      "occurred_at" text, "refunded_amount" text, "error" text);`);
    // Where a purchase came from: null through the API, 'import' from a bulk import. Referrals
    // and campaigns (later issues) act on purchases whose source is null only.
    this.addSql(`alter table "purchase" add column "source" text null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "purchase" drop column if exists "source";`);
    this.addSql(`drop table if exists "import_purchase_stage";`);
    this.addSql(`drop table if exists "import_member_stage";`);
    this.addSql(`drop table if exists "import_error";`);
    this.addSql(`drop table if exists "import_job";`);
  }
}
