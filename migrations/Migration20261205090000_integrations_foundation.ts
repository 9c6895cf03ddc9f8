import { Migration } from '@mikro-orm/migrations';

/**
 * The tables the integrations share: webhook endpoints, the events written for them and their
 * deliveries; the member's erasure instant; the ledger's opening-balance and erasure types.
 */
export class Migration20261205090000_integrations_foundation extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "webhook_endpoint" ("id" uuid not null, "url" text not null, "event_types" text[] not null, "active" boolean not null default true, "secret" text not null, "previous_secret" text null, "previous_secret_expires_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "webhook_endpoint_pkey" primary key ("id"));`);

    this.addSql(`create table "webhook_event" ("id" uuid not null default gen_random_uuid(), "seq" bigserial, "type" text not null, "member_id" uuid null, "occurred_at" timestamptz not null, "data" jsonb not null, "created_at" timestamptz not null default now(), constraint "webhook_event_pkey" primary key ("id"));`);
    this.addSql(`alter table "webhook_event" add constraint "webhook_event_seq_unique" unique ("seq");`);
    this.addSql(`create index "webhook_event_member_id_index" on "webhook_event" ("member_id");`);

    this.addSql(`create table "webhook_delivery" ("id" bigserial primary key, "endpoint_id" uuid not null, "event_id" uuid not null, "status" text check ("status" in ('PENDING', 'DELIVERED', 'DEAD')) not null default 'PENDING', "attempts" int not null default 0, "last_status_code" int null, "last_error" text null, "next_attempt_at" timestamptz null default now(), "created_at" timestamptz not null default now(), "delivered_at" timestamptz null);`);
    this.addSql(`create index "webhook_delivery_event_id_index" on "webhook_delivery" ("event_id");`);
    this.addSql(`create index "webhook_delivery_endpoint_id_id_index" on "webhook_delivery" ("endpoint_id", "id");`);
    this.addSql(`create index "webhook_delivery_due_index" on "webhook_delivery" ("next_attempt_at") where "status" = 'PENDING';`);

    this.addSql(`alter table "point_transaction" drop constraint if exists "point_transaction_type_check";`);
    this.addSql(`alter table "point_transaction" add constraint "point_transaction_type_check" check("type" in ('EARN', 'REDEEM', 'EXPIRE', 'ADJUST', 'REFUND_REVERSAL', 'REDEMPTION_CANCEL', 'OPENING_BALANCE', 'ERASURE'));`);

    this.addSql(`alter table "member" add column "erased_at" timestamptz null;`);

    // Whether an active endpoint wants events of this type (by name, or '*'): the cheap test
    // every writer makes before it builds an event nobody would receive.
    this.addSql(`create or replace function webhook_wanted(p_type text) returns boolean
      language sql stable as $$
        select exists (select 1 from webhook_endpoint where active and (p_type = any(event_types) or '*' = any(event_types)))
      $$;`);
    // False in a transaction that ran \`set local loyalty.webhook_events = 'off'\`: a bulk writer
    // (an import, an erasure) that reports itself with one event of its own; the per-row event
    // capture writes nothing then. webhook_emit is not affected.
    this.addSql(`create or replace function webhook_row_events() returns boolean
      language sql stable as $$
        select coalesce(current_setting('loyalty.webhook_events', true), '') <> 'off'
      $$;`);
    // Records one event and a PENDING delivery to each active endpoint that wants its type, and
    // wakes the delivery workers once committed (NOTIFY is transactional). Returns the event's
    // id; null, with nothing written, when no endpoint wants it.
    this.addSql(`create or replace function webhook_emit(p_type text, p_member uuid, p_occurred_at timestamptz, p_data jsonb) returns uuid
      language plpgsql as $$
      declare
        v_id uuid;
      begin
        if not webhook_wanted(p_type) then
          return null;
        end if;
        insert into webhook_event (type, member_id, occurred_at, data)
          values (p_type, p_member, p_occurred_at, p_data)
          returning id into v_id;
        insert into webhook_delivery (endpoint_id, event_id)
          select e.id, v_id from webhook_endpoint e
          where e.active and (p_type = any(e.event_types) or '*' = any(e.event_types));
        perform pg_notify('loyalty_webhooks', '');
        return v_id;
      end
      $$;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop function if exists webhook_emit(text, uuid, timestamptz, jsonb);`);
    this.addSql(`drop function if exists webhook_row_events();`);
    this.addSql(`drop function if exists webhook_wanted(text);`);
    this.addSql(`alter table "member" drop column if exists "erased_at";`);
    this.addSql(`alter table "point_transaction" drop constraint if exists "point_transaction_type_check";`);
    this.addSql(`alter table "point_transaction" add constraint "point_transaction_type_check" check("type" in ('EARN', 'REDEEM', 'EXPIRE', 'ADJUST', 'REFUND_REVERSAL', 'REDEMPTION_CANCEL'));`);
    this.addSql(`drop table if exists "webhook_delivery" cascade;`);
    this.addSql(`drop table if exists "webhook_event" cascade;`);
    this.addSql(`drop table if exists "webhook_endpoint" cascade;`);
  }

}
