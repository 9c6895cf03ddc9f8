// A refund never moves a tier by itself (domain.md): the next decision sees it. Its qualifying
// reversal counted from the refund's very instant, so a refund dated at its purchase's instant
// (a till stamping both in the same second; an undated refund of a purchase dated ahead of the
// server's clock) took away the upgrade that purchase gave, with no change row and no push,
// while the feed still listed the upgrade; a refund dated at a review's instant turned the
// renewal into a downgrade. Found by an outside audit (88). It now counts from the millisecond
// after the refund.
import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';
import { expectLedgerConsistent } from '../support/ledger';
import { MEMBER_COUNTERS, REBUILDS_QUEUED, REVERSALS_BACK, REVERSALS_ON } from '../../migrations/Migration20270101210000_reversal_counts_after_refund';

let s: TestServer;
let service: string;
beforeAll(async () => {
  s = await startTestServer();
  service = await s.token('service');
  await createLadder(s);
});
afterAll(() => s?.stop());

const PURCHASE = 'mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { tierChange { kind toTier { code } } transaction { occurredAt } } }';
const REFUND = 'mutation($i: RefundPurchaseInput!) { refundPurchase(input: $i) { member { tier { code } } } }';
const STATE = `query($id: ID!) { member(id: $id) { tier { code } tierExpiresAt 
  tierHistory { kind toTier { code } occurredAt } } tierChanges(memberId: $id) { kind toTier { code } } }`;
const gql = async (q: string, v: Record<string, unknown>) => {
  const r = await s.gql(q, v, service);
  expect(r.errors).toBeUndefined();
  return r.data as Record<string, any>;
};

it('a refund dated at its purchase\'s instant leaves the upgrade that purchase gave; the next decision sees it', async () => {
  const m = await registerMember(s, { joinedAt: '2025-01-01T00:00:00.000Z' });
  const at = '2025-03-01T10:00:00.000Z';
  const p = await gql(PURCHASE, { i: { memberId: m, orderId: 'si-1', amount: 1200, occurredAt: at } });
  expect(p.recordPurchase.tierChange).toMatchObject({ kind: 'UPGRADE', toTier: { code: 'SILVER' } });
  expect(p.recordPurchase.transaction.occurredAt).toBe(at);
  const r = await gql(REFUND, { i: { orderId: 'si-1', refundId: 'si-1-r', amount: 500, occurredAt: at } });
  expect(r.refundPurchase.member.tier.code).toBe('SILVER');
  const st = await s.admin<Record<string, any>>(STATE, { id: m });
  expect(st.member.tier.code).toBe('SILVER');
  expect(st.member.tierHistory).toEqual([{ kind: 'UPGRADE', toTier: { code: 'SILVER' }, occurredAt: at }]);
  expect(st.tierChanges.map((c: any) => c.kind)).toEqual(['UPGRADE']);
  // The review at the tier's expiry counts the refund: 700 < 800 to retain.
  await s.admin('mutation { runTierReview(asOf: "2026-03-02T00:00:00.000Z") { processed } }');
  const after = await s.admin<Record<string, any>>(STATE, { id: m });
  expect(after.member.tier.code).toBe('BRONZE');
  expect(after.member.tierHistory.map((c: any) => c.kind)).toEqual(['UPGRADE', 'DOWNGRADE']);
  await expectLedgerConsistent(s);
});

it('a refund dated at a review\'s instant, arriving after the review ran, leaves the renewal; the same facts in date order give the same', async () => {
  const histories: unknown[] = [];
  for (const order of ['review first', 'refund first'] as const) {
    const m = await registerMember(s, { joinedAt: '2024-12-01T00:00:00.000Z' });
    const tag = order === 'review first' ? 'rf' : 'ff';
    await gql(PURCHASE, { i: { memberId: m, orderId: `${tag}-1`, amount: 1000, occurredAt: '2025-01-10T00:00:00.000Z' } });
    await gql(PURCHASE, { i: { memberId: m, orderId: `${tag}-2`, amount: 900, occurredAt: '2025-06-01T00:00:00.000Z' } });
    const expiry = '2026-01-10T00:00:00.000Z'; // the upgrade's validity of 12 months
    const refund = () => gql(REFUND, { i: { orderId: `${tag}-2`, refundId: `${tag}-2-r`, amount: 200, occurredAt: expiry } });
    if (order === 'refund first') await refund();
    await s.admin('mutation { runTierReview(asOf: "2026-02-01T00:00:00.000Z") { processed } }');
    if (order === 'review first') await refund();
    const st = await s.admin<Record<string, any>>(STATE, { id: m });
    expect(st.member.tier.code).toBe('SILVER');
    histories.push(st.member.tierHistory);
  }
  expect(histories[0]).toEqual(histories[1]);
  expect((histories[0] as { kind: string }[]).map((c) => c.kind)).toEqual(['UPGRADE', 'RENEWAL']);
  await expectLedgerConsistent(s);
});

