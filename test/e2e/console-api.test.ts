// Issue 22: the API the operator's console reads (docs/console-api.md). Each console page's data
// in at most two requests, and what was added for it: the dashboard's points outlook and RFM
// cells, the audit log's filters and keyset pages, a segment filter's preview before it is saved.
import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';
import { listStatements } from '../support/statements';
import { TestClock, whenItComes } from '../support/clock';

let s: TestServer;
/** The server's clock: the expiry run below is made as of 12 days ahead once that day has come, then the clock goes back. */
const clock = new TestClock();
const DAY = 86_400_000;
const daysAgo = (n: number) => new Date(Date.now() - n * DAY).toISOString();
const members: string[] = [];
let keys = 0;

const PURCHASE = `mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }`;
const buy = (memberId: string, amount: number, ago: number) =>
  s.admin(PURCHASE, { i: { memberId, orderId: `o-${++keys}`, amount, occurredAt: daysAgo(ago) } });

/** The error of a request that must fail: its code and field. */
async function refusal(query: string, variables?: Record<string, unknown>, role: 'admin' | 'service' = 'admin') {
  const res = await s.gql(query, variables, await s.token(role));
  expect(res.errors).toHaveLength(1);
  const [e] = res.errors!;
  return { code: e.extensions?.code, field: e.extensions?.field, message: e.message };
}

beforeAll(async () => {
  s = await startTestServer({ clock });
  await createLadder(s);
  await s.admin('mutation { updateProgram(input: { pointsExpiryMonths: 12, pointsPendingDays: 7 }) { pointsExpiryMonths } }');
  for (let i = 0; i < 12; i++) {
    const id = await registerMember(s, { externalId: `c-${i}`, displayName: `Console ${i}`, region: i % 2 ? 'North' : 'South', joinedAt: daysAgo(500) });
    members.push(id);
    if (i % 4 === 3) continue; // a few without purchases: PROSPECT, no RFM cell
    await buy(id, 100 + i * 37, 369 - 2 * i); // active after 7 days, expires 12 months later: in about 3 + 2i days
    await buy(id, 50 + i * 11, 200); // expires in about five months
    if (i % 2 === 0) await buy(id, 30 + i, 2); // still pending (7 days)
    if (i % 3 === 0) await buy(id, 400, 40 + i * 20);
    if (i % 4 === 0) await buy(id, 90, 400);
  }
  // A debt not yet repaid (a programme allowing a negative balance): member 1 spent its first
  // purchase's 137 points, refunded before its second purchase's lot became spendable: it owes
  // 137, which that lot (61, expiring in about five months) repays at its next write.
  await s.admin('mutation($i: AdjustPointsInput!) { adjustPoints(input: $i) { amount } }',
    { i: { memberId: members[1], amount: -137, reason: 'spent', idempotencyKey: 'c-1-spent', occurredAt: daysAgo(300) } });
  await s.admin('mutation { updateProgram(input: { allowNegativeBalance: true }) { allowNegativeBalance } }');
  await s.admin('mutation($i: RefundPurchaseInput!) { refundPurchase(input: $i) { pointsEarned } }', { i: { orderId: 'o-6', refundId: 'o-6-r', amount: 137, occurredAt: daysAgo(250) } });
  await s.admin('mutation { updateProgram(input: { allowNegativeBalance: false }) { allowNegativeBalance } }');
  // An expiry run as of 12 days from now, with the clock moved there and back (a job as of a
  // day to come is refused), puts the accounts' watermark ahead of the clock the reads use:
  // lots expiring before it are gone although, for the reads, their expiry has not come yet.
  const ahead = new Date(Date.now() + 12 * DAY).toISOString();
  const expired = await whenItComes(clock, ahead, () => s.admin('mutation($a: DateTime!) { expirePoints(asOf: $a) { changed } }', { a: ahead }));
  expect(expired.expirePoints.changed).toBeGreaterThan(0);
  await s.admin('mutation($a: DateTime!) { refreshRetention(asOf: $a) { processed } }', { a: new Date().toISOString() });
}, 120_000);
afterAll(() => s.stop());

