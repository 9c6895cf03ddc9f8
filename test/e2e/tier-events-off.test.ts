import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';

/**
 * TIER_EVENTS=off reaches the tier engine as configuration (ServiceSettings, built once at
 * start-up), not as a process-wide switch: an instance started with it records its tier changes
 * and notices but writes no outbox row for them, while another instance in the same process,
 * started with the default, does.
 */
let off: TestServer;
let on: TestServer;
beforeAll(async () => {
  [off, on] = await Promise.all([startTestServer({ tierEvents: false }), startTestServer()]);
  for (const s of [off, on]) await createLadder(s);
}, 120_000);
afterAll(async () => {
  await off?.stop();
  await on?.stop();
});

/**
 * Three changes (a purchase's upgrade a year ago, its renewal by the review as of now, an
 * override to GOLD that expires in ten days) and one notice (the override's member is short of
 * GOLD's retainPoints): each in a transaction of its own, so four outbox rows when events are on.
 */
async function changeTiers(s: TestServer): Promise<{ changes: number; notices: number; outbox: number }> {
  const member = await registerMember(s, { joinedAt: '2020-01-01T00:00:00.000Z' });
  const service = await s.token('service');
  const yearAgo = new Date(Date.now() - 370 * 86_400_000);
  const res = await s.gql('mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { tierChange { kind } } }',
    { i: { memberId: member, orderId: `o-${member}`, amount: 1000, occurredAt: yearAgo.toISOString() } }, service);
  expect(res.data?.recordPurchase.tierChange).toEqual({ kind: 'UPGRADE' });
  const other = await registerMember(s);
  await s.admin('mutation($m: ID!, $e: DateTime) { setMemberTier(memberId: $m, tierCode: "GOLD", reason: "test", expiresAt: $e) { id } }',
    { m: other, e: new Date(Date.now() + 10 * 86_400_000).toISOString() });
  await s.admin('mutation($a: DateTime!) { runTierReview(asOf: $a) { processed } }', { a: new Date().toISOString() });
  await s.admin('mutation($a: DateTime!) { sendTierNotices(asOf: $a) { processed } }', { a: new Date().toISOString() });
  const [{ changes, notices, outbox }] = await s.sql(`select (select count(*)::int from tier_change) as changes,
    (select count(*)::int from tier_notice) as notices, (select count(*)::int from outbox) as outbox`);
  return { changes, notices, outbox };
}

describe('TIER_EVENTS=off', () => {
  it('records tier changes and notices without outbox rows; the default instance beside it writes them', async () => {
    expect(await changeTiers(off)).toEqual({ changes: 3, notices: 1, outbox: 0 });
    expect(await changeTiers(on)).toEqual({ changes: 3, notices: 1, outbox: 4 });
  });
});
