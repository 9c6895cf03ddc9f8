import { startTestServer, type TestServer } from '../support/harness';
import { createLadder } from '../support/fixtures';

// Issue 18, item 12: the first upsertBenefit of a code, sent many times at once.
let s: TestServer;
let admin: string;
const UPSERT = `mutation($i: BenefitInput!) { upsertBenefit(input: $i) { code version name } }`;

beforeAll(async () => {
  s = await startTestServer();
  admin = await s.token('admin');
  await createLadder(s);
  // Warm up (schema, pool) so that the requests below really arrive together.
  await Promise.all(Array.from({ length: 10 }, (_, i) => s.admin(UPSERT, { i: { code: `WARM_${i}`, name: 'Warm', kind: 'WARM', tierCodes: [] } })));
});
afterAll(() => s.stop());

const history = async (code: string) =>
  s.sql<{ version: number; name: string }>(`select version, snapshot->>'name' as name from benefit_version where code = $1 order by version`, [code]);

describe('concurrent first upsertBenefit of one code', () => {
  it('ten identical requests at once: all succeed, one benefit, one version', async () => {
    const input = { code: 'RACE_SAME', name: 'Lounge', kind: 'LOUNGE', tierCodes: ['GOLD'] };
    const answers = await Promise.all(Array.from({ length: 10 }, () => s.gql(UPSERT, { i: input }, admin)));
    expect(answers.map((a) => a.errors ?? null)).toEqual(Array(10).fill(null));
    expect(answers.map((a) => a.data!.upsertBenefit.version)).toEqual(Array(10).fill(1));
    expect(await history('RACE_SAME')).toEqual([{ version: 1, name: 'Lounge' }]);
    expect(await s.sql(`select count(*)::int as n from benefit where code = 'RACE_SAME'`)).toEqual([{ n: 1 }]);
  });

  it('ten different requests at once: all succeed, each a version of its own, the last one stored', async () => {
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) =>
      s.gql(UPSERT, { i: { code: 'RACE_DIFF', name: `Lounge ${i}`, kind: 'LOUNGE', tierCodes: ['GOLD'] } }, admin)));
    expect(answers.map((a) => a.errors ?? null)).toEqual(Array(10).fill(null));
    const versions = answers.map((a) => a.data!.upsertBenefit.version).sort((a, b) => a - b);
    expect(versions).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const stored = await history('RACE_DIFF');
    expect(stored.map((v) => v.version)).toEqual(versions);
    // Each answer is the version its request made.
    for (const a of answers) expect(stored[a.data!.upsertBenefit.version - 1].name).toBe(a.data!.upsertBenefit.name);
    const [{ name }] = await s.sql(`select name from benefit where code = 'RACE_DIFF'`);
    expect(name).toBe(stored[9].name);
    const audit = await s.sql(`select action from audit_entry where entity = 'Benefit' and entity_id = 'RACE_DIFF' order by action`);
    expect(audit.map((r) => r.action)).toEqual(['benefit.create', ...Array(9).fill('benefit.update')]);
  });
});

const UPSERT_HISTORY = `mutation($i: BenefitInput!) { upsertBenefit(input: $i) { code version history { version changedAt } } }`;
const ENTRIES = `query($id: String!) { auditEntries(filter: { entity: "Benefit", entityId: $id }) { edges { node { action at } } } }`;

// A change and its audit entry carry one instant: the entry is dated by the writing transaction's
// start, as the benefit version it records is (changed_at decides which version a purchase dated then earned under).
it('a benefit version and its audit entry have the same instant', async () => {
  const input = { code: 'AUDIT_INSTANT', name: 'Double', kind: 'POINTS_MULTIPLIER', value: 1, tierCodes: ['GOLD'] };
  await s.admin(UPSERT_HISTORY, { i: input });
  const { upsertBenefit } = await s.admin<{ upsertBenefit: { history: { version: number; changedAt: string }[] } }>(UPSERT_HISTORY, { i: { ...input, value: 2 } });
  const versions = new Map(upsertBenefit.history.map((v) => [v.version, v.changedAt]));
  const edges = (await s.admin(ENTRIES, { id: 'AUDIT_INSTANT' })).auditEntries.edges as { node: { action: string; at: string } }[];
  const byAction = new Map(edges.map((e) => [e.node.action, e.node.at]));
  expect(byAction.get('benefit.create')).toBe(versions.get(1));
  expect(byAction.get('benefit.update')).toBe(versions.get(2));
});
