import { campaignIdOf, controlArm } from '../../src/modules/campaigns/campaigns.rules';
import { createLadder, registerMember } from '../support/fixtures';
import { expectError, startTestServer, type TestServer } from '../support/harness';

// campaignReport and simulateCampaign through the API, on small data sets whose figures are
// worked out by hand in the comments. Purchases and refunds go through the API; the campaign's
// arms and awards are written with SQL (what activation and the effects would write), so the
// report is checked on its own.
let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  await createLadder(s);
});
afterAll(() => s?.stop());
// The programme's default point value; the first test sets another one.
beforeEach(() => s.sql('update program set point_value = 0.01'));

const REPORT = `query($code: String!, $asOf: DateTime) { campaignReport(code: $code, asOf: $asOf) {
  campaign { code status pointsGiven } from to
  treatment { members buyers purchases gmv arpu purchaseRate }
  control { members buyers purchases gmv arpu purchaseRate }
  upliftArpu upliftArpuLow upliftArpuHigh upliftPurchaseRate incrementalGmv cost roi } }`;

const purchase = (memberId: string, orderId: string, amount: number, occurredAt: string) =>
  s.admin(`mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) { pointsEarned } }`, { input: { memberId, orderId, amount, occurredAt } });
const refund = (orderId: string, refundId: string, amount: number, occurredAt: string) =>
  s.admin(`mutation($input: RefundPurchaseInput!) { refundPurchase(input: $input) { pointsEarned } }`, { input: { orderId, refundId, amount, occurredAt } });

/**
 * A campaign row as upsertCampaign writes it (its id md5('campaign:' || code)) over [startsAt,
 * endsAt), ENDED at its end and never activated: the effects give nothing for it (to no event,
 * however dated), so the awards are the ones written here.
 */
async function campaign(code: string, startsAt: string, endsAt: string | null, extra: { controlPercent?: number } = {}) {
  const [row] = await s.sql<{ id: string }>(
    `insert into campaign (id, code, name, trigger, status, ended_reason, starts_at, ends_at, bonus_points, control_percent, activated_at, ended_at)
     values (md5('campaign:' || $1)::uuid, $1, $1, 'PURCHASE', 'ENDED', 'ADMIN', $2, $3, 100, $4, null, $3) returning id`,
    [code, startsAt, endsAt, extra.controlPercent ?? 10],
  );
  return row.id;
}
const assign = (campaignId: string, memberId: string, control: boolean, assignedAt: string) =>
  s.sql('insert into campaign_member (campaign_id, member_id, control, assigned_at) values ($1, $2, $3, $4)', [campaignId, memberId, control, assignedAt]);
const award = (campaignId: string, memberId: string, source: string, occurredAt: string, points: number, reversed = 0, rewardPoints = 0) =>
  s.sql(`insert into campaign_award (campaign_id, member_id, source, occurred_at, points, reversed_points, reward_points)
    values ($1, $2, $3, $4, $5, $6, $7)`, [campaignId, memberId, source, occurredAt, points, reversed, rewardPoints]);

/**
 * Twelve members registered by `register`, and more until at least two fall in the treatment arm
 * of `campaignId` at 50% and one in its control arm: arms hash campaign and member, and member
 * ids are random (12 alone missed that about once in 300 runs).
 */
async function membersInBothArms(campaignId: string, register: () => Promise<string>): Promise<string[]> {
  const ids = await Promise.all(Array.from({ length: 12 }, register));
  while (ids.filter((m) => !controlArm(campaignId, m, 50)).length < 2 || !ids.some((m) => controlArm(campaignId, m, 50))) ids.push(await register());
  return ids;
}

