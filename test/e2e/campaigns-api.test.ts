import { controlArm } from '../../src/modules/campaigns/campaigns.rules';
import { expectError, startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';

// Campaigns' admin API (issue 24): definitions keyed by code, the lifecycle DRAFT → ACTIVE →
// PAUSED ↔ ACTIVE → ENDED, the arms assigned at activation and by the nightly re-evaluation.
const FIELDS = `id code name trigger status endedReason startsAt endsAt audience { regions tierCodes } activityKind minAmount bonusPoints
  multiplier rewardCode perMemberLimit budgetPoints pointsGiven controlPercent`;
const UPSERT = `mutation($i: CampaignInput!) { upsertCampaign(input: $i) { ${FIELDS} } }`;
const ACTIVATE = `mutation($c: String!) { activateCampaign(code: $c) { ${FIELDS} } }`;
const PAUSE = `mutation($c: String!) { pauseCampaign(code: $c) { ${FIELDS} } }`;
const END = `mutation($c: String!) { endCampaign(code: $c) { ${FIELDS} } }`;
const ONE = `query($c: String!) { campaign(code: $c) { ${FIELDS} } }`;
const REEVALUATE = `mutation($a: DateTime!) { reevaluateCampaigns(asOf: $a) { processed changed } }`;

const base = (code: string, extra: Record<string, unknown> = {}) => ({
  code, name: `Campaign ${code}`, trigger: 'PURCHASE', startsAt: '2026-01-01T00:00:00.000Z', endsAt: '2036-01-01T00:00:00.000Z', bonusPoints: 50, ...extra,
});

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  await createLadder(s);
});
afterAll(() => s?.stop());

/** Registers `n` members in `region`, twenty at a time; their ids. */
async function members(n: number, region: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i += 20) {
    ids.push(...await Promise.all(Array.from({ length: Math.min(20, n - i) }, () => registerMember(s, { region }))));
  }
  return ids;
}

const arms = (code: string) => s.sql<{ memberId: string; control: boolean }>(
  `select cm.member_id as "memberId", cm.control from campaign_member cm join campaign c on c.id = cm.campaign_id where c.code = $1 order by cm.member_id`, [code],
);
const auditOf = async (code: string) => (await s.sql<{ action: string; before: unknown; after: Record<string, unknown> }>(
  `select action, before, after from audit_entry where entity = 'Campaign' and entity_id = $1 order by id`, [code],
));
const campaignRow = async (code: string) => (await s.sql(`select * from campaign where code = $1`, [code]))[0];

describe('campaign definitions', () => {
  it('creates a DRAFT keyed by code, with the id md5(\'campaign:\' || code)::uuid; the same input again writes nothing', async () => {
    const created = (await s.admin(UPSERT, { i: base('spring', { minAmount: 19.99, multiplier: 1.5, perMemberLimit: 2, budgetPoints: 10000, audience: { regions: ['north'] } }) })).upsertCampaign;
    expect(created).toEqual({
      id: (await s.sql(`select md5('campaign:spring')::uuid::text as id`))[0].id, code: 'spring', name: 'Campaign spring', trigger: 'PURCHASE', status: 'DRAFT',
      endedReason: null, startsAt: '2026-01-01T00:00:00.000Z', endsAt: '2036-01-01T00:00:00.000Z', audience: { regions: ['north'], tierCodes: null },
      activityKind: null, minAmount: 19.99, bonusPoints: 50, multiplier: 1.5, rewardCode: null, perMemberLimit: 2, budgetPoints: 10000, pointsGiven: 0,
      controlPercent: 10,
    });
    expect((await campaignRow('spring')).min_amount_cents).toBe('1999');
    const again = (await s.admin(UPSERT, { i: base('spring', { minAmount: 19.99, multiplier: 1.5, perMemberLimit: 2, budgetPoints: 10000, audience: { regions: ['north'] } }) })).upsertCampaign;
    expect(again).toEqual(created);
    expect((await auditOf('spring')).map((e) => e.action)).toEqual(['campaign.create']);
    expect((await s.admin(ONE, { c: 'spring' })).campaign).toEqual(created);
    expect((await s.admin(ONE, { c: 'never-saved' })).campaign).toBeNull();
  });

  it('lists campaigns with their net points given, read for the whole list in one query', async () => {
    await s.admin(UPSERT, { i: base('listed-a') });
    await s.admin(UPSERT, { i: base('listed-b', { startsAt: '2026-02-01T00:00:00.000Z' }) });
    const { statements } = await s.countStatements(() => s.admin(`{ campaigns { code pointsGiven } }`));
    const list = (await s.admin<{ campaigns: { code: string; pointsGiven: number }[] }>(`{ campaigns { code pointsGiven } }`)).campaigns;
    expect(list.map((c) => c.code).indexOf('listed-b')).toBeLessThan(list.map((c) => c.code).indexOf('listed-a'));
    expect(list.every((c) => c.pointsGiven === 0)).toBe(true);
    expect(statements.filter((q) => /campaign_award/.test(q)).length).toBe(1);
  });
});

