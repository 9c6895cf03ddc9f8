import { Client } from 'pg';
import { inTransaction } from '../../src/db/transaction';
import { loadConfig } from '../../src/config/env';
import { emitWebhookEvent } from '../../src/modules/webhooks/webhooks.service';
import { parseSignatureHeader } from '../../src/modules/webhooks/webhooks.rules';
import { expectError, startTestServer, type TestServer } from '../support/harness';
import { startReceiver, verifySignature, type Receiver } from '../support/webhook-receiver';
import { createLadder, registerMember } from '../support/fixtures';
import { eventually } from '../support/wait';

// Delivery end to end: a real HTTP receiver (test/support/webhook-receiver.ts) checks what the
// server's worker sends. Small WEBHOOK_TIMEOUT_MS / WEBHOOK_BACKOFF_MS / WEBHOOK_MAX_ATTEMPTS.
const WEBHOOKS = { timeoutMs: 400, backoffMs: 40, maxAttempts: 3, allowInsecure: true, concurrency: 4 };
let s: TestServer;
const receivers: Receiver[] = [];
beforeAll(async () => { s = await startTestServer({ webhooks: WEBHOOKS }); });
afterAll(async () => {
  await s?.stop();
  for (const r of receivers) await r.close();
});

async function receiver(...args: Parameters<typeof startReceiver>): Promise<Receiver> {
  const r = await startReceiver(...args);
  receivers.push(r);
  return r;
}

const CREATE = `mutation($i: WebhookEndpointInput!) { createWebhookEndpoint(input: $i) { secret endpoint { id } } }`;

/** Only this endpoint is active from now on (the other tests' are switched off), subscribed to every type. */
async function onlyEndpoint(server: TestServer, url: string, types = ['*']): Promise<{ id: string; secret: string }> {
  await server.sql('update webhook_endpoint set active = false');
  const { createWebhookEndpoint: c } = await server.admin(CREATE, { i: { url, eventTypes: types } });
  return { id: c.endpoint.id, secret: c.secret };
}

/** `n` points.earned events in one transaction, as a writer would; their ids. */
async function emit(server: TestServer, n = 1, type: 'points.earned' | 'tier.changed' = 'points.earned'): Promise<string[]> {
  return inTransaction(server.app.orm.em.fork(), async (tx) => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push((await emitWebhookEvent(tx, type, null, { points: i + 1, reference: `order-${i}`, member: { id: 'm', externalId: 'x' } }))!);
    return ids;
  });
}

const deliveries = (server: TestServer, endpointId: string) =>
  server.sql<{ id: string; event_id: string; status: string; attempts: number; last_status_code: number | null; last_error: string | null }>(
    'select id::text, event_id, status, attempts, last_status_code, last_error from webhook_delivery where endpoint_id = $1 order by id', [endpointId]);

