import { startTestServer, type TestServer } from '../support/harness';
import { createLadder } from '../support/fixtures';

// A change and its audit entry carry one instant: the entry is dated by the writing
// transaction's start, as the benefit version it records is (changed_at, which decides which
// version a purchase dated then earned under).
let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  await createLadder(s);
}, 120_000);
afterAll(() => s.stop());

const UPSERT = `mutation($i: BenefitInput!) { upsertBenefit(input: $i) { code version history { version changedAt } } }`;
const ENTRIES = `query($id: String!) { auditEntries(filter: { entity: "Benefit", entityId: $id }) { edges { node { action at } } } }`;

it('a benefit version and its audit entry have the same instant', async () => {
  const input = { code: 'AUDIT_INSTANT', name: 'Double', kind: 'POINTS_MULTIPLIER', value: 1, tierCodes: ['GOLD'] };
  await s.admin(UPSERT, { i: input });
  const { upsertBenefit } = await s.admin<{ upsertBenefit: { history: { version: number; changedAt: string }[] } }>(UPSERT, { i: { ...input, value: 2 } });
  const versions = new Map(upsertBenefit.history.map((v) => [v.version, v.changedAt]));
  const edges = (await s.admin(ENTRIES, { id: 'AUDIT_INSTANT' })).auditEntries.edges as { node: { action: string; at: string } }[];
  const byAction = new Map(edges.map((e) => [e.node.action, e.node.at]));
  expect(byAction.get('benefit.create')).toBe(versions.get(1));
  expect(byAction.get('benefit.update')).toBe(versions.get(2));
});
