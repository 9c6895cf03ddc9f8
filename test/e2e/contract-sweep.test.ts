import { expectError, startTestServer, type TestServer } from '../support/harness';
import { createLadder } from '../support/fixtures';
import { eventually } from '../support/wait';

// Defects found by the contract sweep (audit/sweep.mjs: every root field, every field of its
// result, every role), each reproduced here as a client meets it.
let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  await createLadder(s);
});
afterAll(() => s?.stop());

const REGISTER = `mutation($i: RegisterMemberInput!) { registerMember(input: $i) { id pointsBalance } }`;

describe('campaign totals past 2^31', () => {
  it('pointsGiven, the report and the simulation answer a campaign that gave more than 2,147,483,647 points in all', async () => {
    // A registration bonus without a budget: each member's points fit in its Int, their sum does not.
    const startsAt = new Date(Date.now() - 60_000).toISOString();
    await s.admin(`mutation($i: CampaignInput!) { upsertCampaign(input: $i) { code } }`, {
      i: { code: 'welcome-big', name: 'Welcome', trigger: 'REGISTRATION', startsAt, bonusPoints: 1_100_000_000, controlPercent: 0 },
    });
    await s.admin(`mutation { activateCampaign(code: "welcome-big") { status } }`);
    for (const externalId of ['big-1', 'big-2']) {
      expect((await s.admin(REGISTER, { i: { externalId } })).registerMember.pointsBalance).toBe(1_100_000_000);
    }
    const token = await s.token('admin');
    const one = await s.gql(`{ campaign(code: "welcome-big") { pointsGiven } campaigns { code pointsGiven } }`, {}, token);
    expect(one.errors).toBeUndefined();
    expect(one.data?.campaign.pointsGiven).toBe(2_200_000_000);
    expect(one.data?.campaigns).toEqual([{ code: 'welcome-big', pointsGiven: 2_200_000_000 }]);
    const report = await s.gql(`{ campaignReport(code: "welcome-big") { cost campaign { pointsGiven } } }`, {}, token);
    expect(report.errors).toBeUndefined();
    expect(report.data?.campaignReport).toEqual({ cost: 22_000_000, campaign: { pointsGiven: 2_200_000_000 } });

    const sim = await s.gql(`query($i: CampaignInput!, $from: DateTime!, $to: DateTime!) {
      simulateCampaign(input: $i, from: $from, to: $to) { eligibleMembers qualifyingEvents pointsWouldGive costWouldBe } }`, {
      i: { code: 'welcome-sim', name: 'Sim', trigger: 'REGISTRATION', startsAt, bonusPoints: 2_147_483_647, controlPercent: 0 },
      from: startsAt, to: new Date(Date.now() + 1000).toISOString(),
    }, token);
    expect(sim.errors).toBeUndefined();
    expect(sim.data?.simulateCampaign).toEqual({ eligibleMembers: 2, qualifyingEvents: 2, pointsWouldGive: 4_294_967_294, costWouldBe: 42_949_672.94 });
    await s.admin(`mutation { endCampaign(code: "welcome-big") { status } }`); // the later tests' members join without it
  });
});


describe('an orderId as a purchases file reads it', () => {
  const PURCHASE = `mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned member { pointsBalance } } }`;

  it('recordPurchase refuses an orderId with white space at its edges (an earn-mode file naming the order trimmed recorded it a second time)', async () => {
    const memberId = (await s.admin(REGISTER, { i: { externalId: 'orders-1' } })).registerMember.id;
    const token = await s.token('service');
    for (const orderId of ['ord-edge-1 ', ' ord-edge-1', '\tord-edge-1', 'ord-edge-1\n']) {
      expectError(await s.gql(PURCHASE, { i: { memberId, orderId, amount: 100 } }, token), 'BAD_USER_INPUT', 'orderId');
    }
    const stored = await s.sql(`select order_id from purchase where member_id = $1`, [memberId]);
    expect(stored).toEqual([]);
    // Spaces inside the key are the brand's own and stay.
    const ok = await s.gql(PURCHASE, { i: { memberId, orderId: 'store 12 / till 3 / 881', amount: 100 } }, token);
    expect(ok.errors).toBeUndefined();
    expect(ok.data?.recordPurchase).toEqual({ pointsEarned: 100, member: { pointsBalance: 100 } });
  });
});

describe('an imported order can be refunded through the API', () => {
  it('a purchases file refuses an orderId longer than the 200 characters refundPurchase takes (it was imported, then no refund could name it)', async () => {
    await s.admin(REGISTER, { i: { externalId: 'orders-2' } });
    const at = new Date(Date.now() - 3_600_000).toISOString();
    const long = `long-${'x'.repeat(200)}`;
    const fits = `fits-${'y'.repeat(195)}`;
    const res = await fetch(`${s.url}/imports/purchases?mode=earn`, {
      method: 'POST', headers: { 'content-type': 'text/csv', authorization: `Bearer ${await s.token('admin')}` },
      body: `orderId,externalId,amount,occurredAt\n${long},orders-2,100.00,${at}\n${fits},orders-2,50.00,${at}\n`,
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    let job: any;
    await eventually(async () => {
      job = (await s.admin(`query($id: ID!) { importJob(id: $id) { status rowsDone rowsRejected errors { line message } } }`, { id })).importJob;
      return job.status !== 'RUNNING';
    }, 'the import to end');
    expect(job).toEqual({ status: 'SUCCEEDED', rowsDone: 1, rowsRejected: 1, errors: [{ line: 2, message: 'orderId must be at most 200 characters' }] });
    expect(await s.sql(`select order_id from purchase where order_id like 'long-%'`)).toEqual([]);
    // The one that fits is refunded by its id, as the store's back end names it.
    const refund = await s.gql(`mutation($i: RefundPurchaseInput!) { refundPurchase(input: $i) { pointsEarned } }`,
      { i: { orderId: fits, refundId: 'fits-r', amount: 50 } }, await s.token('service'));
    expect(refund.errors).toBeUndefined();
    expect(refund.data?.refundPurchase.pointsEarned).toBe(-50);
  });
});

describe('referral totals past 2^31', () => {
  it('referralStats answers a pointsGiven beyond 2,147,483,647 (the sum over a period\'s completions)', async () => {
    const referrer = (await s.admin(REGISTER, { i: { externalId: 'ref-big' } })).registerMember.id;
    const code = (await s.admin(`query($id: ID!) { member(id: $id) { referralCode } }`, { id: referrer })).member.referralCode;
    const referees: string[] = [];
    for (const externalId of ['ref-big-1', 'ref-big-2']) {
      referees.push((await s.admin(REGISTER, { i: { externalId, referralCode: code } })).registerMember.id);
    }
    // Two completions standing for a large programme's period (each row's points within its int column).
    await s.sql(`update referral set status = 'COMPLETED', completed_at = now(), referrer_points = 1000000000, referee_points = 200000000
      where referee_id = any($1::uuid[])`, [referees]);
    const from = new Date(Date.now() - 86_400_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const res = await s.gql(`query($from: DateTime!, $to: DateTime!) { referralStats(from: $from, to: $to) { registered completed pointsGiven referrers } }`,
      { from, to }, await s.token('admin'));
    expect(res.errors).toBeUndefined();
    expect(res.data?.referralStats).toEqual({ registered: 2, completed: 2, pointsGiven: 2_400_000_000, referrers: 1 });
  });
});
