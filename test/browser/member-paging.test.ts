import { networkQuiet, startConsole, type ConsoleHarness } from './support/console';
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

it("keeps the members list's page in the address: Back from a profile, Forward, a reload and a link return to it", async () => {
  const page = await h.open();
  await h.signIn(page);
  await h.goto(page, '/members');
  const pager = page.getByRole('navigation', { name: 'Members: pages' });
  const firstRow = () => page.locator('main tbody tr td:first-child a').first();
  // The page's number follows the address at once; its rows once their request has answered.
  const pageIs = async (n: number, on = page) => {
    await on.getByRole('navigation', { name: 'Members: pages' }).getByText(`Page ${n}`).waitFor();
    await networkQuiet(on);
    await on.locator('.table-wrap[aria-busy="false"]').waitFor();
  };
  await pageIs(1);
  const one = await firstRow().textContent();
  await pager.getByRole('button', { name: 'Next' }).click();
  await pageIs(2);
  await pager.getByRole('button', { name: 'Next' }).click();
  await pageIs(3);
  const url = page.url();
  expect(new URL(url).searchParams.get('pages')?.split('.')).toHaveLength(2);
  const three = await firstRow().textContent();
  const href = await firstRow().getAttribute('href');
  expect(three).not.toBe(one);

  await firstRow().click();
  await page.waitForURL(`**${href}`);
  await page.getByTestId('member-summary').waitFor();
  await page.goBack();
  await pageIs(3);
  expect(page.url()).toBe(url);
  expect(await firstRow().textContent()).toBe(three);
  await page.goForward();
  await page.getByTestId('member-summary').waitFor();
  await page.goBack();
  await pageIs(3);

  await page.reload();
  await pageIs(3);
  expect(await firstRow().textContent()).toBe(three);
  // Previous goes back one page (a history entry of its own), down to the first, whose address has no cursor.
  await pager.getByRole('button', { name: 'Previous' }).click();
  await pageIs(2);
  await pager.getByRole('button', { name: 'Previous' }).click();
  await pageIs(1);
  expect(new URL(page.url()).search).toBe('');
  expect(await firstRow().textContent()).toBe(one);
  await page.goBack();
  await pageIs(2);

  // A link to the third page, in a new context; a search starts at its own first page.
  const other = await h.open();
  await h.signIn(other);
  await other.goto(url);
  await pageIs(3, other);
  expect(await other.locator('main tbody tr td:first-child a').first().textContent()).toBe(three);
  await other.getByTestId('member-search').fill('Ava');
  await other.getByRole('button', { name: 'Search' }).click();
  await other.waitForURL('**/admin/members?q=Ava');
  // A cursor the server cannot read: the first page, not an error.
  await other.goto(`${h.origin}/admin/members?pages=bm9uc2Vuc2U`);
  await other.getByRole('navigation', { name: 'Members: pages' }).getByText('Page 1').waitFor();
  await other.waitForURL('**/admin/members');
  expect(h.pageErrors(page)).toEqual([]);
  expect(h.pageErrors(other)).toEqual([]);
});
