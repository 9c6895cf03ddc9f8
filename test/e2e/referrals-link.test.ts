// Issue 25, referrals: every member's invite code, and the link a registration with a code makes.
import { expectError, startTestServer, type TestServer } from '../support/harness';
import { createLadder } from '../support/fixtures';
import { referralCodeOf } from '../../src/modules/referrals/referrals.rules';

let s: TestServer;
let n = 0;
const key = (p: string) => `${p}-${++n}`;

beforeAll(async () => {
  s = await startTestServer();
  await createLadder(s);
});
afterAll(() => s?.stop());

const REGISTER = `mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id referralCode } }`;
const CODE = `query($id: ID!) { member(id: $id) { id referralCode } }`;

async function register(input: Record<string, unknown>): Promise<{ id: string; referralCode: string }> {
  return (await s.admin(REGISTER, { input: { externalId: key('m'), ...input } })).registerMember;
}

const referralOf = async (refereeId: string) =>
  (await s.sql<{ referrerId: string; status: string; reason: string | null }>(
    'select referrer_id::text as "referrerId", status, reason from referral where referee_id = $1', [refereeId]))[0] ?? null;

describe('referral codes', () => {
  it('every member has a short unambiguous code, the same on every read, distinct from every other', async () => {
    const members = [];
    for (let i = 0; i < 12; i++) members.push(await register({}));
    const codes = new Set(members.map((m) => m.referralCode));
    expect(codes.size).toBe(12);
    for (const m of members) {
      expect(m.referralCode).toMatch(/^[2-9A-HJKMNP-Z]{8}$/);
      const read = await s.admin(CODE, { id: m.id });
      expect(read.member.referralCode).toBe(m.referralCode);
    }
    // the members list and the search read it too (roots without the member screen)
    const list = await s.admin('{ members(first: 100) { edges { node { id referralCode } } } }');
    for (const e of list.members.edges) expect(e.node.referralCode).toMatch(/^[2-9A-HJKMNP-Z]{8}$/);
    const me = await s.gql('{ me { referralCode } }', {}, await s.token('member', members[3].id));
    expect(me.data?.me.referralCode).toBe(members[3].referralCode);
  });
});

describe('registerMember with a referral code', () => {
  it('links the referee to its referrer, PENDING; the code read in any case, spaces around it', async () => {
    const referrer = await register({ phone: '+86 138 0000 0001', email: 'ref1@example.com' });
    const a = await register({ referralCode: referrer.referralCode });
    const b = await register({ referralCode: `  ${referrer.referralCode.toLowerCase()} ` });
    expect(await referralOf(a.id)).toEqual({ referrerId: referrer.id, status: 'PENDING', reason: null });
    expect(await referralOf(b.id)).toEqual({ referrerId: referrer.id, status: 'PENDING', reason: null });
    // a blank code is no code
    const c = await register({ referralCode: '   ' });
    expect(await referralOf(c.id)).toBeNull();
  });

  it('an unknown code is BAD_USER_INPUT and writes nothing', async () => {
    const before = await s.sql<{ n: number }>('select (select count(*) from member)::int + (select count(*) from referral)::int as n');
    const referrer = await register({});
    const unknown = [
      'ZZZZZZZ', // wrong length
      referrer.referralCode.slice(0, 7) + 'O', // a character outside the alphabet
      // a well-formed code no member has: the next codes along
      ...(await nextUnusedCodes(3)),
    ];
    for (const code of unknown) {
      const externalId = key('bad');
      const res = await s.gql(REGISTER, { input: { externalId, referralCode: code } }, await s.token('admin'));
      expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'referralCode' });
      expect(await s.sql('select 1 from member where external_id = $1', [externalId])).toEqual([]);
    }
    const after = await s.sql<{ n: number }>('select (select count(*) from member)::int + (select count(*) from referral)::int as n');
    expect(after[0].n).toBe(before[0].n + 1);
  });

  it('REJECTED at once, with its reason, when the referee shares the referrer\'s phone or email (as search normalises them)', async () => {
    const referrer = await register({ phone: '+86 139-1111-2222', email: 'Share.Me@Example.com' });
    const byPhone = await register({ phone: '+8613911112222', referralCode: referrer.referralCode });
    const byEmail = await register({ email: 'share.me@example.COM', referralCode: referrer.referralCode });
    const neither = await register({ phone: '+86 139 1111 2223', email: 'other@example.com', referralCode: referrer.referralCode });
    expect(await referralOf(byPhone.id)).toMatchObject({ status: 'REJECTED', reason: expect.stringMatching(/phone or email/) });
    expect(await referralOf(byEmail.id)).toMatchObject({ status: 'REJECTED', reason: expect.stringMatching(/phone or email/) });
    expect(await referralOf(neither.id)).toMatchObject({ status: 'PENDING', reason: null });
  });

  it('an erased member\'s code is no code: BAD_USER_INPUT, and nothing is written', async () => {
    const referrer = await register({});
    await s.admin('mutation($id: ID!) { eraseMember(memberId: $id, reason: "asked") { id } }', { id: referrer.id });
    const externalId = `after-erasure-${Date.now()}`;
    const res = await s.gql(REGISTER, { input: { externalId, referralCode: referrer.referralCode } }, await s.token('service'));
    expectError(res, 'BAD_USER_INPUT', 'referralCode');
    expect(await s.sql('select 1 from member where external_id = $1', [externalId])).toEqual([]);
    expect(await s.sql('select 1 from referral where referrer_id = $1', [referrer.id])).toEqual([]);
  });

  it('a replay (same externalId) returns the member; naming another referrer is a CONFLICT', async () => {
    const r1 = await register({});
    const r2 = await register({});
    const externalId = key('replay');
    const first = (await s.admin(REGISTER, { input: { externalId, referralCode: r1.referralCode } })).registerMember;
    const again = (await s.admin(REGISTER, { input: { externalId, referralCode: r1.referralCode.toLowerCase() } })).registerMember;
    expect(again.id).toBe(first.id);
    const other = await s.gql(REGISTER, { input: { externalId, referralCode: r2.referralCode } }, await s.token('admin'));
    expect(other.errors?.[0].extensions?.code).toBe('CONFLICT');
    const none = await s.gql(REGISTER, { input: { externalId } }, await s.token('admin'));
    expect(none.errors?.[0].extensions?.code).toBe('CONFLICT');
    expect(await s.sql('select 1 from referral where referee_id = $1', [first.id])).toHaveLength(1);
  });

  it('many registrations with one code at once: each linked once', async () => {
    const referrer = await register({});
    const ids = await Promise.all([...Array(16)].map(() => register({ referralCode: referrer.referralCode }).then((m) => m.id)));
    const rows = await s.sql<{ n: number }>('select count(*)::int as n from referral where referrer_id = $1 and referee_id = any($2::uuid[])', [referrer.id, ids]);
    expect(rows[0].n).toBe(16);
  });
});

/** Codes of the next seqs the member sequence has not reached: well-formed, no member's. */
async function nextUnusedCodes(k: number): Promise<string[]> {
  const [{ max }] = await s.sql<{ max: string }>('select max(seq)::text as max from member');
  return [...Array(k)].map((_, i) => referralCodeOf(BigInt(max) + 1000n + BigInt(i)));
}
