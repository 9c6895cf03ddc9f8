// Issue 20, item 3: the statements representative operations send to PostgreSQL, counted where
// they leave the process (src/db/statement-count.ts): ORM queries, raw `execute`, BEGIN/COMMIT,
// NOTIFY. A pin that breaks prints the statements: the one added (or gone) is in the list.
import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';
import { importFile } from '../support/imports';
import { listStatements } from '../support/statements';
import { eventually } from '../support/wait';

let s: TestServer;
/** Members registered in the set-up: each tagged vip, with a purchase that took it to SILVER. */
const members: string[] = [];
const MEMBERS = 25;
let keys = 0;
const key = (prefix: string) => `${prefix}-${++keys}`;

const PURCHASE = `mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned member { pointsBalance } tierChange { kind } } }`;
/** What a store's back end reads back from a purchase: the points, the ledger row, the tier change. */
const PURCHASE_ONLY = `mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned transaction { id balanceAfter } tierChange { kind } } }`;
const REFUND = `mutation($i: RefundPurchaseInput!) { refundPurchase(input: $i) { pointsEarned member { pointsBalance } } }`;
const REDEEM = `mutation($i: RedeemRewardInput!) { redeemReward(input: $i) { id couponCode status } }`;
const CANCEL = `mutation($id: ID!) { cancelRedemption(id: $id, reason: "changed their mind") { id status } }`;
const USE = `mutation($i: UseCouponInput!) { useCoupon(input: $i) { id status usedAt } }`;
const ADJUST = `mutation($i: AdjustPointsInput!) { adjustPoints(input: $i) { id amount balanceAfter } }`;
const MEMBER_FIELDS = 'id pointsBalance tier { code } tags { code } benefits { code }';
const membersPage = (first: number, fields = MEMBER_FIELDS) => `{ members(first: ${first}) { totalCount edges { node { ${fields} } } } }`;
const memberScreen = (fields: string) => `query($id: ID!) { member(id: $id) { ${fields} } }`;
const ME_SCREEN = `{ me { id displayName tier { code name } pointsBalance pendingPoints expiringPoints(withinDays: 30)
  tierProgress { qualifyingPoints nextTier { code } pointsToNextTier } benefits { code name } tags { code } } }`;
const MEMBER_SCREEN = memberScreen('id pointsBalance pendingPoints tierProgress { pointsToNextTier nextTier { code } } benefits { code } tags { code } tier { code }');

beforeAll(async () => {
  s = await startTestServer();
  await createLadder(s);
  await s.admin('mutation { upsertBenefit(input: { code: "LOUNGE", name: "Lounge", kind: "ACCESS", tierCodes: ["BRONZE", "SILVER"] }) { code } }');
  await s.admin('mutation { upsertTag(input: { code: "vip", name: "VIP" }) { code } }');
  await s.admin('mutation($i: RewardInput!) { upsertReward(input: $i) { code } }', { i: { code: 'COFFEE', name: 'Coffee', costPoints: 10 } });
  for (let i = 0; i < MEMBERS; i++) {
    const id = await registerMember(s, { externalId: `count-${i}`, displayName: `Counted ${i}` });
    members.push(id);
    await s.admin('mutation($id: ID!) { tagMember(memberId: $id, tagCode: "vip") { id } }', { id });
    await s.admin(PURCHASE, { i: { memberId: id, orderId: `start-${i}`, amount: 1200 } });
  }
});
afterAll(() => s.stop());

/** Runs one operation as admin (it must succeed) and returns its data and its statements. */
async function count(query: string, variables?: Record<string, unknown>) {
  const { result, statements } = await s.countStatements(() => s.admin(query, variables));
  return { data: result, statements };
}

/** Fails with every statement listed when the count is not the one pinned. */
function expectStatements(what: string, statements: string[], pinned: number) {
  if (statements.length !== pinned) {
    throw new Error(`${what}: ${statements.length} statements, pinned at ${pinned}:\n${listStatements(statements)}`);
  }
}

