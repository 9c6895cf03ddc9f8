import { expectError, startTestServer, type TestServer } from '../support/harness';
import { REGISTER, createLadder, registerMember } from '../support/fixtures';
import { registrationDigest } from '../../src/modules/members/members.rules';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(() => s.stop());

describe('registerMember', () => {
  it('needs an entry tier first', async () => {
    const res = await s.gql(REGISTER, { input: { externalId: 'early' } }, await s.token('service'));
    expectError(res, 'CONFLICT');
    await createLadder(s);
  });

  it('registers at the entry tier, with profile fields', async () => {
    const input = {
      externalId: 'ext-1', displayName: 'Ada', email: 'ada@example.com', phone: '+44 20 1234',
      birthday: '1990-02-28', gender: 'F', region: 'North', channel: 'app', joinedAt: '2026-01-15T10:00:00.000Z',
    };
    const data = await s.admin(`mutation($input: RegisterMemberInput!) { registerMember(input: $input) {
      externalId displayName email phone birthday gender region channel joinedAt tierSince tierExpiresAt tier { code } } }`, { input });
    expect(data.registerMember).toEqual({
      ...input, tierSince: input.joinedAt, tierExpiresAt: null, tier: { code: 'BRONZE' },
    });
  });

  it('takes profile text as an import reads it: white space at its edges dropped, blank as none (registerMember and updateMember)', async () => {
    const FIELDS = 'id displayName phone gender region channel';
    const { registerMember: m } = await s.admin(`mutation($input: RegisterMemberInput!) { registerMember(input: $input) { ${FIELDS} } }`,
      { input: { externalId: 'ext-spaces', displayName: '  Ada  Lovelace ', phone: '+44 20 1234 ', gender: ' F', region: 'North ', channel: '   ' } });
    expect(m).toEqual({ id: m.id, displayName: 'Ada  Lovelace', phone: '+44 20 1234', gender: 'F', region: 'North', channel: null });
    // The same registration retried as sent is the same member, not another profile.
    const again = await s.gql(REGISTER, { input: { externalId: 'ext-spaces', displayName: '  Ada  Lovelace ', phone: '+44 20 1234 ', gender: ' F', region: 'North ', channel: '   ' } }, await s.token('service'));
    expect(again.data!.registerMember.id).toBe(m.id);
    const { updateMember: u } = await s.admin(`mutation($id: ID!, $patch: MemberPatch!) { updateMember(memberId: $id, patch: $patch) { ${FIELDS} } }`,
      { id: m.id, patch: { region: ' South\t', displayName: '   ' } });
    expect(u).toMatchObject({ displayName: null, region: 'South' });
    // So a segment by region finds it as it finds an imported member of "South".
    const { segmentPreview } = await s.admin('query($f: SegmentFilterInput!) { segmentPreview(filter: $f) { size } }', { f: { regions: ['South'] } });
    expect(segmentPreview.size).toBeGreaterThanOrEqual(1);
    const [row] = await s.sql<{ region: string }>('select region from member where id = $1', [m.id]);
    expect(row.region).toBe('South');
  });

  it('a member registered before profile text was trimmed (stored as sent) is found again by the same registration retried', async () => {
    const sent = { externalId: 'ext-before-trim', displayName: 'Ada ', region: 'North ' };
    const [{ id }] = await s.sql<{ id: string }>(`insert into member (id, external_id, display_name, region, joined_at, tier_id, tier_since, registration_digest, created_at, updated_at)
      select gen_random_uuid(), $1, $2, $3, now(), t.id, now(), $4, now(), now() from tier t where t.rank = 0 returning id::text`,
    [sent.externalId, sent.displayName, sent.region, registrationDigest(sent)]);
    await s.sql('insert into point_account (member_id, updated_at) values ($1, now())', [id]);
    const again = await s.gql(REGISTER, { input: sent }, await s.token('service'));
    expect(again.errors).toBeUndefined();
    expect(again.data!.registerMember.id).toBe(id);
    // Another profile is still another profile.
    expectError(await s.gql(REGISTER, { input: { ...sent, region: 'South' } }, await s.token('service')), 'CONFLICT', 'externalId');
  });

  it('is idempotent on externalId: same profile returns the member, another is CONFLICT', async () => {
    const token = await s.token('service');
    const first = await s.gql(REGISTER, { input: { externalId: 'ext-2', displayName: 'Bo' } }, token);
    const again = await s.gql(REGISTER, { input: { externalId: 'ext-2', displayName: 'Bo' } }, token);
    expect(again.data!.registerMember.id).toBe(first.data!.registerMember.id);
    const other = await s.gql(REGISTER, { input: { externalId: 'ext-2', displayName: 'Someone else' } }, token);
    expectError(other, 'CONFLICT', 'externalId');
  });

  it('a registration retried after the profile changed is the first registration: the member, not a CONFLICT, nothing written', async () => {
    const service = await s.token('service');
    const input = { externalId: 'ext-retry', displayName: 'Cy', email: 'cy@example.com', region: 'North' };
    const first = await s.gql(REGISTER, { input }, service);
    const id = first.data!.registerMember.id;
    // The member changes its profile in its app (and an import could too) before the back end's retry arrives.
    await s.admin(`mutation($id: ID!) { updateMember(memberId: $id, patch: { displayName: "Cy Young", email: "cy.young@example.com" }) { id } }`, { id });
    const [before] = await s.sql('select display_name, email, region, updated_at from member where id = $1', [id]);
    const retried = await s.gql(REGISTER, { input }, service);
    expect(retried.errors).toBeUndefined();
    expect(retried.data!.registerMember.id).toBe(id);
    // The profile as it stands now is a replay too (nothing to write); another payload is still a CONFLICT.
    const current = await s.gql(REGISTER, { input: { ...input, displayName: 'Cy Young', email: 'cy.young@example.com' } }, service);
    expect(current.data!.registerMember.id).toBe(id);
    expectError(await s.gql(REGISTER, { input: { ...input, region: 'South' } }, service), 'CONFLICT', 'externalId');
    expect(await s.sql('select display_name, email, region, updated_at from member where id = $1', [id])).toEqual([before]);
    expect(await s.sql(`select count(*)::int as n from member where external_id = 'ext-retry'`)).toEqual([{ n: 1 }]);
  });

  it('ten concurrent registrations with one key make one member', async () => {
    const token = await s.token('service');
    const results = await Promise.all(Array.from({ length: 10 }, () =>
      s.gql(REGISTER, { input: { externalId: 'ext-race', displayName: 'Race' } }, token)));
    const ids = new Set(results.map((r) => r.data?.registerMember.id));
    expect(results.every((r) => !r.errors)).toBe(true);
    expect(ids.size).toBe(1);
    expect(await s.sql(`select count(*)::int as n from member where external_id = 'ext-race'`)).toEqual([{ n: 1 }]);
  });

  it('rejects bad input with the field named and writes nothing', async () => {
    const token = await s.token('service');
    const [{ n: before }] = await s.sql('select count(*)::int as n from member');
    const cases: [Record<string, unknown>, string][] = [
      [{ birthday: '1990-02-30' }, 'birthday'],
      [{ birthday: '02/03/1990' }, 'birthday'],
      [{ email: 'not-an-email' }, 'email'],
      [{ joinedAt: new Date(Date.now() + 3600_000).toISOString() }, 'joinedAt'],
    ];
    for (const [input, field] of cases) expectError(await s.gql(REGISTER, { input }, token), 'BAD_USER_INPUT', field);
    const [{ n: after }] = await s.sql('select count(*)::int as n from member');
    expect(after).toBe(before);
  });
});

