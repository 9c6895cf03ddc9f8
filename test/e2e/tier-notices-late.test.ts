/**
 * At-risk notices decide on the tier held at the run's asOf, whenever the run is made
 * (domain.md, "Time": "the result must be the same whenever the job actually runs"). Each
 * test gives two members the same facts; one member's notices run on time, the other's run
 * late, after a fact dated later (a review, a purchase) has moved it on. Both must show the
 * same notices. Ladder BRONZE 0; SILVER 1000 / retain 800; GOLD 5000 / retain 4000; 12-month
 * window and validity; 30 notice days.
 */
import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, LADDER, registerMember } from '../support/fixtures';

let s: TestServer;
let service: string;
beforeAll(async () => {
  s = await startTestServer();
  service = await s.token('service');
  await createLadder(s, LADDER.slice(0, 3));
});
afterAll(() => s.stop());

const buy = async (memberId: string, orderId: string, amount: number, occurredAt: string) => {
  const res = await s.gql('mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }',
    { i: { memberId, orderId, amount, occurredAt } }, service);
  expect(res.errors).toBeUndefined();
};
const notices = (asOf: string) => s.admin<{ sendTierNotices: { changed: number } }>('mutation($a: DateTime!) { sendTierNotices(asOf: $a) { processed changed } }', { a: asOf });
const review = (asOf: string) => s.admin('mutation($a: DateTime!) { runTierReview(asOf: $a) { processed changed } }', { a: asOf });
const noticesOf = async (id: string) => (await s.admin<{ tierNotices: unknown[] }>(
  'query($id: ID!) { tierNotices(memberId: $id) { tier { code } tierExpiresAt pointsToRetain noticedAt } }', { id })).tierNotices;
const tierOf = async (id: string) => (await s.admin<{ member: { tier: { code: string } } }>('query($id: ID!) { member(id: $id) { tier { code } } }', { id })).member.tier.code;

/** SILVER from 2024-01-15 until 2025-01-15, nothing bought since: short of 800 at 2025-01-01. */
const silverUntilJanuary = async (tag: string) => {
  const id = await registerMember(s, { joinedAt: '2024-01-01T00:00:00.000Z' });
  await buy(id, `${tag}-silver`, 1000, '2024-01-15T00:00:00.000Z');
  return id;
};
const EXPECTED = [{ tier: { code: 'SILVER' }, tierExpiresAt: '2025-01-15T00:00:00.000Z', pointsToRetain: 800, noticedAt: '2025-01-01T00:00:00.000Z' }];

it('a notices run made after the review that downgraded the member writes the notice the run on time wrote', async () => {
  // On time: the notice on 1 January, the review after the expiry.
  const onTime = await silverUntilJanuary('nl-1a');
  await notices('2025-01-01T00:00:00.000Z');
  await review('2025-01-20T00:00:00.000Z');
  // Late: the review ran, the notices of 1 January are run afterwards (a missed night caught up).
  const late = await silverUntilJanuary('nl-1b');
  await review('2025-01-20T00:00:00.000Z');
  await notices('2025-01-01T00:00:00.000Z');
  expect(await tierOf(onTime)).toBe('BRONZE');
  expect(await tierOf(late)).toBe('BRONZE');
  expect(await noticesOf(onTime)).toEqual(EXPECTED);
  expect(await noticesOf(late)).toEqual(EXPECTED);
});

it('a notices run made after a later-dated purchase upgraded the member writes the notice the run on time wrote', async () => {
  const onTime = await silverUntilJanuary('nl-2a');
  await notices('2025-01-01T00:00:00.000Z');
  await buy(onTime, 'nl-2a-gold', 5000, '2025-01-10T00:00:00.000Z');
  const late = await silverUntilJanuary('nl-2b');
  // Late: the store's batch (the purchase of 10 January) arrived before the run of 1 January.
  await buy(late, 'nl-2b-gold', 5000, '2025-01-10T00:00:00.000Z');
  await notices('2025-01-01T00:00:00.000Z');
  expect(await tierOf(onTime)).toBe('GOLD');
  expect(await tierOf(late)).toBe('GOLD');
  expect(await noticesOf(onTime)).toEqual(EXPECTED);
  expect(await noticesOf(late)).toEqual(EXPECTED);
  // A run for a date after the upgrade sees GOLD, held until 2026: nothing due.
  await notices('2025-02-01T00:00:00.000Z');
  expect(await noticesOf(late)).toEqual(EXPECTED);
});

it('a notices run made after the review that renewed the member writes the notice the run on time wrote', async () => {
  // SILVER until 2025-01-15, short of 800 on 20 December; 900 bought on 28 December keep it (renewed until 2026-01-15).
  const at = { asOf: '2024-12-20T00:00:00.000Z', bought: '2024-12-28T00:00:00.000Z' };
  const onTime = await silverUntilJanuary('nl-3a');
  await notices(at.asOf);
  await buy(onTime, 'nl-3a-keep', 900, at.bought);
  await review('2025-01-20T00:00:00.000Z');
  const late = await silverUntilJanuary('nl-3b');
  await buy(late, 'nl-3b-keep', 900, at.bought);
  await review('2025-01-20T00:00:00.000Z');
  await notices(at.asOf);
  const expected = [{ tier: { code: 'SILVER' }, tierExpiresAt: '2025-01-15T00:00:00.000Z', pointsToRetain: 800, noticedAt: at.asOf }];
  for (const id of [onTime, late]) {
    expect(await tierOf(id)).toBe('SILVER');
    expect(await noticesOf(id)).toEqual(expected);
  }
});

it('a backdated purchase that makes the same upgrade reach a higher tier (same expiry): the next run warns of that tier too', async () => {
  // SILVER at 2024-01-15 until 2025-01-15, noticed on 1 January; then a purchase of the same
  // instant arrives: the upgrade there was to GOLD, with the same expiry. A run on 5 January warns
  // of GOLD's 4000, as a run on time would have (one notice per member, tier and expiry).
  const id = await silverUntilJanuary('nl-5');
  await notices('2025-01-01T00:00:00.000Z');
  await buy(id, 'nl-5-more', 4000, '2024-01-15T00:00:00.000Z');
  // GOLD from 2024-01-15 until 2025-01-15 (then reviewed at once when this file's reviews ran past it: the tier held at each run's asOf counts).
  const { member } = await s.admin<{ member: { tierHistory: { kind: string; toTier: { code: string }; occurredAt: string }[] } }>(
    'query($id: ID!) { member(id: $id) { tierHistory { kind toTier { code } occurredAt } } }', { id });
  expect(member.tierHistory).toContainEqual({ kind: 'UPGRADE', toTier: { code: 'GOLD' }, occurredAt: '2024-01-15T00:00:00.000Z' });
  await notices('2025-01-05T00:00:00.000Z');
  await notices('2025-01-06T00:00:00.000Z');
  expect(await noticesOf(id)).toEqual([
    ...EXPECTED,
    { tier: { code: 'GOLD' }, tierExpiresAt: '2025-01-15T00:00:00.000Z', pointsToRetain: 4000, noticedAt: '2025-01-05T00:00:00.000Z' },
  ]);
});
