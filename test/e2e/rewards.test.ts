import { expectError, startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';
import { ADJUST, POINTS, expectLedgerConsistent } from '../support/ledger';
import { TestClock } from '../support/clock';
import { addDaysUtc, addMonthsUtc } from '../../src/common/time.rules';
import { Client } from 'pg';
import * as rewardsRepo from '../../src/modules/rewards/rewards.repository';

let s: TestServer;
let admin: string;
/** The server's "now": the benefits test moves it instead of sleeping until a benefit starts. */
const clock = new TestClock();
beforeAll(async () => {
  s = await startTestServer({ clock });
  admin = await s.token('admin');
  await createLadder(s);
});
afterAll(() => s.stop());

const REDEEM = `mutation($i: RedeemRewardInput!) { redeemReward(input: $i) { id memberId points couponCode status reward { code stock } } }`;
const upsertReward = (input: Record<string, unknown>) => s.admin(`mutation($i: RewardInput!) { upsertReward(input: $i) { code stock } }`, { i: input });
const credit = (memberId: string, amount: number, key: string) =>
  s.admin(ADJUST, { input: { memberId, amount, reason: 'test credit', idempotencyKey: key } });
const redeem = (memberId: string, rewardCode: string, idempotencyKey: string, token = admin) =>
  s.gql(REDEEM, { i: { memberId, rewardCode, idempotencyKey } }, token);
const balance = async (id: string) => (await s.admin(POINTS, { id })).member.pointsBalance;

describe('redeemReward', () => {
  it('debits the cost, issues an unguessable coupon, and is idempotent', async () => {
    await upsertReward({ code: 'COFFEE', name: 'Coffee', costPoints: 100 });
    const id = await registerMember(s);
    await credit(id, 250, 'coffee-credit');
    const token = await s.token('member', id);
    const first = await redeem(id, 'COFFEE', 'k1', token);
    expect(first.data!.redeemReward).toMatchObject({ memberId: id, points: 100, status: 'ISSUED', reward: { code: 'COFFEE', stock: null } });
    expect(first.data!.redeemReward.couponCode).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
    expect(await redeem(id, 'COFFEE', 'k1', token)).toEqual(first);
    expect(await balance(id)).toBe(150);
    expectError(await redeem(id, 'NOPE', 'k1', token), 'CONFLICT', 'idempotencyKey');
    const other = await registerMember(s);
    expectError(await redeem(other, 'COFFEE', 'k-other', token), 'FORBIDDEN');
    expectError(await redeem(id, 'NOPE', 'k2', token), 'NOT_FOUND');
    await expectLedgerConsistent(s);
  });

  it('a key is the member\'s own: another member redeeming with the same key gets its own coupon, never a CONFLICT', async () => {
    await upsertReward({ code: 'TAP', name: 'Tap', costPoints: 100 });
    const members = [await registerMember(s), await registerMember(s), await registerMember(s)];
    for (const [i, m] of members.entries()) await credit(m, 300, `own-key-credit-${i}`);
    const tokens = await Promise.all(members.map((m) => s.token('member', m)));
    // Each member's app makes the same key (a tap counter, say), at once and again on retry.
    const answers = await Promise.all([...members, ...members].map((m, i) => redeem(m, 'TAP', 'tap-1', tokens[i % members.length])));
    for (const a of answers) expect(a.errors).toBeUndefined();
    const coupons = answers.map((a) => a.data!.redeemReward.couponCode);
    expect(new Set(coupons).size).toBe(members.length);
    expect(coupons.slice(members.length)).toEqual(coupons.slice(0, members.length));
    for (const m of members) expect(await balance(m)).toBe(200);
    // Within one member the key still stands for its first payload.
    expectError(await redeem(members[1], 'NOPE', 'tap-1', tokens[1]), 'CONFLICT', 'idempotencyKey');
    await expectLedgerConsistent(s);
  });

  it('a back end\'s retry under the same key with another occurredAt is a CONFLICT; without one, or with the stored one, the same redemption', async () => {
    await upsertReward({ code: 'DATED', name: 'Dated', costPoints: 10 });
    const id = await registerMember(s, { joinedAt: new Date(clock.now().getTime() - 86_400_000).toISOString() });
    await s.admin(ADJUST, { input: { memberId: id, amount: 100, reason: 'dated credit', idempotencyKey: `dated-credit-${id}`,
      occurredAt: new Date(clock.now().getTime() - 10 * 3_600_000).toISOString() } });
    const service = await s.token('service', 'till-9');
    const at = new Date(clock.now().getTime() - 3_600_000).toISOString();
    const dated = (occurredAt?: string) => s.gql(REDEEM.replace('status', 'status createdAt'), { i: { memberId: id, rewardCode: 'DATED', idempotencyKey: 'till-sync-1', ...(occurredAt ? { occurredAt } : {}) } }, service);
    const first = await dated(at);
    expect(first.errors).toBeUndefined();
    expect(first.data!.redeemReward.createdAt).toBe(at);
    expectError(await dated(new Date(clock.now().getTime() - 7_200_000).toISOString()), 'CONFLICT', 'idempotencyKey');
    expect(await dated(at)).toEqual(first);
    expect(await dated()).toEqual(first);
    // A first call without occurredAt took the server's clock: a retry may name that instant, no other.
    const now = await s.gql(REDEEM.replace('status', 'status createdAt'), { i: { memberId: id, rewardCode: 'DATED', idempotencyKey: 'till-sync-2' } }, service);
    const again = (occurredAt: string) => s.gql(REDEEM.replace('status', 'status createdAt'), { i: { memberId: id, rewardCode: 'DATED', idempotencyKey: 'till-sync-2', occurredAt } }, service);
    expect(await again(now.data!.redeemReward.createdAt)).toEqual(now);
    expectError(await again(at), 'CONFLICT', 'idempotencyKey');
    expect(await balance(id)).toBe(80);
    await expectLedgerConsistent(s);
  });

  it('a member reads affordable wherever it reads a reward: its catalogue, its redemption\'s answer, its redemptions; others read null', async () => {
    await upsertReward({ code: 'HALF', name: 'Half', costPoints: 60 });
    const id = await registerMember(s);
    await credit(id, 100, `half-credit-${id}`);
    const token = await s.token('member', id);
    const answer = await s.gql(`mutation($i: RedeemRewardInput!) { redeemReward(input: $i) { reward { code affordable } } }`,
      { i: { memberId: id, rewardCode: 'HALF', idempotencyKey: 'half-1' } }, token);
    // 40 left: a second one is not affordable, and the answer says so as the catalogue does.
    expect(answer.data!.redeemReward.reward).toEqual({ code: 'HALF', affordable: false });
    const read = await s.gql('{ me { redemptions { edges { node { reward { code affordable } } } } } rewards { code affordable } }', {}, token);
    expect(read.data!.me.redemptions.edges.map((e: any) => e.node.reward)).toEqual([{ code: 'HALF', affordable: false }]);
    expect(read.data!.rewards.find((r: any) => r.code === 'HALF')).toEqual({ code: 'HALF', affordable: false });
    await credit(id, 20, `half-credit-2-${id}`);
    const richer = await s.gql('{ me { redemptions { edges { node { reward { affordable } } } } } }', {}, token);
    expect(richer.data!.me.redemptions.edges[0].node.reward.affordable).toBe(true);
    const staff = await s.admin(`query($id: ID!) { member(id: $id) { redemptions { edges { node { reward { affordable } } } } } }`, { id });
    expect(staff.member.redemptions.edges[0].node.reward.affordable).toBeNull();
  });

  it('a tier that expired before its review ran is reviewed first: its reward is NOT_ELIGIBLE, as after the review, and the member\'s catalogue no longer offers it', async () => {
    await upsertReward({ code: 'GOLD_ROOM', name: 'Gold room', costPoints: 10, tierCodes: ['GOLD', 'PLATINUM'] });
    const id = await registerMember(s, { joinedAt: new Date(clock.now().getTime() - 400 * 86_400_000).toISOString() });
    // Gold from a purchase 12 months less a minute ago: it expires a minute from now, and no review will have run.
    // On 29 February none expires then (12 months on from a day of last year's February is the
    // 28th at the latest): the first minute whose tier expires after now, 1 March's midnight.
    let boughtAt = addMonthsUtc(clock.now(), -12).getTime() + 60_000;
    while (addMonthsUtc(new Date(boughtAt), 12).getTime() <= clock.now().getTime()) boughtAt += 60_000;
    const bought = new Date(boughtAt).toISOString();
    const expiresAt = addMonthsUtc(new Date(boughtAt), 12).getTime();
    const buy = await s.admin(`mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { tierChange { toTier { code } } } }`,
      { i: { memberId: id, orderId: `gold-room-${id}`, amount: 5000, occurredAt: bought } });
    expect(buy.recordPurchase.tierChange.toTier.code).toBe('GOLD');
    await credit(id, 100, `gold-room-credit-${id}`);
    const token = await s.token('member', id);
    const offered = async () => ((await s.gql('{ rewards { code } }', {}, token)).data!.rewards as { code: string }[]).map((r) => r.code);
    expect(await offered()).toContain('GOLD_ROOM');
    clock.advance(expiresAt - clock.now().getTime() + 60_000); // a minute past the expiry
    try {
      // The member's catalogue agrees with the redemption: it no longer offers what would be refused.
      expect(await offered()).not.toContain('GOLD_ROOM');
      expectError(await redeem(id, 'GOLD_ROOM', 'gr-1', token), 'NOT_ELIGIBLE');
      // Refused, it changes nothing (the review it made is the job's to record).
      expect(await balance(id)).toBe(5100);
      expect(await offered()).not.toContain('GOLD_ROOM');
    } finally {
      clock.reset();
    }
    await expectLedgerConsistent(s);
  });

  it('a backdated redemption (a till syncing) is judged on the tier held at its instant, as its window and balance are', async () => {
    await upsertReward({ code: 'GOLD_DESK', name: 'Gold desk', costPoints: 10, tierCodes: ['GOLD', 'PLATINUM'] });
    const service = await s.token('service', 'till-7');
    const day = 86_400_000;
    const now = clock.now().getTime();
    const at = (daysAgo: number) => new Date(now - daysAgo * day).toISOString();
    const redeemAt = (memberId: string, key: string, occurredAt: string) =>
      s.gql(REDEEM, { i: { memberId, rewardCode: 'GOLD_DESK', idempotencyKey: key, occurredAt } }, service);
    const purchase = (memberId: string, orderId: string, amount: number, occurredAt: string) =>
      s.admin(`mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { tierChange { toTier { code } } } }`, { i: { memberId, orderId, amount, occurredAt } });

    // BRONZE ten days ago, GOLD since an hour ago: the till's redemption of ten days ago is refused.
    const late = await registerMember(s, { joinedAt: at(100) });
    await s.admin(ADJUST, { input: { memberId: late, amount: 100, reason: 'test credit', idempotencyKey: `desk-credit-${late}`, occurredAt: at(50) } });
    expect((await purchase(late, `desk-${late}`, 5000, at(1 / 24))).recordPurchase.tierChange.toTier.code).toBe('GOLD');
    expectError(await redeemAt(late, 'd1', at(10)), 'NOT_ELIGIBLE');
    expect(await balance(late)).toBe(5100);
    expect(await s.sql(`select count(*)::int as n from redemption where member_id = $1`, [late])).toEqual([{ n: 0 }]);
    // Now, as GOLD, it may.
    expect((await redeemAt(late, 'd2', at(0))).errors).toBeUndefined();

    // GOLD fifty days ago, set back to BRONZE by an admin now: the redemption of ten days ago stands.
    const early = await registerMember(s, { joinedAt: at(100) });
    expect((await purchase(early, `desk-${early}`, 5000, at(50))).recordPurchase.tierChange.toTier.code).toBe('GOLD');
    await s.admin('mutation($id: ID!) { setMemberTier(memberId: $id, tierCode: "BRONZE", reason: "test") { id } }', { id: early });
    const held = await redeemAt(early, 'd3', at(10));
    expect(held.errors).toBeUndefined();
    expect(held.data!.redeemReward).toMatchObject({ points: 10, status: 'ISSUED' });
    expect(await balance(early)).toBe(4990);
    // The history it was judged on is unchanged: still BRONZE now.
    expect((await s.admin('query($id: ID!) { member(id: $id) { tier { code } } }', { id: early })).member.tier.code).toBe('BRONZE');
    expectError(await s.gql(REDEEM, { i: { memberId: early, rewardCode: 'GOLD_DESK', idempotencyKey: 'd4' } }, service), 'NOT_ELIGIBLE');
    await expectLedgerConsistent(s);
  });

  it('refuses what the member may not have, changing nothing', async () => {
    await upsertReward({ code: 'LOUNGE', name: 'Lounge pass', costPoints: 10, tierCodes: ['GOLD', 'PLATINUM'] });
    await upsertReward({ code: 'MUG', name: 'Mug', costPoints: 10, perMemberLimit: 1 });
    await upsertReward({ code: 'GONE', name: 'Gone', costPoints: 10, stock: 0 });
    await upsertReward({ code: 'OFF', name: 'Off', costPoints: 10, active: false });
    await upsertReward({ code: 'LATER', name: 'Later', costPoints: 10, validFrom: '2099-01-01T00:00:00.000Z' });
    await upsertReward({ code: 'PRICEY', name: 'Pricey', costPoints: 100000 });
    const id = await registerMember(s);
    await credit(id, 100, 'refuse-credit');
    expectError(await redeem(id, 'LOUNGE', 'x1'), 'NOT_ELIGIBLE');
    expectError(await redeem(id, 'OFF', 'x2'), 'NOT_ELIGIBLE');
    expectError(await redeem(id, 'LATER', 'x3'), 'NOT_ELIGIBLE');
    // A member is not told that a draft exists: it answers as an unknown code (its catalogue does not list it), sold out or not.
    const own = await s.token('member', id);
    await upsertReward({ code: 'OFF_GONE', name: 'Off and gone', costPoints: 10, active: false, stock: 0 });
    for (const code of ['OFF', 'OFF_GONE']) {
      const res = await redeem(id, code, `x-draft-${code}`, own);
      expectError(res, 'NOT_FOUND');
      expect(res.errors![0].message).toBe((await redeem(id, 'NO_SUCH_REWARD', 'x-none', own)).errors![0].message.replace('NO_SUCH_REWARD', code));
    }
    expectError(await redeem(id, 'LATER', 'x3-member', own), 'NOT_ELIGIBLE');
    expectError(await redeem(id, 'GONE', 'x4'), 'OUT_OF_STOCK');
    expectError(await redeem(id, 'PRICEY', 'x5'), 'INSUFFICIENT_POINTS');
    expect((await redeem(id, 'MUG', 'x6')).errors).toBeUndefined();
    expectError(await redeem(id, 'MUG', 'x7'), 'LIMIT_REACHED');
    expect(await balance(id)).toBe(90);
    expect(await s.sql(`select count(*)::int as n from redemption where member_id = $1`, [id])).toEqual([{ n: 1 }]);
    // the member's catalogue lists what it may redeem, with affordability
    const list = await s.gql('{ rewards { code affordable } }', {}, await s.token('member', id));
    const codes = list.data!.rewards.map((r: any) => r.code);
    expect(codes).toEqual(expect.arrayContaining(['COFFEE', 'PRICEY']));
    for (const gone of ['LOUNGE', 'OFF', 'LATER', 'GONE', 'MUG']) expect({ gone, listed: codes.includes(gone) }).toEqual({ gone, listed: false }); // MUG: its limit is reached
    expect(list.data!.rewards.find((r: any) => r.code === 'PRICEY').affordable).toBe(false);
    // Another member, under the limit, is offered MUG.
    const other = await registerMember(s);
    const theirs = (await s.gql('{ rewards { code } }', {}, await s.token('member', other))).data!.rewards.map((r: any) => r.code);
    expect(theirs).toContain('MUG');
  });
});

describe('redemption under concurrency', () => {
  it('50 members racing for a stock of 5: exactly 5 win, the rest are OUT_OF_STOCK', async () => {
    await upsertReward({ code: 'FLASH', name: 'Flash sale', costPoints: 10, stock: 5 });
    const ids = [];
    for (let i = 0; i < 50; i++) {
      const id = await registerMember(s);
      await credit(id, 10, `flash-${i}`);
      ids.push(id);
    }
    const results = await Promise.all(ids.map((id, i) => redeem(id, 'FLASH', `flash-r-${i}`)));
    const won = results.filter((r) => !r.errors);
    expect(won).toHaveLength(5);
    expect(results.filter((r) => r.errors).every((r) => r.errors![0].extensions?.code === 'OUT_OF_STOCK')).toBe(true);
    expect(await s.sql(`select stock from reward where code = 'FLASH'`)).toEqual([{ stock: 0 }]);
    await expectLedgerConsistent(s);
  });

  it('one member firing 20 redemptions with a balance for 5 gets exactly 5', async () => {
    await upsertReward({ code: 'TEN', name: 'Ten', costPoints: 10 });
    const id = await registerMember(s);
    await credit(id, 55, 'twenty-credit');
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => redeem(id, 'TEN', `twenty-${i}`)));
    expect(results.filter((r) => !r.errors)).toHaveLength(5);
    expect(results.filter((r) => r.errors).every((r) => r.errors![0].extensions?.code === 'INSUFFICIENT_POINTS')).toBe(true);
    expect(await balance(id)).toBe(5);
  });

  it('one key fired 5 times at once makes one redemption', async () => {
    const id = await registerMember(s);
    await credit(id, 100, 'five-credit');
    const results = await Promise.all(Array.from({ length: 5 }, () => redeem(id, 'TEN', 'same-five')));
    expect(new Set(results.map((r) => JSON.stringify(r.data))).size).toBe(1);
    expect(await s.sql(`select count(*)::int as n from redemption where idempotency_key = 'same-five'`)).toEqual([{ n: 1 }]);
    expect(await balance(id)).toBe(90);
  });

  it('a retry of the redemption that took the last unit gets that redemption, not OUT_OF_STOCK, even when it overtakes the commit', async () => {
    await upsertReward({ code: 'LAST_ONE', name: 'Last one', costPoints: 10, stock: 1 });
    const id = await registerMember(s);
    await credit(id, 100, 'last-one-credit');
    const token = await s.token('member', id);
    // The first tap waits on the member's account (held here), after its sold-out check; the
    // second tap finds no redemption under the key, and the first commits before its own
    // sold-out check reads the stock (that check is held until then).
    const holder = new Client({ connectionString: s.databaseUrl });
    await holder.connect();
    const original = rewardsRepo.rewardStock;
    const stockReads = jest.spyOn(rewardsRepo, 'rewardStock');
    try {
      await holder.query('begin');
      await holder.query('select 1 from point_account where member_id = $1 for update', [id]);
      let calls = 0;
      let firstCommitted: () => void = () => {};
      const committed = new Promise<void>((resolve) => { firstCommitted = resolve; });
      stockReads.mockImplementation(async (em, code) => {
        calls += 1;
        if (calls === 2) {
          // The second tap, between its replay and its stock check: let the first one finish.
          await holder.query('commit');
          await committed;
        }
        return original(em, code);
      });
      const first = redeem(id, 'LAST_ONE', 'double-tap', token).then((r) => { firstCommitted(); return r; });
      while (calls < 1) await new Promise((r) => setTimeout(r, 5));
      const second = await redeem(id, 'LAST_ONE', 'double-tap', token);
      const firstAnswer = await first;
      expect(firstAnswer.errors).toBeUndefined();
      expect(second.errors).toBeUndefined();
      expect(second.data).toEqual(firstAnswer.data);
    } finally {
      stockReads.mockRestore();
      await holder.query('rollback').catch(() => {});
      await holder.end();
    }
    expect(await s.sql(`select count(*)::int as n from redemption where member_id = $1`, [id])).toEqual([{ n: 1 }]);
    expect(await balance(id)).toBe(90);
    // A different key now is sold out.
    expectError(await redeem(id, 'LAST_ONE', 'another-tap', token), 'OUT_OF_STOCK');
    await expectLedgerConsistent(s);
  });

  it('cancellation gives points back to their lots and restores stock; racing a redemption stays consistent', async () => {
    await upsertReward({ code: 'PAIR', name: 'Pair', costPoints: 30, stock: 1 });
    const a = await registerMember(s);
    const b = await registerMember(s);
    await credit(a, 30, 'pair-a');
    await credit(b, 30, 'pair-b');
    const r = await redeem(a, 'PAIR', 'pair-1');
    const rid = r.data!.redeemReward.id;
    // A reason is required, as adjustPoints' is, and as long at most (it shows in the member's history).
    for (const reason of ['', '   ', 'x'.repeat(501)]) {
      expectError(await s.gql('mutation($id: ID!, $r: String!) { cancelRedemption(id: $id, reason: $r) { status } }', { id: rid, r: reason }, admin), 'BAD_USER_INPUT', 'reason');
    }
    const [cancel, race] = await Promise.all([
      s.gql(`mutation($id: ID!) { cancelRedemption(id: $id, reason: "customer changed mind") { status reward { stock } } }`, { id: rid }, admin),
      redeem(b, 'PAIR', 'pair-2'),
    ]);
    expect(cancel.data!.cancelRedemption.status).toBe('CANCELLED');
    expect(await balance(a)).toBe(30);
    const [{ stock }] = await s.sql(`select stock from reward where code = 'PAIR'`);
    // either b won the unit after the cancel (stock 0) or lost before it (stock 1): never both, never negative
    expect(race.errors ? stock : stock + 1).toBe(1);
    const again = await s.gql(`mutation($id: ID!) { cancelRedemption(id: $id, reason: "again") { status } }`, { id: rid }, admin);
    expect(again.data!.cancelRedemption.status).toBe('CANCELLED');
    expect(await balance(a)).toBe(30);
    const [lot] = await s.sql(`select remaining from point_lot where member_id = $1`, [a]);
    expect(lot.remaining).toBe(30);
    await expectLedgerConsistent(s);
    const page = await s.admin(`query($id: ID!) { member(id: $id) { redemptions(first: 5) { edges { node { status reward { code } } } } } }`, { id: a });
    expect(page.member.redemptions.edges).toEqual([{ node: { status: 'CANCELLED', reward: { code: 'PAIR' } } }]);
  });
});