describe('a healthy receiver', () => {
  it('gets each event once, signed: t and v1 = HMAC-SHA256(secret, "t.body"), with the event id and type in headers and the body', async () => {
    const r = await receiver();
    const { id, secret } = await onlyEndpoint(s, `${r.url}/hooks`);
    const events = await emit(s, 5);
    await eventually(async () => (await deliveries(s, id)).every((d) => d.status === 'DELIVERED'), 'five deliveries');
    expect(r.received.map((x) => x.eventId).sort()).toEqual([...events].sort());
    for (const got of r.received) {
      expect(got.path).toBe('/hooks');
      expect(got.headers['content-type']).toBe('application/json');
      expect(got.eventType).toBe('points.earned');
      expect(verifySignature(secret, got.signature, got.body)).toBe(true);
      expect(verifySignature('whsec_wrong', got.signature, got.body)).toBe(false);
      expect(verifySignature(secret, got.signature, got.body + ' ')).toBe(false);
      const body = JSON.parse(got.body);
      expect(Object.keys(body)).toEqual(['id', 'type', 'occurredAt', 'data']);
      expect(body).toMatchObject({ id: got.eventId, type: 'points.earned', data: { member: { id: 'm', externalId: 'x' } } });
      expect(new Date(body.occurredAt).toISOString()).toBe(body.occurredAt);
    }
    expect((await deliveries(s, id)).map((d) => [d.status, d.attempts, d.last_status_code])).toEqual(events.map(() => ['DELIVERED', 1, 204]));
  });

  it('after a rotation, every POST carries two v1 values: the new secret and the old one verify it', async () => {
    const r = await receiver();
    const { id, secret: old } = await onlyEndpoint(s, r.url);
    const { rotateWebhookSecret } = await s.admin(`mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret } }`, { id });
    await emit(s, 2);
    await eventually(() => r.received.length === 2, 'two POSTs');
    for (const got of r.received) {
      expect(parseSignatureHeader(got.signature).v1).toHaveLength(2);
      expect(verifySignature(rotateWebhookSecret.secret, got.signature, got.body)).toBe(true);
      expect(verifySignature(old, got.signature, got.body)).toBe(true);
    }
    // Once the grace period is over, only the new secret signs.
    await s.sql(`update webhook_endpoint set previous_secret_expires_at = now() - interval '1 second' where id = $1`, [id]);
    await emit(s, 1);
    await eventually(() => r.received.length === 3, 'a third POST');
    expect(parseSignatureHeader(r.received[2].signature).v1).toHaveLength(1);
    expect(verifySignature(old, r.received[2].signature, r.received[2].body)).toBe(false);
  });

  it('a ping reaches its endpoint only, whatever it subscribes to', async () => {
    const r = await receiver();
    const { id } = await onlyEndpoint(s, r.url, ['tier.changed']);
    const other = await receiver();
    await s.admin(CREATE, { i: { url: other.url, eventTypes: ['*'] } });
    const { pingWebhookEndpoint: d } = await s.admin(`mutation($id: ID!) { pingWebhookEndpoint(id: $id) { eventId eventType } }`, { id });
    await eventually(() => r.received.length === 1, 'the ping');
    expect(r.received[0]).toMatchObject({ eventId: d.eventId, eventType: 'webhook.ping' });
    expect(JSON.parse(r.received[0].body).data).toEqual({ endpoint: { id } });
    expect(other.received).toEqual([]);
  });

  it('redelivery: one per press on a row while the last is pending or delivered, however fast the receiver answers; after a DEAD one, another', async () => {
    const r = await receiver();
    const { id } = await onlyEndpoint(s, r.url);
    const [event] = await emit(s, 1);
    await eventually(async () => (await deliveries(s, id)).every((d) => d.status === 'DELIVERED'), 'the first delivery');
    const [first] = await deliveries(s, id);
    const REDELIVER = `mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { id eventId } }`;
    const admin = await s.token('admin');
    // Twenty at once, then twenty more after the redelivery has been sent: one new delivery.
    const burst = await Promise.all(Array.from({ length: 20 }, () => s.gql(REDELIVER, { id: first.id }, admin)));
    expect(burst.map((a) => a.errors ?? null)).toEqual(burst.map(() => null));
    const made = new Set(burst.map((a) => a.data!.redeliverWebhook.id));
    expect(made.size).toBe(1);
    const [second] = [...made];
    expect(second).not.toBe(first.id);
    await eventually(async () => (await deliveries(s, id)).every((d) => d.status === 'DELIVERED'), 'the redelivery');
    for (let i = 0; i < 20; i++) expect((await s.admin(REDELIVER, { id: first.id })).redeliverWebhook).toEqual({ id: second, eventId: event });
    expect((await deliveries(s, id)).map((d) => d.id)).toEqual([first.id, second]);
    expect(r.received.map((x) => x.eventId)).toEqual([event, event]);
    // To send once more: redeliver the new row.
    const { redeliverWebhook: third } = await s.admin(REDELIVER, { id: second });
    expect(third.id).not.toBe(second);
    await eventually(() => r.received.length === 3, 'the third send');
    expect((await deliveries(s, id)).map((d) => d.id)).toEqual([first.id, second, third.id]);
    // A redelivery that went DEAD is no answer: asking again for the row it came from sends again.
    await s.sql(`update webhook_delivery set status = 'DEAD' where id = $1`, [third.id]);
    const { redeliverWebhook: fourth } = await s.admin(REDELIVER, { id: second });
    expect([second, third.id]).not.toContain(fourth.id);
    await eventually(() => r.received.length === 4, 'the fourth send');
  });
});

