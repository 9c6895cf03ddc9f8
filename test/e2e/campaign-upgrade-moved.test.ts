// A TIER_UPGRADE campaign rewards an upgrade once. A store back end syncing late posts a
// purchase dated before an upgrade already recorded and rewarded: the member's history is rebuilt,
// the recorded upgrade superseded and the same upgrade recorded at its earlier instant. It is
// one upgrade: the campaign's award stands for it, and no second award is given (it gave again
// at every such move). Found by the campaign model, probes/upgrade-rebuild.mjs and SHUFFLE=1.
import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';

let s: TestServer;
let n = 0;
const key = (p: string) => `${p}-${++n}`;
const HOUR = 3600_000;
const ago = (h: number) => new Date(Date.now() - h * HOUR).toISOString();

beforeAll(async () => {
  s = await startTestServer();
  await createLadder(s); // SILVER at 1000 qualifying points
  await s.admin('mutation { upsertActivityRule(input: { kind: "EVENT", name: "Event", points: 5, qualifyingPoints: 400, dailyCap: null }) { kind } }');
});
afterAll(() => s?.stop());

const PURCHASE = `mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { bonusPoints tierChange { toTier { code } } } }`;
const ACTIVITY = `mutation($i: RecordActivityInput!) { recordActivity(input: $i) { pointsEarned tierChange { toTier { code } } } }`;
const STATE = `query($id: ID!, $code: String!) { member(id: $id) { tier { code } tierHistory { kind toTier { code } }
  pointsHistory(first: 50) { edges { node { type amount } } } } campaign(code: $code) { pointsGiven budgetSpent } }`;

/**
 * Ends the campaigns before it, then starts this one, for the members of region `code` alone (an
 * ended campaign still rewards an upgrade a late fact dates back into its time: each test's own
 * applies alone by its audience).
 */
async function upgradeCampaign(code: string): Promise<void> {
  const { campaigns } = await s.admin<{ campaigns: { code: string; status: string }[] }>('{ campaigns { code status } }');
  for (const c of campaigns.filter((x) => x.status === 'ACTIVE')) await s.admin(`mutation($c: String!) { endCampaign(code: $c) { status } }`, { c: c.code });
  await s.admin(`mutation($i: CampaignInput!) { upsertCampaign(input: $i) { code } }`, {
    i: { code, name: code, trigger: 'TIER_UPGRADE', startsAt: ago(24 * 7), bonusPoints: 300, budgetPoints: 10_000, controlPercent: 0, audience: { regions: [code] } },
  });
  await s.admin(`mutation($c: String!) { activateCampaign(code: $c) { status } }`, { c: code });
}
const purchase = (memberId: string, amount: number, occurredAt?: string) =>
  s.admin(PURCHASE, { i: { memberId, orderId: key('o'), amount, ...(occurredAt ? { occurredAt } : {}) } }).then((d) => d.recordPurchase);
interface State {
  member: { tierHistory: unknown[]; pointsHistory: { edges: { node: { type: string; amount: number } }[] } };
  campaign: { pointsGiven: number; budgetSpent: number };
}
const stateOf = (id: string, code: string) => s.admin<State>(STATE, { id, code });
const bonuses = (state: State) => state.member.pointsHistory.edges.filter((e) => e.node.type === 'BONUS').map((e) => e.node.amount);

it('a backdated purchase that moves the upgrade earlier gives no second upgrade award', async () => {
  await upgradeCampaign('MOVED_UP');
  const m = await registerMember(s, { externalId: key('m'), joinedAt: ago(24 * 30), region: 'MOVED_UP' });
  expect(await purchase(m, 800, ago(48))).toMatchObject({ bonusPoints: 0, tierChange: null });
  expect(await purchase(m, 300)).toMatchObject({ bonusPoints: 300, tierChange: { toTier: { code: 'SILVER' } } }); // upgraded now: rewarded
  // The till's offline sale of yesterday arrives: the upgrade happened yesterday, once.
  expect(await purchase(m, 300, ago(24))).toMatchObject({ bonusPoints: 0, tierChange: { toTier: { code: 'SILVER' } } });
  const state = await stateOf(m, 'MOVED_UP');
  expect(state.member.tierHistory).toEqual([{ kind: 'UPGRADE', toTier: { code: 'SILVER' } }]);
  expect(bonuses(state)).toEqual([300]);
  expect(state.campaign).toEqual({ pointsGiven: 300, budgetSpent: 300 });
  // and simulateCampaign over the same period says the same (it counts upgrades not superseded)
  const sim = await s.admin(`query($i: CampaignInput!, $f: DateTime!, $t: DateTime!) { simulateCampaign(input: $i, from: $f, to: $t) { pointsWouldGive } }`, {
    i: { code: 'MOVED_UP', name: 'MOVED_UP', trigger: 'TIER_UPGRADE', startsAt: ago(24 * 7), bonusPoints: 300, controlPercent: 0, audience: { tierCodes: ['SILVER'] } },
    f: ago(24 * 7), t: new Date().toISOString(),
  });
  expect(sim.simulateCampaign.pointsWouldGive).toBe(300);
});

