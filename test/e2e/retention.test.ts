import { Client } from 'pg';
import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';
import { untilWaitingForLock } from '../support/sessions';
import { seededRandom } from '../../seeds/random';
import { classifyStage, purchaseFactsAsOf, scoreRfm, type PurchaseRecord } from '../../src/modules/retention/retention.rules';
import { aliveProbability, churnRisk, fitBgNbd } from '../../src/modules/retention/churn.rules';

let s: TestServer;
let service: string;
const DAY = 86_400_000;
const AS_OF = Date.parse('2026-06-01T00:00:00.000Z');
const at = (daysBefore: number) => new Date(AS_OF - daysBefore * DAY + 12 * 3600_000).toISOString();
const named: Record<string, string> = {};

async function buy(memberId: string, orderId: string, amount: number, daysBefore: number) {
  const res = await s.gql(`mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }`,
    { i: { memberId, orderId, amount, occurredAt: at(daysBefore) } }, service);
  if (res.errors) throw new Error(JSON.stringify(res.errors));
}

async function refund(orderId: string, amount: number, daysBefore: number) {
  const res = await s.gql(`mutation($i: RefundPurchaseInput!) { refundPurchase(input: $i) { pointsEarned } }`,
    { i: { orderId, refundId: `${orderId}-r`, amount, occurredAt: at(daysBefore) } }, service);
  if (res.errors) throw new Error(JSON.stringify(res.errors));
}

beforeAll(async () => {
  s = await startTestServer();
  service = await s.token('service');
  await createLadder(s);
  const join = { joinedAt: new Date(AS_OF - 900 * DAY).toISOString() };
  named.prospect = await registerMember(s, { ...join, region: 'North' });
  named.new = await registerMember(s, { ...join, region: 'North' });
  await buy(named.new, 'n1', 50, 10);
  named.active = await registerMember(s, { ...join, region: 'South', birthday: '1990-03-03' });
  await buy(named.active, 'a1', 500, 400); await buy(named.active, 'a2', 300, 60);
  named.atRisk = await registerMember(s, { ...join, region: 'South' });
  await buy(named.atRisk, 'r1', 80, 300); await buy(named.atRisk, 'r2', 80, 120);
  named.dormant = await registerMember(s, join);
  await buy(named.dormant, 'd1', 80, 250);
  named.churned = await registerMember(s, join);
  await buy(named.churned, 'c1', 80, 400);
  named.reactivated = await registerMember(s, join);
  await buy(named.reactivated, 'x1', 90, 320); await buy(named.reactivated, 'x2', 90, 10);
  // a population for the churn model: members with random purchase rhythms; some purchases
  // refunded in full, some by half, two days later (after AS_OF for the latest ones)
  const rand = seededRandom(7);
  for (let i = 0; i < 60; i++) {
    const id = await registerMember(s, { ...join, region: i % 2 ? 'East' : 'West' });
    const gap = 10 + Math.floor(rand() * 120);
    const stop = rand() < 0.4 ? Math.floor(rand() * 500) : 0;
    for (let d = 700 - Math.floor(rand() * 100), k = 0; d > stop; d -= gap * (0.5 + rand()), k++) {
      const amount = 20 + Math.floor(rand() * 200);
      await buy(id, `pop-${i}-${k}`, amount, Math.floor(d));
      if (k % 5 === 1) await refund(`pop-${i}-${k}`, amount, Math.floor(d) - 2);
      else if (k % 7 === 3) await refund(`pop-${i}-${k}`, amount / 2, Math.floor(d) - 2);
    }
  }
}, 120_000);
afterAll(() => s.stop());

const refresh = () => s.admin(`mutation($a: DateTime!) { refreshRetention(asOf: $a) { processed changed } }`, { a: new Date(AS_OF).toISOString() });

