import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';

// The admin's programme configuration (domain.md, "Admin consoles configure tiers, benefits,
// rewards, tags and segments … and see every change in an audit log"): what a change does, and
// what a bad one is refused with.
let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  await createLadder(s);
});
afterAll(() => s.stop());

const SIZE = `query($f: SegmentFilterInput!) { segmentPreview(filter: $f) { size } }`;
const size = async (f: Record<string, unknown>) => (await s.admin<{ segmentPreview: { size: number } }>(SIZE, { f })).segmentPreview.size;

describe('segment spend bounds', () => {
  it('select the spends the bound in money selects, to the cent, whatever the decimals', async () => {
    const region = 'spend-bounds';
    const never = await registerMember(s, { region });
    const ten = await registerMember(s, { region });
    await s.admin(`mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }`, { i: { memberId: ten, orderId: 'spend-10', amount: 10 } });
    await s.admin(`mutation($a: DateTime!) { refreshRetention(asOf: $a) { processed } }`, { a: new Date().toISOString() });
    expect(never).toBeDefined();
    const regions = [region];
    // Spent 0 is not "at least 0.004"; spent 10.00 is not "at most 9.999".
    expect(await size({ regions, minSpend: 0.004 })).toBe(1);
    expect(await size({ regions, maxSpend: 9.999 })).toBe(1);
    expect(await size({ regions, minSpend: 10, maxSpend: 10 })).toBe(1);
    expect(await size({ regions, minSpend: 9.991, maxSpend: 10.009 })).toBe(1);
    expect(await size({ regions, minSpend: 10.001 })).toBe(0);
    expect(await size({ regions, maxSpend: 0 })).toBe(1);
  });
});

describe('a filter naming a tier the ladder does not have', () => {
  it('is refused as a segment, a rule tag and a preview, naming tierCodes, and saves nothing', async () => {
    const token = await s.token('admin');
    const filter = { tierCodes: ['GOLD', 'gold'] };
    const attempts = [
      s.gql(`mutation($i: SegmentInput!) { saveSegment(input: $i) { id } }`, { i: { name: 'typo', filter } }, token),
      s.gql(`mutation($i: TagInput!) { upsertTag(input: $i) { code } }`, { i: { code: 'typo_tag', name: 'Typo', rule: filter } }, token),
      s.gql(`query($f: SegmentFilterInput!) { segmentPreview(filter: $f) { size } }`, { f: filter }, token),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.errors?.[0]).toMatchObject({ message: 'Unknown tier gold', extensions: { code: 'BAD_USER_INPUT', field: 'tierCodes' } });
    }
    expect(await s.sql(`select 1 from segment where name = 'typo' union all select 1 from tag where code = 'typo_tag'`)).toEqual([]);
    // Known tiers are as before.
    expect((await s.gql(`mutation($i: SegmentInput!) { saveSegment(input: $i) { name } }`, { i: { name: 'gold', filter: { tierCodes: ['GOLD'] } } }, token)).errors).toBeUndefined();
  });
});

