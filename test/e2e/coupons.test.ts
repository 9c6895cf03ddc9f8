// Issue 19, contract part store: coupons at the till (useCoupon, redemptionByCoupon, expiry).
import { MikroORM } from '@mikro-orm/postgresql';
import fc from 'fast-check';
import { ormConfig } from '../../src/config/mikro-orm';
import { migrationsList } from '../../migrations';
import { createTestDatabase, expectError, startTestServer, type GqlResponse, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';
import { ADJUST, POINTS, expectLedgerConsistent } from '../support/ledger';
import { TestClock, whenItComes } from '../support/clock';
import { COUPON_KEY_SQL } from '../../src/modules/rewards/reward.entities';
import { normalizeCouponCode } from '../../src/modules/rewards/rewards.rules';

let s: TestServer;
let admin: string;
let service: string;
/** The server's "now" for reads and writes: EXPIRED is derived as of the request, and the till's and the admin's writes happen at it. */
const clock = new TestClock();
beforeAll(async () => {
  s = await startTestServer({ clock });
  admin = await s.token('admin');
  service = await s.token('service');
  await createLadder(s);
  await upsertReward({ code: 'COFFEE', name: 'Coffee', costPoints: 10, description: 'A cup of coffee', faceValue: 3.5, couponValidDays: 30 });
  await upsertReward({ code: 'FOREVER', name: 'Forever', costPoints: 10 });
  await upsertReward({ code: 'DAY', name: 'Day pass', costPoints: 10, couponValidDays: 1 });
});
afterAll(() => s.stop());

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (t: number) => new Date(t).toISOString();
const FIELDS = 'id memberId points couponCode status createdAt expiresAt usedAt usedAtStore reward { code }';
const upsertReward = (input: Record<string, unknown>) =>
  s.admin(`mutation($i: RewardInput!) { upsertReward(input: $i) { code description faceValue couponValidDays } }`, { i: input });
const USE = `mutation($i: UseCouponInput!) { useCoupon(input: $i) { ${FIELDS} } }`;
const use = (i: Record<string, unknown>, token = service) => s.gql(USE, { i }, token);
const BY_COUPON = `query($c: String!) { redemptionByCoupon(couponCode: $c) { ${FIELDS} } }`;
const byCoupon = (code: string, token = service) => s.gql(BY_COUPON, { c: code }, token);
const CANCEL = `mutation($id: ID!) { cancelRedemption(id: $id, reason: "test") { id status } }`;
const cancel = (id: string) => s.gql(CANCEL, { id }, admin);
const balance = async (id: string) => (await s.admin(POINTS, { id })).member.pointsBalance;

/** A member with `points`, earned `daysAgo` days ago (so that a backdated redemption can spend them). */
async function member(points = 100, daysAgo = 10): Promise<string> {
  const id = await registerMember(s);
  await s.admin(ADJUST, { input: { memberId: id, amount: points, reason: 'start', idempotencyKey: `start-${id}`, occurredAt: iso(Date.now() - daysAgo * DAY) } });
  return id;
}
let keys = 0;
async function redeem(memberId: string, rewardCode: string, occurredAt?: string) {
  const res = await s.gql(`mutation($i: RedeemRewardInput!) { redeemReward(input: $i) { ${FIELDS} } }`,
    { i: { memberId, rewardCode, idempotencyKey: `redeem-${++keys}`, ...(occurredAt ? { occurredAt } : {}) } }, admin);
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data!.redeemReward;
}
const expectNotUsable = (res: GqlResponse, status: string) => {
  expectError(res, 'COUPON_NOT_USABLE');
  expect(res.errors![0].extensions!.status).toBe(status);
  expect(res.status).toBeLessThan(500);
};
/** The code as a cashier might type it. */
const typed = (code: string) => ` ${code.toLowerCase().replace(/-/g, ' ')} `;

describe('rewards carry what the till needs', () => {
  it('description, faceValue (money, exact: numeric in the database) and couponValidDays', async () => {
    const r = await upsertReward({ code: 'GIFT', name: 'Gift card', costPoints: 500, description: 'Worth 19.99', faceValue: 19.99, couponValidDays: 90 });
    expect(r.upsertReward).toEqual({ code: 'GIFT', description: 'Worth 19.99', faceValue: 19.99, couponValidDays: 90 });
    expect(await s.sql(`select face_value::text as v, pg_typeof(face_value)::text as t from reward where code = 'GIFT'`)).toEqual([{ v: '19.99', t: 'numeric' }]);
    const up = (i: Record<string, unknown>) => s.gql(`mutation($i: RewardInput!) { upsertReward(input: $i) { code } }`, { i: { code: 'GIFT', name: 'Gift card', costPoints: 500, ...i } }, admin);
    expectError(await up({ faceValue: 19.999 }), 'BAD_USER_INPUT', 'faceValue');
    expectError(await up({ faceValue: 0.1 + 0.2 }), 'BAD_USER_INPUT', 'faceValue');
    expectError(await up({ faceValue: 0 }), 'BAD_USER_INPUT', 'faceValue');
    expectError(await up({ faceValue: -5 }), 'BAD_USER_INPUT', 'faceValue');
    expectError(await up({ couponValidDays: 0 }), 'BAD_USER_INPUT', 'couponValidDays');
    expectError(await up({ couponValidDays: 3651 }), 'BAD_USER_INPUT', 'couponValidDays');
    expect((await s.admin('{ rewards { code faceValue } }')).rewards.find((x: any) => x.code === 'GIFT').faceValue).toBe(19.99);
  });
});

describe('issue and look-up', () => {
  it('a coupon expires couponValidDays × 24 h after its issue; no validity means no end', async () => {
    const id = await member();
    const r = await redeem(id, 'COFFEE');
    expect(r).toMatchObject({ status: 'ISSUED', usedAt: null, usedAtStore: null });
    expect(Date.parse(r.expiresAt) - Date.parse(r.createdAt)).toBe(30 * DAY);
    expect((await redeem(id, 'FOREVER')).expiresAt).toBeNull();
  });

  it('redemptionByCoupon finds a code whatever its case and separators, for services and admins only', async () => {
    const id = await member();
    const r = await redeem(id, 'COFFEE');
    for (const code of [r.couponCode, r.couponCode.toLowerCase(), r.couponCode.replace(/-/g, ''), typed(r.couponCode)]) {
      expect((await byCoupon(code)).data!.redemptionByCoupon).toEqual(r);
    }
    expect((await byCoupon(r.couponCode, admin)).data!.redemptionByCoupon.id).toBe(r.id);
    expect((await byCoupon('0000-0000-0000-0000')).data).toEqual({ redemptionByCoupon: null });
    expectError(await byCoupon(' - -- '), 'BAD_USER_INPUT', 'couponCode');
    expectError(await byCoupon('x'.repeat(65)), 'BAD_USER_INPUT', 'couponCode');
    expectError(await byCoupon(r.couponCode, await s.token('member', id)), 'FORBIDDEN');
    expectError(await byCoupon(r.couponCode, null as unknown as string), 'UNAUTHENTICATED');
  });

  it('the database normalises a code exactly as the look-up does (coupon_key), and indexes it', async () => {
    const keySql = COUPON_KEY_SQL.replace('coupon_code', '$1::text');
    await fc.assert(fc.asyncProperty(fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.stringMatching(/^[0-9A-Za-z -]{0,24}$/)), async (raw) => {
      const clean = raw.replaceAll('\u0000', '');
      const [{ key }] = await s.sql<{ key: string }>(`select ${keySql} as key`, [clean]);
      expect(key).toBe(normalizeCouponCode(clean));
    }), { numRuns: 200 });
    expect(await s.sql(`select indexdef from pg_indexes where indexname = 'redemption_coupon_key_unique'`)).toEqual([
      { indexdef: expect.stringMatching(/UNIQUE INDEX redemption_coupon_key_unique ON public.redemption USING btree \(coupon_key\)/) },
    ]);
  });
});