describe('refreshRetention', () => {
  it('classifies lifecycle stages and scores RFM for buyers only', async () => {
    const first = await refresh();
    expect(first.refreshRetention.processed).toBe(67);
    const q = `query($id: ID!) { member(id: $id) { lifecycleStage rfm { recencyDays frequency monetary r f m segment } aliveProbability churnRisk expectedPurchases(days: 90) } }`;
    const stage = async (id: string) => (await s.admin(q, { id })).member;
    expect((await stage(named.prospect))).toEqual({ lifecycleStage: 'PROSPECT', rfm: null, aliveProbability: null, churnRisk: null, expectedPurchases: null });
    expect((await stage(named.new)).lifecycleStage).toBe('NEW');
    expect((await stage(named.active)).lifecycleStage).toBe('ACTIVE');
    expect((await stage(named.atRisk)).lifecycleStage).toBe('AT_RISK');
    expect((await stage(named.dormant)).lifecycleStage).toBe('DORMANT');
    expect((await stage(named.churned)).lifecycleStage).toBe('CHURNED');
    expect((await stage(named.reactivated)).lifecycleStage).toBe('REACTIVATED');
    const active = await stage(named.active);
    expect(active.rfm).toMatchObject({ recencyDays: 60, frequency: 1, monetary: 300 });
    // A horizon in the past, or past ten years, is no horizon: BAD_USER_INPUT on days.
    for (const days of [-30, 3651]) {
      const bad = await s.gql('query($id: ID!, $d: Int!) { member(id: $id) { expectedPurchases(days: $d) } }', { id: named.active, d: days }, await s.token('admin'));
      expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'days' });
    }
    for (const k of ['r', 'f', 'm'] as const) expect(active.rfm[k]).toBeGreaterThanOrEqual(1);
    expect(active.aliveProbability).toBeGreaterThan(0);
    expect(active.churnRisk).toBeGreaterThan(0);
    expect(active.churnRisk).toBeLessThan(1);
    expect(active.expectedPurchases).toBeGreaterThan(0);
  });

  it('RFM scores are rank quintiles 1-5 with ties sharing a score, and cells follow the means', async () => {
    const rows = await s.sql(`select recency_days, frequency, monetary_cents::float8 as monetary, r, f, m, rfm_segment from member_retention where r is not null`);
    expect(rows).toHaveLength(66);
    const byRecency = [...rows].sort((a, b) => b.recency_days - a.recency_days);
    for (let i = 1; i < byRecency.length; i++) {
      expect(byRecency[i].r).toBeGreaterThanOrEqual(byRecency[i - 1].r);
      if (byRecency[i].recency_days === byRecency[i - 1].recency_days) expect(byRecency[i].r).toBe(byRecency[i - 1].r);
    }
    expect(new Set(rows.map((r) => r.r))).toEqual(new Set([1, 2, 3, 4, 5]));
    const mean = rows.reduce((acc, r) => acc + r.monetary, 0) / rows.length;
    for (const r of rows) expect(r.rfm_segment.startsWith(r.monetary >= mean ? 'IMPORTANT_' : 'GENERAL_')).toBe(true);
  });

  it('the SQL agrees with the pure rules, member by member, refunds included', async () => {
    expect(await s.sql(`select count(*) filter (where r.occurred_at > $1)::int > 0 as later, count(*) filter (where r.amount_cents = p.amount_cents)::int > 0 as full,
      count(*) filter (where r.amount_cents < p.amount_cents)::int > 0 as partial from refund r join purchase p using (order_id)`, [new Date(AS_OF)]))
      .toEqual([{ later: true, full: true, partial: true }]);
    // Every member's purchases and refunds, through the rules, against the refresh's rows.
    const history = await s.sql<any>(`select m.id, coalesce(r.stage, 'PROSPECT') as stage, r.recency_days as "recencyDays", r.frequency,
        r.monetary_cents::float8 as "monetaryCents", r.r, r.f, r.m, r.rfm_segment as segment, r.x, r.tx, r.t_days as "T",
        coalesce((select json_agg(json_build_object('occurredAt', p.occurred_at, 'amountCents', p.amount_cents,
          'refunds', (select coalesce(json_agg(json_build_object('occurredAt', f.occurred_at, 'amountCents', f.amount_cents)), '[]') from refund f where f.order_id = p.order_id)))
          from purchase p where p.member_id = m.id), '[]') as purchases
      from member m left join member_retention r on r.member_id = m.id order by m.id`);
    const asOf = new Date(AS_OF);
    const dated = (p: any): PurchaseRecord => ({ occurredAt: new Date(p.occurredAt), amountCents: Number(p.amountCents),
      refunds: p.refunds.map((f: any) => ({ occurredAt: new Date(f.occurredAt), amountCents: Number(f.amountCents) })) });
    const facts = history.map((h) => ({ id: h.id, facts: purchaseFactsAsOf(h.purchases.map(dated), asOf) }));
    const buyers = facts.flatMap((f) => (f.facts ? [{ ...f.facts, id: f.id }] : []));
    const scores = new Map(scoreRfm(buyers).map((b) => [b.id, b]));
    const asOfDay = Math.floor(AS_OF / DAY);
    const fromRules = facts.map(({ id, facts: f }) => ({
      id,
      stage: classifyStage({ firstPurchaseDay: f?.firstPurchaseDay ?? null, lastPurchaseDay: f?.lastPurchaseDay ?? null, previousPurchaseDay: f?.previousPurchaseDay ?? null, asOfDay }),
      recencyDays: f?.recencyDays ?? null, frequency: f?.frequency ?? null, monetaryCents: f?.monetaryCents ?? null,
      r: scores.get(id)?.r ?? null, f: scores.get(id)?.f ?? null, m: scores.get(id)?.m ?? null, segment: scores.get(id)?.segment ?? null,
      x: f?.x ?? null, tx: f?.tx ?? null, T: f?.T ?? null,
    }));
    expect(history.map(({ purchases, ...row }) => row)).toEqual(fromRules);
    expect(buyers).toHaveLength(66);
  });

  it('a second run records no new transitions; the matrix shows the first classification', async () => {
    await refresh();
    const m = await s.admin(`{ lifecycleTransitions(from: "2026-01-01T00:00:00.000Z", to: "2027-01-01T00:00:00.000Z") { from to count } }`);
    const total = m.lifecycleTransitions.reduce((acc: number, r: any) => acc + r.count, 0);
    expect(total).toBe(67);
    expect(m.lifecycleTransitions.every((r: any) => r.from === null)).toBe(true);
  });

  it('two refreshes at once queue: both succeed, the second records no transition', async () => {
    const before = await s.sql('select count(*)::int as n from lifecycle_transition');
    const rows = await s.sql('select member_id, stage, stage_since, r, f, m, x, tx, t_days from member_retention order by member_id');
    const [a, b] = await Promise.all([refresh(), refresh()]);
    expect([a.refreshRetention.processed, b.refreshRetention.processed]).toEqual([67, 67]);
    expect(a.refreshRetention.changed + b.refreshRetention.changed).toBe(0);
    expect(await s.sql('select count(*)::int as n from lifecycle_transition')).toEqual(before);
    expect(await s.sql('select member_id, stage, stage_since, r, f, m, x, tx, t_days from member_retention order by member_id')).toEqual(rows);
  });

  it('the swap waits for a long reader, a second at a time, without failing or blocking it', async () => {
    // A reader in a transaction holds member_retention (an export, say) until the test lets it
    // go: the refresh builds the new rows meanwhile, then waits to swap. A new reader that
    // queues behind the swap's lock request gets the table while the first reader still holds
    // on, because each attempt at the swap steps back after a while (SWAP_LOCK_WAIT). A swap
    // that queued until the first reader left would hold the new reader until then, which this
    // test never allows: it commits the first reader only after the new reads are answered.
    const reader = new Client({ connectionString: s.databaseUrl });
    await reader.connect();
    const other = new Client({ connectionString: s.databaseUrl });
    await other.connect();
    try {
      await reader.query('begin');
      const [{ n }] = (await reader.query('select count(*)::int as n from member_retention')).rows;
      const running = refresh();
      running.catch(() => { /* awaited below */ });
      const [{ pid }] = (await other.query('select pg_backend_pid() as pid')).rows;
      // A safety bound only (a swap that never steps back fails the test with a lock timeout, not a hang).
      await other.query(`set lock_timeout = '30s'`);
      let queued = 0;
      for (let round = 0; queued < 2; round++) {
        if (round === 20) throw new Error(`only ${queued} of 20 reads queued behind the waiting swap`);
        await untilWaitingForLock(s, 'lock table member_retention', 'the swap');
        const read = other.query('select count(*)::int as n from member_retention');
        if (await blockedWhileRunning(pid, read)) queued++;
        expect((await read).rows[0].n).toBe(n); // answered, with the old rows
      }
      expect((await reader.query('select count(*)::int as n from member_retention')).rows[0].n).toBe(n);
      await reader.query('commit');
      expect((await running).refreshRetention.processed).toBe(67);
    } finally {
      await reader.end();
      await other.end();
    }
    expect(await s.sql(`select count(*)::int as n from pg_class where relname = 'member_retention_next'`)).toEqual([{ n: 0 }]);
  });

  /** Whether the session `pid` was seen waiting for another session's lock before `work` settled. */
  async function blockedWhileRunning(pid: number, work: Promise<unknown>): Promise<boolean> {
    let settled = false;
    work.then(() => (settled = true), () => (settled = true));
    while (!settled) {
      const [{ blocked }] = await s.sql('select cardinality(pg_blocking_pids($1)) > 0 as blocked', [pid]);
      if (blocked) return true;
      await new Promise((r) => setTimeout(r, 10));
    }
    return false;
  }

  it('fits the churn model with a backtest', async () => {
    const { churnModel } = await s.admin('{ churnModel { r alpha a b customers logLikelihood asOf ks gini } }');
    expect(churnModel.customers).toBe(66);
    expect(churnModel.asOf).toBe('2026-06-01T00:00:00.000Z');
    for (const k of ['r', 'alpha', 'a', 'b']) expect(churnModel[k]).toBeGreaterThan(0);
    expect(churnModel.ks).toBeGreaterThanOrEqual(0);
    expect(churnModel.gini).toBeGreaterThan(-1);
  });

  it('the model is the fit of every buyer\'s (x, t_x, T), and each buyer is scored under it', async () => {
    // The refresh reads the tuples in two halves, packed into keys: they must come back whole.
    const rows = await s.sql<{ x: number; tx: number; T: number; p: number; c: number }>(`select x, tx, t_days as "T", alive_probability as p, churn_risk as c from member_retention where x is not null`);
    expect(rows).toHaveLength(66);
    const [model] = await s.sql<{ r: number; alpha: number; a: number; b: number; ll: number }>('select r, alpha, a, b, log_likelihood as ll from churn_model order by id desc limit 1');
    const direct = fitBgNbd(rows.map((r: any) => ({ x: r.x, tx: r.tx, T: r.T, count: 1 })));
    expect(model.ll).toBeCloseTo(direct.logLikelihood, 4);
    const [{ horizon }] = await s.sql('select churn_horizon_days as horizon from program where id = 1');
    for (const r of rows) {
      expect(r.p).toBeCloseTo(aliveProbability(model, r), 12);
      expect(r.c).toBeCloseTo(churnRisk(model, r, horizon), 12);
    }
  });

  it('win-back candidates have high churn risk, most valuable first', async () => {
    const { winBackCandidates } = await s.admin('{ winBackCandidates(first: 10) { id churnRisk aliveProbability rfm { monetary } } }');
    expect(winBackCandidates.length).toBeGreaterThan(0);
    const values = winBackCandidates.map((m: any) => m.rfm.monetary * m.aliveProbability);
    for (let i = 1; i < values.length; i++) expect(values[i]).toBeLessThanOrEqual(values[i - 1] + 1e-9);
    for (const m of winBackCandidates) expect(m.churnRisk).toBeGreaterThanOrEqual(0.5);
  });

  it('programStats adds up', async () => {
    const { programStats } = await s.admin('{ programStats { members pointsLiability byTier { tier { code } count } byStage { stage count } } }');
    expect(programStats.members).toBe(67);
    expect(programStats.byTier.reduce((a: number, t: any) => a + t.count, 0)).toBe(67);
    expect(programStats.byStage.reduce((a: number, t: any) => a + t.count, 0)).toBe(67);
    // Every stage, in lifecycle order, an empty one with 0 (as byTier lists every tier by rank).
    expect(programStats.byStage.map((t: any) => t.stage)).toEqual(['PROSPECT', 'NEW', 'ACTIVE', 'AT_RISK', 'DORMANT', 'CHURNED', 'REACTIVATED']);
    const counts = new Map<string, number>(programStats.byStage.map((t: any) => [t.stage, t.count]));
    const stages = await s.sql<{ stage: string; n: number }>(`select coalesce(r.stage, 'PROSPECT') as stage, count(*)::int as n
      from member m left join member_retention r on r.member_id = m.id group by 1`);
    for (const [stage, n] of counts) expect(n).toBe(stages.find((x) => x.stage === stage)?.n ?? 0);
    const [{ sum }] = await s.sql('select sum(balance)::int as sum from point_account');
    expect(programStats.pointsLiability).toBe(sum);
  });
});

