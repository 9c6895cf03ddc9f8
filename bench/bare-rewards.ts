// The baseline for redemptions: node:http + pg running the same SQL statements, in the same
// order, as RewardsService.redeem with PointsService.debit (captured from the server log with
// log_statement = 'all'), for the same JSON body. No GraphQL, no ORM, no auth.
import { randomBytes } from 'node:crypto';
import { Pool, type PoolClient } from 'pg';
import { serveBare } from './bare-http';

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 20 });

const REDEMPTION_COLUMNS = `id, seq::text, member_id as "memberId", reward_id as "rewardId", points, coupon_code as "couponCode", status,
  created_at as "createdAt", transaction_id::text as "transactionId", idempotency_key as "idempotencyKey"`;
const REPLAY = `select ${REDEMPTION_COLUMNS}, (select code from reward where id = reward_id) as "rewardCode" from redemption where idempotency_key = $1`;

class Refused extends Error {
  constructor(readonly code: string, message: string) { super(message); }
}

/** The app's coupon format: 16 characters of Crockford base32 in groups of four. */
function couponCode(): string {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  const bytes = randomBytes(16);
  let code = '';
  for (let i = 0; i < 16; i++) code += alphabet[bytes[i] & 31];
  return code.match(/.{4}/g)!.join('-');
}

async function replay(q: Pool | PoolClient, memberId: string, rewardCode: string, key: string) {
  const [r] = (await q.query(REPLAY, [key])).rows;
  if (!r) return null;
  if (r.memberId !== memberId || r.rewardCode !== rewardCode) throw new Refused('CONFLICT', `Idempotency key ${key} was used with another payload`);
  return r;
}

async function redeem(memberId: string, rewardCode: string, key: string): Promise<unknown> {
  const seen = await replay(pool, memberId, rewardCode, key);
  if (seen) return seen;
  const now = new Date();
  const c = await pool.connect();
  try {
    await c.query('begin');
    const [account] = (await c.query(`select a.balance, a.lifetime_earned as "lifetimeEarned" from point_account a join member m on m.id = a.member_id
      where a.member_id = $1 for update of a for no key update of m`, [memberId])).rows;
    if (!account) throw new Refused('NOT_FOUND', `Member ${memberId} not found`);
    const settled = await replay(c, memberId, rewardCode, key);
    if (settled) {
      await c.query('commit');
      return settled;
    }
    const [reward] = (await c.query(`select id, code, name, cost_points as "costPoints", stock, per_member_limit as "perMemberLimit",
  tier_codes as "tierCodes", active, valid_from as "validFrom", valid_to as "validTo" from reward where code = $1`, [rewardCode])).rows;
    if (!reward) throw new Refused('NOT_FOUND', `Reward ${rewardCode} not found`);
    if (!reward.active || (reward.validFrom && reward.validFrom > now) || (reward.validTo && reward.validTo <= now)) throw new Refused('NOT_ELIGIBLE', `${reward.code} is not available`);
    if (reward.tierCodes.length) {
      const [m] = (await c.query('select t.code from member m join tier t on t.id = m.tier_id where m.id = $1', [memberId])).rows;
      if (!reward.tierCodes.includes(m.code)) throw new Refused('NOT_ELIGIBLE', `${reward.code} is for ${reward.tierCodes.join(', ')} members`);
    }
    if (reward.perMemberLimit != null) {
      const [{ n }] = (await c.query(`select count(*)::int as n from redemption where member_id = $1 and reward_id = $2 and status = 'ISSUED'`, [memberId, reward.id])).rows;
      if (n >= reward.perMemberLimit) throw new Refused('LIMIT_REACHED', `${reward.code} can be redeemed ${reward.perMemberLimit} time(s) per member`);
    }
    if (reward.stock != null && reward.stock <= 0) throw new Refused('OUT_OF_STOCK', `${reward.code} is out of stock`);
    const coupon = couponCode();
    // PointsService.debit: spendable lots, soonest-expiring first.
    const lots = (await c.query(`select id::text, remaining, expires_at as "expiresAt", earned_at as "earnedAt", activates_at as "activatesAt", order_id as "orderId"
     from point_lot where member_id = $1 and remaining <> 0`, [memberId])).rows
      .filter((l) => l.remaining > 0 && l.activatesAt <= now && (l.expiresAt == null || l.expiresAt > now))
      .sort((a, b) => (a.expiresAt?.getTime() ?? Infinity) - (b.expiresAt?.getTime() ?? Infinity) || a.earnedAt - b.earnedAt || Number(a.id) - Number(b.id));
    const cost = reward.costPoints as number;
    if (lots.reduce((s, l) => s + l.remaining, 0) < cost) throw new Refused('INSUFFICIENT_POINTS', `Needs ${cost} points`);
    let left = cost;
    const takes: (string | number)[] = [];
    for (const l of lots) {
      if (left === 0) break;
      const take = Math.min(left, l.remaining);
      takes.push(l.id, take);
      left -= take;
    }
    const balanceAfter = Number(account.balance) - cost;
    const [txn] = (await c.query(`insert into point_transaction (member_id, type, amount, balance_after, occurred_at, expires_at, reason, reference,
       idempotency_key, unrecovered, created_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, now()) returning id::text, member_id as "memberId", type, amount, balance_after as "balanceAfter", occurred_at as "occurredAt",
  expires_at as "expiresAt", reason, reference, unrecovered`, [memberId, 'REDEEM', -cost, balanceAfter, now, null, `reward ${reward.code}`, coupon, `redeem:${key}`, 0])).rows;
    const values = (from: number) => Array.from({ length: takes.length / 2 }, (_, i) => `($${from + i * 2}::bigint, $${from + i * 2 + 1}::int)`).join(', ');
    await c.query(`update point_lot l set remaining = l.remaining - v.amount from (values ${values(1)}) as v(id, amount) where l.id = v.id`, takes);
    await c.query(`insert into point_allocation (member_id, transaction_id, lot_id, amount) select $1, $2, v.id, v.amount from (values ${values(3)}) as v(id, amount)`, [memberId, txn.id, ...takes]);
    await c.query('update point_account set balance = $1, lifetime_earned = lifetime_earned + $2, updated_at = now() where member_id = $3', [balanceAfter, 0, memberId]);
    const [row] = (await c.query(`insert into redemption (id, member_id, reward_id, points, coupon_code, status, idempotency_key, transaction_id, created_at)
         values (gen_random_uuid(), $1, $2, $3, $4, 'ISSUED', $5, $6, $7) returning ${REDEMPTION_COLUMNS}`, [memberId, reward.id, cost, coupon, key, txn.id, now])).rows;
    if (reward.stock != null) {
      const took = await c.query('update reward set stock = stock - 1 where id = $1 and stock > 0 returning stock', [reward.id]);
      if (!took.rows.length) throw new Refused('OUT_OF_STOCK', `${reward.code} is out of stock`);
    }
    await c.query('commit');
    return { id: row.id, couponCode: row.couponCode, points: row.points };
  } catch (err) {
    await c.query('rollback').catch(() => {});
    throw err;
  } finally {
    c.release();
  }
}

serveBare({
  field: 'redeemReward',
  handle: (i) => redeem(i.memberId as string, i.rewardCode as string, i.idempotencyKey as string),
  refusal: (err) => (err instanceof Refused ? { message: err.message, code: err.code } : null),
});
