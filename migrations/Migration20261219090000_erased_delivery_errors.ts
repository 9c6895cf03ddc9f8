import { Migration } from '@mikro-orm/migrations';

/**
 * What receivers answered to the deliveries of erased members' events.
 *
 * A failed delivery keeps the start of the receiver's answer (`last_error`, "HTTP 500: <up to
 * 300 bytes of its body>"), and a receiver that quotes the request in its error page echoes the
 * payload: the member's externalId, an adjustment's reason with a name or an e-mail. Erasures
 * made before this version scrubbed the events' payloads but left those answers. The values
 * they quoted are gone from the member row, so they cannot be searched for: the answer's body
 * is dropped, as an erasure now drops it (scrubMemberEvents), from every delivery of an erased
 * member's event and of a referral event naming an erased referee. `HTTP <status>` stays.
 */
export class Migration20261219090000_erased_delivery_errors extends Migration {
  override async up(): Promise<void> {
    this.addSql(`update webhook_delivery d set last_error = substring(d.last_error from '^HTTP [0-9]{3}') || ': [erased]'
      from webhook_event e
      where d.event_id = e.id and d.last_error ~ '^HTTP [0-9]{3}:' and d.last_error <> substring(d.last_error from '^HTTP [0-9]{3}') || ': [erased]'
        and (exists (select 1 from member m where m.id = e.member_id and m.erased_at is not null)
          or (e.type in ('referral.completed', 'referral.reversed')
            and exists (select 1 from member m where m.id::text = e.data -> 'referee' ->> 'id' and m.erased_at is not null)))`);
  }

  override async down(): Promise<void> {
    // Nothing to restore: the answers' bodies are gone.
  }
}