describe('useCoupon', () => {
  it('ISSUED → USED once; the same key gets the same answer, another key COUPON_NOT_USABLE (USED); points are untouched', async () => {
    const id = await member();
    const r = await redeem(id, 'COFFEE');
    const before = await balance(id);
    const first = await use({ couponCode: typed(r.couponCode), idempotencyKey: 'till-1:42', storeId: 'store-7' });
    expect(first.errors).toBeUndefined();
    expect(first.data!.useCoupon).toMatchObject({ id: r.id, status: 'USED', usedAtStore: 'store-7', expiresAt: r.expiresAt });
    expect(Math.abs(Date.parse(first.data!.useCoupon.usedAt) - Date.now())).toBeLessThan(60_000);
    // a till retrying, however it types the code
    expect(await use({ couponCode: r.couponCode, idempotencyKey: 'till-1:42', storeId: 'store-7' })).toEqual(first);
    expect(await use({ couponCode: r.couponCode.replace(/-/g, ''), idempotencyKey: 'till-1:42', storeId: 'store-7' })).toEqual(first);
    expectNotUsable(await use({ couponCode: r.couponCode, idempotencyKey: 'till-2:1', storeId: 'store-7' }), 'USED');
    expect(await balance(id)).toBe(before);
    expect((await byCoupon(r.couponCode)).data!.redemptionByCoupon).toEqual(first.data!.useCoupon);
    const mine = await s.gql(`{ me { redemptions(first: 5) { edges { node { id status usedAt usedAtStore } } } } }`, {}, await s.token('member', id));
    expect(mine.data!.me.redemptions.edges[0].node).toEqual({ id: r.id, status: 'USED', usedAt: first.data!.useCoupon.usedAt, usedAtStore: 'store-7' });
  });

  it('a key is one use: with another coupon or another store it is a CONFLICT, and changes nothing', async () => {
    const id = await member();
    const a = await redeem(id, 'COFFEE');
    const b = await redeem(id, 'COFFEE');
    expect((await use({ couponCode: a.couponCode, idempotencyKey: 'k-conflict', storeId: 'S1' })).errors).toBeUndefined();
    expectError(await use({ couponCode: b.couponCode, idempotencyKey: 'k-conflict', storeId: 'S1' }), 'CONFLICT', 'idempotencyKey');
    expectError(await use({ couponCode: a.couponCode, idempotencyKey: 'k-conflict', storeId: 'S2' }), 'CONFLICT', 'idempotencyKey');
    expectError(await use({ couponCode: a.couponCode, idempotencyKey: 'k-conflict', storeId: 'S1', occurredAt: iso(Date.now() - HOUR) }), 'CONFLICT', 'idempotencyKey');
    expect((await byCoupon(b.couponCode)).data!.redemptionByCoupon.status).toBe('ISSUED');
  });

  it('services and admins only; bad input is BAD_USER_INPUT; an unknown code NOT_FOUND', async () => {
    const id = await member();
    const r = await redeem(id, 'COFFEE');
    expectError(await use({ couponCode: r.couponCode, idempotencyKey: 'm-1' }, await s.token('member', id)), 'FORBIDDEN');
    expectError(await use({ couponCode: r.couponCode, idempotencyKey: 'm-2', occurredAt: iso(Date.now() - HOUR) }, await s.token('member', id)), 'FORBIDDEN');
    expectError(await use({ couponCode: 'ZZZZ-ZZZZ-ZZZZ-ZZZZ', idempotencyKey: 'nf-1' }), 'NOT_FOUND');
    expectError(await use({ couponCode: '----', idempotencyKey: 'bad-1' }), 'BAD_USER_INPUT', 'couponCode');
    expectError(await use({ couponCode: r.couponCode, idempotencyKey: '' }), 'BAD_USER_INPUT', 'idempotencyKey');
    expectError(await use({ couponCode: r.couponCode, idempotencyKey: 'future', occurredAt: iso(Date.now() + HOUR) }), 'BAD_USER_INPUT', 'occurredAt');
    // A store is a key of the use's payload: blank or padded is refused (stored as sent, the till's corrected retry was a CONFLICT).
    for (const storeId of ['   ', ' S1 ', 'S1\n']) expectError(await use({ couponCode: r.couponCode, idempotencyKey: `store-${storeId}`, storeId }), 'BAD_USER_INPUT', 'storeId');
    expect((await byCoupon(r.couponCode)).data!.redemptionByCoupon.status).toBe('ISSUED');
    expect((await use({ couponCode: r.couponCode, idempotencyKey: 'admin-1' }, admin)).data!.useCoupon.status).toBe('USED');
  });

  it('a cancelled coupon cannot be used; a used one cannot be cancelled', async () => {
    const id = await member();
    const a = await redeem(id, 'COFFEE');
    const b = await redeem(id, 'COFFEE');
    expect((await cancel(a.id)).data!.cancelRedemption.status).toBe('CANCELLED');
    expectNotUsable(await use({ couponCode: a.couponCode, idempotencyKey: 'after-cancel' }), 'CANCELLED');
    expect((await use({ couponCode: b.couponCode, idempotencyKey: 'before-cancel' })).errors).toBeUndefined();
    const points = await balance(id);
    expectNotUsable(await cancel(b.id), 'USED');
    expect(await balance(id)).toBe(points);
    expect((await byCoupon(b.couponCode)).data!.redemptionByCoupon.status).toBe('USED');
    await expectLedgerConsistent(s);
  });

  it('the per-member limit counts used coupons too', async () => {
    await upsertReward({ code: 'ONCE', name: 'Once', costPoints: 10, perMemberLimit: 1 });
    const id = await member();
    const r = await redeem(id, 'ONCE');
    await use({ couponCode: r.couponCode, idempotencyKey: `once-${id}` });
    const again = await s.gql(`mutation($i: RedeemRewardInput!) { redeemReward(input: $i) { id } }`, { i: { memberId: id, rewardCode: 'ONCE', idempotencyKey: `once-again-${id}` } }, admin);
    expectError(again, 'LIMIT_REACHED');
  });
});

