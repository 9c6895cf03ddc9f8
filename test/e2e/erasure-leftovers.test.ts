import { loadConfig } from '../../src/config/env';
import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';
import { gqlData, rowsMentioning as rowsMentioningIn } from '../support/erasure';
import { startReceiver, type Receiver } from '../support/webhook-receiver';
import { eventually } from '../support/wait';

/**
 * What an erasure leaves behind, found by dumping the database after one (docs/decisions.md,
 * "Member data rights"): a receiver's error answer that echoed the member's payload, kept in its
 * delivery's last_error; and the profile values an import replaced, which no audit entry kept,
 * so the erasure did not know to scrub them from an adjustment's reason.
 */

let s: TestServer;
let admin: string;
let receiver: Receiver;

const ERASE = 'mutation($id: ID!, $reason: String!) { eraseMember(memberId: $id, reason: $reason) { id erasedAt } }';
const ADJUST = 'mutation($i: AdjustPointsInput!) { adjustPoints(input: $i) { id } }';

/** What an erasure keeps on purpose: the member.erased event and its deliveries (its former externalId). */
const keptOnPurpose = (_t: string, row: string) => row.includes('member.erased');
const rowsMentioning = (value: string) => rowsMentioningIn(s, value, keptOnPurpose);

beforeAll(async () => {
  s = await startTestServer({ webhooks: { ...loadConfig({ NODE_ENV: 'test' }).webhooks, timeoutMs: 2000, backoffMs: 600_000, maxAttempts: 3, allowInsecure: true } });
  admin = await s.token('admin');
  await createLadder(s);
  // A receiver whose error page quotes the request, as many frameworks' do.
  receiver = await startReceiver((r) => ({ status: 500, body: `rejected: ${r.body}` }));
});
afterAll(async () => {
  await s?.stop();
  await receiver?.close();
});