describe('failures', () => {
  it('500s are retried with the same bytes, then delivered; the log shows the attempts', async () => {
    const seen = new Map<string, number>();
    const r = await receiver((x) => {
      const n = (seen.get(x.eventId) ?? 0) + 1;
      seen.set(x.eventId, n);
      return n < 3 ? { status: 500, body: 'try later' } : { status: 200 };
    });
    const { id } = await onlyEndpoint(s, r.url);
    const [event] = await emit(s, 1);
    await eventually(async () => (await deliveries(s, id))[0]?.status === 'DELIVERED', 'the third attempt');
    expect(r.received.map((x) => x.body)).toEqual([r.received[0].body, r.received[0].body, r.received[0].body]);
    expect(r.received.every((x) => x.eventId === event)).toBe(true);
    // Backoff: at least half of each step (equal jitter) between attempts.
    expect(r.received[1].at - r.received[0].at).toBeGreaterThanOrEqual(WEBHOOKS.backoffMs / 2 - 5);
    expect(r.received[2].at - r.received[1].at).toBeGreaterThanOrEqual(WEBHOOKS.backoffMs - 5);
    const { webhookDeliveries } = await s.admin(`query($e: ID) { webhookDeliveries(endpointId: $e) { edges { node { status attempts lastStatusCode deliveredAt nextAttemptAt } } } }`, { e: id });
    expect(webhookDeliveries.edges[0].node).toMatchObject({ status: 'DELIVERED', attempts: 3, lastStatusCode: 200, nextAttemptAt: null });
  });

  it('a receiver that does not answer in time is retried; after WEBHOOK_MAX_ATTEMPTS failures the delivery is DEAD', async () => {
    const r = await receiver(() => 'hang');
    const { id } = await onlyEndpoint(s, r.url);
    await emit(s, 1);
    await eventually(async () => (await deliveries(s, id))[0]?.status === 'DEAD', 'three timed-out attempts');
    const [d] = await deliveries(s, id);
    expect(d).toMatchObject({ attempts: 3, last_status_code: null, last_error: `timed out after ${WEBHOOKS.timeoutMs} ms` });
    expect(r.received).toHaveLength(3);
    const always500 = await receiver(() => ({ status: 503 }));
    const e2 = await onlyEndpoint(s, always500.url);
    await emit(s, 1);
    await eventually(async () => (await deliveries(s, e2.id))[0]?.status === 'DEAD', 'three 503s');
    expect(await deliveries(s, e2.id)).toMatchObject([{ attempts: 3, last_status_code: 503, last_error: 'HTTP 503' }]);
    await new Promise((res) => setTimeout(res, 300));
    expect(always500.received).toHaveLength(3); // nothing after DEAD
    // An admin sends it again: a new delivery, received.
    always500.answer = () => ({ status: 204 });
    await s.admin(`mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { id } }`, { id: (await deliveries(s, e2.id))[0].id });
    await eventually(async () => (await deliveries(s, e2.id)).map((x) => x.status).join() === 'DEAD,DELIVERED', 'the redelivery');
  });

  it('410 Gone deactivates the endpoint; its deliveries wait and go once it is activated again', async () => {
    const r = await receiver(() => ({ status: 410 }));
    const { id } = await onlyEndpoint(s, r.url);
    await emit(s, 1);
    await eventually(async () => (await s.sql('select active from webhook_endpoint where id = $1', [id]))[0].active === false, 'the endpoint deactivated');
    // One attempt, answered 410 (on a loaded machine a first attempt may time out before the
    // receiver, in this process, sends its status: then it is retried and the 410 is the second's).
    // Either way nothing is sent after the 410: the attempts are the requests the receiver saw.
    const [gone] = await deliveries(s, id);
    expect(gone).toMatchObject({ status: 'PENDING', last_status_code: 410 });
    await new Promise((res) => setTimeout(res, 200));
    expect(r.received).toHaveLength(gone.attempts);
    expect(await deliveries(s, id)).toMatchObject([{ status: 'PENDING', attempts: gone.attempts }]);
    expect(await emit(s, 1)).toEqual([null]); // no active endpoint wants it any more
    r.answer = () => ({ status: 204 });
    await s.admin(`mutation($id: ID!) { setWebhookEndpointActive(id: $id, active: true) { active } }`, { id });
    await eventually(async () => (await deliveries(s, id))[0].status === 'DELIVERED', 'the delivery after activation');
    expect(r.received).toHaveLength(2);
  });

  it('redirects are not followed', async () => {
    const r = await receiver((x) => (x.path === '/moved' ? { status: 204 } : { status: 301, headers: { location: '/moved' } }));
    const { id } = await onlyEndpoint(s, `${r.url}/old`);
    await emit(s, 1);
    await eventually(async () => (await deliveries(s, id))[0]?.status === 'DEAD', 'three 301s');
    expect(r.received.map((x) => x.path)).toEqual(['/old', '/old', '/old']);
    expect((await deliveries(s, id))[0]).toMatchObject({ last_status_code: 301, last_error: 'HTTP 301: redirect not followed (to /moved)' });
  });

  it('a large answer is read up to 64 KB, not waited for beyond', async () => {
    const r = await receiver(() => ({ status: 500, body: 'x'.repeat(1024 * 1024) }));
    const { id } = await onlyEndpoint(s, r.url);
    await emit(s, 1);
    await eventually(async () => (await deliveries(s, id))[0]?.status === 'DEAD', 'three 500s');
    expect((await deliveries(s, id))[0].last_error).toMatch(/^HTTP 500: x{100}/);
  });

  it('a slow endpoint holds WEBHOOK_CONCURRENCY places at most, and never delays another endpoint', async () => {
    const slow = await receiver(() => 'hang');
    const fast = await receiver();
    const { id: slowId } = await onlyEndpoint(s, slow.url);
    await s.admin(CREATE, { i: { url: fast.url, eventTypes: ['*'] } });
    const events = await emit(s, 40);
    await eventually(() => fast.received.length === 40, 'every event at the healthy endpoint');
    // The slow one has not even tried all of them once: 40 first attempts take 10 rounds of its time limit.
    const [{ untried }] = await s.sql(`select count(*)::int as untried from webhook_delivery where endpoint_id = $1 and attempts = 0`, [slowId]);
    expect(untried).toBeGreaterThan(0);
    await eventually(() => slow.received.length >= 3 * WEBHOOKS.concurrency, 'three rounds at the slow endpoint (each place freed at the time limit, then taken again)');
    // Counted at the receiver from each request's arrival to its connection's close (the worker's abort at its time limit).
    expect(slow.mostOpen).toBe(WEBHOOKS.concurrency);
    expect(new Set(fast.received.map((x) => x.eventId))).toEqual(new Set(events));
    await s.sql('update webhook_endpoint set active = false where id = $1', [slowId]);
  });
});

