// The member screen (`me`, `member`, `memberByExternalId`) reads in one statement and primes the
// request's loaders (src/modules/member-screen.loaders.ts). Its answers must be exactly what the
// loaders compute on their own: here the same fields through a members page, which does not prime,
// for members in every state the screen shows.
import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';

let s: TestServer;
const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();
const later = (days: number) => new Date(Date.now() + days * DAY).toISOString();

/** Every field of Member the screen reads, and every field of the objects it primes. */
const TIER = 'id code name rank qualifyingPoints retainPoints pointsMultiplier';
const FIELDS = `id externalId displayName email phone birthday gender region channel joinedAt tierSince tierExpiresAt
  tier { ${TIER} } pointsBalance pendingPoints lifetimePoints
  expiringPoints(withinDays: 30) in7: expiringPoints(withinDays: 7) in90: expiringPoints(withinDays: 90) in0: expiringPoints(withinDays: 0)
  tierProgress { qualifyingPoints nextTier { ${TIER} } pointsToNextTier pointsToRetain }
  benefits { id code name description kind value tierCodes requiredTags active validFrom validTo version }
  tags { id code name kind category }`;
const PAGE = `{ members(first: 10) { edges { node { ${FIELDS} } } } }`;
const MEMBER = `query($id: ID!) { member(id: $id) { ${FIELDS} } }`;
const ME = `{ me { ${FIELDS} } }`;
const BY_EXTERNAL_ID = `query($x: String!) { memberByExternalId(externalId: $x) { ${FIELDS} } }`;

const PURCHASE = `mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }`;
const purchase = (memberId: string, orderId: string, amount: number, occurredAt?: string) =>
  s.admin(PURCHASE, { i: { memberId, orderId, amount, ...(occurredAt ? { occurredAt } : {}) } });
const tag = (id: string, code: string) => s.admin('mutation($id: ID!, $t: String!) { tagMember(memberId: $id, tagCode: $t) { id } }', { id, t: code });

/** The members, by the state they are in. */
const m: Record<string, string> = {};

