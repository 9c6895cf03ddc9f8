import { expectError, startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';

// Issue 18, item 14: rule tags built on other rule tags.
let s: TestServer;
let admin: string;
const UPSERT_TAG = `mutation($i: TagInput!) { upsertTag(input: $i) { code kind } }`;
const REFRESH = `mutation($a: DateTime!) { refreshRetention(asOf: $a) { processed } }`;

beforeAll(async () => {
  s = await startTestServer();
  admin = await s.token('admin');
  await createLadder(s);
});
afterAll(() => s.stop());

const saveRule = (code: string, rule: Record<string, unknown>) => s.gql(UPSERT_TAG, { i: { code, name: code, category: 'BEHAVIOR', rule } }, admin);
const membersOf = async (code: string) =>
  (await s.sql<{ id: string }>(`select mt.member_id as id from member_tag mt join tag t on t.id = mt.tag_id where t.code = $1 order by 1`, [code])).map((r) => r.id);

describe('rule tags on rule tags', () => {
  it('a chain A → B → C defined in reverse order follows C in one refresh', async () => {
    const north = [await registerMember(s, { region: 'North' }), await registerMember(s, { region: 'North' })];
    await registerMember(s, { region: 'South' });
    // A needs B, B needs C: saved before what they depend on exists, so each starts empty.
    for (const [code, rule] of [['chain_a', { tagsAll: ['chain_b'] }], ['chain_b', { tagsAny: ['chain_c'] }], ['chain_c', { regions: ['North'] }]] as const) {
      expect((await saveRule(code, rule)).errors).toBeUndefined();
    }
    north.push(await registerMember(s, { region: 'North' }));
    await s.admin(REFRESH, { a: new Date().toISOString() });
    const expected = [...north].sort();
    expect({ c: await membersOf('chain_c'), b: await membersOf('chain_b'), a: await membersOf('chain_a') })
      .toEqual({ c: expected, b: expected, a: expected });
  });

  it('a tag that excludes another (tagsNone) is refreshed after it too', async () => {
    expect((await saveRule('not_c', { tagsNone: ['chain_c'] })).errors).toBeUndefined();
    const south = await registerMember(s, { region: 'South' });
    const movedNorth = await registerMember(s, { region: 'South' });
    await s.sql(`update member set region = 'North' where id = $1`, [movedNorth]);
    // not_c was saved after chain_c; refresh in an order that puts it first if unordered.
    await s.sql(`update tag set name = name where code = 'chain_c'`);
    await s.admin(REFRESH, { a: new Date().toISOString() });
    const notC = await membersOf('not_c');
    expect(notC).toContain(south);
    expect(notC).not.toContain(movedNorth);
    expect(await membersOf('chain_a')).toContain(movedNorth);
  });

  it('refuses a cycle when saved, naming the field, and changes nothing', async () => {
    expect((await saveRule('cyc_e', { tagsAny: ['cyc_f'] })).errors).toBeUndefined();
    expectError(await saveRule('cyc_f', { regions: ['North'], tagsAll: ['cyc_e'] }), 'BAD_USER_INPUT', 'tagsAll');
    expect(await s.sql(`select code from tag where code = 'cyc_f'`)).toEqual([]);
    expectError(await saveRule('cyc_g', { tagsNone: ['cyc_g'] }), 'BAD_USER_INPUT', 'tagsNone');
    // Closing the chain: C on A (A → B → C → A). C keeps its rule and its members.
    const before = await membersOf('chain_c');
    expectError(await saveRule('chain_c', { tagsAny: ['chain_a'] }), 'BAD_USER_INPUT', 'tagsAny');
    expect(await s.sql(`select rule from tag where code = 'chain_c'`)).toEqual([{ rule: { regions: ['North'] } }]);
    expect(await membersOf('chain_c')).toEqual(before);
    // Not a cycle: a manual tag, or a rule tag that depends on nothing of ours.
    expect((await saveRule('on_manual', { tagsAny: ['vip_manual', 'chain_a'] })).errors).toBeUndefined();
  });

  it('a manual tag set or removed moves the member in the rule tags that read it, through a chain, at once', async () => {
    // vip_north: the manual tag vip and region North; vip_north_plus reads vip_north; not_vip: tagsNone vip.
    for (const [code, rule] of [['vip_north', { tagsAll: ['vip'], regions: ['North'] }], ['vip_north_plus', { tagsAny: ['vip_north'] }], ['not_vip', { tagsNone: ['vip'] }]] as const) {
      expect((await saveRule(code, rule)).errors).toBeUndefined();
    }
    const ann = await registerMember(s, { region: 'North' });
    const bob = await registerMember(s, { region: 'North' });
    const south = await registerMember(s, { region: 'South' });
    await s.admin(REFRESH, { a: new Date().toISOString() });
    const TAG = `mutation($id: ID!, $t: String!) { tagMember(memberId: $id, tagCode: $t) { tags { code } } }`;
    const UNTAG = `mutation($id: ID!, $t: String!) { untagMember(memberId: $id, tagCode: $t) { tags { code } } }`;
    const tagged = await s.admin(TAG, { id: ann, t: 'vip' });
    // The answer already shows them, and so do the tables; nobody else moved.
    const ours = (codes: string[]) => codes.filter((c) => c.includes('vip')).sort();
    expect(ours(tagged.tagMember.tags.map((t: { code: string }) => t.code))).toEqual(['vip', 'vip_north', 'vip_north_plus']);
    await s.admin(TAG, { id: south, t: 'vip' });
    expect(await membersOf('vip_north')).toEqual([ann]);
    expect(await membersOf('vip_north_plus')).toEqual([ann]);
    expect(await membersOf('not_vip')).toEqual(expect.arrayContaining([bob]));
    expect(await membersOf('not_vip')).not.toContain(ann);
    expect(await membersOf('not_vip')).not.toContain(south);
    await s.admin(UNTAG, { id: ann, t: 'vip' });
    expect(await membersOf('vip_north')).toEqual([]);
    expect(await membersOf('vip_north_plus')).toEqual([]);
    expect(await membersOf('not_vip')).toContain(ann);
    // As the refresh would have it.
    await s.admin(REFRESH, { a: new Date().toISOString() });
    expect({ a: await membersOf('vip_north'), b: await membersOf('vip_north_plus') }).toEqual({ a: [], b: [] });
    expect(await membersOf('not_vip')).toEqual(expect.arrayContaining([ann, bob]));
  });
});

describe('a rule tag read back', () => {
  it('an admin reads the rule a RULE tag was saved with (null for a MANUAL tag); others may not', async () => {
    const rule = { regions: ['Readback'], minBalance: 10, joinedFrom: '2026-01-01T00:00:00.000Z', stages: ['ACTIVE', 'NEW'] };
    expect((await saveRule('read_back', rule)).errors).toBeUndefined();
    const member = await registerMember(s, { region: 'Readback' });
    await s.admin('mutation($m: ID!) { tagMember(memberId: $m, tagCode: "read_back_manual") { id } }', { m: member });
    const q = '{ tags { code kind rule { regions minBalance maxBalance joinedFrom stages } } }';
    const tags = (await s.admin<{ tags: { code: string; kind: string; rule: Record<string, unknown> | null }[] }>(q)).tags;
    expect(tags.find((t) => t.code === 'read_back')).toEqual({ code: 'read_back', kind: 'RULE', rule: { ...rule, maxBalance: null } });
    expect(tags.find((t) => t.code === 'read_back_manual')).toEqual({ code: 'read_back_manual', kind: 'MANUAL', rule: null });
    // Saved again with another rule, it reads the new one.
    expect((await saveRule('read_back', { regions: ['Elsewhere'] })).errors).toBeUndefined();
    const again = (await s.admin<{ tags: { code: string; rule: { regions: string[]; minBalance: number | null } | null }[] }>(q)).tags;
    expect(again.find((t) => t.code === 'read_back')!.rule).toMatchObject({ regions: ['Elsewhere'], minBalance: null });
    // A member reads its tags, not the rules behind them.
    expectError(await s.gql('{ me { tags { code rule { regions } } } }', {}, await s.token('member', member)), 'FORBIDDEN');
  });
});
