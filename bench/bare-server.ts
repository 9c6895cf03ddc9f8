// The baseline "what the framework layers cost": node:http + pg running the statement the app
// sends for a purchase on its usual path (PointsService.recordPurchase: one purchase_at_once,
// its own transaction; test/e2e/statement-counts.test.ts pins it), one member's at a time, for the same JSON body, with
// the configuration read once at start and the same pure rules deciding the cases. No GraphQL,
// no ORM, no auth, no queue per member.
import { Pool } from 'pg';
import { serveBare } from './bare-http';
import { earnedPoints } from '../src/modules/points/points.rules';
import { upgradeSteps, UPGRADE_REASON } from '../src/modules/tiers/tiers.rules';

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 20 });
interface Rung { id: string; rank: number; qualifyingPoints: number; multiplier: number }
interface Config { version: string; ppu: number; months: number | null; windowMonths: number; validityMonths: number; ladder: Rung[] }
let config: Promise<Config> | null = null;

const addMonths = (d: Date, n: number) => { const x = new Date(d); x.setUTCMonth(x.getUTCMonth() + n); return x; };

/** One purchase per member at a time, in arrival order, dated when its turn comes (as the app does: db/member-queue.ts). */
const tails = new Map<string, Promise<unknown>>();
function inTurn<T>(key: string, work: () => Promise<T>): Promise<T> {
  const mine = (tails.get(key) ?? Promise.resolve()).then(work, work);
  const tail = mine.catch(() => undefined);
  tails.set(key, tail);
  void tail.then(() => { if (tails.get(key) === tail) tails.delete(key); });
  return mine;
}

async function recordPurchase(memberId: string, orderId: string, amount: number): Promise<unknown> {
  config ??= pool.query(`select (select version::text from config_version) as version, points_per_unit::float8 as ppu,
      points_expiry_months as months, qualification_window_months as "windowMonths", tier_validity_months as "validityMonths",
      (select json_agg(json_build_object('id', id, 'rank', rank, 'qualifyingPoints', qualifying_points, 'multiplier', points_multiplier::float8) order by rank) from tier) as ladder
    from program where id = 1`).then((r) => r.rows[0]);
  const c = await config;
  const now = new Date();
  const cents = Math.round(amount * 100);
  const steps = upgradeSteps(c.ladder);
  const { rows: [row] } = await pool.query({
    name: 'bare_purchase_at_once',
    text: `select f_status as status, f_transaction as transaction from purchase_at_once($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::uuid[], $11::int[], $12, $13,
      $14::uuid[], $15::int[], $16::uuid[], $17, $18, $19, $20)`,
    values: [memberId, orderId, now, false, cents, earnedPoints(cents, c.ppu, 1), c.ppu, c.version, addMonths(now, -c.windowMonths),
      `{${c.ladder.map((t) => t.id).join(',')}}`, `{${c.ladder.map((t) => earnedPoints(cents, c.ppu, t.multiplier)).join(',')}}`, now,
      c.months == null ? null : addMonths(now, c.months), `{${steps.map((s) => s.from).join(',')}}`, `{${steps.map((s) => s.at).join(',')}}`,
      `{${steps.map((s) => s.to).join(',')}}`, addMonths(now, c.validityMonths), UPGRADE_REASON, c.windowMonths, 'TIER_CHANGED'],
  });
  if (row.status !== 'done') throw new Error(`purchase_at_once: ${row.status}`);
  return { pointsEarned: row.transaction?.amount ?? 0, transaction: row.transaction && { id: row.transaction.id, balanceAfter: row.transaction.balanceAfter } };
}

serveBare({
  field: 'recordPurchase',
  handle: (i) => inTurn(i.memberId as string, () => recordPurchase(i.memberId as string, i.orderId as string, i.amount as number)),
});
