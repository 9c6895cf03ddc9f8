import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';
import { ADJUST, PURCHASE, expectLedgerConsistent } from '../support/ledger';

/**
 * A debit that arrives after debits dated later than it (a till's redemption synced late;
 * docs/decisions.md, "A backdated credit re-plans the debits after it"): in date order it had
 * first pick of the lots they took. It is written if they all still fit after it, and refused
 * (INSUFFICIENT_POINTS, nothing written) only when one of them would not: the same facts give the
 * same ledger whichever arrives first.
 */

let s: TestServer;
let admin: string;
beforeAll(async () => {
  s = await startTestServer();
  admin = await s.token('admin');
  await createLadder(s, [{ code: 'BRONZE', name: 'Bronze', rank: 0, qualifyingPoints: 0, retainPoints: 0, pointsMultiplier: 1 }]);
});
afterAll(() => s.stop());

const ago = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();
type Fact = { buy: [string, number, string] } | { spend: [string, number, string] } | { expire: string };
const post = async (id: string, tag: string, f: Fact) => ('expire' in f
  ? s.gql('mutation($a: DateTime!) { expirePoints(asOf: $a) { processed } }', { a: f.expire }, admin)
  : 'buy' in f
  ? s.gql(PURCHASE, { input: { memberId: id, orderId: `${tag}-${f.buy[0]}`, amount: f.buy[1], occurredAt: f.buy[2] } }, admin)
  : s.gql(ADJUST, { input: { memberId: id, amount: -f.spend[1], reason: 'spent at a till', idempotencyKey: `${tag}-${f.spend[0]}`, occurredAt: f.spend[2] } }, admin));
const state = async (id: string) => {
  const { member } = await s.admin('query($id: ID!) { member(id: $id) { pointsBalance expiringPoints(withinDays: 700) } }', { id });
  const lots = await s.sql<{ order_id: string | null; remaining: number }>('select order_id, remaining from point_lot where member_id = $1 order by earned_at', [id]);
  return { ...member, lots: lots.map((l) => [l.order_id?.replace(/^[^-]+-/, ''), l.remaining]) };
};

it('a late debit takes the lot a later debit had taken, which moves to the next: the date order\'s ledger', async () => {
  const facts: Fact[] = [{ buy: ['a', 100, ago(45)] }, { spend: ['till', 50, ago(40)] }, { buy: ['b', 1000, ago(0.01)] }, { spend: ['today', 100, ago(0.005)] }];
  const [inOrder, late] = [await registerMember(s), await registerMember(s)];
  for (const f of facts) expect((await post(inOrder, 'ld1a', f)).errors).toBeUndefined();
  // The till's redemption arrives last.
  for (const f of [facts[0], facts[2], facts[3], facts[1]]) expect((await post(late, 'ld1b', f)).errors).toBeUndefined();
  expect(await state(late)).toEqual(await state(inOrder));
  expect(await state(late)).toMatchObject({ pointsBalance: 950, lots: [['a', 0], ['b', 950]] });
  await expectLedgerConsistent(s);
});

it('refused, changing nothing, when a debit written after it would no longer fit: in date order that one was refused, but it stands', async () => {
  const id = await registerMember(s);
  expect((await post(id, 'ld2', { buy: ['a', 100, ago(45)] })).errors).toBeUndefined();
  expect((await post(id, 'ld2', { spend: ['today', 100, ago(0.005)] })).errors).toBeUndefined();
  const before = await s.sql('select id, amount, balance_after from point_transaction where member_id = $1 order by id', [id]);
  const res = await post(id, 'ld2', { spend: ['till', 50, ago(40)] });
  expect(res.errors?.[0]).toMatchObject({ extensions: { code: 'INSUFFICIENT_POINTS', required: 50, available: 0 } });
  expect(await s.sql('select id, amount, balance_after from point_transaction where member_id = $1 order by id', [id])).toEqual(before);
  expect(await state(id)).toMatchObject({ pointsBalance: 0, lots: [['a', 0]] });
  await expectLedgerConsistent(s);
});

it('twenty late debits at once against lots later debits took: never more than the date order allows', async () => {
  const id = await registerMember(s);
  expect((await post(id, 'ld3', { buy: ['a', 300, ago(45)] })).errors).toBeUndefined();
  expect((await post(id, 'ld3', { buy: ['b', 200, ago(0.01)] })).errors).toBeUndefined();
  expect((await post(id, 'ld3', { spend: ['today', 200, ago(0.005)] })).errors).toBeUndefined(); // takes A (sooner to expire)
  // In date order 300 of A and 200 of B: the late debits of 50 each at day 40 can take 300 in all, and today's 200 then B's.
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => post(id, 'ld3', { spend: [`till-${i}`, 50, ago(40)] })));
  const ok = results.filter((r) => !r.errors).length;
  expect(results.filter((r) => r.errors).map((r) => r.errors![0].extensions?.code)).toEqual(Array(20 - ok).fill('INSUFFICIENT_POINTS'));
  expect(ok).toBe(6);
  expect(await state(id)).toMatchObject({ pointsBalance: 0 });
  await expectLedgerConsistent(s);
});

it('the same when an expiry run has expired, since, the lot the later debit took (review 17: refused after the run, written before it)', async () => {
  await s.admin('mutation { updateProgram(input: { pointsExpiryMonths: 8 }) { pointsExpiryMonths } }');
  try {
    const monthsAgo = (m: number, days = 0) => { const d = new Date(); d.setUTCMonth(d.getUTCMonth() - m); d.setUTCDate(d.getUTCDate() + days); return d.toISOString(); };
    const facts = {
      a: { buy: ['a', 150, monthsAgo(12)] } as Fact, // expires 4 months ago
      till: { spend: ['till', 50, monthsAgo(6)] } as Fact,
      b: { buy: ['b', 100, monthsAgo(6, 15)] } as Fact,
      later: { spend: ['later', 120, monthsAgo(5)] } as Fact, // as it arrives: 120 of A
      run: { expire: monthsAgo(1) } as Fact,
    };
    const orders: [string, Fact[]][] = [
      ['x0', [facts.a, facts.till, facts.b, facts.later, facts.run]],
      ['x1', [facts.a, facts.b, facts.later, facts.till, facts.run]],
      ['x2', [facts.a, facts.b, facts.later, facts.run, facts.till]],
    ];
    const states = [];
    for (const [tag, order] of orders) {
      const id = await registerMember(s);
      for (const f of order) expect({ tag, f, errors: (await post(id, tag, f)).errors }).toEqual({ tag, f, errors: undefined });
      expect((await post(id, tag, { expire: new Date(Date.now() - 1000).toISOString() })).errors).toBeUndefined();
      states.push(await state(id));
    }
    expect(states[1]).toEqual(states[0]);
    expect(states[2]).toEqual(states[0]);
    expect(states[0]).toMatchObject({ pointsBalance: 80, lots: [['a', 0], ['b', 80]] });
    await expectLedgerConsistent(s);
  } finally {
    await s.admin('mutation { updateProgram(input: { pointsExpiryMonths: 24 }) { pointsExpiryMonths } }');
  }
});
