// Issue 25, referrals: completion on the referee's first purchase (both sides' REFERRAL points in
// that purchase's transaction, pending for the hold), the guards at completion, racing first
// purchases, the full refund within the hold, the webhooks and the REFERRAL campaign trigger.
import { REFERRER_ROWS_REWRITE } from '../../migrations/Migration20270101170000_referrer_reversal_rows';
import { startTestServer, type TestServer } from '../support/harness';
import { createLadder } from '../support/fixtures';
import { expectLedgerConsistent } from '../support/ledger';
import { eventually, fannedOut } from '../support/wait';
import { TestClock } from '../support/clock';

let s: TestServer;
/** The server's clock: a test moves past the hold instead of waiting for it. */
const clock = new TestClock();
let n = 0;
const key = (p: string) => `${p}-${++n}`;
const DAY = 86_400_000;

const SETTINGS = { referrerPoints: 200, refereePoints: 100, referralHoldDays: 7, referralMonthlyLimit: 0, pointsExpiryMonths: 12 };

beforeAll(async () => {
  s = await startTestServer({ clock });
  await createLadder(s);
  await program(SETTINGS);
  await s.sql(`insert into webhook_endpoint (id, url, event_types, active, secret, created_at, updated_at)
    values (gen_random_uuid(), 'https://receiver.example/hook', '{referral.completed,referral.reversed}', true, 'test-secret', now(), now())`);
});
afterAll(() => s?.stop());
afterEach(async () => {
  clock.reset();
  await program(SETTINGS);
  await s.sql(`update campaign set status = 'ENDED', ended_reason = 'ADMIN', ended_at = now() where status <> 'ENDED'`);
});

const program = (input: Record<string, unknown>) => s.admin('mutation($i: ProgramInput!) { updateProgram(input: $i) { referrerPoints } }', { i: input });
const REGISTER = `mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id referralCode } }`;
const PURCHASE = `mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned bonusPoints member { pointsBalance pendingPoints } } }`;
const REFUND = `mutation($i: RefundPurchaseInput!) { refundPurchase(input: $i) { pointsEarned bonusPoints } }`;

async function register(input: Record<string, unknown> = {}): Promise<{ id: string; referralCode: string }> {
  return (await s.admin(REGISTER, { input: { externalId: key('m'), ...input } })).registerMember;
}
/** A referrer and a referee registered with its code. */
async function pair(referrer: Record<string, unknown> = {}, referee: Record<string, unknown> = {}) {
  const r = await register(referrer);
  const e = await register({ ...referee, referralCode: r.referralCode });
  return { referrer: r.id, referee: e.id, code: r.referralCode };
}
const buy = (memberId: string, amount = 100, orderId = key('o'), occurredAt?: string) =>
  s.admin(PURCHASE, { i: { memberId, orderId, amount, ...(occurredAt ? { occurredAt } : {}) } }).then((d) => ({ orderId, ...d.recordPurchase }));
const refund = (orderId: string, amount: number) => s.admin(REFUND, { i: { orderId, refundId: key('r'), amount } });

interface ReferralRow {
  id: string; status: string; reason: string | null; orderId: string | null; completedAt: Date | null; reversedAt: Date | null;
  referrerPoints: number; refereePoints: number; referrerTxn: string | null; refereeTxn: string | null;
}
async function referral(refereeId: string): Promise<ReferralRow> {
  const [row] = await s.sql<ReferralRow>(
    `select id::text, status, reason, order_id as "orderId", completed_at as "completedAt", reversed_at as "reversedAt", referrer_points as "referrerPoints",
       referee_points as "refereePoints", referrer_transaction_id::text as "referrerTxn", referee_transaction_id::text as "refereeTxn"
     from referral where referee_id = $1`, [refereeId]);
  return row;
}
/** The member's REFERRAL transactions and their lots. */
async function referralPoints(memberId: string) {
  return s.sql<{ id: string; amount: number; reference: string; occurredAt: Date; activatesAt: Date; expiresAt: Date | null; remaining: number }>(
    `select t.id::text, t.amount, t.reference, t.occurred_at as "occurredAt", l.activates_at as "activatesAt", l.expires_at as "expiresAt", l.remaining
     from point_transaction t left join point_lot l on l.transaction_id = t.id where t.member_id = $1 and t.type = 'REFERRAL' order by t.id`, [memberId]);
}
/** The member's spendable and pending points (the API's) and its account's balance (both). */
async function balances(id: string): Promise<{ pointsBalance: number; pendingPoints: number; lifetimePoints: number; account: number }> {
  const { member } = await s.admin('query($id: ID!) { member(id: $id) { pointsBalance pendingPoints lifetimePoints } }', { id });
  const [{ balance }] = await s.sql<{ balance: number }>('select balance from point_account where member_id = $1', [id]);
  return { ...member, account: balance };
}