describe('a filter whose range no member can be in', () => {
  it('is refused as a segment, a rule tag, a preview and a campaign audience, naming the field, and saves nothing', async () => {
    const token = await s.token('admin');
    const cases: [Record<string, unknown>, string][] = [
      [{ minBalance: 100, maxBalance: 10 }, 'minBalance'],
      [{ minSpend: 50, maxSpend: 49.99 }, 'minSpend'],
      [{ joinedFrom: '2026-03-01T00:00:00Z', joinedTo: '2026-02-01T00:00:00Z' }, 'joinedTo'],
      // The end is exclusive: one instant for both is an empty range too.
      [{ lastPurchaseFrom: '2026-03-01T00:00:00Z', lastPurchaseTo: '2026-03-01T00:00:00Z' }, 'lastPurchaseTo'],
      [{ tierExpiresFrom: '2027-01-02T00:00:00Z', tierExpiresTo: '2027-01-01T00:00:00Z' }, 'tierExpiresTo'],
      // A tag both required and excluded; every tag of tagsAny excluded; a blank profile value (stored text is trimmed, blank is none).
      [{ tagsAll: ['vip', 'north'], tagsNone: ['north'] }, 'tagsNone'],
      [{ tagsAny: ['vip', 'north'], tagsNone: ['north', 'vip'] }, 'tagsNone'],
      [{ regions: ['North', ''] }, 'regions'],
      [{ channels: ['  '] }, 'channels'],
      [{ genders: ['\t'] }, 'genders'],
    ];
    for (const [filter, field] of cases) {
      const attempts = [
        s.gql(`mutation($i: SegmentInput!) { saveSegment(input: $i) { id } }`, { i: { name: 'empty-range', filter } }, token),
        s.gql(`mutation($i: TagInput!) { upsertTag(input: $i) { code } }`, { i: { code: 'empty_range', name: 'Empty', rule: filter } }, token),
        s.gql(`query($f: SegmentFilterInput!) { segmentPreview(filter: $f) { size } }`, { f: filter }, token),
        s.gql(`mutation($i: CampaignInput!) { upsertCampaign(input: $i) { code } }`,
          { i: { code: 'empty_range', name: 'Empty', trigger: 'PURCHASE', startsAt: '2030-01-01T00:00:00Z', bonusPoints: 10, audience: filter } }, token),
      ];
      for (const res of await Promise.all(attempts)) {
        expect(res.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field } });
      }
    }
    expect(await s.sql(`select 1 from segment where name = 'empty-range' union all select 1 from tag where code = 'empty_range' union all select 1 from campaign where code = 'empty_range'`)).toEqual([]);
    // Equal bounds of an amount are one value, not an empty range; a tag excluded besides the ones tagsAny offers leaves them.
    expect((await s.gql(`query($f: SegmentFilterInput!) { segmentPreview(filter: $f) { size } }`, { f: { minBalance: 0, maxBalance: 0 } }, token)).errors).toBeUndefined();
    expect((await s.gql(`query($f: SegmentFilterInput!) { segmentPreview(filter: $f) { size } }`, { f: { tagsAny: ['vip', 'north'], tagsNone: ['north'] } }, token)).errors).toBeUndefined();
  });
});

describe('a code no tag can have', () => {
  it('is refused in a benefit\'s requiredTags and in a filter\'s tag lists, naming the field, and saves nothing', async () => {
    const token = await s.token('admin');
    const benefit = await s.gql(`mutation($i: BenefitInput!) { upsertBenefit(input: $i) { code } }`,
      { i: { code: 'VIP_PARKING', name: 'Parking', kind: 'FREE_PARKING', tierCodes: [], requiredTags: ['vip', 'V I P'] } }, token);
    expect(benefit.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'requiredTags' });
    for (const field of ['tagsAll', 'tagsAny', 'tagsNone']) {
      const res = await s.gql(`mutation($i: SegmentInput!) { saveSegment(input: $i) { id } }`, { i: { name: `bad ${field}`, filter: { [field]: ['ok', 'not ok!'] } } }, token);
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    expect(await s.sql(`select 1 from benefit where code = 'VIP_PARKING' union all select 1 from segment where name like 'bad %'`)).toEqual([]);
    // A tag that does not exist yet is fine: it is created on its first use.
    expect((await s.gql(`mutation($i: BenefitInput!) { upsertBenefit(input: $i) { requiredTags } }`,
      { i: { code: 'VIP_PARKING', name: 'Parking', kind: 'FREE_PARKING', tierCodes: [], requiredTags: ['not_yet:a-tag.1'] } }, token)).data)
      .toEqual({ upsertBenefit: { requiredTags: ['not_yet:a-tag.1'] } });
  });
});

