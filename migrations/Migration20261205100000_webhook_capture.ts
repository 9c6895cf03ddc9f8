import { Migration } from '@mikro-orm/migrations';

/**
 * Webhook events captured by the database, in the transaction of the change they report, from
 * every writer: the purchase's one statement (purchase_at_once), the set-based expiry, review
 * and notice jobs, the services' ORM and SQL writes, raw SQL (docs/decisions.md, "Webhook
 * events"). One trigger per table and kind of write:
 *
 * - statement-level AFTER triggers with transition tables (REFERENCING NEW TABLE): a job's
 *   batch of 10,000 members writes its events and their deliveries in two set-based inserts;
 * - `member.updated` is row-level, AFTER UPDATE OF the profile columns (a trigger with a
 *   transition table cannot take a column list): the purchase path updates the member's window
 *   counters on every purchase, and fires nothing then.
 *
 * Each trigger starts with the cheap exit: webhook_capture_types (the types it may write that
 * an active endpoint wants; none when the transaction ran `set local loyalty.webhook_events =
 * 'off'`). Without an endpoint that is one look at the (empty) webhook_endpoint table per
 * statement. An event of a type no endpoint wants is not written.
 *
 * `data` carries ids, codes, amounts and instants, never a personal field: the member as
 * {"id", "externalId"}, tiers by code, money as a decimal number of the currency unit with its
 * integer cents beside it, instants in UTC with milliseconds as the API writes them.
 */

/**
 * Rows the events read besides the transition table's are looked up row by row: a lateral
 * subquery kept apart (`offset 0`) or a scalar subquery, each a probe of a key's index. A
 * trigger's statements are planned once per session (they have no parameter), with the
 * transition table's row count of that first call: a join could then keep a plan made for a
 * job's 20,000 rows (a hash join over `member`, say) for every purchase's one row after it.
 */
const lookup = (alias: string, select: string) => `left join lateral (${select} offset 0) ${alias} on true`;

/** The member `row.member_id` as events carry it: its id and externalId (looked up as `m`). */
const MEMBER = (row: string) => `jsonb_build_object('id', ${row}.member_id, 'externalId', m.external_id)`;
const memberOf = (row: string) => lookup('m', `select m.external_id from member m where m.id = ${row}.member_id`);

/** A tier's code by its id. */
const tierCode = (id: string) => `(select code from tier where id = ${id})`;

/** The point_transaction row `cond` names, as `t`. */
export const transactionWhere = (cond: string) => lookup('t', `select t.id, t.amount, t.balance_after, t.reference, t.expires_at, t.type from point_transaction t where ${cond}`);

/** An instant as the API writes it (JavaScript's toISOString: UTC, milliseconds). */
const time = (expr: string) => `webhook_time(${expr})`;

/** Money in cents as a decimal number of the currency unit: 1250 → 12.5, 1000 → 10. */
const money = (cents: string) => `trim_scale(${cents}::numeric / 100)`;

/**
 * The body of a capture trigger: the events of `events` (a select of type, member_id,
 * occurred_at, data, ord) whose type an active endpoint wants, written in `ord` order (their
 * seq), and a PENDING delivery for each active endpoint that wants its type, as webhook_emit
 * writes them. (The endpoints are read in the statement rather than from v_types: a statement
 * with a parameter may be planned again at every call.)
 *
 * No NOTIFY, unlike webhook_emit: a transaction that NOTIFYs holds PostgreSQL's notification
 * queue lock from before its commit until the commit is flushed, so every such commit runs
 * alone. On the purchase path (pgbench, purchase_at_once, 32 clients, two '*' endpoints) that
 * left 14% of the throughput without endpoints; 60% without the NOTIFY (docs/decisions.md,
 * "Webhook events"). The delivery workers find these deliveries by polling the due index.
 */
export function emitRows(events: string): string {
  return `
      with ev as (
        insert into webhook_event (type, member_id, occurred_at, data)
        select e.type, e.member_id, e.occurred_at, e.data from (${events}) e
        where exists (select 1 from webhook_endpoint w where w.active and (e.type = any(w.event_types) or '*' = any(w.event_types)))
        order by e.ord
        returning id, seq, type
      )
      insert into webhook_delivery (endpoint_id, event_id)
      select w.id, ev.id from ev join webhook_endpoint w on w.active and (ev.type = any(w.event_types) or '*' = any(w.event_types))
      order by ev.seq, w.id;`;
}

/** A capture function for `types` (with a `guard`: only when it holds); `body` is emitRows'. */
export function captureFunction(name: string, types: string[], body: string, guard?: string): string {
  return `create or replace function ${name}() returns trigger language plpgsql as $$
    declare
      v_types text[] := webhook_capture_types(array[${types.map((t) => `'${t}'`).join(', ')}]);
    begin
      if cardinality(v_types) = 0${guard ? ` or not (${guard})` : ''} then
        return null;
      end if;${body}
      return null;
    end $$;`;
}