describe('campaignReport', () => {
  it('equals the report worked out by hand, and a refund in the window lowers GMV', async () => {
    const id = await campaign('JUNE', '2026-06-01T00:00:00Z', '2026-07-01T00:00:00Z');
    const [t1, t2, t3, t4, t5, c1, c2, c3, outsider] = await Promise.all(Array.from({ length: 9 }, () => registerMember(s)));
    const june1 = '2026-06-01T00:00:00Z';
    for (const m of [t1, t2, t3, t4]) await assign(id, m, false, june1);
    for (const m of [c1, c2, c3]) await assign(id, m, true, june1);
    await assign(id, t5, false, '2026-08-01T00:00:00Z'); // assigned after the window: not in the report

    // Treatment: t1 10.00 (and 3.00 refunded in full: a purchase, no spend); t2 buys only after
    // the window; t3 25.00 − 5.00 refunded, and 6.00 refunded in full after the window's end (a
    // return of what the campaign sold, as its award's reversal is out of the cost; a report as
    // of a date before the refund still counts it, below): 20.00; t4 nothing. t5 (assigned late) and outsider (no arm) are
    // not counted. Control: c1 5.00; c2 nothing; c3 only before the window.
    await purchase(t1, 'J-t1a', 10, '2026-06-05T10:00:00Z');
    await purchase(t1, 'J-t1b', 3, '2026-06-25T10:00:00Z');
    await refund('J-t1b', 'J-t1b-r', 3, '2026-06-26T10:00:00Z');
    await purchase(t1, 'J-t1-may', 50, '2026-05-31T23:59:59Z');
    await purchase(t2, 'J-t2', 30, '2026-07-02T10:00:00Z');
    await purchase(t3, 'J-t3a', 25, '2026-06-10T10:00:00Z');
    await refund('J-t3a', 'J-t3a-r', 5, '2026-06-15T10:00:00Z');
    await purchase(t3, 'J-t3b', 6, '2026-06-28T10:00:00Z');
    await refund('J-t3b', 'J-t3b-r', 6, '2026-07-10T10:00:00Z');
    await purchase(t5, 'J-t5', 100, '2026-06-10T10:00:00Z');
    await purchase(c1, 'J-c1', 5, '2026-06-07T10:00:00Z');
    await purchase(c3, 'J-c3', 40, '2026-05-20T10:00:00Z');
    await purchase(outsider, 'J-out', 70, '2026-06-10T10:00:00Z');

    // Awards: 100 + (200 − 40 reversed) points and a reward of 50 points in the window; one dated
    // after it is not counted. Cost = (260 + 50) × 0.02 = 6.20.
    await award(id, t1, 'purchase:J-t1a', '2026-06-05T10:00:00Z', 100);
    await award(id, t3, 'purchase:J-t3a', '2026-06-10T10:00:00Z', 200, 40, 50);
    await award(id, t2, 'purchase:J-t2', '2026-07-02T10:00:00Z', 999);
    await s.sql('update program set point_value = 0.02');

    // By hand. Treatment spends 10, 0, 20, 0: n₁ = 4, GMV 30, ARPU 7.5, 2 buyers of 4 (0.5), 4
    // purchases; s₁² = (4·500 − 30²)/(4·3) = 91.6667, v₁ = s₁²/4 = 22.9167.
    // Control spends 5, 0, 0: n₂ = 3, GMV 5, ARPU 1.6667, 1 buyer of 3, 1 purchase;
    // s₂² = (3·25 − 25)/(3·2) = 8.3333, v₂ = s₂²/3 = 2.7778.
    // Uplift 7.5 − 1.6667 = 5.8333; se = √(22.9167 + 2.7778) = 5.06897;
    // df = 25.6944² / (22.9167²/3 + 2.7778²/2) = 3.69003; t(0.975, 3.69003) = 2.87089 (scipy);
    // interval 5.8333 ∓ 14.5525 = [−8.7191, 20.3858].
    // Purchase rate uplift 0.5 − 0.3333 = 0.1667; incremental GMV 5.8333 × 4 = 23.3333;
    // ROI = (23.3333 − 6.20)/6.20 = 2.76344.
    const r = (await s.admin(REPORT, { code: 'JUNE' })).campaignReport;
    expect(r.campaign).toEqual({ code: 'JUNE', status: 'ENDED', pointsGiven: 100 + 160 + 999 });
    expect(r.from).toBe('2026-06-01T00:00:00.000Z');
    expect(r.to).toBe('2026-07-01T00:00:00.000Z');
    expect(r.treatment).toEqual({ members: 4, buyers: 2, purchases: 4, gmv: 30, arpu: 7.5, purchaseRate: 0.5 });
    expect(r.control.members).toBe(3);
    expect(r.control).toMatchObject({ buyers: 1, purchases: 1, gmv: 5 });
    expect(r.control.arpu).toBeCloseTo(5 / 3, 10);
    expect(r.control.purchaseRate).toBeCloseTo(1 / 3, 10);
    expect(r.upliftArpu).toBeCloseTo(5.833333, 5);
    expect(r.upliftArpuLow).toBeCloseTo(-8.719118, 5);
    expect(r.upliftArpuHigh).toBeCloseTo(20.385785, 5);
    expect(r.upliftPurchaseRate).toBeCloseTo(1 / 6, 10);
    expect(r.incrementalGmv).toBeCloseTo(23.333333, 5);
    expect(r.cost).toBe(6.2);
    expect(r.roi).toBeCloseTo(2.763441, 5);

    // A refund dated inside the window lowers GMV (and the uplift) by its amount; the effects
    // reverse t1's award pro rata (100 × 2/10 = 20), so the cost falls too: (80 + 160 + 50) × 0.02.
    await refund('J-t1a', 'J-t1a-r', 2, '2026-06-30T10:00:00Z');
    const after = (await s.admin(REPORT, { code: 'JUNE' })).campaignReport;
    expect(after.treatment).toEqual({ members: 4, buyers: 2, purchases: 4, gmv: 28, arpu: 7, purchaseRate: 0.5 });
    expect(after.upliftArpu).toBeCloseTo(7 - 5 / 3, 10);
    expect(after.cost).toBeCloseTo(5.8, 10);
    // As of 07-05, after the window's end and before t3's return of 07-10: that refund is not
    // known yet, so t3's 6.00 still counts (t1 8, t3 26).
    const before = (await s.admin(REPORT, { code: 'JUNE', asOf: '2026-07-05T00:00:00Z' })).campaignReport;
    expect(before.to).toBe('2026-07-01T00:00:00.000Z');
    expect(before.treatment).toEqual({ members: 4, buyers: 2, purchases: 4, gmv: 34, arpu: 8.5, purchaseRate: 0.5 });

    // asOf inside the window ends it there: by 06-08 only t1's 10.00 and c1's 5.00.
    const early = (await s.admin(REPORT, { code: 'JUNE', asOf: '2026-06-08T00:00:00Z' })).campaignReport;
    expect(early.to).toBe('2026-06-08T00:00:00.000Z');
    expect(early.treatment).toEqual({ members: 4, buyers: 1, purchases: 1, gmv: 10, arpu: 2.5, purchaseRate: 0.25 });
    expect(early.control).toMatchObject({ members: 3, buyers: 1, purchases: 1, gmv: 5 });
    expect(early.cost).toBeCloseTo(1.6, 10); // only t1's award by then (80 after the reversal, × 0.02: reversals carry no date)
  });

  it('gives no uplift, interval or ROI when an arm has fewer than 2 members', async () => {
    const id = await campaign('LONELY', '2026-06-01T00:00:00Z', '2026-07-01T00:00:00Z');
    const [a, b, c] = await Promise.all([registerMember(s), registerMember(s), registerMember(s)]);
    await assign(id, a, false, '2026-06-01T00:00:00Z');
    await assign(id, b, false, '2026-06-01T00:00:00Z');
    await assign(id, c, true, '2026-06-01T00:00:00Z');
    await purchase(a, 'L-a', 12.34, '2026-06-03T00:00:00Z');
    await award(id, a, 'purchase:L-a', '2026-06-03T00:00:00Z', 100);
    const r = (await s.admin(REPORT, { code: 'LONELY' })).campaignReport;
    expect(r.treatment).toEqual({ members: 2, buyers: 1, purchases: 1, gmv: 12.34, arpu: 6.17, purchaseRate: 0.5 });
    expect(r.control).toEqual({ members: 1, buyers: 0, purchases: 0, gmv: 0, arpu: 0, purchaseRate: 0 });
    expect([r.upliftArpu, r.upliftArpuLow, r.upliftArpuHigh, r.upliftPurchaseRate, r.incrementalGmv, r.roi]).toEqual([null, null, null, null, null, null]);
    expect(r.cost).toBe(1);

    // A campaign with no arms at all: empty arms, no ARPU.
    await campaign('EMPTY', '2026-06-01T00:00:00Z', null);
    const e = (await s.admin(REPORT, { code: 'EMPTY', asOf: '2026-06-02T00:00:00Z' })).campaignReport;
    expect(e.treatment).toEqual({ members: 0, buyers: 0, purchases: 0, gmv: 0, arpu: null, purchaseRate: null });
    expect(e.cost).toBe(0);
    expect(e.roi).toBeNull();
  });

  it('counts an award\'s cost only with its member: one dated before its member\'s arm (a purchase dated before the member joined) is not in a report that ends before the arm', async () => {
    const id = await campaign('JOINLATE', '2026-06-01T00:00:00Z', '2026-07-01T00:00:00Z');
    const [early, late] = [await registerMember(s), await registerMember(s)];
    await assign(id, early, false, '2026-06-01T00:00:00Z');
    // The late one joined on 06-20; its purchase of 06-05 was posted afterwards, its award dated at the purchase.
    await assign(id, late, false, '2026-06-20T00:00:00Z');
    await purchase(early, 'JL-e', 10, '2026-06-03T00:00:00Z');
    await purchase(late, 'JL-l', 20, '2026-06-05T00:00:00Z');
    await award(id, early, 'purchase:JL-e', '2026-06-03T00:00:00Z', 100);
    await award(id, late, 'purchase:JL-l', '2026-06-05T00:00:00Z', 300);
    const before = (await s.admin(REPORT, { code: 'JOINLATE', asOf: '2026-06-10T00:00:00Z' })).campaignReport;
    expect(before.treatment).toMatchObject({ members: 1, purchases: 1, gmv: 10 });
    expect(before.cost).toBe(1); // 100 × 0.01: the late member's 300 not without the member
    const all = (await s.admin(REPORT, { code: 'JOINLATE' })).campaignReport;
    expect(all.treatment).toMatchObject({ members: 2, purchases: 2, gmv: 30 });
    expect(all.cost).toBe(4);
  });

  it('of a campaign ended early (endCampaign, a spent budget) ends at its end: the purchases after it do not move it', async () => {
    const id = await campaign('EARLY', '2026-05-01T00:00:00Z', null);
    await s.sql(`update campaign set ended_at = '2026-05-10T00:00:00Z' where id = $1`, [id]);
    const [a, b] = [await registerMember(s), await registerMember(s)];
    for (const m of [a, b]) await assign(id, m, false, '2026-05-01T00:00:00Z');
    await purchase(a, 'early-1', 50, '2026-05-05T00:00:00Z');
    await purchase(b, 'early-2', 70, '2026-05-15T00:00:00Z'); // after the end
    const r = (await s.admin(REPORT, { code: 'EARLY' })).campaignReport;
    expect(r.to).toBe('2026-05-10T00:00:00.000Z');
    expect(r.treatment).toMatchObject({ members: 2, buyers: 1, purchases: 1, gmv: 50 });
    expect((await s.admin(REPORT, { code: 'EARLY', asOf: '2026-05-08T00:00:00Z' })).campaignReport.to).toBe('2026-05-08T00:00:00.000Z');
  });

  it('of a campaign ended while an award dated after the end was given keeps that award and its purchase (audit 107)', async () => {
    // A till's clock two minutes ahead (within the allowed skew) posts a purchase the running
    // campaign rewards; the admin ends the campaign right after, at the server's clock: the award
    // is dated after the end. Every award the campaign gave is in its report's cost, with its purchase.
    const startsAt = new Date(Date.now() - 3_600_000).toISOString();
    await s.admin(`mutation($input: CampaignInput!) { upsertCampaign(input: $input) { code } }`,
      { input: { code: 'RACED', name: 'Raced', trigger: 'PURCHASE', startsAt, bonusPoints: 100, controlPercent: 0 } });
    const member = await registerMember(s);
    await s.admin(`mutation { activateCampaign(code: "RACED") { status } }`);
    const ahead = new Date(Date.now() + 120_000).toISOString();
    await purchase(member, 'raced-1', 25, ahead);
    const ended = (await s.admin(`mutation { endCampaign(code: "RACED") { status endedAt pointsGiven } }`)).endCampaign;
    expect(ended).toMatchObject({ status: 'ENDED', pointsGiven: 100 });
    expect(new Date(ended.endedAt) < new Date(ahead)).toBe(true);
    const r = (await s.admin(REPORT, { code: 'RACED', asOf: new Date(Date.now() + 240_000).toISOString() })).campaignReport;
    expect(r.to).toBe(new Date(new Date(ahead).getTime() + 1).toISOString());
    expect(r.treatment).toMatchObject({ buyers: 1, purchases: 1, gmv: 25 });
    expect(r.cost).toBe(1); // 100 × 0.01: what pointsGiven says it gave
  });

  it('is for admins only and names an unknown campaign', async () => {
    expectError(await s.gql(REPORT, { code: 'NOPE' }, await s.token('admin')), 'NOT_FOUND');
    expectError(await s.gql(REPORT, { code: 'JUNE' }, await s.token('service')), 'FORBIDDEN');
  });
});

