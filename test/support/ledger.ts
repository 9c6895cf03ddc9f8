import type { TestServer } from './harness';
import { minusMonths } from '../../src/db/months';

/**
 * balance = Σ remainders of the live lots = Σ signed transactions, for every member with an
 * account. A lot is live while its expiry is after the account's expiry watermark.
 */
export async function ledgerInvariants(s: TestServer): Promise<{ memberId: string; balance: number; lots: number; txns: number }[]> {
  return s.sql(`
    select a.member_id as "memberId", a.balance,
      coalesce((select sum(remaining) from point_lot l where l.member_id = a.member_id
        and coalesce(l.expires_at, 'infinity') > coalesce(a.expired_through, '-infinity')), 0)::int as lots,
      coalesce((select sum(amount) from point_transaction t where t.member_id = a.member_id), 0)::int as txns
    from point_account a`);
}

export async function expectLedgerConsistent(s: TestServer, allowNegative = false) {
  const rows = await ledgerInvariants(s);
  for (const r of rows) {
    expect({ ...r, lots: r.lots, txns: r.txns }).toEqual({ ...r, lots: r.balance, txns: r.balance });
    if (!allowNegative) expect(r.balance).toBeGreaterThanOrEqual(0);
  }
  // balance_after of the newest transaction is the account balance
  const drift = await s.sql(`
    select a.member_id from point_account a
    join lateral (select balance_after from point_transaction t where t.member_id = a.member_id order by id desc limit 1) last on true
    where last.balance_after <> a.balance`);
  expect(drift).toEqual([]);
  // The expiry run's floor: below it, no live lot holds points unless it was written late
  // (already expired), which the run looks for apart.
  const missed = await s.sql(`
    select l.id from point_lot l join point_account a on a.member_id = l.member_id
    where l.remaining > 0 and not l.late and l.expires_at <= (select expired_through from point_expiry)
      and l.expires_at > coalesce(a.expired_through, '-infinity')`);
  expect(missed).toEqual([]);
}

export const PURCHASE = `mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) {
  pointsEarned qualifyingPointsEarned member { id pointsBalance } transaction { id type amount balanceAfter reference expiresAt occurredAt } } }`;
export const REFUND = `mutation($input: RefundPurchaseInput!) { refundPurchase(input: $input) {
  pointsEarned qualifyingPointsEarned transaction { id type amount balanceAfter } } }`;
export const ADJUST = `mutation($input: AdjustPointsInput!) { adjustPoints(input: $input) { id type amount balanceAfter reason } }`;
export const POINTS = `query($id: ID!) { member(id: $id) { pointsBalance pendingPoints lifetimePoints expiringPoints(withinDays: 30) } }`;

/**
 * Members whose window counters (kept on the member row by every qualifying write, read by the
 * tier review) disagree with their ledger: the points in the window that ends at their tier
 * expiry (counting by then: a refund's reversal counts from the refund on), those dated after
 * it, the latest instant any counts from. Empty when all agree.
 */
export async function windowCounterDrift(s: TestServer): Promise<unknown[]> {
  return s.sql(`
    select m.id, m.window_points, m.points_after_expiry, m.last_qualifying_at, l.w, l.a, l.last
    from member m cross join lateral (
      select coalesce(sum(q.points) filter (where q.occurred_at <= m.tier_expires_at and coalesce(q.counts_from, q.occurred_at) <= m.tier_expires_at
          and q.occurred_at > ${minusMonths('m.tier_expires_at', 'm.window_points_months')}), 0)::int as w,
        coalesce(sum(q.points) filter (where q.occurred_at > m.tier_expires_at), 0)::int as a, max(coalesce(q.counts_from, q.occurred_at)) as last
      from qualifying_entry q where q.member_id = m.id) l
    where m.last_qualifying_at is distinct from l.last
      or (m.window_points_months is not null and (m.window_points <> l.w or m.points_after_expiry <> l.a))`);
}
