// Issue 17, item 3: who may say when a write happened (domain.md, "Who may say when").
import { expectError, startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';
import { ADJUST, PURCHASE } from '../support/ledger';
import { addMonthsUtc } from '../../src/common/time.rules';

let s: TestServer;
let admin: string;
let service: string;
beforeAll(async () => {
  s = await startTestServer();
  admin = await s.token('admin');
  service = await s.token('service');
  await createLadder(s);
});
afterAll(() => s.stop());

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (t: number) => new Date(t).toISOString();
const REDEEM = `mutation($i: RedeemRewardInput!) { redeemReward(input: $i) { id points createdAt } }`;
const upsertReward = (input: Record<string, unknown>) => s.admin(`mutation($i: RewardInput!) { upsertReward(input: $i) { code } }`, { i: input });
const redeem = (i: Record<string, unknown>, token: string) => s.gql(REDEEM, { i }, token);

/** What a redemption attempt could have changed: redemptions, ledger, stock. */
const footprint = async (memberId: string) => ({
  redemptions: await s.sql('select count(*)::int as n from redemption where member_id = $1', [memberId]),
  txns: await s.sql('select count(*)::int as n from point_transaction where member_id = $1', [memberId]),
  account: await s.sql('select balance from point_account where member_id = $1', [memberId]),
  stock: await s.sql(`select code, stock from reward order by code`),
});

async function memberWithPoints(points: number): Promise<{ id: string; token: string }> {
  const id = await registerMember(s);
  await s.admin(ADJUST, { input: { memberId: id, amount: points, reason: 'start', idempotencyKey: `start-${id}` } });
  return { id, token: await s.token('member', id) };
}

describe('a member does not date its own writes', () => {
  it('a member token with occurredAt is BAD_USER_INPUT (occurredAt) and changes nothing', async () => {
    await upsertReward({ code: 'T-ANY', name: 'Any time', costPoints: 10, stock: 5 });
    const m = await memberWithPoints(100);
    const before = await footprint(m.id);
    const res = await redeem({ memberId: m.id, rewardCode: 'T-ANY', idempotencyKey: 'm-dated', occurredAt: iso(Date.now() - HOUR) }, m.token);
    expectError(res, 'BAD_USER_INPUT', 'occurredAt');
    expect(res.errors![0].message).toMatch(/occurredAt/);
    expect(await footprint(m.id)).toEqual(before);
    // without it, the same redemption happens at the server's clock
    const now = await redeem({ memberId: m.id, rewardCode: 'T-ANY', idempotencyKey: 'm-dated' }, m.token);
    expect(now.errors).toBeUndefined();
    expect(Math.abs(Date.parse(now.data!.redeemReward.createdAt) - Date.now())).toBeLessThan(60_000);
  });

  it('a reward whose window ended last week is refused at server time, however the member dates it', async () => {
    await upsertReward({ code: 'T-ENDED', name: 'Ended', costPoints: 10, validFrom: iso(Date.now() - 30 * DAY), validTo: iso(Date.now() - 7 * DAY) });
    const m = await memberWithPoints(100);
    const before = await footprint(m.id);
    expectError(await redeem({ memberId: m.id, rewardCode: 'T-ENDED', idempotencyKey: 'ended-1', occurredAt: iso(Date.now() - 10 * DAY) }, m.token), 'BAD_USER_INPUT', 'occurredAt');
    expectError(await redeem({ memberId: m.id, rewardCode: 'T-ENDED', idempotencyKey: 'ended-2' }, m.token), 'NOT_ELIGIBLE');
    expect(await footprint(m.id)).toEqual(before);
  });

  it('a flash sale that opens in two minutes is not won early by dating the redemption within the skew', async () => {
    await upsertReward({ code: 'T-FLASH', name: 'Flash', costPoints: 10, stock: 1, validFrom: iso(Date.now() + 2 * 60_000) });
    const m = await memberWithPoints(100);
    const before = await footprint(m.id);
    expectError(await redeem({ memberId: m.id, rewardCode: 'T-FLASH', idempotencyKey: 'flash-1', occurredAt: iso(Date.now() + 3 * 60_000) }, m.token), 'BAD_USER_INPUT', 'occurredAt');
    expectError(await redeem({ memberId: m.id, rewardCode: 'T-FLASH', idempotencyKey: 'flash-2' }, m.token), 'NOT_ELIGIBLE');
    expect(await footprint(m.id)).toEqual(before);
  });

  it('points that expired an hour ago are not spent by dating the redemption before their expiry', async () => {
    await s.admin('mutation { updateProgram(input: { pointsExpiryMonths: 1 }) { pointsExpiryMonths } }');
    try {
      await upsertReward({ code: 'T-SPEND', name: 'Spend', costPoints: 50 });
      const id = await registerMember(s);
      // earned a month and an hour ago (dated by the till's service): expired about an hour ago
      const earnedAt = addMonthsUtc(new Date(Date.now() - HOUR), -1);
      const res = await s.gql(PURCHASE, { input: { memberId: id, orderId: `spend-${id}`, amount: 60, occurredAt: earnedAt.toISOString() } }, service);
      const expiresAt = Date.parse(res.data!.recordPurchase.transaction.expiresAt);
      expect(expiresAt).toBeLessThan(Date.now());
      const token = await s.token('member', id);
      const before = await footprint(id);
      expectError(await redeem({ memberId: id, rewardCode: 'T-SPEND', idempotencyKey: 'spend-1', occurredAt: iso(expiresAt - HOUR) }, token), 'BAD_USER_INPUT', 'occurredAt');
      expectError(await redeem({ memberId: id, rewardCode: 'T-SPEND', idempotencyKey: 'spend-2' }, token), 'INSUFFICIENT_POINTS');
      expect(await footprint(id)).toEqual(before);
    } finally {
      await s.admin('mutation { updateProgram(input: { pointsExpiryMonths: 24 }) { pointsExpiryMonths } }');
    }
  });
});

describe('service and admin callers still date writes', () => {
  it('a service redeems at a given occurredAt inside a window that has since closed (a till syncing offline)', async () => {
    await upsertReward({ code: 'T-SYNC', name: 'Sync', costPoints: 10, validFrom: iso(Date.now() - 30 * DAY), validTo: iso(Date.now() - DAY) });
    const id = await registerMember(s);
    await s.admin(ADJUST, { input: { memberId: id, amount: 100, reason: 'start', idempotencyKey: `sync-${id}`, occurredAt: iso(Date.now() - 20 * DAY) } });
    const at = iso(Date.now() - 2 * DAY);
    const res = await redeem({ memberId: id, rewardCode: 'T-SYNC', idempotencyKey: 'sync-1', occurredAt: at }, service);
    expect(res.errors).toBeUndefined();
    expect(res.data!.redeemReward).toMatchObject({ points: 10, createdAt: at });
  });

  it('purchases, adjustments and activities keep their given occurredAt', async () => {
    await s.admin('mutation { upsertActivityRule(input: { kind: "T-VISIT", name: "Visit", points: 3 }) { kind } }');
    const id = await registerMember(s);
    const at = iso(Date.now() - 3 * DAY);
    const p = await s.gql(PURCHASE, { input: { memberId: id, orderId: `dated-${id}`, amount: 10, occurredAt: at } }, service);
    expect(p.data!.recordPurchase.transaction.occurredAt).toBe(at);
    const a = await s.gql(`mutation($i: AdjustPointsInput!) { adjustPoints(input: $i) { occurredAt } }`,
      { i: { memberId: id, amount: 5, reason: 'r', idempotencyKey: `dated-adj-${id}`, occurredAt: at } }, admin);
    expect(a.data).toEqual({ adjustPoints: { occurredAt: at } });
    const v = await s.gql(`mutation($i: RecordActivityInput!) { recordActivity(input: $i) { transaction { occurredAt } } }`,
      { i: { memberId: id, kind: 'T-VISIT', idempotencyKey: `dated-act-${id}`, occurredAt: at } }, service);
    expect(v.data).toEqual({ recordActivity: { transaction: { occurredAt: at } } });
  });
});

describe('no instant before 1970 or past the skew, from anyone', () => {
  const TOO_EARLY = ['0001-01-01T00:00:00.000Z', '1969-12-31T23:59:59.999Z'];

  it.each([...TOO_EARLY, '2999-01-01T00:00:00.000Z'])('a purchase, adjustment or redemption dated %s is BAD_USER_INPUT for admin too, writing nothing', async (when) => {
    await upsertReward({ code: 'T-OLD', name: 'Old', costPoints: 1 });
    const id = await registerMember(s);
    const [{ n: before }] = await s.sql('select count(*)::int as n from point_transaction');
    expectError(await s.gql(PURCHASE, { input: { memberId: id, orderId: `when-${id}`, amount: 10, occurredAt: when } }, admin), 'BAD_USER_INPUT', 'occurredAt');
    expectError(await s.gql(ADJUST, { input: { memberId: id, amount: 5, reason: 'r', idempotencyKey: `when-${id}`, occurredAt: when } }, admin), 'BAD_USER_INPUT', 'occurredAt');
    expectError(await redeem({ memberId: id, rewardCode: 'T-OLD', idempotencyKey: `when-${id}`, occurredAt: when }, admin), 'BAD_USER_INPUT', 'occurredAt');
    expectError(await s.gql(`mutation($i: RecordActivityInput!) { recordActivity(input: $i) { pointsEarned } }`,
      { i: { memberId: id, kind: 'CHECK_IN', idempotencyKey: `when-${id}`, occurredAt: when } }, admin), 'BAD_USER_INPUT', 'occurredAt');
    expect(await s.sql('select count(*)::int as n from point_transaction')).toEqual([{ n: before }]);
    expect(await s.sql('select count(*)::int as n from purchase where member_id = $1', [id])).toEqual([{ n: 0 }]);
  });

  it.each(TOO_EARLY)('every other DateTime input refuses %s, naming the field', async (when) => {
    const id = await registerMember(s);
    const cases: [string, Record<string, unknown>, string][] = [
      ['mutation($d: DateTime!) { registerMember(input: { joinedAt: $d }) { id } }', {}, 'joinedAt'],
      ['mutation($d: DateTime!) { upsertReward(input: { code: "T-EARLY", name: "e", costPoints: 1, validFrom: $d }) { id } }', {}, 'validFrom'],
      ['mutation($d: DateTime!) { upsertBenefit(input: { code: "T-EARLY", name: "e", kind: "DISCOUNT", tierCodes: [], validTo: $d }) { id } }', {}, 'validTo'],
      ['mutation($d: DateTime!) { saveSegment(input: { name: "early", filter: { joinedFrom: $d } }) { id } }', {}, 'joinedFrom'],
      ['mutation($d: DateTime!) { upsertTag(input: { code: "early", name: "e", rule: { lastPurchaseTo: $d } }) { id } }', {}, 'lastPurchaseTo'],
      ['mutation($d: DateTime!) { expirePoints(asOf: $d) { processed } }', {}, 'asOf'],
      ['mutation($d: DateTime!) { runTierReview(asOf: $d) { processed } }', {}, 'asOf'],
      ['mutation($d: DateTime!) { grantBirthdayGifts(asOf: $d) { processed } }', {}, 'asOf'],
      ['mutation($d: DateTime!) { refreshRetention(asOf: $d) { processed } }', {}, 'asOf'],
      ['mutation($d: DateTime!, $id: ID!) { setMemberTier(memberId: $id, tierCode: "GOLD", reason: "r", expiresAt: $d) { id } }', { id }, 'expiresAt'],
      ['query($d: DateTime!) { pointsFlow(from: $d, to: "2026-01-01T00:00:00Z") { period } }', {}, 'from'],
      ['query($d: DateTime!) { growth(from: "2026-01-01T00:00:00Z", to: $d) { period } }', {}, 'to'],
      ['query($d: DateTime!) { lifecycleTransitions(from: $d, to: "2026-01-01T00:00:00Z") { count } }', {}, 'from'],
      ['query($d: DateTime!) { tierChanges(since: $d) { id } }', {}, 'since'],
    ];
    for (const [query, vars, field] of cases) {
      const res = await s.gql(query, { ...vars, d: when }, admin);
      expect({ query, code: res.errors?.[0]?.extensions?.code, field: res.errors?.[0]?.extensions?.field })
        .toEqual({ query, code: 'BAD_USER_INPUT', field });
    }
    expect(await s.sql(`select count(*)::int as n from reward where code = 'T-EARLY'`)).toEqual([{ n: 0 }]);
    expect(await s.sql(`select tier_id = (select id from tier where code = 'GOLD') as gold from member where id = $1`, [id])).toEqual([{ gold: false }]);
  });

  it('a job as of a time more than 5 minutes ahead is BAD_USER_INPUT (asOf) and changes nothing; within the skew it runs', async () => {
    const id = await registerMember(s);
    await s.admin('mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }', { i: { memberId: id, orderId: `ahead-${id}`, amount: 1000 } });
    const state = async () => s.sql(`select (select balance from point_account where member_id = $1) as balance, (select count(*)::int from tier_change) as changes,
      (select count(*)::int from point_transaction where type = 'EXPIRE') as expiries, (select count(*)::int from retention_run) as runs,
      (select count(*)::int from birthday_grant) as gifts, (select count(*)::int from tier_notice) as notices,
      (select count(*)::int from campaign where status = 'ENDED') as ended`, [id]);
    const before = await state();
    const ahead = new Date(Date.now() + 10 * 60_000).toISOString();
    for (const job of ['expirePoints', 'runTierReview', 'sendTierNotices', 'refreshRetention', 'grantBirthdayGifts', 'reevaluateCampaigns']) {
      const res = await s.gql(`mutation($d: DateTime!) { ${job}(asOf: $d) { processed } }`, { d: ahead }, admin);
      expect({ job, code: res.errors?.[0]?.extensions?.code, field: res.errors?.[0]?.extensions?.field }).toEqual({ job, code: 'BAD_USER_INPUT', field: 'asOf' });
      const year = await s.gql(`mutation($d: DateTime!) { ${job}(asOf: $d) { processed } }`, { d: '2100-01-01T00:00:00.000Z' }, admin);
      expect({ job, code: year.errors?.[0]?.extensions?.code }).toEqual({ job, code: 'BAD_USER_INPUT' });
    }
    expect(await state()).toEqual(before);
    const soon = new Date(Date.now() + 60_000).toISOString();
    expect((await s.gql('mutation($d: DateTime!) { expirePoints(asOf: $d) { processed } }', { d: soon }, admin)).errors).toBeUndefined();
  });

  it('the latest instant the API takes is 9999-12-31; a report over all of it is refused, not run for seconds', async () => {
    const last = '9999-12-31T23:59:59.999Z';
    const ok = await s.gql('mutation($d: DateTime!) { upsertReward(input: { code: "T-LONG", name: "l", costPoints: 1, validTo: $d }) { validTo } }', { d: last }, admin);
    expect(ok.data).toEqual({ upsertReward: { validTo: last } });
    expectError(await s.gql('query($d: DateTime!) { growth(from: "1970-01-01T00:00:00Z", to: $d) { period } }', { d: last }, admin), 'BAD_USER_INPUT', 'to');
  });
});
