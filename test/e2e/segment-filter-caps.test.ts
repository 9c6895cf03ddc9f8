// A filter's lists have the same caps whichever operation stores it (a saved segment, a rule
// tag, a campaign's audience) as segmentPreview's input has; and a long tagsAll is one condition,
// not one join per tag (the planner's time grew much faster than the list: 100 tags took
// seconds to plan, 500 minutes and gigabytes).
import { startTestServer, expectError, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  await createLadder(s);
});
afterAll(() => s?.stop());

const codes = (n: number, prefix = 'cap') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const SAVE = `mutation($i: SegmentInput!) { saveSegment(input: $i) { id size members(first: 10) { edges { node { id } } } } }`;
const PREVIEW = `query($f: SegmentFilterInput!) { segmentPreview(filter: $f) { size } }`;
const TAG = `mutation($i: TagInput!) { upsertTag(input: $i) { code kind } }`;
const CAMPAIGN = `mutation($i: CampaignInput!) { upsertCampaign(input: $i) { code } }`;
const SIMULATE = `query($i: CampaignInput!, $from: DateTime!, $to: DateTime!) { simulateCampaign(input: $i, from: $from, to: $to) { eligibleMembers } }`;

it('refuses a list past its cap in a saved segment, a rule tag, a campaign audience and a simulation, as the preview does, and stores nothing', async () => {
  const admin = await s.token('admin');
  const cases: [string, Record<string, unknown>][] = [
    ['tagsAll', { tagsAll: codes(101) }], ['tagsNone', { tagsNone: codes(101) }], ['tagsAny', { tagsAny: codes(101) }],
    ['regions', { regions: codes(101) }], ['birthdayMonths', { birthdayMonths: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 1] }],
  ];
  for (const [field, filter] of cases) {
    expectError(await s.gql(PREVIEW, { f: filter }, admin), 'BAD_USER_INPUT');
    expectError(await s.gql(SAVE, { i: { name: `too long ${field}`, filter } }, admin), 'BAD_USER_INPUT', field);
    expectError(await s.gql(TAG, { i: { code: `too_long_${field}`, name: 'Too long', rule: filter } }, admin), 'BAD_USER_INPUT', field);
    const campaign = { code: `TOO-LONG-${field}`, name: 'Too long', trigger: 'PURCHASE', startsAt: new Date().toISOString(), bonusPoints: 1, audience: filter };
    expectError(await s.gql(CAMPAIGN, { i: campaign }, admin), 'BAD_USER_INPUT', field);
    expectError(await s.gql(SIMULATE, { i: campaign, from: new Date(Date.now() - 86_400_000).toISOString(), to: new Date().toISOString() }, admin), 'BAD_USER_INPUT', field);
  }
  expect(await s.sql(`select count(*)::int as n from segment where name like 'too long%'`)).toEqual([{ n: 0 }]);
  expect(await s.sql(`select count(*)::int as n from tag where code like 'too_long%'`)).toEqual([{ n: 0 }]);
  expect(await s.sql(`select count(*)::int as n from campaign where code like 'TOO-LONG%'`)).toEqual([{ n: 0 }]);
});

it('selects by a long tagsAll exactly: every tag, each counted once', async () => {
  const admin = await s.token('admin');
  const six = codes(6, 'all');
  const every = await registerMember(s, { externalId: 'caps-every' });
  const allButOne = await registerMember(s, { externalId: 'caps-five' });
  await registerMember(s, { externalId: 'caps-none' });
  for (const code of six) await s.admin(`mutation($id: ID!, $c: String!) { tagMember(memberId: $id, tagCode: $c) { id } }`, { id: every, c: code });
  for (const code of six.slice(1)) await s.admin(`mutation($id: ID!, $c: String!) { tagMember(memberId: $id, tagCode: $c) { id } }`, { id: allButOne, c: code });

  const ids = async (name: string, tagsAll: string[]) => {
    const res = await s.gql<{ saveSegment: { size: number; members: { edges: { node: { id: string } }[] } } }>(SAVE, { i: { name, filter: { tagsAll } } }, admin);
    expect(res.errors).toBeUndefined();
    expect(res.data!.saveSegment.size).toBe(res.data!.saveSegment.members.edges.length);
    return res.data!.saveSegment.members.edges.map((e) => e.node.id).sort();
  };
  // Four or fewer: a semi-join each; more: one count. Both select the same way.
  expect(await ids('four', six.slice(1, 5))).toEqual([every, allButOne].sort());
  expect(await ids('six', six)).toEqual([every]);
  expect(await ids('five of six, a code twice', [...six.slice(1), six[1]])).toEqual([every, allButOne].sort());
  expect(await ids('six and one nobody has', [...six, 'nobody-has-it'])).toEqual([]);
  // The cap itself: 100 codes, answered as one condition.
  expect(await ids('a hundred', [...six.slice(1), ...codes(95, 'pad')])).toEqual([]);
  const { saveSegment } = await s.admin(SAVE, { i: { name: 'the five of a hundred', filter: { tagsAny: six.slice(1), tagsAll: six.slice(1) } } });
  expect(saveSegment.size).toBe(2);
});