const SIMULATE = `query($input: CampaignInput!, $from: DateTime!, $to: DateTime!) { simulateCampaign(input: $input, from: $from, to: $to) {
  eligibleMembers qualifyingEvents pointsWouldGive costWouldBe } }`;

/** Row counts of every table a campaign or a purchase writes. */
const footprint = () => s.sql<Record<string, string>>(`select (select count(*) from campaign) as campaigns, (select count(*) from campaign_member) as arms,
  (select count(*) from campaign_award) as awards, (select count(*) from point_transaction) as transactions, (select count(*) from point_lot) as lots,
  (select count(*) from purchase) as purchases, (select count(*) from audit_entry) as audit, (select max(version) from config_version) as config`);

describe('simulateCampaign', () => {
  const SIM = {
    code: 'SIM', name: 'Simulated', trigger: 'PURCHASE', startsAt: '2026-06-01T00:00:00Z', audience: { regions: ['SIMNORTH'] },
    minAmount: 20, bonusPoints: 10, multiplier: 1.5, perMemberLimit: 2, budgetPoints: 100, controlPercent: 50,
  };
  const period = { from: '2026-06-01T00:00:00Z', to: '2026-07-01T00:00:00Z' };

  it('gives the points worked out by hand, within the per-member limit and the budget, and writes nothing', async () => {
    // Two treatment members and one control member of the audience (region SIMNORTH), by the
    // arm campaign SIM will give them (campaign_control with campaignIdOf('SIM'), 50%), and one
    // member outside it.
    const id = campaignIdOf('SIM');
    const ids = await membersInBothArms(id, () => registerMember(s));
    const [ta, tb] = ids.filter((m) => !controlArm(id, m, 50));
    const [c] = ids.filter((m) => controlArm(id, m, 50));
    const south = ids.find((m) => m !== ta && m !== tb && m !== c)!;
    await s.sql(`update member set region = 'SIMNORTH' where id = any($1::uuid[])`, [[ta, tb, c]]);
    await s.sql(`update member set region = 'SIMSOUTH' where id = $1`, [south]);

    await purchase(ta, 'S-ta-may', 50, '2026-05-31T12:00:00Z'); // before the period
    await purchase(ta, 'S-ta1', 30, '2026-06-02T12:00:00Z'); // 10 + floor(30 × 0.5) = 25 → spent 25
    await purchase(tb, 'S-tb1', 20, '2026-06-03T12:00:00Z'); // 10 + 10 = 20 → 45
    await purchase(c, 'S-c', 50, '2026-06-04T12:00:00Z'); // control: never
    await purchase(south, 'S-south', 50, '2026-06-04T12:00:00Z'); // not in the audience
    await purchase(ta, 'S-ta-small', 15, '2026-06-05T12:00:00Z'); // under minAmount
    await purchase(ta, 'S-ta2', 41, '2026-06-10T12:00:00Z'); // 10 + 20 = 30 → 75
    await purchase(tb, 'S-tb2', 60, '2026-06-15T12:00:00Z'); // 10 + 30 = 40: 115 > 100, the budget cannot cover it: the campaign ends
    await purchase(tb, 'S-tb3', 21, '2026-06-16T12:00:00Z'); // 20 would fit in 100 − 75, but the campaign has ended
    await purchase(ta, 'S-ta3', 100, '2026-06-20T12:00:00Z'); // ta's third: over perMemberLimit 2
    // Eligible 2 (ta, tb); qualifying 6 (ta1, tb1, ta2, tb2, tb3, ta3); points 25 + 20 + 30 = 75; cost 75 × 0.01.

    const before = await footprint();
    const r = (await s.admin(SIMULATE, { input: SIM, ...period })).simulateCampaign;
    expect(r).toEqual({ eligibleMembers: 2, qualifyingEvents: 6, pointsWouldGive: 75, costWouldBe: 0.75 });
    expect(await footprint()).toEqual(before);

    // Without the budget: each member's first two (ta1, ta2, tb1, tb2); ta3 and tb3 are over the limit.
    const unbudgeted = (await s.admin(SIMULATE, { input: { ...SIM, budgetPoints: null }, ...period })).simulateCampaign;
    expect(unbudgeted.pointsWouldGive).toBe(25 + 20 + 30 + 40);
    // Without the limit as well: all six (tb3: 10 + 10; ta3: 10 + 50).
    const unlimited = (await s.admin(SIMULATE, { input: { ...SIM, budgetPoints: null, perMemberLimit: null }, ...period })).simulateCampaign;
    expect(unlimited.pointsWouldGive).toBe(25 + 20 + 30 + 40 + 20 + 60);
    // With no control share, c is eligible too (its 50.00: 10 + 25 = 35).
    const noControl = (await s.admin(SIMULATE, { input: { ...SIM, budgetPoints: null, perMemberLimit: null, controlPercent: 0 }, ...period })).simulateCampaign;
    expect(noControl).toMatchObject({ eligibleMembers: 3, qualifyingEvents: 7, pointsWouldGive: 195 + 35 });
    expect(await footprint()).toEqual(before);
  });

  it('an ACTIVITY campaign does not count the activities the daily cap left with nothing (they earn no bonus); a 0-point rule\'s count', async () => {
    await s.admin('mutation { upsertActivityRule(input: { kind: "SIM_REVIEW", name: "Review", points: 5, dailyCap: 5 }) { kind } }');
    await s.admin('mutation { upsertActivityRule(input: { kind: "SIM_VISIT", name: "Visit", points: 0, qualifyingPoints: 2 }) { kind } }');
    const m = await registerMember(s, { joinedAt: '2026-03-01T00:00:00Z' });
    for (const [kind, key, at] of [['SIM_REVIEW', 'sr1', '2026-04-02T10:00:00Z'], ['SIM_REVIEW', 'sr2', '2026-04-02T11:00:00Z'], ['SIM_VISIT', 'sv1', '2026-04-03T10:00:00Z']]) {
      await s.admin('mutation($i: RecordActivityInput!) { recordActivity(input: $i) { pointsEarned } }', { i: { memberId: m, kind, idempotencyKey: key, occurredAt: at } });
    }
    const input = { code: 'SIM_ACT', name: 'Activity bonus', trigger: 'ACTIVITY', startsAt: '2026-04-01T00:00:00Z', bonusPoints: 3, controlPercent: 0 };
    const april = { from: '2026-04-01T00:00:00Z', to: '2026-05-01T00:00:00Z' };
    const reviews = (await s.admin(SIMULATE, { input: { ...input, activityKind: 'SIM_REVIEW' }, ...april })).simulateCampaign;
    expect(reviews).toMatchObject({ qualifyingEvents: 1, pointsWouldGive: 3 }); // sr1; sr2 was capped to nothing
    const visits = (await s.admin(SIMULATE, { input: { ...input, activityKind: 'SIM_VISIT' }, ...april })).simulateCampaign;
    expect(visits).toMatchObject({ qualifyingEvents: 1, pointsWouldGive: 3 }); // nothing to cap
  });

  it('refuses a bad period or definition with BAD_USER_INPUT and is for admins only', async () => {
    const admin = await s.token('admin');
    // What upsertCampaign refuses for a lookup, simulateCampaign refuses too (it simulated an audience or trigger that selects nobody).
    expectError(await s.gql(SIMULATE, { input: { ...SIM, audience: { tierCodes: ['NOPE'] } }, ...period }, admin), 'BAD_USER_INPUT', 'tierCodes');
    expectError(await s.gql(SIMULATE, { input: { ...SIM, audience: { tagsNone: ['nope-tag-zz'] } }, ...period }, admin), 'BAD_USER_INPUT', 'tagsNone');
    expectError(await s.gql(SIMULATE, { input: { ...SIM, trigger: 'ACTIVITY', activityKind: 'NOPE', minAmount: null, multiplier: null }, ...period }, admin), 'BAD_USER_INPUT', 'activityKind');
    expectError(await s.gql(SIMULATE, { input: SIM, from: period.to, to: period.from }, admin), 'BAD_USER_INPUT');
    expectError(await s.gql(SIMULATE, { input: { ...SIM, multiplier: 0.5 }, ...period }, admin), 'BAD_USER_INPUT');
    expectError(await s.gql(SIMULATE, { input: { ...SIM, rewardCode: 'NO-SUCH-REWARD' }, ...period }, admin), 'BAD_USER_INPUT');
    expectError(await s.gql(SIMULATE, { input: SIM, ...period }, await s.token('service')), 'FORBIDDEN');
  });
});

