import { Client } from 'pg';
import { expectError, startTestServer, type GqlResponse, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';
import { startPrivatePostgres, type PrivatePostgres } from '../support/private-postgres';
import { untilWaitingForLock, whileInTransaction } from '../support/sessions';

/**
 * Issue 18, items 8 and 9: `tierChangeFeed`, every tier change in commit order, paged by a
 * cursor that never misses or repeats a change: not within a review's batch of hundreds
 * committed at once (item 8), and not when a transaction that began earlier commits later
 * (item 9). Everything through the API; the database only to know what to expect.
 */

const FEED = `query($m: ID, $after: String, $first: Int) { tierChangeFeed(memberId: $m, after: $after, first: $first) {
  edges { cursor node { id memberId kind } } pageInfo { hasNextPage endCursor } } }`;
const BUY = `mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { tierChange { id kind } } }`;
const SET_TIER = `mutation($m: ID!, $t: String!) { setMemberTier(memberId: $m, tierCode: $t, reason: "feed test") { id } }`;
const REVIEW = 'mutation($a: DateTime!) { runTierReview(asOf: $a) { processed changed } }';

interface FeedPage {
  edges: { cursor: string; node: { id: string; memberId: string; kind: string } }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** A client of the feed: where it stands (its last cursor) and every change id it was served, in order. */
interface Reader { token: string; memberId?: string; first: number; cursor: string | null; served: string[] }

const reader = (token: string, first: number, memberId?: string): Reader => ({ token, memberId, first, cursor: null, served: [] });

/**
 * A PostgreSQL server of this file's own: the feed waits for every writing transaction on the
 * whole server, and on the run's shared one another test file's (a retention swap waiting on a
 * reader, a held lock) kept changes from being served for as long as it lasted, which the waits
 * and the 5 s bounds below would count against the feed.
 */
let pg: PrivatePostgres;
beforeAll(async () => { pg = await startPrivatePostgres(); });
afterAll(() => pg?.stop());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function feedPage(s: TestServer, r: Reader): Promise<FeedPage> {
  const res: GqlResponse<{ tierChangeFeed: FeedPage }> = await s.gql(FEED, { m: r.memberId ?? null, after: r.cursor, first: r.first }, r.token);
  if (res.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(res.errors)}`);
  return res.data!.tierChangeFeed;
}

/** Pages on from the reader's cursor until the feed has nothing more to give now; returns what it got. */
async function readOn(s: TestServer, r: Reader): Promise<string[]> {
  const got: string[] = [];
  for (let guard = 0; guard < 1000; guard++) {
    const page = await feedPage(s, r);
    expect(page.edges.length).toBeLessThanOrEqual(r.first);
    if (page.edges.length) expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)!.cursor);
    else expect(page.pageInfo.endCursor).toBe(r.cursor); // an empty page leaves the client where it stood
    got.push(...page.edges.map((e) => e.node.id));
    r.cursor = page.pageInfo.endCursor;
    if (!page.pageInfo.hasNextPage) break;
  }
  r.served.push(...got);
  return got;
}

/** A reader that starts where the feed ends now: it has read everything before and is served only what comes next. */
async function readerAtEnd(s: TestServer, token: string, first: number, memberId?: string): Promise<Reader> {
  const r = reader(token, first, memberId);
  await readOn(s, r);
  r.served = [];
  return r;
}

/**
 * Reads on until `ids` have all been served (a change shows once every transaction older than
 * it has ended, on the whole PostgreSQL server: this file's own, see startPrivatePostgres).
 */
async function readUntil(s: TestServer, r: Reader, ids: string[], ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    await readOn(s, r);
    if (ids.every((id) => r.served.includes(id))) return;
    if (Date.now() > until) throw new Error(`the feed never served ${ids.filter((id) => !r.served.includes(id)).join(', ')}`);
    await sleep(25);
  }
}

/** Ids as the database orders them. */
const ids = async (s: TestServer, text: string, params: unknown[] = []) => (await s.sql<{ id: string }>(text, params)).map((r) => String(r.id));

const buy = (s: TestServer, memberId: string, orderId: string, amount: number, occurredAt?: string) =>
  s.admin<{ recordPurchase: { tierChange: { id: string; kind: string } | null } }>(BUY, { i: { memberId, orderId, amount, occurredAt } });

describe('tierChangeFeed', () => {
  let s: TestServer;
  let admin: string;
  beforeAll(async () => {
    s = await startTestServer({ databaseUrl: await pg.createDatabase() });
    await createLadder(s);
    admin = await s.token('admin');
  });
  afterAll(() => s.stop());

  it('pages a review batch of 150 changes committed at once, whole, with first: 100 and with first: 7', async () => {
    const members: string[] = [];
    for (let i = 0; i < 150; i += 10) {
      members.push(...(await Promise.all(Array.from({ length: 10 }, () => registerMember(s, { joinedAt: '2019-12-01T00:00:00.000Z' })))));
    }
    // SILVER from 2020-01-15 to 2021-01-15, with nothing after: the review downgrades all of them.
    for (let i = 0; i < members.length; i += 10) {
      await Promise.all(members.slice(i, i + 10).map((m, k) => buy(s, m, `batch-${i + k}`, 1000, '2020-01-15T00:00:00.000Z')));
    }
    // Each reader where the upgrades end: read until every upgrade was served (a change shows only once every older
    // transaction on the server has ended: another test file's may still be open when the feed first says "no more").
    const upgrades = await ids(s, `select id from tier_change where member_id = any($1) and kind = 'UPGRADE' order by id`, [members]);
    const clients = [reader(admin, 100), reader(admin, 7)];
    for (const c of clients) {
      await readUntil(s, c, upgrades);
      await readOn(s, c);
      c.served = [];
    }
    await s.admin(REVIEW, { a: '2021-06-01T00:00:00.000Z' });
    const batch = await s.sql<{ n: number; xacts: number; instants: number }>(`select count(*)::int as n, count(distinct xact_id)::int as xacts,
      count(distinct created_at)::int as instants from tier_change where member_id = any($1) and kind = 'DOWNGRADE'`, [members]);
    // the test's premise: one transaction, one created_at (what `since` cannot page past)
    expect(batch).toEqual([{ n: 150, xacts: 1, instants: 1 }]);
    const expected = await ids(s, `select id from tier_change where member_id = any($1) and kind = 'DOWNGRADE' order by id`, [members]);
    for (const c of clients) {
      await readUntil(s, c, expected);
      expect(c.served).toEqual(expected); // every one once, in order
      expect(await readOn(s, c)).toEqual([]);
    }
  });

  it('does not skip a change committed late: an override that wrote its change, then waited on a lock while a later purchase committed', async () => {
    const late = await registerMember(s);
    const early = await registerMember(s);
    const c = await readerAtEnd(s, admin, 100);
    // The override locks its member, writes its tier change (its transaction id, its row id and its
    // created_at all come before the purchase's), then waits: its audit entry cannot be written
    // while this session holds the audit table.
    let override!: Promise<unknown>;
    let purchase!: string;
    await whileInTransaction(s, 'lock table audit_entry in share mode', async () => {
      override = s.admin(SET_TIER, { m: late, t: 'GOLD' });
      await untilWaitingForLock(s, 'audit_entry', 'the override');
      purchase = (await buy(s, early, 'late-1', 1000)).recordPurchase.tierChange!.id; // committed
      // The purchase committed after the override began: it waits in the feed behind it, so a
      // client reading now cannot page past the override's place.
      await sleep(300);
      expect(await readOn(s, c)).toEqual([]);
    });
    await override;
    const [overrideChange] = await ids(s, `select id from tier_change where member_id = $1`, [late]);
    expect(Number(overrideChange)).toBeLessThan(Number(purchase)); // the premise: the late one has the lower id
    await readUntil(s, c, [overrideChange, purchase]);
    expect(c.served).toEqual([overrideChange, purchase]);
  });

  it('does not skip a purchase that waited on a lock and committed after a later one (item 9)', async () => {
    const waiting = await registerMember(s);
    const other = await registerMember(s);
    const c = await readerAtEnd(s, admin, 100);
    let held!: Promise<{ recordPurchase: { tierChange: { id: string } | null } }>;
    let first!: string;
    await whileInTransaction(s, `select 1 from point_account where member_id = '${waiting}' for update`, async () => {
      held = buy(s, waiting, 'wait-1', 1000); // begins now, waits for the account
      await untilWaitingForLock(s, 'purchase_at_once', 'the purchase'); // its one statement locks the account first
      first = (await buy(s, other, 'wait-2', 1000)).recordPurchase.tierChange!.id;
      await readOn(s, c); // the client reads whatever the feed gives now
    });
    const second = (await held).recordPurchase.tierChange!.id;
    // the premise: the waiting purchase's change was recorded as of its transaction's start, before the other's
    const [{ earlier }] = await s.sql(`select (select created_at from tier_change where id = $1) < (select created_at from tier_change where id = $2) as earlier`, [second, first]);
    expect(earlier).toBe(true);
    await readUntil(s, c, [first, second]);
    expect(c.served).toEqual(await ids(s, 'select id from tier_change where id = any($1) order by xact_id, id', [[first, second]]));
  });

  it('is held back only by a transaction that writes, on any database of the server, for as long as it is open', async () => {
    const m = await registerMember(s);
    const c = await readerAtEnd(s, admin, 100);
    // A long read (no transaction id) does not hold the feed back.
    await whileInTransaction(s, 'select count(*) from tier_change', async () => {
      const change = (await buy(s, m, 'lag-1', 1000)).recordPurchase.tierChange!.id;
      await readUntil(s, c, [change], 5_000);
    });
    // A writing transaction (it has an id) open on another database of the same server does, until it ends.
    const elsewhere = new Client({ connectionString: await pg.createDatabase('feedlag') });
    await elsewhere.connect();
    try {
      await elsewhere.query('begin');
      await elsewhere.query('select pg_current_xact_id()');
      const change = (await buy(s, m, 'lag-2', 5000)).recordPurchase.tierChange!.id;
      const committed = Date.now();
      for (let i = 0; i < 4; i++) {
        await sleep(250);
        expect(await readOn(s, c)).toEqual([]);
      }
      await elsewhere.query('commit');
      const released = Date.now();
      await readUntil(s, c, [change], 5_000);
      const servedAt = Date.now();
      // the lag the open transaction added: the time it stayed open after the change committed, then one read
      expect(servedAt - committed).toBeGreaterThanOrEqual(released - committed);
      expect(servedAt - released).toBeLessThan(5_000);
    } finally {
      await elsewhere.end();
    }
  });

  it('shows a member only its own changes; every member\'s is for admins; bad input is BAD_USER_INPUT or NOT_FOUND', async () => {
    const mine = await registerMember(s);
    const theirs = await registerMember(s);
    await buy(s, mine, 'own-1', 1000);
    await buy(s, theirs, 'own-2', 1000);
    await s.admin(SET_TIER, { m: mine, t: 'GOLD' });
    const expected = await ids(s, 'select id from tier_change where member_id = $1 order by xact_id, id', [mine]);
    expect(expected).toHaveLength(2);
    const me = reader(await s.token('member', mine), 1, mine);
    await readUntil(s, me, expected);
    expect(me.served).toEqual(expected);
    const service = reader(await s.token('service'), 100, mine);
    await readUntil(s, service, expected);
    expect(service.served).toEqual(expected);
    const everyone = reader(admin, 100);
    const all = await ids(s, 'select id from tier_change order by xact_id, id');
    await readUntil(s, everyone, all);
    expect(everyone.served).toEqual(all);
    const other = reader(await s.token('member', theirs), 100, theirs);
    const ofTheirs = await ids(s, 'select id from tier_change where member_id = $1', [theirs]);
    await readUntil(s, other, ofTheirs);
    expect(other.served).toEqual(ofTheirs);
    // a cursor is a place in the feed, not a member: the member's cursor on every member's feed is refused to it all the same
    expectError(await s.gql(FEED, { after: me.cursor }, await s.token('member', mine)), 'FORBIDDEN');

    const memberToken = await s.token('member', mine);
    expectError(await s.gql(FEED, { m: theirs }, memberToken), 'FORBIDDEN');
    // Without an id the feed is every member's: the member is told to name itself.
    const unnamed = await s.gql(FEED, {}, memberToken);
    expectError(unnamed, 'FORBIDDEN');
    expect(unnamed.errors![0].message).toBe("Only admins may read every member's feed: a member passes its own memberId");
    expectError(await s.gql(FEED, {}, await s.token('service')), 'FORBIDDEN');
    // The older replay, tierChanges, keeps every member's changes to admins too; a service reads one member's.
    expectError(await s.gql('{ tierChanges(first: 3) { id } }', {}, await s.token('service')), 'FORBIDDEN');
    expect((await s.gql('query($m: ID) { tierChanges(memberId: $m, first: 3) { id } }', { m: mine }, await s.token('service'))).errors).toBeUndefined();
    expectError(await s.gql(FEED, { m: mine }, null), 'UNAUTHENTICATED');
    expectError(await s.gql(FEED, { m: 'not-a-member' }, admin), 'BAD_USER_INPUT', 'memberId');
    expectError(await s.gql(FEED, { m: '00000000-0000-4000-8000-000000000000' }, admin), 'NOT_FOUND');
    expectError(await s.gql(FEED, { first: 101 }, admin), 'BAD_USER_INPUT', 'first');
    expectError(await s.gql(FEED, { first: -1 }, admin), 'BAD_USER_INPUT', 'first');
    const cursor = (text: string) => Buffer.from(text).toString('base64url');
    for (const bad of ['', 'x', cursor('feed:1'), cursor('txn:5'), cursor('feed:1.-2'), cursor('feed:1.5.3'), cursor('feed:99999999999999999999.1'), cursor('member:1.2')]) {
      const res = await s.gql(FEED, { after: bad }, admin);
      expectError(res, 'BAD_USER_INPUT', 'after');
      expect(JSON.stringify(res)).not.toMatch(/select|xid8|stack/i);
    }
  });

  it('serves each change once: a change a backdated fact superseded keeps its place (marked when read after), what replaces it comes after the cursor', async () => {
    const SUPERSEDED = `query($m: ID, $after: String) { tierChangeFeed(memberId: $m, after: $after, first: 100) {
      edges { node { id kind supersededAt } } pageInfo { endCursor } } }`;
    type Node = { id: string; kind: string; supersededAt: string | null };
    const page = async (m: string, after: string | null) =>
      (await s.admin<{ tierChangeFeed: { edges: { node: Node }[]; pageInfo: { endCursor: string | null } } }>(SUPERSEDED, { m, after })).tierChangeFeed;
    /** Reads a member's feed from `after` until `done` holds for what it served. */
    const readFrom = async (m: string, after: string | null, done: (nodes: Node[]) => boolean) => {
      const nodes: Node[] = [];
      for (let cursor = after, until = Date.now() + 15_000; ;) {
        const p = await page(m, cursor);
        nodes.push(...p.edges.map((e) => e.node));
        cursor = p.pageInfo.endCursor;
        if (done(nodes)) return { nodes, cursor };
        if (Date.now() > until) throw new Error(`the feed served only ${JSON.stringify(nodes)}`);
        await sleep(25);
      }
    };
    const days = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString();
    const m = await registerMember(s, { joinedAt: days(-400) });
    await buy(s, m, 'sup-1', 1000, days(-395)); // Silver until E, about a month ago
    await s.admin(REVIEW, { a: days(0) }); // nothing in the window at E: down at E
    const before = await readFrom(m, null, (n) => n.length >= 2);
    expect(before.nodes.map((n) => [n.kind, n.supersededAt])).toEqual([['UPGRADE', null], ['DOWNGRADE', null]]);
    const downgrade = before.nodes[1].id;
    // Points dated before E, posted now: the review at E renews instead. The downgrade is superseded,
    // the renewal recorded, in one transaction.
    await buy(s, m, 'sup-2', 800, days(-40));
    // The client that kept its cursor gets the renewal, and nothing it had already read (the contract: nothing repeated).
    const after = await readFrom(m, before.cursor, (n) => n.length >= 1);
    await sleep(200);
    const rest = await page(m, after.cursor);
    expect([...after.nodes, ...rest.edges.map((e) => e.node)].map((n) => [n.kind, n.supersededAt])).toEqual([['RENEWAL', null]]);
    // A client from the start sees each change once, as it stands now: the downgrade in its place, superseded.
    const fresh = await readFrom(m, null, (n) => n.length >= 3);
    expect(fresh.nodes.map((n) => [n.id === downgrade, n.kind, n.supersededAt != null])).toEqual([[false, 'UPGRADE', false], [true, 'DOWNGRADE', true], [false, 'RENEWAL', false]]);
    expect(new Set(fresh.nodes.map((n) => n.id)).size).toBe(3);
    const { member } = await s.admin(`query($m: ID!) { member(id: $m) { tier { code } tierHistory { kind } } }`, { m });
    expect(member).toEqual({ tier: { code: 'SILVER' }, tierHistory: [{ kind: 'UPGRADE' }, { kind: 'RENEWAL' }] });
  });
});

describe('tierChangeFeed with ids crossing 9→10 and 99→100', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ databaseUrl: await pg.createDatabase() });
    await createLadder(s);
  });
  afterAll(() => s.stop());

  it('serves every change once, in order, a member\'s and every member\'s, 7 and 100 at a time', async () => {
    const a = await registerMember(s);
    const b = await registerMember(s);
    // one change a transaction, the two members interleaved: their feeds and the whole feed cross the boundaries
    for (let i = 0; i < 120; i++) await s.admin(SET_TIER, { m: i % 7 === 3 ? b : a, t: i % 2 ? 'GOLD' : 'SILVER' });
    const all = await ids(s, 'select id from tier_change order by xact_id, id');
    expect(all).toEqual(await ids(s, 'select id from tier_change order by id')); // one after another: commit order is id order
    expect(all).toEqual(expect.arrayContaining(['9', '10', '99', '100']));
    const ofA = await ids(s, 'select id from tier_change where member_id = $1 order by id', [a]);
    expect(ofA).toEqual(expect.arrayContaining(['9', '10', '99', '100']));
    const admin = await s.token('admin');
    const memberToken = await s.token('member', a);
    for (const first of [7, 100]) {
      const everyone = reader(admin, first);
      await readUntil(s, everyone, all);
      expect(everyone.served).toEqual(all);
      const member = reader(memberToken, first, a);
      await readUntil(s, member, ofA);
      expect(member.served).toEqual(ofA);
    }
  });
});
