// Issue 17, item 5 (values): a client's mistake in a value is BAD_USER_INPUT naming the
// field, never INTERNAL_SERVER_ERROR, never SQL in the answer, and it writes nothing.
import { expectError, startTestServer, type GqlResponse, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';

let s: TestServer;
let admin: string;
let memberId: string;
let member: string;
beforeAll(async () => {
  s = await startTestServer();
  admin = await s.token('admin');
  await createLadder(s);
  memberId = await registerMember(s, { externalId: 'values-1' });
  member = await s.token('member', memberId);
  await s.admin('mutation { upsertReward(input: { code: "V-R", name: "r", costPoints: 1 }) { id } }');
  await s.admin('mutation { saveSegment(input: { name: "values", filter: {} }) { id } }');
});
afterAll(() => s.stop());

/** Tables a refused request must leave as they were. */
async function counts() {
  return s.sql(`select (select count(*) from member)::int as members, (select count(*) from point_transaction)::int as txns,
    (select count(*) from redemption)::int as redemptions, (select count(*) from segment)::int as segments, (select count(*) from tag)::int as tags,
    (select count(*) from member_tag)::int as "memberTags", (select count(*) from tier)::int as tiers, (select count(*) from benefit)::int as benefits,
    (select count(*) from audit_entry)::int as audit`);
}

function expectRefused(label: string, res: GqlResponse, field: string) {
  expect({ label, status: res.status, code: res.errors?.[0]?.extensions?.code, field: res.errors?.[0]?.extensions?.field })
    .toEqual({ label, status: 200, code: 'BAD_USER_INPUT', field });
  expect(res.errors![0].message).toContain(field.split('.').at(-1)!);
  expect(JSON.stringify(res)).not.toMatch(/select |insert |update |invalid input syntax|\bat \w+ \(/i);
}

/** Runs [label, query, variables, token, field] cases; nothing may change. */
async function refuseAll(cases: [string, string, Record<string, unknown>, string, string][]) {
  const before = await counts();
  for (const [label, query, variables, token, field] of cases) expectRefused(label, await s.gql(query, variables, token), field);
  expect(await counts()).toEqual(before);
}

const cursor = (kind: string, seq: string) => Buffer.from(`${kind}:${seq}`).toString('base64url');

describe('an id that is not a UUID', () => {
  it('is BAD_USER_INPUT naming the argument or input field, wherever an id is taken', async () => {
    const bad = 'abc';
    await refuseAll([
      ['member', 'query($id: ID!) { member(id: $id) { id } }', { id: bad }, admin, 'id'],
      ['member, literal', '{ member(id: "abc") { id } }', {}, admin, 'id'],
      ['member, as a member', 'query($id: ID!) { member(id: $id) { id } }', { id: "1' or '1'='1" }, member, 'id'],
      ['segment', 'query($id: ID!) { segment(id: $id) { id } }', { id: bad }, admin, 'id'],
      ['tierChanges', 'query($id: ID) { tierChanges(memberId: $id) { id } }', { id: bad }, admin, 'memberId'],
      ['tierNotices', 'query($id: ID!) { tierNotices(memberId: $id) { id } }', { id: bad }, admin, 'memberId'],
      ['setMemberTier', 'mutation($id: ID!) { setMemberTier(memberId: $id, tierCode: "GOLD", reason: "r") { id } }', { id: bad }, admin, 'memberId'],
      ['cancelRedemption', 'mutation($id: ID!) { cancelRedemption(id: $id, reason: "r") { id } }', { id: '12345' }, admin, 'id'],
      ['tagMember', 'mutation($id: ID!) { tagMember(memberId: $id, tagCode: "vip") { id } }', { id: bad }, admin, 'memberId'],
      ['untagMember', 'mutation($id: ID!) { untagMember(memberId: $id, tagCode: "vip") { id } }', { id: bad }, admin, 'memberId'],
      ['recordPurchase', 'mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }', { i: { memberId: bad, orderId: 'v-o', amount: 1 } }, admin, 'memberId'],
      ['adjustPoints', 'mutation($i: AdjustPointsInput!) { adjustPoints(input: $i) { id } }', { i: { memberId: bad, amount: 1, reason: 'r', idempotencyKey: 'v-k' } }, admin, 'memberId'],
      ['recordActivity', 'mutation($i: RecordActivityInput!) { recordActivity(input: $i) { pointsEarned } }', { i: { memberId: bad, kind: 'X', idempotencyKey: 'v-k' } }, admin, 'memberId'],
      ['redeemReward', 'mutation($i: RedeemRewardInput!) { redeemReward(input: $i) { id } }', { i: { memberId: bad, rewardCode: 'V-R', idempotencyKey: 'v-k' } }, admin, 'memberId'],
    ]);
  });

  it('a well-formed id that matches nothing is still NOT_FOUND or null', async () => {
    const none = '00000000-0000-4000-8000-000000000000';
    expect((await s.gql('query($id: ID!) { member(id: $id) { id } }', { id: none }, admin)).data).toEqual({ member: null });
    expectError(await s.gql('mutation($id: ID!) { cancelRedemption(id: $id, reason: "r") { id } }', { id: none }, admin), 'NOT_FOUND');
  });

  it('a member token whose subject is not a member id is UNAUTHENTICATED, not a server error', async () => {
    const odd = await s.token('member', 'not-a-uuid');
    for (const query of ['{ rewards { code } }', '{ me { id } }', '{ tiers { code } }']) {
      const res = await s.gql(query, {}, odd);
      expect({ query, code: res.errors?.[0]?.extensions?.code }).toEqual({ query, code: 'UNAUTHENTICATED' });
    }
  });

  it('a subscription with a non-UUID memberId gets the error for that operation', async () => {
    const client = s.ws(admin);
    const errors = await new Promise<readonly { extensions?: Record<string, unknown> }[]>((resolve, reject) => {
      setTimeout(() => reject(new Error('the subscription was accepted: no error within 5 s')), 5000).unref();
      client.subscribe({ query: 'subscription($id: ID) { tierChanged(memberId: $id) { id } }', variables: { id: 'abc' } }, {
        next: (msg) => (msg.errors ? resolve(msg.errors) : reject(new Error('unexpected event'))),
        error: (err) => resolve(Array.isArray(err) ? err : [{ extensions: { raw: String(err) } }]),
        complete: () => undefined,
      });
    });
    expect(errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'memberId' });
  });
});

describe('a NUL character in a string', () => {
  it('is BAD_USER_INPUT naming the field, in arguments, input objects and lists', async () => {
    const nul = 'a\u0000b';
    await refuseAll([
      ['registerMember', 'mutation($i: RegisterMemberInput!) { registerMember(input: $i) { id } }', { i: { displayName: nul } }, admin, 'displayName'],
      ['registerMember externalId', 'mutation($i: RegisterMemberInput!) { registerMember(input: $i) { id } }', { i: { externalId: nul } }, admin, 'externalId'],
      ['literal escape', 'mutation { registerMember(input: { region: "x\\u0000y" }) { id } }', {}, admin, 'region'],
      ['upsertTier', 'mutation($n: String!) { upsertTier(input: { code: "V", name: $n, rank: 9, qualifyingPoints: 1, retainPoints: 1 }) { id } }', { n: nul }, admin, 'name'],
      ['tagMember', 'mutation($id: ID!, $t: String!) { tagMember(memberId: $id, tagCode: $t) { id } }', { id: memberId, t: nul }, admin, 'tagCode'],
      ['setMemberTier reason', 'mutation($id: ID!, $r: String!) { setMemberTier(memberId: $id, tierCode: "GOLD", reason: $r) { id } }', { id: memberId, r: nul }, admin, 'reason'],
      ['redeem key (member)', 'mutation($i: RedeemRewardInput!) { redeemReward(input: $i) { id } }', { i: { memberId, rewardCode: 'V-R', idempotencyKey: nul } }, member, 'idempotencyKey'],
      ['auditLog entity', 'query($e: String) { auditLog(entity: $e) { id } }', { e: nul }, admin, 'entity'],
      ['segment name', 'mutation($n: String!) { saveSegment(input: { name: $n, filter: {} }) { id } }', { n: nul }, admin, 'name'],
      ['segment filter list', 'mutation($r: String!) { saveSegment(input: { name: "v-nul", filter: { regions: ["ok", $r] } }) { id } }', { r: nul }, admin, 'regions'],
      ['tag rule', 'mutation($t: String!) { upsertTag(input: { code: "v-nul", name: "n", rule: { tagsAny: [$t] } }) { id } }', { t: nul }, admin, 'tagsAny'],
      ['cursor', 'query($a: String) { members(after: $a) { totalCount } }', { a: nul }, admin, 'after'],
      ['benefit description', 'mutation($d: String) { upsertBenefit(input: { code: "V-NUL", name: "n", kind: "DISCOUNT", tierCodes: [], description: $d }) { id } }', { d: nul }, admin, 'description'],
    ]);
  });
});

describe('half of a UTF-16 surrogate pair in a string', () => {
  it('is BAD_USER_INPUT naming the field (it was a server error where the value reached jsonb), and a whole pair is taken', async () => {
    const [high, low] = ['a\ud800', 'r\udc00'];
    await refuseAll([
      ['registerMember', 'mutation($i: RegisterMemberInput!) { registerMember(input: $i) { id } }', { i: { displayName: high } }, admin, 'displayName'],
      ['segment name', 'mutation($n: String!) { saveSegment(input: { name: $n, filter: {} }) { id } }', { n: high }, admin, 'name'],
      ['segment filter list', 'mutation($r: String!) { saveSegment(input: { name: "v-sur", filter: { regions: ["ok", $r] } }) { id } }', { r: low }, admin, 'regions'],
      ['adjust reason', 'mutation($i: AdjustPointsInput!) { adjustPoints(input: $i) { id } }', { i: { memberId, amount: 5, reason: low, idempotencyKey: 'v-sur' } }, admin, 'reason'],
    ]);
    // Written into the document itself, the parser refuses it (a client's error: 400, not 5xx).
    const literal = await s.gql('mutation { registerMember(input: { region: "x\\ud800y" }) { id } }', {}, admin);
    expect(literal.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    const emoji = await s.gql('mutation($n: String!) { saveSegment(input: { name: $n, filter: {} }) { name } }', { n: 'fans \ud83d\ude00' }, admin);
    expect(emoji.data).toEqual({ saveSegment: { name: 'fans \u{1F600}' } });
  });
});

describe('a cursor whose number does not fit', () => {
  it('is BAD_USER_INPUT (after) on every paged field', async () => {
    const huge = '9'.repeat(30);
    await refuseAll([
      ['members', 'query($a: String) { members(after: $a) { totalCount } }', { a: cursor('member', huge) }, admin, 'after'],
      ['pointsHistory', 'query($id: ID!, $a: String) { member(id: $id) { pointsHistory(after: $a) { edges { cursor } } } }', { id: memberId, a: cursor('txn', huge) }, member, 'after'],
      ['redemptions', 'query($id: ID!, $a: String) { member(id: $id) { redemptions(after: $a) { edges { cursor } } } }', { id: memberId, a: cursor('redemption', huge) }, member, 'after'],
      ['segment members', 'query($a: String) { segments { members(after: $a) { totalCount } } }', { a: cursor('member', '9223372036854775808') }, admin, 'after'],
    ]);
    // the largest sequence a cursor may carry is still a cursor
    const ok = await s.gql('query($a: String) { members(after: $a) { edges { cursor } } }', { a: cursor('member', '9'.repeat(18)) }, admin);
    expect(ok.data).toEqual({ members: { edges: [] } });
  });
});

describe('dates given as text', () => {
  it('a birthday PostgreSQL cannot store, or no one alive has, is BAD_USER_INPUT (birthday)', async () => {
    const tomorrowButOne = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
    const REGISTER = 'mutation($i: RegisterMemberInput!) { registerMember(input: $i) { id } }';
    await refuseAll(['0000-01-01', '0001-01-01', '1899-12-31', tomorrowButOne, '1990-02-29']
      .map((birthday): [string, string, Record<string, unknown>, string, string] => [birthday, REGISTER, { i: { birthday } }, admin, 'birthday']));
    expect((await s.gql(REGISTER, { i: { birthday: '1900-01-01' } }, admin)).errors).toBeUndefined();
  });
});

describe('a variable GraphQL cannot coerce', () => {
  it('is BAD_USER_INPUT naming the input it was for, as the resolvers\' own checks name it (HTTP 400: refused before it runs)', async () => {
    const before = await counts();
    const cases: [string, string, Record<string, unknown>, string, string][] = [
      ['a date that is no date, in an input object', 'mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }',
        { i: { memberId, orderId: 'v-coerce', amount: 10, occurredAt: 'yesterday' } }, admin, 'occurredAt'],
      ['a required field missing', 'mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }', { i: { memberId, orderId: 'v-coerce' } }, admin, 'amount'],
      ['a scalar variable', 'query($f: DateTime!, $t: DateTime!) { pointsFlow(from: $f, to: $t) { period } }', { f: '2026-13-01', t: '2026-12-01T00:00:00Z' }, admin, 'f'],
      ['a list item of the wrong type', 'mutation($i: SegmentInput!) { saveSegment(input: $i) { id } }', { i: { name: 'v-coerce', filter: { regions: ['ok', 5] } } }, admin, 'regions'],
    ];
    for (const [label, query, variables, token, field] of cases) {
      const res = await s.gql(query, variables, token);
      expect({ label, status: res.status, code: res.errors?.[0]?.extensions?.code, field: res.errors?.[0]?.extensions?.field })
        .toEqual({ label, status: 400, code: 'BAD_USER_INPUT', field });
    }
    expect(await counts()).toEqual(before);
  });
});

describe('a null variable where the argument or an input field written in the document is `T! = default`', () => {
  it('is BAD_USER_INPUT naming it (GraphQL refuses it at execution), and writes nothing', async () => {
    await refuseAll([
      ['an argument', 'query($w: Int, $id: ID!) { member(id: $id) { expiringPoints(withinDays: $w) } }', { w: null, id: memberId }, admin, 'withinDays'],
      ['an argument on me', 'query($w: Int) { me { expiringPoints(withinDays: $w) } }', { w: null }, await s.token('member', memberId), 'withinDays'],
      ['an input field', 'mutation($a: Boolean) { upsertReward(input: { code: "V-NULL", name: "x", costPoints: 5, active: $a }) { active } }', { a: null }, admin, 'active'],
      ['a benefit\'s', 'mutation($a: Boolean) { upsertBenefit(input: { code: "V-NULL", name: "x", kind: "CUSTOM", tierCodes: [], active: $a }) { active } }', { a: null }, admin, 'active'],
      ['a tier\'s', 'mutation($m: Float) { upsertTier(input: { code: "V-NULL", name: "x", rank: 6, qualifyingPoints: 1, retainPoints: 1, pointsMultiplier: $m }) { id } }', { m: null }, admin, 'pointsMultiplier'],
    ]);
  });
});

describe('numbers out of any sensible range', () => {
  it('minSpend: 1e300 and its siblings are BAD_USER_INPUT naming the field', async () => {
    await refuseAll([
      ['minSpend', 'mutation($v: Float) { saveSegment(input: { name: "v-big", filter: { minSpend: $v } }) { id size } }', { v: 1e300 }, admin, 'minSpend'],
      ['maxSpend', 'mutation { saveSegment(input: { name: "v-big", filter: { maxSpend: -1e300 } }) { id size } }', {}, admin, 'maxSpend'],
      ['tag rule minSpend', 'mutation($v: Float) { upsertTag(input: { code: "v-big", name: "n", rule: { minSpend: $v } }) { id } }', { v: 1e300 }, admin, 'minSpend'],
      ['benefit value', 'mutation($v: Float) { upsertBenefit(input: { code: "V-BIG", name: "n", kind: "DISCOUNT", tierCodes: [], value: $v }) { id } }', { v: 1e300 }, admin, 'value'],
      ['purchase amount', 'mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }', { i: { memberId, orderId: 'v-big', amount: 1e300 } }, admin, 'amount'],
      ['refund amount', 'mutation($i: RefundPurchaseInput!) { refundPurchase(input: $i) { pointsEarned } }', { i: { orderId: 'v-big', refundId: 'v-big', amount: 1e300 } }, admin, 'amount'],
      ['pointsMultiplier', 'mutation($v: Float!) { upsertTier(input: { code: "V", name: "n", rank: 9, qualifyingPoints: 1, retainPoints: 1, pointsMultiplier: $v }) { id } }', { v: 1e300 }, admin, 'pointsMultiplier'],
      ['pointsPerUnit', 'mutation($v: Float) { updateProgram(input: { pointsPerUnit: $v }) { pointsPerUnit } }', { v: 1e300 }, admin, 'pointsPerUnit'],
    ]);
  });

  it('a segment within the bounds is saved and sized', async () => {
    const res = await s.gql('mutation { saveSegment(input: { name: "v-fine", filter: { minSpend: 1000000000000, maxSpend: 1000000000000 } }) { size } }', {}, admin);
    expect(res.data).toEqual({ saveSegment: { size: 0 } });
  });
});
