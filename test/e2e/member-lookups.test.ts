import { expectError, startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';
import { walk, type Connection } from '../support/connections';
import { eventually } from '../support/wait';
import { inSqlTransaction } from '../../src/db/transaction';
import { exactPage, nameCount, namePage } from '../../src/modules/members/members.repository';
import { searchTerms } from '../../src/modules/members/members.rules';
import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Issue 19, contract part `store`, the member side: memberByExternalId, searchMembers,
 * updateMember (a member's tierChanged without a memberId: realtime.test.ts).
 */

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  await createLadder(s);
});
afterAll(() => s.stop());

const SEARCH = `query($q: String!, $first: Int, $after: String) { searchMembers(query: $q, first: $first, after: $after) {
  edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`;
const cursor = (text: string) => Buffer.from(text).toString('base64url');

const ids = async (text: string, params: unknown[] = []) => (await s.sql<{ id: string }>(text, params)).map((r) => r.id);

async function search(q: string, extra: Record<string, unknown> = {}, role: 'service' | 'admin' = 'service') {
  const res = await s.gql(SEARCH, { q, ...extra }, await s.token(role));
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data!.searchMembers as Connection;
}
const found = async (q: string) => (await search(q)).edges.map((e) => e.node.id);

describe('pages with seqs crossing 9→10 and 99→100', () => {
  const N = 120;
  beforeAll(async () => {
    // The first members of the database, one at a time: seq i + 1. Names tie in pairs
    // ("Sam"/"SAM"), so the order within a name is the seq's.
    for (let i = 0; i < N; i++) {
      await registerMember(s, {
        externalId: `seq-${i}`,
        displayName: i % 10 === 3 ? `Samantha ${i}` : i % 2 ? 'Sam' : 'SAM',
        phone: i % 3 === 0 ? '+44 7700 900000' : null,
      });
    }
  });

  it('a name prefix: every match once, in (case-folded name, seq) order, 7 a page', async () => {
    const expected = await ids(`select id from member where member_search_fold(display_name) collate "C" like 'sam%' order by member_search_fold(display_name) collate "C", seq`);
    expect(expected).toHaveLength(N);
    const seqs = (await s.sql<{ seq: string }>(`select seq::text from member where display_name = 'Sam' order by seq`)).map((r) => r.seq);
    expect(seqs).toEqual(expect.arrayContaining(['10', '100'])); // ties broken across the boundaries
    for (const q of ['sam', 'SAM', '  Sa ']) {
      expect(await walk(async (after) => search(q, { first: 7, after }))).toEqual(expected);
    }
  });

  it('an exact phone shared by 40 members: each once, in seq order, 7 a page', async () => {
    const expected = await ids(`select id from member where phone is not null order by seq`);
    expect(expected).toHaveLength(40);
    const seqs = (await s.sql<{ seq: string }>(`select seq::text from member where phone is not null`)).map((r) => r.seq);
    expect(seqs).toEqual(expect.arrayContaining(['7', '10', '97', '100']));
    expect(await walk(async (after) => search('+447700900000', { first: 7, after }))).toEqual(expected);
  });

  it('totalCount counts every match, only when asked', async () => {
    const count = async (q: string) => (await s.gql('query($q: String!) { searchMembers(query: $q, first: 1) { totalCount } }', { q }, await s.token('admin'))).data!.searchMembers.totalCount;
    expect(await count('sam')).toBe(N);
    expect(await count('samantha')).toBe(12);
    expect(await count('0044 7700 900000')).toBe(40);
    expect(await count('nobody')).toBe(0);
  });

  it('a garbage, foreign or out-of-range cursor is BAD_USER_INPUT naming after', async () => {
    const token = await s.token('service');
    const bad = ['%%%', cursor('member:5'), cursor('memberexact:'), cursor('memberexact:-1'), cursor('memberexact:9223372036854775808'),
      cursor('membername:x:sam'), cursor('membername:9223372036854775808:sam'), cursor('membername:5:sam\u0000'), cursor(`membername:5:${'s'.repeat(1001)}`)];
    for (const after of bad) expectError(await s.gql(SEARCH, { q: 'sam', first: 5, after }, token), 'BAD_USER_INPUT', 'after');
    expect((await s.gql(SEARCH, { q: 'sam', first: 5, after: cursor('membername:9223372036854775807:zzz') }, token)).data!.searchMembers.edges).toEqual([]);
    // A cursor of the other kind of match: an exact one on a name search, a name one on an exact search.
    expectError(await s.gql(SEARCH, { q: 'sam', first: 5, after: cursor('memberexact:5') }, token), 'BAD_USER_INPUT', 'after');
    expectError(await s.gql(SEARCH, { q: '0044 7700 900000', first: 5, after: cursor('membername:1:a') }, token), 'BAD_USER_INPUT', 'after');
  });
});

