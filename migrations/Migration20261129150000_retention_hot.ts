import { Migration } from '@mikro-orm/migrations';

export class Migration20261129150000_retention_hot extends Migration {

  override async up(): Promise<void> {
    // A refresh rewrites every member's row twice (facts and stage, then churn scores). With
    // room left on each page and no index on a column that changed (stage and segment rarely
    // do), both are HOT updates: no index entries, no page splits. Applies to pages written
    // from now on; VACUUM FULL member_retention rewrites existing ones.
    this.addSql(`alter table "member_retention" set (fillfactor = 50);`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "member_retention" reset (fillfactor);`);
  }

}