describe('production', () => {
  it('refuses http:// and loopback, private and link-local addresses, at creation and, after DNS, at every attempt', async () => {
    const p = await startTestServer({ production: true, webhooks: { ...loadConfig({}).webhooks, ...WEBHOOKS, allowInsecure: false } });
    try {
      const admin = await p.token('admin');
      for (const url of ['http://hooks.example.com/', 'https://127.0.0.1/', 'https://localhost/', 'https://[::1]/', 'https://10.0.0.1/', 'https://169.254.169.254/', 'https://[fe80::1]/']) {
        expectError(await p.gql(CREATE, { i: { url, eventTypes: ['*'] } }, admin), 'BAD_USER_INPUT', 'url');
      }
      // Endpoints already stored (or a name that now resolves to a private address): refused when sending.
      const r = await receiver();
      const port = new URL(r.url).port;
      const stored = await p.sql<{ id: string }>(`insert into webhook_endpoint (id, url, event_types, active, secret, created_at, updated_at)
        values (gen_random_uuid(), $1, '{*}', true, 'whsec_x', now(), now()), (gen_random_uuid(), $2, '{*}', true, 'whsec_y', now(), now()) returning id`,
      [`https://localhost:${port}/`, r.url]);
      await emit(p, 1);
      await eventually(async () => (await p.sql(`select count(*)::int as n from webhook_delivery where endpoint_id = any($1) and status = 'DEAD'`, [stored.map((x) => x.id)]))[0].n === 2, 'both refused three times');
      const errors = (await p.sql(`select last_error from webhook_delivery where endpoint_id = any($1) order by last_error`, [stored.map((x) => x.id)])).map((x) => x.last_error);
      expect(errors).toEqual([
        expect.stringMatching(/^refused: address (127\.0\.0\.1|::1) is loopback/),
        'refused: http:// (set WEBHOOK_ALLOW_INSECURE=1 to allow it)',
      ]);
      expect(r.received).toEqual([]);
    } finally {
      await p.stop();
    }
  });
});