describe('members (admin list)', () => {
  beforeAll(async () => {
    for (let i = 0; i < 57; i++) await registerMember(s, { externalId: `page-${i}` });
  });

  it('paginates with cursors in registration order, with totalCount', async () => {
    const [{ n }] = await s.sql('select count(*)::int as n from member');
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const data: any = await s.admin(`query($after: String) { members(first: 25, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id } } } }`, { after });
      const conn = data.members;
      expect(conn.totalCount).toBe(n);
      seen.push(...conn.edges.map((e: any) => e.node.id));
      expect(conn.pageInfo.endCursor).toBe(conn.edges.at(-1)?.cursor ?? null);
      pages++;
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
    }
    expect(pages).toBe(Math.ceil(n / 25));
    expect(new Set(seen).size).toBe(n);
    const ordered = await s.sql<{ id: string }>('select id from member order by seq');
    expect(seen).toEqual(ordered.map((r) => r.id));
  });

  it('caps page size at 100 and rejects a foreign cursor', async () => {
    const token = await s.token('admin');
    expectError(await s.gql('{ members(first: 101) { totalCount } }', {}, token), 'BAD_USER_INPUT', 'first');
    expectError(await s.gql('{ members(first: 1, after: "bm90LWEtY3Vyc29y") { totalCount } }', {}, token), 'BAD_USER_INPUT', 'after');
  });
});
