// Birthday gifts past int: a member whose balance (or lifetime points) the gift would take past
// 2,147,483,647 gets no gift and no grant, and every other member due gets theirs. The run stopped
// at that member with BAD_USER_INPUT on `amount` (an argument grantBirthdayGifts does not have),
// and every member after it went without, on every run.
import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';
import { expectLedgerConsistent } from '../support/ledger';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  await createLadder(s);
});
afterAll(() => s?.stop());

const BALANCE = `query($id: ID!) { member(id: $id) { pointsBalance } }`;
const balance = async (id: string) => (await s.admin(BALANCE, { id })).member.pointsBalance as number;
const RUN = `mutation { grantBirthdayGifts(asOf: "2026-03-01T00:00:00.000Z") { processed changed } }`;

it('a member at the points ceiling is passed over; the others due get their gifts', async () => {
  await s.admin(`mutation($i: BenefitInput!) { upsertBenefit(input: $i) { code } }`,
    { i: { code: 'BDAY', name: 'Birthday gift', kind: 'BIRTHDAY_GIFT', value: 100, tierCodes: [] } });
  const joined = { joinedAt: '2025-01-01T00:00:00.000Z' };
  const full = await registerMember(s, { birthday: '1990-03-10', ...joined });
  await s.admin(`mutation($i: AdjustPointsInput!) { adjustPoints(input: $i) { balanceAfter } }`,
    { i: { memberId: full, amount: 2_147_483_600, reason: 'opening', idempotencyKey: 'full-opening' } });
  const others: string[] = [];
  for (let i = 0; i < 6; i++) others.push(await registerMember(s, { birthday: `1991-03-${String(11 + i)}`, ...joined }));

  expect((await s.admin(RUN)).grantBirthdayGifts).toEqual({ processed: 7, changed: 6 });
  for (const id of others) expect(await balance(id)).toBe(100);
  expect(await balance(full)).toBe(2_147_483_600);
  expect(await s.sql('select member_id from birthday_grant where member_id = $1', [full])).toEqual([]);

  // A later run gives nobody a second gift and passes over the same member again.
  expect((await s.admin(RUN)).grantBirthdayGifts).toEqual({ processed: 1, changed: 0 });
  for (const id of others) expect(await balance(id)).toBe(100);
  await expectLedgerConsistent(s);
});