describe('expiry', () => {
  // useCoupon, cancelRedemption, adjustPoints and refundPurchase took the system's time while the
  // reads took the request's: a coupon the server read as EXPIRED was still used, or cancelled
  // with its points given back.
  it('a coupon the server reads as EXPIRED is refused at the till, and cannot be cancelled (its points are not given back)', async () => {
    const id = await member();
    const used = await redeem(id, 'DAY');
    const cancelled = await redeem(id, 'DAY');
    await whenItComes(clock, new Date(Date.now() + DAY + 60_000), async () => {
      expect((await byCoupon(used.couponCode)).data!.redemptionByCoupon.status).toBe('EXPIRED');
      expectNotUsable(await use({ couponCode: used.couponCode, idempotencyKey: `use-${used.id}` }), 'EXPIRED');
      expectError(await cancel(cancelled.id), 'COUPON_NOT_USABLE');
      expect((await s.admin(POINTS, { id })).member.pointsBalance).toBe(80);
    });
  });

  it("a registration and a profile update take their instants and today from the request's clock", async () => {
    const id = await registerMember(s);
    await whenItComes(clock, new Date(Date.now() + 3 * DAY), async () => {
      const at = clock.now().toISOString();
      const r = await s.gql('mutation($i: RegisterMemberInput!) { registerMember(input: $i) { joinedAt } }', { i: { joinedAt: at } }, service);
      expect(r.errors).toBeUndefined();
      expect(r.data!.registerMember.joinedAt).toBe(at);
      // A birthday may be today, the clock's.
      const today = at.slice(0, 10);
      const u = await s.gql('mutation($id: ID!, $p: MemberPatch!) { updateMember(memberId: $id, patch: $p) { birthday } }', { id, p: { birthday: today } }, service);
      expect(u.errors).toBeUndefined();
      expect(u.data!.updateMember.birthday).toBe(today);
    });
  });

  it("an undated adjustment and an undated refund happen at the request's now", async () => {
    const id = await registerMember(s);
    await whenItComes(clock, new Date(Date.now() + 3 * DAY), async () => {
      const expected = clock.now().getTime();
      await s.admin(ADJUST, { input: { memberId: id, amount: 50, reason: 'later', idempotencyKey: `later-${id}` } });
      await s.gql('mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }', { i: { memberId: id, orderId: `o-${id}`, amount: 100 } }, service);
      const refund = await s.gql('mutation($i: RefundPurchaseInput!) { refundPurchase(input: $i) { pointsEarned } }', { i: { orderId: `o-${id}`, refundId: `r-${id}`, amount: 100 } }, service);
      expect(refund.errors).toBeUndefined();
      const { member: m } = await s.admin<{ member: { pointsHistory: { edges: { node: { type: string; occurredAt: string } }[] } } }>(
        'query($id: ID!) { member(id: $id) { pointsHistory(first: 10) { edges { node { type occurredAt } } } } }', { id });
      const at = (type: string) => new Date(m.pointsHistory.edges.find((e) => e.node.type === type)!.node.occurredAt).getTime();
      for (const type of ['ADJUST', 'REFUND_REVERSAL']) {
        expect(at(type)).toBeGreaterThanOrEqual(expected);
        expect(at(type)).toBeLessThan(expected + 60_000);
      }
    });
  });

  it('EXPIRED is derived when read, with no job: an issued coupon reads EXPIRED once the clock passes expiresAt', async () => {
    const id = await member();
    const r = await redeem(id, 'DAY');
    expect((await byCoupon(r.couponCode)).data!.redemptionByCoupon.status).toBe('ISSUED');
    await whenItComes(clock, new Date(Date.now() + DAY + 1000), async () => {
      expect((await byCoupon(r.couponCode)).data!.redemptionByCoupon.status).toBe('EXPIRED');
      const mine = await s.gql(`{ me { redemptions(first: 1) { edges { node { status } } } } }`, {}, await s.token('member', id));
      expect(mine.data!.me.redemptions.edges[0].node.status).toBe('EXPIRED');
    });
    expect(await s.sql('select status from redemption where id = $1', [r.id])).toEqual([{ status: 'ISSUED' }]);
  });

  it('an expired coupon cannot be used nor cancelled (its points do not come back); a till offline before the expiry may still use it', async () => {
    const id = await member(100);
    const issuedAt = Date.now() - 3 * DAY;
    const a = await redeem(id, 'DAY', iso(issuedAt));
    const b = await redeem(id, 'DAY', iso(issuedAt));
    expect(a.status).toBe('EXPIRED');
    expect(Date.parse(a.expiresAt)).toBe(issuedAt + DAY);
    const points = await balance(id);
    expectNotUsable(await use({ couponCode: a.couponCode, idempotencyKey: 'late' }), 'EXPIRED');
    expectNotUsable(await use({ couponCode: a.couponCode, idempotencyKey: 'late-2', occurredAt: iso(issuedAt + DAY) }), 'EXPIRED');
    expectNotUsable(await cancel(a.id), 'EXPIRED');
    expect(await balance(id)).toBe(points);
    // before its issue: not usable then
    const early = await use({ couponCode: a.couponCode, idempotencyKey: 'early', occurredAt: iso(issuedAt - HOUR) });
    expectNotUsable(early, 'EXPIRED');
    expect(early.errors![0].extensions!.field).toBe('occurredAt');
    // an offline till that used it within its day
    const offline = await use({ couponCode: a.couponCode, idempotencyKey: 'offline', storeId: 'S9', occurredAt: iso(issuedAt + 12 * HOUR) });
    expect(offline.data!.useCoupon).toMatchObject({ status: 'USED', usedAt: iso(issuedAt + 12 * HOUR), usedAtStore: 'S9' });
    expect(await use({ couponCode: a.couponCode, idempotencyKey: 'offline', storeId: 'S9', occurredAt: iso(issuedAt + 12 * HOUR) })).toEqual(offline);
    expect(await use({ couponCode: a.couponCode, idempotencyKey: 'offline', storeId: 'S9' })).toEqual(offline);
    expect((await byCoupon(b.couponCode)).data!.redemptionByCoupon.status).toBe('EXPIRED');
    expect(await balance(id)).toBe(points);
    await expectLedgerConsistent(s);
  });

  it('expiresAt is fixed at issue: a later change to the reward does not move it', async () => {
    await upsertReward({ code: 'WEEK', name: 'Week', costPoints: 10, couponValidDays: 7 });
    const id = await member();
    const r = await redeem(id, 'WEEK');
    await s.admin(`mutation { updateReward(code: "WEEK", patch: { couponValidDays: 1 }) { code } }`);
    expect((await byCoupon(r.couponCode)).data!.redemptionByCoupon.expiresAt).toBe(r.expiresAt);
    await s.admin(`mutation { updateReward(code: "WEEK", patch: { couponValidDays: null }) { code } }`);
    await upsertReward({ code: 'WEEK', name: 'Week', costPoints: 10, couponValidDays: 2 });
    expect((await byCoupon(r.couponCode)).data!.redemptionByCoupon.expiresAt).toBe(r.expiresAt);
    expect(Date.parse((await redeem(id, 'WEEK')).expiresAt) - Date.now()).toBeLessThanOrEqual(2 * DAY);
  });
});