describe('a simulated campaign and the real one', () => {
  it('give the same points over the same period', async () => {
    // The real campaign, through the API: upserted, activated (its audience assigned to arms),
    // then purchases in its window, in time order; then the same definition simulated over the
    // same period. Budget 100 with the same purchases as the simulation test: 25 + 20 + 30 given,
    // the fourth award (40) cannot be covered and ends the campaign (BUDGET_SPENT).
    const input = {
      code: 'REAL', name: 'Real', trigger: 'PURCHASE', startsAt: '2026-11-01T00:00:00Z', audience: { regions: ['REALNORTH'] },
      minAmount: 20, bonusPoints: 10, multiplier: 1.5, perMemberLimit: 2, budgetPoints: 100, controlPercent: 50,
    };
    const id = campaignIdOf('REAL');
    const ids = await membersInBothArms(id, () => registerMember(s, { region: 'REALNORTH' }));
    await s.admin('mutation($input: CampaignInput!) { upsertCampaign(input: $input) { code } }', { input });
    await s.admin('mutation { activateCampaign(code: "REAL") { status } }');
    const [ta, tb] = ids.filter((m) => !controlArm(id, m, 50));
    const [c] = ids.filter((m) => controlArm(id, m, 50));
    const bonus: number[] = [];
    const buy = async (m: string, order: string, amount: number, at: string) => {
      const r = await s.admin(`mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) { bonusPoints } }`,
        { input: { memberId: m, orderId: order, amount, occurredAt: at } });
      bonus.push(r.recordPurchase.bonusPoints);
    };
    await buy(ta, 'R-ta1', 30, '2026-11-02T12:00:00Z');
    await buy(tb, 'R-tb1', 20, '2026-11-03T12:00:00Z');
    await buy(c, 'R-c', 50, '2026-11-04T12:00:00Z');
    await buy(ta, 'R-ta-small', 15, '2026-11-05T12:00:00Z');
    await buy(ta, 'R-ta2', 41, '2026-11-10T12:00:00Z');
    await buy(tb, 'R-tb2', 60, '2026-11-15T12:00:00Z');
    await buy(tb, 'R-tb3', 21, '2026-11-16T12:00:00Z');
    await buy(ta, 'R-ta3', 100, '2026-11-20T12:00:00Z');
    expect(bonus).toEqual([25, 20, 0, 0, 30, 0, 0, 0]);

    const real = (await s.admin('query { campaign(code: "REAL") { status endedReason pointsGiven } }')).campaign;
    expect(real).toEqual({ status: 'ENDED', endedReason: 'BUDGET_SPENT', pointsGiven: 75 });
    const simulated = (await s.admin(SIMULATE, { input, from: '2026-11-01T00:00:00Z', to: '2026-12-01T00:00:00Z' })).simulateCampaign;
    expect(simulated.pointsWouldGive).toBe(real.pointsGiven);
    expect(simulated.eligibleMembers).toBe(ids.filter((m) => !controlArm(id, m, 50)).length);
  });
});

