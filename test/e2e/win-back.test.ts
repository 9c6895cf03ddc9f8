import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';
import { seededRandom } from '../../seeds/random';

// winBackCandidates (docs/retention.md, "Win-back"): every member whose churn risk is at least
// 0.5, ranked by 365-day net spend × P(alive). A lapsed buyer, whose purchases are all older than
// 365 days (spend 0 in the window), is a candidate too: the last ones, not left out.
let s: TestServer;
const DAY = 86_400_000;
const AS_OF = Date.parse('2026-06-01T00:00:00.000Z');
const at = (daysBefore: number) => new Date(AS_OF - daysBefore * DAY + 12 * 3600_000).toISOString();

beforeAll(async () => {
  s = await startTestServer();
  const service = await s.token('service');
  await createLadder(s);
  const rand = seededRandom(11);
  const buy = async (memberId: string, orderId: string, amount: number, daysBefore: number) => {
    const res = await s.gql(`mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }`,
      { i: { memberId, orderId, amount, occurredAt: at(daysBefore) } }, service);
    if (res.errors) throw new Error(JSON.stringify(res.errors));
  };
  for (let i = 0; i < 40; i++) {
    const id = await registerMember(s, { joinedAt: new Date(AS_OF - 800 * DAY).toISOString() });
    // a third lapsed more than a year ago, the others buying on until recently or a few months ago
    const stop = i % 3 === 0 ? 380 + Math.floor(rand() * 200) : Math.floor(rand() * 200);
    for (let d = 760 - Math.floor(rand() * 60), k = 0; d > stop; d -= 15 + Math.floor(rand() * 60), k++) {
      await buy(id, `wb-${i}-${k}`, 20 + Math.floor(rand() * 200), d);
    }
  }
  const res = await s.admin(`mutation($a: DateTime!) { refreshRetention(asOf: $a) { processed } }`, { a: new Date(AS_OF).toISOString() });
  expect(res.refreshRetention.processed).toBe(40);
}, 180_000);
afterAll(() => s.stop());

it('lists every member at churn risk 0.5 or more, by value, lapsed buyers (no spend in 365 days) last', async () => {
  const data = await s.admin(`{ members(first: 100) { edges { node { id churnRisk aliveProbability rfm { monetary } } } }
    winBackCandidates(first: 100) { id } }`);
  type Row = { id: string; churnRisk: number; aliveProbability: number; rfm: { monetary: number } };
  const members: Row[] = data.members.edges.map((e: { node: Row }) => e.node);
  const atRisk = members.filter((m) => m.churnRisk >= 0.5);
  const lapsed = atRisk.filter((m) => m.rfm.monetary === 0);
  expect(lapsed.length).toBeGreaterThan(0);
  expect(atRisk.length).toBeLessThan(members.length);
  const expected = [...atRisk].sort((p, q) => q.rfm.monetary * q.aliveProbability - p.rfm.monetary * p.aliveProbability || (p.id < q.id ? -1 : 1));
  expect(data.winBackCandidates.map((m: { id: string }) => m.id)).toEqual(expected.map((m) => m.id));
});

it('pages on after the last member of a page: every candidate once, in order; an after it cannot place is BAD_USER_INPUT', async () => {
  const all: string[] = (await s.admin(`{ winBackCandidates(first: 100) { id } }`)).winBackCandidates.map((m: { id: string }) => m.id);
  expect(all.length).toBeGreaterThan(6);
  const paged: string[] = [];
  let after: string | null = null;
  for (let i = 0; i < 50; i++) {
    const page: { id: string }[] = (await s.admin(`query($a: ID) { winBackCandidates(first: 3, after: $a) { id } }`, { a: after })).winBackCandidates;
    paged.push(...page.map((m) => m.id));
    if (page.length < 3) break;
    after = page[page.length - 1].id;
  }
  expect(paged).toEqual(all);
  // after the last candidate: nothing; after a member ranked but not a candidate: the candidates ranked below it
  expect((await s.admin(`query($a: ID) { winBackCandidates(after: $a) { id } }`, { a: all[all.length - 1] })).winBackCandidates).toEqual([]);

  const fresh = await registerMember(s);
  for (const a of ['not-an-id', fresh, '00000000-0000-4000-8000-000000000000']) {
    const res = await s.gql(`query($a: ID) { winBackCandidates(after: $a) { id } }`, { a }, await s.token('admin'));
    expect(res.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'after' } });
  }
});