describe('erasure: what it leaves behind', () => {
  it('drops the receiver\'s answer (which echoed the payload) from the deliveries of the member\'s events', async () => {
    const { createWebhookEndpoint: c } = await s.admin<any>(
      'mutation($i: WebhookEndpointInput!) { createWebhookEndpoint(input: $i) { endpoint { id } } }', { i: { url: receiver.url, eventTypes: ['*'] } });
    const id = await registerMember(s, { externalId: 'crm-echo-4411', displayName: 'Ilse Echoberg', email: 'ilse.echoberg@example.com' });
    await gqlData(s.gql(ADJUST, { i: { memberId: id, amount: 40, reason: 'goodwill for Ilse Echoberg (ilse.echoberg@example.com)', idempotencyKey: 'echo-1' } }, admin));
    await eventually(async () => {
      const rows = await s.sql<{ n: number }>(`select count(*)::int as n from webhook_delivery d join webhook_event e on e.id = d.event_id
        where d.endpoint_id = $1 and e.member_id = $2 and d.last_error like '%Ilse Echoberg%'`, [c.endpoint.id, id]);
      return rows[0].n >= 1;
    }, 'a failed delivery whose error quotes the payload');
    await gqlData(s.gql(ERASE, { id, reason: 'GDPR' }, admin));
    for (const v of ['crm-echo-4411', 'Ilse Echoberg', 'ilse.echoberg@example.com']) expect(await rowsMentioning(v)).toEqual([]);
    const errors = await s.sql<{ last_error: string }>(`select d.last_error from webhook_delivery d join webhook_event e on e.id = d.event_id
      where e.member_id = $1 and e.type <> 'member.erased' and d.last_error is not null`, [id]);
    expect(errors.length).toBeGreaterThan(0);
    expect(new Set(errors.map((e) => e.last_error))).toEqual(new Set(['HTTP 500: [erased]']));
    await s.sql('update webhook_endpoint set active = false');
  });

  it('an import that replaced the profile leaves a member.update entry, so the erasure scrubs the replaced name and e-mail from the ledger\'s reasons', async () => {
    const id = await registerMember(s, { externalId: 'crm-imp-7070', displayName: 'Petra Formerly', email: 'petra.formerly@example.com' });
    await gqlData(s.gql(ADJUST, { i: { memberId: id, amount: 25, reason: 'welcome gift for Petra Formerly, petra.formerly@example.com', idempotencyKey: 'imp-1' } }, admin));
    const res = await fetch(`${s.url}/imports/members`, {
      method: 'POST', headers: { 'content-type': 'text/csv', authorization: `Bearer ${admin}` },
      body: 'externalId,displayName,email\ncrm-imp-7070,Petra Newname,petra.new@example.com\n',
    });
    expect(res.status).toBe(202);
    const { id: job } = (await res.json()) as { id: string };
    await eventually(async () => (await gqlData(s.gql('query($id: ID!) { importJob(id: $id) { status } }', { id: job }, admin))).importJob.status !== 'RUNNING', 'the import');
    const entries = await s.sql<{ actor: string; before: any; after: any }>(
      `select actor, before, after from audit_entry where entity = 'Member' and entity_id = $1 and action = 'member.update'`, [id]);
    expect(entries).toEqual([{
      actor: 'admin:admin-tester',
      before: { displayName: 'Petra Formerly', email: 'petra.formerly@example.com' },
      after: { displayName: 'Petra Newname', email: 'petra.new@example.com' },
    }]);
    await gqlData(s.gql(ERASE, { id, reason: 'GDPR' }, admin));
    for (const v of ['Petra Formerly', 'petra.formerly@example.com', 'Petra Newname', 'petra.new@example.com', 'crm-imp-7070']) expect(await rowsMentioning(v)).toEqual([]);
    const [t] = await s.sql<{ reason: string }>(`select reason from point_transaction where member_id = $1 and type = 'ADJUST'`, [id]);
    expect(t.reason).toBe('welcome gift for [erased], [erased]');
  });

  it('the export holds every row kept about the member: its point allocations and its stored webhook events too', async () => {
    await s.sql('update webhook_endpoint set active = false');
    const { createWebhookEndpoint: c } = await s.admin<any>(
      'mutation($i: WebhookEndpointInput!) { createWebhookEndpoint(input: $i) { endpoint { id } } }', { i: { url: receiver.url, eventTypes: ['*'] } });
    const id = await registerMember(s, { externalId: 'crm-exp-5151', displayName: 'Oskar Export' });
    await gqlData(s.gql(ADJUST, { i: { memberId: id, amount: 100, reason: 'welcome', idempotencyKey: 'exp-1' } }, admin));
    await gqlData(s.gql(ADJUST, { i: { memberId: id, amount: -30, reason: 'correction', idempotencyKey: 'exp-2' } }, admin));
    const doc = JSON.parse((await gqlData(s.gql('query($id: ID!) { memberDataExport(memberId: $id) }', { id }, await s.token('member', id)))).memberDataExport);
    const allocations = await s.sql<{ transactionId: string; lotId: string; points: number }>(
      `select transaction_id::text as "transactionId", lot_id::text as "lotId", amount as points from point_allocation where member_id = $1 order by id`, [id]);
    expect(allocations.length).toBeGreaterThan(0);
    expect(doc.pointAllocations).toEqual(allocations);
    const events = await s.sql<{ id: string; type: string; data: unknown }>('select id::text, type, data from webhook_event where member_id = $1 order by seq', [id]);
    expect(events.map((e) => e.type)).toEqual(['member.registered', 'points.adjusted', 'points.adjusted']);
    expect(doc.webhookEvents.map((e: any) => ({ id: e.id, type: e.type, data: e.data }))).toEqual(events);
    // As sent: each entry is the body the receiver got, occurredAt's text included (it was
    // row_to_json's '…+00:00', without the milliseconds when they were 0).
    await eventually(() => events.every((e) => receiver.byEvent().has(e.id)), 'the events at the receiver');
    expect(doc.webhookEvents).toEqual(events.map((e) => JSON.parse(receiver.byEvent().get(e.id)![0].body)));
    await s.sql('update webhook_endpoint set active = false where id = $1', [c.endpoint.id]);
  });
});