describe('completion on the referee\'s first purchase', () => {
  it('both sides get their REFERRAL points in the purchase\'s transaction, pending for the hold, expiring as earned points', async () => {
    const { referrer, referee } = await pair();
    const before = Date.now();
    const p = await buy(referee, 100);
    const after = Date.now();
    expect(p.pointsEarned).toBe(100);
    expect(p.bonusPoints).toBe(100); // the referee's REFERRAL points: this purchase gave them
    expect((await buy(referee, 100, p.orderId)).bonusPoints).toBe(100); // a retry answers the same
    expect(p.member).toEqual({ pointsBalance: 100, pendingPoints: 100 }); // its purchase's 100 (no pending days), and 100 pending
    const r = await referral(referee);
    expect(r).toMatchObject({ status: 'COMPLETED', reason: null, orderId: p.orderId, referrerPoints: 200, refereePoints: 100 });
    expect(r.completedAt!.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(r.completedAt!.getTime()).toBeLessThanOrEqual(after + 1000);
    const [mine] = await referralPoints(referee);
    const [theirs] = await referralPoints(referrer);
    expect(mine).toMatchObject({ id: r.refereeTxn, amount: 100, reference: r.id, remaining: 100 });
    expect(theirs).toMatchObject({ id: r.referrerTxn, amount: 200, reference: r.id, remaining: 200 });
    for (const t of [mine, theirs]) {
      expect(t.occurredAt.getTime()).toBe(r.completedAt!.getTime());
      expect(t.activatesAt.getTime()).toBe(r.completedAt!.getTime() + 7 * DAY);
      const expected = new Date(t.activatesAt);
      expected.setUTCMonth(expected.getUTCMonth() + 12);
      expect(t.expiresAt!.getTime()).toBe(expected.getTime());
    }
    expect(await balances(referrer)).toEqual({ pointsBalance: 0, pendingPoints: 200, lifetimePoints: 200, account: 200 });
    await expectLedgerConsistent(s);
  });

  it('only the first purchase: a second one completes nothing more', async () => {
    const { referrer, referee } = await pair();
    await buy(referee, 10);
    await buy(referee, 10);
    expect(await referralPoints(referee)).toHaveLength(1);
    expect(await referralPoints(referrer)).toHaveLength(1);
  });

  it('by when the purchase is recorded: one dated before the registration completes it too', async () => {
    const { referee } = await pair();
    await buy(referee, 10, key('o'), new Date(Date.now() - 30 * DAY).toISOString());
    expect((await referral(referee)).status).toBe('COMPLETED');
  });

  it('a member without a referral, or with a REJECTED one, gets nothing', async () => {
    const alone = await register();
    await buy(alone.id, 10);
    expect(await referralPoints(alone.id)).toEqual([]);
    const { referee } = await pair({ phone: '+86 137 0000 0007' }, { phone: '+8613700000007' });
    expect((await referral(referee)).status).toBe('REJECTED');
    await buy(referee, 10);
    expect(await referral(referee)).toMatchObject({ status: 'REJECTED', orderId: null });
    expect(await referralPoints(referee)).toEqual([]);
  });

  it('imported purchase history never completes one (history or earn mode)', async () => {
    const { referee } = await pair();
    const [{ e }] = await s.sql<{ e: string }>('select external_id as e from member where id = $1', [referee]);
    const at = new Date(Date.now() - 2 * DAY).toISOString();
    await importPurchases('history', `orderId,externalId,amount,occurredAt\n${key('imp')},${e},50,${at}\n`);
    await importPurchases('earn', `orderId,externalId,amount,occurredAt\n${key('imp')},${e},50,${at}\n`);
    expect((await referral(referee)).status).toBe('PENDING');
    expect(await referralPoints(referee)).toEqual([]);
    await buy(referee, 10);
    expect((await referral(referee)).status).toBe('COMPLETED');
  });
});

describe('guards at completion', () => {
  // One line, written with and without its country code, is one phone for the guard (migration referral_phone_line).
  it.each([
    ['+86 138 1234 5678', '138 1234 5678'], ['+44 20 7946 0000', '020 7946 0000'], ['+1 212 555 0100', '(212) 555-0100'],
    ['+86 138 1234 5678', '86 138 1234 5678'], ['0086 138 1234 5678', '13812345678'], ['020 7946 0000', '20 7946 0000'], ['+7 912 345 67 89', '8 912 345 67 89'],
  ])('the referrer\'s phone %s typed by the referee as %s: REJECTED at registration', async (mine, theirs) => {
    const { referee } = await pair({ phone: mine }, { phone: theirs });
    expect(await referral(referee)).toMatchObject({ status: 'REJECTED', reason: expect.stringMatching(/phone or email/) });
  });

  it.each([
    ['+86 138 1234 5678', '138 1234 5679'], ['+44 20 7946 0000', '+1 20 7946 0000'], ['+1 212 555 0100', '555 0100'], ['+86 138 1234 5678', '+852 1234 5678'],
    ['030 1234 5678', '+1 301 234 5678'], ['+1 207 946 0000', '020 7946 0000'],
  ])('another line (%s and %s) is not the same phone', async (mine, theirs) => {
    const { referee } = await pair({ phone: mine }, { phone: theirs });
    expect((await referral(referee)).status).toBe('PENDING');
  });

  // One mailbox, with or without a `+tag` sub-address, is one email for the guard (migration referral_same_mailbox; audit 105).
  it.each([
    ['mia.plus@example.com', 'mia.plus+alt@example.com'], ['Mia.Plus+shop@Example.com', 'mia.plus@example.COM'], ['mia.plus+a@example.com', 'mia.plus+b@example.com'],
  ])('the referrer\'s email %s given by the referee as %s: REJECTED at registration', async (mine, theirs) => {
    const { referee } = await pair({ email: mine }, { email: theirs });
    expect(await referral(referee)).toMatchObject({ status: 'REJECTED', reason: expect.stringMatching(/phone or email/) });
  });

  it.each([
    ['mia.plus@example.com', 'miaplus@example.com'], ['mia.plus@example.com', 'mia.plus@example.org'], ['mia.plus@example.com', '+mia.plus@example.com'],
  ])('another mailbox (%s and %s) is not the same email', async (mine, theirs) => {
    const { referee } = await pair({ email: mine }, { email: theirs });
    expect((await referral(referee)).status).toBe('PENDING');
  });

  it('the referee\'s email changed to a sub-address of the referrer\'s before its first purchase: REJECTED, nothing given', async () => {
    const { referrer, referee } = await pair({ email: 'sub.guard@example.com' }, { email: 'someone.else@example.com' });
    expect((await referral(referee)).status).toBe('PENDING');
    await s.admin('mutation($id: ID!) { updateMember(memberId: $id, patch: { email: "Sub.Guard+later@example.com" }) { id } }', { id: referee });
    await buy(referee, 10);
    expect(await referral(referee)).toMatchObject({ status: 'REJECTED', reason: expect.stringMatching(/phone or email/), referrerPoints: 0, refereePoints: 0 });
    expect(await referralPoints(referrer)).toEqual([]);
  });

  it('the referee\'s phone changed to the referrer\'s, written nationally, before its first purchase: REJECTED, nothing given', async () => {
    const { referrer, referee } = await pair({ phone: '+86 139 2222 3333' }, { phone: '+86 139 2222 4444' });
    expect((await referral(referee)).status).toBe('PENDING');
    await s.admin('mutation($id: ID!) { updateMember(memberId: $id, patch: { phone: "139-2222-3333" }) { id } }', { id: referee });
    await buy(referee, 10);
    expect(await referral(referee)).toMatchObject({ status: 'REJECTED', reason: expect.stringMatching(/phone or email/), referrerPoints: 0, refereePoints: 0 });
    expect(await referralPoints(referrer)).toEqual([]);
  });

  it('the referee now shares the referrer\'s phone or email: REJECTED, nothing given', async () => {
    const { referrer, referee } = await pair({ email: 'Guard.Email@example.com' });
    await s.admin('mutation($id: ID!) { updateMember(memberId: $id, patch: { email: "guard.email@EXAMPLE.com" }) { id } }', { id: referee });
    await buy(referee, 10);
    expect(await referral(referee)).toMatchObject({ status: 'REJECTED', reason: expect.stringMatching(/phone or email/), referrerPoints: 0, refereePoints: 0 });
    expect(await referralPoints(referee)).toEqual([]);
    expect(await referralPoints(referrer)).toEqual([]);
  });

  it('the referrer was erased since: REJECTED', async () => {
    const { referrer, referee } = await pair();
    await s.admin('mutation($id: ID!) { eraseMember(memberId: $id, reason: "asked") { id } }', { id: referrer });
    await buy(referee, 10);
    expect(await referral(referee)).toMatchObject({ status: 'REJECTED', reason: expect.stringMatching(/erased/) });
    expect(await referralPoints(referee)).toEqual([]);
  });

  it('the referrer\'s monthly limit (programme-local month): the referral beyond it is REJECTED', async () => {
    await program({ referralMonthlyLimit: 2, timeZone: 'Asia/Shanghai' });
    const r = await register();
    const referees = [];
    for (let i = 0; i < 3; i++) referees.push((await register({ referralCode: r.referralCode })).id);
    // one completed in an earlier local month does not count
    await buy(referees[0], 10);
    await s.sql(`update referral set completed_at = completed_at - interval '40 days' where referee_id = $1`, [referees[0]]);
    await buy(referees[1], 10);
    await buy(referees[2], 10);
    expect((await referral(referees[2])).status).toBe('COMPLETED');
    const fourth = (await register({ referralCode: r.referralCode })).id;
    await buy(fourth, 10);
    expect(await referral(fourth)).toMatchObject({ status: 'REJECTED', reason: expect.stringMatching(/limit of 2/) });
    expect(await referralPoints(r.id)).toHaveLength(3);
  });

  it('the limit holds under racing completions of one referrer\'s referees', async () => {
    await program({ referralMonthlyLimit: 3 });
    const r = await register();
    const referees: string[] = [];
    for (let i = 0; i < 10; i++) referees.push((await register({ referralCode: r.referralCode })).id);
    await Promise.all(referees.map((id) => buy(id, 10)));
    const rows = await s.sql<{ status: string; n: number }>(
      'select status, count(*)::int as n from referral where referrer_id = $1 group by status order by status', [r.id]);
    expect(rows).toEqual([{ status: 'COMPLETED', n: 3 }, { status: 'REJECTED', n: 7 }]);
    expect(await referralPoints(r.id)).toHaveLength(3);
    await expectLedgerConsistent(s);
  });
});

describe('racing first purchases of one referee', () => {
  /** One of `orders` completed the referral, and each side holds one REFERRAL transaction. */
  const expectRewardedOnce = async (referrer: string, referee: string, orders: string[]) => {
    const r = await referral(referee);
    expect(r.status).toBe('COMPLETED');
    expect(orders).toContain(r.orderId);
    expect(await referralPoints(referee)).toHaveLength(1);
    expect(await referralPoints(referrer)).toHaveLength(1);
    expect(await balances(referrer)).toMatchObject({ pendingPoints: 200, account: 200 });
    await expectLedgerConsistent(s);
  };

  it('reward once, across two server instances on one database', async () => {
    // One instance runs one member's purchases one at a time (db/member-queue.ts); a second
    // instance's race the first's in the database.
    const other = await startTestServer({ databaseUrl: s.databaseUrl });
    try {
      const { referrer, referee } = await pair();
      const orders = [...Array(16)].map(() => key('race'));
      await Promise.all(orders.map((orderId, i) =>
        (i % 2 ? other : s).admin(PURCHASE, { i: { memberId: referee, orderId, amount: 10 } })));
      await expectRewardedOnce(referrer, referee, orders);
    } finally {
      await other.stop();
    }
  });

  it('reward once (one instance)', async () => {
    const { referrer, referee } = await pair();
    const orders = [...Array(12)].map(() => key('race'));
    await Promise.all(orders.map((orderId) => buy(referee, 10, orderId)));
    await expectRewardedOnce(referrer, referee, orders);
  });
});

describe('refunds', () => {
  it('a full refund within the hold reverses both sides and marks it REVERSED', async () => {
    const { referrer, referee } = await pair();
    const p = await buy(referee, 100);
    const refundId = key('r');
    const back = (await s.admin(REFUND, { i: { orderId: p.orderId, refundId, amount: 100 } })).refundPurchase;
    expect(back).toEqual({ pointsEarned: -100, bonusPoints: -100 });
    expect((await s.admin(REFUND, { i: { orderId: p.orderId, refundId, amount: 100 } })).refundPurchase).toEqual(back);
    const r = await referral(referee);
    expect(r).toMatchObject({ status: 'REVERSED', reason: expect.stringMatching(/refunded/) });
    expect(r.reversedAt).not.toBeNull();
    expect(await balances(referee)).toMatchObject({ pointsBalance: 0, pendingPoints: 0, account: 0 });
    expect(await balances(referrer)).toMatchObject({ pointsBalance: 0, pendingPoints: 0, account: 0 });
    expect((await referralPoints(referrer))[0].remaining).toBe(0);
    // The referrer reads its side by the referral, as its REFERRAL row: never its referee's order or refund.
    const history = (await s.gql(`query { me { pointsHistory { edges { node { type amount reason reference } } } } }`, {}, await s.token('member', referrer)))
      .data!.me.pointsHistory.edges.map((e: { node: unknown }) => e.node);
    const [{ id: referralId }] = await s.sql<{ id: string }>('select id::text from referral where referee_id = $1', [referee]);
    expect(history).toEqual(expect.arrayContaining([
      { type: 'REFERRAL', amount: 200, reason: "referral: friend's first purchase", reference: referralId },
      { type: 'REFUND_REVERSAL', amount: -200, reason: 'referral reversed: the completing purchase was fully refunded within the hold', reference: referralId },
    ]));
    expect(JSON.stringify(history)).not.toMatch(new RegExp(`${p.orderId}|${refundId}`));
    await expectLedgerConsistent(s);
  });

  it('a refund dated before the completion (a backdated purchase recorded now) reverses it at the completion, not before it existed', async () => {
    const { referrer, referee } = await pair({ joinedAt: new Date(Date.now() - 90 * 86_400_000).toISOString() }, { joinedAt: new Date(Date.now() - 90 * 86_400_000).toISOString() });
    const p = await buy(referee, 100, key('o'), new Date(Date.now() - 60 * 86_400_000).toISOString());
    const refundAt = new Date(Date.now() - 50 * 86_400_000).toISOString();
    await s.admin(REFUND, { i: { orderId: p.orderId, refundId: key('r'), amount: 100, occurredAt: refundAt } });
    const r = await referral(referee);
    expect(r.status).toBe('REVERSED');
    expect(r.reversedAt!.getTime()).toBe(r.completedAt!.getTime());
    // The referrer's ledger: the reversal after the REFERRAL points it takes back, never before them.
    const ledger = await s.sql<{ type: string; amount: number; occurredAt: Date }>(
      `select type, amount, occurred_at as "occurredAt" from point_transaction where member_id = $1 order by id`, [referrer]);
    expect(ledger.map((t) => [t.type, t.amount])).toEqual([['REFERRAL', 200], ['REFUND_REVERSAL', -200]]);
    expect(ledger[1].occurredAt.getTime()).toBe(r.completedAt!.getTime());
    // Counted where it happened: not in a window before the referral was completed.
    const stats = async (from: string, to: string) => (await s.admin('query($f: DateTime!, $t: DateTime!) { referralStats(from: $f, to: $t) { completed reversed } }',
      { f: from, t: to })).referralStats;
    expect(await stats(new Date(Date.now() - 55 * 86_400_000).toISOString(), new Date(Date.now() - 45 * 86_400_000).toISOString())).toMatchObject({ reversed: 0 });
    expect(await balances(referrer)).toMatchObject({ pointsBalance: 0, pendingPoints: 0, account: 0 });
    await expectLedgerConsistent(s);
  });

  it('partial refunds leave it COMPLETED; the one that makes the refund full within the hold reverses it', async () => {
    const { referrer, referee } = await pair();
    const p = await buy(referee, 100);
    await refund(p.orderId, 40);
    expect((await referral(referee)).status).toBe('COMPLETED');
    expect(await balances(referrer)).toMatchObject({ pendingPoints: 200, account: 200 });
    expect(await balances(referee)).toMatchObject({ pointsBalance: 60, pendingPoints: 100 });
    await refund(p.orderId, 60);
    expect((await referral(referee)).status).toBe('REVERSED');
    expect(await balances(referrer)).toMatchObject({ pendingPoints: 0, account: 0 });
    expect(await balances(referee)).toMatchObject({ pointsBalance: 0, pendingPoints: 0, account: 0 });
    await expectLedgerConsistent(s);
  });

  it('a full refund after the hold leaves it COMPLETED, its points kept', async () => {
    await program({ referralHoldDays: 0 });
    const { referrer, referee } = await pair();
    const p = await buy(referee, 100);
    await refund(p.orderId, 100);
    expect((await referral(referee)).status).toBe('COMPLETED');
    expect(await balances(referrer)).toMatchObject({ pointsBalance: 200, pendingPoints: 0, account: 200 });
    await expectLedgerConsistent(s);
  });

  it('racing partial refunds that add up to the whole, on two server instances: reversed once', async () => {
    // Ten refunds of 10 race, half of them through a second instance, and each one is also sent
    // twice (a replay of its refundId). Whichever lands last makes the refund full: the referral
    // is reversed exactly once, both sides' points taken back once, one referral.reversed event.
    const other = await startTestServer({ databaseUrl: s.databaseUrl });
    try {
      const { referrer, referee } = await pair();
      const p = await buy(referee, 100);
      const ids = [...Array(10)].map(() => key('r'));
      const send = (refundId: string, i: number) => (i % 2 ? other : s).admin(REFUND, { i: { orderId: p.orderId, refundId, amount: 10 } });
      await Promise.all([...ids.map(send), ...ids.map((id, i) => send(id, i + 1))]);
      const [{ refunded }] = await s.sql<{ refunded: string }>('select refunded_cents::text as refunded from purchase where order_id = $1', [p.orderId]);
      expect(refunded).toBe('10000');
      expect((await referral(referee)).status).toBe('REVERSED');
      expect(await balances(referrer)).toMatchObject({ pointsBalance: 0, pendingPoints: 0, account: 0 });
      expect(await balances(referee)).toMatchObject({ pointsBalance: 0, pendingPoints: 0, account: 0 });
      const reversed = await s.sql(`select 1 from webhook_event where type = 'referral.reversed' and data->'referee'->>'id' = $1`, [referee]);
      expect(reversed).toHaveLength(1);
      await expectLedgerConsistent(s);
    } finally {
      await other.stop();
    }
  });

  it('refunding another purchase of the referee changes nothing', async () => {
    const { referrer, referee } = await pair();
    await buy(referee, 100);
    const second = await buy(referee, 50);
    await refund(second.orderId, 50);
    expect((await referral(referee)).status).toBe('COMPLETED');
    expect(await balances(referrer)).toMatchObject({ account: 200 });
    expect(await balances(referee)).toMatchObject({ pointsBalance: 100, pendingPoints: 100 });
  });
});

describe('webhooks', () => {
  it('referral.completed and referral.reversed carry the parties as {id, externalId} and the points, no personal data', async () => {
    const { referrer, referee } = await pair({ displayName: 'Wang Fang', phone: '+86 135 0000 0001' }, { displayName: 'Li Lei', email: 'li@example.com' });
    const p = await buy(referee, 100);
    await refund(p.orderId, 100);
    const events = await s.sql<{ type: string; memberId: string; data: any }>(
      `select type, member_id::text as "memberId", data from webhook_event where type like 'referral.%' and data->'referee'->>'id' = $1 order by seq`, [referee]);
    expect(events.map((e) => e.type)).toEqual(['referral.completed', 'referral.reversed']);
    const ext = async (id: string) => (await s.sql<{ e: string }>('select external_id as e from member where id = $1', [id]))[0].e;
    for (const e of events) {
      expect(e.memberId).toBe(referrer);
      expect(e.data.referrer).toEqual({ id: referrer, externalId: await ext(referrer) });
      expect(e.data.referee).toEqual({ id: referee, externalId: await ext(referee) });
      expect(e.data).toMatchObject({ orderId: p.orderId, referrerPoints: 200, refereePoints: 100 });
      const text = JSON.stringify(e.data);
      for (const personal of ['Wang', 'Li Lei', 'li@example.com', '135 0000', '13500000001']) expect(text).not.toContain(personal);
    }
    expect(events[1].data).toMatchObject({ status: 'REVERSED', reason: expect.stringMatching(/refunded/) });
    await fannedOut(s);
    const deliveries = await s.sql('select 1 from webhook_delivery d join webhook_event e on e.id = d.event_id where e.data->\'referee\'->>\'id\' = $1', [referee]);
    expect(deliveries).toHaveLength(2);
  });

  it('erasing the referee scrubs its externalId from its referrer\'s referral events', async () => {
    const { referee } = await pair();
    const ext = (await s.sql<{ e: string }>('select external_id as e from member where id = $1', [referee]))[0].e;
    await buy(referee, 10);
    await s.admin('mutation($id: ID!) { eraseMember(memberId: $id, reason: "asked") { id } }', { id: referee });
    const [e] = await s.sql<{ data: any }>(`select data from webhook_event where type = 'referral.completed' and data->'referee'->>'id' = $1`, [referee]);
    expect(JSON.stringify(e.data)).not.toContain(ext);
    expect(e.data.referee.externalId).toBeNull();
  });
});

describe('REFERRAL campaigns', () => {
  async function campaign(code: string, f: { multiplier?: string; bonusPoints?: number; audience?: unknown; controlPercent?: number }) {
    const [row] = await s.sql<{ id: string }>(
      `insert into campaign (id, code, name, trigger, status, starts_at, audience, bonus_points, multiplier, control_percent, activated_at)
       values (md5('campaign:' || $1)::uuid, $1, $1, 'REFERRAL', 'ACTIVE', '2020-01-01T00:00:00Z', $2::jsonb, $3, $4::numeric, $5, now()) returning id::text`,
      [code, f.audience === undefined ? null : JSON.stringify(f.audience), f.bonusPoints ?? null, f.multiplier ?? null, f.controlPercent ?? 0]);
    return row.id;
  }

  it('"double points in a launch week": the referrer\'s referral points multiplied, per completed referral; a refund within the hold takes it back', async () => {
    const id = await campaign(key('LAUNCH'), { multiplier: '2' });
    const { referrer, referee } = await pair();
    const p = await buy(referee, 100);
    const awards = await s.sql<{ memberId: string; source: string; points: number }>(
      'select member_id::text as "memberId", source, points from campaign_award where campaign_id = $1', [id]);
    const r = await referral(referee);
    expect(awards).toEqual([{ memberId: referrer, source: `referral:${r.id}`, points: 200 }]);
    expect(await balances(referrer)).toMatchObject({ account: 400, pendingPoints: 400 });
    expect(await balances(referee)).toMatchObject({ account: 200 }); // the referee is not the campaign's member
    await refund(p.orderId, 100);
    expect(await balances(referrer)).toMatchObject({ account: 0, pendingPoints: 0 });
    const [award] = await s.sql<{ reversed: number }>('select reversed_points as reversed from campaign_award where campaign_id = $1', [id]);
    expect(award.reversed).toBe(200);
    await expectLedgerConsistent(s);
  });

  it('erasing the referee while the points are held reverses the referral as a full refund would: both sides, the referrer\'s campaign award, the budget', async () => {
    const id = await campaign(key('ERASED'), { multiplier: '2' });
    await s.sql('update campaign set budget_points = 10000 where id = $1', [id]);
    const [endpoint] = await s.sql<{ id: string }>(`insert into webhook_endpoint (id, url, event_types, active, secret, created_at, updated_at)
      values (gen_random_uuid(), 'https://receiver.example/campaigns', '{campaign.awarded,campaign.reversed}', true, 'test-secret', now(), now()) returning id::text`);
    const { referrer, referee } = await pair();
    await buy(referee, 100);
    expect(await balances(referrer)).toMatchObject({ account: 400, pendingPoints: 400 });
    const events = () => s.sql<{ type: string; data: any }>(
      `select type, data from webhook_event where type like 'referral.%' and data->'referee'->>'id' = $1 order by seq`, [referee]);
    expect((await events()).map((e) => e.type)).toEqual(['referral.completed']);
    await s.admin('mutation($id: ID!) { eraseMember(memberId: $id, reason: "asked") { id } }', { id: referee });
    expect(await referral(referee)).toMatchObject({ status: 'REVERSED', reason: 'the referee was erased within the hold' });
    expect(await balances(referrer)).toMatchObject({ pointsBalance: 0, pendingPoints: 0, account: 0 });
    const [award] = await s.sql<{ reversed: number }>('select reversed_points as reversed from campaign_award where campaign_id = $1', [id]);
    expect(award.reversed).toBe(200);
    const [c] = await s.sql<{ spent: number }>(`select coalesce(sum(points - reversed_points + unrecovered_points), 0)::int as spent from campaign_award where campaign_id = $1`, [id]);
    expect(c.spent).toBe(0);
    // The referrer's ledger says why; the referee's REFERRAL points went back before its erasure forfeited the rest (its purchase's 100).
    const ledger = (id: string) => s.sql<{ type: string; amount: number; reason: string | null }>(
      'select type, amount, reason from point_transaction where member_id = $1 order by id', [id]);
    expect((await ledger(referrer)).map((t) => [t.type, t.amount, t.reason])).toEqual([
      ['REFERRAL', 200, "referral: friend's first purchase"], ['BONUS', 200, expect.any(String)],
      ['REFUND_REVERSAL', -200, 'referral reversed: the referee was erased within the hold'],
      ['REFUND_REVERSAL', -200, expect.stringMatching(/^referral reversed: referral campaign /)],
    ]);
    expect((await ledger(referee)).map((t) => [t.type, t.amount])).toEqual([['EARN', 100], ['REFERRAL', 100], ['REFUND_REVERSAL', -100], ['ERASURE', -100]]);
    // Its webhook event is sent, naming the erased referee by id alone.
    const after = await events();
    expect(after.map((e) => e.type)).toEqual(['referral.completed', 'referral.reversed']);
    expect(after[1].data).toMatchObject({ status: 'REVERSED', referee: { id: referee, externalId: null } });
    // The referrer's campaign award taken back is told as a refund's is: campaign.reversed, no refund id.
    const campaignEvents = await s.sql<{ type: string; data: any }>(
      `select type, data from webhook_event where member_id = $1 and type like 'campaign.%' order by seq`, [referrer]);
    expect(campaignEvents.map((e) => [e.type, e.data.balanceAfter])).toEqual([['campaign.awarded', 400], ['campaign.reversed', 0]]);
    expect(campaignEvents[1].data).toMatchObject({ refundId: null, orderId: expect.any(String), pointsReversed: 200, pointsUnrecovered: 0 });
    await s.sql('update webhook_endpoint set active = false where id = $1', [endpoint.id]);
    await expectLedgerConsistent(s);
  });

  it('a coupon a REFERRAL campaign gave is cancelled with the referral\'s reversal while unused (stock and budget back, audited); one used at a till stays', async () => {
    const gift = key('GIFT');
    await s.admin('mutation($i: RewardInput!) { upsertReward(input: $i) { code } }', { i: { code: gift, name: 'Gift', costPoints: 80, stock: 3 } });
    const id = await campaign(key('REFCOUPON'), { bonusPoints: 1 });
    await s.sql('update campaign set reward_code = $2, bonus_points = null, budget_points = 1000 where id = $1', [id, gift]);
    const coupon = (memberId: string) => s.sql<{ id: string; code: string; status: string }>(
      'select d.id::text, d.coupon_code as code, d.status from redemption d join reward w on w.id = d.reward_id where d.member_id = $1 and w.code = $2', [memberId, gift]);
    const state = async () => ({
      stock: (await s.sql<{ stock: number }>('select stock from reward where code = $1', [gift]))[0].stock,
      costInBudget: (await s.sql<{ n: number }>('select coalesce(sum(reward_points), 0)::int as n from campaign_award where campaign_id = $1', [id]))[0].n,
    });
    // Unused when the referral is reversed: cancelled, its unit and its cost given back.
    const a = await pair();
    const p = await buy(a.referee, 100);
    expect((await coupon(a.referrer)).map((c) => c.status)).toEqual(['ISSUED']);
    expect(await state()).toEqual({ stock: 2, costInBudget: 80 });
    await refund(p.orderId, 100);
    expect(await referral(a.referee)).toMatchObject({ status: 'REVERSED' });
    const [cancelled] = await coupon(a.referrer);
    expect(cancelled.status).toBe('CANCELLED');
    expect(await state()).toEqual({ stock: 3, costInBudget: 0 });
    expect(await s.sql(`select actor, action, after->>'reason' as reason from audit_entry where entity = 'Redemption' and entity_id = $1`, [cancelled.id]))
      .toEqual([{ actor: 'admin:system', action: 'redemption.cancel', reason: 'referral reversed: the completing purchase was fully refunded within the hold' }]);
    const till = await s.token('service');
    const use = (code: string) => s.gql('mutation($i: UseCouponInput!) { useCoupon(input: $i) { status } }', { i: { couponCode: code, idempotencyKey: key('use') } }, till);
    expect((await use(cancelled.code)).errors?.[0].extensions?.code).toBe('COUPON_NOT_USABLE');
    // Used at a till before the reversal: what was given is given; its cost stays spent.
    const b = await pair();
    const q = await buy(b.referee, 100);
    const [given] = await coupon(b.referrer);
    expect((await use(given.code)).data).toEqual({ useCoupon: { status: 'USED' } });
    await refund(q.orderId, 100);
    expect(await referral(b.referee)).toMatchObject({ status: 'REVERSED' });
    expect((await coupon(b.referrer)).map((c) => c.status)).toEqual(['USED']);
    expect(await state()).toEqual({ stock: 2, costInBudget: 80 });
    await expectLedgerConsistent(s);
  });

  it('rows the referrer got before this rule are rewritten the same way (migration referrer_reversal_rows)', async () => {
    await campaign(key('OLDROWS'), { bonusPoints: 30 });
    const { referrer, referee } = await pair();
    const p = await buy(referee, 100);
    const refundId = key('r');
    await s.admin(REFUND, { i: { orderId: p.orderId, refundId, amount: 100 } });
    const [{ id: referralId }] = await s.sql<{ id: string }>('select id::text from referral where referee_id = $1', [referee]);
    const rows = () => s.sql<{ reason: string; reference: string }>(
      `select reason, reference from point_transaction where member_id = $1 and type = 'REFUND_REVERSAL' order by id`, [referrer]);
    const now = await rows();
    expect(now).toEqual([
      { reason: 'referral reversed: the completing purchase was fully refunded within the hold', reference: referralId },
      { reason: expect.stringMatching(/^referral reversed: referral campaign OLDROWS/), reference: referralId },
    ]);
    // As the code before wrote them.
    await s.sql(`update point_transaction set reference = $2, reason = case when idempotency_key like '%:referral:campaign:%'
      then 'refund ' || $3 || ': referral campaign ' || substring(idempotency_key from ':campaign:([^:]*)$') else 'refund ' || $3 || ': referral' end
      where member_id = $1 and type = 'REFUND_REVERSAL'`, [referrer, p.orderId, refundId]);
    await s.sql(REFERRER_ROWS_REWRITE);
    expect(await rows()).toEqual(now);
    // The referee's own rows keep its order and refund.
    const [own] = await s.sql<{ reason: string; reference: string }>(
      `select reason, reference from point_transaction where member_id = $1 and type = 'REFUND_REVERSAL' and idempotency_key like '%:referral:referee'`, [referee]);
    expect(own).toEqual({ reason: `refund ${refundId}: referral`, reference: p.orderId });
  });

  it('the referrer\'s own data export names its referee by id alone: no externalId, name or contact (the stored events keep them for the programme)', async () => {
    await campaign(key('EXPORTED'), { bonusPoints: 50 });
    const [endpoint] = await s.sql<{ id: string }>(`insert into webhook_endpoint (id, url, event_types, active, secret, created_at, updated_at)
      values (gen_random_uuid(), 'https://receiver.example/everything', '{*}', true, 'test-secret', now(), now()) returning id::text`);
    try {
      const friend = { externalId: key('crm-friend'), displayName: 'Fiona Private', email: 'fiona.private@example.com', phone: '+33 6 12 34 56 78' };
      const { referrer, referee } = await pair({}, friend);
      const p = await buy(referee, 100, key('friend-order'));
      const refundId = key('friend-refund');
      await s.admin(REFUND, { i: { orderId: p.orderId, refundId, amount: 100 } }); // within the hold: the referral is reversed
      expect(await referral(referee)).toMatchObject({ status: 'REVERSED' });
      const types = await s.sql<{ type: string }>('select distinct type from webhook_event where member_id = $1 order by type', [referrer]);
      expect(types.map((t) => t.type)).toEqual(expect.arrayContaining(['campaign.awarded', 'campaign.reversed', 'referral.completed', 'referral.reversed']));
      const doc = (await s.gql('query($id: ID!) { memberDataExport(memberId: $id) }', { id: referrer }, await s.token('member', referrer))).data!.memberDataExport as string;
      for (const theirs of [friend.externalId, 'Fiona', 'fiona.private', '12 34 56 78', '33612345678']) expect(doc).not.toContain(theirs);
      // What happened to the referral is there, on the referrer's side: the referee by id; not the
      // purchase and refund that completed and reversed it (the referee's, as its ledger rows say).
      const events = JSON.parse(doc).webhookEvents as { type: string; data: any }[];
      expect(events.filter((e) => e.type.startsWith('referral.')).map((e) => [e.type, e.data.status, e.data.referrerPoints, e.data.referee, e.data.refereePoints, e.data.orderId])).toEqual([
        ['referral.completed', 'COMPLETED', 200, { id: referee, externalId: null }, null, null],
        ['referral.reversed', 'REVERSED', 200, { id: referee, externalId: null }, null, null],
      ]);
      expect(events.find((e) => e.type === 'campaign.reversed')!.data).toMatchObject({ orderId: null, refundId: null, pointsReversed: 50 });
      expect(doc).not.toContain(refundId);
      expect(doc).not.toContain(p.orderId);
      // The programme's receivers still get the referee's externalId (the stored events are the programme's).
      const [stored] = await s.sql<{ data: any }>(`select data from webhook_event where member_id = $1 and type = 'referral.completed'`, [referrer]);
      expect(stored.data).toMatchObject({ referee: { id: referee, externalId: friend.externalId }, refereePoints: 100, orderId: p.orderId });
      // And the order and refund that took the campaign's award back (the referrer's ledger row names the referral instead).
      const [reversed] = await s.sql<{ data: any }>(`select data from webhook_event where member_id = $1 and type = 'campaign.reversed'`, [referrer]);
      expect(reversed.data).toMatchObject({ orderId: p.orderId, refundId, pointsReversed: 50 });
    } finally {
      await s.sql('update webhook_endpoint set active = false where id = $1', [endpoint.id]);
    }
  });

  it('erasing the referee after the hold leaves the referral COMPLETED and the referrer its points', async () => {
    const { referrer, referee } = await pair();
    await buy(referee, 100);
    clock.advance(8 * DAY);
    await s.admin('mutation($id: ID!) { eraseMember(memberId: $id, reason: "asked") { id } }', { id: referee });
    expect((await referral(referee)).status).toBe('COMPLETED');
    expect(await balances(referrer)).toMatchObject({ pointsBalance: 200, pendingPoints: 0, account: 200 });
    await expectLedgerConsistent(s);
  });

  it('its audience is the referrer\'s, and a rejected referral triggers nothing', async () => {
    const id = await campaign(key('GOLDONLY'), { bonusPoints: 50, audience: { tierCodes: ['GOLD'] } });
    const { referee } = await pair();
    await buy(referee, 10);
    expect(await s.sql('select 1 from campaign_award where campaign_id = $1 and points > 0', [id])).toEqual([]);
  });
});

describe('the other purchase paths', () => {
  it('statement by statement (a purchase dated before the member\'s tier override): completed once, in its transaction', async () => {
    const { referrer, referee } = await pair();
    await s.admin('mutation($id: ID!) { setMemberTier(memberId: $id, tierCode: "SILVER", reason: "courtesy") { id } }', { id: referee });
    expect((await buy(referee, 100, key('o'), new Date(Date.now() - 3 * DAY).toISOString())).bonusPoints).toBe(100);
    expect((await referral(referee)).status).toBe('COMPLETED');
    expect(await referralPoints(referee)).toHaveLength(1);
    expect(await balances(referrer)).toMatchObject({ account: 200, pendingPoints: 200 });
    expect(await balances(referee)).toMatchObject({ pendingPoints: 100 });
    await expectLedgerConsistent(s);
  });
});

describe('a referrer with a debt: the transaction path credits both sides', () => {
  it('repays the debt first, the ledger consistent, the referral COMPLETED once', async () => {
    await program({ allowNegativeBalance: true });
    const { referrer, referee } = await pair();
    // the referrer spends points it then loses to a refund: a debt
    const own = await buy(referrer, 100);
    await s.admin('mutation($i: AdjustPointsInput!) { adjustPoints(input: $i) { id } }', { i: { memberId: referrer, amount: -100, reason: 'spent', idempotencyKey: key('adj') } });
    await refund(own.orderId, 100);
    expect(await balances(referrer)).toMatchObject({ pointsBalance: -100, account: -100 });
    await buy(referee, 10);
    expect((await referral(referee)).status).toBe('COMPLETED');
    expect(await referralPoints(referrer)).toHaveLength(1);
    // the debt is repaid when the pending points activate; the account holds both
    expect(await balances(referrer)).toMatchObject({ account: 100 });
    const r = await referral(referee);
    expect(r.referrerTxn).not.toBeNull();
    expect(r.refereeTxn).not.toBeNull();
    await expectLedgerConsistent(s, true);
  });

  it('with a REFERRAL campaign: its bonus credited to the referrer there too', async () => {
    await program({ allowNegativeBalance: true });
    const [row] = await s.sql<{ id: string }>(
      `insert into campaign (id, code, name, trigger, status, starts_at, bonus_points, control_percent, activated_at)
       values (md5('campaign:' || $1)::uuid, $1, $1, 'REFERRAL', 'ACTIVE', '2020-01-01T00:00:00Z', 50, 0, now()) returning id::text`, [key('DEBTBONUS')]);
    const { referrer, referee } = await pair();
    const own = await buy(referrer, 100);
    await s.admin('mutation($i: AdjustPointsInput!) { adjustPoints(input: $i) { id } }', { i: { memberId: referrer, amount: -100, reason: 'spent', idempotencyKey: key('adj') } });
    await refund(own.orderId, 100);
    await buy(referee, 10);
    const awards = await s.sql<{ points: number; txn: string | null }>('select points, transaction_id::text as txn from campaign_award where campaign_id = $1', [row.id]);
    expect(awards).toEqual([{ points: 50, txn: expect.any(String) }]);
    expect(await balances(referrer)).toMatchObject({ account: 150 });
    await expectLedgerConsistent(s, true);
  });
});

/** A purchases import (its HTTP route), waited for to end. */
async function importPurchases(mode: 'history' | 'earn', csv: string): Promise<void> {
  const res = await fetch(`${s.url}/imports/purchases?mode=${mode}`, {
    method: 'POST', headers: { 'content-type': 'text/csv', authorization: `Bearer ${await s.token('admin')}` }, body: csv,
  });
  const { id } = (await res.json()) as { id: string };
  expect(res.status).toBe(202);
  let job: { status: string; rowsDone: number } = { status: 'RUNNING', rowsDone: 0 };
  await eventually(async () => {
    job = (await s.admin('query($id: ID!) { importJob(id: $id) { status rowsDone } }', { id })).importJob;
    return job.status !== 'RUNNING';
  }, 'the import to end', 60_000);
  expect(job).toEqual({ status: 'SUCCEEDED', rowsDone: 1 });
}

describe('a reversal after the referrer spent its points', () => {
  it('takes back what is left; referralStats keeps what was given and kept (unrecovered) in pointsGiven', async () => {
    await program({ allowNegativeBalance: false }); // else the reversal takes it all and leaves a debt (a test above allows it)
    const t0 = Date.now();
    const at = (days: number) => new Date(t0 + days * DAY).toISOString();
    const { referrer, referee } = await pair({ joinedAt: at(-30) }, { joinedAt: at(-30) });
    const { orderId } = await buy(referee, 100); // completes now: both sides pending for the 7-day hold
    clock.advance(8 * DAY); // the hold is over: the referrer's 200 are spendable, and it spends 150
    await s.admin('mutation($i: RewardInput!) { upsertReward(input: $i) { code } }', { i: { code: 'REF_SPEND', name: 'Spend', costPoints: 150 } });
    const spent = await s.gql('mutation($i: RedeemRewardInput!) { redeemReward(input: $i) { status } }',
      { i: { memberId: referrer, rewardCode: 'REF_SPEND', idempotencyKey: key('spend') } }, await s.token('member', referrer));
    expect(spent.data).toEqual({ redeemReward: { status: 'ISSUED' } });
    // A refund in full dated inside the hold (a minute after the completion; a back end may date a write no later than
    // the clock's few minutes ahead), recorded after the spend: the referral is reversed, but 150 of the referrer's 200 are spent.
    await s.admin(REFUND, { i: { orderId, refundId: key('r'), amount: 100, occurredAt: new Date(t0 + 60_000).toISOString() } });
    expect(await referral(referee)).toMatchObject({ status: 'REVERSED' });
    const [{ unrecovered }] = await s.sql('select unrecovered_points as unrecovered from referral where referee_id = $1', [referee]);
    expect(unrecovered).toBe(150);
    const STATS = `query($from: DateTime!, $to: DateTime!) { referralStats(from: $from, to: $to) { completed reversed pointsGiven } }`;
    // One millisecond around its completion, and around its reversal (the file's other referrals complete about then too).
    const [{ done, back }] = await s.sql<{ done: Date; back: Date }>('select completed_at as done, reversed_at as back from referral where referee_id = $1', [referee]);
    const around = async (t: Date) => (await s.admin(STATS, { from: new Date(t.getTime()).toISOString(), to: new Date(t.getTime() + 1).toISOString() })).referralStats;
    expect(await around(done)).toEqual({ completed: 1, reversed: 0, pointsGiven: 300 });
    // The referee's 100 and the referrer's 50 came back; 150 stayed given.
    expect(await around(back)).toEqual({ completed: 0, reversed: 1, pointsGiven: -(300 - 150) });
  });

  it('the referrer erased before the reversal: its side was forfeited, not taken back, and stays in pointsGiven', async () => {
    const { referrer, referee } = await pair();
    const { orderId } = await buy(referee, 100); // completes: 200 + 100 pending for the hold
    await s.admin('mutation($id: ID!) { eraseMember(memberId: $id, reason: "asked") { id } }', { id: referrer });
    await refund(orderId, 100); // in full, within the hold: REVERSED; only the referee's 100 come back
    expect(await referral(referee)).toMatchObject({ status: 'REVERSED' });
    const taken = await s.sql<{ amount: number }>(
      `select t.amount from point_transaction t where t.type = 'REFUND_REVERSAL' and t.member_id = any($1::uuid[]) and (t.reason like '%referral' or t.reason like 'referral reversed:%')`,
      [[referrer, referee]]);
    expect(taken).toEqual([{ amount: -100 }]);
    const [{ unrecovered }] = await s.sql('select unrecovered_points as unrecovered from referral where referee_id = $1', [referee]);
    expect(unrecovered).toBe(200);
    const [{ back }] = await s.sql<{ back: Date }>('select reversed_at as back from referral where referee_id = $1', [referee]);
    const stats = (await s.admin('query($from: DateTime!, $to: DateTime!) { referralStats(from: $from, to: $to) { reversed pointsGiven } }',
      { from: back.toISOString(), to: new Date(back.getTime() + 1).toISOString() })).referralStats;
    expect(stats).toEqual({ reversed: 1, pointsGiven: -100 }); // what the reversal took back: the referee's 100
    await expectLedgerConsistent(s);
  });
});
