import { startConsole, type ConsoleHarness } from './support/console';
import { adminQuery } from './support/page-checks';

/**
 * A member's profile pages its ledger, redemptions and referrals with cursors of its own. Going
 * from one member's profile to another's (a referral's link) must open the other's lists at their
 * first page: the console kept the page's state across /members/A → /members/B, so B's ledger
 * and referrals opened at the pages A's pagers stood on, asked with A's cursors, and B's newest
 * rows were skipped.
 */
let h: ConsoleHarness;
beforeAll(async () => {
  h = await startConsole();
}, 300_000);
afterAll(() => h?.stop());

const REGISTER = `mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id referralCode } }`;
const register = async (input: Record<string, unknown>) =>
  (await adminQuery<{ registerMember: { id: string; referralCode: string } }>(h, REGISTER, { input })).registerMember;
const adjust = (memberId: string, reason: string) => adminQuery(h, `mutation($i: AdjustPointsInput!) { adjustPoints(input: $i) { id } }`,
  { i: { memberId, amount: 5, reason, idempotencyKey: `${memberId}-${reason}` } });

it("another member's profile opens its ledger and referrals at their first page, whatever page the last one's stood on", async () => {
  const a = await register({ externalId: 'paging-a', displayName: 'Paging Referrer' });
  const friends: string[] = [];
  for (let i = 0; i < 11; i++) friends.push((await register({ externalId: `paging-friend-${i}`, displayName: `Paging Friend${i}`, referralCode: a.referralCode })).id);
  for (let i = 0; i < 12; i++) await adjust(a.id, `a-${i}`);
  // The oldest friend (on the referrals' second page) moves after the referrer's: its transactions are the newest of all.
  const b = friends[0];
  for (let i = 0; i < 3; i++) await adjust(b, `b-${i}`);

  const page = await h.open();
  await h.signIn(page);
  await h.goto(page, `/members/${a.id}`);
  await page.getByTestId('ledger').waitFor();
  const ledgerPager = page.getByRole('navigation', { name: 'Points ledger: pages' });
  const referralPager = page.getByRole('navigation', { name: 'Referrals: pages' });
  await ledgerPager.getByRole('button', { name: 'Next' }).click();
  await ledgerPager.getByText('Page 2').waitFor();
  await referralPager.getByRole('button', { name: 'Next' }).click();
  await referralPager.getByText('Page 2').waitFor();
  await page.waitForLoadState('networkidle');

  await page.locator(`a[href="/admin/members/${b}"]`).click();
  await page.getByRole('heading', { level: 1, name: 'Paging Friend0' }).waitFor();
  const reasons = page.getByTestId('ledger').locator('tbody tr').getByText(/^b-\d$/);
  await reasons.nth(2).waitFor();
  await page.waitForLoadState('networkidle');
  expect(await reasons.allTextContents()).toEqual(['b-2', 'b-1', 'b-0']);
  expect(await page.getByText('Page 2').count()).toBe(0);
  // The friend's referrer is shown, and its own (empty) list of referrals, not a second page of nothing.
  expect(await page.getByTestId('referred-by').textContent()).not.toBe('—');
  expect(await referralPager.textContent()).toContain('Page 1');
  expect(h.pageErrors(page)).toEqual([]);
});
