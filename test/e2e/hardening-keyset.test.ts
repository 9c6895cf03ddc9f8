import type { Client as WsClient } from 'graphql-ws';
import { expectError, startTestServer, type GqlResponse, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';
import { walk } from '../support/connections';
import { OUTBOX_CHANNEL } from '../../src/events/outbox';
import { CHANGE_COLUMNS } from '../../src/modules/tiers/tiers.repository';
import { createServices } from '../../src/modules/services';

/**
 * Issue 17, item 1: every list that pages, replays or delivers rows in id (or seq) order, with
 * ids crossing 9→10 and 99→100, where ordering the ids as text puts 10 before 9 and 100 before
 * 11. Each list is walked with small pages; every row must come exactly once, in order.
 */

const N = 120;

/** Runs fn(0..n-1), `width` at a time (ids still cross the boundaries; order is checked against the database). */
async function times(n: number, fn: (i: number) => Promise<unknown>, width = 6): Promise<void> {
  for (let i = 0; i < n; i += width) await Promise.all(Array.from({ length: Math.min(width, n - i) }, (_, k) => fn(i + k)));
}

/** The ids as the database orders them by the typed column (no cast). */
const column = async (s: TestServer, text: string, params: unknown[] = []) => (await s.sql<{ id: string }>(text, params)).map((r) => String(r.id));

/** Guards the test itself: the ids must cross the boundaries that text ordering gets wrong. */
function expectCrossing(ids: string[], ...pairs: [string, string][]) {
  for (const [a, b] of pairs) expect(ids).toEqual(expect.arrayContaining([a, b]));
}

const cursor = (text: string) => Buffer.from(text).toString('base64url');

describe('pages of one member: points history, redemptions, audit log, members, segments', () => {
  let s: TestServer;
  let memberId: string;
  let segmentId: string;
  beforeAll(async () => {
    s = await startTestServer();
    await createLadder(s);
    memberId = await registerMember(s, { displayName: 'Keyset' });
    await s.admin(`mutation { upsertReward(input: { code: "PENNY", name: "Penny", costPoints: 1 }) { id } }`);
  });
  afterAll(() => s.stop());

  const HISTORY = `query($id: ID!, $first: Int, $after: String) { member(id: $id) {
    pointsHistory(first: $first, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } } }`;

  it('pointsHistory: 120 transactions over pages of 7, each once, newest first', async () => {
    await times(N, (i) => s.admin(`mutation($i: AdjustPointsInput!) { adjustPoints(input: $i) { id } }`,
      { i: { memberId, amount: 10, reason: 'keyset', idempotencyKey: `adj-${i}` } }));
    const expected = await column(s, 'select id from point_transaction where member_id = $1 order by id desc', [memberId]);
    expect(expected).toHaveLength(N);
    expectCrossing(expected, ['9', '10'], ['99', '100']);
    const token = await s.token('admin');
    const served = await walk(async (after) => (await s.gql(HISTORY, { id: memberId, first: 7, after }, token)).data!.member.pointsHistory);
    expect(served).toEqual(expected);
  });

  it('redemptions: 120 over pages of 7, each once, newest first', async () => {
    await times(N, (i) => s.admin(`mutation($i: RedeemRewardInput!) { redeemReward(input: $i) { id } }`,
      { i: { memberId, rewardCode: 'PENNY', idempotencyKey: `red-${i}` } }), 4);
    const expected = await column(s, 'select id from redemption where member_id = $1 order by seq desc', [memberId]);
    expect(expected).toHaveLength(N);
    expectCrossing(await column(s, 'select seq as id from redemption'), ['9', '10'], ['99', '100']);
    const token = await s.token('admin');
    const served = await walk(async (after) => (await s.gql(`query($id: ID!, $after: String) { member(id: $id) {
      redemptions(first: 7, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } } }`,
    { id: memberId, after }, token)).data!.member.redemptions);
    expect(served).toEqual(expected);
  });

  it('auditLog: the newest 100 of more than 100 entries, newest first', async () => {
    const expected = await column(s, 'select id from audit_entry order by id desc limit 100');
    expect(Number(expected[0])).toBeGreaterThan(100);
    const { auditLog } = await s.admin('{ auditLog(first: 100) { id } }');
    expect(auditLog.map((e: { id: string }) => e.id)).toEqual(expected);
    const members = await column(s, `select id from audit_entry where entity = 'Member' order by id desc limit 100`);
    expect((await s.admin('{ auditLog(entity: "Member", first: 100) { id } }')).auditLog.map((e: { id: string }) => e.id)).toEqual(members);
    // An entity given is an exact match: "" selects nothing, as auditEntries' filter does (only null is every entry).
    expect((await s.admin('{ auditLog(entity: "", first: 5) { id } }')).auditLog).toEqual([]);
    expect((await s.admin('{ auditEntries(filter: { entity: "" }, first: 5) { edges { node { id } } } }')).auditEntries.edges).toEqual([]);
  });

  it('members: 120 more members over pages of 7, each once, in registration order', async () => {
    await times(N, (i) => registerMember(s, { externalId: `k-${i}`, region: i % 2 ? 'Odd' : 'Even' }));
    const expected = await column(s, 'select id from member order by seq');
    expectCrossing(await column(s, 'select seq as id from member'), ['9', '10'], ['99', '100']);
    const served = await walk(async (after) => (await s.admin(`query($after: String) {
      members(first: 7, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`, { after })).members);
    expect(served).toEqual(expected);
  });

  it('segment members and its CSV export: every member once, in registration order', async () => {
    const { saveSegment: seg } = await s.admin(`mutation($i: SegmentInput!) { saveSegment(input: $i) { id size } }`,
      { i: { name: 'all bronze', filter: { tierCodes: ['BRONZE'] } } });
    segmentId = seg.id;
    const expected = await column(s, 'select id from member order by seq');
    expect(seg.size).toBe(expected.length);
    const served = await walk(async (after) => (await s.admin(`query($id: ID!, $after: String) { segment(id: $id) {
      members(first: 7, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } } }`, { id: seg.id, after })).segment.members);
    expect(served).toEqual(expected);
    const res = await fetch(`${s.url}/exports/segments/${seg.id}.csv`, { headers: { authorization: `Bearer ${await s.token('admin')}` } });
    expect(res.status).toBe(200);
    const lines = (await res.text()).trim().split('\n').slice(1);
    expect(lines.map((l) => l.split(',')[0])).toEqual(expected);
    // The export's keyset between batches (5,000 a batch over HTTP): the same in batches of 7.
    const chunks: string[] = [];
    const em = s.app.orm.em.fork();
    const count = await createServices(em).segments.exportCsv({ tierCodes: ['BRONZE'] }, async (c) => { chunks.push(c); }, 7);
    expect(count).toBe(expected.length);
    expect(chunks.join('').trim().split('\n').slice(1).map((l) => l.split(',')[0])).toEqual(expected);
  });

  it('a garbage, foreign or out-of-range cursor is BAD_USER_INPUT naming after, on every connection', async () => {
    const token = await s.token('admin');
    // [kind, head (a member's own lists carry the member's id), query, variables]
    const lists: [string, string, string, Record<string, unknown>][] = [
      ['txn', `txn@${memberId}`, 'query($id: ID!, $a: String) { member(id: $id) { pointsHistory(first: 5, after: $a) { edges { cursor } } } }', { id: memberId }],
      ['redemption', `redemption@${memberId}`, 'query($id: ID!, $a: String) { member(id: $id) { redemptions(first: 5, after: $a) { edges { cursor } } } }', { id: memberId }],
      ['member', 'member', 'query($a: String) { members(first: 5, after: $a) { edges { cursor } } }', {}],
      ['member', 'member', 'query($id: ID!, $a: String) { segment(id: $id) { members(first: 5, after: $a) { edges { cursor } } } }', { id: segmentId }],
    ];
    for (const [kind, head, query, variables] of lists) {
      const bad = ['%%%', cursor(`${head}:`), cursor(`${head}:-1`), cursor(`${head}:1:2`), cursor(`${kind === 'txn' ? 'member' : 'txn'}:5`),
        cursor(`${head}:99999999999999999999`), cursor(`${head}:9223372036854775808`), cursor(`${head}:${'9'.repeat(400)}`)];
      // a member's list refuses a cursor without its member; the others one with a member
      bad.push(cursor(head === kind ? `${kind}@${memberId}:5` : `${kind}:5`));
      for (const a of bad) expectError(await s.gql(query, { ...variables, a }, token), 'BAD_USER_INPUT', 'after');
      // the largest bigint is a valid cursor
      const edge = await s.gql(query, { ...variables, a: cursor(`${head}:9223372036854775807`) }, token);
      expect(edge.errors).toBeUndefined();
    }
  });

  it("a cursor of another member's ledger, redemptions or referrals is BAD_USER_INPUT, not that list paged from a foreign place", async () => {
    // A acts first, B after: B's rows all stand after A's, so A's cursor read as a position in
    // B's newest-first list answered an empty page for a member with a ledger.
    const a = await registerMember(s, { displayName: 'Cursor A' });
    const b = await registerMember(s, { displayName: 'Cursor B' });
    const { member: codeOf } = await s.admin('query($id: ID!) { member(id: $id) { referralCode } }', { id: a });
    const { member: codeOfB } = await s.admin('query($id: ID!) { member(id: $id) { referralCode } }', { id: b });
    for (const [who, code] of [[a, codeOf.referralCode], [b, codeOfB.referralCode]] as const) {
      for (let i = 0; i < 3; i++) {
        await s.admin('mutation($i: AdjustPointsInput!) { adjustPoints(input: $i) { id } }', { i: { memberId: who, amount: 5, reason: 'cursor', idempotencyKey: `cur-${who}-${i}` } });
        await s.admin('mutation($i: RedeemRewardInput!) { redeemReward(input: $i) { id } }', { i: { memberId: who, rewardCode: 'PENNY', idempotencyKey: `cur-red-${who}-${i}` } });
        await registerMember(s, { displayName: `Invited ${i}`, referralCode: code });
      }
    }
    const LISTS = `query($id: ID!, $after: String) { member(id: $id) {
      pointsHistory(first: 2, after: $after) { edges { node { id } } pageInfo { endCursor } }
      redemptions(first: 2, after: $after) { edges { node { id } } pageInfo { endCursor } }
      referrals(first: 2, after: $after) { edges { node { id } } pageInfo { endCursor } } } }`;
    const first = async (id: string) => (await s.admin(LISTS, { id, after: null })).member;
    const [ofA, ofB] = [await first(a), await first(b)];
    const token = await s.token('admin');
    for (const field of ['pointsHistory', 'redemptions', 'referrals']) {
      const one = (id: string, after: string) => s.gql(`query($id: ID!, $after: String) { member(id: $id) { ${field}(first: 2, after: $after) { edges { node { id } } } } }`, { id, after }, token);
      // each member's own cursor pages its own list on
      expect((await one(a, ofA[field].pageInfo.endCursor)).data!.member[field].edges.length).toBeGreaterThan(0);
      expect((await one(b, ofB[field].pageInfo.endCursor)).data!.member[field].edges.length).toBeGreaterThan(0);
      const foreign = await one(b, ofA[field].pageInfo.endCursor);
      expectError(foreign, 'BAD_USER_INPUT', 'after');
      expect(foreign.errors![0].message).toBe("after is a cursor of another member's list");
    }
    // The member itself, with its own token: the same refusal of a cursor of another member's list.
    const own = await s.gql(`query($after: String) { me { pointsHistory(first: 2, after: $after) { edges { node { id } } } } }`,
      { after: ofA.pointsHistory.pageInfo.endCursor }, await s.token('member', b));
    expectError(own, 'BAD_USER_INPUT', 'after');
  });
});

const SET_TIER = `mutation($m: ID!, $t: String!, $e: DateTime) { setMemberTier(memberId: $m, tierCode: $t, reason: "keyset", expiresAt: $e) { id } }`;
const PURCHASE = `mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { tierChange { id } } }`;

describe('tier changes: replay, history and notices', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
    await createLadder(s);
  });
  afterAll(() => s.stop());

  const maxId = async (table: string) => Number((await s.sql(`select coalesce(max(id), 0)::int as n from ${table}`))[0].n);

  it('tierHistory breaks a tie on occurredAt by id as a number (changes 9 and 10 at one instant)', async () => {
    const filler = await registerMember(s);
    for (let i = 0; (await maxId('tier_change')) < 7; i++) await s.admin(SET_TIER, { m: filler, t: i % 2 ? 'BRONZE' : 'SILVER' });
    const id = await registerMember(s, { joinedAt: '2024-01-01T00:00:00.000Z' });
    const service = await s.token('service');
    const t0 = new Date(Date.now() - 400 * 86_400_000);
    const buy = (orderId: string, amount: number, occurredAt: string) => s.gql(PURCHASE, { i: { memberId: id, orderId, amount, occurredAt } }, service);
    expect((await buy('tie-0', 1000, t0.toISOString())).data!.recordPurchase.tierChange).toEqual({ id: '8' }); // Silver for 12 months
    const { member: { tierExpiresAt: e } } = await s.admin(`query($id: ID!) { member(id: $id) { tierExpiresAt } }`, { id });
    // A purchase at E, before any review: the review due at E first (9: Silver renewed, the
    // purchase's points are in its window), then the upgrade at E (10: Gold).
    expect((await buy('tie-1', 5000, e)).data!.recordPurchase.tierChange).toEqual({ id: '10' });
    const { member } = await s.admin(`query($id: ID!) { member(id: $id) { tierHistory { id kind occurredAt } } }`, { id });
    expect(member.tierHistory).toEqual([
      { id: '8', kind: 'UPGRADE', occurredAt: t0.toISOString() },
      { id: '9', kind: 'RENEWAL', occurredAt: e },
      { id: '10', kind: 'UPGRADE', occurredAt: e },
    ]);
  });

  it('tierChanges replays in id order: the first 100 of 120 are the oldest 100, and `after` pages through all', async () => {
    const id = await registerMember(s);
    for (let i = 0; i < N; i++) await s.admin(SET_TIER, { m: id, t: i % 2 ? 'GOLD' : 'SILVER' });
    const expected = await column(s, 'select id from tier_change where member_id = $1 order by id', [id]);
    expect(expected).toHaveLength(N);
    expectCrossing(expected, ['99', '100']);
    const token = await s.token('member', id);
    const replay = await s.gql<{ tierChanges: { id: string }[] }>(`query($id: ID!) { tierChanges(memberId: $id, first: 100) { id } }`, { id }, token);
    expect(replay.data!.tierChanges.map((c) => c.id)).toEqual(expected.slice(0, 100));
    // every change once, in order, seven at a time
    const served: string[] = [];
    let after: string | null = null;
    for (let guard = 0; guard < 100; guard++) {
      const res: GqlResponse<{ tierChanges: { id: string }[] }> = await s.gql(`query($id: ID!, $after: ID) { tierChanges(memberId: $id, first: 7, after: $after) { id } }`, { id, after }, token);
      const page = res.data!.tierChanges.map((c) => c.id);
      if (!page.length) break;
      served.push(...page);
      after = page.at(-1)!;
    }
    expect(served).toEqual(expected);
    // the admin's replay of everyone: the same order across members
    const all = await column(s, 'select id from tier_change order by id');
    expectCrossing(all, ['9', '10'], ['99', '100']);
    expect((await s.admin('{ tierChanges(first: 100) { id } }')).tierChanges.map((c: { id: string }) => c.id)).toEqual(all.slice(0, 100));
    for (const bad of ['x', '-1', '1.5', '99999999999999999999']) {
      expectError(await s.gql(`query($a: ID) { tierChanges(after: $a) { id } }`, { a: bad }, await s.token('admin')), 'BAD_USER_INPUT', 'after');
    }
  });
});

