import type { Page } from 'playwright-core';
import { startConsole, type ConsoleHarness } from './support/console';
import { adminQuery, graphqlRequests, loseAnswers, overflows } from './support/page-checks';

/**
 * The Programme page's activity rules in a real browser against the demo data: the list as the
 * API has it, in the page's one request; a rule created (a taken kind, a replaced kind and a
 * kind the server refuses shown next to the kind; the warning of a rule a member's app may
 * record without a cap; a double click saves once); its cap and memberMayRecord edited (the
 * server's refusal next to the cap); switched off after a confirmation; the CHECK_IN and
 * REFERRAL rules shown as replaced by the programme's settings; axe-core; Chinese at phone
 * width, with the keyboard.
 */
let h: ConsoleHarness;
beforeAll(async () => {
  h = await startConsole();
}, 300_000);
afterAll(() => h?.stop());

interface Rule { kind: string; name: string; points: number; qualifyingPoints: number; dailyCap: number | null; active: boolean; memberMayRecord: boolean }
const FIELDS = 'kind name points qualifyingPoints dailyCap active memberMayRecord';

async function rules(): Promise<Map<string, Rule>> {
  const { activityRules } = await adminQuery<{ activityRules: Rule[] }>(h, `{ activityRules { ${FIELDS} } }`);
  return new Map(activityRules.map((r) => [r.kind, r]));
}
const upsert = (input: Rule) => adminQuery(h, `mutation($i: ActivityRuleInput!) { upsertActivityRule(input: $i) { kind } }`, { i: input });

const row = (page: Page, kind: string) => page.getByTestId('activity-rules').locator(`tr[data-kind="${kind}"]`);
const cells = (page: Page, kind: string) => row(page, kind).locator('td').allTextContents();
const focusedName = (page: Page) => page.evaluate<string | null>('document.activeElement?.getAttribute("name")');

async function openProgramme(page: Page) {
  await h.signIn(page);
  await h.goto(page, '/programme');
  await page.getByTestId('activity-rules').waitFor();
}

