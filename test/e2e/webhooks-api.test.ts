import { inTransaction } from '../../src/db/transaction';
import { emitWebhookEvent, WEBHOOK_EVENT_TYPES } from '../../src/modules/webhooks/webhooks.service';
import { expectError, startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';

// The webhook admin API (contract part integrations): endpoints, the delivery log, ping and
// redelivery. Delivery is off the point here: endpoints point at a port nobody listens on, and
// the tests look at the rows and the log.
let s: TestServer;
beforeAll(async () => { s = await startTestServer(); });
afterAll(() => s?.stop());

const ENDPOINT = 'id url eventTypes active secretHint createdAt';
const DELIVERY = 'id endpointId eventId eventType status attempts lastStatusCode lastError nextAttemptAt createdAt deliveredAt';
const CREATE = `mutation($i: WebhookEndpointInput!) { createWebhookEndpoint(input: $i) { secret endpoint { ${ENDPOINT} } } }`;
const DELIVERIES = `query($e: ID, $s: WebhookDeliveryStatus, $f: Int, $a: String) { webhookDeliveries(endpointId: $e, status: $s, first: $f, after: $a) {
  edges { cursor node { ${DELIVERY} } } pageInfo { hasNextPage endCursor } } }`;
const NOWHERE = 'http://127.0.0.1:9/hooks';

async function create(input: Record<string, unknown>) {
  return (await s.admin(CREATE, { i: input })).createWebhookEndpoint as { secret: string; endpoint: { id: string; secretHint: string; eventTypes: string[]; active: boolean } };
}

async function emit(type: (typeof WEBHOOK_EVENT_TYPES)[number], data: Record<string, unknown> = {}): Promise<string | null> {
  return inTransaction(s.app.orm.em.fork(), (tx) => emitWebhookEvent(tx, type, null, data));
}

describe('endpoints', () => {
  it('lists the event types; creates an endpoint with a secret shown once (its hint its last 4 characters); audits it without the secret', async () => {
    const { webhookEventTypes } = await s.admin('{ webhookEventTypes }');
    expect(webhookEventTypes).toEqual([...WEBHOOK_EVENT_TYPES]);
    const created = await create({ url: NOWHERE, eventTypes: ['tier.changed', 'points.earned', 'tier.changed'] });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(created.endpoint).toMatchObject({ url: NOWHERE, eventTypes: ['tier.changed', 'points.earned'], active: true, secretHint: created.secret.slice(-4) });
    const { webhookEndpoints } = await s.admin(`{ webhookEndpoints { ${ENDPOINT} } }`);
    expect(webhookEndpoints).toContainEqual(created.endpoint);
    expect(JSON.stringify(webhookEndpoints)).not.toContain(created.secret);
    const audit = await s.sql(`select action, actor, after from audit_entry where entity = 'WebhookEndpoint' and entity_id = $1`, [created.endpoint.id]);
    expect(audit).toEqual([{ action: 'webhook.create', actor: 'admin:admin-tester', after: { url: NOWHERE, eventTypes: ['tier.changed', 'points.earned'], active: true } }]);
  });

  it('refuses a bad URL or an unknown event type with BAD_USER_INPUT on its field, changing nothing', async () => {
    const [{ n: before }] = await s.sql('select count(*)::int as n from webhook_endpoint');
    for (const [input, field] of [
      [{ url: 'ftp://example.com/', eventTypes: ['*'] }, 'url'],
      [{ url: 'not a url', eventTypes: ['*'] }, 'url'],
      [{ url: 'https://u:p@example.com/', eventTypes: ['*'] }, 'url'],
      [{ url: 'https://example.com/', eventTypes: ['tier.changed', 'tier.exploded'] }, 'eventTypes'],
      [{ url: 'https://example.com/', eventTypes: [] }, 'eventTypes'],
    ] as const) {
      expectError(await s.gql(CREATE, { i: input }, await s.token('admin')), 'BAD_USER_INPUT', field);
    }
    expect(await s.sql('select count(*)::int as n from webhook_endpoint')).toEqual([{ n: before }]);
  });

  it('is for admins only', async () => {
    const service = await s.token('service');
    expectError(await s.gql('{ webhookEndpoints { id } }', {}, service), 'FORBIDDEN');
    expectError(await s.gql(CREATE, { i: { url: NOWHERE, eventTypes: ['*'] } }, service), 'FORBIDDEN');
    expectError(await s.gql('{ webhookEventTypes }', {}, null), 'UNAUTHENTICATED');
  });

  it('updates, (de)activates, rotates (both secrets kept 24 h) and deletes; unknown ids are NOT_FOUND', async () => {
    const { endpoint, secret } = await create({ url: NOWHERE, eventTypes: ['*'] });
    const updated = await s.admin(`mutation($id: ID!, $i: WebhookEndpointInput!) { updateWebhookEndpoint(id: $id, input: $i) { ${ENDPOINT} } }`,
      { id: endpoint.id, i: { url: `${NOWHERE}/v2`, eventTypes: ['member.registered'], active: false } });
    expect(updated.updateWebhookEndpoint).toMatchObject({ url: `${NOWHERE}/v2`, eventTypes: ['member.registered'], active: false });
    const on = await s.admin(`mutation($id: ID!) { setWebhookEndpointActive(id: $id, active: true) { active } }`, { id: endpoint.id });
    expect(on.setWebhookEndpointActive.active).toBe(true);
    const rotated = (await s.admin(`mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret endpoint { secretHint } } }`, { id: endpoint.id })).rotateWebhookSecret;
    expect(rotated.secret).not.toBe(secret);
    expect(rotated.endpoint.secretHint).toBe(rotated.secret.slice(-4));
    const [row] = await s.sql(`select secret, previous_secret, extract(epoch from previous_secret_expires_at - now())::int as left from webhook_endpoint where id = $1`, [endpoint.id]);
    expect(row).toMatchObject({ secret: rotated.secret, previous_secret: secret });
    expect(row.left).toBeGreaterThan(24 * 3600 - 60);
    const actions = await s.sql(`select action, before, after from audit_entry where entity_id = $1 order by id`, [endpoint.id]);
    expect(actions.map((a) => a.action)).toEqual(['webhook.create', 'webhook.update', 'webhook.activate', 'webhook.rotate']);
    expect(JSON.stringify(actions)).not.toContain(secret.slice(0, 20));
    expect((await s.admin(`mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }`, { id: endpoint.id })).deleteWebhookEndpoint).toBe(true);
    expect((await s.admin(`mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }`, { id: endpoint.id })).deleteWebhookEndpoint).toBe(false);
    const admin = await s.token('admin');
    for (const [id, code] of [[endpoint.id, 'NOT_FOUND'], ['not-a-uuid', 'BAD_USER_INPUT']]) {
      expectError(await s.gql(`mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret } }`, { id }, admin), code);
      expectError(await s.gql(`mutation($id: ID!) { pingWebhookEndpoint(id: $id) { id } }`, { id }, admin), code);
    }
  });

  it('an update that changes nothing writes nothing: a save pressed twice, a retry, twenty at once (one webhook.update per change)', async () => {
    const { endpoint } = await create({ url: NOWHERE, eventTypes: ['tier.changed', 'points.earned'], active: false });
    const UPDATE = `mutation($id: ID!, $i: WebhookEndpointInput!) { updateWebhookEndpoint(id: $id, input: $i) { ${ENDPOINT} } }`;
    const change = { url: `${NOWHERE}/v3`, eventTypes: ['member.registered', 'tier.changed'], active: false };
    const first = (await s.admin(UPDATE, { id: endpoint.id, i: change })).updateWebhookEndpoint;
    const [{ updated_at: at }] = await s.sql('select updated_at from webhook_endpoint where id = $1', [endpoint.id]);
    const again = await Promise.all(Array.from({ length: 20 }, async () => (await s.admin(UPDATE, { id: endpoint.id, i: change })).updateWebhookEndpoint));
    expect(again).toEqual(Array.from({ length: 20 }, () => first));
    // the same set of event types in another order is no change either
    const reordered = (await s.admin(UPDATE, { id: endpoint.id, i: { ...change, eventTypes: ['tier.changed', 'member.registered'] } })).updateWebhookEndpoint;
    expect(reordered).toEqual(first);
    expect(await s.sql('select updated_at from webhook_endpoint where id = $1', [endpoint.id])).toEqual([{ updated_at: at }]);
    const actions = await s.sql('select action from audit_entry where entity_id = $1 order by id', [endpoint.id]);
    expect(actions.map((a) => a.action)).toEqual(['webhook.create', 'webhook.update']);
  });

  it('rotations fired at once take turns: the last secret is current, the one before it is the previous one', async () => {
    const { endpoint } = await create({ url: NOWHERE, eventTypes: ['*'], active: false });
    const secrets = await Promise.all(Array.from({ length: 8 }, async () =>
      (await s.admin(`mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret } }`, { id: endpoint.id })).rotateWebhookSecret.secret as string));
    const [row] = await s.sql('select secret, previous_secret from webhook_endpoint where id = $1', [endpoint.id]);
    expect(secrets).toContain(row.secret);
    expect(secrets).toContain(row.previous_secret);
    expect(await s.sql(`select count(*)::int as n from audit_entry where entity_id = $1 and action = 'webhook.rotate'`, [endpoint.id])).toEqual([{ n: 8 }]);
  });

  it('an idempotency key makes a retried create the same endpoint and secret (twenty at once: one), and another payload under it a CONFLICT', async () => {
    const CREATE_KEYED = `mutation($i: WebhookEndpointInput!, $k: String) { createWebhookEndpoint(input: $i, idempotencyKey: $k) { secret endpoint { ${ENDPOINT} } } }`;
    const input = { url: `${NOWHERE}/keyed`, eventTypes: ['tier.changed', 'points.earned'], active: false };
    const made = await Promise.all(Array.from({ length: 20 }, async () => (await s.admin(CREATE_KEYED, { i: input, k: 'crm-setup-1' })).createWebhookEndpoint));
    expect(new Set(made.map((m) => m.endpoint.id)).size).toBe(1);
    expect(new Set(made.map((m) => m.secret)).size).toBe(1);
    expect(await s.sql('select count(*)::int as n from webhook_endpoint where url = $1', [input.url])).toEqual([{ n: 1 }]);
    expect(await s.sql(`select count(*)::int as n from audit_entry where entity_id = $1 and action = 'webhook.create'`, [made[0].endpoint.id])).toEqual([{ n: 1 }]);
    // The same set of event types in another order is the same payload.
    const again = (await s.admin(CREATE_KEYED, { i: { ...input, eventTypes: ['points.earned', 'tier.changed'] }, k: 'crm-setup-1' })).createWebhookEndpoint;
    expect(again).toEqual(made[0]);
    const admin = await s.token('admin');
    const other = await s.gql(CREATE_KEYED, { i: { ...input, url: `${NOWHERE}/other` }, k: 'crm-setup-1' }, admin);
    expectError(other, 'CONFLICT');
    expect((other.errors![0] as { extensions: { field?: string } }).extensions.field).toBe('idempotencyKey');
    expectError(await s.gql(CREATE_KEYED, { i: input, k: 'k'.repeat(201) }, admin), 'BAD_USER_INPUT');
    expectError(await s.gql(CREATE_KEYED, { i: input, k: '' }, admin), 'BAD_USER_INPUT');
    expectError(await s.gql(CREATE_KEYED, { i: input, k: '   ' }, admin), 'BAD_USER_INPUT', 'idempotencyKey');
    // Without a key, each call is a new endpoint (the contract's form); a new key, too.
    const fresh = (await s.admin(CREATE_KEYED, { i: input, k: 'crm-setup-2' })).createWebhookEndpoint;
    expect(fresh.endpoint.id).not.toBe(made[0].endpoint.id);
  });

  it("a rotation's idempotency key makes a retry that rotation's secret, rotating nothing: the secret before it stays in its grace", async () => {
    const ROTATE = `mutation($id: ID!, $k: String) { rotateWebhookSecret(id: $id, idempotencyKey: $k) { secret endpoint { secretHint } } }`;
    const { endpoint, secret: original } = await create({ url: NOWHERE, eventTypes: ['*'], active: false });
    const first = (await s.admin(ROTATE, { id: endpoint.id, k: 'rotate-1' })).rotateWebhookSecret;
    const retries = await Promise.all(Array.from({ length: 10 }, async () => (await s.admin(ROTATE, { id: endpoint.id, k: 'rotate-1' })).rotateWebhookSecret));
    expect(retries).toEqual(Array.from({ length: 10 }, () => first));
    expect(await s.sql('select secret, previous_secret from webhook_endpoint where id = $1', [endpoint.id])).toEqual([{ secret: first.secret, previous_secret: original }]);
    expect(await s.sql(`select count(*)::int as n from audit_entry where entity_id = $1 and action = 'webhook.rotate'`, [endpoint.id])).toEqual([{ n: 1 }]);
    expectError(await s.gql(ROTATE, { id: endpoint.id, k: ' \t ' }, await s.token('admin')), 'BAD_USER_INPUT', 'idempotencyKey');
    // Another key rotates again.
    const second = (await s.admin(ROTATE, { id: endpoint.id, k: 'rotate-2' })).rotateWebhookSecret;
    expect(second.secret).not.toBe(first.secret);
    expect(await s.sql('select secret, previous_secret from webhook_endpoint where id = $1', [endpoint.id])).toEqual([{ secret: second.secret, previous_secret: first.secret }]);
  });
});

describe('deliveries', () => {
  it('an event makes one delivery per active endpoint that wants it; ping goes to one endpoint only', async () => {
    await s.sql('update webhook_endpoint set active = false');
    const wantsTiers = (await create({ url: NOWHERE, eventTypes: ['tier.changed'] })).endpoint;
    const wantsAll = (await create({ url: NOWHERE, eventTypes: ['*'] })).endpoint;
    const off = (await create({ url: NOWHERE, eventTypes: ['*'], active: false })).endpoint;
    const eventId = await emit('tier.changed', { kind: 'UPGRADE' });
    const rows = await s.sql('select endpoint_id from webhook_delivery where event_id = $1 order by endpoint_id', [eventId]);
    expect(rows.map((r) => r.endpoint_id).sort()).toEqual([wantsTiers.id, wantsAll.id].sort());
    expect(await emit('member.registered')).not.toBeNull();
    expect(await s.sql('select count(*)::int as n from webhook_delivery where endpoint_id = $1', [wantsTiers.id])).toEqual([{ n: 1 }]);

    const ping = (await s.admin(`mutation($id: ID!) { pingWebhookEndpoint(id: $id) { ${DELIVERY} } }`, { id: wantsTiers.id })).pingWebhookEndpoint;
    expect(ping).toMatchObject({ endpointId: wantsTiers.id, eventType: 'webhook.ping', status: 'PENDING' });
    expect(await s.sql('select count(*)::int as n from webhook_delivery where event_id = $1', [ping.eventId])).toEqual([{ n: 1 }]);
    expectError(await s.gql(`mutation($id: ID!) { pingWebhookEndpoint(id: $id) { id } }`, { id: off.id }, await s.token('admin')), 'BAD_USER_INPUT');
  });

  it("a captured event's deliveries are in the log as soon as its write has committed, before a worker fans it out", async () => {
    // A server of its own whose worker is stopped: only the log's read fans the events out.
    const w = await startTestServer();
    try {
      await w.app.webhooks.stop();
      await createLadder(w);
      const hook = (await w.admin(CREATE, { i: { url: NOWHERE, eventTypes: ['member.registered'] } })).createWebhookEndpoint.endpoint;
      const memberId = await registerMember(w, { externalId: 'log-at-once' });
      expect(await w.sql('select count(*)::int as n from webhook_fanout')).toEqual([{ n: 1 }]);
      const log = (await w.admin(DELIVERIES, { e: hook.id })).webhookDeliveries;
      expect(log.edges.map((e: { node: { eventType: string; status: string } }) => [e.node.eventType, e.node.status])).toEqual([['member.registered', 'PENDING']]);
      const [event] = await w.sql('select id::text from webhook_event where member_id = $1', [memberId]);
      expect(log.edges[0].node.eventId).toBe(event.id);
      expect(await w.sql('select count(*)::int as n from webhook_fanout')).toEqual([{ n: 0 }]);
      // Read again: nothing more (each event fanned out once).
      expect((await w.admin(DELIVERIES, { e: hook.id })).webhookDeliveries.edges).toHaveLength(1);
    } finally {
      await w.stop();
    }
  });

  it('the log pages newest first by the bigint id, across a power of ten; filters by endpoint and status', async () => {
    const { endpoint } = await create({ url: NOWHERE, eventTypes: ['points.earned'], active: false });
    const eventId = await emit('points.earned');
    const ev = eventId ?? (await s.sql(`select id from webhook_event order by seq desc limit 1`))[0].id;
    // Ids 95..104 and 999,999,995..1,000,000,004: text order would put 1000000000 before 999999999.
    await s.sql(`insert into webhook_delivery (id, endpoint_id, event_id, status) select g, $1, $2, case when g % 2 = 0 then 'DEAD' else 'DELIVERED' end
      from (select generate_series(95, 104) g union all select generate_series(999999995, 1000000004)) x`, [endpoint.id, ev]);
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: any = (await s.admin(DELIVERIES, { e: endpoint.id, f: 3, a: after })).webhookDeliveries;
      seen.push(...page.edges.map((e: any) => e.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    const expected = [...Array.from({ length: 10 }, (_, i) => 1000000004 - i), ...Array.from({ length: 10 }, (_, i) => 104 - i)].map(String);
    expect(seen).toEqual(expected);
    const dead = (await s.admin(DELIVERIES, { e: endpoint.id, s: 'DEAD', f: 100 })).webhookDeliveries;
    expect(dead.edges.map((e: any) => e.node.id)).toEqual(expected.filter((id) => Number(id) % 2 === 0));
    expectError(await s.gql(DELIVERIES, { a: 'garbage' }, await s.token('admin')), 'BAD_USER_INPUT', 'after');
    expectError(await s.gql(DELIVERIES, { f: 101 }, await s.token('admin')), 'BAD_USER_INPUT', 'first');
  });

  it('redeliver: a new PENDING delivery of the same event; twenty at once make one', async () => {
    const { endpoint } = await create({ url: NOWHERE, eventTypes: ['redemption.used'], active: false });
    const ev = (await s.sql(`insert into webhook_event (type, occurred_at, data) values ('redemption.used', now(), '{}') returning id`))[0].id;
    const [{ id: dead }] = await s.sql(`insert into webhook_delivery (endpoint_id, event_id, status, attempts, next_attempt_at) values ($1, $2, 'DEAD', 15, null) returning id::text`, [endpoint.id, ev]);
    const REDELIVER = `mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { ${DELIVERY} } }`;
    expectError(await s.gql(REDELIVER, { id: dead }, await s.token('admin')), 'BAD_USER_INPUT', 'deliveryId'); // inactive endpoint: the argument redeliverWebhook has
    await s.sql('update webhook_endpoint set active = true, url = $2 where id = $1', [endpoint.id, 'http://127.0.0.1:9/x']);
    const admin = await s.token('admin');
    const answers = await Promise.all(Array.from({ length: 20 }, () => s.gql(REDELIVER, { id: dead }, admin)));
    expect(answers.map((a) => a.errors ?? null)).toEqual(answers.map(() => null));
    const ids = new Set(answers.map((a) => a.data!.redeliverWebhook.id));
    expect(ids.size).toBe(1);
    const [again] = answers.map((a) => a.data!.redeliverWebhook);
    expect(again).toMatchObject({ eventId: ev, endpointId: endpoint.id, eventType: 'redemption.used' });
    expect(again.id).not.toBe(dead);
    expect(await s.sql('select count(*)::int as n from webhook_delivery where event_id = $1', [ev])).toEqual([{ n: 2 }]);
    expectError(await s.gql(REDELIVER, { id: '123456789' }, admin), 'NOT_FOUND');
    expectError(await s.gql(REDELIVER, { id: 'x' }, admin), 'BAD_USER_INPUT');
  });
});