describe('programStats for the dashboard', () => {
  const EVERY_MEMBER = `{ members(first: 100) { edges { node { id pendingPoints expiringPoints(withinDays: 30) later: expiringPoints(withinDays: 400)
    rfm { segment monetary } } } } }`;
  type Row = { id: string; pendingPoints: number; expiringPoints: number; later: number; rfm: { segment: string; monetary: number } | null };

  it('totals pending and soon-expiring points as the members\' own fields do, summed', async () => {
    const rows = (await s.admin(EVERY_MEMBER)).members.edges.map((e: { node: Row }) => e.node) as Row[];
    const sum = (f: (r: Row) => number) => rows.reduce((n, r) => n + f(r), 0);
    const { programStats } = await s.admin(`{ programStats { pendingPoints expiringPoints(withinDays: 30) later: expiringPoints(withinDays: 400)
      none: expiringPoints(withinDays: 0) pointsLiability } }`);
    // the data has some of each, or the comparison below would prove nothing
    expect(sum((r) => r.pendingPoints)).toBeGreaterThan(0);
    expect(sum((r) => r.expiringPoints)).toBeGreaterThan(0);
    expect(sum((r) => r.later)).toBeGreaterThan(sum((r) => r.expiringPoints));
    // The member who owes 137: its one lot (61) goes to the debt, none of it is about to expire.
    expect((await s.admin(`{ member(id: "${members[1]}") { pointsBalance later: expiringPoints(withinDays: 400) } }`)).member).toEqual({ pointsBalance: -76, later: 0 });
    expect(programStats).toMatchObject({
      pendingPoints: sum((r) => r.pendingPoints), expiringPoints: sum((r) => r.expiringPoints), later: sum((r) => r.later), none: 0,
    });
  });

  it('lists the eight RFM cells with the members the refresh put in each', async () => {
    const rows = (await s.admin(EVERY_MEMBER)).members.edges.map((e: { node: Row }) => e.node) as Row[];
    const { programStats } = await s.admin('{ programStats { byRfmSegment { segment count monetary } } }');
    const cells = programStats.byRfmSegment as { segment: string; count: number; monetary: number }[];
    expect(cells.map((c) => c.segment)).toEqual([
      'IMPORTANT_VALUE', 'IMPORTANT_DEVELOP', 'IMPORTANT_RETAIN', 'IMPORTANT_WINBACK', 'GENERAL_VALUE', 'GENERAL_DEVELOP', 'GENERAL_RETAIN', 'GENERAL_WINBACK',
    ]);
    const scored = rows.filter((r) => r.rfm);
    expect(scored.length).toBe(9);
    for (const c of cells) {
      const inCell = scored.filter((r) => r.rfm!.segment === c.segment);
      expect({ segment: c.segment, count: c.count }).toEqual({ segment: c.segment, count: inCell.length });
      expect(c.monetary).toBeCloseTo(inCell.reduce((n, r) => n + r.rfm!.monetary, 0), 2);
    }
  });

  it('refuses an expiry window outside 0 to 3650 days, naming withinDays (the programme\'s and a member\'s)', async () => {
    expect(await refusal('{ programStats { expiringPoints(withinDays: -1) } }')).toMatchObject({ code: 'BAD_USER_INPUT', field: 'withinDays' });
    expect(await refusal('{ programStats { expiringPoints(withinDays: 3651) } }')).toMatchObject({ code: 'BAD_USER_INPUT', field: 'withinDays' });
    // A member's own figure takes the same window.
    for (const days of [-1, 3651]) {
      expect(await refusal('query($id: ID!, $d: Int!) { member(id: $id) { expiringPoints(withinDays: $d) } }', { id: members[0], d: days })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'withinDays' });
    }
  });
});

