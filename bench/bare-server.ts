// The baseline "what the framework layers cost": node:http + pg running the statements the app
// sends for a purchase on its usual path (PointsService.recordPurchase: BEGIN, purchase_facts,
// the one writing statement, COMMIT; captured from test/e2e/statement-counts.test.ts), for the
// same JSON body, with the configuration read once at start. No GraphQL, no ORM, no auth, no
// rules beyond the earn arithmetic; no upgrade (the bench's amounts never reach one).
import { Pool } from 'pg';
import { serveBare } from './bare-http';

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 20 });
let config: Promise<{ version: string; ppu: number; months: number | null; windowMonths: number }> | null = null;

async function recordPurchase(memberId: string, orderId: string, amount: number): Promise<unknown> {
  config ??= pool.query(`select (select version::text from config_version) as version, points_per_unit::float8 as ppu,
      points_expiry_months as months, qualification_window_months as "windowMonths" from program where id = 1`).then((r) => r.rows[0]);
  const settings = await config;
  const c = await pool.connect();
  try {
    await c.query('begin');
    const now = new Date();
    const cents = Math.round(amount * 100);
    const qualifying = Math.floor((cents * settings.ppu) / 100);
    const windowFrom = new Date(now); windowFrom.setUTCMonth(windowFrom.getUTCMonth() - settings.windowMonths);
    const [facts] = (await c.query(`select f_balance as balance, f_replay as replay, f_config::text as config, f_tier as tier
      from purchase_facts($1, $2, $3, $4, $5, $6, $7)`, [memberId, orderId, now, qualifying, settings.version, windowFrom, false])).rows;
    if (!facts || facts.replay || facts.config !== settings.version) throw new Error('not a first purchase with the configuration held');
    const earned = qualifying; // the bench's members are all on the entry tier (multiplier 1), no benefits
    const expires = new Date(now); expires.setUTCMonth(expires.getUTCMonth() + (settings.months ?? 0));
    const balance = Number(facts.balance) + earned;
    const [row] = (await c.query(`with t as (insert into point_transaction (member_id, type, amount, balance_after, occurred_at, expires_at, reason, reference,
        idempotency_key, unrecovered, created_at) values ($1, 'EARN', $2, $3, $4, $5, null, $6, $7, 0, now())
        returning id::text, member_id as "memberId", type, amount, balance_after as "balanceAfter", occurred_at as "occurredAt", expires_at as "expiresAt",
          reason, reference, unrecovered),
      l as (insert into point_lot (member_id, transaction_id, points, remaining, earned_at, activates_at, expires_at, order_id, late)
        select $1, t.id::bigint, $2, $2, $4, $4, $5::timestamptz, $6, coalesce($5::timestamptz <= now(), false) from t returning id),
      a as (update point_account set balance = $3, lifetime_earned = lifetime_earned + $2, updated_at = now() where member_id = $1 returning 1),
      p as (insert into purchase (order_id, member_id, amount_cents, earned_points, qualifying_points, lot_id, transaction_id, occurred_at,
          occurred_at_given, tier_change_id, earned_tier_id, points_per_unit)
        values ($6, $1, $8, $2, $9, (select id from l), (select id::bigint from t), $4, false, null, $10, $11) returning 1)
      select (select row_to_json(t) from t) as transaction, (select id::text from l) as "lotId", null::json as change, null as "outboxId",
        (select count(*) from p) as written`,
    [memberId, earned, balance, now, settings.months == null ? null : expires, orderId, `purchase:${orderId}`, cents, qualifying, facts.tier, settings.ppu])).rows;
    await c.query('commit');
    return { pointsEarned: earned, transaction: { id: row.transaction.id, balanceAfter: row.transaction.balanceAfter } };
  } catch (err) {
    await c.query('rollback').catch(() => {});
    throw err;
  } finally {
    c.release();
  }
}

serveBare({
  field: 'recordPurchase',
  handle: (i) => recordPurchase(i.memberId as string, i.orderId as string, i.amount as number),
});
