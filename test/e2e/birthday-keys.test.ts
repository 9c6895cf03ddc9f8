// The birthday job's gifts are keyed in the job's own namespace ('birthday:<member>:<year>'),
// apart from the keys admins give ('adjust:<key>'). They were keyed as an admin's adjustment, so
// an admin's adjustment keyed 'birthday:<member>:<year>' (a natural key for a birthday bonus
// given by hand) took a member's gift key, and every run answered CONFLICT for the whole run:
// nobody got a gift for the rest of the year.
import { BIRTHDAY_KEYS_MOVE } from '../../migrations/Migration20270101190000_birthday_job_keys';
import { BIRTHDAY_KEYS_MOVE_BY_AUDIT } from '../../migrations/Migration20270101200000_birthday_job_keys_audit_dated_apart';
import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';
import { expectLedgerConsistent } from '../support/ledger';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  await createLadder(s);
  await s.admin(`mutation($i: BenefitInput!) { upsertBenefit(input: $i) { code } }`,
    { i: { code: 'BDAY', name: 'Birthday gift', kind: 'BIRTHDAY_GIFT', value: 100, tierCodes: [] } });
});
afterAll(() => s?.stop());

const BALANCE = `query($id: ID!) { member(id: $id) { pointsBalance } }`;
const balance = async (id: string) => (await s.admin(BALANCE, { id })).member.pointsBalance as number;
const ADJUST = `mutation($i: AdjustPointsInput!) { adjustPoints(input: $i) { id balanceAfter } }`;
const joined = { joinedAt: '2025-01-01T00:00:00.000Z' };

it("an admin's adjustment keyed as the job keys a gift takes nobody's gift", async () => {
  const members: string[] = [];
  for (let i = 0; i < 4; i++) members.push(await registerMember(s, { birthday: `1990-03-1${i}`, ...joined }));
  // A bonus by hand for the first member, keyed as the job keyed its gifts.
  await s.admin(ADJUST, { i: { memberId: members[0], amount: 10, reason: 'birthday bonus from the store', idempotencyKey: `birthday:${members[0]}:2026` } });
  const first = await s.admin(`mutation { grantBirthdayGifts(asOf: "2026-03-01T00:00:00.000Z") { processed changed } }`);
  expect(first.grantBirthdayGifts).toEqual({ processed: 4, changed: 4 });
  expect(await balance(members[0])).toBe(110);
  for (const id of members.slice(1)) expect(await balance(id)).toBe(100);
  // The admin's key is still the admin's: its retry answers its own adjustment.
  const again = await s.admin(ADJUST, { i: { memberId: members[0], amount: 10, reason: 'birthday bonus from the store', idempotencyKey: `birthday:${members[0]}:2026` } });
  expect(again.adjustPoints.balanceAfter).toBe(10);
  // A second run gives nothing again.
  expect((await s.admin(`mutation { grantBirthdayGifts(asOf: "2026-03-01T00:00:00.000Z") { processed changed } }`)).grantBirthdayGifts).toEqual({ processed: 0, changed: 0 });
  await expectLedgerConsistent(s);
});