describe('races through the HTTP server', () => {
  it('twenty tills using each of five coupons at once: exactly one USED per coupon, the rest COUPON_NOT_USABLE (USED)', async () => {
    const id = await member();
    const coupons = [];
    for (let i = 0; i < 5; i++) coupons.push(await redeem(id, 'COFFEE'));
    const answers = await Promise.all(coupons.map((r) =>
      Promise.all(Array.from({ length: 20 }, (_, i) => use({ couponCode: r.couponCode, idempotencyKey: `race-${r.id}-${i}`, storeId: `S${i}` })))));
    for (const [n, r] of coupons.entries()) {
      const won = answers[n].filter((a) => !a.errors);
      expect(won).toHaveLength(1);
      for (const a of answers[n].filter((x) => x.errors)) expectNotUsable(a, 'USED');
      const winner = won[0].data!.useCoupon;
      const [row] = await s.sql('select status, used_at_store, use_idempotency_key from redemption where id = $1', [r.id]);
      expect(row).toEqual({ status: 'USED', used_at_store: winner.usedAtStore, use_idempotency_key: `race-${r.id}-${winner.usedAtStore.slice(1)}` });
    }
  });

  it('one key sent for two coupons at once: one USED, the other a CONFLICT', async () => {
    const id = await member();
    for (let round = 0; round < 3; round++) {
      const a = await redeem(id, 'COFFEE');
      const b = await redeem(id, 'COFFEE');
      const key = `two-coupons-${a.id}`;
      const answers = await Promise.all([a, b, a, b].map((r) => use({ couponCode: r.couponCode, idempotencyKey: key })));
      const won = answers.filter((x) => !x.errors);
      expect(new Set(won.map((x) => x.data!.useCoupon.id)).size).toBe(1);
      for (const x of answers.filter((y) => y.errors)) expectError(x, 'CONFLICT', 'idempotencyKey');
      const statuses = (await s.sql('select status from redemption where id = any($1) order by status', [[a.id, b.id]])).map((r) => r.status);
      expect(statuses).toEqual(['ISSUED', 'USED']);
    }
  });

  it('one till retrying with its key while others use the coupon: the key gets one answer, whoever wins', async () => {
    const id = await member();
    for (let round = 0; round < 3; round++) {
      const r = await redeem(id, 'COFFEE');
      const requests = Array.from({ length: 16 }, (_, i) => (i % 2 === 0
        ? use({ couponCode: r.couponCode, idempotencyKey: `same-${r.id}`, storeId: 'S1' })
        : use({ couponCode: r.couponCode, idempotencyKey: `other-${r.id}-${i}`, storeId: 'S1' })));
      const answers = await Promise.all(requests);
      const same = answers.filter((_, i) => i % 2 === 0);
      const others = answers.filter((_, i) => i % 2 === 1);
      const sameWon = !same[0].errors;
      // the key's answers are all alike: all the one USED redemption, or all refused
      expect(new Set(same.map((a) => JSON.stringify(a.data ?? a.errors![0].extensions)))).toHaveProperty('size', 1);
      expect(answers.filter((a) => !a.errors)).toHaveLength(sameWon ? same.length : 1);
      if (sameWon) for (const a of others) expectNotUsable(a, 'USED');
      else for (const a of same) expectNotUsable(a, 'USED');
      // and a retry later gets the winner's answer or the refusal, consistently
      const retry = await use({ couponCode: r.couponCode, idempotencyKey: `same-${r.id}`, storeId: 'S1' });
      expect(!retry.errors).toBe(sameWon);
    }
  });

  it('use racing cancel: one wins, never both; points come back only when the cancel won', async () => {
    const id = await member(1000);
    const coupons = [];
    for (let i = 0; i < 12; i++) coupons.push(await redeem(id, 'COFFEE'));
    const start = await balance(id);
    // sent together, use first for half of them and cancel first for the other half
    const answers = await Promise.all(coupons.flatMap((c, i) => {
      const send = [() => use({ couponCode: c.couponCode, idempotencyKey: `uc-${c.id}` }), () => cancel(c.id)];
      return (i % 2 ? send.reverse() : send).map((f) => f());
    }));
    let cancelled = 0;
    for (const c of coupons) {
      const used = answers.find((a) => a.data?.useCoupon?.id === c.id);
      const cancelledNow = answers.find((a) => a.data?.cancelRedemption?.id === c.id);
      expect(!!used !== !!cancelledNow).toBe(true);
      const [{ status }] = await s.sql('select status from redemption where id = $1', [c.id]);
      expect(status).toBe(used ? 'USED' : 'CANCELLED');
      if (cancelledNow) cancelled++;
    }
    const refusals = answers.filter((a) => a.errors);
    expect(refusals).toHaveLength(coupons.length);
    for (const a of refusals) expect(a.errors![0].extensions!.code).toBe('COUPON_NOT_USABLE');
    expect(refusals.map((a) => a.errors![0].extensions!.status).sort()).toEqual([
      ...Array(cancelled).fill('CANCELLED'), ...Array(coupons.length - cancelled).fill('USED'),
    ].sort());
    expect(await balance(id)).toBe(start + 10 * cancelled);
    await expectLedgerConsistent(s);
  });
});

