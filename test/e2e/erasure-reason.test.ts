import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';

/**
 * The erasure's own reason (docs/decisions.md, "Member data rights"): an operator often writes
 * who asked ("request from Ava Lindqvist, ava@…"). The erasure scrubs personal values from
 * every free-text reason it keeps; its own reason, written after that scrub into its audit entry
 * and its `member.erased` webhook event, is scrubbed the same way. The event still carries the
 * former externalId in `data.member`, for downstream systems to erase too.
 */

let s: TestServer;

beforeAll(async () => {
  s = await startTestServer();
  await createLadder(s);
  await s.sql(`insert into webhook_endpoint (id, url, event_types, active, secret, created_at, updated_at)
    values (gen_random_uuid(), 'https://hooks.example.com/loyalty', '{member.erased}', true, 'whsec_test', now(), now())`);
});
afterAll(() => s.stop());

it('keeps no personal value in the erasure\'s own reason: neither in its audit entry nor in its member.erased event', async () => {
  const profile = { externalId: 'crm-zoe-5120', displayName: 'Zoe Marchetti', email: 'zoe.marchetti@example.com', phone: '+39 06 555 0199' };
  const id = await registerMember(s, profile);
  const reason = `GDPR request from Zoe Marchetti (zoe.marchetti@example.com, +39 06 555 0199), CRM crm-zoe-5120`;
  await s.admin('mutation($id: ID!, $r: String!) { eraseMember(memberId: $id, reason: $r) { erasedAt } }', { id, r: reason });
  const scrubbed = 'GDPR request from [erased] ([erased], [erased]), CRM [erased]';

  const [audit] = await s.sql<{ after: { reason: string } }>(`select after from audit_entry where action = 'member.erase' and entity_id = $1`, [id]);
  expect(audit.after.reason).toBe(scrubbed);
  const [event] = await s.sql<{ data: { member: unknown; reason: string } }>(`select data from webhook_event where type = 'member.erased' and member_id = $1`, [id]);
  expect(event.data.member).toEqual({ id, externalId: profile.externalId });
  expect(event.data.reason).toBe(scrubbed);
  for (const value of [profile.displayName, profile.email, profile.phone]) {
    expect(await s.sql(`select id from audit_entry where strpos(after::text, $1) > 0 or strpos(before::text, $1) > 0`, [value])).toEqual([]);
    expect(await s.sql(`select id from webhook_event where strpos(data::text, $1) > 0`, [value])).toEqual([]);
  }
});

it('scrubs identifying values only: a region, channel or gender the member had (now or before) stays in the text it kept', async () => {
  // Categorical values identify nobody and match unrelated text ("store", "male" in "female").
  const id = await registerMember(s, { externalId: 'crm-ned-77', displayName: 'Ned Okafor', region: 'Northwood', channel: 'store', gender: 'male' });
  await s.admin('mutation($id: ID!) { updateMember(memberId: $id, patch: { region: "Eastgate" }) { region } }', { id });
  await s.admin('mutation($id: ID!) { setMemberTier(memberId: $id, tierCode: "SILVER", reason: "goodwill after a complaint at the Northwood store, Eastgate branch, Ned Okafor") { id } }', { id });
  await s.admin('mutation($id: ID!, $r: String!) { eraseMember(memberId: $id, reason: $r) { erasedAt } }', { id, r: 'request received at the Northwood store desk (female clerk) for Ned Okafor' });
  const [change] = await s.sql<{ reason: string }>(`select reason from tier_change where member_id = $1 and reason like 'override%'`, [id]);
  expect(change.reason).toBe('override: goodwill after a complaint at the Northwood store, Eastgate branch, [erased]');
  const [audit] = await s.sql<{ after: { reason: string } }>(`select after from audit_entry where action = 'member.erase' and entity_id = $1`, [id]);
  expect(audit.after.reason).toBe('request received at the Northwood store desk (female clerk) for [erased]');
});