it('the gifts written under the old keys move to the job\'s (a run after the upgrade finds a gift given before it); an admin\'s row stays', async () => {
  const member = await registerMember(s, { birthday: '1990-04-05', ...joined });
  const other = await registerMember(s, { birthday: '1990-04-06', ...joined });
  await s.admin(`mutation { grantBirthdayGifts(asOf: "2026-04-01T00:00:00.000Z") { processed changed } }`);
  // As the code before wrote them, and a crash between the gift and the year's grant.
  await s.sql(`update point_transaction set idempotency_key = 'adjust:' || idempotency_key where member_id = any($1::uuid[]) and idempotency_key like 'birthday:%'`, [[member, other]]);
  await s.sql('delete from birthday_grant where member_id = $1', [member]);
  // An admin's adjustment in the job's very words (key and reason): the admin's, not moved (its
  // retry must still find it, and the job's key must stay free).
  await s.admin(ADJUST, { i: { memberId: other, amount: 5, reason: 'birthday gift 2027', idempotencyKey: `birthday:${other}:2027` } });
  await s.sql(BIRTHDAY_KEYS_MOVE);
  await s.sql(BIRTHDAY_KEYS_MOVE_BY_AUDIT);
  const keys = await s.sql<{ key: string }>(`select idempotency_key as key from point_transaction where member_id = any($1::uuid[]) and type = 'ADJUST' order by id`, [[member, other]]);
  expect(keys.map((k) => k.key).sort()).toEqual([`adjust:birthday:${other}:2027`, `birthday:${member}:2026`, `birthday:${other}:2026`].sort());
  expect((await s.admin(`mutation { grantBirthdayGifts(asOf: "2026-04-01T00:00:00.000Z") { processed changed } }`)).grantBirthdayGifts).toEqual({ processed: 1, changed: 1 });
  expect(await balance(member)).toBe(100);
  const retry = await s.admin(ADJUST, { i: { memberId: other, amount: 5, reason: 'birthday gift 2027', idempotencyKey: `birthday:${other}:2027` } });
  expect(retry.adjustPoints.balanceAfter).toBe(105);
  expect(await balance(other)).toBe(105);
  await expectLedgerConsistent(s);
});

it('gifts whose audit entry the app dated some milliseconds after the row (before audit_at_transaction) move too', async () => {
  const member = await registerMember(s, { birthday: '1990-05-05', ...joined });
  const other = await registerMember(s, { birthday: '1990-05-06', ...joined });
  await s.admin(`mutation { grantBirthdayGifts(asOf: "2026-05-01T00:00:00.000Z") { processed changed } }`);
  // As the code before both changes wrote them: the old key, the entry dated by the app after the transaction's start.
  await s.sql(`update point_transaction set idempotency_key = 'adjust:' || idempotency_key where member_id = any($1::uuid[]) and idempotency_key like 'birthday:%'`, [[member, other]]);
  await s.sql(`update audit_entry set at = at + interval '23 milliseconds' where actor = 'admin:system' and action = 'points.adjust' and entity_id = any($1::text[])`, [[member, other]]);
  await s.sql('delete from birthday_grant where member_id = $1', [member]);
  // An admin's adjustment in the job's words, its entry dated apart as well: still the admin's.
  await s.admin(ADJUST, { i: { memberId: other, amount: 100, reason: 'birthday gift 2027', idempotencyKey: `birthday:${other}:2027` } });
  await s.sql(`update audit_entry set at = at + interval '23 milliseconds' where actor <> 'admin:system' and action = 'points.adjust' and entity_id = $1`, [other]);
  // The migrations in their order: the first finds no entry at the rows' instants, the second finds them.
  await s.sql(BIRTHDAY_KEYS_MOVE);
  expect((await s.sql(`select 1 from point_transaction where member_id = any($1::uuid[]) and idempotency_key like 'birthday:%'`, [[member, other]])).length).toBe(0);
  await s.sql(BIRTHDAY_KEYS_MOVE_BY_AUDIT);
  const keys = await s.sql<{ key: string }>(`select idempotency_key as key from point_transaction where member_id = any($1::uuid[]) and type = 'ADJUST' order by id`, [[member, other]]);
  expect(keys.map((k) => k.key).sort()).toEqual([`adjust:birthday:${other}:2027`, `birthday:${member}:2026`, `birthday:${other}:2026`].sort());
  // The retry of the gift finds it: nothing given twice.
  expect((await s.admin(`mutation { grantBirthdayGifts(asOf: "2026-05-01T00:00:00.000Z") { processed changed } }`)).grantBirthdayGifts).toEqual({ processed: 1, changed: 1 });
  expect(await balance(member)).toBe(100);
  // Run again, it moves nothing more.
  await s.sql(BIRTHDAY_KEYS_MOVE_BY_AUDIT);
  expect((await s.sql(`select 1 from point_transaction where member_id = any($1::uuid[]) and idempotency_key like 'adjust:birthday:%'`, [[member, other]])).length).toBe(1);
  await expectLedgerConsistent(s);
});