describe('segments and tags', () => {
  const SAVE = `mutation($i: SegmentInput!) { saveSegment(input: $i) { id name size members(first: 100) { totalCount edges { node { id } } } } }`;
  const save = async (name: string, filter: Record<string, unknown>) => (await s.admin(SAVE, { i: { name, filter } })).saveSegment;
  const count = async (where: string) => (await s.sql(`select count(*)::int as n from member m join tier t on t.id = m.tier_id
    left join member_retention r on r.member_id = m.id left join point_account a on a.member_id = m.id where ${where}`))[0].n;

  it('each filter field selects what SQL says it should', async () => {
    await s.admin(`mutation($id: ID!) { tagMember(memberId: $id, tagCode: "vip") { id } }`, { id: named.active });
    await s.admin(`mutation($id: ID!) { tagMember(memberId: $id, tagCode: "store") { id } }`, { id: named.active });
    await s.admin(`mutation($id: ID!) { tagMember(memberId: $id, tagCode: "store") { id } }`, { id: named.atRisk });
    const cases: [Record<string, unknown>, string][] = [
      [{ tierCodes: ['BRONZE'] }, `t.code = 'BRONZE'`],
      [{ stages: ['ACTIVE', 'NEW'] }, `r.stage in ('ACTIVE', 'NEW')`],
      [{ stages: ['PROSPECT'] }, `coalesce(r.stage, 'PROSPECT') = 'PROSPECT'`],
      [{ rfmSegments: ['IMPORTANT_VALUE', 'GENERAL_WINBACK'] }, `r.rfm_segment in ('IMPORTANT_VALUE', 'GENERAL_WINBACK')`],
      [{ minBalance: 500 }, 'coalesce(a.balance, 0) >= 500'],
      [{ maxBalance: 100 }, 'coalesce(a.balance, 0) <= 100'],
      [{ regions: ['South', 'North'] }, `m.region in ('South', 'North')`],
      [{ birthdayMonths: [3] }, `extract(month from m.birthday) = 3`],
      [{ minSpend: 200 }, 'r.monetary_cents >= 20000'],
      [{ lastPurchaseFrom: at(100) }, `r.last_purchase_at >= '${at(100)}'`],
    ];
    for (const [filter, where] of cases) {
      const seg = await save(`seg ${JSON.stringify(filter)}`, filter);
      expect({ filter, size: seg.size }).toEqual({ filter, size: await count(where) });
      expect(seg.members.totalCount).toBe(seg.size);
    }
    expect((await save('all', { tagsAll: ['vip', 'store'] })).size).toBe(1);
    expect((await save('any', { tagsAny: ['vip', 'store'] })).size).toBe(2);
    expect((await save('none', { tagsNone: ['store'] })).size).toBe(65);
    expect((await save('combo', { tagsAny: ['store'], stages: ['AT_RISK'], regions: ['South'] })).members.edges).toEqual([{ node: { id: named.atRisk } }]);
    // The name is the key, its spaces around trimmed: saving "combo " again is the same segment.
    const again = await save('  combo ', { tagsAny: ['vip'] });
    expect(again.name).toBe('combo');
    expect(await s.sql(`select count(*)::int as n from segment where name like '%combo%'`)).toEqual([{ n: 1 }]);
  });

  it('exports a segment as CSV over HTTP, admin only', async () => {
    const seg = await save('south', { regions: ['South'] });
    const url = `${s.url}/exports/segments/${seg.id}.csv`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: `Bearer ${await s.token('service')}` } })).status).toBe(403);
    const res = await fetch(url, { headers: { authorization: `Bearer ${await s.token('admin')}` } });
    expect(res.headers.get('content-type')).toMatch(/text\/csv/);
    const lines = (await res.text()).trim().split('\n');
    expect(lines[0]).toBe('id,external_id,display_name,email,phone,tier,stage,rfm_segment,balance,joined_at');
    expect(lines.length - 1).toBe(seg.size);
    // Instants as the API writes them.
    const joined = lines.slice(1).map((l) => l.split(',').at(-1));
    const { member } = await s.admin('query($id: ID!) { member(id: $id) { joinedAt } }', { id: lines[1].split(',')[0] });
    expect(joined[0]).toBe(member.joinedAt);
    for (const j of joined) expect(j).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  it('profiles a segment against all members (TGI)', async () => {
    const seg = await save('south profile', { regions: ['South'] });
    const { segment } = await s.admin(`query($id: ID!) { segment(id: $id) { profile { dimension value segmentShare populationShare tgi } } }`, { id: seg.id });
    const south = segment.profile.find((p: any) => p.dimension === 'region' && p.value === 'South');
    expect(south.segmentShare).toBe(1);
    expect(south.tgi).toBeCloseTo(100 / south.populationShare, 1);
  });

  it('an empty segment\'s profile has no index: shares 0, TGI null (0 ÷ 0), not TGI 0', async () => {
    const { segmentPreview } = await s.admin(`query { segmentPreview(filter: { minBalance: 2000000000 }) { size profile { dimension value segmentCount segmentShare populationShare tgi } } }`);
    expect(segmentPreview.size).toBe(0);
    expect(segmentPreview.profile.length).toBeGreaterThan(0);
    for (const row of segmentPreview.profile) expect(row).toMatchObject({ segmentCount: 0, segmentShare: 0, tgi: null });
  });

  it('rule tags follow their filter, now and at each refresh', async () => {
    const res = await s.admin(`mutation { upsertTag(input: { code: "high_value", name: "High value", category: BEHAVIOR, rule: { minM: 4 } }) { kind category } }`);
    expect(res.upsertTag).toEqual({ kind: 'RULE', category: 'BEHAVIOR' });
    const expected = await count('r.m >= 4');
    const tagged = async () => (await s.sql(`select count(*)::int as n from member_tag mt join tag t on t.id = mt.tag_id where t.code = 'high_value'`))[0].n;
    expect(await tagged()).toBe(expected);
    await refresh();
    expect(await tagged()).toBe(expected);
    const manual = await s.gql(`mutation($id: ID!) { tagMember(memberId: $id, tagCode: "high_value") { id } }`, { id: named.prospect }, await s.token('admin'));
    expect(manual.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('a refresh that fits no churn model', () => {
  it('leaves expectedPurchases null with aliveProbability and churnRisk, not from an earlier run\'s model', async () => {
    await refresh(); // a model as of AS_OF
    const early = new Date(AS_OF - 699 * DAY).toISOString(); // a few first purchases only: nothing to fit
    const model = async () => (await s.admin('{ churnModel { asOf } }')).churnModel;
    const before = await model();
    expect(before.asOf).toBe(new Date(AS_OF).toISOString());
    await s.admin(`mutation($a: DateTime!) { refreshRetention(asOf: $a) { processed } }`, { a: early });
    expect(await model()).toEqual(before); // no fit for `early`
    const [buyer] = await s.sql<{ id: string }>('select member_id::text as id from member_retention where x is not null limit 1');
    expect(buyer).toBeDefined();
    const { member } = await s.admin(`query($id: ID!) { member(id: $id) { rfm { frequency } aliveProbability churnRisk expectedPurchases(days: 90) } }`, { id: buyer.id });
    expect(member).toMatchObject({ aliveProbability: null, churnRisk: null, expectedPurchases: null });
    await refresh(); // as it was for what follows
  });
});
