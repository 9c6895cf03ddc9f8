import type { Client as WsClient } from 'graphql-ws';
import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';
import { importFile as importFileTo } from '../support/imports';
import { eventually } from '../support/wait';

/**
 * Tier changes an import makes are pushed on `tierChanged` like every other (domain.md, "Every
 * upgrade, downgrade and renewal is a TierChange row … and is pushed"): a members import's
 * opening tiers, an earn import's upgrades and a history import's tier decision. An imported
 * opening tier is the member's first tier: its `fromTier` is null (the contract's TierChange).
 */

const SUB = `subscription($id: ID) { tierChanged(memberId: $id) { memberId kind fromTier { code } toTier { code } reason } }`;

function listen(client: WsClient, variables: Record<string, unknown>) {
  const events: any[] = [];
  const errors: any[] = [];
  const stop = client.subscribe({ query: SUB, variables }, {
    next: (v) => { if (v.errors) errors.push(...v.errors); else events.push(v.data!.tierChanged); },
    error: (e) => { errors.push(e); },
    complete: () => {},
  });
  return { events, errors, stop };
}

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  await createLadder(s);
});
afterAll(() => s.stop());

const importFile = (path: string, body: string) => importFileTo(s, path, body, 'text/csv', 60_000);
const subscribed = (n: number) => eventually(() => s.app.pubSub.subscriberCount('TIER_CHANGED') === n, `${n} tierChanged subscriptions`);
const idOf = async (externalId: string) => (await s.admin('query($e: String!) { memberByExternalId(externalId: $e) { id } }', { e: externalId })).memberByExternalId.id;
/** A marker after the events a test waits for: pushes arrive in order, so once it is in, nothing else is on its way. */
const mark = (memberId: string) => s.admin('mutation($id: ID!) { setMemberTier(memberId: $id, tierCode: "PLATINUM", reason: "marker") { id } }', { id: memberId });
const isMarker = (e: { reason: string }) => e.reason === 'override: marker';

it("pushes a members import's opening tiers, each from no tier, once each, and nothing for a member without one", async () => {
  const feed = listen(s.ws(await s.token('admin')), {});
  await subscribed(1);
  const job = await importFile('/imports/members', 'externalId,tierCode,tierExpiresAt\npush-m1,GOLD,2031-01-01T00:00:00Z\npush-m2,,\npush-m3,SILVER,2031-01-01T00:00:00Z\n');
  expect(job).toMatchObject({ status: 'SUCCEEDED', rowsDone: 3, rowsRejected: 0 });
  const [m1, m3] = [await idOf('push-m1'), await idOf('push-m3')];
  await mark(m1);
  await eventually(() => feed.events.some(isMarker), 'the marker');
  expect(feed.errors).toEqual([]);
  expect(feed.events.filter((e) => !isMarker(e)).sort((a, b) => a.toTier.code.localeCompare(b.toTier.code))).toEqual([
    { memberId: m1, kind: 'UPGRADE', fromTier: null, toTier: { code: 'GOLD' }, reason: 'import' },
    { memberId: m3, kind: 'UPGRADE', fromTier: null, toTier: { code: 'SILVER' }, reason: 'import' },
  ]);
  // Read back, the same: the member's first tier has none before it.
  const { member } = await s.admin('query($id: ID!) { member(id: $id) { tierHistory { kind fromTier { code } toTier { code } reason } } }', { id: m3 });
  expect(member.tierHistory).toEqual([{ kind: 'UPGRADE', fromTier: null, toTier: { code: 'SILVER' }, reason: 'import' }]);
  feed.stop();
  await subscribed(0);
});

it("pushes an earn import's upgrade to the member's app and to an admin, and a history import's tier decision", async () => {
  const earner = await registerMember(s, { externalId: 'push-e1' });
  const historic = await registerMember(s, { externalId: 'push-h1' });
  const app = listen(s.ws(await s.token('member', earner)), {});
  const feed = listen(s.ws(await s.token('admin')), {});
  await subscribed(2);
  const now = Date.now();
  const earn = await importFile('/imports/purchases?mode=earn', `orderId,externalId,amount,occurredAt\npush-o1,push-e1,1200,${new Date(now - 86_400_000).toISOString()}\n`);
  expect(earn).toMatchObject({ status: 'SUCCEEDED', rowsDone: 1, rowsRejected: 0 });
  const history = await importFile('/imports/purchases?mode=history', `orderId,externalId,amount,occurredAt\npush-o2,push-h1,6000,${new Date(now - 2 * 86_400_000).toISOString()}\n`);
  expect(history).toMatchObject({ status: 'SUCCEEDED', rowsDone: 1, rowsRejected: 0 });
  await mark(earner);
  await eventually(() => app.events.some(isMarker) && feed.events.some(isMarker), 'the marker');
  const upgradeOf = (memberId: string, from: string, to: string) => ({ memberId, kind: 'UPGRADE', fromTier: { code: from }, toTier: { code: to }, reason: expect.any(String) });
  expect(app.events.filter((e) => !isMarker(e))).toEqual([upgradeOf(earner, 'BRONZE', 'SILVER')]);
  expect(feed.events.filter((e) => !isMarker(e))).toEqual([upgradeOf(earner, 'BRONZE', 'SILVER'), upgradeOf(historic, 'BRONZE', 'GOLD')]);
  app.stop();
  feed.stop();
});

it('a go-live file of 50,000 members on tiers reaches a subscriber to every member whole: published in slices, not queued on its socket at once', async () => {
  const client = s.ws(await s.token('admin'));
  let closed: { code?: number; reason?: string } | null = null;
  client.on('closed', (e) => { const c = e as { code?: number; reason?: string } | undefined; closed = { code: c?.code, reason: c?.reason }; });
  const feed = listen(client, {});
  await subscribed(1);
  const n = 50_000;
  let body = 'externalId,tierCode,tierExpiresAt\n';
  for (let i = 0; i < n; i++) body += `bulk-${i},GOLD,2031-01-01T00:00:00Z\n`;
  expect(await importFileTo(s, '/imports/members', body, 'text/csv', 300_000)).toMatchObject({ status: 'SUCCEEDED', rowsDone: n, rowsRejected: 0 });
  // Each outbox row lists at most 20,000 changes (the dispatcher publishes a row at once).
  const rows = await s.sql<{ n: number }>(`select jsonb_array_length(payload->'ids') as n from outbox where topic = 'TIER_CHANGED' and payload ? 'ids' order by id`);
  expect(Math.max(...rows.map((r) => r.n))).toBeLessThanOrEqual(20_000);
  await eventually(() => feed.events.length >= n || closed !== null || feed.errors.length > 0, `${n} pushes`, 120_000);
  expect({ closed, errors: feed.errors, received: feed.events.length }).toEqual({ closed: null, errors: [], received: n });
  expect(new Set(feed.events.map((e) => e.memberId)).size).toBe(n);
  feed.stop();
  await subscribed(0);
}, 600_000);
