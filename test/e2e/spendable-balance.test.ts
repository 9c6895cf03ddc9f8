// Segments select and export by the balance a member sees (pointsBalance: spendable now), not the
// ledger's, and programStats' liability is what members hold: pending points in, lots past their
// expiry that no expiry run has taken yet out.
import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';
import { PURCHASE } from '../support/ledger';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  await createLadder(s);
  await s.admin('mutation { updateProgram(input: { pointsExpiryMonths: 24, pointsPendingDays: 0 }) { pointsExpiryMonths } }');
});
afterAll(() => s?.stop());

const DAY = 86_400_000;
const POINTS = 'query($id: ID!) { member(id: $id) { pointsBalance pendingPoints } }';
const PREVIEW = `query($f: SegmentFilterInput!) { segmentPreview(filter: $f) { size members(first: 50) { edges { node { id } } } } }`;

it('a pending member and one whose points are past their expiry hold 0 for segments, and the liability counts only what is held', async () => {
  const service = await s.token('service');
  const admin = await s.token('admin');
  const expired = await registerMember(s, { externalId: 'sb-expired', region: 'SpendLand' });
  const pending = await registerMember(s, { externalId: 'sb-pending', region: 'SpendLand' });
  const plain = await registerMember(s, { externalId: 'sb-plain', region: 'SpendLand' });

  // 80 points earned 30 months ago: the lot expired 6 months ago, and no expiry run has taken it.
  const old = await s.gql(PURCHASE, { input: { memberId: expired, orderId: 'sb-o1', amount: 80, occurredAt: new Date(Date.now() - 913 * DAY).toISOString() } }, service);
  expect(old.errors).toBeUndefined();
  expect((await s.gql(PURCHASE, { input: { memberId: plain, orderId: 'sb-o2', amount: 60 } }, service)).errors).toBeUndefined();
  try {
    await s.admin('mutation { updateProgram(input: { pointsPendingDays: 14 }) { pointsPendingDays } }');
    expect((await s.gql(PURCHASE, { input: { memberId: pending, orderId: 'sb-o3', amount: 100 } }, service)).errors).toBeUndefined();
  } finally {
    await s.admin('mutation { updateProgram(input: { pointsPendingDays: 0 }) { pointsPendingDays } }');
  }

  const held = async (id: string) => (await s.gql<{ member: { pointsBalance: number; pendingPoints: number } }>(POINTS, { id }, admin)).data!.member;
  expect(await held(expired)).toEqual({ pointsBalance: 0, pendingPoints: 0 });
  expect(await held(pending)).toEqual({ pointsBalance: 0, pendingPoints: 100 });
  expect(await held(plain)).toEqual({ pointsBalance: 60, pendingPoints: 0 });

  const selected = async (f: Record<string, unknown>) => {
    const res = await s.gql<{ segmentPreview: { size: number; members: { edges: { node: { id: string } }[] } } }>(PREVIEW, { f: { regions: ['SpendLand'], ...f } }, admin);
    expect(res.errors).toBeUndefined();
    const ids = res.data!.segmentPreview.members.edges.map((e) => e.node.id).sort();
    expect(res.data!.segmentPreview.size).toBe(ids.length);
    return ids;
  };
  expect(await selected({ minBalance: 50 })).toEqual([plain]);
  expect(await selected({ minBalance: 1 })).toEqual([plain]);
  expect(await selected({ maxBalance: 0 })).toEqual([expired, pending].sort());
  expect(await selected({ minBalance: 0, maxBalance: 60 })).toEqual([expired, pending, plain].sort());

  const { saveSegment } = await s.admin(`mutation($i: SegmentInput!) { saveSegment(input: $i) { id } }`, { i: { name: 'spendable', filter: { regions: ['SpendLand'] } } });
  const res = await fetch(`${s.url}/exports/segments/${saveSegment.id}.csv`, { headers: { authorization: `Bearer ${admin}` } });
  expect(res.status).toBe(200);
  const [header, ...rows] = (await res.text()).trim().split('\n').map((line) => line.split(','));
  const balanceOf = new Map(rows.map((r) => [r[header.indexOf('id')], r[header.indexOf('balance')]]));
  expect(Object.fromEntries(balanceOf)).toEqual({ [expired]: '0', [pending]: '0', [plain]: '60' });

  // What members hold, each as its own screen shows it: Σ (pointsBalance + pendingPoints) = 160; the ledger holds 240.
  const { programStats } = await s.admin('{ programStats { pointsLiability } }');
  expect(programStats.pointsLiability).toBe(160);

  // Once the expiry run has taken the old lot, the ledger agrees.
  await s.admin(`mutation($at: DateTime!) { expirePoints(asOf: $at) { processed } }`, { at: new Date().toISOString() });
  expect((await s.admin('{ programStats { pointsLiability } }')).programStats.pointsLiability).toBe(160);
});
