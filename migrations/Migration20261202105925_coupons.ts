import { Migration } from '@mikro-orm/migrations';

export class Migration20261202105925_coupons extends Migration {

  override async up(): Promise<void> {
    // Coupons at the till (contract part store). coupon_key is the code as people type it and as
    // it is looked up: letters and digits only, upper case, I/L read as 1 and O as 0 (Crockford
    // base32; rewards.rules.ts normalizeCouponCode is its twin). PostgreSQL computes it on every
    // insert, whoever writes the row; it takes over the uniqueness of coupon_code, which it implies.
    // Adding a stored generated column rewrites the table once.
    this.addSql(`alter table "redemption" drop constraint "redemption_coupon_code_unique";`);
    this.addSql(`alter table "redemption" add column "coupon_key" text generated always as (translate(upper(regexp_replace(coupon_code, '[^0-9A-Za-z]', '', 'g')), 'ILO', '110')) stored null, add column "expires_at" timestamptz null, add column "used_at" timestamptz null, add column "used_at_store" text null, add column "use_idempotency_key" text null;`);
    this.addSql(`alter table "redemption" add constraint "redemption_coupon_key_unique" unique ("coupon_key");`);
    this.addSql(`alter table "redemption" add constraint "redemption_use_idempotency_key_unique" unique ("use_idempotency_key");`);
    // face_value is money, exact: numeric, never a float.
    this.addSql(`alter table "reward" add column "description" text null, add column "face_value" numeric(15,2) null, add column "coupon_valid_days" int null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "redemption" drop constraint "redemption_coupon_key_unique";`);
    this.addSql(`alter table "redemption" drop constraint "redemption_use_idempotency_key_unique";`);
    this.addSql(`alter table "redemption" drop column "coupon_key", drop column "expires_at", drop column "used_at", drop column "used_at_store", drop column "use_idempotency_key";`);
    this.addSql(`alter table "redemption" add constraint "redemption_coupon_code_unique" unique ("coupon_code");`);
    this.addSql(`alter table "reward" drop column "description", drop column "face_value", drop column "coupon_valid_days";`);
  }

}
