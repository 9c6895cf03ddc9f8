import { Migration } from '@mikro-orm/migrations';
import { rewriteFunctions } from './Migration20261228090000_webhook_fanout';

/**
 * A redemption records whether it took a unit of its reward's stock (`took_stock`), and a
 * cancellation gives a unit back only then. Before, a cancellation gave one back whenever the
 * reward had a stock at the cancellation: a coupon issued while the stock was unlimited (null,
 * nothing taken) and cancelled after the admin set a stock of 10 raised it to 11, and the
 * reward issued more than the stock the admin set.
 *
 * A member's redemption takes a unit when its reward has a stock (or rolls back, OUT_OF_STOCK);
 * a campaign's coupon when `v_stocked` (campaign_effects: the unit taken before the coupon is
 * written). Rows written before this migration keep null: whether they took one is not known,
 * and their cancellation gives a unit back when the reward has a stock, as before.
 */
const BEFORE = String.raw`insert into redemption \(id, member_id, reward_id, points, coupon_code, status, idempotency_key, transaction_id, created_at, expires_at\)(\s+)values \(gen_random_uuid\(\), p_member, v_reward, `;
const AFTER = String.raw`insert into redemption (took_stock, id, member_id, reward_id, points, coupon_code, status, idempotency_key, transaction_id, created_at, expires_at)\1values (coalesce(v_stocked, false), gen_random_uuid(), p_member, v_reward, `;
const AFTER_PATTERN = String.raw`insert into redemption \(took_stock, id, member_id, reward_id, points, coupon_code, status, idempotency_key, transaction_id, created_at, expires_at\)(\s+)values \(coalesce\(v_stocked, false\), gen_random_uuid\(\), p_member, v_reward, `;
const BEFORE_TEXT = String.raw`insert into redemption (id, member_id, reward_id, points, coupon_code, status, idempotency_key, transaction_id, created_at, expires_at)\1values (gen_random_uuid(), p_member, v_reward, `;

export class Migration20270101090000_redemption_took_stock extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table "redemption" add column "took_stock" boolean null;');
    this.addSql(rewriteFunctions(BEFORE, AFTER));
    this.addSql(`do $$ begin
      if exists (select 1 from pg_proc p join pg_namespace n on n.oid = p.pronamespace
          where n.nspname = current_schema() and p.prosrc ~* 'insert into redemption' and p.prosrc !~ 'took_stock') then
        raise exception 'a function still writes redemptions without took_stock';
      end if;
      if exists (select 1 from pg_proc p join pg_namespace n on n.oid = p.pronamespace
          where n.nspname = current_schema() and p.prosrc ~ 'took_stock' and p.prosrc !~ 'v_stocked boolean') then
        raise exception 'a function writes took_stock from a v_stocked it does not declare';
      end if;
    end $$;`);
  }

  override async down(): Promise<void> {
    this.addSql(rewriteFunctions(AFTER_PATTERN, BEFORE_TEXT));
    this.addSql('alter table "redemption" drop column if exists "took_stock";');
  }
}
