import { Migration } from '@mikro-orm/migrations';

/**
 * Member erasure (eraseMember, modules/data-rights):
 *
 * - A purchase's first statement no longer finds an erased member: `purchase_facts` and
 *   `purchase_at_once` (migration purchase_path) lock the account and the member as before, with
 *   `m.erased_at is null` added to their condition, so that a purchase for an erased member is
 *   NOT_FOUND as every other write is (db/locks.ts lockAccount has the same condition). A
 *   purchase that waited for the erasure's lock re-reads the member row once it has it
 *   (READ COMMITTED re-checks the condition on the newest row) and finds nobody. The bodies are
 *   otherwise those of purchase_path, unchanged.
 * - `jsonb_scrub(j, vals)`: `j` with every string value equal to one of `vals`, at any depth,
 *   replaced by null, and the other strings passed through text_scrub (object keys are kept):
 *   the erasure scrubs the audit log's before/after and the member's stored webhook payloads.
 * - `jsonb_null_keys(j, keys)`: `j` with its top-level keys in `keys` set to null (an audit
 *   entry's before/after of a member's profile fields, whatever values they held then).
 * - `text_scrub(t, vals)`: `t` with each of `vals` (3 characters or more) replaced by '[erased]':
 *   free-text reasons (an adjustment's, an override's) that quoted a name, a phone or an email.
 */
/** purchase_facts as this migration defines it (a later migration edits it: replan_debits). */
export const PURCHASE_FACTS = `create or replace function purchase_facts(
        p_member uuid, p_order text, p_at timestamptz, p_qualifying int, p_config bigint, p_window_from timestamptz, p_tags boolean)
      returns table (f_balance int, f_lifetime int, f_expired_through timestamptz, f_replay boolean, f_config bigint,
        f_tier uuid, f_stale boolean, f_debt boolean, f_tags text[], f_window int, f_reviewed_through timestamptz)
      language plpgsql volatile as $$
      begin
        select a.balance, a.lifetime_earned, a.expired_through into f_balance, f_lifetime, f_expired_through
          from point_account a join member m on m.id = a.member_id where a.member_id = p_member and m.erased_at is null
          for update of a for no key update of m;
        if not found then return; end if;
        f_replay := exists (select 1 from purchase p where p.order_id = p_order);
        select v.version into f_config from config_version v where v.id = 1;
        if f_replay or f_config <> p_config then return next; return; end if;
        if p_qualifying <> 0 then perform add_qualifying(p_member, p_at, p_qualifying, 'purchase:' || p_order, null); end if;
        select h.tier_id, h.stale into f_tier, f_stale from member_tier_held(p_member, p_at) h;
        f_debt := f_balance < 0 or exists (select 1 from point_lot l where l.member_id = p_member and l.remaining < 0);
        if p_tags then
          select coalesce(array_agg(tg.code order by tg.code), '{}') into f_tags from member_tag mt join tag tg on tg.id = mt.tag_id where mt.member_id = p_member;
        end if;
        f_window := qualifying_between(p_member, p_window_from, p_at);
        select tier_reviewed_through into f_reviewed_through from program where id = 1;
        return next;
      end $$;`;