beforeAll(async () => {
  s = await startTestServer();
  await createLadder(s);
  await s.admin('mutation { updateProgram(input: { pointsPerUnit: 1, pointsExpiryMonths: 12, qualificationWindowMonths: 12, tierValidityMonths: 12 }) { pointsPerUnit } }');
  const benefit = 'mutation($i: BenefitInput!) { upsertBenefit(input: $i) { code } }';
  for (const i of [
    { code: 'FREE_SHIPPING', name: 'Free shipping', kind: 'SHIPPING', tierCodes: [] },
    { code: 'LOUNGE', name: 'Lounge', kind: 'ACCESS', description: 'Airport lounge', tierCodes: ['GOLD', 'PLATINUM'] },
    { code: 'DISCOUNT_5', name: '5 % off', kind: 'DISCOUNT', value: 5.25, tierCodes: ['SILVER', 'GOLD', 'PLATINUM'], validFrom: ago(10), validTo: later(300) },
    { code: 'PARKING', name: 'Free parking', kind: 'ACCESS', tierCodes: [], requiredTags: ['high_value'] },
    { code: 'VIP_GOLD', name: 'VIP gold desk', kind: 'ACCESS', tierCodes: ['GOLD'], requiredTags: ['vip', 'high_value'] },
    { code: 'OFF', name: 'Switched off', kind: 'ACCESS', tierCodes: [], active: false },
    { code: 'SOON', name: 'Not yet', kind: 'ACCESS', tierCodes: [], validFrom: later(5) },
    { code: 'GONE', name: 'Over', kind: 'ACCESS', tierCodes: [], validTo: ago(1) },
  ]) await s.admin(benefit, { i });
  await s.admin('mutation { upsertTag(input: { code: "vip", name: "VIP" }) { code } }');
  await s.admin('mutation { upsertTag(input: { code: "high_value", name: "High value", category: BEHAVIOR }) { code } }');

  m.nothing = await registerMember(s, { externalId: 'nothing', displayName: 'Has nothing' });
  m.profile = await registerMember(s, {
    externalId: 'profile', displayName: 'Full Profile', email: 'p@example.com', phone: '+33 6 12 34 56 78', birthday: '1990-02-28',
    gender: 'F', region: 'FR', channel: 'app', joinedAt: ago(500),
  });
  // Lots expiring within 7 days, within 30, within 90, and one already past its expiry (no expiry run since).
  m.expiring = await registerMember(s, { externalId: 'expiring', displayName: 'Expiring Lots' });
  await purchase(m.expiring, 'exp-past', 40, ago(370));
  await purchase(m.expiring, 'exp-5', 30, ago(360));
  await purchase(m.expiring, 'exp-20', 200, ago(345));
  await purchase(m.expiring, 'exp-60', 300, ago(305));
  await purchase(m.expiring, 'exp-new', 50);
  // Silver with an expiry (points to retain), tagged vip.
  m.silver = await registerMember(s, { externalId: 'silver', displayName: 'Silver Vip' });
  await purchase(m.silver, 'silver-1', 1200, ago(40));
  await tag(m.silver, 'vip');
  // Platinum: no next tier; tagged high_value (parking).
  m.top = await registerMember(s, { externalId: 'top', displayName: 'Top Tier' });
  await purchase(m.top, 'top-1', 16000, ago(3));
  await tag(m.top, 'high_value');
  // Gold by an override, with few qualifying points and both tags (VIP_GOLD); a partial refund.
  m.gold = await registerMember(s, { externalId: 'gold', displayName: 'Gold Override' });
  await purchase(m.gold, 'gold-1', 300, ago(20));
  await s.admin('mutation($i: RefundPurchaseInput!) { refundPurchase(input: $i) { pointsEarned } }', { i: { orderId: 'gold-1', refundId: 'gold-1-r', amount: 100 } });
  await s.admin('mutation($id: ID!) { setMemberTier(memberId: $id, tierCode: "GOLD", reason: "guest") { id } }', { id: m.gold });
  await tag(m.gold, 'vip');
  await tag(m.gold, 'high_value');
  // Pending points: a purchase made while purchases are pending for 14 days, and one before.
  m.pending = await registerMember(s, { externalId: 'pending', displayName: 'Pending Points' });
  await purchase(m.pending, 'pending-old', 100, ago(30));
  await s.admin('mutation { updateProgram(input: { pointsPendingDays: 14 }) { pointsPendingDays } }');
  await purchase(m.pending, 'pending-new', 500);
  await s.admin('mutation { updateProgram(input: { pointsPendingDays: 0 }) { pointsPendingDays } }');
  // A debt not yet repaid (a programme allowing a negative balance): a refund of spent points, dated
  // before a later purchase's lot became spendable but posted after it, owes 200; that lot (expiring
  // within 90 days) will repay it at the member's next write, so only its rest is about to expire.
  m.debt = await registerMember(s, { externalId: 'debt', displayName: 'Owes Points' });
  await purchase(m.debt, 'debt-1', 1000, ago(362));
  await s.admin('mutation($i: AdjustPointsInput!) { adjustPoints(input: $i) { amount } }',
    { i: { memberId: m.debt, amount: -200, reason: 'spent', idempotencyKey: 'debt-spent', occurredAt: ago(361) } });
  await purchase(m.debt, 'debt-2', 500, ago(300));
  await s.admin('mutation { updateProgram(input: { allowNegativeBalance: true }) { allowNegativeBalance } }');
  await s.admin('mutation($i: RefundPurchaseInput!) { refundPurchase(input: $i) { pointsEarned } }', { i: { orderId: 'debt-1', refundId: 'debt-1-r', amount: 1000, occurredAt: ago(340) } });
  await s.admin('mutation { updateProgram(input: { allowNegativeBalance: false }) { allowNegativeBalance } }');
  // A member loaded around the app, without a points account.
  m.noAccount = (await s.sql(`insert into member (id, external_id, display_name, joined_at, tier_id, tier_since, created_at, updated_at)
    select gen_random_uuid(), 'no-account', 'No Account', now(), id, now(), now(), now() from tier where rank = 0 returning id`))[0].id;
});
afterAll(() => s.stop());

/** Every member through the members page: the loaders on their own. */
async function unprimed(): Promise<Map<string, Record<string, unknown>>> {
  const page = await s.admin(PAGE);
  return new Map(page.members.edges.map((e: { node: { id: string } }) => [e.node.id, e.node]));
}