describe('searchMembers', () => {
  let ada: string;
  let bob: string;
  let cy: string;
  let elodie: string;
  beforeAll(async () => {
    ada = await registerMember(s, { externalId: 'POS-ada', displayName: 'Ada Lovelace', email: 'Ada.Lovelace@Example.com', phone: '+44 (0)7700 900123' });
    bob = await registerMember(s, { externalId: 'POS-bob', displayName: '100% Bob', email: 'bob@example.com', phone: '(020) 7946-0000' });
    cy = await registerMember(s, { externalId: 'cy_1', displayName: '100 Cy', phone: '0033 1 23 45 67 89' });
    await registerMember(s, { displayName: 'a_b' });
    await registerMember(s, { displayName: 'axb' });
    elodie = await registerMember(s, { displayName: 'Élodie Ünal', email: 'ÉLODIE@Example.com' });
  });

  it('finds a member by exact id, externalId, email in any case, or phone however it is typed', async () => {
    expect(await found(ada)).toEqual([ada]);
    expect(await found(ada.toUpperCase())).toEqual([ada]);
    expect(await found('POS-ada')).toEqual([ada]);
    expect(await found('pos-ada')).toEqual([]); // an externalId is the brand's key, matched exactly
    expect(await found('ada.lovelace@example.COM')).toEqual([ada]);
    for (const phone of ['+447700900123', '+44 7700 900 123', '0044 7700-900-123', '+44 (0) 7700 900123']) expect(await found(phone)).toEqual([ada]);
    for (const phone of ['02079460000', '020 7946 0000', '(020)7946-0000']) expect(await found(phone)).toEqual([bob]);
    expect(await found('+33 1 23 45 67 89')).toEqual([cy]);
    // a national number is not its international form: the server knows no country
    expect(await found('07700900123')).toEqual([]);
  });

  it('otherwise a display-name prefix in any case, with % and _ taken literally', async () => {
    expect(await found('ada')).toEqual([ada]);
    expect(await found('ADA LOVE')).toEqual([ada]);
    expect(await found('100%')).toEqual([bob]);
    expect((await found('100')).sort()).toEqual([bob, cy].sort());
    expect(await found('a_')).toEqual(await ids(`select id from member where display_name = 'a_b'`));
    expect(await found('%')).toEqual([]);
    expect(await found('Lovelace')).toEqual([]); // a prefix, not a substring
  });

  it('any case is any Unicode case, whatever the database\'s locale', async () => {
    for (const q of ['élodie', 'ÉLODIE ü', 'Élodie Ünal']) expect(await found(q)).toEqual([elodie]);
    expect(await found('élodie@example.COM')).toEqual([elodie]);
    expect((await s.sql(`select member_search_fold('ÉLODIE Ünal ØRSTED') as f`))[0].f).toBe('élodie ünal ørsted');
  });

  it('letters whose lower case depends on their place or the collation: final sigma, dotted capital I', async () => {
    // ICU (PostgreSQL before 17) lowers a Σ that ends the text to ς, and İ to i + U+0307; pg_c_utf8
    // lowers every Σ to σ and İ to i, and leaves a typed ς as it is. One form for each, whichever.
    const sisyphus = await registerMember(s, { displayName: 'ΣΊΣΥΦΟΣ Παπαδόπουλος' });
    const ilkay = await registerMember(s, { displayName: 'İlkay Gündoğan', email: 'İLKAY@example.com' });
    for (const q of ['ΣΊΣ', 'σίσ', 'σίσυφος', 'ΣΊΣΥΦΟΣ', 'Σίσυφος π']) expect([q, await found(q)]).toEqual([q, [sisyphus]]);
    for (const q of ['ilk', 'ILK', 'İlk', 'ilkay g']) expect([q, await found(q)]).toEqual([q, [ilkay]]);
    expect(await found('ilkay@example.com')).toEqual([ilkay]);
  });

  it('exact matches win: a text that is an externalId does not list the names it starts', async () => {
    await registerMember(s, { externalId: 'Ada', displayName: 'Someone' });
    const [owner] = await ids(`select id from member where external_id = 'Ada'`);
    expect(await found('Ada')).toEqual([owner]);
    expect(await found('Ada ')).toEqual([owner]);
  });

  it('is for services and admins; an empty or overlong query and a page over 100 are BAD_USER_INPUT', async () => {
    expectError(await s.gql(SEARCH, { q: 'ada' }, await s.token('member', ada)), 'FORBIDDEN');
    expectError(await s.gql(SEARCH, { q: 'ada' }), 'UNAUTHENTICATED');
    expect((await search('ada', {}, 'admin')).edges).toHaveLength(1);
    const token = await s.token('service');
    expectError(await s.gql(SEARCH, { q: '   ' }, token), 'BAD_USER_INPUT', 'query');
    expectError(await s.gql(SEARCH, { q: 'x'.repeat(321) }, token), 'BAD_USER_INPUT', 'query');
    expectError(await s.gql(SEARCH, { q: 'ada', first: 101 }, token), 'BAD_USER_INPUT', 'first');
  });

  it('reads its indexes, whatever the size of the table (plans with sequential scans off)', async () => {
    const plan = async (run: (em: EntityManager) => Promise<unknown>) => inSqlTransaction(s.app.orm.em.fork(), async (tx) => {
      await tx.execute('set local enable_seqscan = off');
      let text = '';
      const explaining = { execute: async (sql: string, params: unknown[]) => {
        const rows = await tx.execute<{ 'QUERY PLAN': string }[]>(`explain ${sql}`, params);
        text += rows.map((r) => r['QUERY PLAN']).join('\n');
        return [{ n: 0 }];
      } } as unknown as EntityManager;
      await run(explaining);
      return text;
    });
    const exact = await plan((em) => exactPage(em, searchTerms(`${ada}`), null, 21));
    expect(exact).toMatch(/member_pkey/);
    const contact = await plan((em) => exactPage(em, searchTerms('Ada@example.com +44 7700'), null, 21));
    expect(contact).toMatch(/member_email_search_index/);
    expect(contact).toMatch(/member_phone_search_index/);
    expect(contact).toMatch(/member_external_id_unique/);
    const names = await plan((em) => namePage(em, searchTerms('ada'), { key: 'ada', n: '3' }, 21));
    expect(names).toMatch(/Index Scan using member_name_search_index/);
    expect(names).not.toMatch(/Sort/);
    expect(await plan((em) => nameCount(em, searchTerms('ada')))).toMatch(/member_name_search_index/);
  });

  it('member_phone_key: separators out, "+" or "00" for an international number, its "(0)" dropped', async () => {
    const cases: [string, string | null][] = [
      ['+44 7700 900123', '+447700900123'], ['0044 7700 900123', '+447700900123'], ['+44 (0)7700 900-123', '+447700900123'],
      [' 07700 900123 ', '07700900123'], ['(020) 7946-0000', '02079460000'], ['07700.900.123', '07700900123'],
      ['---', null], ['+', null], ['', null], ['ada@example.com', null], ['(0)20 7946', '0207946'],
    ];
    for (const [phone, key] of cases) expect((await s.sql('select member_phone_key($1::text) as key', [phone]))[0].key).toBe(key);
  });
});

