import { expectError, startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';
import { walk, type Connection } from '../support/connections';

/**
 * Issue 25, the read side of referrals: Member.referredBy and Member.referrals (masked parties,
 * keyset pages, who may read), referralStats (each figure against numbers counted by hand),
 * the invitation chain (recursive CTE) and the loaders' one statement per field for a list.
 */

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  await createLadder(s);
});
afterAll(() => s.stop());

interface RowChanges {
  status?: string; createdAt?: string; completedAt?: string | null; reversedAt?: string | null; rejectedAt?: string | null; reason?: string | null;
  referrerPoints?: number; refereePoints?: number;
}

const codeOf = async (memberId: string) =>
  (await s.admin<{ member: { referralCode: string } }>(`query($id: ID!) { member(id: $id) { referralCode } }`, { id: memberId })).member.referralCode;

/**
 * A new member registered with `referrerId`'s code (registerMember writes the referral), then,
 * for what registration alone cannot date (history, completion and reversal), its row's
 * columns set as referrals-core's completion and reversal set them.
 */
async function referee(referrerId: string, input: Record<string, unknown> = {}, row: RowChanges = {}): Promise<string> {
  const id = await registerMember(s, { ...input, referralCode: await codeOf(referrerId) });
  const [r] = await s.sql<{ referrer_id: string }>(
    `update referral set status = coalesce($2, status), reason = coalesce($3, reason), created_at = coalesce($4::timestamptz, created_at),
       completed_at = coalesce($5::timestamptz, completed_at), reversed_at = coalesce($6::timestamptz, reversed_at),
       referrer_points = coalesce($7, referrer_points), referee_points = coalesce($8, referee_points),
       rejected_at = coalesce($9::timestamptz, rejected_at)
     where referee_id = $1 returning referrer_id::text`,
    [id, row.status ?? null, row.reason ?? null, row.createdAt ?? null, row.completedAt ?? null, row.reversedAt ?? null,
      row.referrerPoints ?? null, row.refereePoints ?? null, row.rejectedAt ?? null],
  );
  expect(r.referrer_id).toBe(referrerId);
  return id;
}

const REFERRALS = `query($id: ID!, $first: Int, $after: String) { member(id: $id) { referrals(first: $first, after: $after) {
  totalCount edges { cursor node { id status reason createdAt completedAt referrer { id displayName } referee { id displayName } } }
  pageInfo { hasNextPage endCursor } } } }`;
const REFERRED_BY = `query($id: ID!) { member(id: $id) { referredBy { id displayName } } }`;

