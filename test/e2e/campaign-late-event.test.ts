// A campaign acts on an event by the event's instant alone, whenever the event arrives
// (domain.md, "Time"; store back ends post purchases late and in batches). It used to give by
// its status at the write: a purchase dated inside the window but posted after the campaign's
// end got nothing (posted on time it got the award), and one dated during a pause but posted
// after the campaign resumed got the award (posted on time it got nothing).
import { givesAt } from '../../src/modules/campaigns/campaigns.rules';
import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  await createLadder(s);
});
afterAll(() => s?.stop());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const HOUR = 3600_000;

async function campaign(code: string, startsAt: number, endsAt: number | null) {
  await s.admin(`mutation($i: CampaignInput!) { upsertCampaign(input: $i) { code } }`, {
    i: {
      code, name: code, trigger: 'PURCHASE', startsAt: new Date(startsAt).toISOString(), endsAt: endsAt == null ? null : new Date(endsAt).toISOString(),
      bonusPoints: 9, controlPercent: 0, audience: { regions: [code] },
    },
  });
}
const lifecycle = (action: 'activateCampaign' | 'pauseCampaign' | 'endCampaign', code: string) =>
  s.admin(`mutation($c: String!) { ${action}(code: $c) { status } }`, { c: code });

let orders = 0;
const buy = (memberId: string, occurredAt: number) => s.admin(`mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { bonusPoints } }`,
  { i: { memberId, orderId: `late-${++orders}`, amount: 10, occurredAt: new Date(occurredAt).toISOString() } }).then((d) => d.recordPurchase.bonusPoints as number);

it('an event dated while the campaign gave gets the award, posted on time, after a pause, after the end or after the nightly job; one dated in a pause never does', async () => {
  const code = 'INSTANT';
  const start = Date.now() - HOUR;
  await campaign(code, start, Date.now() + HOUR);
  const [onTime, afterResume, afterEnd] = await Promise.all(['on-time', 'after-resume', 'after-end'].map((e) => registerMember(s, { externalId: `instant-${e}`, region: code })));

  // The history, with each change's instant bracketed by the client's clock (the server's is the same machine's).
  const events: number[] = [start - 60_000, start + 60_000, start + HOUR / 2]; // before the window, and before the activation (it reaches back to startsAt)
  const onTimeGot = new Map<number, number>();
  const postNow = async () => {
    const at = Date.now();
    events.push(at);
    onTimeGot.set(at, await buy(onTime, at));
    await sleep(20);
  };
  const change = async (action: 'activateCampaign' | 'pauseCampaign' | 'endCampaign') => {
    await sleep(20);
    const before = Date.now();
    await lifecycle(action, code);
    const after = Date.now();
    await sleep(20);
    return [before, after] as const;
  };
  const activated = await change('activateCampaign');
  await postNow(); await postNow();
  const paused = await change('pauseCampaign');
  await postNow(); await postNow();
  const resumed = await change('activateCampaign');
  await postNow(); await postNow();
  const ended = await change('endCampaign');
  await postNow();

  // The model: the window, the pause [paused, resumed), the end. No event is dated inside a bracket.
  for (const t of events) for (const [a, b] of [activated, paused, resumed, ended]) expect(t < a || t > b).toBe(true);
  const model = (t: number) => (givesAt({ startsAt: new Date(start), endsAt: new Date(start + 2 * HOUR), endedAt: new Date(ended[0]), paused: [[new Date(paused[0]), new Date(resumed[0])]] }, new Date(t)) ? 9 : 0);
  expect(events.map(model)).toEqual([0, 9, 9, 9, 9, 0, 0, 9, 9, 0]); // the model says what the history means

  // Posted on time, each got what the model says.
  for (const [t, got] of onTimeGot) expect([t, got]).toEqual([t, model(t)]);
  // The same instants posted again, late and in another order: the same answers.
  const shuffled = [...events].reverse();
  const late = new Map<number, number>();
  for (const t of shuffled) late.set(t, await buy(afterEnd, t));
  for (const t of events) expect([t, late.get(t)]).toEqual([t, model(t)]);

  // The nightly job changes nothing of it (the campaign has ended already; its arms are re-read).
  await s.admin(`mutation($a: DateTime!) { reevaluateCampaigns(asOf: $a) { changed } }`, { a: new Date().toISOString() });
  const again = await Promise.all(events.filter((t) => t < paused[0] || t > resumed[1]).map((t) => buy(afterResume, t)));
  expect(again).toEqual(events.filter((t) => t < paused[0] || t > resumed[1]).map(model));
  const sum = (xs: Iterable<number>) => [...xs].reduce((a, b) => a + b, 0);
  const given = sum(onTimeGot.values()) + sum(late.values()) + sum(again);
  expect((await s.admin(`{ campaign(code: "${code}") { status endedReason pointsGiven } }`)).campaign).toEqual({ status: 'ENDED', endedReason: 'ADMIN', pointsGiven: given });
});

