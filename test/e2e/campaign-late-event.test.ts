// A campaign stops giving at its end. A store back end's late purchase, dated inside the window
// but recorded after its end, got the award while the nightly job had not yet marked the
// campaign ENDED (ENDS_AT), and nothing once it had: what a write gets depended on when the job
// ran (domain.md, "Time"). Found by probes/ends-at-job.mjs.
import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  await createLadder(s);
});
afterAll(() => s?.stop());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('a late purchase dated inside an ended window gets nothing, whether or not the job has ended the campaign', async () => {
  const start = Date.now() - 3600_000, end = Date.now() + 1500;
  for (const code of ['LATE_NO_JOB', 'LATE_JOB']) {
    await s.admin(`mutation($i: CampaignInput!) { upsertCampaign(input: $i) { code } }`, {
      i: { code, name: code, trigger: 'PURCHASE', startsAt: new Date(start).toISOString(), endsAt: new Date(end).toISOString(), bonusPoints: 9, controlPercent: 0, audience: { regions: [code] } },
    });
    await s.admin(`mutation($c: String!) { activateCampaign(code: $c) { status } }`, { c: code });
  }
  const noJob = await registerMember(s, { externalId: 'late-1', region: 'LATE_NO_JOB' });
  const job = await registerMember(s, { externalId: 'late-2', region: 'LATE_JOB' });
  const inWindow = (memberId: string, orderId: string) => s.admin(`mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { bonusPoints } }`,
    { i: { memberId, orderId, amount: 10, occurredAt: new Date(start + 60_000).toISOString() } }).then((d) => d.recordPurchase.bonusPoints);
  expect(await inWindow(noJob, 'late-before-end')).toBe(9); // recorded while the campaign runs: given
  await sleep(Math.max(0, end - Date.now()) + 200);
  expect(await inWindow(noJob, 'late-after-end')).toBe(0); // the job has not run: ACTIVE still, but its end has passed
  await s.admin(`mutation($a: DateTime!) { reevaluateCampaigns(asOf: $a) { changed } }`, { a: new Date().toISOString() });
  expect(await inWindow(job, 'late-after-job')).toBe(0);
  const c = await s.admin(`{ a: campaign(code: "LATE_NO_JOB") { pointsGiven status endedReason } b: campaign(code: "LATE_JOB") { pointsGiven status endedReason } }`);
  expect(c).toEqual({ a: { pointsGiven: 9, status: 'ENDED', endedReason: 'ENDS_AT' }, b: { pointsGiven: 0, status: 'ENDED', endedReason: 'ENDS_AT' } });
});
