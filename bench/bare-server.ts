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
    // The app writes the qualifying entry before it reads the tier held (TierEngine.prepare); the order of the statements does not change their cost.
    const [tier] = (await c.query(`select m.tier_id as id, t.points_multiplier::float8 as multiplier,
        coalesce(m.tier_expires_at <= greatest($2::timestamptz, (select tier_reviewed_through from program where id = 1)), false)
          or coalesce(m.last_qualifying_at > $2::timestamptz, false)
          or exists (select 1 from tier_change c where c.member_id = m.id and c.occurred_at >= $2::timestamptz and c.superseded_at is null) as stale
      from member m join tier t on t.id = m.tier_id where m.id = $1`, [memberId, now])).rows;
    await c.query(`select coalesce(sum((v.s->>'value')::numeric), 0)::float8 as bonus
      from (select distinct on (bv.code) bv.snapshot as s from benefit_version bv where bv.changed_at <= $2::timestamptz order by bv.code, bv.version desc) v
      join member m on m.id = $3 join tier t on t.id = $1
      where v.s->>'kind' = 'POINTS_MULTIPLIER' and (v.s->>'active')::boolean
        and (v.s->>'validFrom' is null or (v.s->>'validFrom')::timestamptz <= $2::timestamptz) and (v.s->>'validTo' is null or (v.s->>'validTo')::timestamptz > $2::timestamptz)
        and (jsonb_array_length(v.s->'tierCodes') = 0 or v.s->'tierCodes' @> to_jsonb(t.code))
        and (jsonb_array_length(v.s->'requiredTags') = 0 or v.s->'requiredTags' <@ coalesce(
          (select jsonb_agg(tg.code) from member_tag mt join tag tg on tg.id = mt.tag_id where mt.member_id = m.id), '[]'::jsonb))`, [tier.id, now, memberId]);
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
    await c.query(`with v as (select $2::timestamptz as occ, $3::int as pts, null::timestamptz as cf),
      entry as (insert into qualifying_entry (member_id, occurred_at, points, source, counts_from) select $1, occ, pts, $4, cf from v)
      update member m set
        window_points = m.window_points + case when v.occ <= m.tier_expires_at and coalesce(v.cf, v.occ) <= m.tier_expires_at
          and v.occ > ${minusMonths('m.tier_expires_at', 'm.window_points_months')} then v.pts else 0 end,
        points_after_expiry = m.points_after_expiry + case when v.occ > m.tier_expires_at then v.pts else 0 end,
        last_qualifying_at = greatest(m.last_qualifying_at, coalesce(v.cf, v.occ))
      from v where m.id = $1`, [memberId, now, cents / 100 | 0, `purchase:${orderId}`]);
    await c.query(`insert into purchase (order_id, member_id, amount_cents, earned_points, qualifying_points, lot_id, transaction_id, occurred_at, occurred_at_given,
        tier_change_id, earned_tier_id, points_per_unit)
      values ($1, $2, $3, $4, $5, $6, $7, $8, false, null, $9, $10)`, [orderId, memberId, cents, earned, cents / 100 | 0, lot.id, txn.id, now, tier.id, settings.ppu]);
    await c.query('select qualification_window_months, tier_validity_months, downgrade_policy, tier_notice_days, tier_reviewed_through from program where id = 1');
    const from = new Date(now); from.setUTCMonth(from.getUTCMonth() - 12);
    await c.query(`select coalesce(sum(points), 0)::int as q from qualifying_entry
      where member_id = $1 and occurred_at > $2 and occurred_at <= $3 and coalesce(counts_from, occurred_at) <= $3`, [memberId, from, now]);
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