describe('tier notices of one member', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
    await createLadder(s);
  });
  afterAll(() => s.stop());

  it('tierNotices lists 102 notices (ids 1…102) in id order', async () => {
    const id = await registerMember(s);
    const asOf = new Date();
    for (let i = 0; i < 102; i++) {
      // a new expiry each time, inside the notice window: one more notice for this member
      await s.admin(SET_TIER, { m: id, t: 'GOLD', e: new Date(asOf.getTime() + 86_400_000 + i * 60_000).toISOString() });
      // as of now: a run decides on the tier held at its asOf, and the override is made after the first asOf
      await s.admin('mutation($a: DateTime!) { sendTierNotices(asOf: $a) { changed } }', { a: new Date().toISOString() });
    }
    const expected = await column(s, 'select id from tier_notice where member_id = $1 order by id', [id]);
    expect(expected).toHaveLength(102);
    expectCrossing(expected, ['9', '10'], ['99', '100']);
    const res = await s.gql(`query($id: ID!) { tierNotices(memberId: $id) { id } }`, { id }, await s.token('member', id));
    expect(res.data!.tierNotices.map((n: { id: string }) => n.id)).toEqual(expected);
  });
});

/** Collects the tierChanged events a subscription receives. */
function feed(client: WsClient) {
  const events: { id: string }[] = [];
  const errors: unknown[] = [];
  client.subscribe({ query: 'subscription { tierChanged { id memberId kind } }' }, {
    next: (v) => { if (v.errors) errors.push(...v.errors); else events.push(v.data!.tierChanged as { id: string }); },
    error: (e) => errors.push(e),
    complete: () => {},
  });
  return { events, errors };
}

