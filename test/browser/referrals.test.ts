import { startConsole, TABLET, type ConsoleHarness } from './support/console';
import { adminQuery, graphqlRequests, holdOperation, overflows } from './support/page-checks';

/**
 * Issue 25 in the console: the programme's engagement settings (time zone, referral rewards,
 * check-in points), a member's referrals and referrer on its page, and the referral statistics
 * over time; axe-core, no sideways scrolling at 1280 px and at tablet width, both languages.
 */
let h: ConsoleHarness;
beforeAll(async () => {
  h = await startConsole();
}, 300_000);
afterAll(() => h?.stop());

const REGISTER = `mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id referralCode } }`;
const register = async (input: Record<string, unknown>) =>
  (await adminQuery<{ registerMember: { id: string; referralCode: string } }>(h, REGISTER, { input })).registerMember;

interface Figures { registered: number; completed: number; rejected: number; reversed: number; pointsGiven: number; referrers: number; referralsPerReferrer: number | null }
const FIGURES = 'registered completed rejected reversed pointsGiven referrers referralsPerReferrer';

/**
 * A referrer ("Ada Referrer") with 12 friends registered with its code: 5 completed a month ago
 * (100 + 50 points each), 2 completed and reversed three months ago, 1 rejected, 4 pending.
 * Completion and reversal are dated in SQL as referrals-core's purchase and refund date them.
 */
let referrer: { id: string; referralCode: string };
let friends: string[];
beforeAll(async () => {
  referrer = await register({ externalId: 'browser-referrer', displayName: 'Ada Referrer' });
  friends = [];
  for (let i = 0; i < 12; i++) friends.push((await register({ externalId: `browser-friend-${i}`, displayName: `Friend Number${i}`, referralCode: referrer.referralCode })).id);
  const set = (ids: string[], sql: string) => h.server.sql(`update referral set ${sql} where referee_id = any($1::uuid[])`, [ids]);
  await set(friends.slice(0, 5), `status = 'COMPLETED', completed_at = now() - interval '1 month', referrer_points = 100, referee_points = 50`);
  await set(friends.slice(5, 7), `status = 'REVERSED', completed_at = now() - interval '3 months', reversed_at = now() - interval '3 months' + interval '1 day',
    reason = 'refunded', referrer_points = 100, referee_points = 50`);
  await set(friends.slice(7, 8), `status = 'REJECTED', reason = 'shares the referrer''s phone'`);
}, 120_000);

