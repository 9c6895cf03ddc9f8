import { Migration } from '@mikro-orm/migrations';

/**
 * The externalIds of members erased on request, as SHA-256 digests only: a members import
 * creates no member for one of them. Re-run after an erasure, the go-live file brought the
 * person back (name, e-mail, phone) with the tier and the opening balance the erasure had
 * forfeited: "importing the same file again changes nothing" did not hold, and the old
 * programme's points were handed out twice. A digest says that a key was erased and nothing
 * else; registerMember still takes the key (a person who joins again, by their own act).
 * Filled from the `member.erased` events kept, which carry the former externalId: an erasure
 * made before this migration while no webhook endpoint wanted that event left no trace of the
 * key anywhere (as an erasure must), and is not remembered.
 */
export class Migration20270101140000_import_erased_keys extends Migration {
  override async up(): Promise<void> {
    this.addSql('create table "import_erased_key" ("digest" bytea not null, "erased_at" timestamptz not null, constraint "import_erased_key_pkey" primary key ("digest"));');
    this.addSql(`insert into "import_erased_key" (digest, erased_at)
      select sha256(convert_to(e.data->'member'->>'externalId', 'UTF8')), min(e.occurred_at) from webhook_event e
      where e.type = 'member.erased' and e.data->'member'->>'externalId' is not null
      group by 1 on conflict do nothing;`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists "import_erased_key";');
  }
}
