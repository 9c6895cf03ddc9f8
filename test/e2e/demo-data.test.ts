import pino from 'pino';
import { DEMO_BENEFITS, DEMO_REWARDS, DEMO_SEGMENTS, DEMO_TAGS } from '../../seeds/demo-programme';
import { DEMO_MEMBER_COUNT, DEMO_TIERS, TOUR_MEMBER } from '../../seeds/DemoSeeder';
import { startTestServer, type TestServer } from '../support/harness';
import { expectLedgerConsistent } from '../support/ledger';

/**
 * The demo programme after `npm start` on an empty database: everything the README's tours
 * touch is there, and the analytics show real values (not zeros and nulls) at once.
 */
describe('demo data', () => {
  let s: TestServer;
  const lines: string[] = [];
  beforeAll(async () => {
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line).msg) });
    s = await startTestServer({ seed: 'demo', log });
    // A fixed amount of work (18 months of history for 200 members, write by write through
    // the services): about a minute on a loaded 2-core machine. The bound is against a hang.
  }, 300_000);
  afterAll(() => s?.stop());

  it('says what it is loading while it loads', () => {
    expect(lines).toContain(`loading demo data: ${DEMO_MEMBER_COUNT} members, 18 months of history…`);
    expect(lines.filter((l) => /^demo data: \d{4}-\d{2}, \d+ members, \d+ purchases$/.test(l)).length).toBeGreaterThanOrEqual(4);
    expect(lines).toContainEqual(expect.stringMatching(/^demo data loaded: 200 members, \d+ purchases in \d+ s$/));
  });

  it('has the programme: tiers, benefits (a birthday gift, a tag-gated one), rewards, tags, segments', async () => {
    const data = await s.admin(`{ tiers { code memberCount } benefits { code kind requiredTags } rewards { code stock tierCodes }
      tags { code kind } segments { name size } program { pointsExpiryMonths } }`);
    expect(data.tiers.map((t: { code: string }) => t.code)).toEqual(DEMO_TIERS.map((t) => t.code));
    // Members on every tier.
    for (const t of data.tiers) expect(t.memberCount).toBeGreaterThan(0);
    expect(data.benefits.map((b: { code: string }) => b.code).sort()).toEqual(DEMO_BENEFITS.map((b) => b.code).sort());
    expect(data.benefits).toContainEqual(expect.objectContaining({ kind: 'BIRTHDAY_GIFT' }));
    expect(data.benefits).toContainEqual(expect.objectContaining({ code: 'FREE_PARKING', requiredTags: ['high_value'] }));
    expect(data.rewards.map((r: { code: string }) => r.code).sort()).toEqual(DEMO_REWARDS.map((r) => r.code).sort());
    expect(data.rewards).toContainEqual(expect.objectContaining({ code: 'TOTE_BAG', stock: expect.any(Number) }));
    expect(data.rewards).toContainEqual(expect.objectContaining({ code: 'LOUNGE_PASS', tierCodes: ['GOLD', 'PLATINUM'] }));
    expect(data.tags.map((t: { code: string }) => t.code).sort()).toEqual(DEMO_TAGS.map((t) => t.code).sort());
    expect(data.tags).toContainEqual({ code: 'high_value', kind: 'RULE' });
    expect(data.segments.map((g: { name: string }) => g.name).sort()).toEqual(DEMO_SEGMENTS.map((g) => g.name).sort());
    for (const segment of data.segments) expect(segment.size).toBeGreaterThan(0);
    expect(data.program.pointsExpiryMonths).toBe(12);
  });

  it('has 18 months of history: purchases, refunds, activities, redemptions, expiry, every kind of tier change, notices, birthday gifts', async () => {
    const [h] = await s.sql(`select
      (select count(*) from member)::int as members,
      (select count(*) from purchase)::int as purchases,
      (select count(*) from activity)::int as activities,
      (select count(*) from check_in)::int as "checkIns",
      (select count(*) from activity where kind = 'CHECK_IN')::int as "checkInActivities",
      (select extract(day from now() - min(occurred_at))::int from point_transaction) as "historyDays",
      (select array_agg(distinct type order by type) from point_transaction) as "transactionTypes",
      (select count(*) from redemption)::int as redemptions,
      (select array_agg(distinct kind order by kind) from tier_change) as "changeKinds",
      (select count(*) from tier_notice)::int as notices,
      (select count(*) from birthday_grant)::int as "birthdayGifts"`);
    expect(h.members).toBe(DEMO_MEMBER_COUNT);
    expect(h.purchases).toBeGreaterThan(3 * DEMO_MEMBER_COUNT);
    expect(h.activities).toBeGreaterThan(0);
    // Daily check-ins are the check-in mechanic's, no longer a CHECK_IN activity.
    expect(h.checkIns).toBeGreaterThan(DEMO_MEMBER_COUNT / 10);
    expect(h.checkInActivities).toBe(0);
    expect(h.historyDays).toBeGreaterThanOrEqual(500);
    expect(h.transactionTypes).toEqual(['ADJUST', 'BONUS', 'CHECK_IN', 'EARN', 'EXPIRE', 'REDEEM', 'REFERRAL', 'REFUND_REVERSAL']);
    expect(h.redemptions).toBeGreaterThan(10);
    expect(h.changeKinds).toEqual(['DOWNGRADE', 'RENEWAL', 'UPGRADE']);
    expect(h.notices).toBeGreaterThan(0);
    expect(h.birthdayGifts).toBeGreaterThan(0);
    await expectLedgerConsistent(s);
  });

  it('shows real RFM, lifecycle stages and transitions, a churn model, win-back candidates and growth', async () => {
    const now = new Date();
    const yearAgo = new Date(now.getTime() - 365 * 86_400_000);
    const data = await s.admin(`query($from: DateTime!, $to: DateTime!) {
      programStats { members byStage { stage count } pointsLiability }
      churnModel { r alpha a b customers ks gini }
      winBackCandidates(first: 5) { id churnRisk }
      lifecycleTransitions(from: $from, to: $to) { from to count }
      pointsFlow(from: $from, to: $to) { earned redeemed expired }
      growth(from: $from, to: $to) { active new wonBack churned }
      members(first: 100) { edges { node { rfm { r f m segment } lifecycleStage churnRisk aliveProbability } } } }`,
    { from: yearAgo.toISOString(), to: now.toISOString() });
    const stages = new Map<string, number>(data.programStats.byStage.map((x: { stage: string; count: number }) => [x.stage, x.count]));
    for (const stage of ['PROSPECT', 'NEW', 'ACTIVE', 'AT_RISK', 'DORMANT', 'CHURNED', 'REACTIVATED']) expect([stage, stages.get(stage) ?? 0]).toEqual([stage, expect.any(Number)]);
    expect([...stages.values()].filter((n) => n > 0).length).toBeGreaterThanOrEqual(5);
    expect(data.programStats.pointsLiability).toBeGreaterThan(0);
    expect(data.churnModel).toMatchObject({ customers: expect.any(Number), ks: expect.any(Number), gini: expect.any(Number) });
    expect(data.churnModel.customers).toBeGreaterThan(100);
    expect(data.winBackCandidates.length).toBeGreaterThan(0);
    // The fit sees dropout (the history is drawn as BG/NBD assumes): a weekly Platinum buyer
    // silent for four months is likely gone, a fortnightly regular is not.
    const [dan, ava] = await s.sql(`select r.churn_risk as risk from member m join member_retention r on r.member_id = m.id
      where m.external_id in ('demo-0004', 'demo-0001') order by m.external_id desc`);
    expect(Number(dan.risk)).toBeGreaterThan(0.5);
    expect(Number(ava.risk)).toBeLessThan(0.5);
    // Moves between stages, not only first classifications.
    expect(data.lifecycleTransitions.filter((t: { from: string | null }) => t.from !== null).length).toBeGreaterThan(0);
    expect(data.pointsFlow.some((p: { expired: number }) => p.expired > 0)).toBe(true);
    expect(data.pointsFlow.some((p: { redeemed: number }) => p.redeemed > 0)).toBe(true);
    expect(data.growth.some((g: { wonBack: number }) => g.wonBack > 0)).toBe(true);
    const nodes = data.members.edges.map((e: { node: Record<string, any> }) => e.node);
    const segments = new Set(nodes.filter((n: { rfm: unknown }) => n.rfm).map((n: { rfm: { segment: string } }) => n.rfm.segment));
    expect(segments.size).toBeGreaterThanOrEqual(4);
    const risks = nodes.map((n: { churnRisk: number | null }) => n.churnRisk).filter((r: number | null) => r != null);
    expect(Math.max(...risks) - Math.min(...risks)).toBeGreaterThan(0.3);
  });

  it('the tour member: Gold, points expiring within 30 days, a birthday gift, tag-gated benefits, rule tags', async () => {
    const [{ id }] = await s.sql('select id from member where external_id = $1', [TOUR_MEMBER]);
    const res = await s.gql(`{ me { displayName tier { code } pointsBalance expiringPoints(withinDays: 30) tierProgress { nextTier { code } pointsToNextTier }
      benefits { code } tags { code } rfm { m } lifecycleStage churnRisk pointsHistory(first: 100) { edges { node { type reason } } } redemptions { edges { node { reward { code } } } } } }`,
    {}, await s.token('member', id));
    const me = res.data!.me;
    expect(me).toMatchObject({ displayName: 'Ava Lin', tier: { code: 'GOLD' }, tierProgress: { nextTier: { code: 'PLATINUM' } }, lifecycleStage: 'ACTIVE' });
    expect(me.expiringPoints).toBeGreaterThan(0);
    expect(me.pointsBalance).toBeGreaterThan(me.expiringPoints);
    expect(me.benefits.map((b: { code: string }) => b.code).sort()).toEqual(['BIRTHDAY_GIFT', 'FREE_PARKING', 'FREE_SHIPPING', 'GOLD_DISCOUNT', 'MEMBER_DAY']);
    expect(me.tags.map((t: { code: string }) => t.code).sort()).toEqual(['coffee_lover', 'high_value', 'vip']);
    const history = me.pointsHistory.edges.map((e: { node: { type: string; reason: string | null } }) => e.node);
    expect(history).toContainEqual(expect.objectContaining({ type: 'ADJUST', reason: expect.stringMatching(/^birthday gift/) }));
    expect(history).toContainEqual(expect.objectContaining({ type: 'EXPIRE' }));
    expect(me.redemptions.edges.map((e: { node: { reward: { code: string } } }) => e.node.reward.code).sort()).toEqual(['COFFEE', 'LOUNGE_PASS']);
  });

  it('referrals: Ava\'s friends, rewarded on their first purchase (as of its date), one rejected at registration; no REFERRAL activity', async () => {
    const rows = await s.sql<{ status: string; n: number; referrer: string }>(
      `select r.status, count(*)::int as n, min(m.external_id) as referrer from referral r join member m on m.id = r.referrer_id group by r.status order by r.status`);
    const by = new Map(rows.map((r) => [r.status, r]));
    expect(rows.every((r) => r.referrer === TOUR_MEMBER)).toBe(true);
    expect(by.get('COMPLETED')?.n).toBeGreaterThan(0);
    expect(by.get('REJECTED')).toMatchObject({ n: 1 });
    expect(by.has('REVERSED')).toBe(false);
    // each completed by the referee's first purchase, at that purchase's date, both sides' points with it
    const wrong = await s.sql(`select r.id from referral r join purchase p on p.order_id = r.order_id
      where r.status = 'COMPLETED' and (r.completed_at <> p.occurred_at
        or exists (select 1 from purchase q where q.member_id = r.referee_id and q.occurred_at < p.occurred_at)
        or r.referrer_points <> 200 or r.referee_points <> 100
        or (select count(*) from point_transaction t where t.type = 'REFERRAL' and t.reference = r.id::text) <> 2)`);
    expect(wrong).toEqual([]);
    const pendingWithPurchases = await s.sql(`select r.id from referral r where r.status = 'PENDING' and exists (select 1 from purchase p where p.member_id = r.referee_id)`);
    expect(pendingWithPurchases).toEqual([]);
    expect(await s.sql(`select 1 from activity where kind = 'REFERRAL' limit 1`)).toEqual([]);
  });

  it('campaigns: six weeks of double points, ended, with a report of both arms; a win-back bonus running today for its segment', async () => {
    const data = await s.admin(`{ campaigns { code status endedReason startsAt endsAt controlPercent pointsGiven budgetPoints }
      report: campaignReport(code: "DOUBLE-POINTS") { treatment { members buyers purchases gmv } control { members buyers purchases gmv }
        upliftArpu upliftArpuLow upliftArpuHigh cost roi }
      running: campaignReport(code: "WIN-BACK") { treatment { members } control { members } } }`);
    const byCode = new Map(data.campaigns.map((c: { code: string }) => [c.code, c]));
    const double = byCode.get('DOUBLE-POINTS') as Record<string, any>;
    expect(double).toMatchObject({ status: 'ENDED', endedReason: 'ENDS_AT', controlPercent: 20, budgetPoints: 100_000 });
    expect(Date.parse(double.endsAt) - Date.parse(double.startsAt)).toBe(42 * 86_400_000);
    expect(double.pointsGiven).toBeGreaterThan(0);
    expect(byCode.get('WIN-BACK')).toMatchObject({ status: 'ACTIVE', endedReason: null });
    expect(Date.parse((byCode.get('WIN-BACK') as { endsAt: string }).endsAt)).toBeGreaterThan(Date.now());
    // Both arms measured, with an interval and a return.
    const { report } = data;
    for (const arm of [report.treatment, report.control]) expect(arm.buyers).toBeGreaterThan(1);
    expect(report.treatment.members).toBeGreaterThan(2 * report.control.members);
    expect(report.upliftArpuLow).toBeLessThan(report.upliftArpu);
    expect(report.upliftArpuHigh).toBeGreaterThan(report.upliftArpu);
    expect(report.cost).toBeGreaterThan(0);
    expect(report.roi).toEqual(expect.any(Number));
    expect(data.running.treatment.members).toBeGreaterThan(0);
    // The members it reached bought once more in its window; the control arm never saw it, so none of it did.
    const responses = await s.sql(`select cm.control, count(*)::int as n from purchase p
      join campaign_member cm on cm.member_id = p.member_id and cm.campaign_id = (select id from campaign where code = 'DOUBLE-POINTS')
      where p.order_id like '%-double-points-_' group by cm.control order by cm.control`);
    expect(responses).toEqual([{ control: false, n: expect.any(Number) }]);
    expect(responses[0].n).toBeGreaterThan(10);
    // No control member was given anything, by either campaign.
    expect(await s.sql(`select a.member_id from campaign_award a join campaign_member cm using (campaign_id, member_id) where cm.control`)).toEqual([]);
  });

  it('the at-risk member: Silver, expiring within 30 days, points still needed, a notice', async () => {
    const [{ id }] = await s.sql(`select id from member where external_id = 'demo-0002'`);
    const data = await s.admin(`query($id: ID!) { member(id: $id) { tier { code } tierExpiresAt tierProgress { pointsToRetain } } tierNotices(memberId: $id) { pointsToRetain } }`, { id });
    expect(data.member.tier.code).toBe('SILVER');
    expect(new Date(data.member.tierExpiresAt).getTime() - Date.now()).toBeLessThan(30 * 86_400_000);
    expect(data.member.tierProgress.pointsToRetain).toBeGreaterThan(0);
    expect(data.tierNotices.length).toBeGreaterThan(0);
  });

  it('a second start on the same database adds nothing', async () => {
    const again = await startTestServer({ seed: 'demo', databaseUrl: s.databaseUrl });
    try {
      expect((await again.sql('select count(*)::int as n from member'))[0].n).toBe(DEMO_MEMBER_COUNT);
    } finally {
      await again.stop();
    }
  });
});
