// An install upgraded from a version with campaigns (before Migration20261211090000_award_sources_and_recovery):
// the awards refunds had reversed after their members spent them hold unrecovered_points = 0 and
// their campaigns' budgets got the spent points back. Migration20261216090000_award_unrecovered_backfill
// fills the figure from the ledger and counts those budgets again.
import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';
import { applyPendingMigrations } from '../support/migrations';

const BACKFILL = 'Migration20261216090000_award_unrecovered_backfill';
let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  await createLadder(s);
});
afterAll(() => s?.stop());

const PURCHASE = 'mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { bonusPoints } }';
const REFUND = 'mutation($i: RefundPurchaseInput!) { refundPurchase(input: $i) { bonusPoints } }';
const ADJUST = 'mutation($i: AdjustPointsInput!) { adjustPoints(input: $i) { amount } }';

async function figures(code: string) {
  const { campaign } = await s.admin<{ campaign: { id: string; pointsGiven: number } }>('query($c: String!) { campaign(code: $c) { id pointsGiven } }', { c: code });
  const [{ remaining }] = await s.sql<{ remaining: number }>(
    'select coalesce(sum(remaining), 0)::int as remaining from campaign_budget where campaign_id = $1', [campaign.id]);
  const awards = await s.sql<{ reversed: number; unrecovered: number }>(
    'select reversed_points as reversed, unrecovered_points as unrecovered from campaign_award where campaign_id = $1 order by id', [campaign.id]);
  return { pointsGiven: campaign.pointsGiven, remaining, awards };
}

it('fills unrecovered_points of the reversals made before the column, and gives their budget back only what came back', async () => {
  const since = new Date(Date.now() - 90 * 86_400_000).toISOString();
  await s.admin(`mutation { upsertCampaign(input: { code: "OLD_BONUS", name: "Old bonus", trigger: PURCHASE, startsAt: "${since}",
    bonusPoints: 500, budgetPoints: 3000, controlPercent: 0 }) { code } }`);
  await s.admin('mutation { activateCampaign(code: "OLD_BONUS") { status } }');
  const at = new Date(Date.now() - 60 * 86_400_000).toISOString();
  // Three members: one spends everything and is refunded in full, one spends everything and is
  // refunded half, one keeps the points and is refunded in full.
  const cases = [{ spend: true, refund: 200 }, { spend: true, refund: 100 }, { spend: false, refund: 200 }];
  for (const [k, c] of cases.entries()) {
    const m = await registerMember(s, { externalId: `old-${k}` });
    expect((await s.admin(PURCHASE, { i: { memberId: m, orderId: `old-o${k}`, amount: 200, occurredAt: at } })).recordPurchase.bonusPoints).toBe(500);
    if (c.spend) await s.admin(ADJUST, { i: { memberId: m, amount: -700, reason: 'spent at the till', idempotencyKey: `old-spend-${k}` } });
    await s.admin(REFUND, { i: { orderId: `old-o${k}`, refundId: `old-r${k}`, amount: c.refund } });
  }
  const now = await figures('OLD_BONUS');
  expect(now).toEqual({
    pointsGiven: 1000, remaining: 2000,
    awards: [{ reversed: 500, unrecovered: 500 }, { reversed: 250, unrecovered: 250 }, { reversed: 500, unrecovered: 0 }],
  });

  // The same rows as a version before the column wrote them: the first two awards' unrecovered_points
  // at 0 (the third was written since, and stays), the budget given back everything reversed.
  const [{ id }] = await s.sql<{ id: string }>(`select id::text from campaign where code = 'OLD_BONUS'`);
  const firstTwo = await s.sql<{ id: string }>('select id::text from campaign_award where campaign_id = $1 order by id limit 2', [id]);
  await s.sql('update campaign_award set unrecovered_points = 0 where id = any($1::bigint[])', [firstTwo.map((a) => a.id)]);
  await s.sql('select campaign_budget_reset($1)', [id]);
  await s.sql('delete from mikro_orm_migrations where name = $1', [BACKFILL]);
  expect(await figures('OLD_BONUS')).toMatchObject({ pointsGiven: 250, remaining: 2750 });

  // The upgrade: the pending migration applies.
  expect(await applyPendingMigrations(s.databaseUrl)).toEqual([BACKFILL]);
  expect(await figures('OLD_BONUS')).toEqual(now);
  // Applied again on figures already right (a repair run twice, or rows written since), it changes nothing.
  await s.sql('delete from mikro_orm_migrations where name = $1', [BACKFILL]);
  expect(await applyPendingMigrations(s.databaseUrl)).toEqual([BACKFILL]);
  expect(await figures('OLD_BONUS')).toEqual(now);
});