describe('the member screen answers what the loaders answer', () => {
  it('the states are there to compare', async () => {
    const page = await unprimed();
    const screen = (name: string) => page.get(m[name]) as Record<string, any>;
    expect(screen('expiring')).toMatchObject({ in7: 30, expiringPoints: 230, in90: 530, in0: 0 });
    expect(screen('pending').pendingPoints).toBe(500);
    expect(screen('top').tierProgress).toMatchObject({ nextTier: null, pointsToNextTier: null });
    expect(screen('top').benefits.map((b: { code: string }) => b.code)).toEqual(['DISCOUNT_5', 'FREE_SHIPPING', 'LOUNGE', 'PARKING']);
    expect(screen('gold').benefits.map((b: { code: string }) => b.code)).toEqual(['DISCOUNT_5', 'FREE_SHIPPING', 'LOUNGE', 'PARKING', 'VIP_GOLD']);
    expect(screen('gold').tierProgress.pointsToRetain).toBeGreaterThan(0);
    expect(screen('silver')).toMatchObject({ tier: { code: 'SILVER' }, tags: [{ code: 'vip' }] });
    expect(screen('noAccount')).toMatchObject({ pointsBalance: 0, pendingPoints: 0, lifetimePoints: 0, tags: [] });
    // The debt's member: one lot, of the second purchase (500 × Silver's 1.25), less the 200 it owes.
    expect(screen('debt')).toMatchObject({ pointsBalance: 425, in90: 425, in7: 0 });
    expect(await s.sql(`select remaining from point_lot where member_id = $1 and remaining <> 0 order by id`, [m.debt])).toEqual([{ remaining: 625 }, { remaining: -200 }]);
  });

  it('member(id:), as admin, for each state', async () => {
    const page = await unprimed();
    for (const [name, id] of Object.entries(m)) {
      const { member } = await s.admin(MEMBER, { id });
      expect({ name, screen: member }).toEqual({ name, screen: page.get(id) });
    }
  });

  it('me, with each member\'s token', async () => {
    const page = await unprimed();
    for (const [name, id] of Object.entries(m)) {
      const res = await s.gql(ME, {}, await s.token('member', id));
      expect(res.errors).toBeUndefined();
      expect({ name, screen: res.data!.me }).toEqual({ name, screen: page.get(id) });
    }
  });

  it('memberByExternalId, as a service', async () => {
    const page = await unprimed();
    const token = await s.token('service');
    for (const [name, id] of Object.entries(m)) {
      const res = await s.gql(BY_EXTERNAL_ID, { x: (page.get(id) as { externalId: string }).externalId }, token);
      expect({ name, screen: res.data!.memberByExternalId }).toEqual({ name, screen: page.get(id) });
    }
  });

  it('fields under fragments, inline fragments and variables count; a skipped field is not read; still one statement', async () => {
    const id = m.expiring;
    const query = `query($id: ID!, $d: Int, $no: Boolean!) { member(id: $id) {
        ...Points ...Again ... on Member { tier { code } tierProgress @include(if: true) { qualifyingPoints } }
        window: expiringPoints(withinDays: $d) other: expiringPoints(withinDays: 400) @skip(if: $no) tags @skip(if: $no) { code } } }
      fragment Points on Member { pointsBalance ...Again } fragment Again on Member { pendingPoints benefits { code } }`;
    const { result, statements } = await s.countStatements(() => s.admin(query, { id, d: 7, no: true }));
    const page = (await unprimed()).get(id) as Record<string, any>;
    expect(result.member).toEqual({
      pointsBalance: page.pointsBalance, pendingPoints: page.pendingPoints, benefits: page.benefits.map((b: { code: string }) => ({ code: b.code })),
      tier: { code: page.tier.code }, tierProgress: { qualifyingPoints: page.tierProgress.qualifyingPoints }, window: page.in7,
    });
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatch(/screen_expiring_0/);
    expect(statements[0]).not.toMatch(/screen_expiring_1|screen_tags/);
  });

  it('a member token sees only itself; an unknown or malformed id is null', async () => {
    const token = await s.token('member', m.silver);
    const other = await s.gql(MEMBER, { id: m.top }, token);
    expect(other.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await s.admin(MEMBER, { id: '00000000-0000-4000-8000-000000000000' })).member).toBeNull();
    expect((await s.admin(BY_EXTERNAL_ID, { x: 'nobody' })).memberByExternalId).toBeNull();
    const gone = await s.gql(ME, {}, await s.token('member', '00000000-0000-4000-8000-000000000000'));
    expect(gone.data!.me).toBeNull();
  });
});