describe('a simulated campaign with a coupon and the real one', () => {
  /**
   * The real campaign through the API (bonus 10 and a coupon of the reward at 50 points, two
   * awards a member, no control group), four members buying 10.00 three times each, in time
   * order; then the same definition simulated over the same period. The simulation issues a
   * coupon where the award did: within the reward's stock, its per-member limit, and not for an
   * inactive reward, so its cost is what the budget paid and its points what the campaign gave.
   */
  async function realAndSimulated(code: string, reward: Record<string, unknown>, extra: Record<string, unknown>, before?: (members: string[]) => Promise<void>) {
    await s.admin('mutation($i: RewardInput!) { upsertReward(input: $i) { code } }', { i: { code: `${code}_GIFT`, name: 'Gift', costPoints: 50, ...reward } });
    const members = await Promise.all(Array.from({ length: 4 }, () => registerMember(s, { region: code, joinedAt: '2026-09-01T00:00:00Z' })));
    if (before) await before(members);
    const input = {
      code, name: code, trigger: 'PURCHASE', startsAt: '2026-10-01T00:00:00Z', audience: { regions: [code] },
      bonusPoints: 10, rewardCode: `${code}_GIFT`, perMemberLimit: 2, controlPercent: 0, ...extra,
    };
    await s.admin('mutation($input: CampaignInput!) { upsertCampaign(input: $input) { code } }', { input });
    await s.admin(`mutation { activateCampaign(code: "${code}") { status } }`);
    let hour = 0;
    for (let round = 0; round < 3; round++) {
      for (const [i, m] of members.entries()) {
        await purchase(m, `${code}-${round}-${i}`, 10, new Date(Date.UTC(2026, 9, 2, hour++)).toISOString());
      }
    }
    const real = (await s.admin(`query { campaign(code: "${code}") { status pointsGiven budgetSpent } campaignReport(code: "${code}") { cost } }`));
    const simulated = (await s.admin(SIMULATE, { input, from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z' })).simulateCampaign;
    return { real: { ...real.campaign, cost: real.campaignReport.cost }, simulated };
  }

  it('a reward with a stock: coupons while units last (the campaign\'s own given back), the budget charged only for those', async () => {
    // Stock 2: the first two awards give a coupon (10 + 50 each), the other six 10: 80 points, 180 paid of 200.
    const { real, simulated } = await realAndSimulated('SIMSTOCK', { stock: 2 }, { budgetPoints: 200 });
    expect(real).toEqual({ status: 'ACTIVE', pointsGiven: 80, budgetSpent: 180, cost: 1.8 });
    expect(simulated).toEqual({ eligibleMembers: 4, qualifyingEvents: 12, pointsWouldGive: 80, costWouldBe: 1.8 });
  });

  it('a reward\'s per-member limit: a member holding one already gets none; an inactive reward gives none', async () => {
    // Limit 1: three members get one coupon each with their first award; the fourth held one
    // (redeemed before the window), so gets none: 80 points and 3 × 50.
    const limited = await realAndSimulated('SIMLIMIT', { perMemberLimit: 1 }, {}, async ([first]) => {
      await purchase(first, 'SIMLIMIT-early', 60, '2026-09-15T00:00:00Z');
      await s.admin('mutation($i: RedeemRewardInput!) { redeemReward(input: $i) { points } }', { i: { memberId: first, rewardCode: 'SIMLIMIT_GIFT', idempotencyKey: 'simlimit-early' } });
    });
    expect(limited.real).toMatchObject({ pointsGiven: 80, budgetSpent: 230, cost: 2.3 });
    expect(limited.simulated).toMatchObject({ pointsWouldGive: 80, costWouldBe: 2.3 });
    // Inactive while the campaign ran: 80 points, no coupon.
    const inactive = await realAndSimulated('SIMOFF', { active: false }, {});
    expect(inactive.real).toMatchObject({ pointsGiven: 80, budgetSpent: 80, cost: 0.8 });
    expect(inactive.simulated).toMatchObject({ pointsWouldGive: 80, costWouldBe: 0.8 });
  });

  it('a coupon-only campaign: an event without a coupon is no award and takes no place in the member\'s limit', async () => {
    // Stock 3, no points: the first three events (three members' first) give a coupon; the rest
    // give nothing (OUT_OF_STOCK), whatever the per-member limit.
    const { real, simulated } = await realAndSimulated('SIMCOUPON', { stock: 3 }, { bonusPoints: null, perMemberLimit: 1 });
    expect(real).toEqual({ status: 'ACTIVE', pointsGiven: 0, budgetSpent: 150, cost: 1.5 });
    expect(simulated).toEqual({ eligibleMembers: 4, qualifyingEvents: 12, pointsWouldGive: 0, costWouldBe: 1.5 });
    // Simulated before it ran (the same definition under another code, no coupon of its own given back): the stock now is 0.
    const fresh = (await s.admin(SIMULATE, { input: {
      code: 'SIMCOUPON2', name: 'x', trigger: 'PURCHASE', startsAt: '2026-10-01T00:00:00Z', audience: { regions: ['SIMCOUPON'] },
      rewardCode: 'SIMCOUPON_GIFT', perMemberLimit: 1, controlPercent: 0,
    }, from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z' })).simulateCampaign;
    expect(fresh).toMatchObject({ pointsWouldGive: 0, costWouldBe: 0 });
  });
});

describe('simulateCampaign by other triggers', () => {
  it('counts registrations and activities of the kind, within the per-member limit', async () => {
    // Six members of the audience registered in March, two in February; none held out (0%).
    const march = await Promise.all(Array.from({ length: 6 }, (_, i) => registerMember(s, { region: 'TRIGSIM', joinedAt: `2026-03-${10 + i}T09:00:00Z` })));
    await Promise.all(Array.from({ length: 2 }, () => registerMember(s, { region: 'TRIGSIM', joinedAt: '2026-02-01T09:00:00Z' })));
    const common = { name: 'Sim', startsAt: '2026-03-01T00:00:00Z', audience: { regions: ['TRIGSIM'] }, controlPercent: 0 };
    const period = { from: '2026-03-01T00:00:00Z', to: '2026-04-01T00:00:00Z' };
    // REGISTRATION, 5 points each: 6 events, 30 points, 0.30.
    const reg = (await s.admin(SIMULATE, { input: { ...common, code: 'SIMREG', trigger: 'REGISTRATION', bonusPoints: 5 }, ...period })).simulateCampaign;
    expect(reg).toEqual({ eligibleMembers: 8, qualifyingEvents: 6, pointsWouldGive: 30, costWouldBe: 0.3 });

    // ACTIVITY REVIEW, 7 points, once per member: march[0] reviews twice, march[1] once, march[2]
    // shares (another kind): 3 qualifying events, 2 given (march[0]'s second is over its limit).
    await s.admin('mutation { upsertActivityRule(input: { kind: "REVIEW", name: "Review", points: 1 }) { kind } }');
    await s.admin('mutation { upsertActivityRule(input: { kind: "SHARE", name: "Share", points: 1 }) { kind } }');
    const act = (memberId: string, kind: string, key: string, occurredAt: string) =>
      s.admin('mutation($input: RecordActivityInput!) { recordActivity(input: $input) { pointsEarned } }', { input: { memberId, kind, idempotencyKey: key, occurredAt } });
    await act(march[0], 'REVIEW', 'sim-r1', '2026-03-20T10:00:00Z');
    await act(march[0], 'REVIEW', 'sim-r2', '2026-03-21T10:00:00Z');
    await act(march[1], 'REVIEW', 'sim-r3', '2026-03-22T10:00:00Z');
    await act(march[2], 'SHARE', 'sim-s1', '2026-03-22T10:00:00Z');
    await act(march[3], 'REVIEW', 'sim-r4', '2026-04-02T10:00:00Z'); // after the period
    const activity = (await s.admin(SIMULATE, {
      input: { ...common, code: 'SIMACT', trigger: 'ACTIVITY', activityKind: 'REVIEW', bonusPoints: 7, perMemberLimit: 1 }, ...period,
    })).simulateCampaign;
    expect(activity).toEqual({ eligibleMembers: 8, qualifyingEvents: 3, pointsWouldGive: 14, costWouldBe: 0.14 });
  });
});