export interface Capture {
  fn: string;
  trigger: string;
  table: string;
  /** The trigger's timing and transition tables. */
  on: string;
  types: string[];
  events: string;
  /**
   * A condition on the transition tables without which the statement has no event (checked
   * before the events' insert: on the purchase path, where the statement's rows rarely have
   * one, the insert's execution cost more than the rest of the trigger).
   */
  guard?: string;
}

function tierChangeData(c: string): string {
  return `jsonb_build_object('member', ${MEMBER(c)}, 'changeId', ${c}.id::text, 'kind', ${c}.kind, 'fromTier', ${tierCode(`${c}.from_tier_id`)},
    'toTier', ${tierCode(`${c}.to_tier_id`)}, 'reason', ${c}.reason, 'qualifyingPoints', ${c}.qualifying_points,
    'occurredAt', ${time(`${c}.occurred_at`)}, 'expiresAt', ${time(`${c}.expires_at`)}, 'supersededAt', ${time(`${c}.superseded_at`)})`;
}

/** The fields of every redemption event (row `r`): the member, the redemption, its reward's code and its coupon. */
const redemptionFields = `'member', ${MEMBER('r')}, 'redemptionId', r.id, 'reward', (select code from reward where id = r.reward_id), 'couponCode', r.coupon_code`;

/**
 * A purchase: purchase.recorded, and points.earned when it earns (the purchase row is its last
 * write: the EARN transaction and lot are there), from one pass over the rows.
 */
const PURCHASE_EVENTS = `
  select x.type, p.member_id, p.occurred_at, x.data, row_number() over (order by p.occurred_at, p.order_id, x.k) as ord
  from new_purchases p ${memberOf('p')}
    ${lookup('l', 'select l.activates_at from point_lot l where l.id = p.lot_id')}
    ${transactionWhere(`t.id = p.transaction_id and t.type = 'EARN'`)}
    cross join lateral (values
      (0, 'purchase.recorded', jsonb_build_object(
        'member', ${MEMBER('p')}, 'orderId', p.order_id, 'amount', ${money('p.amount_cents')}, 'amountCents', p.amount_cents,
        'occurredAt', ${time('p.occurred_at')}, 'pointsEarned', p.earned_points, 'qualifyingPointsEarned', p.qualifying_points,
        'pending', coalesce(l.activates_at > greatest(p.occurred_at, now()), false), 'activatesAt', ${time('l.activates_at')})),
      (1, case when t.id is not null then 'points.earned' end, jsonb_build_object(
        'member', ${MEMBER('p')}, 'points', t.amount, 'qualifyingPoints', p.qualifying_points, 'balanceAfter', t.balance_after,
        'reference', t.reference, 'pending', coalesce(l.activates_at > greatest(p.occurred_at, now()), false),
        'activatesAt', ${time('l.activates_at')}, 'expiresAt', ${time('t.expires_at')}, 'transactionId', t.id::text))
    ) as x(k, type, data)
  where x.type is not null`;

