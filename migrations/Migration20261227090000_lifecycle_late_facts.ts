import { Migration } from '@mikro-orm/migrations';

/**
 * Late facts and the lifecycle timeline (docs/retention.md, "The lifecycle timeline"): a fact
 * that arrives after a refresh of a date and is dated at or before it (a backdated purchase, an
 * import, a backdated refund, a member registered or imported with an earlier joinedAt) changes
 * what that date's stages should have been. The writing transaction queues the member with the
 * earliest date it affects; the next refresh repairs the timeline from there, in its swap
 * transaction, and consumes the queue.
 *
 * - `retention_horizon`: the latest asOf any refresh has started for (published before it takes
 *   its snapshot, never lowered). A fact dated after it can change no refreshed date: not queued.
 * - `retention_late`: the queue, (member, earliest instant affected, the instant of the purchase
 *   concerned: a purchase's own, a refund's purchase's, null for a join). Append-only; no index.
 * - `retention_repair`: the refresh's scratch copy of the queue it consumed, one row per member
 *   (unlogged, as retention_facts).
 * - `lifecycle_transition_member_index`: a member's moves by date, which the repair reads for the
 *   members it repairs only (the stage before the first date it rewrites, the moves at its dates).
 * - Triggers: statement-level, with transition tables, on purchase and refund inserts and member
 *   inserts (an import's thousands of rows queue in one statement; a purchase dated now, after
 *   the horizon, queues nothing: one probe of a one-row table, no statement of the client's);
 *   and a row-level one, WHEN joined_at changed, for an import that moves a member's joinedAt.
 */
const HORIZON = '(select h.as_of from retention_horizon h where h.id = 1)';

export class Migration20261227090000_lifecycle_late_facts extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "retention_horizon" ("id" int not null default 1, "as_of" timestamptz not null,
      constraint "retention_horizon_pkey" primary key ("id"), constraint "retention_horizon_one" check ("id" = 1));`);
    this.addSql(`insert into "retention_horizon" ("id", "as_of") select 1, max("as_of") from "retention_run" having max("as_of") is not null;`);
    this.addSql(`create table "retention_late" ("member_id" uuid not null, "from_at" timestamptz not null, "subject_at" timestamptz null);`);
    this.addSql(`create unlogged table "retention_repair" ("member_id" uuid not null, "from_at" timestamptz not null, "subject_at" timestamptz null,
      constraint "retention_repair_pkey" primary key ("member_id"));`);
    this.addSql(`create index "lifecycle_transition_member_index" on "lifecycle_transition" ("member_id", "at");`);
    this.addSql(`create function retention_late_purchases() returns trigger language plpgsql as $$ begin
      insert into retention_late (member_id, from_at, subject_at)
        select n.member_id, min(n.occurred_at), max(n.occurred_at) from new_purchases n where n.occurred_at <= ${HORIZON} group by n.member_id;
      return null; end $$;`);
    this.addSql(`create function retention_late_refunds() returns trigger language plpgsql as $$ begin
      insert into retention_late (member_id, from_at, subject_at)
        select n.member_id, min(n.occurred_at), max(p.occurred_at) from new_refunds n join purchase p on p.order_id = n.order_id
        where n.occurred_at <= ${HORIZON} group by n.member_id;
      return null; end $$;`);
    this.addSql(`create function retention_late_members() returns trigger language plpgsql as $$ begin
      insert into retention_late (member_id, from_at, subject_at)
        select n.id, n.joined_at, null from new_members n where n.joined_at <= ${HORIZON};
      return null; end $$;`);
    this.addSql(`create function retention_late_joined() returns trigger language plpgsql as $$ begin
      if least(old.joined_at, new.joined_at) <= ${HORIZON} then
        insert into retention_late (member_id, from_at, subject_at) values (new.id, least(old.joined_at, new.joined_at), null);
      end if;
      return null; end $$;`);
    this.addSql(`create trigger "purchase_retention_late" after insert on "purchase" referencing new table as new_purchases
      for each statement execute function retention_late_purchases();`);
    this.addSql(`create trigger "refund_retention_late" after insert on "refund" referencing new table as new_refunds
      for each statement execute function retention_late_refunds();`);
    this.addSql(`create trigger "member_retention_late" after insert on "member" referencing new table as new_members
      for each statement execute function retention_late_members();`);
    this.addSql(`create trigger "member_retention_late_joined" after update of "joined_at" on "member"
      for each row when (old.joined_at is distinct from new.joined_at) execute function retention_late_joined();`);
  }

  override async down(): Promise<void> {
    this.addSql('drop trigger if exists "member_retention_late_joined" on "member";');
    this.addSql('drop trigger if exists "member_retention_late" on "member";');
    this.addSql('drop trigger if exists "refund_retention_late" on "refund";');
    this.addSql('drop trigger if exists "purchase_retention_late" on "purchase";');
    for (const f of ['retention_late_joined', 'retention_late_members', 'retention_late_refunds', 'retention_late_purchases']) this.addSql(`drop function if exists ${f}();`);
    this.addSql('drop index if exists "lifecycle_transition_member_index";');
    this.addSql('drop table if exists "retention_repair";');
    this.addSql('drop table if exists "retention_late";');
    this.addSql('drop table if exists "retention_horizon";');
  }
}
