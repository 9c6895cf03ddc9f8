// An install upgraded from a version before Migration20261222090000_campaign_pauses: campaigns
// gave by their status at the write. After the upgrade a campaign paused then is paused from
// its last pause (the audit log's `campaign.pause`), and every campaign gives by the event's
// instant: a late purchase dated before an end, or before the pause, gets the award.
import { EFFECTS_GATED } from '../../migrations/Migration20261221090000_campaign_budget_gate';
import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';
import { applyPendingMigrations } from '../support/migrations';

const MIGRATION = 'Migration20261222090000_campaign_pauses';
const HOUR = 3600_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  await createLadder(s);
});
afterAll(() => s?.stop());

let orders = 0;
const buy = (memberId: string, at: number) => s.admin(`mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { bonusPoints } }`,
  { i: { memberId, orderId: `upg-${++orders}`, amount: 10, occurredAt: new Date(at).toISOString() } }).then((d) => d.recordPurchase.bonusPoints as number);

it('a campaign paused or ended before the upgrade gives to late events dated while it gave, and nothing to those dated after', async () => {
  const start = Date.now() - HOUR;
  for (const code of ['UPG_PAUSED', 'UPG_ENDED', 'UPG_ACTIVE']) {
    await s.admin(`mutation($i: CampaignInput!) { upsertCampaign(input: $i) { code } }`, {
      i: { code, name: code, trigger: 'PURCHASE', startsAt: new Date(start).toISOString(), bonusPoints: 7, controlPercent: 0, audience: { regions: [code] } },
    });
    await s.admin(`mutation($c: String!) { activateCampaign(code: $c) { status } }`, { c: code });
  }
  const before = Date.now();
  await sleep(20);
  await s.admin('mutation { pauseCampaign(code: "UPG_PAUSED") { status } endCampaign(code: "UPG_ENDED") { status } }');
  await sleep(20);
  const after = Date.now();
  // As the version before left the database: no column, its campaign_effects, no migration recorded.
  await s.sql(EFFECTS_GATED);
  await s.sql('alter table campaign drop column paused');
  await s.sql('delete from mikro_orm_migrations where name = $1', [MIGRATION]);
  expect(await applyPendingMigrations(s.databaseUrl)).toEqual([MIGRATION]);
  for (const code of ['UPG_PAUSED', 'UPG_ENDED', 'UPG_ACTIVE']) {
    const m = await registerMember(s, { externalId: `upg-${code}`, region: code });
    expect([code, await buy(m, before), await buy(m, after)]).toEqual([code, 7, code === 'UPG_ACTIVE' ? 7 : 0]);
  }
  // The paused one resumes from now on: what is dated in its pause stays without an award.
  await s.admin('mutation { activateCampaign(code: "UPG_PAUSED") { status } }');
  const m = await registerMember(s, { externalId: 'upg-resumed', region: 'UPG_PAUSED' });
  expect([await buy(m, after), await buy(m, Date.now())]).toEqual([0, 7]);
});
