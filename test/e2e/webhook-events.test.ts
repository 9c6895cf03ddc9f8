/**
 * Webhook events captured in the writing transaction (migrations webhook_capture and
 * webhook_fanout): each write through the API records exactly its events, with the documented
 * data, each queued for fan-out, after which it has a PENDING delivery per endpoint that wants
 * the type; a failed or rolled-back write records none; without an endpoint nothing is written;
 * the jobs write theirs set-based; `set local loyalty.webhook_events = 'off'` turns the capture
 * off. The rows are checked in webhook_event and webhook_delivery (writing the deliveries and
 * sending them is the delivery worker's).
 * Ladder BRONZE 0; SILVER 1000 ×1.25; GOLD 5000 ×1.5; PLATINUM 15000 ×2.
 */
import { readFileSync } from 'node:fs';
import { MikroORM } from '@mikro-orm/postgresql';
import { join } from 'node:path';
import { ormConfig } from '../../src/config/mikro-orm';
import { migrationsList } from '../../migrations';
import { createTestDatabase, expectError, startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';
import { eventually, fannedOut } from '../support/wait';
import { WEBHOOK_EVENT_TYPES } from '../../src/modules/webhooks/webhooks.service';

let s: TestServer;
let service: string;
let all: string; // the '*' endpoint
let adjustedOnly: string; // an endpoint that wants points.adjusted only

beforeAll(async () => {
  s = await startTestServer();
  service = await s.token('service');
  await createLadder(s);
  all = await endpoint(['*']);
  adjustedOnly = await endpoint(['points.adjusted']);
});
afterAll(() => s.stop());
beforeEach(() => s.sql('update webhook_endpoint set active = true'));

async function endpoint(eventTypes: string[]): Promise<string> {
  const [row] = await s.sql<{ id: string }>(
    `insert into webhook_endpoint (id, url, event_types, active, secret, created_at, updated_at)
     values (gen_random_uuid(), 'https://receiver.example/hook', $1, true, 'test-secret', now(), now()) returning id`,
    [eventTypes],
  );
  return row.id;
}

interface Event { type: string; memberId: string | null; occurredAt: string; data: any; endpoints: string[] }

/** The events `work` recorded, in seq order, each with the endpoints it has a PENDING delivery for once fanned out. */
async function captured(work: () => Promise<unknown>): Promise<Event[]> {
  const [{ seq }] = await s.sql<{ seq: string }>('select coalesce(max(seq), 0)::text as seq from webhook_event');
  await work();
  // Each event was queued for fan-out with it, in the writing transaction.
  const [{ unqueued }] = await s.sql<{ unqueued: number }>(
    `select count(*)::int as unqueued from webhook_event e where e.seq > $1
       and not exists (select 1 from webhook_fanout f where f.event_id = e.id) and not exists (select 1 from webhook_delivery d where d.event_id = e.id)`, [seq]);
  expect(unqueued).toBe(0);
  await fannedOut(s);
  const rows = await s.sql<Event>(
    `select e.type, e.member_id as "memberId", webhook_time(e.occurred_at) as "occurredAt", e.data,
       coalesce((select array_agg(d.endpoint_id::text order by d.endpoint_id) from webhook_delivery d where d.event_id = e.id and d.status = 'PENDING'), '{}') as endpoints
     from webhook_event e where e.seq > $1 order by e.seq`,
    [seq],
  );
  for (const e of rows) seen.set(e.type, Object.keys(e.data).sort());
  return rows;
}

/** The keys of `data` of each type as the tests above saw it, for the README's examples. */
const seen = new Map<string, string[]>();

const types = (events: Event[]) => events.map((e) => e.type);
const ok = <T = any>(res: { data?: T; errors?: unknown[] }): T => {
  expect(res.errors).toBeUndefined();
  return res.data as T;
};
const ref = async (id: string) => ({ id, externalId: (await s.sql('select external_id from member where id = $1', [id]))[0].external_id });
const buy = (memberId: string, orderId: string, amount: number, occurredAt?: string) =>
  s.gql(`mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) { pointsEarned transaction { id } tierChange { kind } } }`,
    { input: { memberId, orderId, amount, ...(occurredAt ? { occurredAt } : {}) } }, service);
const adjust = (memberId: string, amount: number, key: string) =>
  s.admin('mutation($i: AdjustPointsInput!) { adjustPoints(input: $i) { id balanceAfter } }', { i: { memberId, amount, reason: 'goodwill', idempotencyKey: key } });
let members = 0;
/** Noon UTC `n` days before today. */
const daysAgo = (n: number) => new Date(Math.floor(Date.now() / 86_400_000 - n) * 86_400_000 + 43_200_000).toISOString();
/**
 * A member; `region` puts it in the audience of a campaign of that region alone (a campaign ended by
 * an earlier test still rewards a purchase dated while it ran: each test's campaign has its own members).
 */
const newMember = (joinedAt = '2026-01-05T09:00:00.000Z', region?: string) =>
  registerMember(s, { externalId: `wh-${++members}`, joinedAt, email: `m${members}@example.com`, ...(region ? { region } : {}) });
const sorted = (xs: string[]) => [...xs].sort();

describe('each write records its events', () => {
  it('registerMember: member.registered, no personal field', async () => {
    let id = '';
    const events = await captured(async () => { id = await newMember('2026-01-02T03:04:05.006Z'); });
    expect(events).toEqual([{
      type: 'member.registered', memberId: id, occurredAt: '2026-01-02T03:04:05.006Z', endpoints: [all],
      data: { member: { id, externalId: `wh-${members}` }, tier: 'BRONZE', joinedAt: '2026-01-02T03:04:05.006Z' },
    }]);
  });

  it('updateMember: member.updated names the fields that changed, not their values; a patch that changes nothing records nothing', async () => {
    const id = await newMember();
    const update = (patch: Record<string, unknown>) => s.admin('mutation($id: ID!, $p: MemberPatch!) { updateMember(memberId: $id, patch: $p) { id } }', { id, p: patch });
    const events = await captured(() => update({ displayName: 'New Name', email: 'new@example.com', region: `m${members}-region` }));
    expect(events).toMatchObject([{ type: 'member.updated', memberId: id, endpoints: [all], data: { member: await ref(id), fields: ['displayName', 'email', 'region'] } }]);
    expect(JSON.stringify(events)).not.toMatch(/New Name|new@example|region"?:/);
    expect(await captured(() => update({ displayName: 'New Name' }))).toEqual([]);
  });

  it('recordPurchase (one statement): purchase.recorded and points.earned; a retry records nothing', async () => {
    const id = await newMember();
    const at = '2026-02-01T10:00:00.000Z';
    let txn = '';
    const events = await captured(async () => { txn = ok(await buy(id, 'wh-order-1', 12.5, at)).recordPurchase.transaction.id; });
    const member = await ref(id);
    expect(events).toEqual([
      {
        type: 'purchase.recorded', memberId: id, occurredAt: at, endpoints: [all],
        data: { member, orderId: 'wh-order-1', amount: 12.5, amountCents: 1250, occurredAt: at, pointsEarned: 12, qualifyingPointsEarned: 12, pending: false, activatesAt: at },
      },
      {
        type: 'points.earned', memberId: id, occurredAt: at, endpoints: [all],
        data: { member, points: 12, qualifyingPoints: 12, balanceAfter: 12, reference: 'wh-order-1', pending: false, activatesAt: at, expiresAt: '2028-02-01T10:00:00.000Z', transactionId: txn },
      },
    ]);
    expect(await captured(() => buy(id, 'wh-order-1', 12.5, at))).toEqual([]);
  });

  it('recordPurchase stays one statement with endpoints (the events are written inside it)', async () => {
    const id = await newMember();
    const { result, statements } = await s.countStatements(() => buy(id, 'wh-order-count', 20));
    expect(ok(result).recordPurchase.pointsEarned).toBe(20);
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatch(/from purchase_at_once\(/);
    expect(await s.sql(`select type from webhook_event where data->>'reference' = 'wh-order-count' or data->>'orderId' = 'wh-order-count' order by seq`))
      .toEqual([{ type: 'purchase.recorded' }, { type: 'points.earned' }]);
  });

  it('an upgrading purchase: tier.changed too, in the same transaction', async () => {
    const id = await newMember();
    const at = '2026-02-02T10:00:00.000Z';
    const events = await captured(() => buy(id, 'wh-order-up', 1000, at));
    expect(types(events)).toEqual(['tier.changed', 'purchase.recorded', 'points.earned']);
    const [change] = await s.sql('select id::text from tier_change where member_id = $1', [id]);
    expect(events[0]).toEqual({
      type: 'tier.changed', memberId: id, occurredAt: at, endpoints: [all],
      data: {
        member: await ref(id), changeId: change.id, kind: 'UPGRADE', fromTier: 'BRONZE', toTier: 'SILVER', reason: 'qualifying points reached',
        qualifyingPoints: 1000, occurredAt: at, expiresAt: '2027-02-02T10:00:00.000Z', supersededAt: null,
      },
    });
  });

  it('pending points: points.earned says pending and when they activate (no event when they do: nothing is written then)', async () => {
    const id = await newMember();
    await s.admin('mutation { updateProgram(input: { pointsPendingDays: 14 }) { pointsPendingDays } }');
    try {
      const at = new Date(Date.now() - 86_400_000).toISOString();
      const events = await captured(() => buy(id, 'wh-order-pending', 40, at));
      const activatesAt = new Date(Date.parse(at) + 14 * 86_400_000).toISOString();
      expect(events.map((e) => [e.type, e.data.pending, e.data.activatesAt])).toEqual([
        ['purchase.recorded', true, activatesAt], ['points.earned', true, activatesAt],
      ]);
    } finally {
      await s.admin('mutation { updateProgram(input: { pointsPendingDays: 0 }) { pointsPendingDays } }');
    }
  });

  it('refundPurchase: purchase.refunded with the points it reverses (no points event of its own)', async () => {
    const id = await newMember();
    ok(await buy(id, 'wh-order-r', 200, '2026-02-03T10:00:00.000Z'));
    const at = '2026-02-04T10:00:00.000Z';
    const events = await captured(async () => ok(await s.gql(`mutation($i: RefundPurchaseInput!) { refundPurchase(input: $i) { pointsEarned } }`,
      { i: { orderId: 'wh-order-r', refundId: 'wh-refund-1', amount: 50.25, occurredAt: at } }, service)));
    const [t] = await s.sql(`select id::text from point_transaction where idempotency_key = 'refund:wh-refund-1'`);
    expect(events).toEqual([{
      type: 'purchase.refunded', memberId: id, occurredAt: at, endpoints: [all],
      data: {
        member: await ref(id), refundId: 'wh-refund-1', orderId: 'wh-order-r', amount: 50.25, amountCents: 5025, occurredAt: at,
        pointsReversed: 50, qualifyingPointsReversed: 50, pointsUnrecovered: 0, bonusPointsReversed: 0, balanceAfter: 150, transactionId: t.id,
      },
    }]);
  });

  it('refundPurchase after the points were spent: pointsUnrecovered says what the reversal could not take back', async () => {
    const id = await newMember();
    // Days before today, not fixed days: the points are spent now, so they must not have expired (24 months).
    ok(await buy(id, 'wh-order-spent', 200, daysAgo(3)));
    await adjust(id, -150, 'wh-spent-1');
    const events = await captured(async () => ok(await s.gql(`mutation($i: RefundPurchaseInput!) { refundPurchase(input: $i) { pointsEarned } }`,
      { i: { orderId: 'wh-order-spent', refundId: 'wh-refund-spent', amount: 200, occurredAt: daysAgo(2) } }, service)));
    const refunded = events.find((e: { type: string }) => e.type === 'purchase.refunded')!;
    // 200 reversed, 50 taken (the balance), 150 spent already: balanceAfter = 50 − (200 − 150).
    expect(refunded.data).toMatchObject({ pointsReversed: 200, pointsUnrecovered: 150, balanceAfter: 0 });
  });

  it('a purchase a campaign rewards: campaign.awarded after points.earned; its refund: purchase.refunded, then campaign.reversed (balanceAfter follows the ledger)', async () => {
    const campaign = (q: string, v: Record<string, unknown> = {}) => s.admin(q, v);
    await campaign('mutation($i: CampaignInput!) { upsertCampaign(input: $i) { code } }', {
      i: { code: 'WH-BONUS', name: 'Bonus', trigger: 'PURCHASE', startsAt: '2026-01-01T00:00:00.000Z', bonusPoints: 77, controlPercent: 0, audience: { regions: ['WH-BONUS'] } },
    });
    await campaign('mutation { activateCampaign(code: "WH-BONUS") { status } }');
    try {
      const id = await newMember(undefined, 'WH-BONUS');
      const at = daysAgo(3); // its points are spent now: not expired (24 months), whenever the test runs
      const bought = await captured(async () => ok(await buy(id, 'wh-order-bonus', 10, at)));
      const [bonus] = await s.sql(`select id::text, expires_at from point_transaction where member_id = $1 and type = 'BONUS'`, [id]);
      expect(types(bought)).toEqual(['purchase.recorded', 'points.earned', 'campaign.awarded']);
      expect(bought[1].data).toMatchObject({ points: 10, balanceAfter: 10 });
      expect(bought[2]).toEqual({
        type: 'campaign.awarded', memberId: id, occurredAt: at, endpoints: [all],
        data: {
          member: await ref(id), campaign: 'WH-BONUS', source: 'purchase:wh-order-bonus', points: 77, balanceAfter: 87,
          pending: false, activatesAt: at, expiresAt: new Date(bonus.expires_at).toISOString(), transactionId: bonus.id,
        },
      });
      // Spent in part, then refunded in full: the bonus's 77 reversed, 27 of them spent already.
      await adjust(id, -60, 'wh-bonus-spent');
      const refundAt = daysAgo(2);
      const refunded = await captured(async () => ok(await s.gql(`mutation($i: RefundPurchaseInput!) { refundPurchase(input: $i) { bonusPoints member { pointsBalance } } }`,
        { i: { orderId: 'wh-order-bonus', refundId: 'wh-refund-bonus', amount: 10, occurredAt: refundAt } }, service)));
      const [back] = await s.sql(`select id::text from point_transaction where idempotency_key = 'refund:wh-refund-bonus:campaign:WH-BONUS'`);
      expect(types(refunded)).toEqual(['purchase.refunded', 'campaign.reversed']);
      expect(refunded[0].data).toMatchObject({ pointsReversed: 10, pointsUnrecovered: 0, bonusPointsReversed: 77, balanceAfter: 17 });
      expect(refunded[1]).toEqual({
        type: 'campaign.reversed', memberId: id, occurredAt: refundAt, endpoints: [all],
        data: {
          member: await ref(id), campaign: 'WH-BONUS', refundId: 'wh-refund-bonus', orderId: 'wh-order-bonus',
          pointsReversed: 77, pointsUnrecovered: 60, balanceAfter: 0, transactionId: back.id,
        },
      });
      const [{ balance }] = await s.sql('select balance from point_account where member_id = $1', [id]);
      expect(balance).toBe(0);
      // A retry writes nothing, and so sends nothing.
      expect(await captured(async () => ok(await buy(id, 'wh-order-bonus', 10, at)))).toEqual([]);
      // With pending days, the bonus is pending like the purchase's own points, until its lot activates.
      await s.admin('mutation { updateProgram(input: { pointsPendingDays: 14 }) { pointsPendingDays } }');
      try {
        const recent = new Date(Date.now() - 86_400_000).toISOString();
        const activatesAt = new Date(Date.parse(recent) + 14 * 86_400_000).toISOString();
        const pending = await captured(() => buy(id, 'wh-order-bonus-pending', 20, recent));
        expect(pending.map((e) => [e.type, e.data.pending, e.data.activatesAt])).toEqual([
          ['purchase.recorded', true, activatesAt], ['points.earned', true, activatesAt], ['campaign.awarded', true, activatesAt],
        ]);
      } finally {
        await s.admin('mutation { updateProgram(input: { pointsPendingDays: 0 }) { pointsPendingDays } }');
      }
    } finally {
      await campaign('mutation { endCampaign(code: "WH-BONUS") { status } }');
    }
  });

  it('a refund whose refundId holds ":campaign:" is refused, and sends nothing (its own reversal\'s key would read as a campaign\'s)', async () => {
    await s.admin('mutation($i: CampaignInput!) { upsertCampaign(input: $i) { code } }', {
      i: { code: 'WH-COLON', name: 'Colon', trigger: 'PURCHASE', startsAt: '2026-01-01T00:00:00.000Z', bonusPoints: 5, controlPercent: 0, audience: { regions: ['WH-COLON'] } },
    });
    await s.admin('mutation { activateCampaign(code: "WH-COLON") { status } }');
    try {
      const id = await newMember(undefined, 'WH-COLON');
      ok(await buy(id, 'wh-order-colon', 100, '2026-02-05T10:00:00.000Z'));
      // A back end's own scheme, "<return>:campaign:<code>": its reversal's key, refund:ret-1:campaign:WH-COLON,
      // would be the campaign's reversal key of refund ret-1 (test/e2e/refund-keys.test.ts).
      const refunded = await captured(async () => {
        const r = await s.gql(`mutation($i: RefundPurchaseInput!) { refundPurchase(input: $i) { pointsEarned bonusPoints } }`,
          { i: { orderId: 'wh-order-colon', refundId: 'ret-1:campaign:WH-COLON', amount: 50, occurredAt: '2026-02-06T10:00:00.000Z' } }, service);
        expect(r.errors?.[0].extensions?.field).toBe('refundId');
      });
      expect(refunded).toEqual([]);
      const back = await captured(async () => ok(await s.gql(`mutation($i: RefundPurchaseInput!) { refundPurchase(input: $i) { pointsEarned bonusPoints } }`,
        { i: { orderId: 'wh-order-colon', refundId: 'ret-1-campaign-WH-COLON', amount: 50, occurredAt: '2026-02-06T10:00:00.000Z' } }, service)));
      expect(back.map((e) => [e.type, e.data.campaign ?? null, e.data.refundId, e.data.pointsReversed, e.data.balanceAfter])).toEqual([
        ['purchase.refunded', null, 'ret-1-campaign-WH-COLON', 50, 55], ['campaign.reversed', 'WH-COLON', 'ret-1-campaign-WH-COLON', 2, 53],
      ]);
    } finally {
      await s.admin('mutation { endCampaign(code: "WH-COLON") { status } }');
    }
  });

  it('adjustPoints: points.adjusted, also to the endpoint that wants only that type', async () => {
    const id = await newMember();
    let txn: any;
    const events = await captured(async () => { txn = (await adjust(id, 300, 'wh-adj-1')).adjustPoints; });
    expect(events).toMatchObject([{
      type: 'points.adjusted', memberId: id, endpoints: sorted([all, adjustedOnly]),
      data: { member: await ref(id), points: 300, balanceAfter: 300, reason: 'goodwill', reference: null, transactionId: txn.id },
    }]);
    expect(events[0].data.expiresAt).toEqual(expect.any(String));
    const debit = await captured(() => adjust(id, -100, 'wh-adj-2'));
    expect(debit).toMatchObject([{ type: 'points.adjusted', data: { points: -100, balanceAfter: 200, expiresAt: null } }]);
  });

  it('recordActivity: points.earned with its qualifying points, referenced by kind', async () => {
    const id = await newMember();
    await s.admin('mutation($i: ActivityRuleInput!) { upsertActivityRule(input: $i) { kind } }', { i: { kind: 'review', name: 'Review', points: 20, qualifyingPoints: 5 } });
    const at = '2026-02-05T10:00:00.000Z';
    const events = await captured(async () => ok(await s.gql('mutation($i: RecordActivityInput!) { recordActivity(input: $i) { pointsEarned } }',
      { i: { memberId: id, kind: 'review', idempotencyKey: 'wh-act-1', occurredAt: at } }, service)));
    expect(events).toMatchObject([{
      type: 'points.earned', memberId: id, occurredAt: at,
      data: { member: await ref(id), points: 20, qualifyingPoints: 5, balanceAfter: 20, reference: 'review', pending: false, activatesAt: at },
    }]);
  });

  it('an activity a campaign rewards (its bonus credited statement by statement): campaign.awarded after points.earned', async () => {
    const id = await newMember(undefined, 'WH-SHARE');
    await s.admin('mutation($i: ActivityRuleInput!) { upsertActivityRule(input: $i) { kind } }', { i: { kind: 'share', name: 'Share', points: 5 } });
    await s.admin('mutation($i: CampaignInput!) { upsertCampaign(input: $i) { code } }', {
      i: { code: 'WH-SHARE', name: 'Share bonus', trigger: 'ACTIVITY', activityKind: 'share', startsAt: '2026-01-01T00:00:00.000Z', bonusPoints: 15, controlPercent: 0, audience: { regions: ['WH-SHARE'] } },
    });
    await s.admin('mutation { activateCampaign(code: "WH-SHARE") { status } }');
    try {
      const at = '2026-02-06T10:00:00.000Z';
      const events = await captured(async () => ok(await s.gql('mutation($i: RecordActivityInput!) { recordActivity(input: $i) { pointsEarned } }',
        { i: { memberId: id, kind: 'share', idempotencyKey: 'wh-share-1', occurredAt: at } }, service)));
      const [bonus] = await s.sql(`select id::text from point_transaction where member_id = $1 and type = 'BONUS'`, [id]);
      expect(events).toMatchObject([
        { type: 'points.earned', data: { points: 5, balanceAfter: 5 } },
        { type: 'campaign.awarded', memberId: id, occurredAt: at, data: {
          member: await ref(id), campaign: 'WH-SHARE', source: 'activity:wh-share-1', points: 15, balanceAfter: 20, pending: false, activatesAt: at, transactionId: bonus.id,
        } },
      ]);
    } finally {
      await s.admin('mutation { endCampaign(code: "WH-SHARE") { status } }');
    }
  });

  it('redeemReward, useCoupon, cancelRedemption: redemption.issued, .used, .cancelled', async () => {
    const id = await newMember();
    await adjust(id, 1000, 'wh-adj-r');
    await s.admin('mutation($i: RewardInput!) { upsertReward(input: $i) { code } }', { i: { code: 'WH_MUG', name: 'Mug', costPoints: 300, couponValidDays: 30 } });
    const redeem = (key: string) => s.admin('mutation($i: RedeemRewardInput!) { redeemReward(input: $i) { id couponCode createdAt expiresAt } }',
      { i: { memberId: id, rewardCode: 'WH_MUG', idempotencyKey: key } });
    let r: any;
    const issued = await captured(async () => { r = (await redeem('wh-red-1')).redeemReward; });
    const member = await ref(id);
    expect(issued).toMatchObject([{
      type: 'redemption.issued', memberId: id, occurredAt: r.createdAt,
      data: { member, redemptionId: r.id, reward: 'WH_MUG', couponCode: r.couponCode, points: 300, balanceAfter: 700, expiresAt: r.expiresAt },
    }]);
    const usedAt = new Date().toISOString();
    const used = await captured(async () => ok(await s.gql('mutation($i: UseCouponInput!) { useCoupon(input: $i) { status } }',
      { i: { couponCode: r.couponCode, idempotencyKey: 'wh-use-1', storeId: 'store-7', occurredAt: usedAt } }, service)));
    expect(used).toEqual([{
      type: 'redemption.used', memberId: id, occurredAt: usedAt, endpoints: [all],
      data: { member, redemptionId: r.id, reward: 'WH_MUG', couponCode: r.couponCode, usedAt, storeId: 'store-7' },
    }]);
    const second = (await redeem('wh-red-2')).redeemReward;
    const cancelled = await captured(() => s.admin('mutation($id: ID!) { cancelRedemption(id: $id, reason: "changed mind") { status } }', { id: second.id }));
    expect(cancelled).toMatchObject([{
      type: 'redemption.cancelled', memberId: id,
      data: { member, redemptionId: second.id, reward: 'WH_MUG', couponCode: second.couponCode, reason: 'changed mind', pointsReturned: 300, balanceAfter: 700 },
    }]);
    expect(cancelled[0].occurredAt).toBe(cancelled[0].data.cancelledAt);
    expect(cancelled[0].data.pointsTakenByRefunds).toBe(0);
  });

  it('a cancellation that pays a refund it kept short: redemption.cancelled says what the refund took and the balance after it', async () => {
    const id = await newMember();
    await buy(id, 'wh-rtc-1', 500);
    await s.admin('mutation($i: RewardInput!) { upsertReward(input: $i) { code } }', { i: { code: 'WH_CUP', name: 'Cup', costPoints: 300 } });
    const { redeemReward: cup } = await s.admin('mutation($i: RedeemRewardInput!) { redeemReward(input: $i) { id } }',
      { i: { memberId: id, rewardCode: 'WH_CUP', idempotencyKey: 'wh-rtc-cup' } });
    await s.admin('mutation($i: RefundPurchaseInput!) { refundPurchase(input: $i) { pointsEarned } }', { i: { orderId: 'wh-rtc-1', refundId: 'wh-rtc-1-r', amount: 500 } });
    const cancelled = await captured(() => s.admin('mutation($id: ID!) { cancelRedemption(id: $id, reason: "returned") { status } }', { id: cup.id }));
    expect(cancelled.map((e) => [e.type, e.data.pointsReturned, e.data.pointsTakenByRefunds, e.data.balanceAfter])).toEqual([['redemption.cancelled', 300, 300, 0]]);
    expect((await s.admin('query($id: ID!) { member(id: $id) { pointsBalance } }', { id })).member.pointsBalance).toBe(0);
  });
});

describe('a late write that pays a refund that fell short', () => {
  it('the refund\'s late take is a points.adjusted of its own: a receiver following balanceAfter has the ledger\'s balance', async () => {
    const id = await newMember();
    ok(await buy(id, 'wh-late-a', 200));
    ok(await adjust(id, -200, 'wh-late-adj'));
    ok(await s.gql('mutation($i: RefundPurchaseInput!) { refundPurchase(input: $i) { pointsEarned } }', { i: { orderId: 'wh-late-a', refundId: 'wh-late-a-r', amount: 200 } }, service));
    // B, dated before the adjustment: the adjustment moves to B, and A's freed 200 go to the refund.
    const events = await captured(async () => ok(await buy(id, 'wh-late-b', 200, daysAgo(30))));
    // The recovery is written as the credit's re-plan runs, before the purchase row and its events: by
    // ledger row (transactionId), as a receiver orders balances (deliveries come in any order), the refund's take is last.
    expect(sorted(types(events))).toEqual(['points.adjusted', 'points.earned', 'purchase.recorded']);
    const byRow = events.filter((e) => e.data.transactionId).sort((a, b) => Number(a.data.transactionId) - Number(b.data.transactionId));
    expect(byRow.map((e) => [e.type, e.data.points, e.data.balanceAfter])).toEqual([['points.earned', 200, 200], ['points.adjusted', -200, 0]]);
    const late = byRow[1];
    expect(late.data).toMatchObject({ member: await ref(id), reference: 'wh-late-a', expiresAt: null, reason: expect.stringContaining('refund wh-late-a-r') });
    expect(late.endpoints).toEqual(sorted([all, adjustedOnly]));
    expect((await s.admin('query($id: ID!) { member(id: $id) { pointsBalance } }', { id })).member.pointsBalance).toBe(0);
  });
});

describe('under concurrency', () => {
  it('many writes at once: each its own events, once; retries of one write add none', async () => {
    const ids = await Promise.all([1, 2, 3, 4].map(() => newMember()));
    const orders = ids.flatMap((id, m) => [0, 1, 2, 3, 4].map((n) => ({ id, orderId: `wh-many-${m}-${n}` })));
    const events = await captured(() => Promise.all([
      ...orders.map((o) => buy(o.id, o.orderId, 10)),
      ...orders.slice(0, 5).map((o) => buy(o.id, o.orderId, 10)), // retries, racing their first run
      ...[1, 2, 3, 4, 5].map(() => registerMember(s, { externalId: 'wh-same-external', joinedAt: '2026-01-05T09:00:00.000Z' })),
    ]));
    const recorded = events.filter((e) => e.type === 'purchase.recorded').map((e) => e.data.orderId);
    expect(sorted(recorded)).toEqual(sorted(orders.map((o) => o.orderId)));
    expect(sorted(events.filter((e) => e.type === 'points.earned').map((e) => e.data.reference))).toEqual(sorted(orders.map((o) => o.orderId)));
    expect(events.filter((e) => e.type === 'member.registered')).toHaveLength(1);
    expect(events).toHaveLength(2 * orders.length + 1);
    expect(events.every((e) => e.endpoints.length === 1 && e.endpoints[0] === all)).toBe(true);
    // one member's balances after, in the order its purchases committed
    for (const id of ids) {
      const mine = events.filter((e) => e.type === 'points.earned' && e.memberId === id).map((e) => e.data.balanceAfter);
      expect(mine).toEqual([10, 20, 30, 40, 50]);
    }
  });
});

describe('what records nothing', () => {
  it('a refused write records nothing', async () => {
    const id = await newMember();
    const events = await captured(async () => {
      expectError(await s.gql('mutation($i: RedeemRewardInput!) { redeemReward(input: $i) { id } }',
        { i: { memberId: id, rewardCode: 'WH_MUG', idempotencyKey: 'wh-poor' } }, await s.token('admin')), 'INSUFFICIENT_POINTS');
      ok(await buy(id, 'wh-order-c', 10, '2026-02-06T10:00:00.000Z'));
      expectError(await buy(id, 'wh-order-c', 11, '2026-02-06T10:00:00.000Z'), 'CONFLICT', 'orderId');
    });
    expect(types(events)).toEqual(['purchase.recorded', 'points.earned']); // the one that succeeded
  });

  it('a write rolled back after its events were written records none', async () => {
    const id = await newMember();
    // Fails each write at its last statement: the events of the statements before it were written.
    await s.sql(`create function refuse_write() returns trigger language plpgsql as $$ begin raise exception 'refused'; end $$`);
    await s.sql('create trigger refuse_purchase before insert on purchase for each row execute function refuse_write()');
    await s.sql('create trigger refuse_audit before insert on audit_entry for each row execute function refuse_write()');
    try {
      const events = await captured(async () => {
        // an upgrade (its tier_change row's event is written before the purchase row)
        expect((await buy(id, 'wh-order-rb', 1000, '2026-02-07T10:00:00.000Z')).errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
        // an adjustment (its audit entry comes after its points.adjusted)
        const res = await s.gql('mutation($i: AdjustPointsInput!) { adjustPoints(input: $i) { id } }',
          { i: { memberId: id, amount: 5, reason: 'x', idempotencyKey: 'wh-adj-rb' } }, await s.token('admin'));
        expect(res.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
      });
      expect(events).toEqual([]);
    } finally {
      await s.sql('drop trigger refuse_purchase on purchase');
      await s.sql('drop trigger refuse_audit on audit_entry');
      await s.sql('drop function refuse_write()');
    }
    expect(await s.sql('select count(*)::int as n from tier_change where member_id = $1', [id])).toEqual([{ n: 0 }]);
  });

  it('an endpoint subscribed to one type gets only that type; a type no endpoint wants is not written', async () => {
    const id = await newMember();
    await s.sql('update webhook_endpoint set active = false where id = $1', [all]);
    const events = await captured(async () => {
      ok(await buy(id, 'wh-order-one-type', 500, '2026-02-08T10:00:00.000Z'));
      await adjust(id, 7, 'wh-adj-one-type');
    });
    expect(events).toMatchObject([{ type: 'points.adjusted', endpoints: [adjustedOnly], data: { points: 7 } }]);
  });

  it('no active endpoint: nothing is written, whatever the writes', async () => {
    await s.sql('update webhook_endpoint set active = false');
    const before = await s.sql('select (select count(*) from webhook_event)::int as e, (select count(*) from webhook_delivery)::int as d');
    const id = await newMember();
    ok(await buy(id, 'wh-order-none', 2000, '2026-02-09T10:00:00.000Z'));
    await adjust(id, 5, 'wh-adj-none');
    await s.admin('mutation($id: ID!, $p: MemberPatch!) { updateMember(memberId: $id, patch: $p) { id } }', { id, p: { displayName: 'Nobody' } });
    expect(await s.sql('select (select count(*) from webhook_event)::int as e, (select count(*) from webhook_delivery)::int as d')).toEqual(before);
  });

  it("set local loyalty.webhook_events = 'off' turns the capture off for that transaction only (raw SQL is captured otherwise)", async () => {
    const id = await newMember();
    const adjustSql = (key: string) => `insert into point_transaction (member_id, type, amount, balance_after, occurred_at, reason, idempotency_key, created_at)
      values ('${id}', 'ADJUST', 1, 1, now(), 'raw', '${key}', now())`;
    const off = await captured(() => s.sql(`begin; set local loyalty.webhook_events = 'off'; ${adjustSql('wh-raw-off')}; commit;`));
    expect(off).toEqual([]);
    const on = await captured(() => s.sql(`begin; ${adjustSql('wh-raw-on')}; commit;`));
    expect(on).toMatchObject([{ type: 'points.adjusted', data: { points: 1, reason: 'raw' } }]);
  });
});

describe('jobs and backdated facts', () => {
  afterEach(() => s.sql('update program set tier_reviewed_through = null'));

  it('the capture triggers are statement-level (a job batch writes its events in one insert), but member.updated', async () => {
    const rows = await s.sql<{ name: string; row: boolean }>(
      `select tgname as name, (tgtype & 1) = 1 as row from pg_trigger where not tgisinternal and tgfoid::regproc::text like 'webhook_capture%' order by tgname`,
    );
    // referral_webhook (issue 25) is row-level too: a referral's status changes one row at a time (a purchase, a refund), never in a batch;
    // and so is point_transaction_webhook_campaign, deferred to the commit and called only for a campaign's BONUS or its reversal (its WHEN).
    expect(rows.filter((r) => r.row).map((r) => r.name)).toEqual(['member_webhook_updated', 'point_transaction_webhook_campaign', 'referral_webhook']);
    expect(rows.length).toBe(14);
  });

  it('expirePoints: one points.expired per member it expires', async () => {
    const ids = [await newMember('2022-01-01T00:00:00.000Z'), await newMember('2022-01-01T00:00:00.000Z'), await newMember('2022-01-01T00:00:00.000Z')];
    for (const [n, id] of ids.entries()) ok(await buy(id, `wh-old-${n}`, 100 + n, `2023-01-0${n + 1}T00:00:00.000Z`));
    const events = await captured(() => s.admin('mutation($a: DateTime!) { expirePoints(asOf: $a) { changed } }', { a: '2025-02-01T00:00:00.000Z' }));
    const mine = events.filter((e) => ids.includes(e.memberId!));
    expect(mine.map((e) => [e.type, e.memberId, e.occurredAt, e.data.points, e.data.balanceAfter])).toEqual(sortByMember(ids.map((id, n) =>
      ['points.expired', id, `2025-01-0${n + 1}T00:00:00.000Z`, 100 + n, 0])));
    expect(mine.find((e) => e.memberId === ids[0])!.data).toEqual({ member: await ref(ids[0]), points: 100, balanceAfter: 0, transactionId: expect.any(String) });
  });

  it('runTierReview and sendTierNotices: tier.changed per member reviewed, tier.at_risk per notice', async () => {
    const down = await newMember('2024-01-01T00:00:00.000Z');
    const kept = await newMember('2024-01-01T00:00:00.000Z');
    ok(await buy(down, 'wh-rv-1', 1000, '2024-06-01T00:00:00.000Z')); // SILVER until 2025-06-01
    ok(await buy(kept, 'wh-rv-2', 1000, '2024-06-01T00:00:00.000Z'));
    ok(await buy(kept, 'wh-rv-3', 800, '2025-05-20T00:00:00.000Z'));
    const notices = await captured(() => s.admin('mutation($a: DateTime!) { sendTierNotices(asOf: $a) { changed } }', { a: '2025-05-10T00:00:00.000Z' }));
    // (the notices statement writes them in no particular order)
    expect(notices.filter((e) => [down, kept].includes(e.memberId!)).sort((a, b) => a.memberId!.localeCompare(b.memberId!))).toEqual(
      sorted([down, kept]).map((id) => ({ type: 'tier.at_risk', memberId: id, occurredAt: '2025-05-10T00:00:00.000Z', endpoints: [all], data: expect.anything() })),
    );
    expect(notices.find((e) => e.memberId === down)!.data).toEqual({
      member: await ref(down), tier: 'SILVER', tierExpiresAt: '2025-06-01T00:00:00.000Z', pointsToRetain: 800, noticedAt: '2025-05-10T00:00:00.000Z',
    });
    const reviewed = await captured(() => s.admin('mutation($a: DateTime!) { runTierReview(asOf: $a) { changed } }', { a: '2025-06-02T00:00:00.000Z' }));
    const mine = reviewed.filter((e) => [down, kept].includes(e.memberId!));
    expect(mine.map((e) => [e.type, e.memberId, e.occurredAt, e.data.kind, e.data.fromTier, e.data.toTier, e.data.reason, e.data.qualifyingPoints])).toEqual(sortByMember([
      ['tier.changed', down, '2025-06-01T00:00:00.000Z', 'DOWNGRADE', 'SILVER', 'BRONZE', 'review: below retain points', 0],
      ['tier.changed', kept, '2025-06-01T00:00:00.000Z', 'RENEWAL', 'SILVER', 'SILVER', 'retained at review', 800],
    ]));
  });

  it('a backdated purchase that moves an upgrade: the superseded change again with supersededAt, then its replacement', async () => {
    const id = await newMember('2025-01-01T00:00:00.000Z');
    ok(await buy(id, 'wh-late-2', 1000, '2025-03-01T00:00:00.000Z')); // SILVER at 03-01
    const [old] = await s.sql('select id::text from tier_change where member_id = $1', [id]);
    const events = await captured(() => buy(id, 'wh-late-1', 1000, '2025-02-01T00:00:00.000Z')); // SILVER at 02-01 instead
    const changes = events.filter((e) => e.type === 'tier.changed');
    expect(changes.map((e) => [e.data.changeId === old.id, e.data.kind, e.data.toTier, e.data.occurredAt, e.data.supersededAt != null])).toEqual([
      [true, 'UPGRADE', 'SILVER', '2025-03-01T00:00:00.000Z', true],
      [false, 'UPGRADE', 'SILVER', '2025-02-01T00:00:00.000Z', false],
    ]);
    expect(changes[0].occurredAt).toBe(changes[0].data.supersededAt);
    expect(types(events)).toEqual(['tier.changed', 'tier.changed', 'points.adjusted', 'purchase.recorded', 'points.earned']);
  });
});

describe('imports: one event for the whole file', () => {
  const upload = async (body: string) => {
    const res = await fetch(`${s.url}/imports/members`, { method: 'POST', body, headers: { 'content-type': 'text/csv', authorization: `Bearer ${await s.token('admin')}` } });
    return { status: res.status, json: (await res.json()) as any };
  };
  const ended = async (id: string) => eventually(async () => (await s.admin(`{ importJob(id: "${id}") { status } }`)).importJob.status !== 'RUNNING', 'the import to end');

  it('a job that succeeds: one import.completed, no event per row', async () => {
    let id = '';
    const events = await captured(async () => {
      const r = await upload('externalId,displayName,pointsBalance\nwh-imp-1,One,100\nwh-imp-2,Two,\n,NoKey,\n');
      expect(r.status).toBe(202);
      id = r.json.id;
      await ended(id);
    });
    expect(events).toEqual([{ type: 'import.completed', memberId: null, occurredAt: expect.any(String), endpoints: [all],
      data: { importId: id, kind: 'MEMBERS', mode: null, rowsDone: 2, rowsRejected: 1 } }]);
  });

  it('a job that ends FAILED: one import.failed with its failure, in place of import.completed (a server that died); a refused file sends nothing', async () => {
    // A file refused with 400 changes nothing: no job, no event.
    const jobsBefore = (await s.sql<{ n: number }>('select count(*)::int as n from import_job'))[0].n;
    const refused = await captured(async () => expect((await upload('displayName\nNobody\n')).status).toBe(400));
    expect(refused).toEqual([]);
    expect((await s.sql<{ n: number }>('select count(*)::int as n from import_job'))[0].n).toBe(jobsBefore);
    // What a crash leaves: a RUNNING job whose lock nobody holds. Failed, and announced once, when next read.
    const [dead] = await s.sql<{ id: string }>(`insert into import_job (id, kind, format, actor) values (gen_random_uuid(), 'MEMBERS', 'csv', 'admin:crashed') returning id::text`);
    const orphan = await captured(() => s.admin('{ importJobs(first: 50) { id } }'));
    expect(orphan).toEqual([expect.objectContaining({ type: 'import.failed', data: expect.objectContaining({ importId: dead.id, failure: expect.stringMatching(/^The server stopped while the import ran/) }) })]);
    expect(await captured(() => s.admin('{ importJobs(first: 50) { id } }'))).toEqual([]);
  });
});

/** Rows ordered as the review writes them (by member id). */
function sortByMember<T extends unknown[]>(rows: T[]): T[] {
  return [...rows].sort((a, b) => String(a[1]).localeCompare(String(b[1])));
}

describe('README, "Webhook events"', () => {
  const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Webhook events'), readme.indexOf('\n## ', readme.indexOf('## Webhook events') + 1));
  const examples = (/```json\n([\s\S]*?)```/.exec(section)?.[1] ?? '').split(/\n\s*\n/).filter((b) => b.trim())
    .map((b) => JSON.parse(b.replace(/…/g, '')) as { id: string; type: string; occurredAt: string; data: Record<string, any> });

  it('has one example body per event type, in the body format', () => {
    expect(examples.map((e) => e.type)).toEqual([...WEBHOOK_EVENT_TYPES]);
    for (const e of examples) {
      expect(Object.keys(e)).toEqual(['id', 'type', 'occurredAt', 'data']);
      expect(e.occurredAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      if (e.data.member) expect(Object.keys(e.data.member)).toEqual(['id', 'externalId']);
    }
  });

  it('its examples have the keys the events written above have', () => {
    const shown = new Map(examples.map((e) => [e.type, Object.keys(e.data).sort()]));
    for (const [type, keys] of seen) expect([type, shown.get(type)]).toEqual([type, keys]);
  });

  it('lists every type in its table', () => {
    for (const type of WEBHOOK_EVENT_TYPES) expect(section).toContain(`| \`${type}\` |`);
  });
});

describe('migration webhook_fanout', () => {
  it('turns every capture function from writing deliveries to queueing its events, and back; down writes the queued events\' deliveries', async () => {
    const orm = await MikroORM.init(ormConfig({ url: await createTestDatabase('fanout') }));
    try {
      const migrator = orm.getMigrator();
      const before = migrationsList[migrationsList.findIndex((m) => m.name.endsWith('_webhook_fanout')) - 1].name;
      await migrator.up();
      const db = orm.em.getConnection();
      const writers = async () => {
        const rows = await db.execute<{ name: string; queues: boolean; delivers: boolean }[]>(
          `select p.proname as name, p.prosrc like '%insert into webhook_fanout%' as queues, p.prosrc like '%insert into webhook_delivery%' as delivers
           from pg_proc p join pg_namespace n on n.oid = p.pronamespace
           where n.nspname = current_schema() and (p.prosrc like '%insert into webhook_fanout%' or p.prosrc like '%insert into webhook_delivery%') order by 1`);
        return { queue: rows.filter((r) => r.queues).map((r) => r.name), deliver: rows.filter((r) => r.delivers).map((r) => r.name) };
      };
      const captures = [
        'webhook_capture_activity', 'webhook_capture_campaign_points', 'webhook_capture_check_in', 'webhook_capture_member_registered',
        'webhook_capture_member_updated', 'webhook_capture_points', 'webhook_capture_purchase', 'webhook_capture_redemption_issued',
        'webhook_capture_redemption_status', 'webhook_capture_referral', 'webhook_capture_refund', 'webhook_capture_tier_change',
        'webhook_capture_tier_notice', 'webhook_capture_tier_superseded',
      ];
      expect(await writers()).toEqual({ queue: captures, deliver: ['webhook_emit'] });

      // A member registered with two endpoints: its event queued, no delivery yet (no worker here).
      await db.execute(`insert into webhook_endpoint (id, url, event_types, active, secret, created_at, updated_at)
        select gen_random_uuid(), 'https://receiver.example/' || n, '{*}', true, 's', now(), now() from generate_series(1, 2) n`);
      await db.execute(`insert into tier (id, code, name, rank, qualifying_points, retain_points, created_at, updated_at)
        values (gen_random_uuid(), 'BRONZE', 'Bronze', 0, 0, 0, now(), now())`);
      await db.execute(`insert into member (id, seq, external_id, tier_id, tier_since, joined_at, created_at, updated_at)
        select gen_random_uuid(), 1, 'fanout-1', id, now(), now(), now(), now() from tier`);
      const counts = async () => (await db.execute<{ events: number; queued: number; deliveries: number }[]>(
        `select (select count(*)::int from webhook_event) as events, (select count(*)::int from webhook_fanout) as queued, (select count(*)::int from webhook_delivery) as deliveries`))[0];
      expect(await counts()).toEqual({ events: 1, queued: 1, deliveries: 0 });

      await migrator.down({ to: before });
      expect(await writers()).toEqual({ queue: [], deliver: [...captures, 'webhook_emit'].sort() });
      expect(await db.execute(`select count(*)::int as n from webhook_delivery`)).toEqual([{ n: 2 }]);
      await migrator.up();
      expect(await writers()).toEqual({ queue: captures, deliver: ['webhook_emit'] });
    } finally {
      await orm.close(true);
    }
  });
});