it('a campaign ended by its endsAt gives to a late purchase dated before the end, whether or not the job has ended it; nothing to one dated after', async () => {
  const start = Date.now() - HOUR;
  for (const code of ['LATE_NO_JOB', 'LATE_JOB']) {
    await campaign(code, start, Date.now() + HOUR);
    await lifecycle('activateCampaign', code);
  }
  const noJob = await registerMember(s, { externalId: 'late-1', region: 'LATE_NO_JOB' });
  const job = await registerMember(s, { externalId: 'late-2', region: 'LATE_JOB' });
  expect(await buy(noJob, start + 60_000)).toBe(9); // posted while the campaign runs
  // Their ends moved to a moment from now (an edit of an ACTIVE campaign; however slow the machine, each is ahead when it is made), then let pass.
  const ends: Record<string, number> = {};
  for (const code of ['LATE_NO_JOB', 'LATE_JOB']) {
    ends[code] = Date.now() + 1000;
    await campaign(code, start, ends[code]);
  }
  await sleep(Math.max(0, ...Object.values(ends).map((e) => e - Date.now())) + 200);
  const end = ends.LATE_NO_JOB;
  expect(await buy(noJob, end - 1)).toBe(9); // the job has not run: ACTIVE still, its end passed
  expect(await buy(noJob, end)).toBe(0);
  await s.admin(`mutation($a: DateTime!) { reevaluateCampaigns(asOf: $a) { changed } }`, { a: new Date().toISOString() });
  expect(await buy(job, ends.LATE_JOB - 1)).toBe(9); // ENDED by the job, at its endsAt
  expect(await buy(job, Date.now())).toBe(0);
  const c = await s.admin(`{ a: campaign(code: "LATE_NO_JOB") { pointsGiven status endedReason } b: campaign(code: "LATE_JOB") { pointsGiven status endedReason } }`);
  expect(c).toEqual({ a: { pointsGiven: 18, status: 'ENDED', endedReason: 'ENDS_AT' }, b: { pointsGiven: 9, status: 'ENDED', endedReason: 'ENDS_AT' } });  // Each report counts what it would have posted on time: the member first found by a late purchase (late-2) joined its
  // arm as of that purchase's instant, inside the window, not as of its arrival after the window's end.
  const report = await s.admin(`{ a: campaignReport(code: "LATE_NO_JOB") { treatment { members buyers purchases gmv } }
    b: campaignReport(code: "LATE_JOB") { treatment { members buyers purchases gmv } } }`);
  expect(report).toEqual({ a: { treatment: { members: 1, buyers: 1, purchases: 2, gmv: 20 } }, b: { treatment: { members: 1, buyers: 1, purchases: 1, gmv: 10 } } });
});

it('a campaign never activated gives nothing, dated inside its window or not; nor one ended from DRAFT', async () => {
  const start = Date.now() - HOUR;
  await campaign('NEVER_ON', start, null);
  await campaign('ENDED_DRAFT', start, null);
  await lifecycle('endCampaign', 'ENDED_DRAFT');
  for (const code of ['NEVER_ON', 'ENDED_DRAFT']) {
    const m = await registerMember(s, { externalId: `never-${code}`, region: code });
    expect(await buy(m, start + 60_000)).toBe(0);
    expect(await buy(m, Date.now())).toBe(0);
  }
});