describe('the migration', () => {
  it('fills coupon_key for the redemptions already there', async () => {
    const config = ormConfig({ url: await createTestDatabase('mig') });
    // The migration before the coupons' one, whatever comes after.
    const before = migrationsList[migrationsList.findIndex((m) => m.name.endsWith('_coupons')) - 1].name;
    const orm = await MikroORM.init(config);
    try {
      const migrator = orm.getMigrator();
      await migrator.up({ to: before });
      const db = orm.em.getConnection();
      await db.execute(`insert into redemption (id, member_id, reward_id, points, coupon_code, status, idempotency_key, transaction_id, created_at)
        select gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), 10, c, 'ISSUED', c, 1, now() from unnest(array['7K2M-9QXZ-AB3D-WXYZ', 'abcd-efgh-jkmn-pqrs']) c`);
      await migrator.up();
      expect(await db.execute(`select coupon_code as code, coupon_key as key, expires_at as "expiresAt", used_at as "usedAt" from redemption order by 1`)).toEqual([
        { code: '7K2M-9QXZ-AB3D-WXYZ', key: '7K2M9QXZAB3DWXYZ', expiresAt: null, usedAt: null },
        { code: 'abcd-efgh-jkmn-pqrs', key: 'ABCDEFGHJKMNPQRS', expiresAt: null, usedAt: null },
      ]);
      await migrator.down({ to: before });
      await migrator.up();
    } finally {
      await orm.close(true);
    }
  });
});
