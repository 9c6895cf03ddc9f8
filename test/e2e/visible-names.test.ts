// A name is what the console and the apps list: one made of characters that show nothing (a
// zero-width space, a Hangul filler, the braille blank, a soft hyphen, a byte-order mark) is as
// blank as one of spaces, and is refused the same way (BAD_USER_INPUT on `name`), for every kind
// of named thing (nothing is saved: the check is the input's); a name that shows something, with such characters in it, is kept as sent.
import { startTestServer, type TestServer } from '../support/harness';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(() => s?.stop());

const SAVES: Record<string, { doc: string; input: (code: string, name: string) => Record<string, unknown>; read: string }> = {
  reward: {
    doc: 'mutation($i: RewardInput!) { upsertReward(input: $i) { name } }', read: 'upsertReward',
    input: (code, name) => ({ code, name, costPoints: 10 }),
  },
  benefit: {
    doc: 'mutation($i: BenefitInput!) { upsertBenefit(input: $i) { name } }', read: 'upsertBenefit',
    input: (code, name) => ({ code, name, kind: 'FREE_SHIPPING', tierCodes: [] }),
  },
  tier: {
    doc: 'mutation($i: TierInput!) { upsertTier(input: $i) { name } }', read: 'upsertTier',
    input: (code, name) => ({ code, name, rank: 0, qualifyingPoints: 0, retainPoints: 0, pointsMultiplier: 1 }),
  },
  tag: {
    doc: 'mutation($i: TagInput!) { upsertTag(input: $i) { name } }', read: 'upsertTag',
    input: (code, name) => ({ code, name }),
  },
  activityRule: {
    doc: 'mutation($i: ActivityRuleInput!) { upsertActivityRule(input: $i) { name } }', read: 'upsertActivityRule',
    input: (code, name) => ({ kind: code, name, points: 1 }),
  },
  campaign: {
    doc: 'mutation($i: CampaignInput!) { upsertCampaign(input: $i) { name } }', read: 'upsertCampaign',
    input: (code, name) => ({ code, name, trigger: 'PURCHASE', startsAt: '2030-01-01T00:00:00Z', bonusPoints: 1 }),
  },
  segment: {
    doc: 'mutation($i: SegmentInput!) { saveSegment(input: $i) { name } }', read: 'saveSegment',
    input: (_code, name) => ({ name, filter: {} }),
  },
};

const INVISIBLE = ['   ', '\u200B', '\u3164', '\u2800', '\u00AD', '\uFEFF', '\u200B \u200D\u2060'];

describe.each(Object.entries(SAVES))('%s', (kind, save) => {
  it.each(INVISIBLE.map((name) => [JSON.stringify(name), name]))('a name of %s alone is BAD_USER_INPUT on name', async (_, name) => {
    const code = `INVISIBLE_${kind}`.toUpperCase();
    const res = await s.gql(save.doc, { i: save.input(code, name) }, await s.token('admin'));
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
    expect(res.errors?.[0].message).toMatch(/visible character/);
  });

  it('a name that shows something is kept as sent, invisible characters and all', async () => {
    const name = 'Gold\u200B Club';
    const res = await s.gql(save.doc, { i: save.input(`VISIBLE_${kind}`.toUpperCase(), name) }, await s.token('admin'));
    expect(res.errors).toBeUndefined();
    expect(res.data![save.read]).toEqual({ name });
  });
});