it('the same through a backdated activity', async () => {
  await upgradeCampaign('MOVED_UP_ACTIVITY');
  const m = await registerMember(s, { externalId: key('m'), joinedAt: ago(24 * 30), region: 'MOVED_UP_ACTIVITY' });
  await purchase(m, 700, ago(48));
  expect(await purchase(m, 400)).toMatchObject({ bonusPoints: 300, tierChange: { toTier: { code: 'SILVER' } } });
  const a = await s.admin(ACTIVITY, { i: { memberId: m, kind: 'EVENT', idempotencyKey: key('a'), occurredAt: ago(24) } });
  expect(a.recordActivity.tierChange).toEqual({ toTier: { code: 'SILVER' } });
  const state = await stateOf(m, 'MOVED_UP_ACTIVITY');
  expect(state.member.tierHistory).toEqual([{ kind: 'UPGRADE', toTier: { code: 'SILVER' } }]);
  expect(bonuses(state)).toEqual([300]);
  expect(state.campaign).toEqual({ pointsGiven: 300, budgetSpent: 300 });
});

it('an upgrade moved twice (two late facts) is still rewarded once', async () => {
  await upgradeCampaign('MOVED_TWICE');
  const m = await registerMember(s, { externalId: key('m'), joinedAt: ago(24 * 30), region: 'MOVED_TWICE' });
  const activity = (occurredAt?: string) => s.admin(ACTIVITY, { i: { memberId: m, kind: 'EVENT', idempotencyKey: key('a'), ...(occurredAt ? { occurredAt } : {}) } });
  await activity();
  expect(await purchase(m, 700)).toMatchObject({ bonusPoints: 300, tierChange: { toTier: { code: 'SILVER' } } }); // 1100 now
  expect(await purchase(m, 650, ago(24))).toMatchObject({ bonusPoints: 0 }); // the upgrade moves to the activity's instant
  expect((await activity(ago(12))).recordActivity.tierChange).toEqual({ toTier: { code: 'SILVER' } }); // and again, 12 h ago
  const state = await stateOf(m, 'MOVED_TWICE');
  expect(state.member.tierHistory).toEqual([{ kind: 'UPGRADE', toTier: { code: 'SILVER' } }]);
  expect(bonuses(state)).toEqual([300]);
  expect(state.campaign).toEqual({ pointsGiven: 300, budgetSpent: 300 });
});

it('a member upgraded into the same tier again after a downgrade is rewarded again', async () => {
  await upgradeCampaign('AGAIN');
  const m = await registerMember(s, { externalId: key('m'), joinedAt: ago(24 * 30), region: 'AGAIN' });
  expect((await purchase(m, 1000)).bonusPoints).toBe(300); // SILVER
  await s.admin(`mutation($m: ID!) { setMemberTier(memberId: $m, tierCode: "BRONZE", reason: "test: back to the entry tier") { tier { code } } }`, { m });
  expect(await purchase(m, 10)).toMatchObject({ bonusPoints: 300, tierChange: { toTier: { code: 'SILVER' } } });
  expect((await stateOf(m, 'AGAIN')).campaign).toEqual({ pointsGiven: 600, budgetSpent: 600 });
});

it('a member upgraded twice into different tiers is rewarded for each', async () => {
  await upgradeCampaign('TWO_UPGRADES');
  const m = await registerMember(s, { externalId: key('m'), joinedAt: ago(24 * 30), region: 'TWO_UPGRADES' });
  expect((await purchase(m, 1000)).bonusPoints).toBe(300); // SILVER
  expect((await purchase(m, 4000)).bonusPoints).toBe(300); // GOLD
  expect((await stateOf(m, 'TWO_UPGRADES')).campaign).toEqual({ pointsGiven: 600, budgetSpent: 600 });
});

// The window [startsAt, endsAt) judges the upgrade's instant. A backdated purchase that tips a
// later purchase's window upgrades the member at that later purchase: a campaign running then
// rewards it, though the backdated purchase itself is dated before the campaign began.
it('a backdated purchase before the window whose upgrade is dated inside it is rewarded', async () => {
  const { campaigns } = await s.admin<{ campaigns: { code: string; status: string }[] }>('{ campaigns { code status } }');
  for (const c of campaigns.filter((x) => x.status === 'ACTIVE')) await s.admin(`mutation($c: String!) { endCampaign(code: $c) { status } }`, { c: c.code });
  const input = { code: 'UPGRADE_WEEKEND', name: 'Upgrade weekend', trigger: 'TIER_UPGRADE', startsAt: ago(24), bonusPoints: 250, controlPercent: 0, audience: { regions: ['WKND'] } };
  await s.admin(`mutation($i: CampaignInput!) { upsertCampaign(input: $i) { code } }`, { i: input });
  await s.admin(`mutation($c: String!) { activateCampaign(code: $c) { status } }`, { c: 'UPGRADE_WEEKEND' });
  const m = await registerMember(s, { externalId: key('m'), joinedAt: ago(24 * 30), region: 'WKND' });
  expect(await purchase(m, 900, ago(10))).toMatchObject({ bonusPoints: 0, tierChange: null });
  const late = await s.admin(`mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { bonusPoints tierChange { toTier { code } occurredAt } } }`,
    { i: { memberId: m, orderId: key('o'), amount: 150, occurredAt: ago(48) } });
  expect(late.recordPurchase.tierChange.toTier.code).toBe('SILVER');
  expect(Date.parse(late.recordPurchase.tierChange.occurredAt)).toBeGreaterThan(Date.now() - 24 * HOUR); // dated at the later purchase
  expect(late.recordPurchase.bonusPoints).toBe(250);
  expect((await stateOf(m, 'UPGRADE_WEEKEND')).campaign).toEqual({ pointsGiven: 250, budgetSpent: 250 });
  const sim = await s.admin(`query($i: CampaignInput!, $f: DateTime!, $t: DateTime!) { simulateCampaign(input: $i, from: $f, to: $t) { pointsWouldGive } }`,
    { i: input, f: input.startsAt, t: new Date().toISOString() });
  expect(sim.simulateCampaign.pointsWouldGive).toBe(250);
});
