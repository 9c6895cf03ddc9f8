import { Migration } from '@mikro-orm/migrations';

/**
 * The capture writes the events; the delivery workers write their deliveries
 * (docs/decisions.md, "Webhook events").
 *
 * A purchase with two '*' endpoints wrote, in its own transaction, three events and six
 * PENDING deliveries, each delivery a row with four index entries: measured on the webhooks
 * bench with the workers switched off, that capture alone added 0.6 ms of PostgreSQL's CPU to a
 * purchase's 3.5 ms (83% of the throughput without endpoints), and the events without their
 * deliveries 0.2 ms (90%). So the capture now writes each event and one row of
 * `webhook_fanout` (its event, under a key that grows with every row: one append to one
 * index); a worker takes queued rows (FOR UPDATE SKIP LOCKED: each row by one instance) and, in
 * the same statement, deletes them and writes the deliveries of every active endpoint that
 * wants the event's type. The event is still written in the transaction of the change it
 * reports (a rollback sends nothing, a crash loses nothing: the queue row commits with it and
 * is consumed only by the statement that writes its deliveries).
 *
 * Every capture function (the statement-level ones emitRows wrote, and the row-level ones of
 * referrals, check-ins and campaign points) ends its events' insert with one statement writing
 * their deliveries; each is rewritten in place, whichever migration last wrote it, so that the
 * rest of its body stays as that migration left it. A function still writing deliveries from
 * its events afterwards fails the migration. webhook_emit (import.completed, webhook.ping's
 * kind of event, redelivery) keeps writing its deliveries itself: one event at a time, with a
 * NOTIFY that wakes the workers at once.
 */
/** The statements that wrote an event's deliveries in the capture functions (a regular expression over their bodies). */
export const CAPTURE_FORMS = String.raw`insert into webhook_delivery \(endpoint_id, event_id\)\s+select w\.id, ev\.id from ev join webhook_endpoint w on w\.active and \((ev\.type|v_type) = any\(w\.event_types\) or '\*' = any\(w\.event_types\)\)\s+order by (ev\.seq, )?w\.id;`;
/** What the capture functions write instead: the events queued for fan-out (every form's `ev` has the event's id). */
export const QUEUED = 'insert into webhook_fanout (event_id) select ev.id from ev;';
/** What `down` writes back: the deliveries from the events, as the capture wrote them before. */
const DELIVERIES_BACK = `insert into webhook_delivery (endpoint_id, event_id) select w.id, e.id from ev join webhook_event e on e.id = ev.id join webhook_endpoint w on w.active and (e.type = any(w.event_types) or '*' = any(w.event_types)) order by e.seq, w.id;`;

/** A capture function's text (captureFunction over emitRows) with its events queued for fan-out instead of writing their deliveries. */
export function queuedCapture(sql: string): string {
  const queued = sql.replace(new RegExp(CAPTURE_FORMS, 'g'), QUEUED);
  if (queued === sql || queued.includes('insert into webhook_delivery')) throw new Error('queuedCapture: no delivery statement to queue');
  return queued;
}

const escapeRegex = (s: string) => s.replace(/[\\^$.*+?()[\]{}|]/g, (c) => `\\${c}`);
const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** Rewrites, in every function of this schema whose body matches `pattern`, each match to `replacement`. */
export const rewriteFunctions = (pattern: string, replacement: string) => `do $$
  declare f record;
  begin
    for f in select p.oid from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = current_schema() and p.prosrc ~ ${literal(pattern)}
    loop
      execute regexp_replace(pg_get_functiondef(f.oid), ${literal(pattern)}, ${literal(replacement)}, 'g');
    end loop;
  end $$;`;

export class Migration20261228090000_webhook_fanout extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "webhook_fanout" ("id" bigserial not null, "event_id" uuid not null, constraint "webhook_fanout_pkey" primary key ("id"));`);
    // The forms the migrations wrote, and the one this migration's down writes back.
    this.addSql(rewriteFunctions(`${CAPTURE_FORMS}|${escapeRegex(DELIVERIES_BACK)}`, QUEUED));
    this.addSql(`do $$ begin
      if exists (select 1 from pg_proc p join pg_namespace n on n.oid = p.pronamespace
          where n.nspname = current_schema() and p.proname like 'webhook_capture%' and p.prosrc like '%insert into webhook_delivery%') then
        raise exception 'a webhook capture function still writes its deliveries';
      end if;
    end $$;`);
  }

  override async down(): Promise<void> {
    this.addSql(rewriteFunctions(escapeRegex(QUEUED), DELIVERIES_BACK));
    // Events queued and not fanned out yet get their deliveries now, as the capture would have written them.
    this.addSql(`insert into webhook_delivery (endpoint_id, event_id)
      select w.id, e.id from webhook_fanout f join webhook_event e on e.id = f.event_id
        join webhook_endpoint w on w.active and (e.type = any(w.event_types) or '*' = any(w.event_types))
      order by f.id, w.id;`);
    this.addSql('drop table if exists "webhook_fanout";');
  }
}
