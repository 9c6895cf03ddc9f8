// A tier's, reward's, benefit's, activity rule's or campaign's code is one whatever its case, as a
// tag's is: a new code that only the case tells from an existing one is BAD_USER_INPUT naming the
// existing spelling ("use SILVER"), and first saves of one code in several cases at once make one.
// Codes are matched exactly everywhere (tierCodes, filters, redemptions): `silver` beside `SILVER`
// was a second rung of the ladder, `r1` beside `R1` a second reward in the catalogue.
import { expectError, startTestServer, type TestServer } from '../support/harness';

let s: TestServer;
let admin: string;
beforeAll(async () => {
  s = await startTestServer();
  admin = await s.token('admin');
  await s.admin('mutation { upsertTier(input: { code: "BRONZE", name: "Bronze", rank: 0, qualifyingPoints: 0, retainPoints: 0, pointsMultiplier: 1 }) { code } }');
});
afterAll(() => s?.stop());

interface Kind { doc: string; field: string; table: string; column: string; input: (code: string, n: number) => Record<string, unknown> }
const KINDS: Record<string, Kind> = {
  tier: {
    doc: 'mutation($i: TierInput!) { upsertTier(input: $i) { code } }', field: 'code', table: 'tier', column: 'code',
    input: (code, n) => (n === 4 ? { code, name: 'Raced', rank: 2, qualifyingPoints: 5000, retainPoints: 4000, pointsMultiplier: 1.5 }
      : { code, name: `Tier ${n}`, rank: 1, qualifyingPoints: 1000, retainPoints: 800, pointsMultiplier: 1.25 }),
  },
  reward: {
    doc: 'mutation($i: RewardInput!) { upsertReward(input: $i) { code } }', field: 'code', table: 'reward', column: 'code',
    input: (code, n) => ({ code, name: `Reward ${n}`, costPoints: 10 + n }),
  },
  benefit: {
    doc: 'mutation($i: BenefitInput!) { upsertBenefit(input: $i) { code } }', field: 'code', table: 'benefit', column: 'code',
    input: (code, n) => ({ code, name: `Benefit ${n}`, kind: 'FREE_SHIPPING', tierCodes: [] }),
  },
  activityRule: {
    doc: 'mutation($i: ActivityRuleInput!) { upsertActivityRule(input: $i) { kind } }', field: 'kind', table: 'activity_rule', column: 'kind',
    input: (code, n) => ({ kind: code, name: `Rule ${n}`, points: n }),
  },
  campaign: {
    doc: 'mutation($i: CampaignInput!) { upsertCampaign(input: $i) { code } }', field: 'code', table: 'campaign', column: 'code',
    input: (code, n) => ({ code, name: `Campaign ${n}`, trigger: 'PURCHASE', startsAt: '2030-01-01T00:00:00Z', bonusPoints: n + 1 }),
  },
};

describe.each(Object.entries(KINDS))('%s', (name, k) => {
  const stored = (lower: string) => s.sql<{ code: string }>(`select ${k.column} as code from ${k.table} where lower(${k.column}) = $1 order by 1`, [lower]);

  it('a new code in another case than an existing one is refused, naming it; the existing spelling saves as before', async () => {
    const code = `Case_${name}`;
    expect((await s.gql(k.doc, { i: k.input(code, 1) }, admin)).errors).toBeUndefined();
    for (const other of [code.toLowerCase(), code.toUpperCase()]) {
      const res = await s.gql(k.doc, { i: k.input(other, 2) }, admin);
      expectError(res, 'BAD_USER_INPUT', k.field);
      expect(res.errors![0].message).toContain(`use ${code}`);
    }
    expect((await s.gql(k.doc, { i: k.input(code, 3) }, admin)).errors).toBeUndefined();
    expect(await stored(code.toLowerCase())).toEqual([{ code }]);
  });

  it('first saves of one code in several cases at once make one', async () => {
    const base = `race_${name}`;
    const spellings = [base, base.toUpperCase(), `Race_${name}`, `RACE_${name}`, `rAce_${name}`].flatMap((c) => [c, c]);
    const results = await Promise.all(spellings.map((c) => s.gql(k.doc, { i: k.input(c, 4) }, admin)));
    for (const r of results) expect(r.status).toBeLessThan(500);
    const rows = await stored(base.toLowerCase());
    expect(rows).toHaveLength(1);
    // Every refusal names the spelling that won.
    for (const r of results.filter((x) => x.errors)) expect(r.errors![0].message).toContain(`use ${rows[0].code}`);
  });
});

describe('a filter naming a tag', () => {
  it('refuses an existing tag\'s code in another case (no tag can have it: tagsNone would leave nobody out), naming the field and the spelling; an unknown code still selects nobody', async () => {
    const member = (await s.admin('mutation { registerMember(input: { externalId: "case-filter-1" }) { id } }')).registerMember.id;
    await s.admin(`mutation($id: ID!) { tagMember(memberId: $id, tagCode: "vip_case") { id } }`, { id: member });
    const preview = (filter: Record<string, unknown>) => s.gql('query($f: SegmentFilterInput!) { segmentPreview(filter: $f) { size } }', { f: filter }, admin);
    const save = (filter: Record<string, unknown>) => s.gql('mutation($i: SegmentInput!) { saveSegment(input: $i) { size } }', { i: { name: 'case filter', filter } }, admin);
    for (const field of ['tagsAll', 'tagsAny', 'tagsNone']) {
      for (const ask of [preview, save]) {
        const res = await ask({ [field]: ['VIP_case'] });
        expectError(res, 'BAD_USER_INPUT', field);
        expect(res.errors![0].message).toBe('tag VIP_case is the existing tag vip_case in another case: use vip_case');
      }
    }
    expect((await preview({ tagsNone: ['vip_case'] })).data?.segmentPreview.size).toBe(
      (await s.sql<{ n: number }>('select count(*)::int as n from member where erased_at is null'))[0].n - 1);
    expect((await preview({ tagsAll: ['no_such_tag_yet'] })).data?.segmentPreview.size).toBe(0);
    expect(await s.sql('select name from segment where name = $1', ['case filter'])).toEqual([]);
  });
});