describe('two instances on one database', () => {
  it('share the work and never send the same attempt twice: every event exactly once', async () => {
    // Two instances of their own, whose claims are leased for two minutes past the time limit
    // (5 s in production): exactly once is the promise while no lease ends, and on a loaded
    // machine a stall of seconds between an attempt's answer and its record ended leases under
    // attempts already sent (300 events, 308 sent, once), which the other instance then sent again.
    const leased = { ...WEBHOOKS, leaseMarginMs: 120_000 };
    const one = await startTestServer({ webhooks: leased });
    const other = await startTestServer({ databaseUrl: one.databaseUrl, webhooks: leased });
    try {
      const r = await receiver(() => ({ status: 204 }));
      const { id } = await onlyEndpoint(other, r.url);
      const before = other.app.webhooks.attemptsMade;
      const events = [...(await emit(other, 150)), ...(await emit(other, 150))];
      await eventually(async () => (await other.sql(`select count(*)::int as n from webhook_delivery where endpoint_id = $1 and status = 'DELIVERED'`, [id]))[0].n === 300, 'all 300 delivered', 60_000);
      expect(r.received).toHaveLength(300);
      expect([...r.byEvent().values()].every((list) => list.length === 1)).toBe(true);
      expect(new Set(r.byEvent().keys())).toEqual(new Set(events));
      expect(other.app.webhooks.attemptsMade - before).toBeGreaterThan(0);
      expect(other.app.webhooks.attemptsMade - before).toBeLessThan(300);
    } finally {
      await other.stop();
      await one.stop();
    }
  });
});

