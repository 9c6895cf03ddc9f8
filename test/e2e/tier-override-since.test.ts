import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';

// An override to the tier the member already holds (an operator extending a member's Gold) is a
// RENEWAL, and a renewal keeps tierSince (docs/decisions.md, "Tiers"): the app's "Gold since"
// stays the day the member reached Gold, not the day an admin extended it; an override to another
// tier starts tierSince at its instant. A backdated purchase that rebuilds the history gives the same.

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  await createLadder(s);
});
afterAll(() => s.stop());

const DAY = 86_400_000;
const PURCHASE = `mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { tierChange { kind } } }`;
const SET_TIER = `mutation($m: ID!, $t: String!, $e: DateTime) { setMemberTier(memberId: $m, tierCode: $t, reason: "extend", expiresAt: $e) { tier { code } tierSince tierExpiresAt } }`;
const MEMBER = `query($id: ID!) { member(id: $id) { tier { code } tierSince tierExpiresAt tierHistory { kind reason occurredAt } } }`;
type M = { tier: { code: string }; tierSince: string; tierExpiresAt: string | null; tierHistory: { kind: string; reason: string; occurredAt: string }[] };

it('an override to the tier held keeps tierSince and sets the expiry; to another tier it starts tierSince', async () => {
  const m = await registerMember(s, { joinedAt: new Date(Date.now() - 400 * DAY).toISOString() });
  const reached = new Date(Date.now() - 100 * DAY).toISOString();
  const up = await s.admin<{ recordPurchase: { tierChange: { kind: string } } }>(PURCHASE, { i: { memberId: m, orderId: `since-${m}-1`, amount: 5000, occurredAt: reached } });
  expect(up.recordPurchase.tierChange.kind).toBe('UPGRADE');
  const until = new Date(Date.now() + 400 * DAY).toISOString();
  const set = await s.admin<{ setMemberTier: { tier: { code: string }; tierSince: string; tierExpiresAt: string } }>(SET_TIER, { m, t: 'GOLD', e: until });
  expect(set.setMemberTier).toEqual({ tier: { code: 'GOLD' }, tierSince: reached, tierExpiresAt: until });
  let member = (await s.admin<{ member: M }>(MEMBER, { id: m })).member;
  expect(member.tierHistory.map((c) => c.kind)).toEqual(['UPGRADE', 'RENEWAL']);
  expect(member.tierSince).toBe(reached);

  // A purchase dated before the override rebuilds the history from its instant: the same answer.
  await s.admin(PURCHASE, { i: { memberId: m, orderId: `since-${m}-2`, amount: 10, occurredAt: new Date(Date.now() - 50 * DAY).toISOString() } });
  member = (await s.admin<{ member: M }>(MEMBER, { id: m })).member;
  expect(member).toMatchObject({ tier: { code: 'GOLD' }, tierSince: reached, tierExpiresAt: until });

  // To another tier: tierSince is the override's instant.
  const plat = await s.admin<{ setMemberTier: { tierSince: string } }>(SET_TIER, { m, t: 'PLATINUM', e: until });
  expect(plat.setMemberTier.tierSince).not.toBe(reached);
  member = (await s.admin<{ member: M }>(MEMBER, { id: m })).member;
  expect(member.tierSince).toBe(member.tierHistory[member.tierHistory.length - 1].occurredAt);
});

it('an override that changes nothing (the tier held, to the expiry it has; the entry tier again) writes nothing: no RENEWAL (so no push or event), no audit entry', async () => {
  const m = await registerMember(s, {});
  const until = new Date(Date.now() + 200 * DAY).toISOString();
  const counts = async () => (await s.sql(`select (select count(*)::int from tier_change where member_id = $1) as changes,
      (select count(*)::int from audit_entry where entity_id = $1::text and action = 'member.setTier') as audits`, [m]))[0];
  const first = await s.admin<{ setMemberTier: M }>(SET_TIER, { m, t: 'GOLD', e: until });
  const after = await counts();
  // Pressed again, and five times at once: the same answer, nothing written.
  const again = await s.admin<{ setMemberTier: M }>(SET_TIER, { m, t: 'GOLD', e: until });
  const atOnce = await Promise.all(Array.from({ length: 5 }, () => s.admin<{ setMemberTier: M }>(SET_TIER, { m, t: 'GOLD', e: until })));
  expect([again, ...atOnce]).toEqual(Array.from({ length: 6 }, () => first));
  expect(await counts()).toEqual(after);
  // Another expiry is a renewal, as before.
  const later = new Date(Date.now() + 300 * DAY).toISOString();
  await s.admin(SET_TIER, { m, t: 'GOLD', e: later });
  // Back to the entry tier, twice: one DOWNGRADE.
  await s.admin(SET_TIER, { m, t: 'BRONZE', e: null });
  await s.admin(SET_TIER, { m, t: 'BRONZE', e: null });
  const member = (await s.admin<{ member: M }>(MEMBER, { id: m })).member;
  expect(member.tierHistory.map((c) => c.kind)).toEqual(['UPGRADE', 'RENEWAL', 'DOWNGRADE']);
  expect(await s.sql(`select count(*)::int as n from audit_entry where entity_id = $1 and action = 'member.setTier'`, [m])).toEqual([{ n: 3 }]);
});
