// An install upgraded from a version before Migration20261202080000_order_independence: its
// purchases have no earned_tier_id, and a rebuild of the tier history never re-rated them (the
// rebuild's filter was null, not true, for them). Migration20261216100000_purchase_earned_tier_backfill
// gives them the tier their history held at their instant: the same facts give the same balance
// whether the purchases were recorded before the upgrade or after it.
import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';
import { applyPendingMigrations } from '../support/migrations';

const BACKFILL = 'Migration20261216100000_purchase_earned_tier_backfill';
let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  await createLadder(s);
});
afterAll(() => s?.stop());

const PURCHASE = 'mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned tierChange { kind } } }';
const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString();
const member = (id: string) => s.admin<{ member: { pointsBalance: number; lifetimePoints: number; tier: { code: string } } }>(
  'query($id: ID!) { member(id: $id) { pointsBalance lifetimePoints tier { code } } }', { id }).then((d) => d.member);

it('re-rates the purchases recorded before the upgrade as it re-rates those recorded after it', async () => {
  const before = await registerMember(s, { externalId: 'recorded-before' });
  const after = await registerMember(s, { externalId: 'recorded-after' });
  for (const id of [before, after]) {
    for (const [k, days] of [30, 20, 10].entries()) {
      expect((await s.admin(PURCHASE, { i: { memberId: id, orderId: `${id}-${k}`, amount: 100, occurredAt: daysAgo(days) } })).recordPurchase)
        .toEqual({ pointsEarned: 100, tierChange: null });
    }
  }
  // As a version before order_independence wrote them: no earning tier (and no source).
  await s.sql('update purchase set earned_tier_id = null, points_per_unit = null where member_id = $1', [before]);
  await s.sql('delete from mikro_orm_migrations where name = $1', [BACKFILL]);

  // The upgrade: the pending migration applies.
  await applyPendingMigrations(s.databaseUrl);
  // A purchase dated before them that makes the member GOLD from then on: the three earn again at GOLD (×1.5).
  for (const id of [before, after]) {
    expect((await s.admin(PURCHASE, { i: { memberId: id, orderId: `${id}-big`, amount: 5000, occurredAt: daysAgo(40) } })).recordPurchase)
      .toEqual({ pointsEarned: 5000, tierChange: { kind: 'UPGRADE' } });
  }
  const expected = { pointsBalance: 5000 + 3 * 150, lifetimePoints: 5000 + 3 * 150, tier: { code: 'GOLD' } };
  expect(await member(after)).toEqual(expected);
  expect(await member(before)).toEqual(expected);
  const [gold] = await s.sql<{ id: string }>(`select id::text from tier where code = 'GOLD'`);
  expect(await s.sql(`select distinct earned_tier_id::text as tier from purchase where member_id = $1 and order_id <> $2`, [before, `${before}-big`]))
    .toEqual([{ tier: gold.id }]);
});
