import type { Client as WsClient } from 'graphql-ws';
import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';
import { eventually } from '../support/wait';
import { TestClock, whenItComes } from '../support/clock';
import { BACKGROUND_APPLICATION } from '../../src/db/foreground';
import { addMonthsUtc } from '../../src/common/time.rules';

const SUB = `subscription($id: ID) { tierChanged(memberId: $id) { memberId kind fromTier { code } toTier { code } } }`;

/** Subscriptions still open: a test that fails before it stops its own leaves them to afterEach. */
const open = new Set<() => void>();

/** Collects what a subscription receives; `next(n)` waits for n more events. */
function listen(client: WsClient, variables: Record<string, unknown>, query = SUB) {
  const events: any[] = [];
  const errors: any[] = [];
  let waiters: (() => void)[] = [];
  // A waiter whose condition still fails re-registers itself: take the list before calling them.
  const wake = () => { const now = waiters; waiters = []; now.forEach((w) => w()); };
  const unsubscribe = client.subscribe({ query, variables }, {
    next: (v) => { if (v.errors) errors.push(...v.errors); else events.push(v.data!.tierChanged); wake(); },
    error: (e) => { errors.push(e); wake(); },
    complete: () => {},
  });
  const stop = () => { open.delete(stop); unsubscribe(); };
  open.add(stop);
  // `ms` is a safety bound: each wait ends as soon as what it waits for has arrived.
  const until = (pred: () => boolean, ms = 20_000) => new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out; events ${JSON.stringify(events)} errors ${JSON.stringify(errors)}`)), ms);
    const check = () => { if (pred()) { clearTimeout(timer); resolve(); } else waiters.push(check); };
    check();
  });
  return { events, errors, stop, until };
}

/**
 * Waits until `server` holds exactly `n` tierChanged subscriptions: from then on each of them
 * receives every change published (graphql-ws acknowledges a socket, not a subscription, so
 * the server's own count is the condition to wait on).
 */
const subscribed = (server: TestServer, n: number) =>
  eventually(() => server.app.pubSub.subscriberCount('TIER_CHANGED') === n, `${n} tierChanged subscriptions`);

/** The event a marker (below) sends to `memberId`'s subscribers. */
const marked = (memberId: string, from: string) => ({ memberId, kind: 'UPGRADE', fromTier: { code: from }, toTier: { code: 'PLATINUM' } });
const isMarker = (e: { toTier: { code: string } }) => e.toTier.code === 'PLATINUM';

describe('tierChanged over graphql-ws, across two instances on one database', () => {
  let a: TestServer;
  let b: TestServer;
  /** Instance a's clock: a review as of a year ahead runs once that day has come (whenItComes). */
  const clock = new TestClock();
  const reviewAhead = (asOf: string) => whenItComes(clock, asOf, () => a.admin('mutation($a: DateTime!) { runTierReview(asOf: $a) { processed } }', { a: asOf }));
  beforeAll(async () => {
    a = await startTestServer({ clock });
    b = await startTestServer({ databaseUrl: a.databaseUrl });
    await createLadder(a);
  });
  afterAll(async () => {
    await b.stop();
    await a.stop();
  });
  // Each test starts with no subscription left from the one before (an ended one leaves the
  // server's pub/sub asynchronously), so `subscribed` counts only the test's own.
  // A failed test's subscriptions are stopped here first, so the next test does not wait on them.
  afterEach(() => {
    [...open].forEach((stop) => stop());
    return eventually(() => a.app.pubSub.subscriberCount('TIER_CHANGED') + b.app.pubSub.subscriberCount('TIER_CHANGED') === 0,
      'the subscriptions of the test to end');
  });

  /**
   * A marker change: `memberId` set to Platinum, after everything a test waited for has been
   * heard. Events reach a subscription in the order they were published, so whatever else was
   * on its way to a subscriber (a leak, a duplicate) arrives before the marker: once the marker
   * is in, a subscriber's events are final.
   */
  const mark = (memberId: string) =>
    a.admin(`mutation($id: ID!) { setMemberTier(memberId: $id, tierCode: "PLATINUM", reason: "marker") { id } }`, { id: memberId });

  const upgrade = async (s: TestServer, memberId: string, orderId: string, occurredAt?: string) =>
    s.gql(`mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { tierChange { kind } } }`,
      { i: { memberId, orderId, amount: 1000, ...(occurredAt ? { occurredAt } : {}) } }, await s.token('service'));
  /**
   * An upgrade that lapses at the review after its expiry: now, or on 29 February the day
   * before. Silver then runs to 28 February (12 months on, clamped), whose window reaches back
   * to the 28th: the upgrade's own points would count again, and the member be renewed.
   */
  const upgradeToLapse = (s: TestServer, memberId: string, orderId: string) => {
    const now = clock.now();
    const roundTrips = addMonthsUtc(addMonthsUtc(now, 12), -12).getTime() === now.getTime();
    return upgrade(s, memberId, orderId, roundTrips ? undefined : new Date(now.getTime() - 86_400_000).toISOString());
  };

  it('a member app hears its own upgrade made through the other instance; an admin feed hears everyone', async () => {
    const m1 = await registerMember(a);
    const m2 = await registerMember(a);
    const app = listen(b.ws(await b.token('member', m1)), { id: m1 });
    const feed = listen(b.ws(await b.token('admin')), {});
    await subscribed(b, 2);
    await upgrade(a, m1, 'rt-1');
    await upgrade(a, m2, 'rt-2');
    await feed.until(() => feed.events.length >= 2);
    await mark(m1);
    await app.until(() => app.events.some(isMarker));
    await feed.until(() => feed.events.some(isMarker));
    expect(app.events).toEqual([{ memberId: m1, kind: 'UPGRADE', fromTier: { code: 'BRONZE' }, toTier: { code: 'SILVER' } }, marked(m1, 'SILVER')]);
    expect(feed.events.slice(0, 2).map((e) => e.memberId).sort()).toEqual([m1, m2].sort());
    expect(feed.events.slice(2)).toEqual([marked(m1, 'SILVER')]);
    app.stop();
    feed.stop();
  });

  it('with member apps only listening, each hears its own change out of a review batch of several', async () => {
    const [m1, m2, m3] = [await registerMember(a), await registerMember(a), await registerMember(a)];
    // Their upgrades are published on b before the apps subscribe: a feed on b has heard all
    // three (b's dispatcher publishes each event to every subscriber at once), and is gone.
    const feed = listen(b.ws(await b.token('admin')), {});
    await subscribed(b, 1);
    for (const [i, m] of [m1, m2, m3].entries()) await upgradeToLapse(a, m, `rb-${i}`);
    await feed.until(() => feed.events.length >= 3);
    feed.stop();
    await subscribed(b, 0);
    const app1 = listen(b.ws(await b.token('member', m1)), { id: m1 });
    const app2 = listen(b.ws(await b.token('member', m2)), { id: m2 });
    await subscribed(b, 2);
    expect(b.app.pubSub.audience('TIER_CHANGED')).toEqual({ everyone: false, members: expect.arrayContaining([m1, m2]) });
    const asOf = new Date(Date.now() + 400 * 86_400_000).toISOString(); // past their Silver's expiry
    await reviewAhead(asOf);
    await app1.until(() => app1.events.length >= 1);
    await app2.until(() => app2.events.length >= 1);
    await mark(m1);
    await mark(m2);
    await app1.until(() => app1.events.some(isMarker));
    await app2.until(() => app2.events.some(isMarker));
    const downgrade = (memberId: string) => [{ memberId, kind: 'DOWNGRADE', fromTier: { code: 'SILVER' }, toTier: { code: 'BRONZE' } }];
    expect(app1.events).toEqual([...downgrade(m1), marked(m1, 'BRONZE')]);
    expect(app2.events).toEqual([...downgrade(m2), marked(m2, 'BRONZE')]);
    app1.stop();
    app2.stop();
  });

  it('pushes each change as stored: an upgrade (its outbox row carries it) and a review\'s (read back by id) equal their replay', async () => {
    const FIELDS = 'id memberId kind fromTier { code } toTier { code } reason qualifyingPoints occurredAt';
    const m = await registerMember(a);
    const app = listen(b.ws(await b.token('member', m)), { id: m }, `subscription($id: ID) { tierChanged(memberId: $id) { ${FIELDS} } }`);
    await subscribed(b, 1);
    await upgradeToLapse(a, m, 'rt-full');
    await app.until(() => app.events.length >= 1);
    await reviewAhead(new Date(Date.now() + 400 * 86_400_000).toISOString());
    await app.until(() => app.events.length >= 2);
    const replay = await b.gql(`query($id: ID!) { tierChanges(memberId: $id) { ${FIELDS} } }`, { id: m }, await b.token('member', m));
    expect(replay.data!.tierChanges.map((c: { kind: string }) => c.kind)).toEqual(['UPGRADE', 'DOWNGRADE']);
    expect(app.events).toEqual(replay.data!.tierChanges);
    app.stop();
  });

  it('a broadcast event is executed and serialized once per distinct subscription, not once per subscriber', async () => {
    const metric = async (name: string, label = '') => {
      const text = await (await fetch(`${b.url.replace(/\/graphql$/, '')}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(`${name}${label} `) || (!label && l.startsWith(`${name} `)));
      return line ? Number(line.split(' ')[1]) : 0;
    };
    const snapshot = async () => ({
      executed: await metric('subscription_event_executions_total', '{outcome="executed"}'),
      reused: await metric('subscription_event_executions_total', '{outcome="reused"}'),
      serialized: await metric('subscription_payloads_serialized_total'),
    });
    const m = await registerMember(a);
    const feeds = [];
    for (let i = 0; i < 3; i++) feeds.push(listen(b.ws(await b.token('admin', `ops-${i}`)), {}));
    const self = listen(b.ws(await b.token('member', m)), { id: m });
    await subscribed(b, 4);
    const before = await snapshot();
    await upgrade(a, m, 'rt-shared');
    for (const f of [...feeds, self]) await f.until(() => f.events.length >= 1);
    // Complete for this event: a subscriber's frame is sent only after its execution was counted
    // (executed or reused) and its payload serialized.
    const after = await snapshot();
    const delta = (x: typeof before, y: typeof before) => ({ executed: y.executed - x.executed, reused: y.reused - x.reused, serialized: y.serialized - x.serialized });
    // The three admin feeds share one execution and one JSON payload; the member's own subscription has its own.
    expect(delta(before, after)).toEqual({ executed: 2, reused: 2, serialized: 2 });
    // Nothing more for that event (no second delivery): the marker is the next thing each hears, at the same cost.
    await mark(m);
    for (const f of [...feeds, self]) await f.until(() => f.events.some(isMarker));
    const expected = { memberId: m, kind: 'UPGRADE', fromTier: { code: 'BRONZE' }, toTier: { code: 'SILVER' } };
    for (const f of [...feeds, self]) expect(f.events).toEqual([expected, marked(m, 'SILVER')]);
    expect(delta(after, await snapshot())).toEqual({ executed: 2, reused: 2, serialized: 2 });
    for (const f of [...feeds, self]) f.stop();
  });

  it('a subscription that ends, by complete or by a closed socket, leaves the pub/sub at once', async () => {
    const subscribers = async () => {
      const text = await (await fetch(`${b.url.replace(/\/graphql$/, '')}/metrics`)).text();
      return Number(text.split('\n').find((l) => l.startsWith('graphql_subscribers{topic="TIER_CHANGED"}'))?.split(' ')[1]);
    };
    // What the metric says, once it says it (each step ends as soon as the count is reached).
    const counted = (n: number) => eventually(async () => (await subscribers()) === n, `graphql_subscribers ${n}`);
    expect(await subscribers()).toBe(0);
    const client = b.ws(await b.token('admin'));
    const one = listen(client, {});
    listen(client, {}); // a second subscription, ended by the socket's close below
    await counted(2);
    one.stop();
    await counted(1);
    await client.dispose();
    await counted(0);
  });

  it('an event whose NOTIFY never came is still delivered, by the dispatcher\'s poll of the outbox', async () => {
    const m = await registerMember(a);
    const feed = listen(b.ws(await b.token('admin')), {});
    await subscribed(b, 1);
    // A committed change and its outbox row with no NOTIFY, as when a writer dies right after its commit.
    await a.sql(`with t as (select id from tier where code = 'SILVER'), f as (select id from tier where code = 'BRONZE'),
      c as (insert into tier_change (member_id, kind, from_tier_id, to_tier_id, reason, qualifying_points, occurred_at, created_at)
        select $1, 'UPGRADE', f.id, t.id, 'silent', 1000, now(), now() from t, f returning id)
      insert into outbox (topic, member_id, payload, created_at) select 'TIER_CHANGED', $1, jsonb_build_object('ids', jsonb_build_array(c.id::text)), now() from c`, [m]);
    await feed.until(() => feed.events.length >= 1);
    expect(feed.events).toEqual([{ memberId: m, kind: 'UPGRADE', fromTier: { code: 'BRONZE' }, toTier: { code: 'SILVER' } }]);
    feed.stop();
  });

  it('a member cannot subscribe to another member; a service must name one', async () => {
    const m1 = await registerMember(a);
    const m2 = await registerMember(a);
    for (const [token, variables] of [[await a.token('member', m1), { id: m2 }], [await a.token('service'), {}]] as const) {
      const sub = listen(a.ws(token), variables);
      await sub.until(() => sub.errors.length > 0);
      expect(sub.errors[0].extensions?.code ?? sub.errors[0].message).toBe('FORBIDDEN');
    }
  });

  it('a service or an admin naming a member that does not exist is NOT_FOUND, not a silent subscription', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    for (const token of [await a.token('service'), await a.token('admin')]) {
      const sub = listen(a.ws(token), { id: unknown });
      await sub.until(() => sub.errors.length > 0);
      expect(sub.errors[0]).toMatchObject({ message: `Member ${unknown} not found`, extensions: { code: 'NOT_FOUND' } });
    }
    // A member that exists is heard as before.
    const m = await registerMember(a);
    const known = listen(a.ws(await a.token('service')), { id: m });
    await subscribed(a, 1);
    known.stop();
  });

  it('a member that names no member hears its own changes, and only those (issue 19)', async () => {
    const [me, someone] = [await registerMember(a), await registerMember(a)];
    const mine = listen(b.ws(await b.token('member', me)), {});
    const feed = listen(b.ws(await b.token('admin')), {});
    await subscribed(b, 2);
    await upgrade(a, someone, 'rt-own-1');
    await upgrade(a, me, 'rt-own-2');
    await mark(someone);
    await mark(me);
    await mine.until(() => mine.events.some(isMarker));
    await feed.until(() => feed.events.filter(isMarker).length === 2);
    const upgraded = (memberId: string) => ({ memberId, kind: 'UPGRADE', fromTier: { code: 'BRONZE' }, toTier: { code: 'SILVER' } });
    expect(mine.events).toEqual([upgraded(me), marked(me, 'SILVER')]);
    expect(mine.errors).toEqual([]);
    // an admin's feed without an id is every member's, as before
    expect(feed.events).toEqual([upgraded(someone), upgraded(me), marked(someone, 'SILVER'), marked(me, 'SILVER')]);
    mine.stop();
    feed.stop();
  });

  it('a rolled-back change publishes nothing', async () => {
    const m = await registerMember(a);
    const feed = listen(b.ws(await b.token('admin')), {});
    await subscribed(b, 1);
    await a.sql(`create function refuse_outbox() returns trigger language plpgsql as $$ begin raise exception 'refused'; end $$`);
    await a.sql(`create trigger refuse_outbox before insert on outbox for each row execute function refuse_outbox()`);
    try {
      const res = await upgrade(a, m, 'rt-rollback');
      expect(res.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    } finally {
      await a.sql('drop trigger refuse_outbox on outbox');
      await a.sql('drop function refuse_outbox()');
    }
    expect(await a.sql(`select count(*)::int as n from tier_change where member_id = $1`, [m])).toEqual([{ n: 0 }]);
    const other = await registerMember(a);
    await upgrade(a, other, 'rt-after');
    // Anything the rolled-back change had published would have come before this later change.
    await feed.until(() => feed.events.some((e) => e.memberId === other));
    expect(feed.events.map((e) => e.memberId)).toEqual([other]);
    feed.stop();
  });

  it('a subscriber that was offline catches up through tierChanges(since)', async () => {
    const m = await registerMember(a);
    const since = new Date().toISOString();
    await upgrade(a, m, 'rt-offline');
    const token = await b.token('member', m);
    const res = await b.gql(`query($id: ID!, $since: DateTime) { tierChanges(memberId: $id, since: $since) { kind toTier { code } } }`, { id: m, since }, token);
    expect(res.data!.tierChanges).toEqual([{ kind: 'UPGRADE', toTier: { code: 'SILVER' } }]);
  });

  it('the dispatcher catches up on what was committed while its LISTEN connection was down', async () => {
    const m = await registerMember(a);
    const feed = listen(b.ws(await b.token('admin')), { id: m });
    await subscribed(b, 1);
    // Both instances' dispatcher connections (named as background work), whatever they ran last.
    const [{ ended }] = await a.sql(`select count(pg_terminate_backend(pid))::int as ended from pg_stat_activity
      where application_name = $1 and datname = current_database()`, [BACKGROUND_APPLICATION]);
    expect(ended).toBe(2);
    await upgrade(a, m, 'rt-during-outage');
    await feed.until(() => feed.events.length >= 1);
    expect(feed.events).toEqual([{ memberId: m, kind: 'UPGRADE', fromTier: { code: 'BRONZE' }, toTier: { code: 'SILVER' } }]);
    feed.stop();
  });
});
