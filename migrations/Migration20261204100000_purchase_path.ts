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
  }

  override async down(): Promise<void> {
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