it('the migration moves the reversals written before one millisecond on, and the member counters that read them', async () => {
  const m = await registerMember(s, { joinedAt: '2025-01-01T00:00:00.000Z' });
  await gql(PURCHASE, { i: { memberId: m, orderId: 'mg-1', amount: 1200, occurredAt: '2026-10-01T10:00:00.000Z' } });
  await gql(REFUND, { i: { orderId: 'mg-1', refundId: 'mg-1-r', amount: 300, occurredAt: '2026-10-02T10:00:00.000Z' } });
  const read = () => s.sql<{ counts: string; last: string }>(`select to_char(q.counts_from at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS') as counts,
    to_char(m.last_qualifying_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS') as last
    from qualifying_entry q join member m on m.id = q.member_id where q.member_id = $1 and q.counts_from is not null`, [m]);
  expect(await read()).toEqual([{ counts: '2026-10-02T10:00:00.001', last: '2026-10-02T10:00:00.001' }]);
  // As the code before wrote them.
  await s.sql(`update qualifying_entry set counts_from = counts_from - interval '1 millisecond' where member_id = $1 and counts_from is not null`, [m]);
  await s.sql(`update member set last_qualifying_at = last_qualifying_at - interval '1 millisecond' where id = $1`, [m]);
  await s.sql(REVERSALS_ON.replace('where counts_from is not null', `where counts_from is not null and member_id = '${m}'`));
  await s.sql(MEMBER_COUNTERS);
  expect(await read()).toEqual([{ counts: '2026-10-02T10:00:00.001', last: '2026-10-02T10:00:00.001' }]);

  // A reversal dated exactly at the tier's expiry counted in the window that ends there; it no
  // longer does (it counts from the millisecond after), and down() puts it back.
  const [{ q, r }] = await s.sql<{ q: number; r: number }>(`select sum(points) filter (where counts_from is null)::int as q,
    sum(points) filter (where counts_from is not null)::int as r from qualifying_entry where member_id = $1`, [m]);
  expect(r).toBeLessThan(0);
  const only = (sql: string) => sql.replace('where counts_from is not null', `where counts_from is not null and member_id = '${m}'`);
  await s.sql(only(REVERSALS_BACK));
  await s.sql(`update member set tier_expires_at = '2026-10-02T10:00:00.000Z', window_points_months = 12, window_points = $2 where id = $1`, [m, q + r]);
  const windowPoints = async () => (await s.sql<{ w: number }>('select window_points as w from member where id = $1', [m]))[0].w;
  await s.sql(only(REVERSALS_ON));
  await s.sql(MEMBER_COUNTERS);
  expect(await windowPoints()).toBe(q);
  await s.sql(only(REVERSALS_BACK));
  await s.sql(MEMBER_COUNTERS);
  expect(await windowPoints()).toBe(q + r);
});

/** The member as the old rule left it (its reversals counting from the refund's very instant, back on Bronze, `changes`: its tier changes superseded or never recorded), then the migration's statements. */
async function oldRuleThenMigration(m: string, changes: 'superseded' | 'never recorded'): Promise<void> {
  await s.sql(`update qualifying_entry set counts_from = counts_from - interval '1 millisecond' where member_id = $1 and counts_from is not null`, [m]);
  await s.sql(changes === 'superseded' ? 'update tier_change set superseded_at = now() where member_id = $1' : 'delete from tier_change where member_id = $1', [m]);
  await s.sql(`update member set tier_id = (select id from tier where code = 'BRONZE'), tier_since = joined_at, tier_expires_at = null,
    last_qualifying_at = last_qualifying_at - interval '1 millisecond' where id = $1`, [m]);
  expect((await s.admin<Record<string, any>>(STATE, { id: m })).member.tier.code).toBe('BRONZE');
  await s.sql(REVERSALS_ON.replace('where counts_from is not null', `where counts_from is not null and member_id = '${m}'`));
  await s.sql(MEMBER_COUNTERS);
  await s.sql(REBUILDS_QUEUED);
  expect(await s.sql('select from_at from tier_rebuild where member_id = $1', [m])).toHaveLength(1);
}