it('a campaign whose budget ran out gives nothing more, to a late event dated before it ran out too', async () => {
  const code = 'LATE_BUDGET';
  const start = Date.now() - HOUR;
  // Extra points = the purchase's base (multiplier 2), budget 10.
  await s.admin(`mutation($i: CampaignInput!) { upsertCampaign(input: $i) { code } }`, {
    i: { code, name: code, trigger: 'PURCHASE', startsAt: new Date(start).toISOString(), multiplier: 2, budgetPoints: 10, controlPercent: 0, audience: { regions: [code] } },
  });
  await lifecycle('activateCampaign', code);
  const m = await registerMember(s, { externalId: 'late-budget', region: code });
  expect(await buy(m, Date.now())).toBe(10); // amount 10: all of the budget
  const spent = await s.admin(`mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { bonusPoints } }`,
    { i: { memberId: m, orderId: 'late-budget-over', amount: 1 } });
  expect(spent.recordPurchase.bonusPoints).toBe(0);
  expect((await s.admin(`{ campaign(code: "${code}") { status endedReason pointsGiven } }`)).campaign).toEqual({ status: 'ENDED', endedReason: 'BUDGET_SPENT', pointsGiven: 10 });
  // The budget is taken in arrival order: a late purchase dated before the end, which the rest (0) cannot cover anyway, and a refund's return do not reopen it.
  await s.admin(`mutation($i: RefundPurchaseInput!) { refundPurchase(input: $i) { bonusPoints } }`, { i: { orderId: `late-${orders}`, refundId: 'late-budget-r', amount: 5 } });
  const given = await s.admin(`mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { bonusPoints } }`,
    { i: { memberId: m, orderId: 'late-budget-late', amount: 2, occurredAt: new Date(start + 60_000).toISOString() } });
  expect(given.recordPurchase.bonusPoints).toBe(0);
  expect((await s.admin(`{ campaign(code: "${code}") { status pointsGiven budgetSpent } }`)).campaign).toEqual({ status: 'ENDED', pointsGiven: 5, budgetSpent: 5 });
});

it('a report ending between startsAt and the first activation counts the members that activation assigned, with the awards it gave them', async () => {
  // The first activation gives to events dated from startsAt on; its members are in the campaign from then (or from their joining).
  const code = 'REACHBACK';
  const day = 24 * HOUR;
  const startsAt = Date.now() - 10 * day;
  await campaign(code, startsAt, null);
  const [buyer, idle] = await Promise.all(['buyer', 'idle'].map((e) => registerMember(s, { externalId: `reach-${e}`, region: code, joinedAt: new Date(startsAt - day).toISOString() })));
  const late = await registerMember(s, { externalId: 'reach-late', region: code, joinedAt: new Date(Date.now() - 2 * day).toISOString() });
  await lifecycle('activateCampaign', code);
  expect(await buy(buyer, Date.now() - 5 * day)).toBe(9);
  const REPORT = `query($c: String!, $a: DateTime) { campaignReport(code: $c, asOf: $a) { treatment { members buyers purchases gmv } control { members } cost } }`;
  const before = (await s.admin(REPORT, { c: code, a: new Date(Date.now() - 3 * day).toISOString() })).campaignReport;
  // Three days ago: the two members who had joined, the award's purchase and its cost; not the member who joined since.
  expect(before.treatment).toEqual({ members: 2, buyers: 1, purchases: 1, gmv: 10 });
  expect(before.control.members).toBe(0);
  expect(before.cost).toBeGreaterThan(0);
  const now = (await s.admin(REPORT, { c: code })).campaignReport;
  expect(now.treatment).toEqual({ members: 3, buyers: 1, purchases: 1, gmv: 10 });
  expect(now.cost).toBe(before.cost);
  expect([buyer, idle, late]).toHaveLength(3);
});

