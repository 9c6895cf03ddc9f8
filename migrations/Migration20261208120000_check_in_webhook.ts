import { Migration } from '@mikro-orm/migrations';

/**
 * A daily check-in's points are `points.earned`, as an activity's are (migration
 * webhook_capture, `webhook_capture_activity`): captured by a statement-level trigger on
 * `check_in`, in the check-in's transaction (its row is its last write: the CHECK_IN
 * transaction is written before it). A check-in worth 0 points has no transaction and no
 * event. Same shape as an activity's event: the member as {id, externalId}, the points, no
 * qualifying points, the balance after, the reference (the programme-local day), spendable at
 * once (`pending` false), the lot's expiry and the transaction's id. The cheap exit first
 * (webhook_capture_types: no endpoint wants it, or the transaction turned row events off).
 */
export class Migration20261208120000_check_in_webhook extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create or replace function webhook_capture_check_in() returns trigger language plpgsql as $$
    declare
      v_types text[] := webhook_capture_types(array['points.earned']);
    begin
      if cardinality(v_types) = 0 or not exists (select 1 from new_check_ins where transaction_id is not null) then
        return null;
      end if;
      with ev as (
        insert into webhook_event (type, member_id, occurred_at, data)
        select e.type, e.member_id, e.occurred_at, e.data from (
          select 'points.earned' as type, c.member_id, c.checked_in_at as occurred_at, jsonb_build_object(
              'member', jsonb_build_object('id', c.member_id, 'externalId', m.external_id), 'points', t.amount, 'qualifyingPoints', 0,
              'balanceAfter', t.balance_after, 'reference', t.reference, 'pending', false, 'activatesAt', webhook_time(c.checked_in_at),
              'expiresAt', webhook_time(t.expires_at), 'transactionId', t.id::text) as data, t.id as ord
          from new_check_ins c
          left join lateral (select m.external_id from member m where m.id = c.member_id offset 0) m on true
          left join lateral (select t.id, t.amount, t.balance_after, t.reference, t.expires_at, t.type from point_transaction t
            where t.id = c.transaction_id offset 0) t on true
          where t.type = 'CHECK_IN'
        ) e
        where exists (select 1 from webhook_endpoint w where w.active and (e.type = any(w.event_types) or '*' = any(w.event_types)))
        order by e.ord
        returning id, seq, type
      )
      insert into webhook_delivery (endpoint_id, event_id)
      select w.id, ev.id from ev join webhook_endpoint w on w.active and (ev.type = any(w.event_types) or '*' = any(w.event_types))
      order by ev.seq, w.id;
      return null;
    end $$;`);
    this.addSql(`create trigger "check_in_webhook_earned" after insert on "check_in"
      referencing new table as new_check_ins for each statement execute function webhook_capture_check_in();`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger if exists "check_in_webhook_earned" on "check_in";`);
    this.addSql(`drop function if exists webhook_capture_check_in();`);
  }
}
