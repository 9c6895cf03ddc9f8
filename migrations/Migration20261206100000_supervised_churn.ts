import { Migration } from '@mikro-orm/migrations';

/**
 * The supervised churn score (issue 24): each buyer's purchase days up to the classifier's two
 * training cuts in the refresh's scratch table, and in churn_model which score churnRisk holds,
 * the backtests of BG/NBD, the naive recency ranking and the classifier, and the classifier.
 */
export class Migration20261206100000_supervised_churn extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "retention_facts" add column "tr_x" int, add column "tr_last_day" int, add column "bt_tr_x" int, add column "bt_tr_last_day" int;`);
    this.addSql(`alter table "churn_model" add column "method" text not null default 'BG_NBD', add column "recency_ks" double precision null,
      add column "recency_gini" double precision null, add column "bgnbd_ks" double precision null, add column "bgnbd_gini" double precision null,
      add column "supervised_ks" double precision null, add column "supervised_gini" double precision null, add column "classifier" jsonb null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "retention_facts" drop column "tr_x", drop column "tr_last_day", drop column "bt_tr_x", drop column "bt_tr_last_day";`);
    this.addSql(`alter table "churn_model" drop column "method", drop column "recency_ks", drop column "recency_gini", drop column "bgnbd_ks",
      drop column "bgnbd_gini", drop column "supervised_ks", drop column "supervised_gini", drop column "classifier";`);
  }

}
