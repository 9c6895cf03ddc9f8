/**
 * An admin adds a tier between two others, or moves one, through upsertTier (keyed by code, with
 * a rank): a rank another tier holds makes room (tiers.rules.ts placeAtRank). The ladder must
 * still rise with rank; a refused change moves nothing.
 */
import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  await createLadder(s);
});
afterAll(() => s.stop());

const UPSERT = 'mutation($i: TierInput!) { upsertTier(input: $i) { code rank } }';
const ladder = async () => (await s.admin<{ tiers: { code: string; rank: number }[] }>('{ tiers { code rank } }')).tiers.map((t) => `${t.rank}:${t.code}`);
const tierAudits = async () => (await s.admin<{ auditLog: { action: string; entityId: string }[] }>('{ auditLog(entity: "Tier", first: 100) { action entityId } }')).auditLog;

it('a new tier at an occupied rank goes between two: those above it move up one, each move audited', async () => {
  const member = await registerMember(s, { joinedAt: new Date(Date.now() - 30 * 86_400_000).toISOString() });
  await s.admin('mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }', { i: { memberId: member, orderId: 'ins-1', amount: 1200 } });
  const audits = (await tierAudits()).length;
  const res = await s.admin(UPSERT, { i: { code: 'SILVER_PLUS', name: 'Silver Plus', rank: 2, qualifyingPoints: 3000, retainPoints: 2500, pointsMultiplier: 1.4 } });
  expect(res.upsertTier).toEqual({ code: 'SILVER_PLUS', rank: 2 });
  expect(await ladder()).toEqual(['0:BRONZE', '1:SILVER', '2:SILVER_PLUS', '3:GOLD', '4:PLATINUM']);
  const entries = (await tierAudits()).slice(0, (await tierAudits()).length - audits);
  expect(entries.map((e) => `${e.action} ${e.entityId}`).sort()).toEqual(['tier.create SILVER_PLUS', 'tier.update GOLD', 'tier.update PLATINUM']);
  // The member app shows the new next tier, and a purchase that reaches it upgrades there.
  const { member: m } = await s.admin('query($id: ID!) { member(id: $id) { tier { code } tierProgress { nextTier { code } pointsToNextTier } } }', { id: member });
  expect(m).toEqual({ tier: { code: 'SILVER' }, tierProgress: { nextTier: { code: 'SILVER_PLUS' }, pointsToNextTier: 1800 } });
  const up = await s.admin('mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { tierChange { kind toTier { code } } } }', { i: { memberId: member, orderId: 'ins-2', amount: 1900 } });
  expect(up.recordPurchase.tierChange).toEqual({ kind: 'UPGRADE', toTier: { code: 'SILVER_PLUS' } });
});

it('a tier given another rank moves there, those it passes moving by one', async () => {
  await s.admin(UPSERT, { i: { code: 'SILVER_PLUS', name: 'Silver Plus', rank: 1, qualifyingPoints: 500, retainPoints: 400, pointsMultiplier: 1.1 } });
  expect(await ladder()).toEqual(['0:BRONZE', '1:SILVER_PLUS', '2:SILVER', '3:GOLD', '4:PLATINUM']);
});

it('a place the thresholds do not fit, or a rank beyond the ladder, is refused and moves nothing', async () => {
  const audits = (await tierAudits()).length;
  const wrong = await s.gql(UPSERT, { i: { code: 'MID', name: 'Mid', rank: 2, qualifyingPoints: 9000, retainPoints: 9000 } }, await s.token('admin'));
  expect(wrong.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'qualifyingPoints' });
  const gap = await s.gql(UPSERT, { i: { code: 'MID', name: 'Mid', rank: 7, qualifyingPoints: 90000, retainPoints: 90000 } }, await s.token('admin'));
  expect(gap.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'rank' });
  expect(await ladder()).toEqual(['0:BRONZE', '1:SILVER_PLUS', '2:SILVER', '3:GOLD', '4:PLATINUM']);
  expect((await tierAudits()).length).toBe(audits);
});