describe('parties and who may read them', () => {
  let zhang: string; let friend: string; let stranger: string; let erased: string;
  beforeAll(async () => {
    zhang = await registerMember(s, { displayName: 'Zhang Wei', email: 'zhang@example.com', phone: '+86 138 0000 0001' });
    friend = await referee(zhang, { displayName: '张伟', email: 'friend@example.com' });
    erased = await registerMember(s, { displayName: 'Gone Person' });
    stranger = await referee(erased, { displayName: 'Stranger' });
    await s.admin(`mutation($id: ID!) { eraseMember(memberId: $id, reason: "asked") { id } }`, { id: erased });
  });

  it('each side sees the other by id and masked name only', async () => {
    const mine = await s.gql(REFERRALS, { id: zhang }, await s.token('member', zhang));
    expect(mine.errors).toBeUndefined();
    const edge = mine.data!.member.referrals.edges[0];
    expect(edge.node.referee).toEqual({ id: friend, displayName: '张*' });
    expect(edge.node.referrer).toEqual({ id: zhang, displayName: 'Z*** W' });
    // The phone as given or as stored (digits only): a bare "138" also matches a random uuid.
    expect(JSON.stringify(mine.data)).not.toMatch(/example\.com|\+86|138 0000|13800000001/);
    const theirs = await s.gql(REFERRED_BY, { id: friend }, await s.token('member', friend));
    expect(theirs.data!.member.referredBy).toEqual({ id: zhang, displayName: 'Z*** W' });
    // ReferralParty has no other field: asking for contact details is a validation error.
    const prying = await s.gql(`query($id: ID!) { member(id: $id) { referredBy { id email } } }`, { id: friend }, await s.token('member', friend));
    expect(prying.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('an erased party shows no name', async () => {
    const res = await s.gql(REFERRED_BY, { id: stranger }, await s.token('service'));
    expect(res.data!.member.referredBy).toEqual({ id: erased, displayName: null });
  });

  it('no referrer: null; no referrals: an empty connection', async () => {
    const by = await s.gql(REFERRED_BY, { id: zhang }, await s.token('admin'));
    expect(by.data!.member.referredBy).toBeNull();
    const list = await s.gql(REFERRALS, { id: friend }, await s.token('admin'));
    expect(list.data!.member.referrals).toEqual({ totalCount: 0, edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });

  it('a member reads its own, not another\'s; services and admins read any', async () => {
    const other = await s.gql(REFERRALS, { id: zhang }, await s.token('member', friend));
    expectError(other, 'FORBIDDEN');
    for (const role of ['service', 'admin'] as const) {
      const res = await s.gql(REFERRALS, { id: zhang }, await s.token(role));
      expect(res.data!.member.referrals.totalCount).toBe(1);
    }
  });

  it('a bad cursor or page size is BAD_USER_INPUT', async () => {
    const token = await s.token('admin');
    // The largest bigint as the instant: PostgreSQL's bigint * interval overflowed (INTERNAL_SERVER_ERROR).
    const farAhead = Buffer.from('referral:9223372036854775807:00000000-0000-4000-8000-000000000000').toString('base64url');
    for (const after of ['garbage', Buffer.from('member:10').toString('base64url'), Buffer.from('referral:1:x').toString('base64url'), farAhead]) {
      expectError(await s.gql(REFERRALS, { id: zhang, after }, token), 'BAD_USER_INPUT', 'after');
    }
    expectError(await s.gql(REFERRALS, { id: zhang, first: 101 }, token), 'BAD_USER_INPUT', 'first');
    expectError(await s.gql(REFERRALS, { id: zhang, first: -1 }, token), 'BAD_USER_INPUT', 'first');
  });
});

describe('Member.referrals pages', () => {
  let referrer: string;
  let expected: string[];
  beforeAll(async () => {
    referrer = await registerMember(s, { displayName: 'Big Referrer' });
    // 25 referrals; groups of three share a created_at to the microsecond (ties broken by id),
    // and two differ by one microsecond only (a millisecond cursor would merge them).
    for (let i = 0; i < 25; i++) {
      const at = i === 24 ? '2026-01-01T00:00:07.000001Z' : `2026-01-01T00:00:0${Math.floor(i / 3)}.000000Z`;
      await referee(referrer, { displayName: `Friend ${i}` }, { createdAt: at });
    }
    expected = (await s.sql<{ id: string }>(
      'select id::text from referral where referrer_id = $1 order by created_at desc, id desc', [referrer],
    )).map((r) => r.id);
  });

  it.each([1, 3, 7, 10, 24, 25, 100])('%i a page: every referral once, newest first, positions crossing 10 and 20', async (first) => {
    const token = await s.token('admin');
    const page = async (after: string | null) => {
      const res = await s.gql(REFERRALS, { id: referrer, first, after }, token);
      expect(res.errors).toBeUndefined();
      expect(res.data!.member.referrals.totalCount).toBe(25);
      return res.data!.member.referrals as Connection;
    };
    expect(await walk(page)).toEqual(expected);
  });

  it('first: 0 gives no edge but the total', async () => {
    const res = await s.gql(REFERRALS, { id: referrer, first: 0 }, await s.token('admin'));
    expect(res.data!.member.referrals).toMatchObject({ totalCount: 25, edges: [], pageInfo: { hasNextPage: true } });
  });

  it('a list of members reads each referral field in one statement', async () => {
    const query = `{ members(first: 40) { edges { node { id referredBy { displayName } referrals(first: 2) { totalCount edges { node { referee { displayName } } } } referralDepth } } } }`;
    const { result, statements } = await s.countStatements(() => s.admin<{ members: { edges: unknown[] } }>(query));
    expect(result.members.edges.length).toBeGreaterThan(25);
    const onReferral = statements.filter((q) => /\breferral\b/.test(q));
    expect(onReferral).toHaveLength(3);
  });
});

describe('the invitation chain', () => {
  const CHAIN = `query($id: ID!) { referralChain(memberId: $id) { id displayName } member(id: $id) { referralDepth } }`;
  let chain: string[];
  beforeAll(async () => {
    chain = [await registerMember(s, { displayName: 'Level 0 Person' })];
    // Every status counts as a link of the chain: the invitation happened.
    for (let i = 1; i < 12; i++) {
      chain.push(await referee(chain[i - 1], { displayName: `Level ${i} Person` }, i % 4 === 0 ? { status: 'REJECTED', reason: 'monthly limit' } : {}));
    }
  });

  it('upward from a member, nearest first, with its depth', async () => {
    const res = await s.gql(CHAIN, { id: chain[11] }, await s.token('admin'));
    expect(res.errors).toBeUndefined();
    expect(res.data!.referralChain.map((p: { id: string }) => p.id)).toEqual(chain.slice(0, 11).reverse());
    expect(res.data!.referralChain[0].displayName).toBe('L*** P');
    expect(res.data!.member.referralDepth).toBe(11);
    const top = await s.gql(CHAIN, { id: chain[0] }, await s.token('admin'));
    expect(top.data).toEqual({ referralChain: [], member: { referralDepth: 0 } });
  });

  it('a cycle (repaired data) ends the chain instead of looping', async () => {
    // Registration cannot make one (a referee is new); a repair or an import written in SQL could.
    const a = await registerMember(s, { displayName: 'Cycle A' });
    const b = await referee(a, { displayName: 'Cycle B' });
    await s.sql(`insert into referral (referrer_id, referee_id, status) values ($1, $2, 'PENDING')`, [b, a]);
    const res = await s.gql(CHAIN, { id: a }, await s.token('admin'));
    expect(res.data!.referralChain.map((p: { id: string }) => p.id)).toEqual([b]);
    expect(res.data!.member.referralDepth).toBe(1);
  });

  it('admins only', async () => {
    expectError(await s.gql(`query($id: ID!) { referralChain(memberId: $id) { id } }`, { id: chain[3] }, await s.token('service')), 'FORBIDDEN');
    const own = await s.gql(`query($id: ID!) { member(id: $id) { referralDepth } }`, { id: chain[3] }, await s.token('member', chain[3]));
    expectError(own, 'FORBIDDEN');
  });
});

describe('referralStats', () => {
  const STATS = `query($from: DateTime!, $to: DateTime!) { referralStats(from: $from, to: $to) {
    registered completed rejected reversed pointsGiven referrers referralsPerReferrer } }`;
  const stats = async (from: string, to: string) => {
    const res = await s.gql(STATS, { from, to }, await s.token('admin'));
    expect(res.errors).toBeUndefined();
    return res.data!.referralStats;
  };

  beforeAll(async () => {
    const [r1, r2, r3] = [await registerMember(s), await registerMember(s), await registerMember(s)];
    const done = { referrerPoints: 100, refereePoints: 50 };
    // 1. March: registered and completed.
    await referee(r1, {}, { createdAt: '2025-03-05T10:00:00Z', status: 'COMPLETED', completedAt: '2025-03-10T10:00:00Z', ...done });
    // 2. Registered in March, completed in April.
    await referee(r1, {}, { createdAt: '2025-03-20T10:00:00Z', status: 'COMPLETED', completedAt: '2025-04-02T10:00:00Z', ...done });
    // 3. Completed in March, reversed in April.
    await referee(r2, {}, { createdAt: '2025-03-25T10:00:00Z', status: 'REVERSED', completedAt: '2025-03-28T10:00:00Z', reversedAt: '2025-04-03T10:00:00Z', reason: 'refunded', ...done });
    // 4. Registered in March's last microsecond, still pending.
    await referee(r2, {}, { createdAt: '2025-03-31T23:59:59.999999Z' });
    // 5. Rejected at registration on April's first instant.
    await referee(r3, {}, { createdAt: '2025-04-01T00:00:00Z', status: 'REJECTED', rejectedAt: '2025-04-01T00:00:00Z', reason: 'shares the referrer\'s phone' });
    // 6. Registered in March, rejected at its first purchase in April (over the monthly limit):
    // dated by the purchase (rejected_at), not by its registration.
    await referee(r3, {}, { createdAt: '2025-03-15T10:00:00Z', status: 'REJECTED', rejectedAt: '2025-04-05T10:00:00Z', reason: 'monthly limit' });
    // 7. Registered in February, completed on March's first instant, other points.
    await referee(r3, {}, { createdAt: '2025-02-10T10:00:00Z', status: 'COMPLETED', completedAt: '2025-03-01T00:00:00Z', referrerPoints: 80, refereePoints: 40 });
    // 8. April: registered, completed and reversed.
    await referee(r1, {}, { createdAt: '2025-04-10T10:00:00Z', status: 'REVERSED', completedAt: '2025-04-12T10:00:00Z', reversedAt: '2025-04-15T10:00:00Z', reason: 'refunded', ...done });
  });

  it('March, counted by hand', async () => {
    expect(await stats('2025-03-01T00:00:00Z', '2025-04-01T00:00:00Z')).toEqual({
      registered: 5, // 1, 2, 3, 4, 6
      completed: 3, // 1, 3 (reversed since, in April), 7
      rejected: 0, // 5 and 6 were rejected in April (6 registered in March)
      reversed: 0,
      pointsGiven: 150 + 150 + 120,
      referrers: 3,
      referralsPerReferrer: 1,
    });
  });

  it('April, counted by hand: the reversals net the points out', async () => {
    expect(await stats('2025-04-01T00:00:00Z', '2025-05-01T00:00:00Z')).toEqual({
      registered: 2, // 5, 8
      completed: 2, // 2, 8
      rejected: 2, // 5 (at registration), 6 (at its first purchase)
      reversed: 2, // 3, 8
      pointsGiven: 300 - 300,
      referrers: 1, // r1 (2 and 8)
      referralsPerReferrer: 2,
    });
  });

  it('periods add up: March and April together', async () => {
    expect(await stats('2025-03-01T00:00:00Z', '2025-05-01T00:00:00Z')).toEqual({
      registered: 7, completed: 5, rejected: 2, reversed: 2, pointsGiven: 420, referrers: 3, referralsPerReferrer: 5 / 3,
    });
  });

  it('an empty period: zeros and no ratio', async () => {
    expect(await stats('2024-01-01T00:00:00Z', '2024-12-31T00:00:00Z')).toEqual({
      registered: 0, completed: 0, rejected: 0, reversed: 0, pointsGiven: 0, referrers: 0, referralsPerReferrer: null,
    });
  });

  it('to <= from is BAD_USER_INPUT; admins only', async () => {
    const token = await s.token('admin');
    expectError(await s.gql(STATS, { from: '2025-04-01T00:00:00Z', to: '2025-04-01T00:00:00Z' }, token), 'BAD_USER_INPUT', 'to');
    expectError(await s.gql(STATS, { from: '2025-04-01T00:00:00Z', to: '2025-03-01T00:00:00Z' }, token), 'BAD_USER_INPUT', 'to');
    expectError(await s.gql(STATS, { from: '2025-03-01T00:00:00Z', to: '2025-04-01T00:00:00Z' }, await s.token('service')), 'FORBIDDEN');
  });

  it('by month: each programme-local month equals referralStats over its bounds', async () => {
    const BY_MONTH = `query($months: Int) { referralStatsByMonth(months: $months) {
      from to stats { registered completed rejected reversed pointsGiven referrers referralsPerReferrer } } }`;
    // A referral completed in the last weeks, which the last 24 months hold whenever the test runs
    // (the ones above, of March and April 2025, are out of them from April 2027 on).
    const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString();
    await referee(await registerMember(s), {}, { createdAt: daysAgo(25), status: 'COMPLETED', completedAt: daysAgo(20), referrerPoints: 100, refereePoints: 50 });
    await s.admin(`mutation { updateProgram(input: { timeZone: "Asia/Shanghai" }) { timeZone } }`);
    try {
      const res = await s.gql(BY_MONTH, { months: 24 }, await s.token('admin'));
      expect(res.errors).toBeUndefined();
      const months = res.data!.referralStatsByMonth as { from: string; to: string; stats: Record<string, unknown> }[];
      expect(months).toHaveLength(24);
      for (let i = 0; i < months.length; i++) {
        const { from, to, stats: figures } = months[i];
        expect(new Date(from).getUTCHours()).toBe(16); // Shanghai midnight
        if (i > 0) expect(from).toBe(months[i - 1].to);
        expect(figures).toEqual(await stats(from, to));
      }
      expect(new Date(months[23].to).getTime()).toBeGreaterThan(Date.now());
      expect(months.some((m) => (m.stats.completed as number) > 0)).toBe(true);
      expectError(await s.gql(BY_MONTH, { months: 0 }, await s.token('admin')), 'BAD_USER_INPUT', 'months');
    } finally {
      await s.admin(`mutation { updateProgram(input: { timeZone: "UTC" }) { timeZone } }`);
    }
  });
});

describe('referralStats end to end: registration, first purchases, a refund', () => {
  const STATS = `query($from: DateTime!, $to: DateTime!) { referralStats(from: $from, to: $to) {
    registered completed rejected reversed pointsGiven referrers referralsPerReferrer } }`;
  const PURCHASE = `mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }`;
  const REFUND = `mutation($i: RefundPurchaseInput!) { refundPurchase(input: $i) { pointsEarned } }`;
  let from: string;
  let a: string; let b: string; let c: string; let d: string; let e: string;

  beforeAll(async () => {
    await s.admin(`mutation { updateProgram(input: { referrerPoints: 200, refereePoints: 100, referralHoldDays: 7, referralMonthlyLimit: 2 }) { timeZone } }`);
    from = new Date().toISOString(); // the earlier describes' referrals were all registered before
    a = await registerMember(s, { displayName: 'Ada Anchor', phone: '+44 7700 900123' });
    const code = await codeOf(a);
    [b, c, d] = [await registerMember(s, { referralCode: code }), await registerMember(s, { referralCode: code }), await registerMember(s, { referralCode: code })];
    e = await registerMember(s, { referralCode: code, phone: '+447700900123' }); // shares the referrer's phone: REJECTED at once
    const buy = (memberId: string, orderId: string) => s.admin(PURCHASE, { i: { memberId, orderId, amount: 100 } });
    await buy(b, 'stats-b'); // COMPLETED
    await buy(d, 'stats-d'); // COMPLETED: the second this month
    await buy(c, 'stats-c'); // REJECTED: over the monthly limit of 2
    await s.admin(REFUND, { i: { orderId: 'stats-d', refundId: 'stats-d-r', amount: 100 } }); // REVERSED
  });
  afterAll(() => s.admin(`mutation { updateProgram(input: { referrerPoints: 0, refereePoints: 0, referralMonthlyLimit: 0 }) { timeZone } }`));

  it('the referrals as written, seen from both sides', async () => {
    const statuses = await s.sql<{ referee_id: string; status: string }>('select referee_id::text, status from referral where referrer_id = $1', [a]);
    expect(Object.fromEntries(statuses.map((r) => [r.referee_id, r.status]))).toEqual({ [b]: 'COMPLETED', [c]: 'REJECTED', [d]: 'REVERSED', [e]: 'REJECTED' });
    // Each rejection is dated when it happened: e's at its registration, c's at its first purchase.
    const [rc] = await s.sql<{ at: string; purchased: string }>(
      `select r.rejected_at::text as at, p.occurred_at::text as purchased from referral r join purchase p on p.order_id = 'stats-c' where r.referee_id = $1`, [c]);
    expect(rc.at).toBe(rc.purchased);
    const [re] = await s.sql<{ at: string; registered: string }>('select rejected_at::text as at, created_at::text as registered from referral where referee_id = $1', [e]);
    expect(re.at).toBe(re.registered);
    const list = await s.gql(REFERRALS, { id: a }, await s.token('member', a));
    expect(list.data!.member.referrals.totalCount).toBe(4);
    const byReferee = Object.fromEntries(list.data!.member.referrals.edges.map((x: { node: { referee: { id: string }; status: string; completedAt: string | null } }) => [x.node.referee.id, x.node]));
    expect(byReferee[b].status).toBe('COMPLETED');
    expect(byReferee[b].completedAt).not.toBeNull();
    expect(byReferee[d].status).toBe('REVERSED');
    expect(byReferee[c].reason).toEqual(expect.any(String));
    const by = await s.gql(REFERRED_BY, { id: d }, await s.token('member', d));
    expect(by.data!.member.referredBy).toEqual({ id: a, displayName: 'A*** A' });
  });

  it('counted by hand', async () => {
    const res = await s.gql(STATS, { from, to: new Date(Date.now() + 60_000).toISOString() }, await s.token('admin'));
    expect(res.errors).toBeUndefined();
    expect(res.data!.referralStats).toEqual({
      registered: 4, // b, c, d, e
      completed: 2, // b, d (reversed since)
      rejected: 2, // e at registration, c at its purchase
      reversed: 1, // d
      pointsGiven: 300 + 300 - 300,
      referrers: 1,
      referralsPerReferrer: 2,
    });
  });
});
