import pino from 'pino';
import { DEFAULT_JOBS, Scheduler } from '../../src/jobs/scheduler';
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
    const created = (await s.admin(UPSERT, { i: base('spring', { minAmount: 19.99, multiplier: 1.5, perMemberLimit: 2, budgetPoints: 10000, audience: { regions: ['north'], minBalance: 0 } }) })).upsertCampaign;
    expect(created).toEqual({
      id: (await s.sql(`select md5('campaign:spring')::uuid::text as id`))[0].id, code: 'spring', name: 'Campaign spring', trigger: 'PURCHASE', status: 'DRAFT',
      endedReason: null, startsAt: '2026-01-01T00:00:00.000Z', endsAt: '2036-01-01T00:00:00.000Z', audience: { regions: ['north'], tierCodes: null },
      activityKind: null, minAmount: 19.99, bonusPoints: 50, multiplier: 1.5, rewardCode: null, perMemberLimit: 2, budgetPoints: 10000, pointsGiven: 0,
      controlPercent: 10,
    });
    expect((await campaignRow('spring')).min_amount_cents).toBe('1999');
    const again = (await s.admin(UPSERT, { i: base('spring', { minAmount: 19.99, multiplier: 1.5, perMemberLimit: 2, budgetPoints: 10000, audience: { minBalance: 0, regions: ['north'] } }) })).upsertCampaign;
    expect(again).toEqual(created);
    expect((await auditOf('spring')).map((e) => e.action)).toEqual(['campaign.create']);
    expect((await s.admin(ONE, { c: 'spring' })).campaign).toEqual(created);
    expect((await s.admin(ONE, { c: 'never-saved' })).campaign).toBeNull();
  });

  it('gives the audience back as it was saved, dates included', async () => {
    const audience = { tierCodes: ['GOLD', 'SILVER'], joinedFrom: '2025-01-01T00:00:00.000Z', minSpend: 12.5, stages: ['ACTIVE'], birthdayMonths: [3] };
    const got = (await s.admin(`mutation($i: CampaignInput!) { upsertCampaign(input: $i) { audience { tierCodes joinedFrom minSpend stages birthdayMonths regions } } }`,
      { i: base('dated', { audience }) })).upsertCampaign;
    expect(got.audience).toEqual({ ...audience, regions: null });
    const read = (await s.admin(`{ campaign(code: "dated") { audience { tierCodes joinedFrom minSpend stages birthdayMonths regions } } }`)).campaign;
    expect(read.audience).toEqual({ ...audience, regions: null });
  });

  it('ten first upserts of a new code at once: one campaign, one create entry, every caller answered', async () => {
    const admin = await s.token('admin');
    const results = await Promise.all(Array.from({ length: 10 }, () => s.gql(UPSERT, { i: base('stampede') }, admin)));
    expect(results.filter((r) => r.errors)).toEqual([]);
    expect(new Set(results.map((r) => r.data!.upsertCampaign.id)).size).toBe(1);
    expect(await s.sql(`select count(*)::int as n from campaign where code = 'stampede'`)).toEqual([{ n: 1 }]);
    expect((await auditOf('stampede')).map((e) => e.action)).toEqual(['campaign.create']);
  });

  it('lists campaigns with their net points given, read for the whole list in one query', async () => {
    await s.admin(UPSERT, { i: base('listed-a') });
    await s.admin(UPSERT, { i: base('listed-b', { startsAt: '2026-02-01T00:00:00.000Z' }) });
    const { statements } = await s.countStatements(() => s.admin(`{ campaigns { code pointsGiven budgetSpent } }`));
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
    // The members' ids are random: within 6 standard deviations of 30% (a chance failure about once in 10^9 runs).
    const sd = Math.sqrt(rows.length * 0.3 * 0.7);
    expect(Math.abs(control - rows.length * 0.3)).toBeLessThan(6 * sd);
    expect(control).toBeGreaterThan(0);
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

  it('set-based: an activation and a re-evaluation send as many statements for 240 members as for 60, one insert into campaign_member each', async () => {
    await s.admin(UPSERT, { i: base('count-north', { audience: { regions: ['north'] } }) });
    await s.admin(UPSERT, { i: base('count-south', { audience: { regions: ['south'] } }) });
    const big = (await s.countStatements(() => s.admin(ACTIVATE, { c: 'count-north' }))).statements;
    const small = (await s.countStatements(() => s.admin(ACTIVATE, { c: 'count-south' }))).statements;
    expect((await arms('count-north')).length).toBe(240);
    expect((await arms('count-south')).length).toBe(60);
    expect(big.length).toBe(small.length);
    expect(big.filter((q) => /insert into campaign_member/.test(q))).toHaveLength(1);
    const job = (await s.countStatements(() => s.admin(REEVALUATE, { a: new Date().toISOString() }))).statements;
    const active = (await s.sql(`select count(*)::int as n from campaign where status = 'ACTIVE'`))[0].n as number;
    expect(job.filter((q) => /insert into campaign_member/.test(q))).toHaveLength(active);
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

describe('lifecycle', () => {
  const status = async (code: string) => (await campaignRow(code)) as { status: string; ended_reason: string | null; ended_at: Date | null; updated_at: Date };

  it('DRAFT → ACTIVE → PAUSED ↔ ACTIVE → ENDED; a repeated action changes nothing; each change audited once', async () => {
    await s.admin(UPSERT, { i: base('life', { audience: { regions: ['nowhere'] } }) });
    expect((await s.admin(ACTIVATE, { c: 'life' })).activateCampaign.status).toBe('ACTIVE');
    expect((await s.admin(ACTIVATE, { c: 'life' })).activateCampaign.status).toBe('ACTIVE');
    expect((await s.admin(PAUSE, { c: 'life' })).pauseCampaign.status).toBe('PAUSED');
    expect((await s.admin(PAUSE, { c: 'life' })).pauseCampaign.status).toBe('PAUSED');
    expect((await s.admin(ACTIVATE, { c: 'life' })).activateCampaign.status).toBe('ACTIVE');
    const ended = (await s.admin(END, { c: 'life' })).endCampaign;
    expect([ended.status, ended.endedReason]).toEqual(['ENDED', 'ADMIN']);
    expect((await status('life')).ended_at).not.toBeNull();
    expect((await s.admin(END, { c: 'life' })).endCampaign).toEqual(ended);
    expect((await auditOf('life')).map((e) => [e.action, e.after.status])).toEqual([
      ['campaign.create', undefined], ['campaign.activate', 'ACTIVE'], ['campaign.pause', 'PAUSED'], ['campaign.activate', 'ACTIVE'], ['campaign.end', 'ENDED'],
    ]);
    // A DRAFT may end without ever running; a PAUSED one too.
    await s.admin(UPSERT, { i: base('never-run') });
    expect((await s.admin(END, { c: 'never-run' })).endCampaign).toMatchObject({ status: 'ENDED', endedReason: 'ADMIN' });
    await s.admin(UPSERT, { i: base('paused-end', { audience: { regions: ['nowhere'] } }) });
    await s.admin(ACTIVATE, { c: 'paused-end' });
    await s.admin(PAUSE, { c: 'paused-end' });
    expect((await s.admin(END, { c: 'paused-end' })).endCampaign.status).toBe('ENDED');
  });

  it('refuses every transition the lifecycle lacks (BAD_USER_INPUT) and unknown codes (NOT_FOUND), changing nothing', async () => {
    await s.admin(UPSERT, { i: base('draft-only') });
    await s.admin(UPSERT, { i: base('ended-one') });
    await s.admin(END, { c: 'ended-one' });
    const before = [await status('draft-only'), await status('ended-one')];
    const audits = [(await auditOf('draft-only')).length, (await auditOf('ended-one')).length];
    const admin = await s.token('admin');
    expectError(await s.gql(PAUSE, { c: 'draft-only' }, admin), 'BAD_USER_INPUT', 'code');
    expectError(await s.gql(ACTIVATE, { c: 'ended-one' }, admin), 'BAD_USER_INPUT', 'code');
    expectError(await s.gql(PAUSE, { c: 'ended-one' }, admin), 'BAD_USER_INPUT', 'code');
    expectError(await s.gql(UPSERT, { i: base('ended-one', { name: 'Renamed' }) }, admin), 'BAD_USER_INPUT', 'code');
    for (const m of [ACTIVATE, PAUSE, END]) expectError(await s.gql(m, { c: 'no-such-campaign' }, admin), 'NOT_FOUND');
    expect([await status('draft-only'), await status('ended-one')]).toEqual(before);
    expect([(await auditOf('draft-only')).length, (await auditOf('ended-one')).length]).toEqual(audits);
    expect(await s.sql(`select 1 from campaign where code = 'no-such-campaign'`)).toEqual([]);
  });

  it('a campaign whose window has closed cannot be activated', async () => {
    await s.admin(UPSERT, { i: base('too-late', { startsAt: '2020-01-01T00:00:00.000Z', endsAt: '2020-02-01T00:00:00.000Z' }) });
    expectError(await s.gql(ACTIVATE, { c: 'too-late' }, await s.token('admin')), 'BAD_USER_INPUT', 'endsAt');
    expect((await status('too-late')).status).toBe('DRAFT');
    expect(await s.sql(`select 1 from campaign_member cm join campaign c on c.id = cm.campaign_id where c.code = 'too-late'`)).toEqual([]);
  });

  it('admins only: member and service tokens are FORBIDDEN, no token UNAUTHENTICATED', async () => {
    await s.admin(UPSERT, { i: base('guarded') });
    const member = await s.token('member', await registerMember(s));
    for (const token of [member, await s.token('service')]) {
      expectError(await s.gql(`{ campaigns { code } }`, {}, token), 'FORBIDDEN');
      expectError(await s.gql(ONE, { c: 'guarded' }, token), 'FORBIDDEN');
      expectError(await s.gql(UPSERT, { i: base('guarded', { name: 'Taken over' }) }, token), 'FORBIDDEN');
      for (const m of [ACTIVATE, PAUSE, END]) expectError(await s.gql(m, { c: 'guarded' }, token), 'FORBIDDEN');
    }
    expectError(await s.gql(ACTIVATE, { c: 'guarded' }, null), 'UNAUTHENTICATED');
    expect((await status('guarded')).status).toBe('DRAFT');
    expect((await campaignRow('guarded')).name).toBe('Campaign guarded');
  });
});

describe('validation', () => {
  beforeAll(async () => {
    await s.admin(`mutation { upsertActivityRule(input: { kind: "review", name: "Review", points: 10 }) { kind } }`);
    await s.admin(`mutation { upsertReward(input: { code: "free-coffee", name: "Free coffee", costPoints: 300 }) { code } }`);
  });

  const bad: [string, Record<string, unknown>, string][] = [
    ['minAmount outside PURCHASE', { trigger: 'REGISTRATION', minAmount: 10 }, 'minAmount'],
    ['multiplier outside PURCHASE', { trigger: 'TIER_UPGRADE', multiplier: 2 }, 'multiplier'],
    ['ACTIVITY without activityKind', { trigger: 'ACTIVITY' }, 'activityKind'],
    ['activityKind outside ACTIVITY', { activityKind: 'review' }, 'activityKind'],
    ['an unknown activity kind', { trigger: 'ACTIVITY', activityKind: 'dance' }, 'activityKind'],
    ['no effect', { bonusPoints: null }, 'bonusPoints'],
    ['multiplier of 1', { multiplier: 1 }, 'multiplier'],
    ['multiplier below 1', { multiplier: 0.5 }, 'multiplier'],
    ['multiplier with 5 decimals', { multiplier: 1.00001 }, 'multiplier'],
    ['minAmount with 3 decimals', { minAmount: 1.005 }, 'minAmount'],
    ['negative minAmount', { minAmount: -1 }, 'minAmount'],
    ['endsAt before startsAt', { endsAt: '2025-12-31T00:00:00.000Z' }, 'endsAt'],
    ['endsAt equal to startsAt', { endsAt: '2026-01-01T00:00:00.000Z' }, 'endsAt'],
    ['controlPercent above 50', { controlPercent: 51 }, 'controlPercent'],
    ['negative controlPercent', { controlPercent: -1 }, 'controlPercent'],
    ['zero perMemberLimit', { perMemberLimit: 0 }, 'perMemberLimit'],
    ['zero budgetPoints', { budgetPoints: 0 }, 'budgetPoints'],
    ['zero bonusPoints', { bonusPoints: 0 }, 'bonusPoints'],
    ['an unknown reward', { rewardCode: 'no-such-reward' }, 'rewardCode'],
    ['an audience that cannot compile', { audience: { minR: 9 } }, 'minR'],
    ['an audience naming a tier the programme does not have', { audience: { tierCodes: ['GOLD', 'NOPE'] } }, 'tierCodes'],
    ['an audience naming a tag that does not exist', { audience: { tagsAll: ['no_such_tag'] } }, 'tagsAll'],
    ['an audience excluding a tag that does not exist', { audience: { tagsNone: ['no_such_tag'] } }, 'tagsNone'],
    ['an audience whose minBalance exceeds its maxBalance', { audience: { minBalance: 100, maxBalance: 10 } }, 'minBalance'],
    ['a code with spaces', { code: 'with spaces' }, 'code'],
    ['an empty name', { name: '' }, 'name'],
  ];

  it.each(bad)('refuses %s with BAD_USER_INPUT naming the field, writing nothing', async (_what, change, field) => {
    const input = { ...base('invalid'), ...change };
    const res = await s.gql(UPSERT, { i: input }, await s.token('admin'));
    expectError(res, 'BAD_USER_INPUT', field);
    expect(res.errors![0].message).not.toMatch(/select|insert|stack|\bat\b.*\.ts/i);
    expect(await s.sql(`select 1 from campaign where code = $1`, [input.code])).toEqual([]);
    expect(await auditOf(String(input.code))).toEqual([]);
  });

  it('a refused edit of an existing campaign changes nothing', async () => {
    await s.admin(UPSERT, { i: base('kept', { budgetPoints: 500 }) });
    const before = await campaignRow('kept');
    const admin = await s.token('admin');
    for (const [change, field] of bad.filter(([, , f]) => f !== 'code').map(([, c, f]) => [c, f] as const)) {
      expectError(await s.gql(UPSERT, { i: { ...base('kept', { budgetPoints: 500 }), ...change } }, admin), 'BAD_USER_INPUT', field);
    }
    expect(await campaignRow('kept')).toEqual(before);
    expect((await auditOf('kept')).map((e) => e.action)).toEqual(['campaign.create']);
  });

  it('takes every trigger with its own fields, and a free reward as the only effect', async () => {
    const made = await Promise.all([
      s.admin(UPSERT, { i: base('by-activity', { trigger: 'ACTIVITY', activityKind: 'review' }) }),
      s.admin(UPSERT, { i: base('by-registration', { trigger: 'REGISTRATION', bonusPoints: null, rewardCode: 'free-coffee' }) }),
      s.admin(UPSERT, { i: base('by-upgrade', { trigger: 'TIER_UPGRADE', controlPercent: 0, endsAt: null }) }),
      s.admin(UPSERT, { i: base('by-purchase', { multiplier: 2.0001, bonusPoints: null, controlPercent: 50 }) }),
    ]);
    expect(made.map((m) => [m.upsertCampaign.trigger, m.upsertCampaign.activityKind, m.upsertCampaign.rewardCode, m.upsertCampaign.multiplier, m.upsertCampaign.endsAt])).toEqual([
      ['ACTIVITY', 'review', null, null, '2036-01-01T00:00:00.000Z'], ['REGISTRATION', null, 'free-coffee', null, '2036-01-01T00:00:00.000Z'],
      ['TIER_UPGRADE', null, null, null, null], ['PURCHASE', null, null, 2.0001, '2036-01-01T00:00:00.000Z'],
    ]);
    expect((await campaignRow('by-purchase')).multiplier).toBe('2.0001');
  });

  it('edits: a DRAFT changes freely; once activated controlPercent and trigger are fixed; an ACTIVE campaign\'s edit is audited with what changed', async () => {
    await s.admin(UPSERT, { i: base('edited', { audience: { regions: ['nowhere'] } }) });
    await s.admin(UPSERT, { i: base('edited', { audience: { regions: ['nowhere'] }, controlPercent: 20 }) });
    await s.admin(ACTIVATE, { c: 'edited' });
    const admin = await s.token('admin');
    const refused = await s.gql(UPSERT, { i: base('edited', { audience: { regions: ['nowhere'] }, controlPercent: 25 }) }, admin);
    expectError(refused, 'BAD_USER_INPUT', 'controlPercent');
    expect(refused.errors![0].message).toMatch(/arms are fixed/);
    expectError(await s.gql(UPSERT, { i: base('edited', { audience: { regions: ['nowhere'] }, controlPercent: 20, trigger: 'REGISTRATION' }) }, admin), 'BAD_USER_INPUT', 'trigger');
    const edited = (await s.admin(UPSERT, { i: base('edited', { audience: { regions: ['nowhere'] }, controlPercent: 20, name: 'Edited', bonusPoints: 75 }) })).upsertCampaign;
    expect(edited).toMatchObject({ status: 'ACTIVE', name: 'Edited', bonusPoints: 75, controlPercent: 20 });
    const entries = await auditOf('edited');
    expect(entries.map((e) => e.action)).toEqual(['campaign.create', 'campaign.update', 'campaign.activate', 'campaign.update']);
    expect(entries[3].before).toEqual({ status: 'ACTIVE', changed: ['name', 'bonusPoints'], name: 'Campaign edited', bonusPoints: 50 });
    expect(entries[3].after).toEqual({ status: 'ACTIVE', changed: ['name', 'bonusPoints'], name: 'Edited', bonusPoints: 75 });
  });

  it('a running campaign\'s start cannot move once passed, its end must lie ahead, and its budget cannot fall below what it paid: each refused, nothing changed', async () => {
    await s.admin(UPSERT, { i: base('running', { audience: { regions: ['nowhere'] }, budgetPoints: 1000 }) });
    await s.admin(ACTIVATE, { c: 'running' });
    const [{ id }] = await s.sql<{ id: string }>(`select id::text from campaign where code = 'running'`);
    const [m] = await members(1, 'budget-edit');
    await s.sql(`insert into campaign_award (campaign_id, member_id, source, occurred_at, points, reward_points) values ($1, $2, 'purchase:running-1', now(), 300, 0)`, [id, m]);
    const admin = await s.token('admin');
    const before = (await s.admin(ONE, { c: 'running' })).campaign;
    const cases: [Record<string, unknown>, string][] = [
      [{ startsAt: '2026-02-01T00:00:00.000Z' }, 'startsAt'],
      [{ endsAt: new Date(Date.now() - 60_000).toISOString() }, 'endsAt'],
      [{ budgetPoints: 299 }, 'budgetPoints'],
    ];
    for (const [change, field] of cases) {
      expectError(await s.gql(UPSERT, { i: base('running', { audience: { regions: ['nowhere'] }, budgetPoints: 1000, ...change }) }, admin), 'BAD_USER_INPUT', field);
    }
    expect((await s.admin(ONE, { c: 'running' })).campaign).toEqual(before);
    // What stays allowed: a later end, a budget down to what it paid, no end at all.
    const later = new Date(Date.now() + 86_400_000).toISOString();
    expect((await s.admin(UPSERT, { i: base('running', { audience: { regions: ['nowhere'] }, budgetPoints: 300, endsAt: later }) })).upsertCampaign)
      .toMatchObject({ status: 'ACTIVE', budgetPoints: 300, endsAt: later });
    expect((await s.admin(UPSERT, { i: base('running', { audience: { regions: ['nowhere'] }, budgetPoints: 300, endsAt: null }) })).upsertCampaign)
      .toMatchObject({ status: 'ACTIVE', endsAt: null });
  });
});

describe('the nightly re-evaluation', () => {
  const UPDATE_MEMBER = `mutation($m: ID!, $p: MemberPatch!) { updateMember(memberId: $m, patch: $p) { id } }`;

  it('assigns members who joined the audience since, set-based; one who left keeps its arm; nobody moves', async () => {
    const first = await members(40, 'east');
    const c = (await s.admin(UPSERT, { i: base('east-side', { audience: { regions: ['east'] }, controlPercent: 40 }) })).upsertCampaign;
    await s.admin(ACTIVATE, { c: 'east-side' });
    const atActivation = await arms('east-side');
    expect(atActivation.map((r) => r.memberId)).toEqual([...first].sort());
    // One leaves the audience, two new members join it, one old member moves into it.
    await s.admin(UPDATE_MEMBER, { m: first[0], p: { region: 'west' } });
    const joined = await members(2, 'east');
    const mover = await registerMember(s, { region: 'west' });
    await s.admin(UPDATE_MEMBER, { m: mover, p: { region: 'east' } });
    expect((await arms('east-side')).length).toBe(40);
    const result = (await s.admin(REEVALUATE, { a: new Date().toISOString() })).reevaluateCampaigns;
    expect(result.changed).toBeGreaterThanOrEqual(3);
    const after = await arms('east-side');
    expect(after.map((r) => r.memberId)).toEqual([...first, ...joined, mover].sort());
    expect(after.every((r) => r.control === controlArm(c.id, r.memberId, 40))).toBe(true);
    // The arms assigned at activation are untouched (assigned_at too): the one who left is still in its arm.
    const kept = await s.sql(`select cm.member_id::text as "memberId", cm.control from campaign_member cm where cm.campaign_id = $1 and cm.member_id = any($2::uuid[]) order by cm.member_id`, [c.id, first]);
    expect(kept).toEqual(atActivation);
    // Again: nothing new to assign.
    const again = (await s.admin(REEVALUATE, { a: new Date().toISOString() })).reevaluateCampaigns;
    expect((await arms('east-side')).length).toBe(43);
    expect(again.changed).toBe(0);
  });

  it('ends ACTIVE and PAUSED campaigns whose endsAt has passed (ENDS_AT, ended at endsAt), leaves DRAFTs and assigns no ended campaign', async () => {
    const window = { startsAt: '2026-01-01T00:00:00.000Z', endsAt: '2030-06-01T00:00:00.000Z', audience: { regions: ['late'] } };
    for (const code of ['runs-out', 'paused-out', 'draft-out']) await s.admin(UPSERT, { i: base(code, window) });
    await s.admin(ACTIVATE, { c: 'runs-out' });
    await s.admin(ACTIVATE, { c: 'paused-out' });
    await s.admin(PAUSE, { c: 'paused-out' });
    const late = await members(3, 'late');
    // The daily job as the scheduler runs it, in the slot of a day after endsAt.
    const ran = await new Scheduler(s.app.orm, pino({ level: 'silent' }), null, DEFAULT_JOBS.filter((j) => j.name === 'campaigns.reevaluate'))
      .tick(new Date('2030-06-02T03:00:00.000Z'));
    expect(ran).toEqual(['campaigns.reevaluate']);
    for (const code of ['runs-out', 'paused-out']) {
      const c = (await s.admin(ONE, { c: code })).campaign;
      expect([c.status, c.endedReason]).toEqual(['ENDED', 'ENDS_AT']);
      expect(new Date((await campaignRow(code)).ended_at as string).toISOString()).toBe('2030-06-01T00:00:00.000Z');
      expect((await s.admin(`{ campaign(code: "${code}") { endedAt } }`)).campaign.endedAt).toBe('2030-06-01T00:00:00.000Z');
      expect((await auditOf(code)).at(-1)).toMatchObject({ action: 'campaign.end', after: { status: 'ENDED', endedReason: 'ENDS_AT' } });
      expect((await arms(code)).filter((r) => late.includes(r.memberId))).toEqual([]);
    }
    expect((await s.admin(ONE, { c: 'draft-out' })).campaign.status).toBe('DRAFT');
    expect((await s.admin('{ campaign(code: "draft-out") { endedAt } }')).campaign.endedAt).toBeNull();
    // Campaigns whose window is still open are untouched.
    expect((await s.admin(ONE, { c: 'east-side' })).campaign.status).toBe('ACTIVE');
  });
});

describe('a campaign whose endsAt has come, before the nightly job', () => {
  it('reads ENDED (ENDS_AT) at once; endCampaign records ENDS_AT at endsAt, not ADMIN; pause, activate and edits are refused; the job changes nothing after', async () => {
    const endsAt = new Date(Date.now() + 1500).toISOString();
    await s.admin(UPSERT, { i: base('closing-now', { startsAt: '2026-01-01T00:00:00.000Z', endsAt }) });
    await s.admin(ACTIVATE, { c: 'closing-now' });
    await s.admin(UPSERT, { i: base('closing-paused', { startsAt: '2026-01-01T00:00:00.000Z', endsAt }) });
    await s.admin(ACTIVATE, { c: 'closing-paused' });
    await s.admin(PAUSE, { c: 'closing-paused' });
    expect((await s.admin(ONE, { c: 'closing-now' })).campaign.status).toBe('ACTIVE');
    await new Promise((r) => setTimeout(r, Date.parse(endsAt) - Date.now() + 50));

    for (const code of ['closing-now', 'closing-paused']) {
      const read = (await s.admin(ONE, { c: code })).campaign;
      expect([read.status, read.endedReason]).toEqual(['ENDED', 'ENDS_AT']);
      const listed = (await s.admin(`{ campaigns { code status endedReason } }`)).campaigns.find((c: { code: string }) => c.code === code);
      expect(listed).toEqual({ code, status: 'ENDED', endedReason: 'ENDS_AT' });
      expect((await campaignRow(code)).status).not.toBe('ENDED'); // nothing written by a read
    }
    expectError(await s.gql(PAUSE, { c: 'closing-now' }, await s.token('admin')), 'BAD_USER_INPUT', 'code');
    expectError(await s.gql(ACTIVATE, { c: 'closing-paused' }, await s.token('admin')), 'BAD_USER_INPUT', 'code');
    expectError(await s.gql(UPSERT, { i: base('closing-now', { startsAt: '2026-01-01T00:00:00.000Z', endsAt: '2036-01-01T00:00:00.000Z' }) }, await s.token('admin')), 'BAD_USER_INPUT', 'code');
    expect((await campaignRow('closing-now')).status).toBe('ACTIVE'); // a refused action writes nothing

    const ended = (await s.admin(END, { c: 'closing-now' })).endCampaign;
    expect([ended.status, ended.endedReason]).toEqual(['ENDED', 'ENDS_AT']);
    const row = await campaignRow('closing-now');
    expect([row.status, row.ended_reason, new Date(row.ended_at as string).toISOString()]).toEqual(['ENDED', 'ENDS_AT', endsAt]);
    expect((await auditOf('closing-now')).map((e) => [e.action, e.after.endedReason ?? null])).toEqual([
      ['campaign.create', null], ['campaign.activate', null], ['campaign.end', 'ENDS_AT'],
    ]);
    await s.admin(REEVALUATE, { a: new Date().toISOString() });
    expect((await auditOf('closing-now')).filter((e) => e.action === 'campaign.end')).toHaveLength(1);
    const paused = await campaignRow('closing-paused');
    expect([paused.status, paused.ended_reason, new Date(paused.ended_at as string).toISOString()]).toEqual(['ENDED', 'ENDS_AT', endsAt]);
  });
});

describe('points given and the programme\'s point value', () => {
  it('pointsGiven is net of what refunds reversed, per campaign', async () => {
    const c = (await s.admin(UPSERT, { i: base('given') })).upsertCampaign;
    const m = await registerMember(s);
    // The awards are the effects' writes; here two are stood in, to read their net total.
    await s.sql(`insert into campaign_award (campaign_id, member_id, source, occurred_at, points, reward_points, reversed_points)
      values ($1, $2, 'purchase:a', now(), 100, 0, 30), ($1, $2, 'purchase:b', now(), 50, 300, 0)`, [c.id, m]);
    expect((await s.admin(ONE, { c: 'given' })).campaign.pointsGiven).toBe(120);
    const list = (await s.admin<{ campaigns: { code: string; pointsGiven: number }[] }>(`{ campaigns { code pointsGiven } }`)).campaigns;
    expect(list.find((x) => x.code === 'given')!.pointsGiven).toBe(120);
    expect(list.find((x) => x.code === 'spring')!.pointsGiven).toBe(0);
  });

  it('reads and writes pointValue exactly; refuses a negative one or more than 6 decimals, changing nothing', async () => {
    expect((await s.admin(`{ program { pointValue } }`)).program.pointValue).toBe(0.01);
    const SET = `mutation($v: Float) { updateProgram(input: { pointValue: $v }) { pointValue pointsPerUnit } }`;
    expect((await s.admin(SET, { v: 0.004567 })).updateProgram.pointValue).toBe(0.004567);
    expect((await s.sql(`select point_value::text as v from program`))[0].v).toBe('0.004567');
    const admin = await s.token('admin');
    expectError(await s.gql(SET, { v: -0.01 }, admin), 'BAD_USER_INPUT', 'pointValue');
    expectError(await s.gql(SET, { v: 0.0000001 }, admin), 'BAD_USER_INPUT', 'pointValue');
    expectError(await s.gql(SET, { v: 1e6 }, admin), 'BAD_USER_INPUT', 'pointValue');
    expect((await s.sql(`select point_value::text as v from program`))[0].v).toBe('0.004567');
    expect((await s.admin(SET, { v: 0 })).updateProgram.pointValue).toBe(0);
    const [entry] = await s.sql<{ before: Record<string, unknown>; after: Record<string, unknown> }>(`select before, after from audit_entry where action = 'program.update' order by id desc limit 1`);
    expect([entry.before.pointValue, entry.after.pointValue]).toEqual([0.004567, 0]);
    expectError(await s.gql(SET, { v: 0.02 }, await s.token('service')), 'FORBIDDEN');
  });
});
