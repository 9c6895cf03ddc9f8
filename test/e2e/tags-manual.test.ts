import { expectError, startTestServer, type TestServer } from '../support/harness';
import * as tagsRepo from '../../src/modules/tags/tags.repository';
import { createLadder, registerMember } from '../support/fixtures';

// Manual tags (domain.md, "Tags"): set and removed by admins and services, once each however
// often or concurrently they are sent, audited when they change something; rule tags are the
// server's own.
const TAG = `mutation($t: String!, $m: ID!) { tagMember(tagCode: $t, memberId: $m) { id tags { code kind } } }`;
const UNTAG = `mutation($t: String!, $m: ID!) { untagMember(tagCode: $t, memberId: $m) { id tags { code } } }`;

describe('manual tags', () => {
  let s: TestServer;
  let service: string;
  beforeAll(async () => {
    s = await startTestServer();
    service = await s.token('service');
    await createLadder(s);
  });
  afterAll(() => s.stop());

  const audit = async (memberId: string) =>
    (await s.admin<{ auditLog: { action: string; entityId: string; after: string }[] }>(`{ auditLog(first: 100, entity: "Member") { action entityId after } }`))
      .auditLog.filter((e) => e.entityId === memberId && e.action.startsWith('member.') && e.action !== 'member.register').map((e) => [e.action, JSON.parse(e.after).tag]);

  it('a service tags and untags a member; repeats change nothing and are audited once', async () => {
    const m = await registerMember(s);
    const first = await s.gql(TAG, { t: 'vip', m }, service);
    expect(first.errors).toBeUndefined();
    expect(first.data!.tagMember.tags).toEqual([{ code: 'vip', kind: 'MANUAL' }]);
    expect((await s.gql(TAG, { t: 'vip', m }, service)).data!.tagMember.tags).toEqual([{ code: 'vip', kind: 'MANUAL' }]);
    expect((await s.gql(UNTAG, { t: 'vip', m }, service)).data!.untagMember.tags).toEqual([]);
    expect((await s.gql(UNTAG, { t: 'vip', m }, service)).data!.untagMember.tags).toEqual([]);
    // A tag that never existed: nothing to remove, nothing created.
    expect((await s.gql(UNTAG, { t: 'never_seen', m }, service)).errors).toBeUndefined();
    expect(await s.sql(`select 1 from tag where code = 'never_seen'`)).toEqual([]);
    expect((await audit(m)).sort()).toEqual([['member.tag', 'vip'], ['member.untag', 'vip']]);
  });

  it('twenty tags of one member at once: one row, one audit entry', async () => {
    const m = await registerMember(s);
    const results = await Promise.all(Array.from({ length: 20 }, () => s.gql(TAG, { t: 'newsletter', m }, service)));
    expect(results.filter((r) => r.errors)).toEqual([]);
    expect(await s.sql(`select count(*)::int as n from member_tag mt join tag t on t.id = mt.tag_id where mt.member_id = $1 and t.code = 'newsletter'`, [m])).toEqual([{ n: 1 }]);
    expect(await audit(m)).toEqual([['member.tag', 'newsletter']]);
  });

  it('refuses a member token, a rule tag, a malformed code and an unknown member, changing nothing', async () => {
    const m = await registerMember(s);
    expectError(await s.gql(TAG, { t: 'vip', m }, await s.token('member', m)), 'FORBIDDEN');
    await s.admin(`mutation($i: TagInput!) { upsertTag(input: $i) { code } }`, { i: { code: 'gold_members', name: 'Gold members', rule: { tierCodes: ['GOLD'] } } });
    expectError(await s.gql(TAG, { t: 'gold_members', m }, service), 'BAD_USER_INPUT', 'tagCode');
    expectError(await s.gql(UNTAG, { t: 'gold_members', m }, service), 'BAD_USER_INPUT', 'tagCode');
    expectError(await s.gql(TAG, { t: 'no spaces', m }, service), 'BAD_USER_INPUT', 'tagCode');
    expectError(await s.gql(TAG, { t: 'vip', m: '00000000-0000-4000-8000-000000000000' }, service), 'NOT_FOUND');
    expect(await s.sql('select count(*)::int as n from member_tag where member_id = $1', [m])).toEqual([{ n: 0 }]);
    expect(await audit(m)).toEqual([]);
  });

  it('a code that only the case tells from an existing tag is refused, naming the tag; never a second tag', async () => {
    const [a, b] = [await registerMember(s), await registerMember(s)];
    expect((await s.gql(TAG, { t: 'Loyal_Fan', m: a }, service)).errors).toBeUndefined();
    const refused = await s.gql(TAG, { t: 'loyal_fan', m: b }, service);
    expectError(refused, 'BAD_USER_INPUT', 'tagCode');
    expect(refused.errors![0].message).toContain('use Loyal_Fan');
    expectError(await s.gql(`mutation($i: TagInput!) { upsertTag(input: $i) { code } }`, { i: { code: 'LOYAL_FAN', name: 'Fans' } }, await s.token('admin')), 'BAD_USER_INPUT', 'code');
    // The existing spelling works as before, for a member and for its definition.
    expect((await s.gql(TAG, { t: 'Loyal_Fan', m: b }, service)).errors).toBeUndefined();
    await s.admin(`mutation($i: TagInput!) { upsertTag(input: $i) { code } }`, { i: { code: 'Loyal_Fan', name: 'Fans' } });
    expect(await s.sql(`select code from tag where lower(code) = 'loyal_fan'`)).toEqual([{ code: 'Loyal_Fan' }]);
    expect(await s.sql(`select count(*)::int as n from member_tag mt join tag t on t.id = mt.tag_id where t.code = 'Loyal_Fan'`)).toEqual([{ n: 2 }]);
    // Untagging refuses what tagging refuses, rather than answering done with the member still tagged.
    const wrongCase = await s.gql(UNTAG, { t: 'LOYAL_FAN', m: a }, service);
    expectError(wrongCase, 'BAD_USER_INPUT', 'tagCode');
    expect(wrongCase.errors![0].message).toContain('use Loyal_Fan');
    for (const t of ['', '   ', 'no such tag!', 'x'.repeat(10_000)]) expectError(await s.gql(UNTAG, { t, m: a }, service), 'BAD_USER_INPUT', 'tagCode');
    expect(await s.sql(`select count(*)::int as n from member_tag mt join tag t on t.id = mt.tag_id where t.code = 'Loyal_Fan'`)).toEqual([{ n: 2 }]);
    expect((await s.gql(UNTAG, { t: 'Loyal_Fan', m: a }, service)).data!.untagMember.tags).toEqual([]);
  });

  it('first uses of one code in different cases at once make one tag; the others are refused with BAD_USER_INPUT', async () => {
    // A member each: a tagging holds its member, which would queue the first uses one after another.
    const spellings = ['Case_Race', 'case_race', 'CASE_RACE', 'cASE_rACE', 'Case_race', 'case_Race'].flatMap((t) => [t, t]);
    const members = await Promise.all(spellings.map(() => registerMember(s)));
    const results = await Promise.all(spellings.map((t, i) => s.gql(TAG, { t, m: members[i] }, service)));
    expect(results.flatMap((r) => r.errors ?? []).map((e) => e.extensions?.code).filter((c) => c !== 'BAD_USER_INPUT')).toEqual([]);
    expect(await s.sql(`select count(*)::int as n from tag where lower(code) = 'case_race'`)).toEqual([{ n: 1 }]);
    expect(results.filter((r) => !r.errors).length).toBeGreaterThanOrEqual(1);
  });

  it('a tag turned into a RULE tag while a member is being tagged with it: no manual row of a rule tag is left', async () => {
    const m = await registerMember(s, { region: 'South' });
    expect((await s.gql(TAG, { t: 'turning', m: await registerMember(s) }, service)).errors).toBeUndefined(); // a manual tag now
    // The tagging is held after it read the tag's kind, before its row goes in; the conversion
    // (upsertTag with a rule: North only, which this member does not match) comes then.
    let release!: () => void;
    const held = new Promise<void>((r) => { release = r; });
    let reached!: () => void;
    const atInsert = new Promise<void>((r) => { reached = r; });
    const original = tagsRepo.addMemberTag;
    const spy = jest.spyOn(tagsRepo, 'addMemberTag').mockImplementationOnce(async (...args) => {
      reached();
      await held;
      return original(...args);
    });
    try {
      const tagging = s.gql(TAG, { t: 'turning', m }, service);
      await atInsert;
      const conversion = s.gql(`mutation { upsertTag(input: { code: "turning", name: "Turning", rule: { regions: ["North"] } }) { kind } }`, {}, await s.token('admin'));
      // The conversion waits for the tagging (it holds the tag row for share), or runs first without the lock.
      await new Promise((r) => setTimeout(r, 300));
      release();
      await tagging;
      expect((await conversion).errors).toBeUndefined();
    } finally {
      spy.mockRestore();
      release();
    }
    expect(await s.sql(`select kind from tag where code = 'turning'`)).toEqual([{ kind: 'RULE' }]);
    expect(await s.sql(`select count(*)::int as n from member_tag mt join tag t on t.id = mt.tag_id where t.code = 'turning' and mt.member_id = $1`, [m])).toEqual([{ n: 0 }]);
  });
});
