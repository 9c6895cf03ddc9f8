import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';
import { ADJUST, PURCHASE, REFUND } from '../support/ledger';

/**
 * A purchase re-rated at the tier a backdated fact gave its date (docs/decisions.md, "Webhook
 * events"): the points it earns more go to its lot (or to a new lot dated at it) and expire with
 * that lot. The ADJUST that books them says so in `expiresAt`, in the member's history and in
 * its `points.adjusted` webhook event, as an adjustment's does: null read as "never expires".
 */

let s: TestServer;
let admin: string;
beforeAll(async () => {
  s = await startTestServer();
  admin = await s.token('admin');
  await createLadder(s);
  await s.sql(`insert into webhook_endpoint (id, url, event_types, active, secret, created_at, updated_at)
    values (gen_random_uuid(), 'https://hooks.example.com/loyalty', '{points.adjusted}', true, 'whsec_test', now(), now())`);
});
afterAll(() => s.stop());

const HISTORY = 'query($id: ID!) { member(id: $id) { tier { code } pointsHistory(first: 20) { edges { node { type amount reference expiresAt } } } } }';

it('the rate correction\'s ADJUST and its points.adjusted event carry the expiry of the lot its points went to', async () => {
  const ago = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();
  const id = await registerMember(s, { externalId: 'rr-1', joinedAt: ago(60) });
  const buy = async (orderId: string, amount: number, occurredAt: string) => {
    const r = await s.gql(PURCHASE, { input: { memberId: id, orderId, amount, occurredAt } }, admin);
    expect(r.errors).toBeUndefined();
  };
  await buy('rr-up', 1000, ago(1)); // the upgrade to SILVER, earned at BRONZE's rate (its lot)
  await buy('rr-small', 0.8, ago(5)); // 0 points at BRONZE: no lot
  await buy('rr-early', 1000, ago(10)); // SILVER from 10 days ago: both re-rated at 1.25

  const lots = await s.sql<{ order_id: string; expires_at: Date }>(`select order_id, expires_at from point_lot where order_id in ('rr-up', 'rr-small')`);
  const lotExpiry = Object.fromEntries(lots.map((l) => [l.order_id, l.expires_at.toISOString()]));
  expect(Object.keys(lotExpiry).sort()).toEqual(['rr-small', 'rr-up']);

  const { member } = await s.admin(HISTORY, { id });
  expect(member.tier.code).toBe('SILVER');
  const adjusts = member.pointsHistory.edges.map((e: any) => e.node).filter((t: any) => t.type === 'ADJUST');
  expect(adjusts.sort((a: any, b: any) => a.amount - b.amount)).toEqual([
    { type: 'ADJUST', amount: 1, reference: 'rr-small', expiresAt: lotExpiry['rr-small'] },
    { type: 'ADJUST', amount: 250, reference: 'rr-up', expiresAt: lotExpiry['rr-up'] },
  ]);
  const events = await s.sql<{ data: { points: number; reference: string; expiresAt: string | null } }>(
    `select data from webhook_event where type = 'points.adjusted' and member_id = $1 order by seq`, [id]);
  expect(events.map((e) => [e.data.reference, e.data.points, e.data.expiresAt]).sort()).toEqual([
    ['rr-small', 1, lotExpiry['rr-small']],
    ['rr-up', 250, lotExpiry['rr-up']],
  ]);
});