describe('Activity rules on the Programme page', () => {
  it('lists every rule as the API has it, in the page\'s one request', async () => {
    const page = await h.open();
    await h.signIn(page);
    const requests = await graphqlRequests(page, async () => {
      await h.goto(page, '/programme');
      await page.getByTestId('activity-rules').waitFor();
      await page.waitForLoadState('networkidle');
    });
    expect(requests).toEqual(['ProgrammePage']);
    await page.getByRole('heading', { level: 2, name: 'Activity rules' }).waitFor();
    const api = await rules();
    expect(api.size).toBeGreaterThanOrEqual(3);
    expect(await page.getByTestId('activity-rules').locator('tbody tr').count()).toBe(api.size);
    for (const r of api.values()) {
      expect(await row(page, r.kind).locator('th').textContent()).toBe(`${r.name} ${r.kind}`);
      expect(await cells(page, r.kind)).toEqual([
        r.points.toLocaleString('en'), r.qualifyingPoints.toLocaleString('en'), r.dailyCap == null ? 'No cap' : r.dailyCap.toLocaleString('en'),
        r.active ? 'On' : 'Off', r.memberMayRecord ? 'May record it' : 'Back ends only', 'Edit',
      ]);
    }
    // The demo's rules are bounded: PROFILE_COMPLETED has no cap, but only back ends record it.
    expect(await page.getByTestId('activity-warning').count()).toBe(0);
    expect(await h.axe(page)).toEqual([]);
    expect(await overflows(page)).toBe(false);
    await page.getByRole('heading', { level: 2, name: 'Activity rules' }).scrollIntoViewIfNeeded();
    await h.screenshot(page, 'programme-activities');
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('creates a rule: a taken kind, a replaced one and one the server refuses are shown next to the kind; the warning; a double click saves once', async () => {
    const page = await h.open();
    await openProgramme(page);
    await page.getByRole('button', { name: 'New activity rule' }).click();
    const dialog = page.getByRole('dialog', { name: 'New activity rule' });
    const kind = dialog.getByRole('textbox', { name: /^Kind/ });
    expect(await focusedName(page)).toBe('kind');
    await dialog.getByLabel('Name').fill('Liked a post');
    await dialog.getByLabel('Points', { exact: true }).fill('5');

    // upsertActivityRule is keyed by the kind: a taken one would overwrite that rule, so it is refused before any save.
    await kind.fill('REVIEW');
    const refused = await graphqlRequests(page, async () => {
      await dialog.getByRole('button', { name: 'Save' }).click();
      await dialog.getByTestId('field-error-kind').getByText('An activity rule with the kind REVIEW already exists: edit that rule instead.').waitFor();
    });
    expect(refused).toEqual(['ActivityRuleKinds']);
    expect(await kind.getAttribute('aria-invalid')).toBe('true');

    // CHECK_IN is the programme's daily check-in: refused in the browser, no request.
    await kind.fill('check_in');
    const none = await graphqlRequests(page, async () => {
      await dialog.getByRole('button', { name: 'Save' }).click();
      await dialog.getByTestId('field-error-kind').getByText(/check_in is replaced by the programme's setting "Daily check-in"/).waitFor();
    });
    expect(none).toEqual([]);

    // The server's own words (BAD_USER_INPUT, extensions.field = kind), under the kind, focused.
    await kind.fill('LIKE A POST');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.getByTestId('field-error-kind').getByText(/codes use letters, digits/).waitFor();
    expect(await focusedName(page)).toBe('kind');

    // A fraction is refused next to its field before any request.
    await kind.fill('LIKE');
    await dialog.getByLabel('Points', { exact: true }).fill('2.5');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.getByTestId('field-error-points').getByText('Enter a whole number, such as 30 (at most 2,147,483,647).').waitFor();
    await dialog.getByLabel('Points', { exact: true }).fill('5');

    // Members' apps may record it, and no cap: the form says what that means.
    expect(await dialog.getByTestId('activity-form-warning').count()).toBe(0);
    await dialog.getByLabel('Members\' apps may record it for their member').check();
    await dialog.getByTestId('activity-form-warning').getByText('No daily cap: a member\'s app can give its member these points as often as it likes.').waitFor();
    expect(await h.axe(page)).toEqual([]);
    await h.screenshot(page, 'activity-rule');

    const sent = await graphqlRequests(page, async () => {
      await dialog.getByRole('button', { name: 'Save' }).dblclick();
      await dialog.waitFor({ state: 'detached' });
      await page.getByTestId('activity-saved').getByText('The activity rule Liked a post is created.').waitFor();
      await row(page, 'LIKE').waitFor();
      await page.waitForLoadState('networkidle');
    });
    expect(sent).toEqual(['ActivityRuleKinds', 'UpsertActivityRule', 'ProgrammePage']);
    expect((await rules()).get('LIKE')).toEqual({ kind: 'LIKE', name: 'Liked a post', points: 5, qualifyingPoints: 0, dailyCap: null, active: true, memberMayRecord: true });
    expect(await cells(page, 'LIKE')).toEqual([
      '5', '0', 'No cap', 'On', 'May record itNo daily cap: a member\'s app can give its member these points as often as it likes.', 'Edit',
    ]);
    // REVIEW was not touched.
    expect((await rules()).get('REVIEW')).toMatchObject({ name: 'Product review', points: 20, dailyCap: 40 });
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('a new rule whose answer was lost: the operator is told it may have been saved, and the list, read again, shows it', async () => {
    const page = await h.open();
    await openProgramme(page);
    const kind = 'LOST_ANSWER';
    const lost = await loseAnswers(page, 'UpsertActivityRule');
    await page.getByRole('button', { name: 'New activity rule' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Kind', { exact: true }).fill(kind);
    await dialog.getByLabel('Name', { exact: true }).fill('Answer lost');
    await dialog.getByLabel('Points', { exact: true }).fill('5');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.getByText('No answer came from the server: the change may have been saved.').waitFor();
    expect(await dialog.getByText('could not be reached').count()).toBe(0);
    // The server has it, and the page, read again, shows it.
    await row(page, kind).waitFor();
    expect((await rules()).get(kind)).toMatchObject({ name: 'Answer lost', points: 5 });
    expect(lost.sent()).toBe(1);
    expect(h.pageErrors(page).filter((e) => !e.includes('net::ERR_CONNECTION_RESET'))).toEqual([]);
  });

  it('edits a rule\'s cap and memberMayRecord (the kind fixed; the server\'s refusal under the cap); switching it off asks first', async () => {
    await upsert({ kind: 'POLL', name: 'Answered a poll', points: 8, qualifyingPoints: 2, dailyCap: null, active: true, memberMayRecord: true });
    const page = await h.open();
    await openProgramme(page);
    expect(await row(page, 'POLL').getByTestId('activity-warning').textContent()).toMatch(/^No daily cap/);
    await page.getByRole('button', { name: 'Edit the activity rule Answered a poll' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit the activity rule Answered a poll' });
    expect(await dialog.getByRole('textbox', { name: 'Kind' }).count()).toBe(0);
    await dialog.getByText('POLL', { exact: true }).waitFor();
    const cap = dialog.getByLabel('Daily cap (points)');
    expect(await cap.inputValue()).toBe('');
    await dialog.getByTestId('activity-form-warning').waitFor();

    await cap.fill('0');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.getByTestId('field-error-dailyCap').getByText(/dailyCap must not be less than 1/).waitFor();
    expect(await cap.getAttribute('aria-invalid')).toBe('true');
    expect((await rules()).get('POLL')!.dailyCap).toBeNull();

    await cap.fill('24');
    // Capped: an app can no longer give points at will.
    expect(await dialog.getByTestId('activity-form-warning').count()).toBe(0);
    await dialog.getByLabel('Members\' apps may record it for their member').uncheck();
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByTestId('activity-saved').getByText('The activity rule Answered a poll is saved.').waitFor();
    expect((await rules()).get('POLL')).toEqual({ kind: 'POLL', name: 'Answered a poll', points: 8, qualifyingPoints: 2, dailyCap: 24, active: true, memberMayRecord: false });
    await row(page, 'POLL').locator('td').nth(2).getByText('24', { exact: true }).waitFor();
    expect(await cells(page, 'POLL')).toEqual(['8', '2', '24', 'On', 'Back ends only', 'Edit']);

    // Opened and saved without a change: nothing is sent.
    await page.getByRole('button', { name: 'Edit the activity rule Answered a poll' }).click();
    const unchanged = await graphqlRequests(page, async () => {
      await dialog.getByRole('button', { name: 'Save' }).click();
      await dialog.waitFor({ state: 'detached' });
    });
    expect(unchanged).toEqual([]);

    // Switched off: asks first; Cancel keeps the dialog and sends nothing; confirmed, the rule is off.
    await page.getByRole('button', { name: 'Edit the activity rule Answered a poll' }).click();
    await dialog.getByLabel(/^On: activities of this kind earn/).uncheck();
    await dialog.getByRole('button', { name: 'Save' }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Switch this activity rule off?' });
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    expect((await rules()).get('POLL')!.active).toBe(true);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await confirm.getByRole('button', { name: 'Switch off' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByTestId('activity-saved').getByText('The activity rule Answered a poll is saved.').waitFor();
    expect((await rules()).get('POLL')!.active).toBe(false);
    await row(page, 'POLL').getByText('Off', { exact: true }).waitFor();
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('shows a rule worth 0 points that members may record as one whose qualifying points an app gives at will', async () => {
    await upsert({ kind: 'STEPS', name: 'Walked 10,000 steps', points: 0, qualifyingPoints: 5, dailyCap: 10, active: true, memberMayRecord: true });
    const page = await h.open();
    await openProgramme(page);
    expect(await row(page, 'STEPS').getByTestId('activity-warning').textContent())
      .toBe('Worth 0 points, so the cap limits nothing: a member\'s app can give its member these qualifying points as often as it likes.');
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('shows CHECK_IN and REFERRAL rules as replaced by the programme\'s settings: no edit; one still on can be switched off', async () => {
    await upsert({ kind: 'CHECK_IN', name: 'Daily check-in (old rule)', points: 5, qualifyingPoints: 0, dailyCap: 5, active: false, memberMayRecord: true });
    await upsert({ kind: 'REFERRAL', name: 'Referral (old rule)', points: 200, qualifyingPoints: 0, dailyCap: null, active: true, memberMayRecord: false });
    // Another kind to the server: an ordinary rule. The API now refuses a kind that only the case
    // tells from an existing one; a deployment may hold such a pair from before, written here as it was.
    await h.server.sql(`insert into activity_rule (kind, name, points, qualifying_points, daily_cap, active, member_may_record)
      values ('check_in', 'Checked in at a shop', 3, 0, 3, true, false)`);
    const page = await h.open();
    await openProgramme(page);
    await row(page, 'check_in').getByRole('button', { name: 'Edit the activity rule Checked in at a shop' }).waitFor();
    expect(await row(page, 'CHECK_IN').getByRole('button').count()).toBe(0);
    expect(await row(page, 'CHECK_IN').getByRole('link', { name: 'Daily check-in' }).getAttribute('href')).toBe('#check-in');
    expect(await row(page, 'REFERRAL').getByRole('button', { name: /^Edit/ }).count()).toBe(0);
    expect(await row(page, 'REFERRAL').getByTestId('activity-warning').textContent())
      .toBe('Still on: a back end recording REFERRAL gives 200 points besides that setting.');
    expect(await h.axe(page)).toEqual([]);
    await row(page, 'REFERRAL').getByRole('link', { name: 'Invite a friend' }).click();
    expect(await page.evaluate<string>('location.hash')).toBe('#referrals');

    await row(page, 'REFERRAL').getByRole('button', { name: 'Switch off the activity rule Referral (old rule)' }).click();
    await page.getByRole('alertdialog', { name: 'Switch this activity rule off?' }).getByRole('button', { name: 'Switch off' }).click();
    await page.getByTestId('activity-saved').getByText('The activity rule Referral (old rule) is off.').waitFor();
    expect((await rules()).get('REFERRAL')).toMatchObject({ active: false, points: 200, name: 'Referral (old rule)' });
    await row(page, 'REFERRAL').getByText('Off', { exact: true }).waitFor();
    expect(await row(page, 'REFERRAL').getByTestId('activity-warning').count()).toBe(0);
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('in Chinese at phone width: fits the screen, axe-clean, used with the keyboard', async () => {
    const page = await h.open({ width: 390, height: 844 });
    await h.signIn(page);
    await page.getByTestId('language-switch').selectOption('zh-CN');
    await h.goto(page, '/programme');
    await page.getByRole('heading', { level: 2, name: '互动积分规则' }).waitFor();
    expect(await cells(page, 'PROFILE_COMPLETED')).toEqual(['50', '0', '不设上限', '启用', '仅限后台系统', '编辑']);
    expect(await overflows(page)).toBe(false);
    expect(await h.axe(page)).toEqual([]);

    const add = page.getByRole('button', { name: '新建互动积分规则' });
    await add.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: '新建互动积分规则' });
    await dialog.waitFor();
    expect(await focusedName(page)).toBe('kind');
    expect(await overflows(page)).toBe(false);
    expect((await dialog.boundingBox())!.width).toBeLessThanOrEqual(390);
    await page.keyboard.type('REVIEW');
    await page.keyboard.press('Tab');
    await page.keyboard.type('评价');
    await page.keyboard.press('Tab');
    expect(await focusedName(page)).toBe('points');
    await page.keyboard.type('5');
    await page.keyboard.press('Enter');
    await dialog.getByTestId('field-error-kind').getByText('类型为 REVIEW 的互动积分规则已存在：请编辑该规则。').waitFor();
    expect(await h.axe(page)).toEqual([]);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await page.evaluate<string | null>('document.activeElement?.textContent')).toBe('新建互动积分规则');
    expect(h.pageErrors(page)).toEqual([]);
  });
});