describe('cancellation and the stock', () => {
  it('gives back only a unit the redemption took: one made while the stock was unlimited leaves a stock set since as it is', async () => {
    await upsertReward({ code: 'LATER_CAPPED', name: 'Later capped', costPoints: 10 });
    const m = await registerMember(s);
    await credit(m, 50, 'capped-credit');
    const before = [await redeem(m, 'LATER_CAPPED', 'capped-1'), await redeem(m, 'LATER_CAPPED', 'capped-2')].map((r) => r.data!.redeemReward.id);
    await upsertReward({ code: 'LATER_CAPPED', name: 'Later capped', costPoints: 10, stock: 10 });
    const taken = (await redeem(m, 'LATER_CAPPED', 'capped-3')).data!.redeemReward.id;
    const stock = async () => (await s.sql<{ stock: number }>(`select stock from reward where code = 'LATER_CAPPED'`))[0].stock;
    expect(await stock()).toBe(9);
    const cancel = (id: string) => s.admin('mutation($id: ID!) { cancelRedemption(id: $id, reason: "returned") { status } }', { id });
    for (const id of before) await cancel(id);
    expect(await stock()).toBe(9); // they took none
    await cancel(taken);
    expect(await stock()).toBe(10); // it took one
    expect(await balance(m)).toBe(50);
    await expectLedgerConsistent(s);
  });
});

