import { Migration } from '@mikro-orm/migrations';

/**
 * The purchase's path in four round trips (docs/decisions.md, "The purchase path"):
 *
 * - `config_version`: one row whose version moves with every transaction that changes the
 *   configuration a purchase decides with (program, tier, benefit, benefit_version), whoever
 *   writes it. An instance keeps that configuration in memory with its version; a purchase
 *   carries the version to the database in its first statement and decides again if it moved.
 * - The SQL a purchase shares with the other writes, as functions (one home each):
 *   `add_qualifying` (an entry and the member's window counters), `member_tier_held` (the tier
 *   a member holds at an instant and whether its recorded history may be out of date there),
 *   `qualifying_between` (the window sum an upgrade check counts), `set_member_tier` (a tier and
 *   the window counters counted anew for its expiry).
 * - `purchase_facts`: the purchase's first statement. It locks the account and the member (the
 *   lock order of db/locks.ts), says whether the order is already recorded and which
 *   configuration version holds, writes the qualifying entry, and returns what the decision
 *   needs. PL/pgSQL so that every read after the lock sees what the transactions it waited for
 *   committed (each statement of a volatile function takes a new snapshot; one SQL statement
 *   would read with the snapshot it took before it waited).
 */
export class Migration20261204100000_purchase_path extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "config_version" ("id" int not null default 1, "version" bigint not null,
      constraint "config_version_pkey" primary key ("id"), constraint "config_version_single_row" check ("id" = 1));`);
    this.addSql(`insert into "config_version" ("id", "version") values (1, 1);`);
    this.addSql(`create or replace function bump_config_version() returns trigger language plpgsql as $$
      begin
        update config_version set version = version + 1 where id = 1;
        return null;
      end $$;`);
    for (const table of ['tier', 'benefit', 'benefit_version']) {
      this.addSql(`create trigger "${table}_config_version" after insert or update or delete or truncate on "${table}"
        for each statement execute function bump_config_version();`);
    }
    // The programme row also holds what jobs move (the latest review's asOf, the updated_at of
    // any update): those do not change how a purchase decides.
    this.addSql(`create or replace function bump_config_version_on_program() returns trigger language plpgsql as $$
      begin
        if tg_op <> 'UPDATE' or (to_jsonb(old) - 'tier_reviewed_through' - 'updated_at') is distinct from (to_jsonb(new) - 'tier_reviewed_through' - 'updated_at') then
          update config_version set version = version + 1 where id = 1;
        end if;
        return null;
      end $$;`);
    this.addSql(`create trigger "program_config_version" after insert or update or delete on "program"
      for each row execute function bump_config_version_on_program();`);

    // Adds qualifying points (negative for a refund) and moves the member's window counters with
    // them: in the window that ends at the member's tier expiry (if they count by then), or
    // after that expiry. counts_from (a refund's instant; default occurred_at) is when they
    // start to count. last_qualifying_at is the latest instant any entry counts from. The
    // caller holds the member row.
    this.addSql(`create or replace function add_qualifying(p_member uuid, p_occ timestamptz, p_pts int, p_source text, p_counts_from timestamptz)
      returns void language plpgsql volatile as $$
      begin
        with entry as (insert into qualifying_entry (member_id, occurred_at, points, source, counts_from) values (p_member, p_occ, p_pts, p_source, p_counts_from))
        update member m set
          window_points = m.window_points + case when p_occ <= m.tier_expires_at and coalesce(p_counts_from, p_occ) <= m.tier_expires_at
            and p_occ > ((m.tier_expires_at) at time zone 'UTC' - make_interval(months => m.window_points_months)) at time zone 'UTC' then p_pts else 0 end,
          points_after_expiry = m.points_after_expiry + case when p_occ > m.tier_expires_at then p_pts else 0 end,
          last_qualifying_at = greatest(m.last_qualifying_at, coalesce(p_counts_from, p_occ))
        where m.id = p_member;
      end $$;`);

    // The tier the member row holds, its multiplier, and whether its history may be out of date
    // at p_at (stale): its tier expired by p_at or by the latest review run's asOf, it has
    // qualifying points or a purchase dated after p_at, or a current change dated at or after
    // p_at (tiers.repository.ts heldTier says why).
    this.addSql(`create or replace function member_tier_held(p_member uuid, p_at timestamptz)
      returns table (tier_id uuid, multiplier float8, stale boolean) language sql stable as $$
        select m.tier_id, t.points_multiplier::float8,
          coalesce(m.tier_expires_at <= greatest(p_at, (select tier_reviewed_through from program where id = 1)), false)
            or coalesce(m.last_qualifying_at > p_at, false)
            or exists (select 1 from purchase p where p.member_id = m.id and p.occurred_at > p_at)
            or exists (select 1 from tier_change c where c.member_id = m.id and c.occurred_at >= p_at and c.superseded_at is null)
        from member m join tier t on t.id = m.tier_id where m.id = p_member
      $$;`);

    // (PL/pgSQL where a function is called on its own: it keeps its plans for the session; the
    // SQL function above is inlined into the statement that calls it.)
    // The member's qualifying points in (p_from, p_to] that count by p_to.
    this.addSql(`create or replace function qualifying_between(p_member uuid, p_from timestamptz, p_to timestamptz)
      returns int language plpgsql stable as $$
      begin
        return (select coalesce(sum(points), 0)::int from qualifying_entry
          where member_id = p_member and occurred_at > p_from and occurred_at <= p_to and coalesce(counts_from, occurred_at) <= p_to);
      end $$;`);

    // Sets the member's tier (since, until p_expires) and counts its window counters anew for
    // that expiry: the window of p_window_months before it, and what comes after it.
    this.addSql(`create or replace function set_member_tier(p_member uuid, p_tier uuid, p_since timestamptz, p_expires timestamptz, p_window_months int)
      returns void language plpgsql volatile as $$
      begin
        update member m set tier_id = p_tier, tier_since = p_since, tier_expires_at = p_expires, updated_at = now(),
          window_points = c.w, points_after_expiry = c.a, window_points_months = case when p_expires is null then null else p_window_months end
        from (
          select coalesce(sum(q.points) filter (where q.occurred_at <= p_expires and coalesce(q.counts_from, q.occurred_at) <= p_expires), 0)::int as w,
            coalesce(sum(q.points) filter (where q.occurred_at > p_expires), 0)::int as a
          from qualifying_entry q
          where q.member_id = p_member and q.occurred_at > ((p_expires) at time zone 'UTC' - make_interval(months => p_window_months)) at time zone 'UTC') c
        where m.id = p_member;
      end $$;`);

    // A purchase's first statement (points.repository.ts purchaseFacts). No row: no such member.
    // replay: the order is recorded already; config_version <> p_config: the caller decides with
    // another configuration. Either way nothing is written. Else the qualifying entry is
    // written and the rest is read after it.
    this.addSql(`create or replace function purchase_facts(
        p_member uuid, p_order text, p_at timestamptz, p_qualifying int, p_config bigint, p_window_from timestamptz, p_tags boolean)
      returns table (f_balance int, f_lifetime int, f_expired_through timestamptz, f_replay boolean, f_config bigint,
        f_tier uuid, f_stale boolean, f_debt boolean, f_tags text[], f_window int, f_reviewed_through timestamptz)
      language plpgsql volatile as $$
      begin
        select a.balance, a.lifetime_earned, a.expired_through into f_balance, f_lifetime, f_expired_through
          from point_account a join member m on m.id = a.member_id where a.member_id = p_member
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
      end $$;`);
    // Everything a purchase writes once decided: the EARN transaction, its lot and the account
    // (when it earns; no debt to repay), the upgrade (the member's tier, the tier_change row and,
    // with a topic, its outbox row carrying the change), and the purchase row. Returns the
    // transaction and the change as the API shows them (points.repository.ts TXN_COLUMNS,
    // tiers.repository.ts CHANGE_COLUMNS). Called by purchase_at_once, and on its own by a
    // purchase decided in TypeScript (points.repository.ts writePurchase).
    this.addSql(`create or replace function purchase_write(
        p_member uuid, p_order text, p_amount_cents bigint, p_earned int, p_qualifying int, p_at timestamptz, p_at_given boolean,
        p_earned_tier uuid, p_ppu numeric, p_balance_after int, p_activates timestamptz, p_expires timestamptz,
        p_up_to uuid, p_up_from uuid, p_up_reason text, p_up_q int, p_up_expires timestamptz, p_window_months int, p_topic text)
      returns table (f_transaction json, f_lot text, f_change jsonb, f_outbox text)
      language plpgsql volatile as $$
      declare
        v_txn bigint;
        v_lot bigint;
        v_change bigint;
      begin
        if p_earned > 0 then
          insert into point_transaction (member_id, type, amount, balance_after, occurred_at, expires_at, reason, reference, idempotency_key, unrecovered, created_at)
            values (p_member, 'EARN', p_earned, p_balance_after, p_at, p_expires, null, p_order, 'purchase:' || p_order, 0, now())
            returning id, json_build_object('id', id::text, 'memberId', member_id, 'type', type, 'amount', amount, 'balanceAfter', balance_after,
              'occurredAt', occurred_at, 'expiresAt', expires_at, 'reason', reason, 'reference', reference, 'unrecovered', unrecovered)
            into v_txn, f_transaction;
          -- late: already expired as it is written, by the database's clock (the expiry run's floor is measured by it)
          insert into point_lot (member_id, transaction_id, points, remaining, earned_at, activates_at, expires_at, order_id, late)
            values (p_member, v_txn, p_earned, p_earned, p_at, p_activates, p_expires, p_order, coalesce(p_expires <= now(), false))
            returning id into v_lot;
          update point_account set balance = p_balance_after, lifetime_earned = lifetime_earned + p_earned, updated_at = now() where member_id = p_member;
          f_lot := v_lot::text;
        end if;
        if p_up_to is not null then
          perform set_member_tier(p_member, p_up_to, p_at, p_up_expires, p_window_months);
          insert into tier_change (member_id, kind, from_tier_id, to_tier_id, reason, qualifying_points, occurred_at, expires_at, created_at)
            values (p_member, 'UPGRADE', p_up_from, p_up_to, p_up_reason, p_up_q, p_at, p_up_expires, now())
            returning id, jsonb_build_object('id', id::text, 'memberId', member_id, 'kind', kind, 'fromTierId', from_tier_id, 'toTierId', to_tier_id,
              'reason', reason, 'qualifyingPoints', qualifying_points, 'occurredAt', occurred_at, 'supersededAt', superseded_at)
            into v_change, f_change;
          if p_topic is not null then
            insert into outbox (topic, member_id, payload, created_at)
              values (p_topic, p_member, jsonb_build_object('ids', jsonb_build_array(v_change::text), 'changes', jsonb_build_array(f_change)), now())
              returning id::text into f_outbox;
          end if;
        end if;
        insert into purchase (order_id, member_id, amount_cents, earned_points, qualifying_points, lot_id, transaction_id, occurred_at, occurred_at_given,
            tier_change_id, earned_tier_id, points_per_unit)
          values (p_order, p_member, p_amount_cents, p_earned, p_qualifying, v_lot, v_txn, p_at, p_at_given, v_change, p_earned_tier, p_ppu);
        return next;
      end $$;`);

    // A purchase in one statement, its own transaction (points.service.ts recordPurchase): the
    // decisions come made from TypeScript, per case. p_tiers and p_earned: the points the
    // purchase earns on each tier the member may hold (earnedPoints at that tier's multiplier and
    // its benefits'); p_step_*: the upgrade a window sum brings from each tier (tiers.rules.ts
    // upgradeSteps: on p_step_from with at least p_step_at points, to p_step_to; the largest step
    // reached counts). The function finds the case (the tier held, the window sum) and writes
    // through purchase_write; or writes nothing and says why: 'no-member', 'replay' (the order is
    // recorded), 'config' (config_version is not p_config), 'range' (the balance or the lifetime
    // points would leave int), 'stepwise' (what only the statement-by-statement path does: a
    // history to rebuild, a debt, a lot under the expiry watermark, an upgrade a review run has
    // passed, a tier not in p_tiers). Every check comes before the first write.
    this.addSql(`create or replace function purchase_at_once(
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
          from point_account a join member m on m.id = a.member_id where a.member_id = p_member
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
      end $$;`);
  }

  override async down(): Promise<void> {
    this.addSql('drop function if exists purchase_at_once(uuid, text, timestamptz, boolean, bigint, int, numeric, bigint, timestamptz, uuid[], int[], timestamptz, timestamptz, uuid[], int[], uuid[], timestamptz, text, int, text);');
    this.addSql('drop function if exists purchase_write(uuid, text, bigint, int, int, timestamptz, boolean, uuid, numeric, int, timestamptz, timestamptz, uuid, uuid, text, int, timestamptz, int, text);');
    this.addSql('drop function if exists purchase_facts(uuid, text, timestamptz, int, bigint, timestamptz, boolean);');
    this.addSql('drop function if exists set_member_tier(uuid, uuid, timestamptz, timestamptz, int);');
    this.addSql('drop function if exists qualifying_between(uuid, timestamptz, timestamptz);');
    this.addSql('drop function if exists member_tier_held(uuid, timestamptz);');
    this.addSql('drop function if exists add_qualifying(uuid, timestamptz, int, text, timestamptz);');
    this.addSql('drop trigger if exists "program_config_version" on "program";');
    for (const table of ['tier', 'benefit', 'benefit_version']) this.addSql(`drop trigger if exists "${table}_config_version" on "${table}";`);
    this.addSql('drop function if exists bump_config_version_on_program();');
    this.addSql('drop function if exists bump_config_version();');
    this.addSql('drop table if exists "config_version";');
  }
}
