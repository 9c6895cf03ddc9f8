// programStats is one instant's picture: its totals add up while members register and buy.
import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, REGISTER } from '../support/fixtures';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  await createLadder(s);
});
afterAll(() => s?.stop());

const STATS = '{ programStats { members byTier { count } byStage { count } } }';
type Stats = { members: number; byTier: { count: number }[]; byStage: { count: number }[] };
const sum = (rows: { count: number }[]) => rows.reduce((a, r) => a + r.count, 0);

describe('programStats on a programme without members', () => {
  it('lists every tier and every lifecycle stage, each with 0', async () => {
    const res = await s.gql<{ programStats: { members: number; byTier: { count: number }[]; byStage: { stage: string; count: number }[] } }>(
      '{ programStats { members byTier { count } byStage { stage count } } }', {}, await s.token('admin'));
    expect(res.errors).toBeUndefined();
    const stats = res.data!.programStats;
    expect(stats.members).toBe(0);
    expect(stats.byTier.length).toBeGreaterThan(0);
    expect(stats.byTier.every((t) => t.count === 0)).toBe(true);
    expect(stats.byStage).toEqual(['PROSPECT', 'NEW', 'ACTIVE', 'AT_RISK', 'DORMANT', 'CHURNED', 'REACTIVATED'].map((stage) => ({ stage, count: 0 })));
  });
});

describe('programStats under concurrent registrations', () => {
  it('members = Σ byTier = Σ byStage in every answer, as of one snapshot', async () => {
    const admin = await s.token('admin');
    const service = await s.token('service');
    let registering = true;
    const registrations = (async () => {
      for (let round = 0; round < 40; round++) {
        await Promise.all(Array.from({ length: 8 }, (_, i) => s.gql(REGISTER, { input: { externalId: `snap-${round}-${i}` } }, service)));
      }
      registering = false;
    })();
    const answers: Stats[] = [];
    while (registering) {
      const res = await s.gql<{ programStats: Stats }>(STATS, {}, admin);
      if (res.errors) throw new Error(JSON.stringify(res.errors));
      answers.push(res.data!.programStats);
    }
    await registrations;
    expect(answers.length).toBeGreaterThan(10);
    const off = answers.filter((a) => sum(a.byTier) !== a.members || sum(a.byStage) !== a.members);
    expect(off).toEqual([]);
  }, 180_000); // 320 registrations beside the reads: 25 s here, nearer the default minute on a loaded machine
});