describe('cancellation and expiry', () => {
  it('points from a lot that expired since the redemption are not given back', async () => {
    await upsertReward({ code: 'OLD', name: 'Old', costPoints: 40 });
    const id = await registerMember(s);
    const day = 86_400_000;
    // Points expire 24 months after they are earned: these yesterday (in days, 731 before now
    // in a span with a 29 February, which would expire them at the very instant they are written).
    const earned = addDaysUtc(addMonthsUtc(new Date(), -24), -1).toISOString();
    await s.admin(ADJUST, { input: { memberId: id, amount: 100, reason: 'old', idempotencyKey: 'old-credit', occurredAt: earned } });
    await s.admin(ADJUST, { input: { memberId: id, amount: 10, reason: 'new', idempotencyKey: 'new-credit' } });
    const r = await s.gql(`mutation($i: RedeemRewardInput!) { redeemReward(input: $i) { id } }`,
      { i: { memberId: id, rewardCode: 'OLD', idempotencyKey: 'old-r', occurredAt: new Date(Date.now() - 5 * day).toISOString() } }, admin);
    const rid = r.data!.redeemReward.id;
    await s.admin(`mutation($id: ID!) { cancelRedemption(id: $id, reason: "late") { status } }`, { id: rid });
    expect(await balance(id)).toBe(10);
    const log = await s.admin('{ auditLog(entity: "Redemption", first: 1) { after } }');
    expect(JSON.parse(log.auditLog[0].after)).toMatchObject({ pointsReturned: 0, pointsLostToExpiry: 40 });
    await expectLedgerConsistent(s);
  });
});