async function issueCoupon(memberId: string): Promise<{ id: string; couponCode: string }> {
  return (await s.admin(REDEEM, { i: { memberId, rewardCode: 'COFFEE', idempotencyKey: key('redeem') } })).redeemReward;
}

describe('statement counts of representative operations', () => {
  it('the member screen (balance, pending, progress, benefits, tags, tier)', async () => {
    const { data, statements } = await count(MEMBER_SCREEN, { id: members[0] });
    expect(data.member).toMatchObject({ pointsBalance: 1200, tier: { code: 'SILVER' }, tags: [{ code: 'vip' }], benefits: [{ code: 'LOUNGE' }] });
    expectStatements('member screen', statements, 1);
  });

  it('the member app\'s screen, `me` with a member token', async () => {
    const token = await s.token('member', members[0]);
    const { result, statements } = await s.countStatements(() => s.gql(ME_SCREEN, {}, token));
    expect(result.errors).toBeUndefined();
    expect(result.data!.me).toMatchObject({ id: members[0], pointsBalance: 1200, tier: { code: 'SILVER' }, tags: [{ code: 'vip' }] });
    expectStatements('me screen', statements, 1);
  });

  it('a members page of 20 with tier, tags, benefits and balance', async () => {
    const { data, statements } = await count(membersPage(20));
    expect(data.members.edges).toHaveLength(20);
    expectStatements('members page of 20', statements, 6);
  });

  it('a members page of 20 with its tiers only: page, count, ladder', async () => {
    const { data, statements } = await count(membersPage(20, 'tier { name }'));
    expect(data.members.edges).toHaveLength(20);
    expectStatements('members page of 20 with tiers', statements, 3);
  });

  // Issue 21: a purchase in one round trip (purchase_at_once, its own transaction), an upgrade included.
  it('recordPurchase', async () => {
    const { data, statements } = await count(PURCHASE_ONLY, { i: { memberId: members[1], orderId: key('order'), amount: 100 } });
    expect(data.recordPurchase).toMatchObject({ pointsEarned: 125, tierChange: null });
    expectStatements('recordPurchase', statements, 1);
    expect(statements[0]).toMatch(/from purchase_at_once\(/);
  });

  it('recordPurchase that upgrades the member (tier change, outbox; the NOTIFY goes after the answer, off the request)', async () => {
    const { data, statements } = await count(PURCHASE_ONLY, { i: { memberId: members[2], orderId: key('order'), amount: 4000 } });
    expect(data.recordPurchase.tierChange).toEqual({ kind: 'UPGRADE' });
    expectStatements('recordPurchase with an upgrade', statements, 2);
    expect(statements[0]).toMatch(/from purchase_at_once\(/);
    expect(statements[1]).toMatch(/pg_notify/);
  });

  it('recordPurchase when a multiplier benefit requires a tag: four round trips (BEGIN, purchase_facts, purchase_write, COMMIT)', async () => {
    await s.admin('mutation { upsertBenefit(input: { code: "COUNT_TAGGED", name: "Tagged boost", kind: "POINTS_MULTIPLIER", value: 0.5, tierCodes: [], requiredTags: ["vip"] }) { code } }');
    await s.admin(PURCHASE_ONLY, { i: { memberId: members[10], orderId: key('order'), amount: 1 } }); // the configuration read again once
    const { data, statements } = await count(PURCHASE_ONLY, { i: { memberId: members[10], orderId: key('order'), amount: 100 } });
    expect(data.recordPurchase).toMatchObject({ pointsEarned: 175, tierChange: null });
    expectStatements('recordPurchase with a tag-dependent benefit', statements, 4);
    [/^begin$/, /from purchase_facts\(/, /from purchase_write\(/, /^commit$/]
      .forEach((pattern, i) => expect(statements[i].replace(/\s+/g, ' ').trim()).toMatch(pattern));
    await s.admin('mutation { upsertBenefit(input: { code: "COUNT_TAGGED", name: "Tagged boost", kind: "POINTS_MULTIPLIER", value: 0.5, tierCodes: [], requiredTags: ["vip"], active: false }) { code } }');
    // switched off: a purchase now needs no tags again (one more to read the configuration again)
    await s.admin(PURCHASE_ONLY, { i: { memberId: members[10], orderId: key('order'), amount: 1 } });
    expectStatements('recordPurchase after it', (await count(PURCHASE_ONLY, { i: { memberId: members[10], orderId: key('order'), amount: 1 } })).statements, 1);
  });

  // Issue 24: with a PURCHASE campaign that may apply, its effects ride on the purchase's one statement.
  it('recordPurchase with an active budgeted PURCHASE campaign: still one statement (purchase_at_once, then campaign_effects)', async () => {
    await s.sql(`insert into campaign (id, code, name, trigger, status, starts_at, bonus_points, budget_points, control_percent, activated_at)
      values (md5('campaign:COUNTED')::uuid, 'COUNTED', 'Counted', 'PURCHASE', 'ACTIVE', '2020-01-01', 5, 1000000, 0, now())`);
    await s.admin(PURCHASE_ONLY, { i: { memberId: members[12], orderId: key('order'), amount: 1 } }); // the configuration (and the campaigns) read again once
    const { data, statements } = await count(PURCHASE_ONLY, { i: { memberId: members[12], orderId: key('order'), amount: 100 } });
    expect(data.recordPurchase).toMatchObject({ pointsEarned: 125, tierChange: null });
    expectStatements('recordPurchase with a campaign', statements, 1);
    expect(statements[0]).toMatch(/from purchase_at_once\(/);
    expect(statements[0]).toMatch(/campaign_effects\(/);
    const [award] = await s.sql(`select points from campaign_award where member_id = $1 and campaign_id = md5('campaign:COUNTED')::uuid order by id desc limit 1`, [members[12]]);
    expect(award.points).toBe(5);
    await s.sql(`update campaign set status = 'ENDED', ended_reason = 'ADMIN', ended_at = now() where code = 'COUNTED'`);
    await s.admin(PURCHASE_ONLY, { i: { memberId: members[12], orderId: key('order'), amount: 1 } }); // read again once
    expectStatements('recordPurchase after it ended', (await count(PURCHASE_ONLY, { i: { memberId: members[12], orderId: key('order'), amount: 1 } })).statements, 1);
  });

  // Issue 25: a referral completion rides on its purchase's one statement (the issue allows one more; it takes none).
  it('recordPurchase that completes the member\'s referral: still one statement, as a purchase without a pending referral', async () => {
    await s.admin('mutation { updateProgram(input: { referrerPoints: 200, refereePoints: 100, referralHoldDays: 7 }) { referrerPoints } }');
    const referrer = (await s.admin('query($id: ID!) { member(id: $id) { referralCode } }', { id: members[13] })).member.referralCode;
    const referee = (await s.admin('mutation($i: RegisterMemberInput!) { registerMember(input: $i) { id } }',
      { i: { externalId: 'count-referee', referralCode: referrer } })).registerMember.id;
    await s.admin(PURCHASE_ONLY, { i: { memberId: members[13], orderId: key('order'), amount: 1 } }); // the configuration read again once
    const without = await count(PURCHASE_ONLY, { i: { memberId: members[13], orderId: key('order'), amount: 100 } });
    expect(without.data.recordPurchase).toMatchObject({ pointsEarned: 125, tierChange: null });
    expectStatements('recordPurchase without a pending referral', without.statements, 1);
    const { data, statements } = await count(PURCHASE_ONLY, { i: { memberId: referee, orderId: key('order'), amount: 100 } });
    expect(data.recordPurchase).toMatchObject({ pointsEarned: 100 });
    expectStatements('recordPurchase completing a referral', statements, 1);
    expect(statements[0]).toMatch(/from purchase_at_once\(/);
    expect(statements[0]).toMatch(/referral_complete\(/);
    const rows = await s.sql(`select t.member_id::text as "memberId", t.amount from point_transaction t where t.type = 'REFERRAL' and t.member_id = any($1::uuid[]) order by t.amount`,
      [[referee, members[13]]]);
    expect(rows).toEqual([{ memberId: referee, amount: 100 }, { memberId: members[13], amount: 200 }]);
    // its next purchase: as any other
    expectStatements('the referee\'s next purchase', (await count(PURCHASE_ONLY, { i: { memberId: referee, orderId: key('order'), amount: 1 } })).statements, 1);
  });

  it('recordPurchase read back with its member (two reads after it)', async () => {
    const { data, statements } = await count(PURCHASE, { i: { memberId: members[8], orderId: key('order'), amount: 100 } });
    expect(data.recordPurchase.member.pointsBalance).toBe(1200 + 125);
    expectStatements('recordPurchase with its member', statements, 3);
  });

  it('a retried recordPurchase: its statement tells it, the stored result is read back', async () => {
    const i = { memberId: members[9], orderId: key('order'), amount: 100 };
    await s.admin(PURCHASE_ONLY, { i });
    const { data, statements } = await count(PURCHASE_ONLY, { i });
    expect(data.recordPurchase).toMatchObject({ pointsEarned: 125, tierChange: null });
    expectStatements('a retried recordPurchase', statements, 3);
  });

  it('refundPurchase', async () => {
    const orderId = key('order');
    await s.admin(PURCHASE, { i: { memberId: members[3], orderId, amount: 100 } });
    const { data, statements } = await count(REFUND, { i: { orderId, refundId: key('refund'), amount: 50 } });
    expect(data.refundPurchase.pointsEarned).toBeLessThan(0);
    expectStatements('refundPurchase', statements, 20);
  });

  it('redeemReward', async () => {
    const { data, statements } = await count(REDEEM, { i: { memberId: members[4], rewardCode: 'COFFEE', idempotencyKey: key('redeem') } });
    expect(data.redeemReward.status).toBe('ISSUED');
    expectStatements('redeemReward', statements, 13);
  });

  it('cancelRedemption', async () => {
    const coupon = await issueCoupon(members[5]);
    const { data, statements } = await count(CANCEL, { id: coupon.id });
    expect(data.cancelRedemption.status).toBe('CANCELLED');
    // 15: the points back (one transaction, its lot takes, the account), then the refunds the
    // redemption kept short, their own reversals and their campaign awards' (two reads; none
    // here: nothing more written). The reward has no stock: the redemption took no unit, and
    // none is given back (a reward with a stock adds that update).
    expectStatements('cancelRedemption', statements, 15);
  });

  it('useCoupon', async () => {
    const coupon = await issueCoupon(members[6]);
    const { data, statements } = await count(USE, { i: { couponCode: coupon.couponCode, idempotencyKey: key('use') } });
    expect(data.useCoupon.status).toBe('USED');
    expectStatements('useCoupon', statements, 6);
  });

  it('adjustPoints', async () => {
    const { data, statements } = await count(ADJUST, { i: { memberId: members[7], amount: 5, reason: 'goodwill', idempotencyKey: key('adjust') } });
    expect(data.adjustPoints).toMatchObject({ amount: 5, balanceAfter: 1205 });
    expectStatements('adjustPoints', statements, 11);
  });

  it('a segment\'s size', async () => {
    const { saveSegment } = await s.admin('mutation { saveSegment(input: { name: "VIPs", filter: { tagsAll: ["vip"] } }) { id } }');
    const { data, statements } = await count('query($id: ID!) { segment(id: $id) { size } }', { id: saveSegment.id });
    expect(data.segment.size).toBe(MEMBERS);
    expectStatements('segment size', statements, 2);
  });

  it('a tierChangeFeed page of 20 with both tiers', async () => {
    // The feed serves a change once every older transaction in the cluster has ended (another
    // test file's, in its own database, included): waited for before the counted request.
    await eventually(async () => (await s.admin('{ tierChangeFeed(first: 20) { edges { cursor } } }')).tierChangeFeed.edges.length === 20, 'the feed\'s first 20 changes');
    const { data, statements } = await count('{ tierChangeFeed(first: 20) { edges { cursor node { id kind fromTier { code } toTier { code } } } pageInfo { hasNextPage endCursor } } }');
    expect(data.tierChangeFeed.edges).toHaveLength(20);
    expectStatements('tierChangeFeed page', statements, 2);
  });

  it('memberByExternalId', async () => {
    const { data, statements } = await count('{ memberByExternalId(externalId: "count-9") { id pointsBalance tier { code } } }');
    expect(data.memberByExternalId.id).toBe(members[9]);
    expectStatements('memberByExternalId', statements, 1);
  });

  it('searchMembers with its count and tiers', async () => {
    const { data, statements } = await count('{ searchMembers(query: "Counted", first: 10) { totalCount edges { node { id tier { code } } } } }');
    expect(data.searchMembers.totalCount).toBe(MEMBERS);
    expectStatements('searchMembers', statements, 4);
  });
});

describe('the counter counts', () => {
  it('each field of a members page adds its loader\'s statements, and fields sharing a loader add nothing', async () => {
    const steps: [fields: string, added: number][] = [
      ['tier { code }', 1], // the ladder
      ['tags { code }', 1],
      ['benefits { code }', 1],
      ['pointsBalance', 1], // the balances
      ['pendingPoints', 0], // the same balances
      ['expiringPoints(withinDays: 30)', 1],
      ['tierProgress { pointsToNextTier }', 3], // program settings, the ladder's thresholds, qualifying points
    ];
    let fields = 'id';
    let before = (await count(membersPage(1, fields))).statements.length;
    for (const [field, added] of steps) {
      fields += ` ${field}`;
      const { statements } = await count(membersPage(1, fields));
      expectStatements(`members page after adding ${field}`, statements, before + added);
      before = statements.length;
    }
  });

  it('the member screen is one statement whatever of its fields it asks, and reads only those', async () => {
    const id = members[10];
    const steps: [fields: string, reads: RegExp][] = [
      ['id', /from member m left join tier t on t\.id = m\.tier_id/],
      ['tier { code }', /as screen_tier/],
      ['tags { code }', /as screen_tags/],
      ['benefits { code }', /as screen_benefits/],
      ['pointsBalance', /as screen_balance/],
      ['expiringPoints(withinDays: 30) in7: expiringPoints(withinDays: 7)', /as screen_expiring_1/],
      ['tierProgress { pointsToNextTier nextTier { code } }', /as screen_q_now/],
    ];
    let fields = '';
    for (const [field, reads] of steps) {
      fields += ` ${field}`;
      const { statements } = await count(memberScreen(fields), { id });
      expectStatements(`member screen after adding ${field}`, statements, 1);
      expect(statements[0]).toMatch(reads);
    }
    const [idOnly] = (await count(memberScreen('id displayName'), { id })).statements;
    expect(idOnly).not.toMatch(/point_lot|qualifying_entry|member_tag|benefit|screen_tier/);
  });

  it('benefits on a page of 20 members add one statement, not one per member', async () => {
    const without = await count(membersPage(20, 'id pointsBalance tier { code } tags { code }'));
    const withBenefits = await count(membersPage(20));
    expectStatements('members page of 20 with benefits', withBenefits.statements, without.statements.length + 1);
  });

  it('each member\'s pointsHistory and redemptions (first pages) on a page of 20 members add one statement each, as on a page of 5', async () => {
    await issueCoupon(members[3]);
    for (let i = 0; i < 4; i++) await s.admin(ADJUST, { i: { memberId: members[4], amount: 1, reason: 'more than a page', idempotencyKey: key('adj') } });
    const lists = 'id pointsHistory(first: 3) { edges { cursor node { id amount } } pageInfo { hasNextPage endCursor } } redemptions(first: 2) { edges { node { id reward { code } } } }';
    const bare = await count(membersPage(20, 'id'));
    const five = await count(membersPage(5, lists));
    const twenty = await count(membersPage(20, lists));
    expect(twenty.data.members.edges).toHaveLength(20);
    // history, redemptions, and the rewards of those redemptions
    expectStatements('members page of 20 with their ledgers and redemptions', twenty.statements, bare.statements.length + 3);
    expectStatements('members page of 5 with their ledgers and redemptions', five.statements, bare.statements.length + 3);
    // Each member's own first page is its newest rows, as the ledger and the redemptions hold them;
    // and its cursor pages on from there (a page after a cursor is the unbatched statement).
    type Node = { id: string; pointsHistory: { edges: { cursor: string; node: { id: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string } }; redemptions: { edges: { node: { id: string } }[] } };
    let paged = 0;
    for (const { node } of twenty.data.members.edges as { node: Node }[]) {
      const txns = await s.sql<{ id: string }>('select t.id::text as id from point_transaction t where t.member_id = $1 order by t.id desc limit 4', [node.id]);
      expect(node.pointsHistory.edges.map((e) => e.node.id)).toEqual(txns.slice(0, 3).map((t) => t.id));
      expect(node.pointsHistory.pageInfo.hasNextPage).toBe(txns.length > 3);
      const reds = await s.sql<{ id: string }>('select r.id::text as id from redemption r where r.member_id = $1 order by r.seq desc limit 2', [node.id]);
      expect(node.redemptions.edges.map((e) => e.node.id)).toEqual(reds.map((r) => r.id));
      if (node.pointsHistory.pageInfo.hasNextPage) {
        const next = (await s.admin('query($id: ID!, $a: String) { member(id: $id) { pointsHistory(first: 3, after: $a) { edges { node { id } } } } }', { id: node.id, a: node.pointsHistory.pageInfo.endCursor })).member;
        const rest = await s.sql<{ id: string }>('select t.id::text as id from point_transaction t where t.member_id = $1 order by t.id desc offset 3 limit 3', [node.id]);
        expect(next.pointsHistory.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual(rest.map((t) => t.id));
        paged++;
      }
    }
    expect(paged).toBeGreaterThan(0); // members[4], at least, has more than a page
    const withCoupon = (twenty.data.members.edges as { node: { id: string; redemptions: { edges: unknown[] } } }[]).find((e) => e.node.id === members[3])!;
    expect(withCoupon.node.redemptions.edges).toEqual([expect.objectContaining({ node: expect.objectContaining({ reward: { code: 'COFFEE' } }) })]);
  });

  it('a list of segments with their sizes is one statement however many segments; a segment\'s size and its members\' totalCount one count', async () => {
    for (const [name, filter] of [['Count A', { tagsAll: ['vip'] }], ['Count B', { tierCodes: ['SILVER'] }], ['Count C', { tierCodes: ['GOLD'] }], ['Count D', { minBalance: 1000 }]] as const) {
      await s.admin('mutation($i: SegmentInput!) { saveSegment(input: $i) { id } }', { i: { name, filter } });
    }
    const sized = await count('{ segments { id name size } }');
    const listed = await count('{ segments { id name } }');
    expect(sized.data.segments.length).toBeGreaterThanOrEqual(4);
    expectStatements('segments with their sizes', sized.statements, listed.statements.length + 1);
    const sizes = Object.fromEntries((sized.data.segments as { name: string; size: number }[]).map((x) => [x.name, x.size]));
    expect(sizes).toMatchObject({ 'Count A': MEMBERS, 'Count D': expect.any(Number) });
    // Each as counted alone.
    for (const seg of sized.data.segments as { id: string; size: number }[]) {
      expect((await s.admin('query($id: ID!) { segment(id: $id) { size } }', { id: seg.id })).segment.size).toBe(seg.size);
    }
    const id = (sized.data.segments as { id: string; name: string }[]).find((x) => x.name === 'Count A')!.id;
    const both = await count('query($id: ID!) { segment(id: $id) { size members(first: 5) { totalCount edges { node { id } } } } }', { id });
    const page = await count('query($id: ID!) { segment(id: $id) { members(first: 5) { edges { node { id } } } } }', { id });
    expect(both.data.segment).toMatchObject({ size: MEMBERS, members: { totalCount: MEMBERS } });
    expectStatements('a segment\'s page without its count', page.statements, both.statements.length - 1);
    expect(page.statements.join('\n')).not.toMatch(/count\(\*\)/);
  });

  it('a members page counts the members only when totalCount is asked', async () => {
    const without = await count('{ members(first: 5) { edges { node { id } } } }');
    const withCount = await count('{ members(first: 5) { totalCount edges { node { id } } } }');
    expect(withCount.data.members.totalCount).toBeGreaterThanOrEqual(MEMBERS);
    expectStatements('members page without its count', without.statements, withCount.statements.length - 1);
    expect(without.statements.join('\n')).not.toMatch(/count\(\*\)/);
  });

  it('the rejected lines of a list of import jobs are one statement, not one per job', async () => {
    for (let i = 0; i < 3; i++) await importFile(s, '/imports/members', `externalId,email\ncount-imp-${i},not-an-email\ncount-imp-ok-${i},\n`);
    const errors = (first: number) => `{ importJobs(first: ${first}) { id errors(first: 5) { line message } } }`;
    const one = await count(errors(1));
    const three = await count(errors(3));
    expect(three.data.importJobs).toHaveLength(3);
    for (const job of three.data.importJobs as { errors: unknown[] }[]) expect(job.errors).toEqual([{ line: 2, message: expect.any(String) }]);
    expectStatements('three import jobs with their errors (one job made these)', three.statements, one.statements.length);
  });

  it('a page of 20 members costs what a page of 5 does (no N+1)', async () => {
    const five = await count(membersPage(5));
    const twenty = await count(membersPage(20));
    expect(five.data.members.edges).toHaveLength(5);
    expect(twenty.data.members.edges).toHaveLength(20);
    expectStatements('members page of 20 (a page of 5 made these)', twenty.statements, five.statements.length);
    // The same statements, but for the page size: one list of ids each, of 5 or of 20.
    const shape = (list: string[]) => list.map((t) => t.replace(/\$\d+(, \$\d+)*/g, '$…').replace(/'[^']*'/g, "'…'").replace(/\d+/g, 'n'));
    expect(shape(twenty.statements)).toEqual(shape(five.statements));
  });

  it('counts what knex never sees: raw execute and the BEGIN/COMMIT of a SQL-only transaction', async () => {
    const knex = s.app.orm.em.getConnection().getKnex();
    const seenByKnex: string[] = [];
    const onQuery = (q: { sql: string }) => seenByKnex.push(q.sql);
    knex.on('query', onQuery);
    try {
      const coupon = await issueCoupon(members[11]); // (a purchase is one statement now, with no BEGIN of its own)
      const { statements } = await count(USE, { i: { couponCode: coupon.couponCode, idempotencyKey: key('use') } });
      expect(statements).toEqual(expect.arrayContaining(['begin', 'commit']));
      expect(statements.length).toBeGreaterThan(seenByKnex.length);
    } finally {
      knex.removeListener('query', onQuery);
    }
  });

  it('counts the BEGIN/COMMIT of an ORM transaction and work run in-process on a fork', async () => {
    const { statements } = await count(ADJUST, { i: { memberId: members[12], amount: 1, reason: 'count me', idempotencyKey: key('adjust') } });
    expect(statements).toEqual(expect.arrayContaining(['BEGIN;', 'COMMIT;']));
    const inProcess = await s.countStatements(() => s.app.orm.em.fork().execute('select 1 as one'));
    expect(inProcess.statements).toEqual(['select 1 as one']);
  });
});