/** purchase_at_once as this migration defines it (a later migration edits it: replan_debits). */
export const PURCHASE_AT_ONCE = `create or replace function purchase_at_once(
        p_member uuid, p_order text, p_at timestamptz, p_at_given boolean, p_amount_cents bigint, p_qualifying int, p_ppu numeric,
        p_config bigint, p_window_from timestamptz, p_tiers uuid[], p_earned int[], p_activates timestamptz, p_expires timestamptz,
        p_step_from uuid[], p_step_at int[], p_step_to uuid[], p_up_expires timestamptz, p_up_reason text, p_window_months int, p_topic text)
      returns table (f_status text, f_transaction json, f_lot text, f_change jsonb, f_outbox text)
      language plpgsql volatile as $$
      declare
        v_balance int;
        v_lifetime int;
        v_expired timestamptz;
        v_tier uuid;
        v_stale boolean;
        v_at int;
        v_earned int;
        v_q int;
        v_to uuid;
      begin
        select a.balance, a.lifetime_earned, a.expired_through into v_balance, v_lifetime, v_expired
          from point_account a join member m on m.id = a.member_id where a.member_id = p_member and m.erased_at is null
          for update of a for no key update of m;
        if not found then f_status := 'no-member'; return next; return; end if;
        if exists (select 1 from purchase p where p.order_id = p_order) then f_status := 'replay'; return next; return; end if;
        if (select v.version from config_version v where v.id = 1) <> p_config then f_status := 'config'; return next; return; end if;
        -- The tier held before the entry is written: its staleness does not depend on it (the
        -- entry moves last_qualifying_at to p_at at most, which is not after p_at).
        select h.tier_id, h.stale into v_tier, v_stale from member_tier_held(p_member, p_at) h;
        v_at := array_position(p_tiers, v_tier);
        if v_stale or v_at is null or v_balance < 0 or exists (select 1 from point_lot l where l.member_id = p_member and l.remaining < 0) then
          f_status := 'stepwise'; return next; return;
        end if;
        v_earned := p_earned[v_at];
        if v_earned > 0 and p_expires is not null and v_expired is not null and p_expires <= v_expired then f_status := 'stepwise'; return next; return; end if;
        if v_earned > 0 and (v_balance::bigint + v_earned > 2147483647 or v_lifetime::bigint + v_earned > 2147483647) then f_status := 'range'; return next; return; end if;
        if p_qualifying > 0 then
          -- the window sum once the entry is in: it is dated p_at and counts from p_at
          v_q := greatest(0, qualifying_between(p_member, p_window_from, p_at) + p_qualifying);
          select s.t into v_to from unnest(p_step_from, p_step_at, p_step_to) as s(f, q, t) where s.f = v_tier and s.q <= v_q order by s.q desc limit 1;
          if v_to is not null and p_up_expires <= (select tier_reviewed_through from program where id = 1) then f_status := 'stepwise'; return next; return; end if;
        end if;
        if p_qualifying <> 0 then perform add_qualifying(p_member, p_at, p_qualifying, 'purchase:' || p_order, null); end if;
        select w.f_transaction, w.f_lot, w.f_change, w.f_outbox into f_transaction, f_lot, f_change, f_outbox
          from purchase_write(p_member, p_order, p_amount_cents, v_earned, p_qualifying, p_at, p_at_given, v_tier, p_ppu, v_balance + v_earned,
            p_activates, p_expires, v_to, v_tier, p_up_reason, v_q, p_up_expires, p_window_months, p_topic) w;
        f_status := 'done';
        return next;
      end $$;`;

/** The scrub as this migration wrote it (migration scrub_by_shape replaced it; its down puts it back). */
export const JSONB_SCRUB = `create or replace function jsonb_scrub(j jsonb, vals text[]) returns jsonb language plpgsql immutable as $$
      begin
        return case jsonb_typeof(j)
          when 'object' then (select coalesce(jsonb_object_agg(e.key, jsonb_scrub(e.value, vals)), '{}'::jsonb) from jsonb_each(j) e)
          when 'array' then (select coalesce(jsonb_agg(jsonb_scrub(a.value, vals) order by a.n), '[]'::jsonb) from jsonb_array_elements(j) with ordinality a(value, n))
          when 'string' then case when (j #>> '{}') = any(vals) then 'null'::jsonb else to_jsonb(text_scrub(j #>> '{}', vals)) end
          else j end;
      end $$;`;

export const TEXT_SCRUB = `create or replace function text_scrub(t text, vals text[]) returns text language plpgsql immutable as $$
      declare
        v text;
      begin
        if t is null then return null; end if;
        foreach v in array vals loop
          if length(v) >= 3 then t := replace(t, v, '[erased]'); end if;
        end loop;
        return t;
      end $$;`;

export class Migration20261205120000_member_erasure extends Migration {
  override async up(): Promise<void> {
    this.addSql(PURCHASE_FACTS);

    this.addSql(PURCHASE_AT_ONCE);

    this.addSql(JSONB_SCRUB);
    this.addSql(`create or replace function jsonb_null_keys(j jsonb, keys text[]) returns jsonb language sql immutable as $$
      select case when jsonb_typeof(j) = 'object' then
        (select jsonb_object_agg(e.key, case when e.key = any(keys) then 'null'::jsonb else e.value end) from jsonb_each(j) e) else j end
    $$;`);
    this.addSql(TEXT_SCRUB);
  }

  override async down(): Promise<void> {
    this.addSql('drop function if exists text_scrub(text, text[]);');
    this.addSql('drop function if exists jsonb_null_keys(jsonb, text[]);');
    this.addSql('drop function if exists jsonb_scrub(jsonb, text[]);');
    // purchase_facts and purchase_at_once stay as they are: migration purchase_path's down drops them.
  }
}