describe('benefits', () => {
  const UPSERT = `mutation($i: BenefitInput!) { upsertBenefit(input: $i) { code version active } }`;
  const memberBenefits = async (id: string) => (await s.admin(`query($id: ID!) { member(id: $id) { benefits { code } } }`, { id })).member.benefits.map((b: any) => b.code);

  it('apply by tier, tags and validity window; scheduled ones start by themselves', async () => {
    await s.admin(UPSERT, { i: { code: 'SHIP', name: 'Free shipping', kind: 'FREE_SHIPPING', tierCodes: ['SILVER', 'GOLD', 'PLATINUM'] } });
    await s.admin(UPSERT, { i: { code: 'ALL10', name: '10% off', kind: 'DISCOUNT', value: 10, tierCodes: [] } });
    await s.admin(UPSERT, { i: { code: 'VIPDAY', name: 'Member day', kind: 'MEMBER_DAY', tierCodes: [], requiredTags: ['vip'] } });
    // Starts in an hour and ended a second ago, by the server's clock: however slow the
    // machine, SOON is not in force until the test moves the clock past its start.
    const HOUR = 3_600_000;
    await s.admin(UPSERT, { i: { code: 'SOON', name: 'Soon', kind: 'CUSTOM', tierCodes: [], validFrom: new Date(clock.now().getTime() + HOUR).toISOString() } });
    await s.admin(UPSERT, { i: { code: 'OVER', name: 'Over', kind: 'CUSTOM', tierCodes: [], validTo: new Date(clock.now().getTime() - 1000).toISOString() } });
    const id = await registerMember(s);
    expect(await memberBenefits(id)).toEqual(['ALL10']);
    await s.admin(`mutation($id: ID!) { tagMember(memberId: $id, tagCode: "vip") { tags { code } } }`, { id });
    await s.admin(`mutation($id: ID!) { setMemberTier(memberId: $id, tierCode: "GOLD", reason: "test") { id } }`, { id });
    expect(await memberBenefits(id)).toEqual(['ALL10', 'SHIP', 'VIPDAY']);
    const listedNow = await s.gql('{ benefits { code } }', {}, await s.token('member', id));
    expect(listedNow.data!.benefits.map((b: any) => b.code)).not.toContain('SOON');
    const tiersNow = await s.admin('{ tiers { code benefits { code } } }');
    expect(tiersNow.tiers.find((t: any) => t.code === 'BRONZE').benefits.map((b: any) => b.code)).toEqual(['ALL10', 'VIPDAY']);
    clock.advance(HOUR + 1000);
    try {
      expect(await memberBenefits(id)).toEqual(['ALL10', 'SHIP', 'SOON', 'VIPDAY']);
      const tiers = await s.admin('{ tiers { code benefits { code } } }');
      expect(tiers.tiers.find((t: any) => t.code === 'BRONZE').benefits.map((b: any) => b.code)).toEqual(['ALL10', 'SOON', 'VIPDAY']);
      const listed = await s.gql('{ benefits { code } }', {}, await s.token('member', id));
      expect(listed.data!.benefits.map((b: any) => b.code)).toContain('SOON');
    } finally {
      clock.reset();
    }
  });

  it('every change is a new version with history and an audit entry; the same payload changes nothing', async () => {
    const base = { code: 'PARK', name: 'Free parking', kind: 'FREE_PARKING', tierCodes: ['GOLD'] };
    expect((await s.admin(UPSERT, { i: base })).upsertBenefit.version).toBe(1);
    expect((await s.admin(UPSERT, { i: base })).upsertBenefit.version).toBe(1);
    expect((await s.admin(UPSERT, { i: { ...base, tierCodes: ['GOLD', 'PLATINUM'] } })).upsertBenefit.version).toBe(2);
    const h = await s.admin('{ benefits { code history { version changedBy snapshot } } }');
    const park = h.benefits.find((b: any) => b.code === 'PARK');
    expect(park.history.map((v: any) => [v.version, JSON.parse(v.snapshot).tierCodes])).toEqual([[1, ['GOLD']], [2, ['GOLD', 'PLATINUM']]]);
    const log = await s.admin('{ auditLog(entity: "Benefit", first: 1) { action entityId before after } }');
    expect(log.auditLog[0]).toMatchObject({ action: 'benefit.update', entityId: 'PARK' });
    expect(JSON.parse(log.auditLog[0].before).tierCodes).toEqual(['GOLD']);
    expectError(await s.gql(UPSERT, { i: { ...base, tierCodes: ['NOPE'] } }, admin), 'BAD_USER_INPUT', 'tierCodes');
    // A code is one element, whatever it holds: not split at a comma, not a broken literal.
    expectError(await s.gql(UPSERT, { i: { ...base, tierCodes: ['GOLD,PLATINUM'] } }, admin), 'BAD_USER_INPUT', 'tierCodes');
    expectError(await s.gql(UPSERT, { i: { ...base, tierCodes: ['GO"LD\\'] } }, admin), 'BAD_USER_INPUT', 'tierCodes');
    // A required tag no tag can have ("a,b", 'q"uote') is refused; one an array literal reads specially (NULL) is stored as it is.
    expectError(await s.gql(UPSERT, { i: { ...base, requiredTags: ['a,b'] } }, admin), 'BAD_USER_INPUT', 'requiredTags');
    expectError(await s.gql(UPSERT, { i: { ...base, requiredTags: ['q"uote'] } }, admin), 'BAD_USER_INPUT', 'requiredTags');
    const tagged = await s.admin(UPSERT, { i: { ...base, requiredTags: ['a.b', 'NULL', 'q:uote-1'] } });
    expect(tagged.upsertBenefit.version).toBe(3);
    const [{ tags }] = await s.sql(`select required_tags as tags from benefit where code = 'PARK'`);
    expect(tags).toEqual(['NULL', 'a.b', 'q:uote-1']); // stored sorted
  });

  it('POINTS_MULTIPLIER benefits add to the tier multiplier when points are earned', async () => {
    await s.admin(UPSERT, { i: { code: 'X2', name: 'Bonus', kind: 'POINTS_MULTIPLIER', value: 0.5, tierCodes: ['BRONZE'], requiredTags: ['bonus'] } });
    const id = await registerMember(s);
    await s.admin(`mutation($id: ID!) { tagMember(memberId: $id, tagCode: "bonus") { id } }`, { id });
    const res = await s.gql(`mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned qualifyingPointsEarned } }`,
      { i: { memberId: id, orderId: 'mult-1', amount: 100 } }, await s.token('service'));
    expect(res.data!.recordPurchase).toEqual({ pointsEarned: 150, qualifyingPointsEarned: 100 });
  });

  it('a birthday gift is granted once per member and year, even when the job runs twice', async () => {
    await s.admin(UPSERT, { i: { code: 'BDAY', name: 'Birthday gift', kind: 'BIRTHDAY_GIFT', value: 88, tierCodes: [] } });
    const id = await registerMember(s, { birthday: '1990-07-14', joinedAt: '2025-01-01T00:00:00.000Z' });
    await registerMember(s, { birthday: '1990-08-14', joinedAt: '2025-01-01T00:00:00.000Z' });
    // Born in July too, but joined after the run's day: a run as of 1 July decides as on 1 July, when it was no member.
    const later = await registerMember(s, { birthday: '1990-07-20', joinedAt: '2026-07-02T00:00:00.000Z' });
    const run = () => s.admin(`mutation { grantBirthdayGifts(asOf: "2026-07-01T00:00:00.000Z") { processed changed } }`);
    const [one, two] = await Promise.all([run(), run()]);
    expect(one.grantBirthdayGifts.changed + two.grantBirthdayGifts.changed).toBe(1);
    await run();
    expect(await balance(id)).toBe(88);
    expect(await s.sql('select year, points from birthday_grant where member_id = $1', [id])).toEqual([{ year: 2026, points: 88 }]);
    expect(await s.sql('select year from birthday_grant where member_id = $1', [later])).toEqual([]);
    expect(await balance(later)).toBe(0);
    // A crash between the gift's points and its grant row: a later run finds the gift under its
    // key (dated the first run's instant) and records the grant, without a second gift.
    await s.sql('delete from birthday_grant where member_id = $1', [id]);
    const nextDay = await s.admin(`mutation { grantBirthdayGifts(asOf: "2026-07-01T23:00:00.000Z") { processed changed } }`);
    expect(nextDay.grantBirthdayGifts).toEqual({ processed: 1, changed: 1 });
    expect(await balance(id)).toBe(88);
    expect(await s.sql('select year, points from birthday_grant where member_id = $1', [id])).toEqual([{ year: 2026, points: 88 }]);
  });
});