/** The captures as this migration writes them (exported: a later migration rewrites one's events). */
export const CAPTURES: Capture[] = [
  {
    fn: 'webhook_capture_member_registered', trigger: 'member_webhook_registered', table: 'member',
    on: 'after insert on member referencing new table as new_members', types: ['member.registered'],
    events: `select 'member.registered' as type, n.id as member_id, n.joined_at as occurred_at, jsonb_build_object(
        'member', jsonb_build_object('id', n.id, 'externalId', n.external_id), 'tier', ${tierCode('n.tier_id')}, 'joinedAt', ${time('n.joined_at')}) as data,
        n.seq as ord
      from new_members n`,
  },
  {
    fn: 'webhook_capture_purchase', trigger: 'purchase_webhook_recorded', table: 'purchase',
    on: 'after insert on purchase referencing new table as new_purchases', types: ['purchase.recorded', 'points.earned'],
    events: PURCHASE_EVENTS,
  },
  {
    fn: 'webhook_capture_refund', trigger: 'refund_webhook_refunded', table: 'refund',
    on: 'after insert on refund referencing new table as new_refunds', types: ['purchase.refunded'],
    events: `select 'purchase.refunded' as type, r.member_id, r.occurred_at, jsonb_build_object(
        'member', ${MEMBER('r')}, 'refundId', r.refund_id, 'orderId', r.order_id, 'amount', ${money('r.amount_cents')}, 'amountCents', r.amount_cents,
        'occurredAt', ${time('r.occurred_at')}, 'pointsReversed', r.points_reversed, 'qualifyingPointsReversed', r.qualifying_reversed,
        'balanceAfter', t.balance_after, 'transactionId', t.id::text) as data,
        row_number() over (order by r.occurred_at, r.refund_id) as ord
      from new_refunds r ${memberOf('r')} ${transactionWhere('t.id = r.transaction_id')}`,
  },
  {
    // An activity's points (its row is its last write; a purchase's are the purchase trigger's):
    // spendable at once (points.service.ts earnActivity), never pending.
    fn: 'webhook_capture_activity', trigger: 'activity_webhook_earned', table: 'activity',
    on: 'after insert on activity referencing new table as new_activities', types: ['points.earned'],
    events: `select 'points.earned' as type, a.member_id, a.occurred_at, jsonb_build_object(
        'member', ${MEMBER('a')}, 'points', t.amount, 'qualifyingPoints', a.qualifying_points, 'balanceAfter', t.balance_after,
        'reference', t.reference, 'pending', false, 'activatesAt', ${time('a.occurred_at')}, 'expiresAt', ${time('t.expires_at')},
        'transactionId', t.id::text) as data, t.id as ord
      from new_activities a ${memberOf('a')} ${transactionWhere('t.id = a.transaction_id')}
      where t.type = 'EARN'`,
  },
  {
    // Adjustments (by an admin, a birthday gift, a purchase earning again at the tier its
    // instant now has) and expiries. EARN is reported with its purchase or activity; a refund's
    // reversal, a redemption's debit and its return with their purchase.refunded,
    // redemption.issued and redemption.cancelled.
    fn: 'webhook_capture_points', trigger: 'point_transaction_webhook', table: 'point_transaction',
    on: 'after insert on point_transaction referencing new table as new_transactions', types: ['points.adjusted', 'points.expired'],
    events: `select case x.type when 'ADJUST' then 'points.adjusted' else 'points.expired' end as type, x.member_id, x.occurred_at,
        case x.type
          when 'ADJUST' then jsonb_build_object('member', ${MEMBER('x')}, 'points', x.amount, 'balanceAfter', x.balance_after,
            'reason', x.reason, 'reference', x.reference, 'expiresAt', ${time('x.expires_at')}, 'transactionId', x.id::text)
          else jsonb_build_object('member', ${MEMBER('x')}, 'points', -x.amount, 'balanceAfter', x.balance_after,
            'transactionId', x.id::text)
        end as data, x.id as ord
      from new_transactions x ${memberOf('x')}
      where x.type in ('ADJUST', 'EXPIRE')`,
    // Every purchase's EARN comes here too.
    guard: `exists (select 1 from new_transactions where type in ('ADJUST', 'EXPIRE'))`,
  },
  {
    fn: 'webhook_capture_tier_change', trigger: 'tier_change_webhook_changed', table: 'tier_change',
    on: 'after insert on tier_change referencing new table as new_changes', types: ['tier.changed'],
    events: `select 'tier.changed' as type, c.member_id, c.occurred_at, ${tierChangeData('c')} as data, c.id as ord
      from new_changes c ${memberOf('c')}`,
  },
  {
    // A change a backdated fact made wrong: sent again with supersededAt, as tierChangeFeed
    // serves it again (its replacement follows as a tier.changed of its own).
    fn: 'webhook_capture_tier_superseded', trigger: 'tier_change_webhook_superseded', table: 'tier_change',
    on: 'after update on tier_change referencing old table as old_changes new table as new_changes', types: ['tier.changed'],
    events: `select 'tier.changed' as type, c.member_id, c.superseded_at as occurred_at, ${tierChangeData('c')} as data, c.id as ord
      from new_changes c ${memberOf('c')}
      where c.superseded_at is not null and (select o.superseded_at from old_changes o where o.id = c.id) is null`,
    guard: 'exists (select 1 from new_changes where superseded_at is not null)',
  },
  {
    fn: 'webhook_capture_tier_notice', trigger: 'tier_notice_webhook_at_risk', table: 'tier_notice',
    on: 'after insert on tier_notice referencing new table as new_notices', types: ['tier.at_risk'],
    events: `select 'tier.at_risk' as type, n.member_id, n.noticed_at as occurred_at, jsonb_build_object(
        'member', ${MEMBER('n')}, 'tier', ${tierCode('n.tier_id')}, 'tierExpiresAt', ${time('n.tier_expires_at')}, 'pointsToRetain', n.points_to_retain,
        'noticedAt', ${time('n.noticed_at')}) as data, n.id as ord
      from new_notices n ${memberOf('n')}`,
  },
  {
    fn: 'webhook_capture_redemption_issued', trigger: 'redemption_webhook_issued', table: 'redemption',
    on: 'after insert on redemption referencing new table as new_redemptions', types: ['redemption.issued'],
    events: `select 'redemption.issued' as type, r.member_id, r.created_at as occurred_at, jsonb_build_object(
        ${redemptionFields}, 'points', r.points, 'balanceAfter', t.balance_after, 'expiresAt', ${time('r.expires_at')},
        'transactionId', t.id::text) as data, r.seq as ord
      from new_redemptions r ${memberOf('r')} ${transactionWhere('t.id = r.transaction_id')}`,
  },
  {
    fn: 'webhook_capture_redemption_status', trigger: 'redemption_webhook_status', table: 'redemption',
    on: 'after update on redemption referencing old table as old_redemptions new table as new_redemptions', types: ['redemption.used', 'redemption.cancelled'],
    events: `select 'redemption.used' as type, r.member_id, r.used_at as occurred_at, jsonb_build_object(
          ${redemptionFields}, 'usedAt', ${time('r.used_at')}, 'storeId', r.used_at_store) as data, r.seq as ord
        from new_redemptions r ${memberOf('r')}
        where r.status = 'USED' and (select o.status from old_redemptions o where o.id = r.id) is distinct from 'USED'
      union all
      select 'redemption.cancelled', r.member_id, r.cancelled_at, jsonb_build_object(
          ${redemptionFields}, 'reason', r.cancel_reason, 'cancelledAt', ${time('r.cancelled_at')},
          'pointsReturned', coalesce(t.amount, 0), 'balanceAfter', t.balance_after, 'transactionId', t.id::text), r.seq
        from new_redemptions r ${memberOf('r')} ${transactionWhere(`t.idempotency_key = 'redeem-cancel:' || r.id::text`)}
        where r.status = 'CANCELLED' and (select o.status from old_redemptions o where o.id = r.id) is distinct from 'CANCELLED'`,
  },
];