describe('auditEntries: the audit log page', () => {
  const PAGE = `query($f: AuditFilterInput, $first: Int, $after: String) { auditEntries(filter: $f, first: $first, after: $after) {
    edges { cursor node { id actor action entity entityId before after at } } pageInfo { hasNextPage endCursor } } }`;
  type Entry = { id: string; actor: string; action: string; entity: string; entityId: string; before: string | null; after: string | null; at: string };
  let alice: string;
  let startedAt: string;

  const page = async (f: Record<string, unknown> | null, first?: number, after?: string | null) =>
    (await s.admin(PAGE, { f, first, after })).auditEntries as { edges: { cursor: string; node: Entry }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
  /** Every entry the filter selects, page by page. */
  async function all(f: Record<string, unknown> | null, first: number): Promise<Entry[]> {
    const out: Entry[] = [];
    let after: string | null = null;
    for (let i = 0; i < 100; i++) {
      const p = await page(f, first, after);
      out.push(...p.edges.map((e) => e.node));
      expect(p.pageInfo.endCursor).toBe(p.edges.length ? p.edges[p.edges.length - 1].cursor : null);
      if (!p.pageInfo.hasNextPage) return out;
      after = p.pageInfo.endCursor;
    }
    throw new Error('more than 100 pages');
  }

  beforeAll(async () => {
    startedAt = new Date().toISOString();
    alice = await s.token('admin', 'alice');
    await s.admin('mutation { upsertBenefit(input: { code: "SHIP", name: "Free shipping", kind: "SHIPPING", tierCodes: ["GOLD"] }) { code } }');
    await s.admin('mutation { upsertBenefit(input: { code: "OTHER", name: "Other", kind: "DISCOUNT", value: 5, tierCodes: ["GOLD"] }) { code } }');
    for (let v = 1; v <= 4; v++) {
      const res = await s.gql(`mutation($v: Float) { updateBenefit(code: "SHIP", patch: { value: $v }) { version } }`, { v }, v % 2 ? alice : await s.token('admin'));
      expect(res.errors).toBeUndefined();
    }
    await s.admin('mutation { upsertTag(input: { code: "vip", name: "VIP" }) { code } }');
    for (const id of members.slice(0, 3)) await s.admin('mutation($id: ID!) { tagMember(memberId: $id, tagCode: "vip") { id } }', { id });
    for (const [i, id] of members.entries()) await s.admin('mutation($id: ID!, $p: MemberPatch!) { updateMember(memberId: $id, patch: $p) { id } }', { id, p: { email: `c${i}@example.com` } });
  });

  it('pages newest first by entry id, as a number, without a gap or a repeat', async () => {
    const everything = await all(null, 100);
    expect(everything.length).toBeGreaterThan(25); // ids pass 9 → 10 → …: a text order would misplace them
    const ids = everything.map((e) => BigInt(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0)));
    expect(new Set(ids).size).toBe(ids.length);
    for (const size of [1, 3, 7]) expect((await all(null, size)).map((e) => e.id)).toEqual(everything.map((e) => e.id));
  });

  it('filters by entity and entity id: who changed a benefit, and what', async () => {
    const ship = await all({ entity: 'Benefit', entityId: 'SHIP' }, 2);
    expect(ship.map((e) => e.action)).toEqual(['benefit.update', 'benefit.update', 'benefit.update', 'benefit.update', 'benefit.create']);
    expect(ship.map((e) => e.actor)).toEqual(['admin:admin-tester', 'admin:alice', 'admin:admin-tester', 'admin:alice', 'admin:admin-tester']);
    expect(JSON.parse(ship[0].after!)).toMatchObject({ value: 4 });
    expect(JSON.parse(ship[0].before!)).toMatchObject({ value: 3 });
    const benefits = await all({ entity: 'Benefit' }, 100);
    expect(new Set(benefits.map((e) => e.entityId))).toEqual(new Set(['SHIP', 'OTHER']));
  });

  it('filters by action, by actor and by time, each condition narrowing the others', async () => {
    const tags = await all({ action: 'member.tag' }, 100);
    expect(tags.map((e) => e.entityId).sort()).toEqual(members.slice(0, 3).sort());
    expect(tags.every((e) => e.entity === 'Member' && JSON.parse(e.after!).tag === 'vip')).toBe(true);
    const byAlice = await all({ actor: 'admin:alice' }, 100);
    expect(byAlice.map((e) => `${e.action} ${e.entityId}`)).toEqual(['benefit.update SHIP', 'benefit.update SHIP']);
    expect(await all({ actor: 'admin:alice', action: 'member.tag' }, 100)).toEqual([]);

    const everything = await all(null, 100);
    const since = await all({ from: startedAt }, 100);
    expect(since.length).toBeGreaterThan(0);
    expect(since).toEqual(everything.filter((e) => e.at >= startedAt));
    const cut = since[Math.floor(since.length / 2)].at; // `to` is exclusive
    expect(await all({ from: startedAt, to: cut }, 100)).toEqual(since.filter((e) => e.at < cut));
    expect(await all({ from: new Date(Date.now() + DAY).toISOString() }, 100)).toEqual([]);
  });

  it('refuses a bad cursor, a range that ends before it starts, and callers other than admins', async () => {
    expect(await refusal(PAGE, { after: 'bm90IGEgY3Vyc29y' })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    const memberCursor = Buffer.from('member:5').toString('base64url');
    expect(await refusal(PAGE, { after: memberCursor })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    expect(await refusal(PAGE, { f: { from: startedAt, to: '2000-01-01T00:00:00Z' } })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'to' });
    expect(await refusal(PAGE, { first: 101 })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    expect((await refusal(PAGE, { f: { entity: 'x'.repeat(201) } })).code).toBe('BAD_USER_INPUT');
    expect((await refusal(PAGE, {}, 'service')).code).toBe('FORBIDDEN');
  });
});

describe('segmentPreview: the filter builder before saving', () => {
  const FILTER = { regions: ['North'], minBalance: 1 };
  const FIELDS = `size profile { dimension value segmentCount segmentShare populationShare tgi }
    members(first: 2) { totalCount edges { node { id } } pageInfo { hasNextPage endCursor } }`;

  it('answers what the same filter, saved, answers', async () => {
    const { segmentPreview } = await s.admin(`query($f: SegmentFilterInput!) { segmentPreview(filter: $f) { filter { regions } ${FIELDS} } }`, { f: FILTER });
    const { saveSegment } = await s.admin(`mutation($i: SegmentInput!) { saveSegment(input: $i) { id ${FIELDS} } }`, { i: { name: 'north buyers', filter: FILTER } });
    expect(segmentPreview.size).toBeGreaterThan(0);
    expect(segmentPreview.size).toBeLessThan(members.length);
    const { filter, ...preview } = segmentPreview;
    expect(filter.regions).toEqual(['North']);
    expect(preview).toEqual({ size: saveSegment.size, profile: saveSegment.profile, members: saveSegment.members });
    expect(preview.profile.some((r: { dimension: string; tgi: number | null }) => r.dimension === 'region' && r.tgi! > 100)).toBe(true);
  });

  it('pages its members through every one the filter selects', async () => {
    const q = `query($f: SegmentFilterInput!, $after: String) { segmentPreview(filter: $f) { size members(first: 2, after: $after) {
      edges { node { id region } } pageInfo { hasNextPage endCursor } } } }`;
    const seen: string[] = [];
    let after: string | null = null;
    let size: number;
    type Preview = { size: number; members: { edges: { node: { id: string; region: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };
    do {
      const preview: Preview = (await s.admin(q, { f: FILTER, after })).segmentPreview;
      size = preview.size;
      for (const { node } of preview.members.edges) {
        expect(node.region).toBe('North');
        seen.push(node.id);
      }
      after = preview.members.pageInfo.hasNextPage ? preview.members.pageInfo.endCursor : null;
    } while (after);
    expect(seen.length).toBe(size);
    expect(new Set(seen).size).toBe(size);
  });

  it('refuses a filter that cannot compile, naming its field, and callers other than admins', async () => {
    const q = 'query($f: SegmentFilterInput!) { segmentPreview(filter: $f) { size } }';
    expect(await refusal(q, { f: { minR: 9 } })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'minR' });
    expect(await refusal(q, { f: { birthdayMonths: [13] } })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'birthdayMonths' });
    expect((await refusal(q, { f: {} }, 'service')).code).toBe('FORBIDDEN');
  });

  it('gives a saved segment the path of its CSV export, which serves its members', async () => {
    const { saveSegment } = await s.admin('mutation($i: SegmentInput!) { saveSegment(input: $i) { id size exportPath } }', { i: { name: 'north csv', filter: FILTER } });
    expect(saveSegment.exportPath).toBe(`/exports/segments/${saveSegment.id}.csv`);
    const res = await fetch(`${s.url}${saveSegment.exportPath}`, { headers: { authorization: `Bearer ${await s.token('admin')}` } });
    expect(res.status).toBe(200);
    const lines = (await res.text()).trim().split('\n');
    expect(lines[0]).toMatch(/^id,external_id,/);
    expect(lines.length - 1).toBe(saveSegment.size);
  });
});

describe('each console page in at most two requests', () => {
  /**
   * Runs one page's request as admin and returns its data; fails listing the statements when
   * there are more than `most` (each bound is what the page costs today: one statement per root
   * field or per field's loader, never one per row).
   */
  async function pageRequest(what: string, query: string, variables: Record<string, unknown>, most: number) {
    const { result, statements } = await s.countStatements(async () => s.gql(query, variables, await s.token('admin')));
    expect(result.errors).toBeUndefined();
    if (statements.length > most) throw new Error(`${what}: ${statements.length} statements, at most ${most} expected:\n${listStatements(statements)}`);
    return result.data!;
  }

  it('dashboard: totals, cells, churn model and win-back list in one; the monthly series in another', async () => {
    const totals = await pageRequest('dashboard totals', `{
      programStats { members byTier { tier { code name } count } byStage { stage count } pointsLiability pendingPoints expiringPoints(withinDays: 30)
        byRfmSegment { segment count monetary } }
      churnModel { asOf customers ks gini }
      winBackCandidates(first: 20) { id displayName externalId churnRisk tier { name } rfm { segment monetary } }
    }`, {}, 11);
    expect(totals.programStats.members).toBe(members.length);
    expect(totals.programStats.byRfmSegment).toHaveLength(8);
    expect(totals.churnModel).not.toBeNull();
    const series = await pageRequest('dashboard series', `query($from: DateTime!, $to: DateTime!) {
      pointsFlow(from: $from, to: $to) { period earned redeemed expired reversed redemptionRate }
      growth(from: $from, to: $to) { period active new retained wonBack churned }
      lifecycleTransitions(from: $from, to: $to) { from to count }
    }`, { from: daysAgo(540), to: new Date(Date.now() + DAY).toISOString() }, 3);
    expect(series.pointsFlow.length).toBeGreaterThan(0);
    expect(series.growth.length).toBeGreaterThan(12);
    expect(series.lifecycleTransitions.length).toBeGreaterThan(0);
  });

  it('member profile: everything the page shows, with the pickers, in one', async () => {
    const data = await pageRequest('member profile', `query($id: ID!) {
      member(id: $id) { id externalId displayName email phone birthday gender region channel joinedAt tier { code name } tierSince tierExpiresAt
        tierProgress { qualifyingPoints nextTier { name } pointsToNextTier pointsToRetain } pointsBalance pendingPoints lifetimePoints expiringPoints(withinDays: 30)
        pointsHistory(first: 20) { edges { node { id type amount balanceAfter occurredAt reason } } pageInfo { hasNextPage endCursor } }
        tierHistory { kind fromTier { name } toTier { name } occurredAt }
        redemptions(first: 20) { edges { node { id couponCode status expiresAt reward { name } } } pageInfo { hasNextPage endCursor } }
        tags { code name } benefits { code name } rfm { r f m segment } lifecycleStage churnRisk }
      tags { code name kind }
      tiers { code name }
    }`, { id: members[0] }, 7);
    expect(data.member.pointsHistory.edges.length).toBeGreaterThan(0);
    expect(data.member.tags).toEqual([{ code: 'vip', name: 'VIP' }]);
  });

  it('benefits: rules, their versions and who changed them, in one', async () => {
    const data = await pageRequest('benefits', `{
      benefits { code name kind value tierCodes requiredTags active validFrom validTo version history { version changedBy changedAt snapshot } }
      auditEntries(filter: { entity: "Benefit" }, first: 50) { edges { node { actor action entityId before after at } } pageInfo { hasNextPage endCursor } }
    }`, {}, 3);
    const ship = data.benefits.find((b: { code: string }) => b.code === 'SHIP');
    expect(ship.history.map((v: { version: number }) => v.version)).toEqual([1, 2, 3, 4, 5]);
    expect(JSON.parse(ship.history[4].snapshot)).toMatchObject({ value: 4 });
  });

  it('rewards: the catalogue in one; a coupon look-up with its member, by service staff, in one', async () => {
    await s.admin('mutation($i: RewardInput!) { upsertReward(input: $i) { code } }', { i: { code: 'COFFEE', name: 'Coffee', costPoints: 10, stock: 5, couponValidDays: 30 } });
    const catalogue = await pageRequest('rewards', '{ rewards { code name costPoints stock perMemberLimit tierCodes active validFrom validTo faceValue couponValidDays } }', {}, 1);
    expect(catalogue.rewards).toEqual([expect.objectContaining({ code: 'COFFEE', stock: 5, couponValidDays: 30 })]);
    const { redeemReward } = await s.admin('mutation($i: RedeemRewardInput!) { redeemReward(input: $i) { couponCode } }',
      { i: { memberId: members[0], rewardCode: 'COFFEE', idempotencyKey: 'console-coffee' } });
    const LOOK_UP = `query($c: String!) { redemptionByCoupon(couponCode: $c) { status points expiresAt reward { name } member { id displayName externalId } } }`;
    const { result, statements } = await s.countStatements(async () => s.gql(LOOK_UP, { c: redeemReward.couponCode.toLowerCase() }, await s.token('service')));
    expect(result.errors).toBeUndefined();
    expect(statements.length).toBeLessThanOrEqual(3);
    expect(result.data!.redemptionByCoupon).toMatchObject({ status: 'ISSUED', points: 10, reward: { name: 'Coffee' }, member: { id: members[0], displayName: 'Console 0', externalId: 'c-0' } });
    // a member reads its own coupons' member: itself
    const ME = `{ me { redemptions(first: 5) { edges { node { couponCode member { id } } } } } }`;
    const own = await s.gql(ME, {}, await s.token('member', members[0]));
    expect(own.data!.me.redemptions.edges).toEqual([{ node: { couponCode: redeemReward.couponCode, member: { id: members[0] } } }]);
  });

  it('tags: each tag with its count, kind, category and rule, and the rule form\'s pickers, in one', async () => {
    for (const id of [members[5], members[6]]) await s.admin('mutation($id: ID!) { tagMember(memberId: $id, tagCode: "console_pick") { id } }', { id });
    await s.admin('mutation($i: TagInput!) { upsertTag(input: $i) { code } }', { i: { code: 'console_rule', name: 'Console rule', category: 'BEHAVIOR', rule: { tagsAny: ['console_pick'] } } });
    const data = await pageRequest('tags', `{
      tagCounts { count tag { id code name kind category rule { tierCodes tagsAll tagsAny tagsNone stages minM joinedFrom birthdayMonths } } }
      tiers { code name rank } program { timeZone } everyone: segmentPreview(filter: {}) { size profile { dimension value } }
    }`, {}, 7);
    const byCode = new Map(data.tagCounts.map((c: { tag: { code: string } }) => [c.tag.code, c]));
    expect(byCode.get('console_rule')).toMatchObject({ count: 2, tag: { kind: 'RULE', category: 'BEHAVIOR', rule: { tagsAny: ['console_pick'], minM: null } } });
    expect(byCode.get('console_pick')).toMatchObject({ count: 2, tag: { kind: 'MANUAL', category: 'DESCRIPTIVE', rule: null } });
  });

  it('programme: the engagement settings and every activity rule, in one', async () => {
    await s.admin('mutation($i: ActivityRuleInput!) { upsertActivityRule(input: $i) { kind } }',
      { i: { kind: 'CONSOLE_POLL', name: 'Console poll', points: 3, dailyCap: 6, memberMayRecord: true } });
    const data = await pageRequest('programme', `{
      program { timeZone referrerPoints refereePoints referralHoldDays referralMonthlyLimit checkInPoints }
      activityRules { kind name points qualifyingPoints dailyCap active memberMayRecord }
    }`, {}, 2);
    expect(data.activityRules).toContainEqual({ kind: 'CONSOLE_POLL', name: 'Console poll', points: 3, qualifyingPoints: 0, dailyCap: 6, active: true, memberMayRecord: true });
  });

  it('jobs: the time zone and each daily job\'s last run in one (a statement per job); the latest runs in another', async () => {
    await s.sql(`insert into job_run (job, slot, started_at, finished_at, result) values ('tiers.review', '2026-02-01T00:00:00.000Z', now(), now(), '{"processed": 4, "changed": 1}')`);
    const last = (alias: string, job: string) => `${alias}: jobRuns(job: "${job}", first: 1) { id job slot startedAt finishedAt processed changed failed }`;
    const overview = await pageRequest('jobs overview', `{ program { timeZone }
      ${last('pointsExpire', 'points.expire')} ${last('tiersReview', 'tiers.review')} ${last('tiersNotices', 'tiers.notices')}
      ${last('benefitsBirthday', 'benefits.birthday')} ${last('retentionRefresh', 'retention.refresh')} ${last('campaignsReevaluate', 'campaigns.reevaluate')} }`, {}, 7);
    expect(overview.program.timeZone).toBe('UTC');
    expect(overview.tiersReview).toEqual([expect.objectContaining({ job: 'tiers.review', processed: 4, changed: 1, failed: false })]);
    expect(overview.pointsExpire).toHaveLength(0);
    const runs = await pageRequest('jobs runs', 'query($job: String, $first: Int!) { jobRuns(job: $job, first: $first) { id job slot processed changed failed } }', { job: null, first: 21 }, 1);
    expect(runs.jobRuns).toEqual([{ id: expect.any(String), job: 'tiers.review', slot: '2026-02-01T00:00:00.000Z', processed: 4, changed: 1, failed: false }]);
  });

  it('segment builder: size, TGI profile and the first members of an unsaved filter, in one', async () => {
    const data = await pageRequest('segment builder', `query($f: SegmentFilterInput!) { segmentPreview(filter: $f) { size
      profile { dimension value tgi } members(first: 20) { totalCount edges { node { id displayName tier { name } } } } } tiers { code name } tags { code name } }`,
    { f: { tagsAny: ['vip'] } }, 6);
    expect(data.segmentPreview.size).toBe(3);
  });
});