describe('activation and arms', () => {
  let north: string[];
  let south: string[];
  beforeAll(async () => {
    north = await members(240, 'north');
    south = await members(60, 'south');
  });

  it('assigns every member of the audience, and only them, to the arm campaign_control gives (controlArm agrees), about controlPercent % in control', async () => {
    const c = (await s.admin(UPSERT, { i: base('north-only', { audience: { regions: ['north'] }, controlPercent: 30 }) })).upsertCampaign;
    const active = (await s.admin(ACTIVATE, { c: 'north-only' })).activateCampaign;
    expect(active.status).toBe('ACTIVE');
    const rows = await arms('north-only');
    expect(rows.map((r) => r.memberId)).toEqual([...north].sort());
    expect(rows.every((r) => r.control === controlArm(c.id, r.memberId, 30))).toBe(true);
    const control = rows.filter((r) => r.control).length;
    expect(control / rows.length).toBeGreaterThan(0.2);
    expect(control / rows.length).toBeLessThan(0.4);
    expect(await s.sql(`select count(*)::int as n from campaign_member cm where cm.control <> campaign_control(cm.campaign_id, cm.member_id, 30) and cm.campaign_id = $1`, [c.id])).toEqual([{ n: 0 }]);
    expect((await campaignRow('north-only')).activated_at).not.toBeNull();
  });

  it('a null audience is every member (erased ones aside)', async () => {
    const c = (await s.admin(UPSERT, { i: base('everyone') })).upsertCampaign;
    await s.admin(ACTIVATE, { c: 'everyone' });
    const all = await s.sql<{ id: string }>(`select id::text from member where erased_at is null order by id`);
    const rows = await arms('everyone');
    expect(rows.map((r) => r.memberId)).toEqual(all.map((m) => m.id));
    expect(rows.length).toBeGreaterThanOrEqual(north.length + south.length);
    expect(rows.every((r) => r.control === controlArm(c.id, r.memberId, 10))).toBe(true);
  });

  it('activations at once assign once and are audited once', async () => {
    await s.admin(UPSERT, { i: base('raced', { audience: { regions: ['south'] } }) });
    const admin = await s.token('admin');
    const results = await Promise.all(Array.from({ length: 5 }, () => s.gql(ACTIVATE, { c: 'raced' }, admin)));
    expect(results.filter((r) => r.errors)).toEqual([]);
    expect(results.map((r) => r.data!.activateCampaign.status)).toEqual(Array(5).fill('ACTIVE'));
    expect((await arms('raced')).map((r) => r.memberId)).toEqual([...south].sort());
    expect((await auditOf('raced')).map((e) => e.action)).toEqual(['campaign.create', 'campaign.activate']);
    expect((await auditOf('raced'))[1].after).toMatchObject({ status: 'ACTIVE', assigned: south.length });
  });
});
