import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';

// A request may hold several mutations: GraphQL runs them one after another, and each answers
// with what stands after its own write, never with what an earlier one in the request read
// (the request's loaders and entity cache are forgotten before each mutation: src/api/fresh-mutations.ts).
let s: TestServer;
let id: string;

beforeAll(async () => {
  s = await startTestServer();
  await createLadder(s);
  id = await registerMember(s, { externalId: 'multi-1', displayName: 'Before' });
}, 120_000);
afterAll(() => s.stop());

it('each of two purchases in one request answers with the balance, lifetime points and progress after it', async () => {
  const data = await s.gql(`mutation($id: ID!) {
    a: recordPurchase(input: { memberId: $id, orderId: "multi-o1", amount: 600 }) { pointsEarned member { pointsBalance lifetimePoints tier { code } tierProgress { qualifyingPoints } } }
    b: recordPurchase(input: { memberId: $id, orderId: "multi-o2", amount: 600 }) { pointsEarned member { pointsBalance lifetimePoints tier { code } tierProgress { qualifyingPoints } } }
  }`, { id }, await s.token('service'));
  expect(data.errors).toBeUndefined();
  expect(data.data!.a.member).toEqual({ pointsBalance: 600, lifetimePoints: 600, tier: { code: 'BRONZE' }, tierProgress: { qualifyingPoints: 600 } });
  expect(data.data!.b.member).toEqual({ pointsBalance: 1200, lifetimePoints: 1200, tier: { code: 'SILVER' }, tierProgress: { qualifyingPoints: 1200 } });
});

it('tags, tier overrides and profile edits in one request each answer with the member after their own write', async () => {
  const data = await s.admin(`mutation($id: ID!) {
    a: tagMember(memberId: $id, tagCode: "multi_t1") { tags { code } displayName }
    b: updateMember(memberId: $id, patch: { displayName: "After" }) { displayName }
    c: tagMember(memberId: $id, tagCode: "multi_t2") { tags { code } displayName }
    d: setMemberTier(memberId: $id, tierCode: "GOLD", reason: "multi a") { tier { code } tierProgress { nextTier { code } } }
    e: setMemberTier(memberId: $id, tierCode: "PLATINUM", reason: "multi b") { tier { code } tierProgress { nextTier { code } } }
    f: untagMember(memberId: $id, tagCode: "multi_t1") { tags { code } }
    g: untagMember(memberId: $id, tagCode: "multi_t2") { tags { code } }
  }`, { id });
  expect(data.a).toEqual({ tags: [{ code: 'multi_t1' }], displayName: 'Before' });
  expect(data.b).toEqual({ displayName: 'After' });
  expect(data.c.displayName).toBe('After');
  expect(data.c.tags.map((t: { code: string }) => t.code).sort()).toEqual(['multi_t1', 'multi_t2']);
  expect(data.d).toEqual({ tier: { code: 'GOLD' }, tierProgress: { nextTier: { code: 'PLATINUM' } } });
  expect(data.e).toEqual({ tier: { code: 'PLATINUM' }, tierProgress: { nextTier: null } });
  expect(data.f).toEqual({ tags: [{ code: 'multi_t2' }] });
  expect(data.g).toEqual({ tags: [] });
  const now = await s.admin(`query($id: ID!) { member(id: $id) { displayName tier { code } tags { code } } }`, { id });
  expect(now.member).toEqual({ displayName: 'After', tier: { code: 'PLATINUM' }, tags: [] });
});

it('a tier renamed or created by an earlier mutation of the request is the one a later mutation answers with', async () => {
  const other = await registerMember(s, { externalId: 'multi-2' });
  const data = await s.admin(`mutation($a: ID!, $b: ID!) {
    a: setMemberTier(memberId: $a, tierCode: "GOLD", reason: "ladder a") { tier { name } }
    t: upsertTier(input: { code: "GOLD", name: "Gold Renamed", rank: 2, qualifyingPoints: 5000, retainPoints: 4000, pointsMultiplier: 1.5 }) { name }
    n: upsertTier(input: { code: "DIAMOND", name: "Diamond", rank: 4, qualifyingPoints: 30000, retainPoints: 25000, pointsMultiplier: 2.5 }) { code }
    b: setMemberTier(memberId: $b, tierCode: "GOLD", reason: "ladder b") { tier { name } tierProgress { nextTier { code } } }
    c: setMemberTier(memberId: $a, tierCode: "DIAMOND", reason: "ladder c") { tier { name } }
  }`, { a: id, b: other });
  expect(data).toEqual({
    a: { tier: { name: 'Gold' } }, t: { name: 'Gold Renamed' }, n: { code: 'DIAMOND' },
    b: { tier: { name: 'Gold Renamed' }, tierProgress: { nextTier: { code: 'PLATINUM' } } }, c: { tier: { name: 'Diamond' } },
  });
});
