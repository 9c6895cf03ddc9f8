// A mutation that asks for a field only another role may read (Member.referralDepth,
// Benefit.history, Tag.rule, ImportJob.errors: admin) is refused before it runs. The field was
// checked only as it resolved, after the write: the answer was FORBIDDEN alone (a non-null
// field's null reached the root) while the purchase or the redemption was written, and a till
// that took it for a refusal and retried with a new key wrote twice. Found by an outside audit (86).
import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';

let s: TestServer;
let service: string;
let member: string;
let memberToken: string;
beforeAll(async () => {
  s = await startTestServer();
  service = await s.token('service');
  await createLadder(s);
  await s.admin('mutation($i: RewardInput!) { upsertReward(input: $i) { code } }', { i: { code: 'MUG', name: 'Mug', costPoints: 10 } });
  member = await registerMember(s);
  memberToken = await s.token('member', member);
  await s.admin('mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }', { i: { memberId: member, orderId: 'fr-seed', amount: 100 } });
});
afterAll(() => s?.stop());

const count = async (table: string) => Number((await s.sql<{ n: string }>(`select count(*) as n from ${table}`))[0].n);

it('refuses the whole mutation, before it writes, when it asks for an admin-only field; the same mutation without it runs', async () => {
  const purchases = await count('purchase');
  const redemptions = await count('redemption');
  const cases: [string, string, Record<string, unknown>][] = [
    [service, 'mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned member { referralDepth } } }', { i: { memberId: member, orderId: 'fr-1', amount: 60 } }],
    // Through a fragment, as a client's generated documents ask.
    [service, 'mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned member { ...M } } } fragment M on Member { id referralDepth }', { i: { memberId: member, orderId: 'fr-2', amount: 60 } }],
    [memberToken, 'mutation($i: RedeemRewardInput!) { redeemReward(input: $i) { couponCode member { referralDepth } } }', { i: { memberId: member, rewardCode: 'MUG', idempotencyKey: 'fr-r1' } }],
  ];
  for (const [token, query, variables] of cases) {
    const r = await s.gql(query, variables, token);
    expect(r.status).toBe(200);
    expect(r.data ?? null).toBeNull();
    expect(r.errors).toHaveLength(1);
    expect(r.errors![0].extensions!.code).toBe('FORBIDDEN');
    expect(r.errors![0].message).toMatch(/Member\.referralDepth: the mutation was not run/);
  }
  expect(await count('purchase')).toBe(purchases);
  expect(await count('redemption')).toBe(redemptions);
  // Without the field, the same writes run.
  const ok = await s.gql('mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned member { id } } }', { i: { memberId: member, orderId: 'fr-1', amount: 60 } }, service);
  expect(ok.errors).toBeUndefined();
  expect(await count('purchase')).toBe(purchases + 1);
  // Asked only where execution would read it: left out by @include/@skip, the mutation runs.
  for (const [query, variables] of [
    ['mutation($i: RecordPurchaseInput!, $admin: Boolean!) { recordPurchase(input: $i) { member { id referralDepth @include(if: $admin) } } }', { admin: false }],
    ['mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { member { id ... @skip(if: true) { referralDepth } } } }', {}],
    ['mutation($i: RecordPurchaseInput!, $s: Boolean!) { recordPurchase(input: $i) { member { ...D @skip(if: $s) } } } fragment D on Member { referralDepth }', { s: true }],
    // A variable left out takes its default, as execution takes it.
    ['mutation($i: RecordPurchaseInput!, $admin: Boolean = false) { recordPurchase(input: $i) { member { id referralDepth @include(if: $admin) } } }', {}],
  ] as const) {
    const r = await s.gql(query, { ...variables, i: { memberId: member, orderId: `fr-skip-${query.length}`, amount: 60 } }, service);
    expect(r.errors).toBeUndefined();
  }
  const included = await s.gql('mutation($i: RecordPurchaseInput!, $admin: Boolean!) { recordPurchase(input: $i) { member { referralDepth @include(if: $admin) } } }',
    { admin: true, i: { memberId: member, orderId: 'fr-skip-included', amount: 60 } }, service);
  expect(included.errors![0].extensions!.code).toBe('FORBIDDEN');
  expect(await count('purchase')).toBe(purchases + 5);
  // An admin may ask for it.
  const admin = await s.admin('mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned member { referralDepth } } }', { i: { memberId: member, orderId: 'fr-3', amount: 60 } });
  expect(admin.recordPurchase.member.referralDepth).toBe(0);
});

it('over WebSocket too', async () => {
  const purchases = await count('purchase');
  const client = s.ws(service);
  const outcome = await new Promise<any>((resolve) => {
    client.subscribe({ query: 'mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned member { referralDepth } } }', variables: { i: { memberId: member, orderId: 'fr-ws', amount: 60 } } },
      { next: (v) => resolve(v), error: (e) => resolve({ errors: e }), complete: () => {} });
  });
  expect(outcome.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  expect(await count('purchase')).toBe(purchases);
});

it('a query asking for such a field is answered as before: that field refused as it resolves', async () => {
  const r = await s.gql('query($id: ID!) { member(id: $id) { id } benefits { code history { version } } }', { id: member }, service);
  expect(r.data?.member).toEqual({ id: member });
  expect(r.errors?.every((e) => e.extensions?.code === 'FORBIDDEN') ?? true).toBe(true);
});
