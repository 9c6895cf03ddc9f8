import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';

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
