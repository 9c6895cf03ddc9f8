import { emitWebhookEvent } from '../../src/modules/webhooks/webhooks.service';
import { expectError, startTestServer, type GqlResponse, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';
import { gqlData, rowsMentioning as rowsMentioningIn } from '../support/erasure';
import { ADJUST, PURCHASE, REFUND, expectLedgerConsistent } from '../support/ledger';
import { eventually } from '../support/wait';

/**
 * Member data rights (issue 23): memberDataExport and eraseMember, end to end. A member with a
 * history (purchases, a refund, an adjustment, an activity, coupons, a tag, a tier override, a
 * profile change, retention scores, webhook events) is exported, then erased; every surface
 * that lists or writes members is checked after, and erasure is raced against writes.
 */

let s: TestServer;
let admin: string;
let service: string;

const PROFILE = {
  externalId: 'crm-ava-7731', displayName: 'Ava Lindqvist', email: 'ava.lindqvist@example.com', phone: '+44 20 7946 0958',
  birthday: '1988-04-12', gender: 'F', region: 'north', channel: 'app',
};
const FORMER_EMAIL = 'ava.old-address@example.com';
/** The values that must be gone everywhere after the erasure (the member.erased event aside, which keeps the former externalId). */
const PERSONAL = [PROFILE.externalId, PROFILE.displayName, PROFILE.email, PROFILE.phone, FORMER_EMAIL];

const EXPORT = 'query($id: ID!) { memberDataExport(memberId: $id) }';
const ERASE = `mutation($id: ID!, $reason: String!) { eraseMember(memberId: $id, reason: $reason) {
  id erasedAt externalId displayName email phone birthday gender region channel pointsBalance tags { code } referralCode } }`;
const MEMBER = `query($id: ID!) { member(id: $id) { id erasedAt externalId displayName email phone birthday gender region channel
  pointsBalance pendingPoints tags { code } tier { code } tierExpiresAt } }`;
const REDEEM = 'mutation($i: RedeemRewardInput!) { redeemReward(input: $i) { id couponCode status } }';
const ACTIVITY = 'mutation($i: RecordActivityInput!) { recordActivity(input: $i) { pointsEarned } }';
const TAG = 'mutation($id: ID!, $code: String!) { tagMember(memberId: $id, tagCode: $code) { id } }';

/** What an erasure keeps on purpose: the member.erased event (its former externalId). */
const keptOnPurpose = (t: string, row: string) => t === 'webhook_event' && row.includes('member.erased');
const rowsMentioning = (value: string) => rowsMentioningIn(s, value, keptOnPurpose);

async function emit(type: 'points.earned' | 'member.updated', memberId: string, data: Record<string, unknown>) {
  await emitWebhookEvent(s.app.orm.em.fork(), type, memberId, data);
}

beforeAll(async () => {
  s = await startTestServer();
  admin = await s.token('admin');
  service = await s.token('service');
  await createLadder(s);
  await s.admin('mutation { upsertActivityRule(input: { kind: "REVIEW", name: "Review", points: 20, qualifyingPoints: 0 }) { kind } }');
  await s.admin('mutation($i: RewardInput!) { upsertReward(input: $i) { code } }', { i: { code: 'COFFEE', name: 'Coffee', costPoints: 50, stock: 10, couponValidDays: 30, active: true } });
  await s.admin('mutation { upsertTag(input: { code: "vip", name: "VIP" }) { code } }');
  await s.admin('mutation($i: SegmentInput!) { saveSegment(input: $i) { id } }', { i: { name: 'North', filter: { regions: ['north'] } } });
  // An endpoint that wants every event: the events below are stored.
  await s.sql(`insert into webhook_endpoint (id, url, event_types, active, secret, created_at, updated_at)
    values (gen_random_uuid(), 'https://hooks.example.com/loyalty', '{*}', true, 'whsec_test', now(), now())`);
});
afterAll(() => s.stop());

/** A member with a history of every kind; returns its id and the ids of its used and issued coupons. */
async function memberWithHistory(profile: Record<string, string>, key: string) {
  const id = await registerMember(s, profile);
  await s.gql(PURCHASE, { input: { memberId: id, orderId: `${key}-o1`, amount: 800 } }, service);
  await s.gql(PURCHASE, { input: { memberId: id, orderId: `${key}-o2`, amount: 120.5 } }, service);
  await s.gql(REFUND, { input: { orderId: `${key}-o2`, refundId: `${key}-r1`, amount: 20.5 } }, service);
  await gqlData(s.gql(ADJUST, { input: { memberId: id, amount: 30, reason: `goodwill for ${profile.displayName}, call ${profile.phone}`, idempotencyKey: `${key}-adj` } }, admin));
  await gqlData(s.gql(ACTIVITY, { i: { memberId: id, kind: 'REVIEW', idempotencyKey: `${key}-review` } }, service));
  const used = (await gqlData(s.gql(REDEEM, { i: { memberId: id, rewardCode: 'COFFEE', idempotencyKey: `${key}-c1` } }, admin))).redeemReward;
  await gqlData(s.gql('mutation($i: UseCouponInput!) { useCoupon(input: $i) { status } }', { i: { couponCode: used.couponCode, idempotencyKey: `${key}-use` } }, service));
  const issued = (await gqlData(s.gql(REDEEM, { i: { memberId: id, rewardCode: 'COFFEE', idempotencyKey: `${key}-c2` } }, admin))).redeemReward;
  // A coupon an admin cancelled with a reason naming the member: an audit entry on the redemption, not on the member.
  const returned = (await gqlData(s.gql(REDEEM, { i: { memberId: id, rewardCode: 'COFFEE', idempotencyKey: `${key}-c3` } }, admin))).redeemReward;
  await gqlData(s.gql('mutation($id: ID!, $r: String!) { cancelRedemption(id: $id, reason: $r) { id } }',
    { id: returned.id, r: `refund asked by ${profile.displayName} (${profile.email})` }, admin));
  await gqlData(s.gql(TAG, { id, code: 'vip' }, admin));
  await gqlData(s.gql(`mutation($id: ID!) { setMemberTier(memberId: $id, tierCode: "GOLD", reason: "asked by ${profile.email}") { id } }`, { id }, admin));
  return { id, used: used.id as string, issued: issued.id as string };
}

describe('member data rights', () => {
  let ava: { id: string; used: string; issued: string };
  let ben: string;

  beforeAll(async () => {
    ava = await memberWithHistory({ ...PROFILE, email: FORMER_EMAIL }, 'ava');
    // The e-mail changed once: the audit log keeps the former one, which the erasure must find too.
    await gqlData(s.gql('mutation($id: ID!, $p: MemberPatch!) { updateMember(memberId: $id, patch: $p) { id } }', { id: ava.id, p: { email: PROFILE.email } }, admin));
    ben = await registerMember(s, { externalId: 'crm-ben-1', displayName: 'Ben Other', region: 'north' });
    await s.gql(PURCHASE, { input: { memberId: ben, orderId: 'ben-o1', amount: 50 } }, service);
    await s.admin('mutation($a: DateTime!) { refreshRetention(asOf: $a) { processed } }', { a: new Date().toISOString() });
    // Past webhook events of both members (as the events helper's capture would write them).
    await emit('points.earned', ava.id, { member: { id: ava.id, externalId: PROFILE.externalId }, points: 800, reference: 'ava-o1' });
    await emit('member.updated', ava.id, { member: { id: ava.id, externalId: 'crm-ava-old' }, note: PROFILE.email, nested: [{ who: PROFILE.displayName }] });
    await emit('points.earned', ben, { member: { id: ben, externalId: 'crm-ben-1' }, points: 50, reference: 'ben-o1' });
  });

  describe('memberDataExport', () => {
    it('the member itself gets everything held about it, as one JSON document', async () => {
      const own = await s.token('member', ava.id);
      const doc = JSON.parse((await gqlData(s.gql(EXPORT, { id: ava.id }, own))).memberDataExport);
      expect(Object.keys(doc)).toEqual([
        'format', 'generatedAt', 'member', 'points', 'pointTransactions', 'pointLots', 'purchases', 'refunds', 'qualifyingPoints', 'activities',
        'checkIns', 'referrals', 'tierHistory', 'tierNotices', 'redemptions', 'birthdayGifts', 'campaignArms', 'campaignAwards', 'tags', 'segments', 'retention',
        'lifecycleTransitions', 'auditLog', 'pointAllocations', 'webhookEvents',
      ]);
      expect(doc.format).toBe('loyalty.member-export/1');
      expect(doc.member).toMatchObject({ ...PROFILE, id: ava.id, erasedAt: null, tier: 'GOLD' });
      const [{ n, balance }] = await s.sql(`select count(*)::int as n, (select balance from point_account where member_id = $1) as balance
        from point_transaction where member_id = $1`, [ava.id]);
      expect(doc.pointTransactions).toHaveLength(n);
      expect(doc.points.balance).toBe(balance);
      // The balance the member's app shows beside the ledger's, and its invite code.
      const api = (await gqlData(s.gql('query($id: ID!) { member(id: $id) { pointsBalance pendingPoints referralCode } }', { id: ava.id }, own))).member;
      expect(doc.points).toMatchObject({ pointsBalance: api.pointsBalance, pendingPoints: api.pendingPoints });
      expect(doc.member.referralCode).toBe(api.referralCode);
      expect(api.referralCode).toMatch(/^[A-Z0-9]{6,}$/);
      expect(doc.pointTransactions.map((t: { type: string }) => t.type)).toEqual(expect.arrayContaining(['EARN', 'REFUND_REVERSAL', 'ADJUST', 'REDEEM']));
      expect(doc.pointLots.length).toBeGreaterThanOrEqual(3);
      expect(doc.purchases.map((p: { orderId: string }) => p.orderId)).toEqual(['ava-o1', 'ava-o2']);
      expect(doc.purchases[1]).toMatchObject({ amount: 120.5, amountCents: 12050, refunded: 20.5, refundedCents: 2050 });
      expect(doc.refunds).toEqual([expect.objectContaining({ refundId: 'ava-r1', orderId: 'ava-o2', amount: 20.5, amountCents: 2050, pointsUnrecovered: 0 })]);
      expect(doc.activities).toEqual([expect.objectContaining({ kind: 'REVIEW', points: 20 })]);
      expect(doc.tierHistory.map((c: { toTier: string }) => c.toTier)).toContain('GOLD');
      expect(doc.redemptions.map((r: { status: string }) => r.status).sort()).toEqual(['CANCELLED', 'ISSUED', 'USED']);
      expect(doc.tags).toEqual([expect.objectContaining({ code: 'vip', kind: 'MANUAL' })]);
      expect(doc.segments).toEqual([{ id: expect.any(String), name: 'North' }]);
      expect(doc.retention).toMatchObject({ lifecycleStage: expect.any(String), rfm: expect.objectContaining({ frequency: 2 }) });
      expect(doc.auditLog.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['member.update', 'member.tag', 'redemption.cancel']));
      expect(JSON.stringify(doc.auditLog)).not.toMatch(/admin-tester/); // staff names are not the member's data
    });

    it('its referrals (its own side only), campaign arms and campaign awards', async () => {
      const { member: { referralCode } } = await gqlData(s.gql('query($id: ID!) { member(id: $id) { referralCode } }', { id: ava.id }, admin));
      const friend = (await gqlData(s.gql('mutation($i: RegisterMemberInput!) { registerMember(input: $i) { id } }',
        { i: { externalId: 'ava-friend-1', displayName: 'Zed Friend', referralCode } }, admin))).registerMember.id;
      const [{ id: campaignId }] = await s.sql<{ id: string }>(`insert into campaign (id, code, name, trigger, status, starts_at, bonus_points, control_percent)
        values (gen_random_uuid(), 'EXPORT_C', 'Export', 'PURCHASE', 'ENDED', '2020-01-01', 5, 0) returning id::text`);
      await s.sql(`insert into campaign_member (campaign_id, member_id, control) values ($1, $2, false)`, [campaignId, ava.id]);
      await s.sql(`insert into campaign_award (campaign_id, member_id, source, occurred_at, points) values ($1, $2, 'purchase:ava-o1', now(), 5)`, [campaignId, ava.id]);
      const doc = JSON.parse((await gqlData(s.gql(EXPORT, { id: ava.id }, admin))).memberDataExport);
      expect(doc.referrals).toEqual([expect.objectContaining({ role: 'REFERRER', status: 'PENDING', points: 0, completedAt: null })]);
      expect(JSON.stringify(doc.referrals)).not.toMatch(new RegExp(`${friend}|Zed`));
      expect(doc.campaignArms).toEqual([expect.objectContaining({ campaign: 'EXPORT_C', control: false })]);
      expect(doc.campaignAwards).toEqual([expect.objectContaining({ campaign: 'EXPORT_C', source: 'purchase:ava-o1', points: 5, pointsReversed: 0 })]);
      const theirs = JSON.parse((await gqlData(s.gql(EXPORT, { id: friend }, admin))).memberDataExport);
      expect(theirs.referrals).toEqual([expect.objectContaining({ role: 'REFEREE', status: 'PENDING' })]);
      expect(JSON.stringify(theirs.referrals)).not.toContain(ava.id);
    });

    it('an admin gets the same document; another member and a service are FORBIDDEN; an unknown id is NOT_FOUND', async () => {
      const asAdmin = JSON.parse((await gqlData(s.gql(EXPORT, { id: ava.id }, admin))).memberDataExport);
      expect(asAdmin.member.id).toBe(ava.id);
      expectError(await s.gql(EXPORT, { id: ava.id }, await s.token('member', ben)), 'FORBIDDEN');
      expectError(await s.gql(EXPORT, { id: ava.id }, service), 'FORBIDDEN');
      expectError(await s.gql(EXPORT, { id: '00000000-0000-4000-8000-000000000000' }, admin), 'NOT_FOUND');
      expectError(await s.gql(EXPORT, { id: 'nope' }, admin), 'BAD_USER_INPUT'); // the input guard checks an ID's shape
    });

    it('GET /exports/members/<id>.json streams the same document, to the same callers', async () => {
      const get = (id: string, token?: string) => fetch(`${s.url}/exports/members/${id}.json`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      const own = await s.token('member', ava.id);
      const res = await get(ava.id, own);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(res.headers.get('content-disposition')).toBe(`attachment; filename="member-${ava.id}.json"`);
      const streamed = (await res.json()) as Record<string, unknown>;
      const viaGraphql = JSON.parse((await gqlData(s.gql(EXPORT, { id: ava.id }, admin))).memberDataExport) as Record<string, unknown>;
      expect({ ...streamed, generatedAt: null }).toEqual({ ...viaGraphql, generatedAt: null });
      // Its id in capitals (as iOS writes UUIDs) is the same member, to the member itself too.
      const upper = await get(ava.id.toUpperCase(), own);
      expect(upper.status).toBe(200);
      expect({ ...((await upper.json()) as Record<string, unknown>), generatedAt: null }).toEqual({ ...viaGraphql, generatedAt: null });
      const refused = async (r: Response) => ({ status: r.status, code: ((await r.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code });
      expect(await refused(await get(ava.id, await s.token('member', ben)))).toEqual({ status: 403, code: 'FORBIDDEN' });
      expect(await refused(await get(ava.id, service))).toEqual({ status: 403, code: 'FORBIDDEN' });
      expect(await refused(await get(ava.id))).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
      expect(await refused(await get('00000000-0000-4000-8000-000000000000', admin))).toEqual({ status: 404, code: 'NOT_FOUND' });
      expect(await refused(await get('nope', admin))).toEqual({ status: 404, code: 'NOT_FOUND' });
    });

    it('points: pending points and points past an expiry no run has taken are in the ledger balance, not in pointsBalance', async () => {
      const id = await registerMember(s);
      await s.admin('mutation { updateProgram(input: { pointsPendingDays: 7 }) { pointsPendingDays } }');
      try {
        await gqlData(s.gql('mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }', { i: { memberId: id, orderId: `export-pending-${id}`, amount: 300 } }, admin));
      } finally {
        await s.admin('mutation { updateProgram(input: { pointsPendingDays: 0 }) { pointsPendingDays } }');
      }
      const pastExpiry = new Date(Date.now() - 800 * 86_400_000).toISOString(); // beyond pointsExpiryMonths (24)
      await gqlData(s.gql('mutation($i: AdjustPointsInput!) { adjustPoints(input: $i) { id } }',
        { i: { memberId: id, amount: 50, reason: 'old goodwill', idempotencyKey: `export-old-${id}`, occurredAt: pastExpiry } }, admin));
      const api = (await gqlData(s.gql('query($id: ID!) { member(id: $id) { pointsBalance pendingPoints } }', { id }, admin))).member;
      const doc = JSON.parse((await gqlData(s.gql(EXPORT, { id }, admin))).memberDataExport);
      expect(api.pendingPoints).toBeGreaterThan(0);
      expect(doc.points).toMatchObject({ pointsBalance: api.pointsBalance, pendingPoints: api.pendingPoints });
      expect(doc.points.balance).toBe(api.pointsBalance + api.pendingPoints + 50);
    });

    it('a member with 20,000 ledger rows exports in one document', async () => {
      const id = await registerMember(s);
      await s.sql(`insert into point_transaction (member_id, type, amount, balance_after, occurred_at, reason, created_at)
        select $1, 'ADJUST', 1, g, now(), 'bulk', now() from generate_series(1, 20000) g`, [id]);
      const doc = JSON.parse((await gqlData(s.gql(EXPORT, { id }, admin))).memberDataExport);
      expect(doc.pointTransactions).toHaveLength(20000);
      expect(doc.pointTransactions.map((t: { balanceAfter: number }) => t.balanceAfter)).toEqual(Array.from({ length: 20000 }, (_, i) => i + 1));
      const streamed = (await (await fetch(`${s.url}/exports/members/${id}.json`, { headers: { authorization: `Bearer ${admin}` } })).json()) as { pointTransactions: unknown[] };
      expect(streamed.pointTransactions).toEqual(doc.pointTransactions);
      await s.sql('delete from point_transaction where member_id = $1', [id]);
    });
  });

  describe('eraseMember', () => {
    let before: { members: number; balance: number; stock: number; winBack: string[] };
    let erased: Record<string, any>;

    beforeAll(async () => {
      // Ava as a win-back candidate, to see her leave the list.
      await s.sql('update member_retention set churn_risk = 0.99, alive_probability = 0.5, monetary_cents = 100000 where member_id = $1', [ava.id]);
      const stats = await s.admin('{ programStats { members } winBackCandidates(first: 50) { id } }');
      const [{ balance }] = await s.sql('select balance from point_account where member_id = $1', [ava.id]);
      const [{ stock }] = await s.sql(`select stock from reward where code = 'COFFEE'`);
      before = { members: stats.programStats.members, balance, stock, winBack: stats.winBackCandidates.map((m: { id: string }) => m.id) };
      expect(before.winBack).toContain(ava.id);
    });

    it('refuses without a reason, or from a service, and changes nothing', async () => {
      expectError(await s.gql(ERASE, { id: ava.id, reason: '   ' }, admin), 'BAD_USER_INPUT', 'reason');
      // Too long is said as such (it read "reason is required").
      const long = await s.gql(ERASE, { id: ava.id, reason: 'x'.repeat(100_000) }, admin);
      expectError(long, 'BAD_USER_INPUT', 'reason');
      expect(long.errors![0].message).toMatch(/^reason must be 1 to \d+ characters/);
      expectError(await s.gql(ERASE, { id: ava.id, reason: 'x' }, service), 'FORBIDDEN');
      expectError(await s.gql(ERASE, { id: ava.id, reason: 'x' }, await s.token('member', ava.id)), 'FORBIDDEN');
      expectError(await s.gql(ERASE, { id: '00000000-0000-4000-8000-000000000000', reason: 'x' }, admin), 'NOT_FOUND');
      expect(await s.sql('select erased_at from member where id = $1', [ava.id])).toEqual([{ erased_at: null }]);
    });

    it('removes the personal fields, cancels the issued coupon, forfeits the balance, removes the tags', async () => {
      const { member: { referralCode: former } } = await gqlData(s.gql('query($id: ID!) { member(id: $id) { referralCode } }', { id: ava.id }, admin));
      erased = (await gqlData(s.gql(ERASE, { id: ava.id, reason: 'GDPR request #123' }, admin))).eraseMember;
      expect(erased).toEqual({
        id: ava.id, erasedAt: expect.any(String), externalId: null, displayName: null, email: null, phone: null, birthday: null,
        gender: null, region: null, channel: null, pointsBalance: 0, tags: [], referralCode: '', // its invite code removed with the rest
      });
      expect(former).toMatch(/^[2-9A-Z]{8}$/);
      expectError(await s.gql('mutation($i: RegisterMemberInput!) { registerMember(input: $i) { id } }',
        { i: { externalId: 'after-erasure-friend', referralCode: former } }, admin), 'BAD_USER_INPUT', 'referralCode');
      const statuses = await s.sql('select id, status, cancel_reason from redemption where member_id = $1 order by seq', [ava.id]);
      expect(statuses).toEqual([
        { id: ava.used, status: 'USED', cancel_reason: null }, { id: ava.issued, status: 'CANCELLED', cancel_reason: 'member erased' },
        { id: expect.any(String), status: 'CANCELLED', cancel_reason: 'refund asked by [erased] ([erased])' },
      ]);
      const [{ stock }] = await s.sql(`select stock from reward where code = 'COFFEE'`);
      expect(stock).toBe(before.stock + 1);
      const txns = await s.sql<{ type: string; amount: number; balance_after: number }>(
        `select type, amount, balance_after from point_transaction where member_id = $1 and type in ('REDEMPTION_CANCEL', 'ERASURE') order by id`, [ava.id]);
      expect(txns.slice(-2)).toEqual([
        { type: 'REDEMPTION_CANCEL', amount: 50, balance_after: before.balance + 50 },
        { type: 'ERASURE', amount: -(before.balance + 50), balance_after: 0 },
      ]);
      expect(await s.sql(`select coalesce(sum(amount), 0)::int as sum from point_transaction where member_id = $1`, [ava.id])).toEqual([{ sum: 0 }]);
      await expectLedgerConsistent(s);
      // The ledger, purchases and tier history are kept.
      expect(await s.sql('select count(*)::int as n from purchase where member_id = $1', [ava.id])).toEqual([{ n: 2 }]);
      expect((await s.sql('select count(*)::int as n from tier_change where member_id = $1', [ava.id]))[0].n).toBeGreaterThan(0);
    });

    it('leaves no personal value anywhere in the database but the member.erased event', async () => {
      for (const value of PERSONAL) expect({ value, rows: await rowsMentioning(value) }).toEqual({ value, rows: [] });
      // The former externalId of an earlier event is gone too.
      expect(await rowsMentioning('crm-ava-old')).toEqual([]);
      const reasons = await s.sql(`select reason from point_transaction where member_id = $1 and type = 'ADJUST'`, [ava.id]);
      expect(reasons).toEqual([{ reason: 'goodwill for [erased], call [erased]' }]);
      // Nor the digest of what its registration asked for (kept for registerMember's retries).
      expect(await s.sql('select registration_digest from member where id = $1', [ava.id])).toEqual([{ registration_digest: null }]);
    });

    it('scrubs the audit log but keeps its entries, and audits the erasure', async () => {
      const entries = await s.sql<{ action: string; before: any; after: any }>(
        `select action, before, after from audit_entry where entity = 'Member' and entity_id = $1 order by id`, [ava.id]);
      expect(entries.map((e) => e.action)).toEqual(expect.arrayContaining(['member.register', 'member.tag', 'member.update', 'member.erase']));
      // its registration's entry is the first, the profile it registered with nulled
      expect(entries[0]).toMatchObject({ action: 'member.register', before: null, after: { externalId: null, displayName: null, email: null, phone: null, birthday: null } });
      expect(entries[0].after.joinedAt).toEqual(expect.any(String));
      const update = entries.find((e) => e.action === 'member.update')!;
      expect(update).toMatchObject({ before: { email: null }, after: { email: null } });
      expect(entries.at(-1)).toMatchObject({
        action: 'member.erase', before: { erasedAt: null },
        after: { erasedAt: erased.erasedAt, reason: 'GDPR request #123', pointsForfeited: before.balance + 50, couponsCancelled: 1, tagsRemoved: ['vip'] },
      });
    });

    it('scrubs the member\'s stored webhook payloads; one member.erased event keeps the former externalId; other members\' events are untouched', async () => {
      const events = await s.sql<{ type: string; data: any }>('select type, data from webhook_event where member_id = $1 order by seq', [ava.id]);
      // The events captured from its writes (test/e2e/webhook-events.test.ts) and the two written above, scrubbed; the
      // erasure's own writes (its coupon cancelled, its balance forfeited) report nothing but member.erased.
      expect(events.filter((e) => e.type !== 'member.erased').every((e) => JSON.stringify(e.data.member) === JSON.stringify({ id: ava.id, externalId: null }))).toBe(true);
      expect(events).toEqual(expect.arrayContaining([
        { type: 'points.earned', data: { member: { id: ava.id, externalId: null }, points: 800, reference: 'ava-o1' } },
        { type: 'member.updated', data: { member: { id: ava.id, externalId: null }, note: null, nested: [{ who: null }] } },
      ]));
      expect(events.at(-1)).toEqual(
        { type: 'member.erased', data: {
          member: { id: ava.id, externalId: PROFILE.externalId }, reason: 'GDPR request #123', erasedAt: erased.erasedAt,
          pointsForfeited: before.balance + 50, couponsCancelled: 1, balanceAfter: 0,
        } },
      );
      expect(events.filter((e) => e.type === 'member.erased')).toHaveLength(1);
      // The one cancellation reported is the admin's before the erasure (scrubbed); the erasure's own report nothing.
      expect(events.filter((e) => e.type === 'redemption.cancelled').map((e) => e.data.reason)).toEqual(['refund asked by [erased] ([erased])']);
      const [{ n }] = await s.sql(`select count(*)::int as n from webhook_delivery d join webhook_event e on e.id = d.event_id
        where e.type = 'member.erased' and d.status = 'PENDING'`);
      expect(n).toBe(1);
      const bens = await s.sql<{ type: string; data: any }>('select type, data from webhook_event where member_id = $1 order by seq', [ben]);
      expect(bens.map((e) => e.type)).toEqual(['member.registered', 'purchase.recorded', 'points.earned', 'points.earned']);
      expect(bens.every((e) => e.data.member.externalId === 'crm-ben-1')).toBe(true);
      expect(bens.at(-1)!.data).toEqual({ member: { id: ben, externalId: 'crm-ben-1' }, points: 50, reference: 'ben-o1' });
    });

    it('reads: admin member(id) shows it erased; its own token gets me: null; a service gets null; its export is NOT_FOUND to it', async () => {
      const { member } = await gqlData(s.gql(MEMBER, { id: ava.id }, admin));
      expect(member).toEqual({
        id: ava.id, erasedAt: erased.erasedAt, externalId: null, displayName: null, email: null, phone: null, birthday: null, gender: null,
        region: null, channel: null, pointsBalance: 0, pendingPoints: 0, tags: [], tier: { code: 'GOLD' }, tierExpiresAt: null,
      });
      // Nothing applies to it any more (domain.md: Member.benefits is what applies to that member now); a benefit for everyone reaches the others.
      await gqlData(s.gql('mutation($i: BenefitInput!) { upsertBenefit(input: $i) { code } }', { i: { code: 'FOR_ALL', name: 'For all', kind: 'CUSTOM', tierCodes: [] } }, admin));
      const benefits = async (id: string) => (await gqlData(s.gql('query($id: ID!) { member(id: $id) { benefits { code } } }', { id }, admin))).member.benefits;
      expect(await benefits(ava.id)).toEqual([]);
      expect(await benefits(ben)).toContainEqual({ code: 'FOR_ALL' });
      const own = await s.token('member', ava.id);
      expect((await gqlData(s.gql('{ me { id } }', {}, own))).me).toBeNull();
      expect((await gqlData(s.gql(MEMBER, { id: ava.id }, own))).member).toBeNull();
      expect((await gqlData(s.gql(MEMBER, { id: ava.id }, service))).member).toBeNull();
      expectError(await s.gql(EXPORT, { id: ava.id }, own), 'NOT_FOUND');
      expect((await fetch(`${s.url}/exports/members/${ava.id}.json`, { headers: { authorization: `Bearer ${own}` } })).status).toBe(404);
      const asAdmin = JSON.parse((await gqlData(s.gql(EXPORT, { id: ava.id }, admin))).memberDataExport);
      expect(asAdmin.member).toMatchObject({ id: ava.id, erasedAt: expect.any(String), externalId: null, email: null, referralCode: null });
      expect(asAdmin.tags).toEqual([]);
      expect(asAdmin.segments).toEqual([]);
    });

    it('its own token and a service read nothing more of it (tier changes, feed, notices, rewards, subscriptions: NOT_FOUND); an admin still reads its tier history', async () => {
      const own = await s.token('member', ava.id);
      const reads = {
        tierChanges: [`{ tierChanges(memberId: "${ava.id}") { id } }`, '{ tierChanges { id } }'],
        tierChangeFeed: [`{ tierChangeFeed(memberId: "${ava.id}") { edges { cursor } } }`],
        tierNotices: [`{ tierNotices(memberId: "${ava.id}") { id } }`],
      };
      for (const [name, queries] of Object.entries(reads)) {
        for (const query of queries) {
          for (const [who, token] of [['own', own], ['service', service]]) {
            if (who === 'service' && !query.includes(ava.id)) continue;
            const res = await s.gql(query, {}, token);
            expect({ name, who, code: res.errors?.[0]?.extensions?.code, data: res.data }).toEqual({ name, who, code: 'NOT_FOUND', data: null });
          }
        }
      }
      expectError(await s.gql('{ rewards { code affordable } }', {}, own), 'NOT_FOUND');
      for (const token of [own, service]) {
        const heard = await new Promise<unknown>((resolve) => {
          s.ws(token).subscribe({ query: `subscription { tierChanged(memberId: "${ava.id}") { id } }` }, {
            next: (v) => resolve(v.errors?.[0]?.extensions?.code ?? v), error: (e) => resolve(e), complete: () => resolve('complete'),
          });
        });
        expect(heard).toBe('NOT_FOUND');
      }
      // Kept for accounting: the admin reads its history, by either read.
      expect((await gqlData(s.gql(`{ tierChanges(memberId: "${ava.id}") { id } }`, {}, admin))).tierChanges.length).toBeGreaterThan(0);
      expect((await gqlData(s.gql(`{ tierChangeFeed(memberId: "${ava.id}") { edges { cursor } } }`, {}, admin))).tierChangeFeed.edges.length).toBeGreaterThan(0);
      // A member that was not erased reads its own as before.
      const bensOwn = await s.token('member', ben);
      expect((await s.gql(`{ tierChangeFeed(memberId: "${ben}") { edges { cursor } } }`, {}, bensOwn)).errors).toBeUndefined();
      expect((await s.gql('{ rewards { code } }', {}, bensOwn)).errors).toBeUndefined();
    });

    it('every write for it is NOT_FOUND and changes nothing', async () => {
      const [{ n: txnsBefore }] = await s.sql('select count(*)::int as n from point_transaction where member_id = $1', [ava.id]);
      const writes: [string, Promise<GqlResponse>][] = [
        ['purchase', s.gql(PURCHASE, { input: { memberId: ava.id, orderId: 'after-1', amount: 10 } }, service)],
        ['refund', s.gql(REFUND, { input: { orderId: 'ava-o1', refundId: 'after-r', amount: 1 } }, service)],
        ['adjust', s.gql(ADJUST, { input: { memberId: ava.id, amount: 5, reason: 'x', idempotencyKey: 'after-adj' } }, admin)],
        ['activity', s.gql(ACTIVITY, { i: { memberId: ava.id, kind: 'REVIEW', idempotencyKey: 'after-review' } }, service)],
        ['redeem', s.gql(REDEEM, { i: { memberId: ava.id, rewardCode: 'COFFEE', idempotencyKey: 'after-c' } }, admin)],
        ['cancel', s.gql('mutation($id: ID!) { cancelRedemption(id: $id, reason: "x") { id } }', { id: ava.used }, admin)],
        ['tag', s.gql(TAG, { id: ava.id, code: 'vip' }, admin)],
        ['untag', s.gql('mutation($id: ID!) { untagMember(memberId: $id, tagCode: "vip") { id } }', { id: ava.id }, admin)],
        ['tier', s.gql('mutation($id: ID!) { setMemberTier(memberId: $id, tierCode: "SILVER", reason: "x") { id } }', { id: ava.id }, admin)],
        ['update', s.gql('mutation($id: ID!) { updateMember(memberId: $id, patch: { displayName: "Back" }) { id } }', { id: ava.id }, admin)],
      ];
      // Retries of writes made before the erasure (same keys, same payloads) do not answer with the member either.
      const own = await s.token('member', ava.id);
      const USE = 'mutation($i: UseCouponInput!) { useCoupon(input: $i) { id status member { id } } }';
      const [{ coupon_code: usedCode }] = await s.sql('select coupon_code from redemption where id = $1', [ava.used]);
      writes.push(
        ['activity replay', s.gql(ACTIVITY, { i: { memberId: ava.id, kind: 'REVIEW', idempotencyKey: 'ava-review' } }, service)],
        ['redeem replay', s.gql(REDEEM, { i: { memberId: ava.id, rewardCode: 'COFFEE', idempotencyKey: 'ava-c1' } }, admin)],
        ['own redeem replay', s.gql(REDEEM, { i: { memberId: ava.id, rewardCode: 'COFFEE', idempotencyKey: 'ava-c2' } }, own)],
        ['refund replay', s.gql(REFUND, { input: { orderId: 'ava-o2', refundId: 'ava-r1', amount: 20.5 } }, service)],
        // Its reason named the member, scrubbed since: NOT_FOUND, not a CONFLICT on a payload that is the same.
        ['adjust replay', s.gql(ADJUST, { input: { memberId: ava.id, amount: 30, reason: `goodwill for ${PROFILE.displayName}, call ${PROFILE.phone}`, idempotencyKey: 'ava-adj' } }, admin)],
        ['coupon use replay', s.gql(USE, { i: { couponCode: usedCode, idempotencyKey: 'ava-use' } }, service)],
        ['coupon use, another key', s.gql(USE, { i: { couponCode: usedCode, idempotencyKey: 'ava-use-2' } }, service)],
      );
      for (const [name, res] of writes) expect({ name, code: (await res).errors?.[0]?.extensions?.code }).toEqual({ name, code: 'NOT_FOUND' });
      // A key of its (programme-wide: a back end's) used for another member is still a CONFLICT, not a server error.
      expectError(await s.gql(ACTIVITY, { i: { memberId: ben, kind: 'REVIEW', idempotencyKey: 'ava-review' } }, service), 'CONFLICT', 'idempotencyKey');
      expectError(await s.gql(REFUND, { input: { orderId: 'ben-o1', refundId: 'ava-r1', amount: 1 } }, service), 'CONFLICT', 'refundId');
      // Its coupons (cancelled by the erasure) are no coupon to a till; an admin still reads them.
      const [{ coupon_code: code }] = await s.sql('select coupon_code from redemption where id = $1', [ava.issued]);
      const lookup = 'query($c: String!) { redemptionByCoupon(couponCode: $c) { id status } }';
      expect((await gqlData(s.gql(lookup, { c: code }, service))).redemptionByCoupon).toBeNull();
      expect((await gqlData(s.gql(lookup, { c: code }, admin))).redemptionByCoupon).toEqual({ id: ava.issued, status: 'CANCELLED' });
      expect(await s.sql('select count(*)::int as n from point_transaction where member_id = $1', [ava.id])).toEqual([{ n: txnsBefore }]);
      expect(await s.sql('select count(*)::int as n from member_tag where member_id = $1', [ava.id])).toEqual([{ n: 0 }]);
      expect(await s.sql('select display_name from member where id = $1', [ava.id])).toEqual([{ display_name: null }]);
    });

    it('is left out of members, searchMembers, memberByExternalId, segments, CSV exports, win-back and the counts of members (programStats, Tier.memberCount)', async () => {
      const ids = (c: { edges: { node: { id: string } }[] }) => c.edges.map((e) => e.node.id);
      const { members } = await s.admin('{ members(first: 100) { totalCount edges { node { id } } } }');
      expect(ids(members)).not.toContain(ava.id);
      expect(ids(members)).toContain(ben);
      for (const query of [ava.id, PROFILE.externalId, PROFILE.email, PROFILE.phone, 'Ava Lind']) {
        const { searchMembers } = await s.admin('query($q: String!) { searchMembers(query: $q) { totalCount edges { node { id } } } }', { q: query });
        expect({ query, found: searchMembers }).toEqual({ query, found: { totalCount: 0, edges: [] } });
      }
      expect((await s.admin('query($e: String!) { memberByExternalId(externalId: $e) { id } }', { e: PROFILE.externalId })).memberByExternalId).toBeNull();
      const { segments } = await s.admin('{ segments { id name size members(first: 50) { totalCount edges { node { id } } } profile { dimension value segmentCount } } }');
      const north = segments.find((x: { name: string }) => x.name === 'North');
      expect(north.size).toBe(1);
      expect(ids(north.members)).toEqual([ben]);
      const preview = await s.admin('{ segmentPreview(filter: {}) { size members(first: 100) { edges { node { id } } } } }');
      expect(ids(preview.segmentPreview.members)).not.toContain(ava.id);
      expect(preview.segmentPreview.size).toBe(members.totalCount);
      const csv = await (await fetch(`${s.url}/exports/segments/${north.id}.csv`, { headers: { authorization: `Bearer ${admin}` } })).text();
      expect(csv).toContain(ben);
      expect(csv).not.toContain(ava.id);
      const after = await s.admin('{ programStats { members } winBackCandidates(first: 50) { id } }');
      expect(after.winBackCandidates.map((m: { id: string }) => m.id)).not.toContain(ava.id);
      // Out of the counts of members now as out of every list (audit 110): the dashboard's total, its tier's count.
      expect(after.programStats.members).toBe(before.members - 1);
      expect(after.programStats.members).toBe(preview.segmentPreview.size);
      const [{ code, n }] = await s.sql<{ code: string; n: number }>(`select t.code, (select count(*)::int from member m where m.tier_id = t.id and m.erased_at is null) as n
        from tier t where t.id = (select tier_id from member where id = $1)`, [ava.id]);
      const { tiers } = await s.admin('{ tiers { code memberCount } }');
      expect(tiers.find((t: { code: string }) => t.code === code).memberCount).toBe(n);
      // The tier feed keeps serving its changes (ids and tier codes, nothing personal). It serves a
      // change once every transaction older than it has ended, in the whole cluster: another test
      // file's open transaction (files run side by side, each in a database of one cluster) holds it back a while.
      const feedOf = async () => (await s.admin('query($id: ID) { tierChangeFeed(memberId: $id) { edges { node { id } } } }', { id: ava.id })).tierChangeFeed.edges;
      await eventually(async () => (await feedOf()).length > 0, 'the tier feed serves the erased member\'s changes');
    });

    it('rule tags and a retention refresh do not bring it back', async () => {
      await s.admin('mutation { upsertTag(input: { code: "northern", name: "Northern", rule: { regions: ["north"] } }) { code } }');
      await s.admin('mutation($a: DateTime!) { refreshRetention(asOf: $a) { processed } }', { a: new Date().toISOString() });
      expect(await s.sql('select count(*)::int as n from member_tag where member_id = $1', [ava.id])).toEqual([{ n: 0 }]);
      expect((await s.admin('{ winBackCandidates(first: 50) { id } }')).winBackCandidates.map((m: { id: string }) => m.id)).not.toContain(ava.id);
    });

    it('a second erasure returns the erased member and writes nothing', async () => {
      const count = async () => (await s.sql(`select
        (select count(*) from point_transaction where member_id = $1 and type = 'ERASURE')::int as erasures,
        (select count(*) from webhook_event where member_id = $1 and type = 'member.erased')::int as events,
        (select count(*) from audit_entry where entity_id = $1::text and action = 'member.erase')::int as audits`, [ava.id]))[0];
      expect(await count()).toEqual({ erasures: 1, events: 1, audits: 1 });
      const again = await Promise.all([1, 2, 3].map(() => gqlData(s.gql(ERASE, { id: ava.id, reason: 'again' }, admin))));
      for (const a of again) expect(a.eraseMember).toEqual(erased);
      expect(await count()).toEqual({ erasures: 1, events: 1, audits: 1 });
    });
  });

  describe('erasure racing writes', () => {
    it('purchases, redemptions, adjustments, activities and tags fired with erasures at once leave one erasure and a consistent ledger', async () => {
      const id = await registerMember(s, { externalId: 'crm-race-1', displayName: 'Race Member', email: 'race@example.com' });
      await gqlData(s.gql(PURCHASE, { input: { memberId: id, orderId: 'race-seed', amount: 2000 } }, service));
      const writes: Promise<GqlResponse>[] = [];
      for (let i = 0; i < 30; i++) {
        writes.push(s.gql(PURCHASE, { input: { memberId: id, orderId: `race-p${i}`, amount: 10 + i } }, service));
        if (i % 3 === 0) writes.push(s.gql(REDEEM, { i: { memberId: id, rewardCode: 'COFFEE', idempotencyKey: `race-c${i}` } }, admin));
        if (i % 3 === 1) writes.push(s.gql(ADJUST, { input: { memberId: id, amount: -5, reason: 'race', idempotencyKey: `race-a${i}` } }, admin));
        if (i % 5 === 2) writes.push(s.gql(ACTIVITY, { i: { memberId: id, kind: 'REVIEW', idempotencyKey: `race-v${i}` } }, service));
        if (i % 5 === 4) writes.push(s.gql(TAG, { id, code: `race${i}` }, admin));
        if (i % 10 === 5) writes.push(s.gql(ERASE, { id, reason: `race ${i}` }, admin));
      }
      const results = await Promise.all(writes);
      // They raced: some were written before the erasure, some came after it.
      expect(results.filter((r) => !r.errors).length).toBeGreaterThan(0);
      expect(results.filter((r) => r.errors?.[0]?.extensions?.code === 'NOT_FOUND').length).toBeGreaterThan(0);
      const codes = new Set(results.flatMap((r) => (r.errors ?? []).map((e) => e.extensions?.code)));
      // Refused writes came after the erasure (NOT_FOUND), or found the stock or balance short.
      expect([...codes].filter((c) => !['NOT_FOUND', 'OUT_OF_STOCK', 'INSUFFICIENT_POINTS'].includes(String(c)))).toEqual([]);
      const [state] = await s.sql(`select m.erased_at is not null as erased, a.balance,
        (select count(*) from point_transaction where member_id = $1 and type = 'ERASURE')::int as erasures,
        (select count(*) from point_transaction t where t.member_id = $1 and t.id > (select id from point_transaction where member_id = $1 and type = 'ERASURE'))::int as after,
        (select coalesce(sum(amount), 0) from point_transaction where member_id = $1)::int as sum,
        (select count(*) from member_tag where member_id = $1)::int as tags,
        (select count(*) from redemption where member_id = $1 and status = 'ISSUED')::int as issued
        from member m join point_account a on a.member_id = m.id where m.id = $1`, [id]);
      expect(state).toEqual({ erased: true, balance: 0, erasures: 1, after: 0, sum: 0, tags: 0, issued: 0 });
      expect(await s.sql(`select count(*)::int as n from webhook_event where member_id = $1 and type = 'member.erased'`, [id])).toEqual([{ n: 1 }]);
      await expectLedgerConsistent(s);
      expect(await rowsMentioning('race@example.com')).toEqual([]);
    });

    it('registerMember replays racing the erasure of the member they name answer that member or a new one, never an internal error (found by an outside audit)', async () => {
      const REGISTER = 'mutation($i: RegisterMemberInput!) { registerMember(input: $i) { id } }';
      const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
      for (let round = 0; round < 6; round++) {
        const externalId = `crm-rereg-${round}`;
        const i = { externalId, displayName: 'Race Again' };
        const id = (await gqlData(s.gql(REGISTER, { i }, service))).registerMember.id;
        const calls: Promise<GqlResponse>[] = [];
        for (let k = 0; k < 20; k++) {
          if (k === 5) calls.push(s.gql(ERASE, { id, reason: 'race' }, admin));
          calls.push(s.gql(REGISTER, { i }, service));
          await sleep(10);
        }
        const results = await Promise.all(calls);
        expect(results.flatMap((r) => (r.errors ?? []).map((e) => e.extensions?.code))).toEqual([]);
        // Those before the erasure answered the member; those after it registered one new member, once.
        const ids = new Set(results.map((r) => (r.data as any).registerMember?.id).filter(Boolean));
        const others = [...ids].filter((x) => x !== id);
        expect(others.length).toBeLessThanOrEqual(1);
        expect(await s.sql('select count(*)::int as n from member where external_id = $1', [externalId])).toEqual([{ n: others.length }]);
      }
    });
  });

  describe('erasure and import jobs', () => {
    /** Posts a CSV import and waits for its job; returns its rejected lines. */
    async function importCsv(path: string, body: string): Promise<{ line: number; message: string }[]> {
      const res = await fetch(`${s.url}${path}`, { method: 'POST', body, headers: { 'content-type': 'text/csv', authorization: `Bearer ${admin}` } });
      expect(res.status).toBe(202);
      const { id } = (await res.json()) as { id: string };
      let job: any;
      await eventually(async () => {
        job = (await gqlData(s.gql('query($id: ID!) { importJob(id: $id) { status errors { line message } } }', { id }, admin))).importJob;
        return job.status !== 'RUNNING';
      }, 'the import to end');
      return job.errors;
    }

    it('the rejected lines of import jobs no longer quote an erased member\'s former externalId; other members\' stay', async () => {
      const members = await importCsv('/imports/members', 'externalId\ncrm-imp-1\ncrm-imp-1\ncrm-imp-10\ncrm-imp-10\n');
      expect(members).toEqual([
        { line: 3, message: 'externalId crm-imp-1 is also on line 2 (that line is the one taken)' },
        { line: 5, message: 'externalId crm-imp-10 is also on line 4 (that line is the one taken)' },
      ]);
      const purchases = await importCsv('/imports/purchases?mode=history', 'orderId,externalId,amount,occurredAt\nimp-o1,crm-imp-2,10,2026-01-05T10:00:00Z\n');
      expect(purchases).toEqual([{ line: 2, message: 'No member has externalId crm-imp-2' }]);
      const later = await registerMember(s, { externalId: 'crm-imp-2' });
      const [first] = await s.sql<{ id: string }>(`select id from member where external_id = 'crm-imp-1'`);
      for (const id of [first.id, later]) await gqlData(s.gql(ERASE, { id, reason: 'GDPR' }, admin));
      const messages = (await s.sql<{ message: string }>(`select message from import_error where message like '%crm-imp-%' or message like '%[erased]%' order by message collate "C"`)).map((r) => r.message);
      expect(messages).toEqual([
        'No member has externalId [erased]',
        'externalId [erased] is also on line 2 (that line is the one taken)',
        'externalId crm-imp-10 is also on line 4 (that line is the one taken)',
      ]);
    });
  });
});
