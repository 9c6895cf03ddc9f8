// A budget lowered while awards are being given. The edit's check ("a budget cannot fall below
// what it has paid") read what was paid before the awards running then had committed: the budget
// ended below what they paid (found by probes/budget-edit-race.mjs: 300 set while 420 were paid, the budget's slots then empty).
// An award in flight is played here by a session of the test's own that takes from a budget slot
// and records its award, as campaign_effects does, and commits only after the edit was sent.
import { Client } from 'pg';
import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  await createLadder(s);
});
afterAll(() => s?.stop());

const CAMPAIGN = `query($c: String!) { campaign(code: $c) { budgetPoints budgetSpent status } }`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('a budget lowered below what awards running at that moment pay is refused, never overspent', async () => {
  const input = { code: 'LOWERED', name: 'Lowered', trigger: 'PURCHASE', startsAt: new Date(Date.now() - 3600_000).toISOString(), bonusPoints: 30, budgetPoints: 3000, controlPercent: 0 };
  await s.admin(`mutation($i: CampaignInput!) { upsertCampaign(input: $i) { code } }`, { i: input });
  await s.admin(`mutation { activateCampaign(code: "LOWERED") { status } }`);
  const m = await registerMember(s, { externalId: 'lowered-1' });
  await s.admin(`mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { bonusPoints } }`, { i: { memberId: m, orderId: 'lowered-o1', amount: 10 } });
  expect((await s.admin(CAMPAIGN, { c: 'LOWERED' })).campaign).toMatchObject({ budgetSpent: 30 });

  const inFlight = new Client({ connectionString: s.databaseUrl });
  await inFlight.connect();
  try {
    await inFlight.query('begin');
    const [{ id }] = (await inFlight.query(`select id::text from campaign where code = 'LOWERED'`)).rows;
    // from the fullest slot: slot 0 held 64 when the first purchase's member hashed there (1 run in 32)
    await inFlight.query(`update campaign_budget set remaining = remaining - 80 where campaign_id = $1
      and slot = (select slot from campaign_budget where campaign_id = $1 order by remaining desc, slot limit 1)`, [id]);
    await inFlight.query(`insert into campaign_award (campaign_id, member_id, source, occurred_at, points) values ($1, $2, 'purchase:in-flight', now(), 80)`, [id, m]);
    // The admin lowers the budget to 100 while that award (80) is being given: 110 will have been paid.
    const edit = s.gql(`mutation($i: CampaignInput!) { upsertCampaign(input: $i) { budgetPoints } }`, { i: { ...input, budgetPoints: 100 } }, await s.token('admin'));
    await sleep(300);
    await inFlight.query('commit');
    const r = await edit;
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'budgetPoints' });
  } finally {
    await inFlight.end();
  }
  const c = (await s.admin(CAMPAIGN, { c: 'LOWERED' })).campaign;
  expect(c).toEqual({ budgetPoints: 3000, budgetSpent: 110, status: 'ACTIVE' });
  // and a budget at or above what was paid is taken
  const ok = await s.admin(`mutation($i: CampaignInput!) { upsertCampaign(input: $i) { budgetPoints } }`, { i: { ...input, budgetPoints: 560 } });
  expect(ok.upsertCampaign.budgetPoints).toBe(560);
  const [slots] = await s.sql<{ remaining: number }>(`select sum(remaining)::int as remaining from campaign_budget b join campaign c on c.id = b.campaign_id where c.code = 'LOWERED'`);
  expect(slots.remaining).toBe(450);
});
