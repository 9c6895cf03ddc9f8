import { expectError, startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';
import { windowCounterDrift } from '../support/ledger';
import { createServices } from '../../src/modules/services';
import { inSqlTransaction } from '../../src/db/transaction';
import { lockAccount } from '../../src/db/locks';
import { addQualifying } from '../../src/modules/points/points.repository';
import { BACKGROUND_APPLICATION } from '../../src/db/foreground';
import { untilWaitingForLock, whileInTransaction } from '../support/sessions';
import { TestClock, whenItComes } from '../support/clock';
import { addMonthsUtc } from '../../src/common/time.rules';

let s: TestServer;
let service: string;
/** The server's clock: a job as of a day still to come runs once that day has come, then the clock goes back (whenItComes). */
const clock = new TestClock();
beforeAll(async () => {
  s = await startTestServer({ clock });
  service = await s.token('service');
  await createLadder(s); // BRONZE 0, SILVER 1000/800 ×1.25, GOLD 5000/4000 ×1.5, PLATINUM 15000/12000 ×2
});
afterAll(() => s.stop());
// Each test here is a world of its own: its members, its dates, its review runs. A write that
// brings a member's history up to date records its reviews as far as the latest review run went
// (issue 18), whoever it was run for: forget the runs of the tests before, so that each member's
// history ends where its own test's reviews and purchases take it.
beforeEach(() => s.sql('update program set tier_reviewed_through = null'));

const MEMBER = `query($id: ID!) { member(id: $id) { tier { code } tierSince tierExpiresAt
  tierProgress { qualifyingPoints nextTier { code } pointsToNextTier pointsToRetain }
  tierHistory { kind fromTier { code } toTier { code } reason qualifyingPoints occurredAt } } }`;
const member = async (id: string) => (await s.admin(MEMBER, { id })).member;
const buy = (memberId: string, orderId: string, amount: number, occurredAt: string) =>
  s.gql(`mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) {
    pointsEarned qualifyingPointsEarned tierChange { kind fromTier { code } toTier { code } qualifyingPoints occurredAt } } }`,
  { input: { memberId, orderId, amount, occurredAt } }, service);
/** A review run; every member it reviews is renewed or downgraded (a tier change each), so `changed` (members) is `processed`. */
const review = async (asOf: string) => {
  const r = await whenItComes(clock, asOf, () => s.admin('mutation($a: DateTime!) { runTierReview(asOf: $a) { processed changed } }', { a: asOf }));
  expect(r.runTierReview.changed).toBe(r.runTierReview.processed);
  return r;
};
const setPolicy = (p: string) => s.admin(`mutation { updateProgram(input: { downgradePolicy: ${p} }) { downgradePolicy } }`);

describe('upgrade at once', () => {
  it('moves up in the purchase that qualifies, skipping tiers, earning at the old multiplier', async () => {
    const id = await registerMember(s, { joinedAt: '2025-01-01T00:00:00.000Z' });
    const small = await buy(id, 'u-1', 600, '2025-02-01T10:00:00.000Z');
    expect(small.data!.recordPurchase.tierChange).toBeNull();
    const big = await buy(id, 'u-2', 5000, '2025-03-01T10:00:00.000Z');
    expect(big.data!.recordPurchase).toEqual({
      pointsEarned: 5000, qualifyingPointsEarned: 5000, // Bronze multiplier ×1, not Gold's
      tierChange: { kind: 'UPGRADE', fromTier: { code: 'BRONZE' }, toTier: { code: 'GOLD' }, qualifyingPoints: 5600, occurredAt: '2025-03-01T10:00:00.000Z' },
    });
    const m = await member(id);
    expect(m).toMatchObject({ tier: { code: 'GOLD' }, tierSince: '2025-03-01T10:00:00.000Z', tierExpiresAt: '2026-03-01T10:00:00.000Z' });
    // the next purchase earns at Gold's multiplier
    const next = await buy(id, 'u-3', 100, '2025-03-02T10:00:00.000Z');
    expect(next.data!.recordPurchase.pointsEarned).toBe(150);
    // a replay returns the same tier change
    expect((await buy(id, 'u-2', 5000, '2025-03-01T10:00:00.000Z')).data).toEqual(big.data);
    expect(m.tierHistory).toHaveLength(1);
  });

  it('a retry after a backdated purchase re-rated it and replaced its upgrade returns the first points, and the change as it stands now', async () => {
    const id = await registerMember(s, { joinedAt: '2025-01-01T00:00:00.000Z' });
    const BUY = `mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) {
      pointsEarned transaction { amount } tierChange { id kind occurredAt supersededAt } } }`;
    const post = (orderId: string, amount: number, occurredAt: string) => s.gql(BUY, { input: { memberId: id, orderId, amount, occurredAt } }, service);
    await post('rr-a', 900, '2025-05-01T00:00:00.000Z');
    const first = (await post('rr-b', 200, '2025-05-06T00:00:00.000Z')).data!.recordPurchase; // 1100: Silver from May 6
    expect(first).toMatchObject({ pointsEarned: 200, transaction: { amount: 200 }, tierChange: { kind: 'UPGRADE', supersededAt: null } });
    await post('rr-c', 200, '2025-04-21T00:00:00.000Z'); // backdated: 1100 already on May 1, so B is a Silver purchase (re-rated) and its upgrade is replaced
    const retry = (await post('rr-b', 200, '2025-05-06T00:00:00.000Z')).data!.recordPurchase;
    expect(retry.pointsEarned).toBe(200);
    expect(retry.transaction).toEqual({ amount: 200 });
    expect(retry.tierChange).toMatchObject({ id: first.tierChange.id, kind: 'UPGRADE', supersededAt: expect.any(String) });
  });

  it('counts only the rolling window (t − window, t]', async () => {
    const id = await registerMember(s, { joinedAt: '2024-01-01T00:00:00.000Z' });
    await buy(id, 'w-1', 600, '2024-03-01T00:00:00.000Z');
    const res = await buy(id, 'w-2', 600, '2025-03-01T00:00:00.000Z'); // the first is exactly 12 months back: outside
    expect(res.data!.recordPurchase.tierChange).toBeNull();
    const res2 = await buy(id, 'w-3', 400, '2025-03-02T00:00:00.000Z');
    expect(res2.data!.recordPurchase.tierChange).toMatchObject({ toTier: { code: 'SILVER' }, qualifyingPoints: 1000 });
  });
});

describe('review at expiry', () => {
  it('renews when the window holds retainPoints at E; runs twice without change', async () => {
    const id = await registerMember(s, { joinedAt: '2024-01-01T00:00:00.000Z' });
    await buy(id, 'r-1', 1000, '2024-06-01T00:00:00.000Z'); // Silver until 2025-06-01
    await buy(id, 'r-2', 800, '2025-05-01T00:00:00.000Z');
    await review('2025-06-02T00:00:00.000Z');
    const m = await member(id);
    expect(m).toMatchObject({ tier: { code: 'SILVER' }, tierSince: '2024-06-01T00:00:00.000Z', tierExpiresAt: '2026-06-01T00:00:00.000Z' });
    expect(m.tierHistory.at(-1)).toMatchObject({ kind: 'RENEWAL', qualifyingPoints: 800, occurredAt: '2025-06-01T00:00:00.000Z' });
    await review('2025-06-02T00:00:00.000Z');
    expect((await member(id)).tierHistory).toHaveLength(2);
  });

  it('DROP_ONE: one rank per period, period by period until the expiry is after asOf', async () => {
    const id = await registerMember(s, { joinedAt: '2020-01-01T00:00:00.000Z' });
    await buy(id, 'd-1', 15000, '2021-01-10T00:00:00.000Z'); // Platinum until 2022-01-10
    await review('2024-06-01T00:00:00.000Z');
    const m = await member(id);
    expect(m.tierHistory.map((c: any) => [c.kind, c.toTier.code, c.occurredAt])).toEqual([
      ['UPGRADE', 'PLATINUM', '2021-01-10T00:00:00.000Z'],
      ['DOWNGRADE', 'GOLD', '2022-01-10T00:00:00.000Z'],
      ['DOWNGRADE', 'SILVER', '2023-01-10T00:00:00.000Z'],
      ['DOWNGRADE', 'BRONZE', '2024-01-10T00:00:00.000Z'],
    ]);
    expect(m).toMatchObject({ tier: { code: 'BRONZE' }, tierExpiresAt: null, tierSince: '2024-01-10T00:00:00.000Z' });
  });

  it('RECALCULATE: straight to the highest tier whose retainPoints the window supports', async () => {
    await setPolicy('RECALCULATE');
    try {
      const id = await registerMember(s, { joinedAt: '2020-01-01T00:00:00.000Z' });
      await buy(id, 'rc-1', 15000, '2021-01-10T00:00:00.000Z');
      await buy(id, 'rc-2', 900, '2021-12-01T00:00:00.000Z'); // Q at E = 15900 - but 2021-01-10 is outside (E − 12m, E]
      await review('2022-02-01T00:00:00.000Z');
      const m = await member(id);
      expect(m.tierHistory.at(-1)).toMatchObject({ kind: 'DOWNGRADE', toTier: { code: 'SILVER' }, qualifyingPoints: 900 });
      expect(m.tierExpiresAt).toBe('2023-01-10T00:00:00.000Z');
    } finally {
      await setPolicy('DROP_ONE');
    }
  });

  it('two reviews at once give the same result as one, with no duplicate changes', async () => {
    const ids = [];
    for (let i = 0; i < 20; i++) {
      const id = await registerMember(s, { joinedAt: '2020-01-01T00:00:00.000Z' });
      await buy(id, `c-${i}`, 1000 + i * 300, '2023-01-01T00:00:00.000Z');
      ids.push(id);
    }
    const [a, b] = await Promise.all([review('2024-02-01T00:00:00.000Z'), review('2024-02-01T00:00:00.000Z')]);
    expect(a.runTierReview.processed + b.runTierReview.processed).toBeGreaterThanOrEqual(20);
    const dup = await s.sql('select member_id, occurred_at, count(*) from tier_change group by 1, 2 having count(*) > 1');
    expect(dup).toEqual([]);
    const codes = await s.sql(`select t.code, count(*)::int as n from member m join tier t on t.id = m.tier_id where m.id = any($1) group by 1 order by 1`, [ids]);
    expect(codes).toEqual([{ code: 'BRONZE', n: 14 }, { code: 'SILVER', n: 6 }]);
  });

  /** Members Platinum for a year from early 2019 and nothing after: three periods late by December 2022. */
  const platinumThenNothing = async (n: number, prefix: string) => {
    const ids = [];
    for (let i = 0; i < n; i++) {
      const id = await registerMember(s, { joinedAt: '2019-01-01T00:00:00.000Z' });
      await buy(id, `${prefix}-${i}`, 15000, `2019-0${1 + (i % 3)}-15T00:00:00.000Z`);
      ids.push(id);
    }
    return ids;
  };
  /** Each member's downgrades, in order, as tier codes joined by commas. */
  const downgradePaths = async (ids: string[]) => (await s.sql(`select member_id, string_agg(t.code, ',' order by c.occurred_at) as path
    from tier_change c join tier t on t.id = c.to_tier_id where c.member_id = any($1) and c.kind = 'DOWNGRADE' group by 1`, [ids])).map((c) => c.path);

  it('in many small batches, reviews each member once per period, several periods late included', async () => {
    const ids = await platinumThenNothing(9, 'mb');
    const { tierEngine } = createServices(s.app.orm.em.fork());
    const result = await tierEngine.review(new Date('2022-12-01T00:00:00.000Z'), 2);
    expect(result.processed).toBeGreaterThanOrEqual(9);
    expect(await downgradePaths(ids)).toEqual(ids.map(() => 'GOLD,SILVER,BRONZE'));
    const [{ due }] = await s.sql('select count(*)::int as due from member where id = any($1) and tier_expires_at is not null', [ids]);
    expect(due).toBe(0);
  });

  it('never decides on what a write in flight changes: it waits for the write, then counts its backdated points', async () => {
    const id = await registerMember(s, { joinedAt: '2016-01-01T00:00:00.000Z' });
    await buy(id, 'held-1', 1000, '2016-03-01T00:00:00.000Z'); // Silver until 2017-03-01, retain 800
    await buy(id, 'held-2', 500, '2016-06-01T00:00:00.000Z'); // 500 of 800 in the window at E
    const services = createServices(s.app.orm.em.fork());
    // A points write in flight (as recordPurchase takes it): the member locked, 300 more qualifying
    // points dated before E, not yet committed.
    let commit!: () => void;
    const committed = new Promise<void>((r) => (commit = r));
    let held!: () => void;
    const holding = new Promise<void>((r) => (held = r));
    const write = inSqlTransaction(s.app.orm.em.fork(), async (tx) => {
      expect(await lockAccount(tx, id)).not.toBeNull();
      await addQualifying(tx, id, new Date('2016-12-01T00:00:00.000Z'), 300, 'test');
      held();
      await committed;
    });
    await holding;
    const review = services.tierEngine.review(new Date('2017-03-02T00:00:00.000Z'));
    // Until the review's batch waits for the member: it has read the member without those points by then.
    await untilWaitingForLock(s, 'with due as materialized', 'the review');
    commit();
    await write;
    await review;
    // One review of the period, on 800 points: not a downgrade on the 500 it had read.
    expect((await member(id)).tierHistory.map((c: { kind: string }) => c.kind)).toEqual(['UPGRADE', 'RENEWAL']);
    expect((await member(id)).tierHistory.at(-1)).toMatchObject({ kind: 'RENEWAL', toTier: { code: 'SILVER' }, qualifyingPoints: 800 });
  });

  it('keeps to one batch at a time while another session works on the database, with the same result', async () => {
    const ids = await platinumThenNothing(6, 'pace');
    // Foreground work: a session inside a transaction (as a purchase is, between its statements).
    const result = await whileInTransaction(s, 'select 1', () => createServices(s.app.orm.em.fork()).tierEngine.review(new Date('2022-12-01T00:00:00.000Z'), 2));
    expect(result.batches.idle).toBe(0);
    expect(result.batches.busy).toBeGreaterThanOrEqual(9); // 3 periods × 6 members, 2 a batch
    expect(await downgradePaths(ids)).toEqual(ids.map(() => 'GOLD,SILVER,BRONZE'));
  });

  it('is not slowed by the app\'s background connections (the outbox dispatcher reading back its batches)', async () => {
    const ids = await platinumThenNothing(4, 'reads');
    // The test server's dispatcher reads on a connection so named…
    const [{ named }] = await s.sql(`select count(*)::int as named from pg_stat_activity where datname = current_database() and application_name = $1`, [BACKGROUND_APPLICATION]);
    expect(named).toBeGreaterThanOrEqual(1);
    // …as this session is, inside a read.
    const result = await whileInTransaction(s, 'select count(*) from outbox',
      () => createServices(s.app.orm.em.fork()).tierEngine.review(new Date('2022-12-01T00:00:00.000Z'), 2), BACKGROUND_APPLICATION);
    expect(result.batches.busy).toBe(0);
    expect(result.batches.idle).toBeGreaterThanOrEqual(6); // 3 periods × 4 members, 2 a batch
    expect(await downgradePaths(ids)).toEqual(ids.map(() => 'GOLD,SILVER,BRONZE'));
  });
});

/** `at`, or a day earlier while 12 months on and back again does not return to it (29 February). */
function unclampedBefore(at: number): number {
  while (addMonthsUtc(addMonthsUtc(new Date(at), 12), -12).getTime() !== at) at -= 86_400_000;
  return at;
}

describe('progress, override, replay', () => {
  it('tierProgress shows Q, the next tier and what is still needed to retain', async () => {
    const id = await registerMember(s);
    const now = Date.now();
    // A minute ago, or on 29 February the 28th's same hour: 12 months on from 29 February is
    // 28 February (clamped), and that window reaches back to the 28th, so the upgrade counts
    // again at review (the window's rule, (E − 12 months, E]; docs/decisions.md).
    const upgradedAt = unclampedBefore(now - 60_000);
    await buy(id, 'p-1', 1200, new Date(upgradedAt).toISOString());
    const m = await member(id);
    expect(m.tier.code).toBe('SILVER');
    // The upgrading purchase is exactly one window old at tierExpiresAt, so it no longer counts
    // then: all of Silver's 800 retain points are still to earn.
    expect(m.tierProgress).toEqual({ qualifyingPoints: 1200, nextTier: { code: 'GOLD' }, pointsToNextTier: 3800, pointsToRetain: 800 });
    await buy(id, 'p-2', 300, new Date(now - 30_000).toISOString());
    expect((await member(id)).tierProgress.pointsToRetain).toBe(500);
  });

  it('setMemberTier overrides until its expiry, is audited, and is then reviewed like any tier', async () => {
    const id = await registerMember(s);
    const res = await s.admin(`mutation($id: ID!) { setMemberTier(memberId: $id, tierCode: "GOLD", reason: "VIP guest", expiresAt: "2030-01-01T00:00:00.000Z") { tier { code } tierExpiresAt } }`, { id });
    expect(res.setMemberTier).toEqual({ tier: { code: 'GOLD' }, tierExpiresAt: '2030-01-01T00:00:00.000Z' });
    const log = await s.admin('{ auditLog(entity: "Member", first: 1) { action entityId before after } }');
    expect(log.auditLog[0]).toMatchObject({ action: 'member.setTier', entityId: id });
    // Which tiers, by code beside the id: a reader of the log need not look ids up.
    expect(JSON.parse(log.auditLog[0].before)).toMatchObject({ tierCode: 'BRONZE' });
    expect(JSON.parse(log.auditLog[0].after)).toMatchObject({ tierCode: 'GOLD', tierExpiresAt: '2030-01-01T00:00:00.000Z', reason: 'VIP guest' });
    // A second override (another expiry: the same one changes nothing and records nothing): the entry's
    // before holds the first's expiry as an ISO-8601 instant, as its after did.
    await s.admin(`mutation($id: ID!) { setMemberTier(memberId: $id, tierCode: "GOLD", reason: "still VIP", expiresAt: "2029-12-31T00:00:00.000Z") { id } }`, { id });
    const [again] = (await s.admin('{ auditLog(entity: "Member", first: 1) { before } }')).auditLog;
    expect(JSON.parse(again.before).tierExpiresAt).toBe('2030-01-01T00:00:00.000Z');
    // A past expiresAt is refused for every tier, the entry tier too (which keeps none), and changes nothing.
    for (const code of ['SILVER', 'BRONZE']) {
      expectError(await s.gql(`mutation($id: ID!) { setMemberTier(memberId: $id, tierCode: "${code}", reason: "x", expiresAt: "2020-01-01T00:00:00.000Z") { id } }`, { id }, await s.token('admin')), 'BAD_USER_INPUT', 'expiresAt');
    }
    expect((await member(id)).tier.code).toBe('GOLD');
    await review('2030-01-02T00:00:00.000Z');
    expect((await member(id)).tier.code).toBe('SILVER');
    const bad = await s.gql(`mutation($id: ID!) { setMemberTier(memberId: $id, tierCode: "NOPE", reason: "x") { id } }`, { id }, await s.token('admin'));
    expectError(bad, 'NOT_FOUND');
  });

  it('tierChanges replays a member\'s changes since an instant, and members see only their own', async () => {
    const id = await registerMember(s);
    const since = new Date(Date.now() - 1000).toISOString();
    await buy(id, 'x-1', 5000, new Date(Date.now() - 1000).toISOString());
    const token = await s.token('member', id);
    const res = await s.gql(`query($id: ID!, $since: DateTime) { tierChanges(memberId: $id, since: $since) { memberId kind toTier { code } } }`, { id, since }, token);
    expect(res.data!.tierChanges).toEqual([{ memberId: id, kind: 'UPGRADE', toTier: { code: 'GOLD' } }]);
    // As the subscription it replays: no memberId is the member itself; another member's is FORBIDDEN.
    const own = await s.gql(`query($since: DateTime) { tierChanges(since: $since) { memberId kind } }`, { since }, token);
    expect(own.data!.tierChanges).toEqual([{ memberId: id, kind: 'UPGRADE' }]);
    const other = await registerMember(s);
    expectError(await s.gql('query($id: ID) { tierChanges(memberId: $id) { id } }', { id: other }, token), 'FORBIDDEN');
  });

  it('at-risk notices: one per member and period, only while points are missing', async () => {
    const id = await registerMember(s);
    await s.admin(`mutation($id: ID!) { setMemberTier(memberId: $id, tierCode: "SILVER", reason: "test", expiresAt: "2031-01-20T00:00:00.000Z") { id } }`, { id });
    const send = (asOf: string) => whenItComes(clock, asOf, () => s.admin(`mutation { sendTierNotices(asOf: "${asOf}") { changed } }`));
    const first = await send("2031-01-01T00:00:00.000Z");
    expect(first.sendTierNotices.changed).toBeGreaterThanOrEqual(1);
    await send("2031-01-02T00:00:00.000Z");
    const notices = await s.admin(`query($id: ID!) { tierNotices(memberId: $id) { pointsToRetain tierExpiresAt tier { code } } }`, { id });
    expect(notices.tierNotices).toEqual([{ pointsToRetain: 800, tierExpiresAt: '2031-01-20T00:00:00.000Z', tier: { code: 'SILVER' } }]);
  });
});

describe('Tier.memberCount', () => {
  const counts = async () => Object.fromEntries(
    (await s.admin('{ tiers { code memberCount } }')).tiers.map((t: { code: string; memberCount: number }) => [t.code, t.memberCount]));
  const actual = async () => Object.fromEntries((await s.sql(
    'select t.code, count(m.id)::int as n from tier t left join member m on m.tier_id = t.id group by t.code')).map((r) => [r.code, r.n]));

  it('matches the members of each tier through registrations, concurrent upgrades, reviews and overrides', async () => {
    const ids = await Promise.all(Array.from({ length: 12 }, () => registerMember(s, { joinedAt: '2025-01-01T00:00:00.000Z' })));
    // Twelve upgrades at once (two tiers apart for half of them) while the counts are kept by triggers.
    await Promise.all(ids.map((id, i) => buy(id, `mc-${i}`, i % 2 ? 1000 : 5000, '2025-02-01T10:00:00.000Z')));
    expect(await counts()).toEqual(await actual());
    await s.admin(`mutation($id: ID!) { setMemberTier(memberId: $id, tierCode: "PLATINUM", reason: "vip") { id } }`, { id: ids[0] });
    expect(await counts()).toEqual(await actual());
    await review('2027-06-01T00:00:00.000Z'); // everyone's tier lapses; the review folds the count rows
    expect(await counts()).toEqual(await actual());
    expect(await s.sql('select count(*)::int as n from tier_member_delta')).toEqual([{ n: Object.values(await actual()).filter((n) => (n as number) > 0).length }]);
  });
});

describe('window counters', () => {
  it('a review counts Q from the ledger when the counters were kept for another window length', async () => {
    const id = await registerMember(s, { joinedAt: '2015-01-01T00:00:00.000Z' });
    await buy(id, 'wc-1', 1000, '2015-03-01T00:00:00.000Z'); // Silver until 2016-03-01, counted with a 12-month window
    await buy(id, 'wc-2', 300, '2015-05-01T00:00:00.000Z');
    await buy(id, 'wc-3', 500, '2015-12-01T00:00:00.000Z'); // 800 in 12 months at E (retained); 500 in 6
    await s.admin('mutation { updateProgram(input: { qualificationWindowMonths: 6 }) { qualificationWindowMonths } }');
    try {
      await review('2016-03-02T00:00:00.000Z');
    } finally {
      await s.admin('mutation { updateProgram(input: { qualificationWindowMonths: 12 }) { qualificationWindowMonths } }');
    }
    expect((await member(id)).tierHistory.at(-1)).toMatchObject({ kind: 'DOWNGRADE', toTier: { code: 'BRONZE' }, qualifyingPoints: 500 });
  });

  it('count the window\'s ends as the ledger does, and carry points dated after E into the next period', async () => {
    const id = await registerMember(s, { joinedAt: '2014-01-01T00:00:00.000Z' });
    await buy(id, 'wcc-1', 1000, '2014-03-01T00:00:00.000Z'); // Silver until 2015-03-01: E − 12 months, outside the window at E
    await buy(id, 'wcc-1b', 50, '2014-03-01T00:00:00.000Z'); // the same instant (its upgrade counts both), once the member is counted: outside too
    await buy(id, 'wcc-2', 800, '2015-03-01T00:00:00.000Z'); // at E: inside
    await buy(id, 'wcc-3', 900, '2015-04-01T00:00:00.000Z'); // after E, recorded before the review ran
    await review('2015-03-02T00:00:00.000Z');
    await review('2016-03-02T00:00:00.000Z');
    expect((await member(id)).tierHistory.map((c: { kind: string; qualifyingPoints: number }) => [c.kind, c.qualifyingPoints]))
      .toEqual([['UPGRADE', 1050], ['RENEWAL', 800], ['RENEWAL', 900]]);
    expect(await windowCounterDrift(s)).toEqual([]);
  });

  it('count each period of a member several periods late from its own window', async () => {
    const id = await registerMember(s, { joinedAt: '2011-01-01T00:00:00.000Z' });
    await buy(id, 'wcl-1', 1000, '2011-03-01T00:00:00.000Z'); // Silver until 2012-03-01
    await buy(id, 'wcl-2', 800, '2012-02-01T00:00:00.000Z'); // the window at 2012-03-01
    await buy(id, 'wcl-3', 900, '2013-02-01T00:00:00.000Z'); // at 2013-03-01
    await buy(id, 'wcl-4', 850, '2014-01-01T00:00:00.000Z'); // at 2014-03-01
    await review('2014-03-02T00:00:00.000Z'); // three periods in one run
    expect((await member(id)).tierHistory.map((c: { kind: string; qualifyingPoints: number }) => [c.kind, c.qualifyingPoints]))
      .toEqual([['UPGRADE', 1000], ['RENEWAL', 800], ['RENEWAL', 900], ['RENEWAL', 850]]);
    expect(await windowCounterDrift(s)).toEqual([]);
  });

  // Last in the file: every test before it wrote qualifying points, tiers and reviews.
  it('agree with the ledger for every member after all of the above, and recountWindows counts them anew', async () => {
    expect(await windowCounterDrift(s)).toEqual([]);
    await s.sql(`update member set window_points = window_points + 7, points_after_expiry = 0, last_qualifying_at = null, window_points_months = 12
      where tier_expires_at is not null`);
    expect((await windowCounterDrift(s)).length).toBeGreaterThan(0);
    await createServices(s.app.orm.em.fork()).tierEngine.recountWindows();
    expect(await windowCounterDrift(s)).toEqual([]);
    expect(await s.sql(`select id from member where (tier_expires_at is null) <> (window_points_months is null)`)).toEqual([]);
  });
});