describe('the endpoints an event goes to are those subscribed at its instant, not at its fan-out', () => {
  beforeAll(() => createLadder(s));
  // A change's transaction left open while the endpoints change and commit: its event is fanned out after them.
  // `writeLast`: the change's write itself comes after the endpoints changed (its transaction began before).
  async function withOpenChange(change: (memberId: string) => Promise<void>, writeLast = false): Promise<string> {
    const memberId = await registerMember(s, { externalId: `fanout-${Date.now()}`, displayName: 'Before' });
    const inFlight = new Client({ connectionString: s.databaseUrl });
    await inFlight.connect();
    try {
      await inFlight.query('begin');
      await inFlight.query('select now()');
      // member.updated, captured in this transaction (a row of webhook_fanout with it).
      const write = () => inFlight.query(`update member set display_name = 'After' where id = $1`, [memberId]);
      if (!writeLast) await write();
      await change(memberId);
      if (writeLast) await write();
      await inFlight.query('commit');
    } finally {
      await inFlight.end();
    }
    return memberId;
  }
  const updatedEvents = (endpointId: string, memberId: string) => s.sql<{ status: string }>(
    `select d.status from webhook_delivery d join webhook_event e on e.id = d.event_id
     where d.endpoint_id = $1 and e.type = 'member.updated' and e.member_id = $2`, [endpointId, memberId]);

  it('an endpoint deactivated after the event, before its fan-out, still gets it once active again', async () => {
    const r = await receiver();
    const { id } = await onlyEndpoint(s, `${r.url}/off-after`);
    const memberId = await withOpenChange(async () => {
      await s.admin(`mutation($id: ID!) { setWebhookEndpointActive(id: $id, active: false) { active } }`, { id });
    });
    await eventually(async () => (await s.sql('select 1 from webhook_fanout')).length === 0, 'the fan-out');
    expect(await updatedEvents(id, memberId)).toEqual([{ status: 'PENDING' }]);
    await s.admin(`mutation($id: ID!) { setWebhookEndpointActive(id: $id, active: true) { active } }`, { id });
    await eventually(async () => (await updatedEvents(id, memberId))[0]?.status === 'DELIVERED', 'the delivery after activation');
  });

  it('the same when the endpoint was deactivated before the write itself, in a transaction begun while it was subscribed (the only one that wanted the type)', async () => {
    const r = await receiver();
    const { id } = await onlyEndpoint(s, `${r.url}/off-before-write`, ['member.updated']);
    const memberId = await withOpenChange(async () => {
      await s.admin(`mutation($id: ID!) { setWebhookEndpointActive(id: $id, active: false) { active } }`, { id });
    }, true);
    await eventually(async () => (await s.sql('select 1 from webhook_fanout')).length === 0, 'the fan-out');
    expect(await updatedEvents(id, memberId)).toEqual([{ status: 'PENDING' }]);
    await s.admin(`mutation($id: ID!) { setWebhookEndpointActive(id: $id, active: true) { active } }`, { id });
    await eventually(async () => (await updatedEvents(id, memberId))[0]?.status === 'DELIVERED', 'the delivery after activation');
  });

  it('an endpoint created, or subscribed to the type, after the event does not get it', async () => {
    const r = await receiver();
    const { id } = await onlyEndpoint(s, `${r.url}/before`);
    const { createWebhookEndpoint: other } = await s.admin(CREATE, { i: { url: `${r.url}/other-type`, eventTypes: ['points.earned'] } });
    const later: string[] = [];
    const memberId = await withOpenChange(async () => {
      const { createWebhookEndpoint: c } = await s.admin(CREATE, { i: { url: `${r.url}/created-after`, eventTypes: ['*'] } });
      later.push(c.endpoint.id);
      await s.admin(`mutation($id: ID!, $i: WebhookEndpointInput!) { updateWebhookEndpoint(id: $id, input: $i) { id } }`,
        { id: other.endpoint.id, i: { url: `${r.url}/other-type`, eventTypes: ['*'] } });
    });
    await eventually(async () => (await updatedEvents(id, memberId))[0]?.status === 'DELIVERED', 'the delivery to the endpoint subscribed before');
    expect(await updatedEvents(later[0], memberId)).toEqual([]);
    expect(await updatedEvents(other.endpoint.id, memberId)).toEqual([]);
  });

  it('keeps about one period per endpoint: empty ones and those long closed are dropped', async () => {
    const r = await receiver();
    const { id } = await onlyEndpoint(s, `${r.url}/flapping`);
    for (let i = 0; i < 6; i++) await s.admin(`mutation($id: ID!, $a: Boolean!) { setWebhookEndpointActive(id: $id, active: $a) { active } }`, { id, a: i % 2 === 1 });
    await s.sql(`update webhook_endpoint_period set during = tstzrange(lower(during) - interval '3 days', upper(during) - interval '3 days') where endpoint_id = $1 and not upper_inf(during)`, [id]);
    await s.sql('update webhook_endpoint set active = false where id = $1', [id]);
    // Two changes in one transaction leave no empty period behind.
    await s.sql(`do $$ begin update webhook_endpoint set active = true where id = '${id}'; update webhook_endpoint set event_types = '{points.earned}' where id = '${id}'; end $$`);
    const periods = await s.sql<{ types: string[]; open: boolean }>(
      'select event_types as types, upper_inf(during) as open from webhook_endpoint_period where endpoint_id = $1 order by lower(during)', [id]);
    expect(periods.filter((p) => !p.open).length).toBeLessThanOrEqual(1);
    expect(periods.filter((p) => p.open)).toEqual([{ types: ['points.earned'], open: true }]);
  });
});

