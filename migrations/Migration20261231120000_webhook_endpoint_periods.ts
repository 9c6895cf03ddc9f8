import { Migration } from '@mikro-orm/migrations';

/**
 * An event goes to the endpoints that wanted it at its instant, not at its fan-out.
 *
 * The capture writes an event when an active endpoint wants its type; a worker writes its
 * deliveries within a poll (webhook_fanout). It took the endpoints active and subscribed at the
 * fan-out, so an endpoint deactivated (by an admin, or by a 410) in that half second never got an
 * event committed while it was subscribed (lost: activating it again did not bring it back), and
 * one created in it got an event from before it existed.
 *
 * `webhook_endpoint_period` keeps each endpoint's subscriptions over time: one row per stretch in
 * which it was active with one list of types, `during` from the instant of the change that began
 * it (its transaction's, as an event's `created_at`) to the one that ended it. A trigger on
 * webhook_endpoint writes them, whoever changes the endpoint (the API, the 410 handling, SQL by
 * hand). The fan-out writes a delivery for each endpoint whose period holds the event's
 * `created_at` and whose types then wanted it; an endpoint inactive now keeps that delivery
 * PENDING until it is activated again, as a 410 does. Periods never overlap: a change closes the
 * open one and opens the next where it ends (two changes of one endpoint are serialised by its
 * row lock; the later may have the earlier transaction start, hence `greatest`).
 *
 * The endpoints active when this runs get a period from the beginning of time, so the events
 * already queued fan out as they would have.
 */
export class Migration20261231120000_webhook_endpoint_periods extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "webhook_endpoint_period" (
      "endpoint_id" uuid not null references "webhook_endpoint" ("id") on delete cascade,
      "event_types" text[] not null,
      "during" tstzrange not null);`);
    this.addSql(`create index "webhook_endpoint_period_endpoint_index" on "webhook_endpoint_period" ("endpoint_id");`);
    this.addSql(`insert into webhook_endpoint_period (endpoint_id, event_types, during)
      select id, event_types, tstzrange('-infinity', null) from webhook_endpoint where active;`);
    this.addSql(`create function webhook_endpoint_period_track() returns trigger language plpgsql as $$
      declare v_from timestamptz;
      begin
        if tg_op = 'UPDATE' then
          update webhook_endpoint_period set during = tstzrange(lower(during), greatest(lower(during), now()))
            where endpoint_id = new.id and upper_inf(during);
        end if;
        if new.active then
          select greatest(now(), max(upper(during))) into v_from from webhook_endpoint_period where endpoint_id = new.id;
          insert into webhook_endpoint_period (endpoint_id, event_types, during) values (new.id, new.event_types, tstzrange(v_from, null));
        end if;
        return null;
      end $$;`);
    this.addSql(`create trigger webhook_endpoint_period_insert after insert on webhook_endpoint
      for each row execute function webhook_endpoint_period_track();`);
    this.addSql(`create trigger webhook_endpoint_period_update after update of active, event_types on webhook_endpoint
      for each row when (old.active is distinct from new.active or old.event_types is distinct from new.event_types)
      execute function webhook_endpoint_period_track();`);
  }

  override async down(): Promise<void> {
    this.addSql('drop trigger if exists webhook_endpoint_period_update on webhook_endpoint;');
    this.addSql('drop trigger if exists webhook_endpoint_period_insert on webhook_endpoint;');
    this.addSql('drop function if exists webhook_endpoint_period_track();');
    this.addSql('drop table if exists "webhook_endpoint_period";');
  }
}
