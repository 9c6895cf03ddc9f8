// A late (backdated) purchase dated inside a campaign's window, posted after the window closed:
// does what it gets depend on whether the nightly job has ended the campaign yet? (domain.md, "Time")
import { ADMIN, SERVICE, gql } from './lib.mjs';
const RUN = Date.now().toString(36).slice(-5);
const iso = (t) => new Date(t).toISOString();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
for (const c of (await gql(ADMIN, `{ campaigns { code status } }`)).campaigns)
  if (c.status === 'ACTIVE' || c.status === 'PAUSED') await gql(ADMIN, `mutation($c: String!) { endCampaign(code: $c) { status } }`, { c: c.code });
const out = {};
for (const jobRan of [false, true]) {
  const code = `UE${jobRan ? 'J' : 'N'}${RUN}`;
  const start = Date.now() - 3600000, end = Date.now() + 1500;
  await gql(ADMIN, `mutation($i: CampaignInput!) { upsertCampaign(input: $i) { code } }`, { i: { code, name: code, trigger: 'PURCHASE', startsAt: iso(start), endsAt: iso(end), bonusPoints: 9, controlPercent: 0, audience: { regions: [`E${RUN}`] } } });
  await gql(ADMIN, `mutation { activateCampaign(code: "${code}") { status } }`);
  const m = (await gql(SERVICE, `mutation($i: RegisterMemberInput!) { registerMember(input: $i) { id } }`, { i: { externalId: `e${RUN}-${jobRan}`, region: `E${RUN}` } })).registerMember.id;
  await sleep(2500);
  if (jobRan) await gql(ADMIN, `mutation($a: DateTime!) { reevaluateCampaigns(asOf: $a) { processed changed } }`, { a: iso(Date.now()) });
  const r = await gql(SERVICE, `mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { bonusPoints } }`, { i: { memberId: m, orderId: `e${RUN}-${jobRan}`, amount: 10, occurredAt: iso(start + 60000) } });
  const c = (await gql(ADMIN, `{ campaign(code: "${code}") { status endedReason pointsGiven } }`)).campaign;
  out[jobRan ? 'job ran' : 'job not run'] = { bonusPoints: r.recordPurchase.bonusPoints, campaign: c };
}
console.log(JSON.stringify(out));
console.log(out['job ran'].bonusPoints === out['job not run'].bonusPoints ? 'ok the same whenever the job runs' : 'FINDING the late purchase\'s award depends on whether the job ran');
