import { DESKTOP, startConsole, TABLET, type ConsoleHarness } from './support/console';
import { overflows, overflowsAfterResize } from './support/page-checks';

/**
 * The member page's daily check-in section (issue 25) in a real browser against the demo data:
 * the streak and whether today's check-in is done, before and after the member checks in
 * through the API, in English and Chinese, axe-core, and no sideways overflow at 1280 px and at
 * tablet width; and a CHECK_IN campaign made with the campaign form.
 */
let h: ConsoleHarness;
beforeAll(async () => {
  h = await startConsole();
}, 300_000);
afterAll(() => h?.stop());

async function memberId(externalId: string): Promise<string> {
  const [row] = await h.server.sql<{ id: string }>('select id::text as id from member where external_id = $1', [externalId]);
  return row.id;
}

describe('Member page: daily check-in', () => {
  it('shows the streak and whether today is done, and follows a check-in', async () => {
    // Ava's demo check-ins are weeks apart: no streak going on, today not done.
    const id = await memberId('demo-0001');
    const page = await h.open();
    await h.signIn(page);
    await h.goto(page, `/members/${id}`);
    await page.getByRole('heading', { level: 2, name: 'Daily check-in', exact: true }).waitFor();
    expect(await page.getByTestId('check-in-streak').textContent()).toBe('0');
    expect(await page.getByTestId('checked-in-today').textContent()).toBe('Not yet');

    const res = await h.server.gql(`mutation($id: ID!) { checkIn(memberId: $id) { streak alreadyCheckedIn } }`, { id }, await h.token('member', id));
    expect(res.data).toEqual({ checkIn: { streak: 1, alreadyCheckedIn: false } });
    await page.reload();
    await page.getByTestId('check-in').waitFor();
    expect(await page.getByTestId('check-in-streak').textContent()).toBe('1');
    expect(await page.getByTestId('checked-in-today').textContent()).toBe('Checked in');
    // The ledger names the CHECK_IN transaction.
    await page.getByTestId('ledger').getByRole('cell', { name: 'Daily check-in', exact: true }).first().waitFor();
    expect(await h.axe(page)).toEqual([]);
    expect(await overflows(page)).toBe(false);
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('a CHECK_IN campaign is made in the console: bonus points, no multiplier offered', async () => {
    const page = await h.open();
    await h.signIn(page);
    await h.goto(page, '/campaigns/new');
    await page.getByLabel('Code', { exact: true }).fill('CHECK-IN-WEEK');
    await page.getByLabel('Name', { exact: true }).fill('Check-in week');
    await page.getByLabel('Trigger').selectOption({ label: 'Daily check-in' });
    expect(await page.getByLabel('Points multiplier').count()).toBe(0);
    await page.getByLabel('Starts').fill('2026-11-01');
    await page.getByLabel('Bonus points').fill('5');
    await page.getByRole('button', { name: 'Create campaign' }).click();
    await page.getByRole('heading', { level: 1, name: 'Check-in week' }).waitFor();
    const [row] = await h.server.sql<{ trigger: string; bonusPoints: number; multiplier: string | null }>(
      `select trigger, bonus_points as "bonusPoints", multiplier::text from campaign where code = 'CHECK-IN-WEEK'`);
    expect(row).toEqual({ trigger: 'CHECK_IN', bonusPoints: 5, multiplier: null });
    expect(await h.axe(page)).toEqual([]);
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('in Chinese, and at tablet width', async () => {
    const id = await memberId('demo-0002');
    const page = await h.open(TABLET);
    await h.signIn(page);
    await page.getByTestId('language-switch').selectOption('zh-CN');
    await h.goto(page, `/members/${id}`);
    await page.getByRole('heading', { level: 2, name: '每日签到', exact: true }).waitFor();
    expect(await page.getByTestId('checked-in-today').textContent()).toBe('尚未签到');
    await h.server.gql(`mutation($id: ID!) { checkIn(memberId: $id) { streak } }`, { id }, await h.token('service'));
    await page.reload();
    await page.getByTestId('check-in').waitFor();
    expect(await page.getByTestId('checked-in-today').textContent()).toBe('已签到');
    expect(await page.getByTestId('check-in-streak').textContent()).toBe('1');
    expect(await overflows(page)).toBe(false);
    expect(await h.axe(page)).toEqual([]);
    expect(await overflowsAfterResize(page, DESKTOP)).toBe(false);
    expect(h.pageErrors(page)).toEqual([]);
  });
});
