// The baseline "what the framework layers cost": node:http + pg running the same SQL
// statements, in the same order, as PointsService.recordPurchase (captured from the app's
// query log), for the same JSON body. No GraphQL, no ORM, no auth.
import { Pool } from 'pg';
import { serveBare } from './bare-http';
import { minusMonths } from '../src/db/months';

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 20 });

async function recordPurchase(memberId: string, orderId: string, amount: number): Promise<unknown> {
  const seen = await pool.query('select member_id, amount_cents, earned_points, transaction_id from purchase where order_id = $1', [orderId]);
  if (seen.rows.length) return seen.rows[0];
  const c = await pool.connect();
  try {
    await c.query('begin');
    const acc = await c.query(`select a.balance, a.lifetime_earned from point_account a join member m on m.id = a.member_id
      where a.member_id = $1 for update of a for no key update of m`, [memberId]);
    if (!acc.rows.length) throw new Error('no such member');
    await c.query('select member_id from purchase where order_id = $1', [orderId]);
    const [settings] = (await c.query('select points_per_unit::float8 as ppu, points_expiry_months as months, points_pending_days as pending from program where id = 1')).rows;
    const now = new Date();
    const [tier] = (await c.query(`select t.id, t.points_multiplier::float8 as multiplier from tier t where t.id = coalesce(
      (select to_tier_id from tier_change where member_id = $1 and occurred_at <= $2 order by occurred_at desc, id desc limit 1), (select id from tier where rank = 0))`, [memberId, now])).rows;
    await c.query(`select coalesce(sum(b.value), 0)::float8 as bonus from member m join tier t on t.id = $1 join benefit b on b.kind = 'POINTS_MULTIPLIER' and b.active
      and (b.valid_from is null or b.valid_from <= $2) and (b.valid_to is null or b.valid_to > $2) where m.id = $3`, [tier.id, now, memberId]);
    const cents = Math.round(amount * 100);
    const earned = Math.floor((cents * settings.ppu * tier.multiplier) / 100);
    const expires = new Date(now); expires.setUTCMonth(expires.getUTCMonth() + settings.months);
    const balance = Number(acc.rows[0].balance) + earned;
    const [txn] = (await c.query(`insert into point_transaction (member_id, type, amount, balance_after, occurred_at, expires_at, reason, reference, idempotency_key, unrecovered, created_at)
      values ($1, 'EARN', $2, $3, $4, $5, null, $6, $7, 0, now()) returning id`, [memberId, earned, balance, now, expires, orderId, `purchase:${orderId}`])).rows;
    await c.query('select 1 from point_lot where member_id = $1 and remaining < 0 limit 1', [memberId]);
    const [lot] = (await c.query(`insert into point_lot (member_id, transaction_id, points, remaining, earned_at, activates_at, expires_at, order_id, late)
      values ($1, $2, $3, $3, $4, $4, $5::timestamptz, $6, coalesce($5::timestamptz <= now(), false)) returning id`, [memberId, txn.id, earned, now, expires, orderId])).rows;
    await c.query(`update point_account set balance = $1, lifetime_earned = lifetime_earned + $2, updated_at = now() where member_id = $3
      returning expired_through`, [balance, earned, memberId]);
    await c.query(`with entry as (insert into qualifying_entry (member_id, occurred_at, points, source) values ($1, $2::timestamptz, $3, $4))
      update member set
        window_points = window_points + case when $2::timestamptz <= tier_expires_at
          and $2::timestamptz > ${minusMonths('tier_expires_at', 'window_points_months')} then $3::int else 0 end,
        points_after_expiry = points_after_expiry + case when $2::timestamptz > tier_expires_at then $3::int else 0 end,
        last_qualifying_at = greatest(last_qualifying_at, $2::timestamptz)
      where id = $1`, [memberId, now, cents / 100 | 0, `purchase:${orderId}`]);
    await c.query(`insert into purchase (order_id, member_id, amount_cents, earned_points, qualifying_points, lot_id, transaction_id, occurred_at, occurred_at_given)
      values ($1, $2, $3, $4, $5, $6, $7, $8, false)`, [orderId, memberId, cents, earned, cents / 100 | 0, lot.id, txn.id, now]);
    await c.query('select qualification_window_months, tier_validity_months, downgrade_policy, tier_notice_days from program where id = 1');
    const from = new Date(now); from.setUTCMonth(from.getUTCMonth() - 12);
    await c.query('select coalesce(sum(points), 0)::int as q from qualifying_entry where member_id = $1 and occurred_at > $2 and occurred_at <= $3', [memberId, from, now]);
    await c.query('select m.tier_id, t.rank from member m join tier t on t.id = m.tier_id where m.id = $1', [memberId]);
    await c.query('select id, rank, qualifying_points, retain_points, points_multiplier::float8 from tier order by rank');
    await c.query('commit');
    return { pointsEarned: earned, transaction: { id: txn.id, balanceAfter: balance } };
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