describe('Programme settings', () => {
  it('shows the engagement settings in one request; a zone not in the list and a value the server refuses are shown next to their fields; corrected, saved', async () => {
    const page = await h.open();
    await h.signIn(page);
    const requests = await graphqlRequests(page, async () => {
      await h.goto(page, '/programme');
      await page.getByRole('form', { name: 'Engagement settings' }).waitFor();
      await page.waitForLoadState('networkidle');
    });
    expect(requests).toEqual(['ProgrammePage']);
    const form = page.getByRole('form', { name: 'Engagement settings' });
    const { program } = await adminQuery<{ program: { timeZone: string; checkInPoints: number[] } }>(h, '{ program { timeZone checkInPoints } }');
    expect(await form.getByLabel('Time zone').inputValue()).toBe(program.timeZone);
    expect(await form.getByTestId('check-in-days').locator('input').count()).toBe(program.checkInPoints.length);
    expect(await h.axe(page)).toEqual([]);
    expect(await overflows(page)).toBe(false);
    await h.screenshot(page, 'programme');

    // Not a zone of the list: said before any request.
    await form.getByLabel('Time zone').fill('Mars/Olympus');
    await form.getByRole('button', { name: 'Save' }).click();
    await form.getByTestId('field-error-timeZone').getByText('Choose a time zone from the list').waitFor();
    expect(await form.getByLabel('Time zone').getAttribute('aria-invalid')).toBe('true');
    // A hold the server refuses: its own words, next to the field.
    await form.getByLabel('Time zone').fill('asia/shanghai');
    await form.getByLabel('Hold (days)').fill('400');
    await form.getByRole('button', { name: 'Save' }).click();
    const error = form.getByTestId('field-error-referralHoldDays');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/referralHoldDays.*365/); // the server's own words
    expect(await h.axe(page)).toEqual([]);

    // Corrected; check-in edited as a list: all days removed (off), then three added.
    await form.getByLabel('Hold (days)').fill('14');
    await form.getByLabel('Referrer points').fill('200');
    while (await form.getByRole('button', { name: /^Remove day/ }).count()) await form.getByRole('button', { name: /^Remove day/ }).first().click();
    await form.getByText('No day: check-in is off.').waitFor();
    for (let i = 0; i < 3; i++) await form.getByRole('button', { name: 'Add a day' }).click();
    await form.getByLabel('Points on day 1').fill('5');
    await form.getByLabel('Points on day 2').fill('10');
    await form.getByLabel('Points on day 3').fill('20');
    await form.getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('saved').waitFor();
    const saved = await adminQuery<{ program: Record<string, unknown> }>(h, '{ program { timeZone referrerPoints referralHoldDays checkInPoints } }');
    expect(saved.program).toEqual({ timeZone: 'Asia/Shanghai', referrerPoints: 200, referralHoldDays: 14, checkInPoints: [5, 10, 20] });

    // Check-in off: an empty list is saved as [].
    while (await form.getByRole('button', { name: /^Remove day/ }).count()) await form.getByRole('button', { name: /^Remove day/ }).first().click();
    await form.getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('saved').waitFor();
    expect((await adminQuery<{ program: { checkInPoints: number[] } }>(h, '{ program { checkInPoints } }')).program.checkInPoints).toEqual([]);
    await adminQuery(h, 'mutation { updateProgram(input: { timeZone: "UTC" }) { timeZone } }');
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('a setting typed while a save is on its way stays, with the cursor, to be saved next; the saved one shows what the server holds', async () => {
    const page = await h.open();
    await h.signIn(page);
    await h.goto(page, '/programme');
    const form = page.getByRole('form', { name: 'Engagement settings' });
    await form.waitFor();
    const before = (await adminQuery<{ program: { referrerPoints: number; refereePoints: number } }>(h, '{ program { referrerPoints refereePoints } }')).program;
    const held = await holdOperation(page, 'UpdateEngagement');
    await form.getByLabel('Referrer points').fill(String(before.referrerPoints + 7));
    await form.getByRole('button', { name: 'Save' }).click();
    await form.getByRole('button', { name: 'Working…' }).waitFor();
    await form.getByLabel('Friend\'s points').fill('4321');
    held.release();
    await form.getByRole('button', { name: 'Save' }).waitFor();
    await page.waitForLoadState('networkidle');
    expect(await form.getByLabel('Friend\'s points').inputValue()).toBe('4321');
    expect(await form.getByLabel('Referrer points').inputValue()).toBe(String(before.referrerPoints + 7));
    expect(await page.evaluate('document.activeElement?.getAttribute("name")')).toBe('refereePoints');
    expect(await page.getByTestId('saved').count()).toBe(0); // not called saved: a change is unsent
    let stored = (await adminQuery<{ program: { referrerPoints: number; refereePoints: number } }>(h, '{ program { referrerPoints refereePoints } }')).program;
    expect(stored).toEqual({ referrerPoints: before.referrerPoints + 7, refereePoints: before.refereePoints });
    // Saved next: the change typed meanwhile, alone.
    const sent: unknown[] = [];
    page.on('request', (r) => {
      if (new URL(r.url()).pathname === '/graphql' && r.postDataJSON()?.operationName === 'UpdateEngagement') sent.push(r.postDataJSON().variables.input);
    });
    await form.getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('saved').waitFor();
    expect(sent).toEqual([{ refereePoints: 4321 }]);
    stored = (await adminQuery<{ program: { referrerPoints: number; refereePoints: number } }>(h, '{ program { referrerPoints refereePoints } }')).program;
    expect(stored).toEqual({ referrerPoints: before.referrerPoints + 7, refereePoints: 4321 });
    await adminQuery(h, 'mutation($i: ProgramInput!) { updateProgram(input: $i) { timeZone } }', { i: before });
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('a setting typed back to what it was is no change: a colleague\'s later change to it is shown and not sent back', async () => {
    const page = await h.open();
    await h.signIn(page);
    await h.goto(page, '/programme');
    const form = page.getByRole('form', { name: 'Engagement settings' });
    await form.waitFor();
    const read = async () => (await adminQuery<{ program: { referrerPoints: number; refereePoints: number } }>(h, '{ program { referrerPoints refereePoints } }')).program;
    const before = await read();
    await form.getByLabel('Referrer points').fill(String(before.referrerPoints + 1));
    await form.getByLabel('Referrer points').fill(String(before.referrerPoints));
    await adminQuery(h, 'mutation($i: ProgramInput!) { updateProgram(input: $i) { timeZone } }', { i: { referrerPoints: before.referrerPoints + 50 } });
    await form.getByLabel('Friend\'s points').fill(String(before.refereePoints + 1));
    const sent: unknown[] = [];
    page.on('request', (r) => {
      if (new URL(r.url()).pathname === '/graphql' && r.postDataJSON()?.operationName === 'UpdateEngagement') sent.push(r.postDataJSON().variables.input);
    });
    await form.getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('saved').waitFor();
    expect(sent).toEqual([{ refereePoints: before.refereePoints + 1 }]);
    expect(await read()).toEqual({ referrerPoints: before.referrerPoints + 50, refereePoints: before.refereePoints + 1 });
    await form.getByLabel('Referrer points').and(page.locator(`[value="${before.referrerPoints + 50}"]`)).waitFor();
    await adminQuery(h, 'mutation($i: ProgramInput!) { updateProgram(input: $i) { timeZone } }', { i: before });
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('in Chinese, at tablet width', async () => {
    const page = await h.open(TABLET);
    await h.signIn(page);
    await page.getByTestId('language-switch').selectOption('zh-CN');
    await h.goto(page, '/programme');
    await page.getByRole('form', { name: '增长玩法设置' }).getByLabel('时区').waitFor();
    // The programme's settings, named so in the sidebar, the title and the heading (not "activity rules"; its
    // section of engagement activities' rules is 互动积分规则, not 活动规则, which reads as campaigns' rules).
    await page.getByRole('heading', { level: 1, name: '会员计划设置：日历、推荐、签到、互动', exact: true }).waitFor();
    expect(await page.title()).toMatch(/^会员计划设置：日历、推荐、签到、互动 · /);
    expect(await page.getByRole('navigation', { name: '控制台页面' }).locator('[aria-current="page"]').textContent()).toBe('会员计划设置');
    expect(await page.getByText('活动规则').count()).toBe(0);
    expect(await h.axe(page)).toEqual([]);
    expect(await overflows(page)).toBe(false);
  });
});

describe('a member\'s referrals', () => {
  it('on its page, from the profile\'s one request: its code, its friends masked, paged', async () => {
    const page = await h.open();
    await h.signIn(page);
    const requests = await graphqlRequests(page, async () => {
      await h.goto(page, `/members/${referrer.id}`);
      await page.getByTestId('referrals').waitFor();
      await page.waitForLoadState('networkidle');
    });
    expect(requests).toEqual(['MemberProfile']);
    expect(await page.getByTestId('referral-code').textContent()).toBe(referrer.referralCode);
    expect(await page.getByTestId('referred-by').textContent()).toBe('—');
    const table = page.getByTestId('referrals');
    expect(await table.locator('tbody tr').count()).toBe(10);
    const names = await table.locator('tbody tr td:first-child').allTextContents();
    expect(names.every((n) => /^F\*\*\* N$/.test(n))).toBe(true);
    expect(await table.getByText('Completed').count()).toBeGreaterThan(0);
    expect(await h.axe(page)).toEqual([]);
    expect(await overflows(page)).toBe(false);
    const later = await graphqlRequests(page, async () => {
      await page.getByRole('navigation', { name: 'Referrals: pages' }).getByRole('button', { name: 'Next' }).click();
      await page.getByRole('navigation', { name: 'Referrals: pages' }).getByText('Page 2').waitFor();
      await page.waitForLoadState('networkidle');
    });
    expect(later).toEqual(['MemberReferralsPage']);
    expect(await table.locator('tbody tr').count()).toBe(2);
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('a friend\'s page names its referrer masked, a link to it; at tablet width, in Chinese', async () => {
    const page = await h.open(TABLET);
    await h.signIn(page);
    await page.getByTestId('language-switch').selectOption('zh-CN');
    await h.goto(page, `/members/${friends[0]}`);
    const by = page.getByTestId('referred-by');
    await by.getByRole('link', { name: 'A*** R' }).waitFor();
    await page.getByText('尚未推荐好友。').waitFor();
    expect(await h.axe(page)).toEqual([]);
    expect(await overflows(page)).toBe(false);
    await by.getByRole('link', { name: 'A*** R' }).click();
    await page.getByTestId('referral-code').getByText(referrer.referralCode).waitFor();
  });
});

describe('referral statistics', () => {
  it('totals that fail to load say so, with a retry that loads them', async () => {
    const page = await h.open();
    await h.signIn(page);
    let failed = 0;
    await page.route('**/graphql', async (route) => {
      if ((route.request().postDataJSON() as { operationName?: string } | null)?.operationName === 'ReferralTotals' && failed === 0) {
        failed += 1;
        return route.fulfill({ status: 503, body: '' });
      }
      return route.continue();
    });
    await h.goto(page, '/referrals');
    const totals = page.locator('#totals');
    await totals.getByRole('alert').waitFor();
    expect(await page.getByTestId('total-registered').textContent()).toBe('—');
    await totals.getByRole('button', { name: 'Try again' }).click();
    await page.getByTestId('total-registered').getByText(/\d/).waitFor();
    expect(await totals.getByRole('alert').count()).toBe(0);
    expect(h.pageErrors(page).filter((e) => !e.includes('status of 503'))).toEqual([]);
  });

  it('twelve months and their totals, as referralStats gives them, in two requests', async () => {
    const { referralStatsByMonth: months } = await adminQuery<{ referralStatsByMonth: { from: string; to: string }[] }>(
      h, '{ referralStatsByMonth(months: 12) { from to } }');
    const span = { from: months[0].from, to: months[11].to };
    const { referralStats: totals } = await adminQuery<{ referralStats: Figures }>(h,
      `query($from: DateTime!, $to: DateTime!) { referralStats(from: $from, to: $to) { ${FIGURES} } }`, span);
    // At least this test's referrer's: 12 registered, 5 + 2 completed, 1 rejected, 2 reversed, 750 points net.
    expect(totals.registered).toBeGreaterThanOrEqual(12);
    expect(totals.completed).toBeGreaterThanOrEqual(7);
    expect(totals.reversed).toBeGreaterThanOrEqual(2);
    const page = await h.open();
    await h.signIn(page);
    const requests = await graphqlRequests(page, async () => {
      await h.goto(page, '/referrals');
      await page.getByTestId('referral-months').waitFor();
      await page.getByTestId('total-registered').getByText(/\d/).waitFor();
      await page.waitForLoadState('networkidle');
    });
    expect(requests).toEqual(['ReferralMonths', 'ReferralTotals']);
    const nf = new Intl.NumberFormat('en');
    expect(await page.getByTestId('total-registered').textContent()).toBe(nf.format(totals.registered));
    expect(await page.getByTestId('total-completed').textContent()).toBe(nf.format(totals.completed));
    expect(await page.getByTestId('total-pointsGiven').textContent()).toBe(nf.format(totals.pointsGiven));
    expect(await page.getByTestId('referral-months').locator('tbody tr').count()).toBe(12);
    await page.getByTestId('referral-chart').locator('canvas').waitFor();
    expect(await h.axe(page)).toEqual([]);
    expect(await overflows(page)).toBe(false);
    await h.screenshot(page, 'referrals');
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('in Chinese, at tablet width', async () => {
    const page = await h.open(TABLET);
    await h.signIn(page);
    await page.getByTestId('language-switch').selectOption('zh-CN');
    await h.goto(page, '/referrals');
    await page.getByRole('heading', { level: 1, name: '推荐统计' }).waitFor();
    await page.getByTestId('referral-months').waitFor();
    expect(await h.axe(page)).toEqual([]);
    expect(await overflows(page)).toBe(false);
  });
});