describe('the same configuration sent again (a console retrying)', () => {
  const entries = async (entity: string, entityId: string) =>
    (await s.admin<{ auditLog: { action: string; entityId: string }[] }>(`query($e: String) { auditLog(entity: $e, first: 100) { action entityId } }`, { e: entity }))
      .auditLog.filter((e) => e.entityId === entityId).map((e) => e.action);

  it('writes nothing: no audit entry for a tier, a setting, a reward, a segment or a tag that did not change', async () => {
    const tier = { code: 'DIAMOND', name: 'Diamond', rank: 4, qualifyingPoints: 50000, retainPoints: 40000, pointsMultiplier: 3 };
    const upsertTier = `mutation($i: TierInput!) { upsertTier(input: $i) { code name } }`;
    for (let i = 0; i < 2; i++) await s.admin(upsertTier, { i: tier });
    await s.admin(upsertTier, { i: { ...tier, name: 'Diamond Club' } });
    expect(await entries('Tier', 'DIAMOND')).toEqual(['tier.update', 'tier.create']);

    const before = (await entries('Program', '1')).length;
    for (let i = 0; i < 2; i++) await s.admin(`mutation { updateProgram(input: { tierNoticeDays: 45 }) { tierNoticeDays } }`);
    expect((await entries('Program', '1')).length).toBe(before + 1);

    const reward = { code: 'MUG', name: 'Mug', costPoints: 500, stock: 10, tierCodes: ['SILVER', 'GOLD'], validTo: '2030-01-01T00:00:00Z' };
    const upsertReward = `mutation($i: RewardInput!) { upsertReward(input: $i) { code stock } }`;
    await s.admin(upsertReward, { i: reward });
    await s.admin(upsertReward, { i: { ...reward, tierCodes: ['GOLD', 'SILVER'], validTo: '2030-01-01T00:00:00.000Z' } });
    expect(await entries('Reward', 'MUG')).toEqual(['reward.create']);

    const save = `mutation($i: SegmentInput!) { saveSegment(input: $i) { id name filter { tierCodes minBalance joinedFrom } } }`;
    const first = (await s.admin(save, { i: { name: 'Gold savers', filter: { tierCodes: ['GOLD'], minBalance: 100, joinedFrom: '2026-01-01T00:00:00Z' } } })).saveSegment;
    const again = (await s.admin(save, { i: { name: 'Gold savers', filter: { joinedFrom: '2026-01-01T00:00:00.000Z', minBalance: 100, tierCodes: ['GOLD'], maxBalance: null } } })).saveSegment;
    expect(again).toEqual(first);
    expect(await entries('Segment', first.id)).toEqual(['segment.create']);

    const tag = { code: 'big_savers', name: 'Big savers', category: 'BEHAVIOR', rule: { minBalance: 1000, tierCodes: ['GOLD'] } };
    const upsertTag = `mutation($i: TagInput!) { upsertTag(input: $i) { code kind } }`;
    await s.admin(upsertTag, { i: tag });
    await s.admin(upsertTag, { i: { ...tag, rule: { tierCodes: ['GOLD'], minBalance: 1000 } } });
    await s.admin(upsertTag, { i: { ...tag, name: 'Big savers!' } });
    expect(await entries('Tag', 'big_savers')).toEqual(['tag.update', 'tag.create']);
  });
});

describe('a blank name', () => {
  it('is refused for a tier, a benefit, a reward, a tag and an activity rule, and by the patches, naming name', async () => {
    const token = await s.token('admin');
    const blank = ' \t ';
    const cases: [string, Record<string, unknown>][] = [
      ['mutation($i: TierInput!) { upsertTier(input: $i) { code } }', { i: { code: 'DIAMOND_B', name: blank, rank: 5, qualifyingPoints: 90000, retainPoints: 90000 } }],
      ['mutation($i: BenefitInput!) { upsertBenefit(input: $i) { code } }', { i: { code: 'BLANK_B', name: blank, kind: 'CUSTOM', tierCodes: [] } }],
      ['mutation($i: RewardInput!) { upsertReward(input: $i) { code } }', { i: { code: 'BLANK_R', name: blank, costPoints: 10 } }],
      ['mutation($i: TagInput!) { upsertTag(input: $i) { code } }', { i: { code: 'blank_t', name: blank } }],
      ['mutation($i: ActivityRuleInput!) { upsertActivityRule(input: $i) { kind } }', { i: { kind: 'BLANK', name: blank, points: 5 } }],
      ['mutation($p: BenefitPatch!) { updateBenefit(code: "X", patch: $p) { code } }', { p: { name: blank } }],
      ['mutation($p: RewardPatch!) { updateReward(code: "X", patch: $p) { code } }', { p: { name: blank } }],
    ];
    for (const [query, variables] of cases) {
      const res = await s.gql(query, variables, token);
      expect({ query, error: res.errors?.[0]?.extensions }).toEqual({ query, error: expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'name' }) });
    }
    expect(await s.sql(`select 1 from tier where code = 'DIAMOND_B' union all select 1 from benefit where code = 'BLANK_B'
      union all select 1 from reward where code = 'BLANK_R' union all select 1 from tag where code = 'blank_t'`)).toEqual([]);
  });
});