/** Polls a condition (events arrive asynchronously) instead of sleeping a fixed time. */
async function until(pred: () => boolean, what: () => string, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A fresh server (its own database: ids from 1) with an admin feed of every tier change. */
function feedServer() {
  const ctx = {} as { s: TestServer };
  beforeAll(async () => {
    ctx.s = await startTestServer();
    await createLadder(ctx.s);
  });
  afterAll(() => ctx.s.stop());
  const listening = async () => {
    const f = feed(ctx.s.ws(await ctx.s.token('admin')));
    await until(() => ctx.s.app.pubSub.audience('TIER_CHANGED').everyone, () => 'the admin feed never subscribed');
    return f;
  };
  return { ctx, listening };
}
const ids = (events: { id: string }[]) => events.map((e) => e.id);

describe('outbox dispatcher: a review batch\'s changes go out in id order', () => {
  const { ctx, listening } = feedServer();

  it('downgrades 6…10 and 61…110, each batch read back by id, arrive in id order', async () => {
    const { s } = ctx;
    const f = await listening();
    const service = await s.token('service');
    // Days from now (negative: before): the upgrades are dated in the past and reviewed as of days that have come.
    const day = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
    const upgrade = (memberId: string, orderId: string, at: string) => s.gql(PURCHASE, { i: { memberId, orderId, amount: 1000, occurredAt: at } }, service);
    const review = (asOf: string) => s.admin('mutation($a: DateTime!) { runTierReview(asOf: $a) { changed } }', { a: asOf });
    const joined = day(-900);
    // 5 upgrades (changes 1…5), then their review: downgrades 6…10 in one batch
    for (let i = 0; i < 5; i++) await upgrade(await registerMember(s, { joinedAt: joined }), `a-${i}`, day(-800));
    await review(day(-400));
    // 50 upgrades (11…60), then a review at a later instant: downgrades 61…110 in one batch
    const later = [];
    for (let i = 0; i < 50; i++) later.push(await registerMember(s, { joinedAt: joined }));
    for (const [i, m] of later.entries()) await upgrade(m, `b-${i}`, day(-399));
    await review(day(0));
    const expected = await column(s, 'select id from tier_change order by id');
    expect(expected).toHaveLength(110);
    expectCrossing(expected, ['9', '10'], ['99', '100']);
    await until(() => f.events.length >= expected.length, () => `${f.events.length} events`);
    expect(f.errors).toEqual([]);
    expect(ids(f.events)).toEqual(expected);
  });
});

describe('outbox dispatcher: rows read back together go out in outbox id order', () => {
  const { ctx, listening } = feedServer();

  it('one coalesced NOTIFY for outbox rows 1…15, then the poll after a lost NOTIFY for 16…115', async () => {
    const { s } = ctx;
    const f = await listening();
    const member = await registerMember(s);
    // Changes and their outbox rows as recordChange writes them (each row carries its change),
    // committed together, as many writers' rows are when their NOTIFYs are coalesced into one range.
    const write = async (n: number) => (await s.sql<{ id: string }>(`with t as (select id from tier where code = 'SILVER'),
        c as (insert into tier_change (member_id, kind, from_tier_id, to_tier_id, reason, qualifying_points, occurred_at, created_at)
          select $1::uuid, 'UPGRADE', null, t.id, 'keyset ' || g, 0, now() - make_interval(secs => g), now() from t, generate_series(1, $2::int) g returning ${CHANGE_COLUMNS})
        insert into outbox (topic, member_id, payload, created_at)
        select 'TIER_CHANGED', $1::uuid, jsonb_build_object('ids', jsonb_build_array(c.id), 'changes', jsonb_build_array(to_jsonb(c))), now()
        from c order by c.id::bigint returning id`, [member, n])).map((r) => String(r.id));
    const first = await write(15);
    expect(first).toEqual(Array.from({ length: 15 }, (_, i) => String(i + 1)));
    await s.sql('select pg_notify($1, $2)', [OUTBOX_CHANNEL, '1-15']);
    let expected = await column(s, 'select id from tier_change order by id');
    await until(() => f.events.length >= expected.length, () => `${f.events.length} events`);
    expect(ids(f.events)).toEqual(expected);
    // no NOTIFY at all (lost): the dispatcher's poll finds them
    expect(await write(100)).toEqual(Array.from({ length: 100 }, (_, i) => String(i + 16)));
    expected = await column(s, 'select id from tier_change order by id');
    expectCrossing(expected, ['9', '10'], ['99', '100']);
    await until(() => f.events.length >= expected.length, () => `${f.events.length} events`);
    expect(f.errors).toEqual([]);
    expect(ids(f.events)).toEqual(expected);
  });
});