/** The profile columns whose change member.updated reports (by the API's names). */
const PROFILE_COLUMNS: [string, string][] = [
  ['external_id', 'externalId'], ['display_name', 'displayName'], ['email', 'email'], ['phone', 'phone'],
  ['birthday', 'birthday'], ['gender', 'gender'], ['region', 'region'], ['channel', 'channel'],
];

export class Migration20261205100000_webhook_capture extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create or replace function webhook_time(p_at timestamptz) returns text language sql stable parallel safe as $$
        select to_char(p_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
      $$;`);
    // Of `p_types`, those an active endpoint wants, in the transactions whose row events are on
    // (webhook_row_events): empty, and the trigger returns at once, in every other case.
    // PL/pgSQL, whose plans a session keeps: a SQL function with a subquery is not inlined, and
    // PostgreSQL 17 plans its statement at every call (with webhook_wanted's, that doubled
    // what the triggers cost a purchase without an endpoint).
    this.addSql(`create or replace function webhook_capture_types(p_types text[]) returns text[] language plpgsql stable as $$
      begin
        if not webhook_row_events() then
          return '{}';
        end if;
        return coalesce((select array_agg(t) from unnest(p_types) t
          where exists (select 1 from webhook_endpoint e where e.active and (t = any(e.event_types) or '*' = any(e.event_types)))), '{}');
      end $$;`);
    for (const c of CAPTURES) {
      this.addSql(captureFunction(c.fn, c.types, emitRows(c.events), c.guard));
      this.addSql(`create trigger "${c.trigger}" ${c.on} for each statement execute function ${c.fn}();`);
    }
    const changed = PROFILE_COLUMNS.map(([col, name]) => `case when old.${col} is distinct from new.${col} then '${name}' end`).join(', ');
    // Row-level: NEW and OLD are the member's row; the events' select reads them as values.
    this.addSql(captureFunction('webhook_capture_member_updated', ['member.updated'], emitRows(
      `select 'member.updated' as type, new.id as member_id, coalesce(new.updated_at, now()) as occurred_at, jsonb_build_object(
          'member', jsonb_build_object('id', new.id, 'externalId', new.external_id),
          'fields', to_jsonb(array_remove(array[${changed}], null))) as data, 1 as ord`,
    )));
    const cols = PROFILE_COLUMNS.map(([col]) => col);
    this.addSql(`create trigger "member_webhook_updated" after update of ${cols.join(', ')} on member for each row
      when (new.erased_at is null and (${cols.map((c) => `old.${c}`).join(', ')}) is distinct from (${cols.map((c) => `new.${c}`).join(', ')}))
      execute function webhook_capture_member_updated();`);
  }

  override async down(): Promise<void> {
    this.addSql('drop trigger if exists "member_webhook_updated" on member;');
    this.addSql('drop function if exists webhook_capture_member_updated();');
    for (const c of [...CAPTURES].reverse()) {
      this.addSql(`drop trigger if exists "${c.trigger}" on ${c.table};`);
      this.addSql(`drop function if exists ${c.fn}();`);
    }
    this.addSql('drop function if exists webhook_capture_types(text[]);');
    this.addSql('drop function if exists webhook_time(timestamptz);');
  }
}
