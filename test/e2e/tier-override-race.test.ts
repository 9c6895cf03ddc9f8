import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';
import { PURCHASE } from '../support/ledger';

// Overrides of one member at once (two admins, a double click): each is dated when it is made,
// under the member's lock, so the history in date order is the one written (each change starts
// from the tier the one before it gave) and the member holds the tier of the latest.

let s: TestServer;
let admin: string;
beforeAll(async () => {
  s = await startTestServer();
  admin = await s.token('admin');
  await createLadder(s);
});
afterAll(() => s.stop());

const SET_TIER = `mutation($m: ID!, $t: String!) { setMemberTier(memberId: $m, tierCode: $t, reason: "desk") { id } }`;

it('overrides of one member at once: the history in date order chains, and the member holds the latest one\'s tier', async () => {
  const members: string[] = [];
  for (let round = 0; round < 10; round++) {
    const m = await registerMember(s);
    members.push(m);
    await s.admin(SET_TIER, { m, t: 'GOLD' });
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => s.gql(SET_TIER, { m, t: i % 2 ? 'BRONZE' : 'PLATINUM' }, admin)));
    expect(answers.filter((a) => a.errors)).toEqual([]);
  }
  // Every current change starts from the tier of the change before it, in date order.
  const breaks = await s.sql(`with c as (
      select member_id, kind, from_tier_id, to_tier_id, lag(to_tier_id) over (partition by member_id order by occurred_at, id) as before
      from tier_change where superseded_at is null and member_id = any($1::uuid[]))
    select member_id, count(*)::int as n from c where before is not null and from_tier_id is distinct from before group by 1`, [members]);
  expect(breaks).toEqual([]);
  const off = await s.sql(`select m.id from member m join lateral (select to_tier_id from tier_change c where c.member_id = m.id and c.superseded_at is null
      order by occurred_at desc, id desc limit 1) last on true where m.id = any($1::uuid[]) and last.to_tier_id <> m.tier_id`, [members]);
  expect(off).toEqual([]);
});

// A service may date a purchase up to 5 minutes ahead (clocks apart); an upgrade it brings is
// dated then. An override made meanwhile is dated after the latest change the member has, so the
// history still chains in date order and the member holds the override's tier, as the latest.
it('an override after an upgrade dated a few minutes ahead: dated after it, the history chains, the member holds the override', async () => {
  const service = await s.token('service');
  const m = await registerMember(s);
  const ahead = new Date(Date.now() + 3 * 60_000).toISOString();
  const bought = await s.gql(PURCHASE, { input: { memberId: m, orderId: `ahead-${m}`, amount: 1000, occurredAt: ahead } }, service);
  expect(bought.errors).toBeUndefined();
  expect(await s.sql(`select t.code from member m join tier t on t.id = m.tier_id where m.id = $1`, [m])).toEqual([{ code: 'SILVER' }]);
  const set = await s.gql(`mutation($m: ID!) { setMemberTier(memberId: $m, tierCode: "GOLD", reason: "desk") { tier { code } } }`, { m }, admin);
  expect(set.errors).toBeUndefined();
  expect(set.data!.setMemberTier.tier.code).toBe('GOLD');
  const [override] = await s.sql(`select occurred_at from tier_change where member_id = $1 and reason like 'override:%'`, [m]);
  expect(new Date(override.occurred_at).getTime()).toBeGreaterThan(new Date(ahead).getTime());
  const history = await s.sql(`select f.code as "from", t.code as "to" from tier_change c join tier f on f.id = c.from_tier_id join tier t on t.id = c.to_tier_id
    where c.member_id = $1 and c.superseded_at is null order by c.occurred_at, c.id`, [m]);
  expect(history).toEqual([{ from: 'BRONZE', to: 'SILVER' }, { from: 'SILVER', to: 'GOLD' }]);
  expect(await s.sql(`select t.code from member m join tier t on t.id = m.tier_id where m.id = $1`, [m])).toEqual([{ code: 'GOLD' }]);
});

// Undated purchases and an override of one member sent at once (a till's two sales and a desk's
// override): each is dated when its turn comes, so none is dated before a change already written.
// Dated at arrival and then waiting behind the override's lock, a purchase was a late fact, the
// history was rebuilt from its instant and the override recorded again (4 pushes for 3 writes).
it('undated purchases and an override at once: none is a late fact, nothing is superseded, the history chains', async () => {
  const service = await s.token('service');
  const members: string[] = [];
  for (let round = 0; round < 10; round++) {
    const m = await registerMember(s);
    members.push(m);
    const writes = [
      s.gql(PURCHASE, { input: { memberId: m, orderId: `race-a-${m}`, amount: 1000 } }, service),
      s.gql(PURCHASE, { input: { memberId: m, orderId: `race-b-${m}`, amount: 16000 } }, service),
      new Promise((resolve) => setTimeout(resolve, 3)).then(() => s.gql(SET_TIER, { m, t: 'GOLD' }, admin)),
    ];
    expect((await Promise.all(writes)).filter((a) => a.errors)).toEqual([]);
  }
  expect(await s.sql(`select member_id from tier_change where superseded_at is not null and member_id = any($1::uuid[])`, [members])).toEqual([]);
  const breaks = await s.sql(`with c as (
      select member_id, from_tier_id, lag(to_tier_id) over (partition by member_id order by occurred_at, id) as before
      from tier_change where member_id = any($1::uuid[]))
    select member_id from c where before is not null and from_tier_id is distinct from before`, [members]);
  expect(breaks).toEqual([]);
});