describe('memberByExternalId', () => {
  it('finds the brand\'s member for services and admins; null for none; refused to members', async () => {
    const id = await registerMember(s, { externalId: 'brand-42', displayName: 'Forty-two' });
    const Q = 'query($e: String!) { memberByExternalId(externalId: $e) { id displayName } }';
    for (const role of ['service', 'admin'] as const) {
      expect((await s.gql(Q, { e: 'brand-42' }, await s.token(role))).data).toEqual({ memberByExternalId: { id, displayName: 'Forty-two' } });
      expect((await s.gql(Q, { e: 'brand-43' }, await s.token(role))).data).toEqual({ memberByExternalId: null });
    }
    expectError(await s.gql(Q, { e: 'brand-42' }, await s.token('member', id)), 'FORBIDDEN');
    expectError(await s.gql(Q, { e: 'brand-42' }), 'UNAUTHENTICATED');
  });

  it('a key has no white space at its edges, as an import reads it: registration refuses one, a look-up trims it', async () => {
    const REG = 'mutation($i: RegisterMemberInput!) { registerMember(input: $i) { id } }';
    const admin = await s.token('admin');
    for (const e of [' edge-1', 'edge-1 ', '\tedge-1', 'edge-1\n', ' ']) {
      expectError(await s.gql(REG, { i: { externalId: e } }, admin), 'BAD_USER_INPUT', 'externalId');
    }
    expect(await s.sql(`select 1 from member where external_id like '%edge-1%'`)).toEqual([]);
    const id = await registerMember(s, { externalId: 'edge 1', displayName: 'Inner space kept' });
    const Q = 'query($e: String!) { memberByExternalId(externalId: $e) { id } }';
    expect((await s.gql(Q, { e: '  edge 1 ' }, admin)).data).toEqual({ memberByExternalId: { id } });
    expect((await s.gql(Q, { e: 'edge  1' }, admin)).data).toEqual({ memberByExternalId: null });
    // A members import naming it with spaces around is the same member (imports trim fields).
    const res = await fetch(`${s.url}/imports/members`, {
      method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'text/csv' }, body: 'externalId,region\n" edge 1 ",North\n',
    });
    expect(res.status).toBe(202);
    const { id: job } = (await res.json()) as { id: string };
    await eventually(async () => (await s.admin(`{ importJob(id: "${job}") { status } }`)).importJob.status === 'SUCCEEDED', 'the import');
    expect(await s.sql('select region from member where external_id = $1', ['edge 1'])).toEqual([{ region: 'North' }]);
    expect(await s.sql(`select count(*)::int as n from member where external_id like '%edge 1%'`)).toEqual([{ n: 1 }]);
  });
});

