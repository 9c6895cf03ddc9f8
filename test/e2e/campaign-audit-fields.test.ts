// The audit log of a campaign's edits names its fields as the API does and shows them in the
// operator's units: minAmount 49.5 (it read `minAmountCents: 4950`), multiplier 1.5 (it read "1.5").
import { startTestServer, type TestServer } from '../support/harness';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(() => s?.stop());

const UPSERT = `mutation($i: CampaignInput!) { upsertCampaign(input: $i) { code } }`;

it('campaign.create and campaign.update show minAmount and multiplier as the operator typed them', async () => {
  const input = { code: 'THRESHOLD', name: 'Threshold', trigger: 'PURCHASE', startsAt: new Date(Date.now() + 86400_000).toISOString(), minAmount: 49.5, multiplier: 1.5, controlPercent: 0 };
  await s.admin(UPSERT, { i: input });
  await s.admin(UPSERT, { i: { ...input, minAmount: 60, multiplier: 2.25 } });
  const { auditLog } = await s.admin<{ auditLog: { action: string; before: string | null; after: string }[] }>('{ auditLog(entity: "Campaign", first: 10) { action before after } }');
  const [update, create] = auditLog;
  expect(create.action).toBe('campaign.create');
  expect(JSON.parse(create.after)).toMatchObject({ minAmount: 49.5, multiplier: 1.5 });
  expect(JSON.parse(create.after)).not.toHaveProperty('minAmountCents');
  expect(update.action).toBe('campaign.update');
  expect(JSON.parse(update.before!)).toEqual({ status: 'DRAFT', changed: ['minAmount', 'multiplier'], minAmount: 49.5, multiplier: 1.5 });
  expect(JSON.parse(update.after)).toEqual({ status: 'DRAFT', changed: ['minAmount', 'multiplier'], minAmount: 60, multiplier: 2.25 });
});
