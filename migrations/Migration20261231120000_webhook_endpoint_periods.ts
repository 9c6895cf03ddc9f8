import { Migration } from '@mikro-orm/migrations';
import { rewriteFunctions } from './Migration20261228090000_webhook_fanout';

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
 * hand). Periods never overlap: a change closes the open one and opens the next where it ends
 * (two changes of one endpoint are serialised by its row lock; the later may have the earlier
 * transaction start, hence `greatest`). The trigger drops the empty periods (two changes in one
 * transaction) and those closed a day before the oldest event still waiting for its fan-out, so
 * the table holds about one row per endpoint.
 *
 * Every test of "an endpoint wants this type" asks the periods at the transaction's instant
 * (`now()`, the event's `created_at`): the capture's (webhook_wanted, webhook_capture_types,
 * webhook_types_wanted, each capture function's filter of its rows), webhook_emit's deliveries,
 * and the fan-out's (webhook-delivery.repository.ts). So the event is written, and delivered,
 * for the endpoints subscribed when its transaction began, whichever commits first: an endpoint
 * deactivated in between keeps the delivery PENDING until it is active again, as a 410 does, and
 * one created in between gets nothing (its period begins after). The function bodies are
 * rewritten in place, whichever migration last wrote them; a function still testing
 * `webhook_endpoint … active` afterwards fails the migration.
 *
 * The endpoints active when this runs get a period from the beginning of time, so the events
 * already queued fan out as they would have.
 */
const FORMS: [string, string][] = [
  // webhook_emit's deliveries (first: the next form would take its table and leave `e.id`).
  [String.raw`select e\.id, v_id from webhook_endpoint e\s+where e\.active and`, 'select e.endpoint_id, v_id from webhook_endpoint_period e where e.during @> now() and'],
  [String.raw`webhook_endpoint w\s+where w\.active and`, 'webhook_endpoint_period w where w.during @> now() and'],
  [String.raw`webhook_endpoint e\s+where e\.active and`, 'webhook_endpoint_period e where e.during @> now() and'],
  [String.raw`from webhook_endpoint\s+where active and`, 'from webhook_endpoint_period where during @> now() and'],
];
const BACK: [string, string][] = [
  [String.raw`select e\.endpoint_id, v_id from webhook_endpoint_period e where e\.during @> now\(\) and`, 'select e.id, v_id from webhook_endpoint e where e.active and'],
  [String.raw`webhook_endpoint_period w where w\.during @> now\(\) and`, 'webhook_endpoint w where w.active and'],
  [String.raw`webhook_endpoint_period e where e\.during @> now\(\) and`, 'webhook_endpoint e where e.active and'],
  [String.raw`from webhook_endpoint_period where during @> now\(\) and`, 'from webhook_endpoint where active and'],
];

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
          -- Nothing can fall in an empty period; nothing waiting for its fan-out began before a day
          -- before the oldest event that waits (a transaction open that long would be unheard of).
          delete from webhook_endpoint_period where endpoint_id = new.id and (isempty(during) or upper(during) < least(now(),
            (select e.created_at from webhook_fanout f join webhook_event e on e.id = f.event_id order by f.id limit 1)) - interval '1 day');
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
    for (const [pattern, replacement] of FORMS) this.addSql(rewriteFunctions(pattern, replacement));
    this.addSql(`do $$ begin
      if exists (select 1 from pg_proc p join pg_namespace n on n.oid = p.pronamespace
          where n.nspname = current_schema() and p.prosrc ~ 'webhook_endpoint\\s+(\\w+\\s+)?(where|on)\\s+(\\w+\\.)?active') then
        raise exception 'a function still asks which endpoints are active now';
      end if;
    end $$;`);
  }

  override async down(): Promise<void> {
    for (const [pattern, replacement] of BACK) this.addSql(rewriteFunctions(pattern, replacement));
    this.addSql('drop trigger if exists webhook_endpoint_period_update on webhook_endpoint;');
    this.addSql('drop trigger if exists webhook_endpoint_period_insert on webhook_endpoint;');
    this.addSql('drop function if exists webhook_endpoint_period_track();');
    this.addSql('drop table if exists "webhook_endpoint_period";');
  }
}