describe('updateMember', () => {
  const UPDATE = `mutation($id: ID!, $p: MemberPatch!) { updateMember(memberId: $id, patch: $p) {
    id displayName email phone birthday gender region externalId tier { code } } }`;
  const PROFILE = { displayName: 'Grace', email: 'grace@example.com', phone: '+1 555 0100', gender: 'F', region: 'East' };
  let grace: string;
  let other: string;
  beforeEach(async () => {
    grace = await registerMember(s, { ...PROFILE, externalId: `grace-${Date.now()}-${Math.random()}` });
    other = await registerMember(s, { displayName: 'Other' });
  });
  // The entries after its registration's (member.register, test/e2e/member-register-audit.test.ts).
  const audits = (id: string) => s.sql(`select actor, action, before, after from audit_entry where entity = 'Member' and entity_id = $1 and action <> 'member.register' order by id`, [id]);
  const update = async (id: string, p: Record<string, unknown>, token?: string) => s.gql(UPDATE, { id, p }, token ?? (await s.token('member', id)));

  it('a member edits its own profile: absent fields unchanged, null clears; audited with what changed', async () => {
    const res = await update(grace, { displayName: 'Grace H.', email: null, region: 'West' });
    expect(res.data!.updateMember).toEqual({
      id: grace, displayName: 'Grace H.', email: null, phone: PROFILE.phone, birthday: null, gender: 'F', region: 'West',
      externalId: expect.any(String), tier: { code: 'BRONZE' },
    });
    expect(await audits(grace)).toEqual([{
      actor: `member:${grace}`, action: 'member.update',
      before: { displayName: 'Grace', email: 'grace@example.com', region: 'East' }, after: { displayName: 'Grace H.', email: null, region: 'West' },
    }]);
    // the display name is nullable too
    expect((await update(grace, { displayName: null })).data!.updateMember.displayName).toBeNull();
  });

  it('a patch that changes nothing writes nothing, not even an audit entry', async () => {
    expect((await update(grace, {})).data!.updateMember.displayName).toBe('Grace');
    expect((await update(grace, { displayName: 'Grace', gender: 'F' })).data!.updateMember.displayName).toBe('Grace');
    expect(await audits(grace)).toEqual([]);
  });

  it('birthday: a member sets it once (a retry of the same is fine); services and admins change or clear it', async () => {
    expect((await update(grace, { birthday: '1990-05-17' })).data!.updateMember.birthday).toBe('1990-05-17');
    expect((await update(grace, { birthday: '1990-05-17' })).data!.updateMember.birthday).toBe('1990-05-17');
    expectError(await update(grace, { birthday: '1991-05-17' }), 'FORBIDDEN', 'birthday');
    expectError(await update(grace, { birthday: null }), 'FORBIDDEN', 'birthday');
    expectError(await update(grace, { birthday: '1991-05-17', displayName: 'Not saved' }), 'FORBIDDEN', 'birthday');
    expect((await update(grace, { birthday: '1991-05-17' }, await s.token('service'))).data!.updateMember.birthday).toBe('1991-05-17');
    expect((await update(grace, { birthday: null }, await s.token('admin'))).data!.updateMember.birthday).toBeNull();
    const [row] = await s.sql('select display_name, birthday from member where id = $1', [grace]);
    expect(row).toEqual({ display_name: 'Grace', birthday: null });
    expect((await audits(grace)).map((a) => [a.actor, a.before, a.after])).toEqual([
      [`member:${grace}`, { birthday: null }, { birthday: '1990-05-17' }],
      ['service:service-tester', { birthday: '1990-05-17' }, { birthday: '1991-05-17' }],
      ['admin:admin-tester', { birthday: '1991-05-17' }, { birthday: null }],
    ]);
  });

  it('services and admins edit any member; a member another is FORBIDDEN; unknown is NOT_FOUND', async () => {
    expect((await update(grace, { region: 'North' }, await s.token('service'))).data!.updateMember.region).toBe('North');
    expect((await update(grace, { region: 'South' }, await s.token('admin'))).data!.updateMember.region).toBe('South');
    expectError(await update(grace, { region: 'Elsewhere' }, await s.token('member', other)), 'FORBIDDEN');
    expectError(await update('00000000-0000-4000-8000-000000000000', { region: 'x' }, await s.token('admin')), 'NOT_FOUND');
    expectError(await update('not-a-uuid', { region: 'x' }, await s.token('admin')), 'BAD_USER_INPUT', 'memberId');
    expectError(await s.gql(UPDATE, { id: grace, p: { region: 'x' } }), 'UNAUTHENTICATED');
    expect((await s.sql('select region from member where id = $1', [grace]))[0].region).toBe('South');
  });

  it('checks each field as registerMember does, and a refused patch changes nothing', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ email: 'not-an-email' }, 'email'], [{ phone: 'call me' }, 'phone'], [{ birthday: '1990-02-30' }, 'birthday'],
      [{ birthday: '17/05/1990' }, 'birthday'], [{ birthday: new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10) }, 'birthday'],
      [{ displayName: 'x'.repeat(201) }, 'displayName'], [{ gender: 'x'.repeat(33) }, 'gender'], [{ region: 'x'.repeat(101), displayName: 'Nope' }, 'region'],
    ];
    for (const [p, field] of cases) expectError(await update(grace, p), 'BAD_USER_INPUT', field);
    expectError(await s.gql(UPDATE, { id: grace, p: { externalId: 'x' } }, await s.token('admin')), 'BAD_USER_INPUT');
    const [row] = await s.sql('select display_name, email, phone, birthday, gender, region from member where id = $1', [grace]);
    expect(row).toEqual({ display_name: 'Grace', email: PROFILE.email, phone: PROFILE.phone, birthday: null, gender: 'F', region: 'East' });
    expect(await audits(grace)).toEqual([]);
  });

  it('a new phone or email is what search finds at once; the old one no longer', async () => {
    await update(grace, { phone: '+1 (555) 0199', email: 'G@Example.org' });
    expect(await found('+1 555 0199')).toEqual([grace]);
    expect(await found('g@example.ORG')).toEqual([grace]);
    expect(await found('+15550100')).not.toContain(grace);
  });
});