describe('a re-rating of a purchase whose lot an expiry run has expired', () => {
  // The lot keeps what it held when it expired, so nothing spendable moves; the ledger's earned
  // and expired move together (an ADJUST at the purchase, an EXPIRE dated at the expiry that
  // took the lot), so that they are the date order's whatever order the facts arrived in.
  const monthsAgo = (m: number, days = 0) => { const d = new Date(); d.setUTCMonth(d.getUTCMonth() - m); d.setUTCDate(d.getUTCDate() + days); return d.toISOString(); };
  type Fact = { buy: [string, number, string] } | { refund: [string, number, string] } | { expire: string } | { spend: [string, number, string] } | { expiryMonths: number };
  const post = async (id: string, tag: string, facts: Fact[]) => {
    for (const f of facts) {
      if ('expiryMonths' in f) {
        await s.admin('mutation($m: Int!) { updateProgram(input: { pointsExpiryMonths: $m }) { pointsExpiryMonths } }', { m: f.expiryMonths });
        continue;
      }
      const r = 'buy' in f
        ? await s.gql(PURCHASE, { input: { memberId: id, orderId: `${tag}-${f.buy[0]}`, amount: f.buy[1], occurredAt: f.buy[2] } }, admin)
        : 'spend' in f
          ? await s.gql(ADJUST, { input: { memberId: id, amount: -f.spend[1], reason: 'spent', idempotencyKey: `${tag}-${f.spend[0]}`, occurredAt: f.spend[2] } }, admin)
        : 'refund' in f
          ? await s.gql(REFUND, { input: { orderId: `${tag}-${f.refund[0]}`, refundId: `${tag}-${f.refund[0]}-r`, amount: f.refund[1], occurredAt: f.refund[2] } }, admin)
          : await s.gql('mutation($a: DateTime!) { expirePoints(asOf: $a) { processed } }', { a: f.expire }, admin);
      expect(r.errors).toBeUndefined();
    }
  };
  const figures = async (id: string) => {
    const [sums] = await s.sql<Record<string, number>>(
      `select coalesce(sum(amount) filter (where type in ('EARN', 'ADJUST')), 0)::int as earned,
              coalesce(sum(amount) filter (where type = 'REFUND_REVERSAL'), 0)::int as reversed,
              coalesce(sum(amount) filter (where type = 'EXPIRE'), 0)::int as expired,
              coalesce(sum(amount), 0)::int as balance,
              min(balance_after)::int as "lowestBalanceAfter"
       from point_transaction where member_id = $1`, [id]);
    const { member } = await s.admin('query($id: ID!) { member(id: $id) { pointsBalance lifetimePoints tier { code } } }', { id });
    return { ...sums, ...member };
  };
  const compare = async (tag: string, dateOrder: Fact[], arrival: Fact[]) => {
    const [a, b] = [await registerMember(s, { joinedAt: monthsAgo(30) }), await registerMember(s, { joinedAt: monthsAgo(30) })];
    await post(a, `${tag}a`, dateOrder);
    await post(b, `${tag}b`, arrival);
    const [fa, fb] = [await figures(a), await figures(b)];
    // The same ledger totals and reads; the balances on the way are each order's own.
    const totals = ({ lowestBalanceAfter, ...rest }: Record<string, unknown>) => rest;
    expect(totals(fb)).toEqual(totals(fa));
    return fb;
  };

  beforeAll(() => s.admin('mutation { updateProgram(input: { pointsExpiryMonths: 8 }) { pointsExpiryMonths } }'));
  afterAll(() => s.admin('mutation { updateProgram(input: { pointsExpiryMonths: 24 }) { pointsExpiryMonths } }'));

  it('earning more: an upgrade dated before it arrives after the run', async () => {
    const p0: Fact = { buy: ['p0', 1000, monthsAgo(14)] }; // SILVER from here (earned at BRONZE)
    const p1: Fact = { buy: ['p1', 1000, monthsAgo(14, 40)] }; // 1250 at SILVER
    const run: Fact = { expire: monthsAgo(1) };
    const f = await compare('up', [p0, p1, run], [p1, run, p0]);
    expect(f).toMatchObject({ earned: 2250, expired: -2250, balance: 0, pointsBalance: 0, lifetimePoints: 2250, tier: { code: 'SILVER' } });
    expect(f.lowestBalanceAfter).toBeGreaterThanOrEqual(0);
  });

  it('earning more on a lot a debit had spent whole, taking a live lot too: the debit takes from it in date order, the live lot keeps its points', async () => {
    const p0: Fact = { buy: ['p0', 1000, monthsAgo(14)] }; // SILVER from here
    const p1: Fact = { buy: ['p1', 1000, monthsAgo(14, 40)] }; // 1250 at SILVER in date order
    const p3: Fact = { buy: ['p3', 400, monthsAgo(6)] }; // 500, live
    const spend: Fact = { spend: ['s', 1200, monthsAgo(5)] }; // as it arrived: p1's 1000 and 200 of p3; in date order 1200 of p1's 1250
    // A lot expiring before the run, so that the run expires the member (its watermark past p1's lot).
    const p4: Fact[] = [{ expiryMonths: 1 }, { buy: ['p4', 100, monthsAgo(3)] }, { expiryMonths: 8 }];
    const run: Fact = { expire: monthsAgo(1) };
    const f = await compare('spent', [p0, p1, p3, spend, ...p4, run], [p1, p3, spend, ...p4, run, p0]);
    // earned: 1000 + 1250 + 500 + 125, less the spend (an ADJUST of −1200).
    expect(f).toMatchObject({ earned: 1675, expired: -1175, balance: 500, pointsBalance: 500, lifetimePoints: 2875 });
    expect(f.lowestBalanceAfter).toBeGreaterThanOrEqual(0);
  });

  it('earning more, a programme allowing a negative balance: a refund\'s debt repaid since keeps what it took (the debits are not re-planned)', async () => {
    // Review 17: re-planning the spend onto the raised lot freed 200 of a live lot that, in
    // date order, the refund's debt had taken (refunds are not re-planned where a negative
    // balance is allowed): the member kept 200.
    await s.admin('mutation { updateProgram(input: { allowNegativeBalance: true }) { pointsExpiryMonths } }');
    try {
      const p0: Fact = { buy: ['p0', 1000, monthsAgo(14)] };
      const p1: Fact = { buy: ['p1', 1000, monthsAgo(14, 40)] };
      const p3: Fact = { buy: ['p3', 400, monthsAgo(6)] };
      const spend: Fact = { spend: ['s', 1200, monthsAgo(5)] };
      const refund: Fact = { refund: ['p3', 400, monthsAgo(5, 10)] };
      const p4: Fact[] = [{ expiryMonths: 1 }, { buy: ['p4', 400, monthsAgo(4)] }, { expiryMonths: 8 }];
      const run: Fact = { expire: monthsAgo(1) };
      const f = await compare('neg', [p0, p1, p3, spend, refund, ...p4, run], [p1, p3, spend, refund, ...p4, run, p0]);
      expect(f).toMatchObject({ balance: 0, pointsBalance: 0 });
    } finally {
      await s.admin('mutation { updateProgram(input: { allowNegativeBalance: false }) { pointsExpiryMonths } }');
    }
  });

  it('earning less: a refund dated before the upgrade it earned at moves that upgrade past it, after the run', async () => {
    const p0: Fact = { buy: ['p0', 600, monthsAgo(14)] };
    const refund: Fact = { refund: ['p0', 200, monthsAgo(14, 10)] }; // Q at p1: 900, no upgrade there
    const p1: Fact = { buy: ['p1', 500, monthsAgo(14, 20)] }; // the upgrade to SILVER as it arrived
    const p2: Fact = { buy: ['p2', 1000, monthsAgo(14, 40)] }; // 1250 at SILVER as it arrived; in date order the upgrade, at BRONZE: 1000
    const run: Fact = { expire: monthsAgo(1) };
    const f = await compare('down', [p0, refund, p1, p2, run], [p0, p1, p2, run, refund]);
    expect(f).toMatchObject({ earned: 2100, reversed: -200, expired: -1900, balance: 0, pointsBalance: 0, lifetimePoints: 2100 });
    expect(f.lowestBalanceAfter).toBeGreaterThanOrEqual(0);
  });
});