/** The next tier review run: the member's queued rebuild gives it its upgrade at `at`, and the queue is empty. */
async function reviewGivesUpgradeAt(m: string, at: string): Promise<void> {
  await s.admin(`mutation($a: DateTime!) { runTierReview(asOf: $a) { processed } }`, { a: new Date().toISOString() });
  const st = await s.admin<Record<string, any>>(STATE, { id: m });
  expect(st.member.tier.code).toBe('SILVER');
  expect(st.member.tierHistory).toEqual([{ kind: 'UPGRADE', toTier: { code: 'SILVER' }, occurredAt: at }]);
  expect(await s.sql('select 1 from tier_rebuild')).toEqual([]);
  await expectLedgerConsistent(s);
}

it("the members whose upgrade the old rule took away get it back at the next tier review (the migration queues their rebuild)", async () => {
  const m = await registerMember(s, { joinedAt: '2025-01-01T00:00:00.000Z' });
  const at = new Date(Date.now() - 10 * 24 * 3600_000).toISOString();
  await gql(PURCHASE, { i: { memberId: m, orderId: 'rb-1', amount: 1200, occurredAt: at } });
  await gql(REFUND, { i: { orderId: 'rb-1', refundId: 'rb-1-r', amount: 500, occurredAt: at } });
  // As the old rule left it: the upgrade superseded. The migration, then the next review run.
  await oldRuleThenMigration(m, 'superseded');
  await reviewGivesUpgradeAt(m, at);
});

it('an exchange at a till (a refund and a purchase in the same second) upgrades as the new rule says; a member the old rule left without that upgrade is queued and gets it', async () => {
  const m = await registerMember(s, { joinedAt: '2025-01-01T00:00:00.000Z' });
  const t0 = new Date(Date.now() - 20 * 24 * 3600_000).toISOString();
  const at = new Date(Date.now() - 10 * 24 * 3600_000).toISOString();
  await gql(PURCHASE, { i: { memberId: m, orderId: 'ex-a', amount: 900, occurredAt: t0 } });
  await gql(REFUND, { i: { orderId: 'ex-a', refundId: 'ex-a-r', amount: 300, occurredAt: at } });
  const b = await gql(PURCHASE, { i: { memberId: m, orderId: 'ex-b', amount: 400, occurredAt: at } });
  // 900 − 300 counted only after the refund's instant: at it, 900 + 400 reach Silver's 1000.
  expect(b.recordPurchase.tierChange).toMatchObject({ kind: 'UPGRADE', toTier: { code: 'SILVER' } });
  // As the old rule left it: the upgrade never recorded.
  await oldRuleThenMigration(m, 'never recorded');
  await reviewGivesUpgradeAt(m, at);
});

it('a queued rebuild that fails stays queued and holds up neither the others nor the review', async () => {
  const broken = await registerMember(s);
  const m = await registerMember(s, { joinedAt: '2025-01-01T00:00:00.000Z' });
  const at = new Date(Date.now() - 10 * 24 * 3600_000).toISOString();
  await gql(PURCHASE, { i: { memberId: m, orderId: 'rbf-1', amount: 1200, occurredAt: at } });
  await gql(REFUND, { i: { orderId: 'rbf-1', refundId: 'rbf-1-r', amount: 500, occurredAt: at } });
  await oldRuleThenMigration(m, 'superseded');
  // A row no rebuild can take (an instant past every date): its rebuild throws.
  await s.sql(`insert into tier_rebuild (member_id, from_at) values ($1, 'infinity')`, [broken]);
  await s.admin(`mutation($a: DateTime!) { runTierReview(asOf: $a) { processed } }`, { a: new Date().toISOString() });
  const st = await s.admin<Record<string, any>>(STATE, { id: m });
  expect(st.member.tier.code).toBe('SILVER');
  expect(await s.sql('select member_id::text as id from tier_rebuild')).toEqual([{ id: broken }]);
  await s.sql('delete from tier_rebuild');
});
