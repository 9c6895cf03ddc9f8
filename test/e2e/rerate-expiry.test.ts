import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';
import { PURCHASE } from '../support/ledger';

/**
 * A purchase re-rated at the tier a backdated fact gave its date (docs/decisions.md, "Webhook
 * events"): the points it earns more go to its lot (or to a new lot dated at it) and expire with
 * that lot. The ADJUST that books them says so in `expiresAt`, in the member's history and in
 * its `points.adjusted` webhook event, as an adjustment's does: null read as "never expires".
 */

let s: TestServer;
let admin: string;
beforeAll(async () => {
  s = await startTestServer();
  admin = await s.token('admin');
  await createLadder(s);
  await s.sql(`insert into webhook_endpoint (id, url, event_types, active, secret, created_at, updated_at)
    values (gen_random_uuid(), 'https://hooks.example.com/loyalty', '{points.adjusted}', true, 'whsec_test', now(), now())`);
});
afterAll(() => s.stop());

const HISTORY = 'query($id: ID!) { member(id: $id) { tier { code } pointsHistory(first: 20) { edges { node { type amount reference expiresAt } } } } }';

it('the rate correction\'s ADJUST and its points.adjusted event carry the expiry of the lot its points went to', async () => {
  const ago = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();
  const id = await registerMember(s, { externalId: 'rr-1', joinedAt: ago(60) });
  const buy = async (orderId: string, amount: number, occurredAt: string) => {
    const r = await s.gql(PURCHASE, { input: { memberId: id, orderId, amount, occurredAt } }, admin);
    expect(r.errors).toBeUndefined();
  };
  await buy('rr-up', 1000, ago(1)); // the upgrade to SILVER, earned at BRONZE's rate (its lot)
  await buy('rr-small', 0.8, ago(5)); // 0 points at BRONZE: no lot
  await buy('rr-early', 1000, ago(10)); // SILVER from 10 days ago: both re-rated at 1.25

  const lots = await s.sql<{ order_id: string; expires_at: Date }>(`select order_id, expires_at from point_lot where order_id in ('rr-up', 'rr-small')`);
  const lotExpiry = Object.fromEntries(lots.map((l) => [l.order_id, l.expires_at.toISOString()]));
  expect(Object.keys(lotExpiry).sort()).toEqual(['rr-small', 'rr-up']);

  const { member } = await s.admin(HISTORY, { id });
  expect(member.tier.code).toBe('SILVER');
  const adjusts = member.pointsHistory.edges.map((e: any) => e.node).filter((t: any) => t.type === 'ADJUST');
  expect(adjusts.sort((a: any, b: any) => a.amount - b.amount)).toEqual([
    { type: 'ADJUST', amount: 1, reference: 'rr-small', expiresAt: lotExpiry['rr-small'] },
    { type: 'ADJUST', amount: 250, reference: 'rr-up', expiresAt: lotExpiry['rr-up'] },
  ]);
  const events = await s.sql<{ data: { points: number; reference: string; expiresAt: string | null } }>(
    `select data from webhook_event where type = 'points.adjusted' and member_id = $1 order by seq`, [id]);
  expect(events.map((e) => [e.data.reference, e.data.points, e.data.expiresAt]).sort()).toEqual([
    ['rr-small', 1, lotExpiry['rr-small']],
    ['rr-up', 250, lotExpiry['rr-up']],
  ]);
});
