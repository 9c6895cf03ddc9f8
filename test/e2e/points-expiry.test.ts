import { Client } from 'pg';
import { expectError, startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';
import { POINTS, PURCHASE, REFUND, expectLedgerConsistent } from '../support/ledger';
import { untilWaitingForLock } from '../support/sessions';
import { createServices } from '../../src/modules/services';

// Expiry moves each due member's watermark (point_account.expired_through) instead of writing
// lots; these tests hold the model to the ledger's rules. Its own database: the runs here move
// the programme-wide floor (point_expiry), which other suites' backdated data must not meet.
let s: TestServer;
let service: string;
beforeAll(async () => {
  s = await startTestServer();
  service = await s.token('service');
  await createLadder(s);
});
afterAll(() => s.stop());
afterEach(() => expectLedgerConsistent(s));

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
const points = async (id: string) => (await s.admin(POINTS, { id })).member;
const purchase = async (input: Record<string, unknown>) => {
  const res = await s.gql(PURCHASE, { input }, service);
  expect(res.errors).toBeUndefined();
  return res.data!.recordPurchase;
};
const expire = async (asOf: string) => (await s.admin(`mutation($a: DateTime!) { expirePoints(asOf: $a) { processed changed } }`, { a: asOf })).expirePoints;
const ledger = (id: string) => s.sql<{ type: string; amount: number; balance_after: number }>(
  'select type, amount, balance_after from point_transaction where member_id = $1 order by id', [id]);

describe('expiry by watermark', () => {
  it('expires without writing the lot, which is no longer live: a refund dated before its expiry takes those points back from the expiry, not the balance', async () => {
    const id = await registerMember(s);
    await purchase({ memberId: id, orderId: 'w-old', amount: 50, occurredAt: iso(Date.now() - 800 * DAY) }); // expired ~70 days ago
    await purchase({ memberId: id, orderId: 'w-new', amount: 20 });
    expect((await points(id)).pointsBalance).toBe(20); // expired points are not spendable before the run either
    const asOf = iso(Date.now());
    expect(await expire(asOf)).toMatchObject({ changed: 1 });
    const [lot] = await s.sql(`select l.remaining, a.expired_through from point_lot l join point_account a using (member_id) where l.order_id = 'w-old'`);
    expect(lot).toEqual({ remaining: 50, expired_through: new Date(asOf) });
    expect((await ledger(id)).map((t) => [t.type, t.amount, t.balance_after])).toEqual([['EARN', 50, 50], ['EARN', 20, 70], ['EXPIRE', -50, 20]]);
    // Dated before the old lot expired, the refund takes from it as it was then (issue 18): those
    // points did not expire after all (an EXPIRE correction), and the refund takes them back in
    // full, as in date order; the balance keeps the new lot's.
    const refund = await s.gql(REFUND, { input: { orderId: 'w-old', refundId: 'w-old-r', amount: 50, occurredAt: iso(Date.now() - 100 * DAY) } }, service);
    expect(refund.errors).toBeUndefined();
    expect(refund.data!.refundPurchase.transaction).toMatchObject({ amount: -50, balanceAfter: 20 });
    expect((await points(id)).pointsBalance).toBe(20);
    expect((await ledger(id)).map((t) => [t.type, t.amount, t.balance_after])).toEqual([
      ['EARN', 50, 50], ['EARN', 20, 70], ['EXPIRE', -50, 20], ['EXPIRE', 50, 70], ['REFUND_REVERSAL', -50, 20]]);
    expect(await expire(asOf)).toEqual({ processed: 0, changed: 0 });
  });

  it('finds a late lot (written already expired) below the floor', async () => {
    await expire(iso(Date.now())); // the floor moves to about now
    const [{ floor }] = await s.sql('select expired_through as floor from point_expiry');
    const id = await registerMember(s);
    await purchase({ memberId: id, orderId: 'late-1', amount: 30, occurredAt: iso(Date.now() - 1000 * DAY) }); // expired ~270 days ago
    const [lot] = await s.sql(`select late, expires_at from point_lot where order_id = 'late-1'`);
    expect(lot.late).toBe(true);
    expect(lot.expires_at.getTime()).toBeLessThan(floor.getTime()); // a search by date above the floor would miss it
    expect((await points(id)).pointsBalance).toBe(0);
    expect(await expire(iso(Date.now()))).toEqual({ processed: 1, changed: 1 });
    expect((await ledger(id)).map((t) => [t.type, t.amount])).toEqual([['EARN', 30], ['EXPIRE', -30]]);
  });

  it('does not expire with stale sums: a member written while the run reads is skipped, then expired under its lock', async () => {
    const id = await registerMember(s);
    await purchase({ memberId: id, orderId: 'stale-1', amount: 10, occurredAt: iso(Date.now() - 760 * DAY) }); // expired ~30 days ago
    // A write in flight on the member (what a backdated refund of 6 of those points does): lock,
    // take from the lot, book it. Not committed until the run is waiting for the account.
    const writer = new Client({ connectionString: s.databaseUrl });
    await writer.connect();
    try {
      await writer.query('begin');
      const [{ balance }] = (await writer.query('select balance from point_account where member_id = $1 for update', [id])).rows;
      await writer.query(`update point_lot set remaining = remaining - 6 where order_id = 'stale-1'`);
      await writer.query('update point_account set balance = balance - 6 where member_id = $1', [id]);
      await writer.query(`insert into point_transaction (member_id, type, amount, balance_after, occurred_at, reason, created_at)
        values ($1, 'REFUND_REVERSAL', -6, $2, now() - interval '40 days', 'test', now())`, [id, balance - 6]);
      const run = expire(iso(Date.now()));
      // Wait until the run's batch waits for this account: its sums (10 points) are stale by then.
      await untilWaitingForLock(s, 'point_transaction%EXPIRE', 'the run');
      await writer.query('commit');
      expect(await run).toEqual({ processed: 1, changed: 1 });
    } finally {
      await writer.end();
    }
    expect((await ledger(id)).map((t) => [t.type, t.amount, t.balance_after])).toEqual([['EARN', 10, 10], ['REFUND_REVERSAL', -6, 4], ['EXPIRE', -4, 0]]);
  });

  it('two runs at once, with purchases on the same members, expire each member once', async () => {
    const ids = await Promise.all(Array.from({ length: 30 }, () => registerMember(s)));
    for (const [i, id] of ids.entries()) await purchase({ memberId: id, orderId: `twice-${i}`, amount: 10 + i, occurredAt: iso(Date.now() - 750 * DAY) });
    const asOf = iso(Date.now());
    const [a, b] = await Promise.all([
      expire(asOf),
      expire(asOf),
      ...ids.map((id, i) => purchase({ memberId: id, orderId: `twice-new-${i}`, amount: 5 })),
    ]);
    expect(a.changed + b.changed).toBe(30);
    const rows = await s.sql(`select member_id, count(*)::int as n, sum(amount)::int as points from point_transaction
      where type = 'EXPIRE' and member_id = any($1) group by 1`, [ids]);
    expect(rows).toHaveLength(30);
    for (const r of rows) expect(r).toMatchObject({ n: 1, points: -(10 + ids.indexOf(r.member_id)) });
    for (const id of ids) expect((await points(id)).pointsBalance).toBe(5);
  });

  it('counts every member over many batches on two connections', async () => {
    const ids = await Promise.all(Array.from({ length: 25 }, () => registerMember(s)));
    for (const [i, id] of ids.entries()) await purchase({ memberId: id, orderId: `batches-${i}`, amount: 7, occurredAt: iso(Date.now() - 740 * DAY) });
    const { points: service } = createServices(s.app.orm.em.fork());
    expect(await service.expirePoints(new Date(), 3)).toEqual({ processed: 25, changed: 25 });
    const [{ n }] = await s.sql(`select count(*)::int as n from point_transaction where type = 'EXPIRE' and member_id = any($1)`, [ids]);
    expect(n).toBe(25);
  });

  it('a run as of a day to come is BAD_USER_INPUT and expires nothing: the points stay until their expiry, and new ones are kept', async () => {
    const id = await registerMember(s);
    await purchase({ memberId: id, orderId: 'future-1', amount: 30 });
    const ahead = await s.gql(`mutation($a: DateTime!) { expirePoints(asOf: $a) { changed } }`, { a: iso(Date.now() + 800 * DAY) }, await s.token('admin'));
    expectError(ahead, 'BAD_USER_INPUT', 'asOf');
    // Within the clock skew is the clock's: nothing is due yet.
    expect(await expire(iso(Date.now() + 60_000))).toMatchObject({ changed: 0 });
    await purchase({ memberId: id, orderId: 'future-2', amount: 40 });
    expect((await ledger(id)).map((t) => [t.type, t.amount, t.balance_after])).toEqual([['EARN', 30, 30], ['EARN', 40, 70]]);
    expect(await points(id)).toMatchObject({ pointsBalance: 70, lifetimePoints: 70 });
  });

  it('an earn dated below its member\'s watermark (backdated past a run that expired the member) expires as it arrives', async () => {
    const id = await registerMember(s, { joinedAt: iso(Date.now() - 1000 * DAY) });
    await purchase({ memberId: id, orderId: 'below-1', amount: 30, occurredAt: iso(Date.now() - 900 * DAY) }); // expired ~170 days ago
    expect((await expire(iso(Date.now()))).changed).toBeGreaterThanOrEqual(1);
    const earned = await purchase({ memberId: id, orderId: 'below-2', amount: 40, occurredAt: iso(Date.now() - 800 * DAY) }); // expired ~70 days ago
    expect(earned).toMatchObject({ pointsEarned: 40, transaction: { type: 'EARN', amount: 40, balanceAfter: 40 } });
    expect((await ledger(id)).map((t) => [t.type, t.amount, t.balance_after])).toEqual([
      ['EARN', 30, 30], ['EXPIRE', -30, 0], ['EARN', 40, 40], ['EXPIRE', -40, 0],
    ]);
    expect(await points(id)).toMatchObject({ pointsBalance: 0, lifetimePoints: 70 });
  });
});
