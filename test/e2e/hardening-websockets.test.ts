import type { Client as WsClient } from 'graphql-ws';
import { mintToken } from '../../src/api/auth';
import { JWT_SECRET, startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';

// Issue 17, item 7: sockets per subject and operations per socket are capped, and a socket
// does not outlive its token. Caps are small here (3 sockets, 2 operations) to keep it quick.
let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({ wsMaxSocketsPerSubject: 3, wsMaxSubscriptionsPerSocket: 2 });
  await createLadder(s);
});
afterAll(() => s.stop());

const SUB = `subscription($id: ID) { tierChanged(memberId: $id) { memberId kind toTier { code } } }`;
type Closed = { code: number; reason: string };

function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    work.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}
const closedOf = (client: WsClient) => new Promise<Closed>((resolve) =>
  client.on('closed', (e) => resolve({ code: (e as Closed).code, reason: String((e as Closed).reason) })));
/** How a new socket ends up: acknowledged, or closed (with its code and reason). */
const outcome = (client: WsClient) => within(new Promise<'connected' | Closed>((resolve) => {
  client.on('connected', () => resolve('connected'));
  void closedOf(client).then(resolve); // closedOf never rejects
}), 5000, 'the socket to connect or close');
async function until(pred: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** What one subscription receives. */
function listen(client: WsClient, memberId: string) {
  const events: any[] = [];
  const errors: any[] = [];
  const stop = client.subscribe({ query: SUB, variables: { id: memberId } }, {
    next: (v) => (v.errors ? errors.push(...v.errors) : events.push(v.data!.tierChanged)),
    error: (e) => errors.push(...(Array.isArray(e) ? e : [e])),
    complete: () => {},
  });
  return { events, errors, stop };
}
const subscribers = () => s.app.pubSub.subscriberCount('TIER_CHANGED');
const purchase = async (memberId: string, orderId: string, amount: number) =>
  s.gql(`mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }`, { i: { memberId, orderId, amount } }, await s.token('service'));

it('the socket after the third of one subject is closed with 4429; other members are unaffected; a freed place is reusable', async () => {
  const a = await registerMember(s, { externalId: 'ws-a' });
  const b = await registerMember(s, { externalId: 'ws-b' });
  const tokenA = await s.token('member', a);
  const first = [s.ws(tokenA), s.ws(tokenA), s.ws(tokenA)];
  expect(await Promise.all(first.map(outcome))).toEqual(['connected', 'connected', 'connected']);

  expect(await outcome(s.ws(tokenA))).toEqual({ code: 4429, reason: 'Too many sockets for this token (limit 3)' });
  // Another token of the same subject (role + sub) shares its count.
  const otherTokenA = await mintToken(JWT_SECRET, { role: 'member', sub: a }, '1h');
  expect((await outcome(s.ws(otherTokenA))) as Closed).toMatchObject({ code: 4429 });
  // Another member, and an admin, are not counted with member a.
  expect(await outcome(s.ws(await s.token('member', b)))).toBe('connected');
  expect(await outcome(s.ws(await s.token('admin')))).toBe('connected');

  // A closed socket frees its place (the server sees the close after the client: retry until it has).
  await first[0].dispose();
  let next: 'connected' | Closed = { code: 0, reason: '' };
  const deadline = Date.now() + 5000;
  while (next !== 'connected' && Date.now() < deadline) next = await outcome(s.ws(tokenA));
  expect(next).toBe('connected');
});

it('the operation after the second on one socket gets an error of its own; the others live on', async () => {
  const m = await registerMember(s, { externalId: 'ws-subs' });
  const client = s.ws(await s.token('member', m));
  const before = subscribers();
  const one = listen(client, m);
  const two = listen(client, m);
  await until(() => subscribers() === before + 2, 'two subscriptions');

  const three = listen(client, m);
  await until(() => three.errors.length > 0, 'the third subscription to be refused');
  expect(three.errors).toEqual([{ message: 'Too many operations on this socket (limit 2); complete one first', extensions: { code: 'LIMIT_REACHED', limit: 2 } }]);

  // The first two still receive their member's upgrade on the same socket.
  expect((await purchase(m, 'ws-subs-1', 1000)).errors).toBeUndefined();
  await until(() => one.events.length === 1 && two.events.length === 1, 'the upgrade on both subscriptions');
  expect(one.events[0]).toEqual({ memberId: m, kind: 'UPGRADE', toTier: { code: 'SILVER' } });

  // Completing one makes room for another.
  one.stop();
  const four = listen(client, m);
  await until(() => subscribers() === before + 2, 'the fourth subscription');
  expect((await purchase(m, 'ws-subs-2', 4000)).errors).toBeUndefined();
  await until(() => four.events.length === 1 && two.events.length === 2, 'the second upgrade');
  expect(four.errors).toEqual([]);
});

it('a socket is closed with 4401 when its token expires', async () => {
  const m = await registerMember(s, { externalId: 'ws-exp' });
  const exp = Math.floor(Date.now() / 1000) + 2;
  const client = s.ws(await mintToken(JWT_SECRET, { role: 'member', sub: m }, exp));
  const closed = closedOf(client);
  const sub = listen(client, m);
  expect(await within(closed, 6000, 'the close at expiry')).toEqual({ code: 4401, reason: 'Token expired' });
  const at = Date.now();
  expect(at).toBeGreaterThanOrEqual(exp * 1000);
  expect(at).toBeLessThan(exp * 1000 + 1500);
  expect(sub.events).toEqual([]);
});

it('@skip or @include on a subscription\'s root field is refused as invalid, that operation only: the socket and its other subscriptions live on', async () => {
  // graphql-js 16's validation threw on a variable there, and graphql-ws closed the socket with 4500.
  const m = await registerMember(s, { externalId: 'ws-directives' });
  const client = s.ws(await s.token('member', m));
  const closed: Closed[] = [];
  void closedOf(client).then((c) => closed.push(c));
  const plain = listen(client, m);
  const got: Record<string, any[]> = {};
  const sub = (name: string, query: string, variables: Record<string, unknown>) => {
    got[name] = [];
    client.subscribe({ query, variables }, {
      next: (v) => got[name].push(...(v.errors ?? [v.data])),
      error: (e) => got[name].push(...(Array.isArray(e) ? e : [e])),
      complete: () => {},
    });
  };
  // One at a time: the socket's cap here is two operations, and a refused one frees its place.
  sub('include', `subscription($s: Boolean!, $id: ID) { tierChanged(memberId: $id) @include(if: $s) { kind } }`, { s: true, id: m });
  await until(() => got.include.length > 0, 'the first refusal');
  sub('skipDefault', `subscription($s: Boolean! = false, $id: ID) { tierChanged(memberId: $id) @skip(if: $s) { kind } }`, { id: m });
  await until(() => got.skipDefault.length > 0, 'the second refusal');
  sub('inFragment', `subscription($id: ID) { ...F } fragment F on Subscription { tierChanged(memberId: $id) @include(if: true) { kind } }`, { id: m });
  await until(() => got.inFragment.length > 0, 'the third refusal');
  for (const list of Object.values(got)) {
    expect(list).toEqual([expect.objectContaining({ message: "A subscription's root field must not use @skip or @include", extensions: expect.objectContaining({ code: 'GRAPHQL_VALIDATION_FAILED' }) })]);
  }
  expect((await purchase(m, 'ws-directives-1', 1000)).errors).toBeUndefined();
  await until(() => plain.events.length === 1, 'the upgrade on the plain subscription');
  expect([plain.errors, closed]).toEqual([[], []]);
  await client.dispose();
});

it('a subscription posted over HTTP is BAD_REQUEST (400), whoever sends it', async () => {
  for (const token of [null, await s.token('admin')]) {
    const res = await fetch(`${s.url}/graphql`, {
      method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query: 'subscription { tierChanged { id } }' }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: unknown[] };
    expect(body.errors).toEqual([expect.objectContaining({ extensions: { code: 'BAD_REQUEST' }, message: expect.stringMatching(/WebSocket/) })]);
  }
});

it('errors over the socket are HTTP\'s: a variable that does not coerce names its field; an operation that cannot be picked is OPERATION_RESOLUTION_FAILURE', async () => {
  const client = s.ws(await s.token('service'));
  const run = (query: string, variables: Record<string, unknown> = {}, operationName?: string) => new Promise<any[]>((resolve) => {
    const out: any[] = [];
    client.subscribe({ query, variables, operationName }, {
      next: (v) => out.push(...(v.errors ?? [])),
      error: (e) => resolve([...out, ...(Array.isArray(e) ? e : [e])]),
      complete: () => resolve(out),
    });
  });
  const http = await s.gql('query($n: Int!) { tiers { code } m: members(first: $n) { totalCount } }', { n: 'x' }, await s.token('admin'));
  expect(http.errors?.[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'n' });
  const coerced = await run('query($n: Int!) { tiers { code } m: members(first: $n) { totalCount } }', { n: 'x' });
  expect(coerced[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'n' });
  const missing = await run('mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }', { i: { memberId: '00000000-0000-4000-8000-000000000000', orderId: 'ws-x' } });
  expect(missing[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'amount' });
  const two = await run('query A { tiers { code } } query B { program { timeZone } }');
  expect(two).toEqual([expect.objectContaining({ message: 'Must provide operation name if query contains multiple operations.', extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } })]);
  const unknown = await run('query A { tiers { code } } query B { program { timeZone } }', {}, 'C');
  expect(unknown).toEqual([expect.objectContaining({ message: 'Unknown operation named "C".', extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } })]);
  const picked = await run('query A { tiers { code } } query B { program { timeZone } }', {}, 'B');
  expect(picked).toEqual([]);
  await client.dispose();
});