describe('an endpoint deactivated while attempts wait in line for it', () => {
  it('gets nothing more once the worker has looked (they are given back, PENDING, and go when it is active again)', async () => {
    // A server of its own: a slow receiver (1 s an answer, within a 3 s limit), two at a time, so a claim's other attempts wait in line.
    const w = await startTestServer({ webhooks: { ...WEBHOOKS, timeoutMs: 3000, concurrency: 2 } });
    try {
      const r = await receiver(() => ({ status: 204, delayMs: 1000 }));
      const { id } = await onlyEndpoint(w, `${r.url}/slow`);
      await emit(w, 12);
      await eventually(() => r.received.length > 0, 'the first attempts');
      // Deactivated through the API (on any instance): the attempts already sent finish; none starts after.
      await w.admin(`mutation($id: ID!) { setWebhookEndpointActive(id: $id, active: false) { active } }`, { id });
      const off = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 3500));
      expect(r.received.filter((x) => x.at > off + 200).length).toBe(0);
      const pending = (await deliveries(w, id)).filter((d) => d.status === 'PENDING').length;
      expect(pending).toBeGreaterThan(0);
      // Active again: what waited goes.
      await w.admin(`mutation($id: ID!) { setWebhookEndpointActive(id: $id, active: true) { active } }`, { id });
      await eventually(async () => (await deliveries(w, id)).every((d) => d.status === 'DELIVERED'), 'every delivery', 60_000);
      expect([...r.byEvent().keys()].length).toBe(12);
    } finally {
      await w.stop();
    }
  }, 120_000);
});

describe('while the API needs the CPU', () => {
  it('an instance makes at most WEBHOOK_BUSY_RATE attempts a second, and goes at full speed again once it does not', async () => {
    // A server of its own whose "busy" the test says (left out, the CPU's idle time and the database's foreground work say it).
    let busy = true;
    const w = await startTestServer({ webhooks: { ...WEBHOOKS, busyRate: 5, busy: () => busy } });
    try {
      const r = await receiver();
      await onlyEndpoint(w, `${r.url}/held`);
      const start = Date.now();
      await emit(w, 40);
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const held = r.received.length;
      const claimed = w.app.webhooks.heldBack.attempts;
      const seconds = (Date.now() - start) / 1000;
      // 5 a second, and one saved up before (a tenth of a second's worth, one at least): never more; and never none.
      expect(claimed).toBeLessThanOrEqual(Math.ceil(5 * seconds) + 1);
      expect(held).toBeGreaterThan(0);
      expect(held).toBeLessThanOrEqual(claimed);
      busy = false;
      await eventually(() => r.byEvent().size === 40, 'every event, at full speed', 10_000);
    } finally {
      await w.stop();
    }
  }, 60_000);

  it('is held back no further once a captured event has waited heldAtMostMs for its deliveries (60 s when left out)', async () => {
    // Busy all along, 1 attempt a second: 20 events would take 20 s held; past 1.5 s of waiting they go at full speed.
    const w = await startTestServer({ webhooks: { ...WEBHOOKS, busyRate: 1, heldAtMostMs: 1500, busy: () => true } });
    try {
      const r = await receiver();
      await createLadder(w);
      const memberId = await registerMember(w, { externalId: 'held-1' });
      await onlyEndpoint(w, `${r.url}/aged`);
      const start = Date.now();
      for (let i = 0; i < 20; i++) {
        await w.admin('mutation($i: AdjustPointsInput!) { adjustPoints(input: $i) { id } }', { i: { memberId, amount: 1, reason: 'held', idempotencyKey: `held-${i}` } });
      }
      await eventually(() => r.received.filter((x) => x.eventType === 'points.adjusted').length === 20, 'the 20 adjustments', 15_000);
      expect(Date.now() - start).toBeLessThan(15_000);
      expect(w.app.webhooks.heldBack.attempts).toBeGreaterThan(0);
      expect(w.app.webhooks.heldBack.attempts).toBeLessThan(20);
    } finally {
      await w.stop();
    }
  }, 60_000);
});