it("a late purchase's campaign coupon is issued at its write and valid for the reward's days from then, not EXPIRED from the start; an on-time one as before", async () => {
  await s.admin('mutation($i: RewardInput!) { upsertReward(input: $i) { code } }', { i: { code: 'LATE_GIFT', name: 'Gift', costPoints: 1, stock: 5, perMemberLimit: 1, couponValidDays: 1 } });
  await s.admin(`mutation($i: CampaignInput!) { upsertCampaign(input: $i) { code } }`, {
    i: { code: 'LATE_COUPON', name: 'Gift', trigger: 'PURCHASE', startsAt: new Date(Date.now() - 72 * HOUR).toISOString(), rewardCode: 'LATE_GIFT', controlPercent: 0, audience: { regions: ['LATE_COUPON'] } },
  });
  await lifecycle('activateCampaign', 'LATE_COUPON');
  const COUPON = `query($id: ID!) { member(id: $id) { redemptions { edges { node { status createdAt expiresAt couponCode reward { code } } } } } }`;
  type Coupon = { status: string; createdAt: string; expiresAt: string; couponCode: string; reward: { code: string } };
  const couponOf = async (id: string) => ((await s.admin(COUPON, { id })).member.redemptions.edges as { node: Coupon }[])[0].node;

  const m = await registerMember(s, { externalId: 'late-coupon', region: 'LATE_COUPON' });
  const purchasedAt = Date.now() - 48 * HOUR; // a till syncing two days late
  await buy(m, purchasedAt);
  const written = Date.now();
  const late = await couponOf(m);
  expect(late).toMatchObject({ status: 'ISSUED', reward: { code: 'LATE_GIFT' } });
  // Issued at the write (it did not exist before), valid for the reward's day from then: the contract's issue instant + days.
  const issued = Date.parse(late.createdAt);
  expect(issued).toBeGreaterThan(written - 60_000);
  expect(issued).toBeLessThanOrEqual(written + 1000);
  expect(Date.parse(late.expiresAt) - issued).toBe(24 * HOUR);

  // Posted on time (dated a moment before it arrives): issued at the purchase, valid a day from it,
  // and a use the till dates between the purchase and its arrival is taken.
  const onTime = await registerMember(s, { externalId: 'late-coupon-2', region: 'LATE_COUPON' });
  const at = Date.now() - 1500;
  await buy(onTime, at);
  const c2 = await couponOf(onTime);
  expect(c2.createdAt).toBe(new Date(at).toISOString());
  expect(Date.parse(c2.expiresAt) - at).toBe(24 * HOUR);
  const used = await s.admin('mutation($i: UseCouponInput!) { useCoupon(input: $i) { status } }',
    { i: { couponCode: c2.couponCode, idempotencyKey: `use-${c2.couponCode}`, occurredAt: new Date(at + 500).toISOString() } });
  expect(used.useCoupon.status).toBe('USED');
});

it('a re-evaluation as of a past instant assigns only the members who had joined by then', async () => {
  await campaign('REEVAL_PAST', Date.now() - HOUR, Date.now() + HOUR);
  await lifecycle('activateCampaign', 'REEVAL_PAST');
  const asOf = new Date(Date.now() - 60_000).toISOString();
  const early = await registerMember(s, { externalId: 'reeval-early', region: 'REEVAL_PAST', joinedAt: new Date(Date.now() - 30 * 60_000).toISOString() });
  const late = await registerMember(s, { externalId: 'reeval-late', region: 'REEVAL_PAST' }); // joins now, after asOf
  await s.admin(`mutation($a: DateTime!) { reevaluateCampaigns(asOf: $a) { changed } }`, { a: asOf });
  const arms = await s.sql<{ member: string }>(`select cm.member_id::text as member from campaign_member cm join campaign c on c.id = cm.campaign_id
    where c.code = 'REEVAL_PAST' and cm.member_id = any($1::uuid[])`, [[early, late]]);
  expect(arms.map((a) => a.member)).toEqual([early]);
  // A run as of now finds the other.
  await s.admin(`mutation($a: DateTime!) { reevaluateCampaigns(asOf: $a) { changed } }`, { a: new Date().toISOString() });
  expect((await s.sql(`select 1 from campaign_member cm join campaign c on c.id = cm.campaign_id where c.code = 'REEVAL_PAST'`)).length).toBe(2);
});