describe('GET /exports/segments/<id>.csv when the database fails', () => {
  it('is a 500, not a header-only file that looks like an empty segment; a good export is not cached', async () => {
    const admin = await s.token('admin');
    const { saveSegment } = await s.admin(`mutation { saveSegment(input: { name: "export failure", filter: {} }) { id } }`);
    const url = `${s.url}/exports/segments/${saveSegment.id}.csv`;
    const ok = await fetch(url, { headers: { authorization: `Bearer ${admin}` } });
    expect([ok.status, ok.headers.get('cache-control'), (await ok.text()).split('\n')[0]]).toEqual([200, 'no-store', expect.stringMatching(/^id,external_id,/)]);
    await s.sql('alter table member_retention rename to member_retention_gone');
    try {
      const res = await fetch(url, { headers: { authorization: `Bearer ${admin}` } });
      expect(res.status).toBe(500);
      const body = await res.json();
      expect(body).toEqual({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
    } finally {
      await s.sql('alter table member_retention_gone rename to member_retention');
    }
  });
});

describe('an activity rule saved again, and changed (the console\'s Programme page)', () => {
  const upsert = `mutation($i: ActivityRuleInput!) { upsertActivityRule(input: $i) { kind dailyCap memberMayRecord } }`;
  const rule = { kind: 'QUIZ', name: 'Answered a quiz', points: 10, qualifyingPoints: 2, dailyCap: 30, active: true, memberMayRecord: true };
  const entries = async () => s.sql<{ action: string; before: Record<string, unknown> | null; after: Record<string, unknown> }>(
    `select action, before, after from audit_entry where entity = 'ActivityRule' and entity_id = 'QUIZ' order by id`);

  it('writes nothing when nothing changed; a change\'s entry names the fields as the API does, before as after', async () => {
    await s.admin(upsert, { i: rule });
    expect((await s.admin(upsert, { i: rule })).upsertActivityRule).toEqual({ kind: 'QUIZ', dailyCap: 30, memberMayRecord: true });
    expect((await entries()).map((e) => e.action)).toEqual(['activityRule.create']);

    await s.admin(upsert, { i: { ...rule, dailyCap: 20, memberMayRecord: false } });
    const [, update] = await entries();
    expect(update.action).toBe('activityRule.update');
    // The audit page shows the fields whose values differ: only the cap and memberMayRecord (the
    // before row's columns were snake_case, so every other field read as removed and added).
    expect(Object.keys(update.before!).sort()).toEqual(Object.keys(update.after).sort());
    const changed = Object.keys(update.after).filter((k) => JSON.stringify(update.before![k]) !== JSON.stringify(update.after[k]));
    expect(changed.sort()).toEqual(['dailyCap', 'memberMayRecord']);
  });

  it('first saves of one kind at once make one create entry', async () => {
    const token = await s.token('admin');
    const saves = await Promise.all(Array.from({ length: 8 }, () => s.gql(upsert, { i: { ...rule, kind: 'RACED_KIND' } }, token)));
    for (const res of saves) expect(res.errors).toBeUndefined();
    const made = await s.sql<{ action: string }>(`select action from audit_entry where entity = 'ActivityRule' and entity_id = 'RACED_KIND'`);
    expect(made.map((e) => e.action)).toEqual(['activityRule.create']);
  });
});

describe('first saves of one segment name or reward code at once', () => {
  it('make one row and one create entry; the others, the same payload, write nothing', async () => {
    const token = await s.token('admin');
    const saves = await Promise.all(Array.from({ length: 12 }, () =>
      s.gql(`mutation($i: SegmentInput!) { saveSegment(input: $i) { id } }`, { i: { name: 'raced', filter: { regions: ['north'] } } }, token)));
    const rewards = await Promise.all(Array.from({ length: 12 }, () =>
      s.gql(`mutation($i: RewardInput!) { upsertReward(input: $i) { id } }`, { i: { code: 'RACED', name: 'Raced', costPoints: 5 } }, token)));
    for (const res of [...saves, ...rewards]) expect(res.errors).toBeUndefined();
    expect(new Set(saves.map((r) => r.data!.saveSegment.id)).size).toBe(1);
    const entries: { action: string }[] = await s.sql(`select action from audit_entry where (entity = 'Segment' and entity_id = $1) or (entity = 'Reward' and entity_id = 'RACED') order by action`,
      [saves[0].data!.saveSegment.id]);
    expect(entries.map((e) => e.action)).toEqual(['reward.create', 'segment.create']);
  });
});
