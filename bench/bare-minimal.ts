// The baseline "the least an earn can do": node:http + pg running the minimal earn
// transaction, for the same JSON body and answer as bare-server.ts (which replays our own
// statements). BEGIN; the idempotency key, inserted under a unique constraint (bench_idem,
// a bench-only table: a retry fails on it); the account's balance, added to and returned in
// one UPDATE; the ledger row with its balance after; the lot; COMMIT. Four statements, six
// round trips, parameterised as a plain node-pg handler sends them; the points rule (1 point
// per unit, no multiplier) is held in memory. No GraphQL, no ORM, no auth, no tiers.
import { Pool } from 'pg';
import { serveBare } from './bare-http';

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 20 });

/** The months points stay valid, as the app's default programme has them. */
const EXPIRY_MONTHS = 24;

async function recordPurchase(memberId: string, orderId: string, amount: number): Promise<unknown> {
  const earned = Math.floor(Math.round(amount * 100) / 100);
  const now = new Date();
  const expires = new Date(now);
  expires.setUTCMonth(expires.getUTCMonth() + EXPIRY_MONTHS);
  const c = await pool.connect();
  try {
    await c.query('begin');
    await c.query('insert into bench_idem (key) values ($1)', [orderId]);
    const acc = await c.query<{ balance: number }>('update point_account set balance = balance + $1 where member_id = $2 returning balance', [earned, memberId]);
    if (!acc.rows.length) throw new Error('no such member');
    const balance = acc.rows[0].balance;
    const [txn] = (await c.query<{ id: string }>(`insert into point_transaction (member_id, type, amount, balance_after, occurred_at, expires_at, created_at)
      values ($1, 'EARN', $2, $3, $4, $5, $4) returning id`, [memberId, earned, balance, now, expires])).rows;
    await c.query(`insert into point_lot (member_id, transaction_id, points, remaining, earned_at, activates_at, expires_at)
      values ($1, $2, $3, $3, $4, $4, $5)`, [memberId, txn.id, earned, now, expires]);
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
  // A retry of an order already recorded: refused, as a GraphQL error (the load counts it as one).
  refusal: (err) => ((err as { code?: string }).code === '23505' ? { message: 'order already recorded', code: 'CONFLICT' } : null),
});
