import { startConsole, TABLET, type ConsoleHarness } from './support/console';
import { adminQuery, graphqlRequests, holdOperation, overflows } from './support/page-checks';

/**
 * The Tiers page in a real browser against the demo data: the ladder and the settings in one
 * request; a tier and a setting the server refuses, its message next to the field it names;
 * corrected, saved; axe-core; Chinese at tablet width.
 */
let h: ConsoleHarness;
beforeAll(async () => {
  h = await startConsole();
}, 300_000);
afterAll(() => h?.stop());

/** A signed-in page on the Tiers page, and its programme settings form. */
async function programmeSettings() {
  const page = await h.open();
  await h.signIn(page);
  await h.goto(page, '/tiers');
  return { page, settings: page.getByRole('form', { name: 'Programme settings' }) };
}

describe('Tiers', () => {
  it('shows the ladder and the settings in one request', async () => {
    const page = await h.open();
    await h.signIn(page);
    const requests = await graphqlRequests(page, async () => {
      await h.goto(page, '/tiers');
      await page.getByTestId('ladder').waitFor();
      await page.waitForLoadState('networkidle');
    });
    expect(requests).toEqual(['TiersPage']);
    const names = await page.getByTestId('ladder').locator('tbody tr td:nth-child(2)').allTextContents();
    expect(names).toEqual(['Bronze', 'Silver', 'Gold', 'Platinum']);
    const gold = await page.getByTestId('ladder').locator('tr[data-code="GOLD"] td').allTextContents();
    expect(gold.slice(0, 6)).toEqual(['2', 'Gold', 'GOLD', '5,000', '4,000', '×1.5']);
    expect(gold[7]).toMatch(/10% off every order/);
    const settings = page.getByRole('form', { name: 'Programme settings' });
    expect(await settings.getByLabel('Points expire after (months)').inputValue()).toBe('12');
    expect(await h.axe(page)).toEqual([]);
    await h.screenshot(page, 'tiers');
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('a tier the server refuses: its message next to the field it names; corrected, saved', async () => {
    const page = await h.open();
    await h.signIn(page);
    await h.goto(page, '/tiers');
    await page.getByRole('button', { name: 'Edit the tier Silver' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit the tier Silver' });
    await dialog.waitFor();
    expect(await dialog.getByLabel('Code').getAttribute('readonly')).not.toBeNull();
    await dialog.getByLabel('Points to keep it').fill('2000');
    await dialog.getByRole('button', { name: 'Save' }).click();
    const error = dialog.getByTestId('field-error-retainPoints');
    await error.waitFor();
    // The console's sentence, then the server's words (BAD_USER_INPUT, extensions.field = retainPoints).
    expect(await error.textContent()).toBe('The server did not accept this input. (retainPoints must not exceed qualifyingPoints)');
    expect(await dialog.getByLabel('Points to keep it').getAttribute('aria-invalid')).toBe('true');
    expect(await page.evaluate<string | null>('document.activeElement?.getAttribute("name")')).toBe('retainPoints');
    expect(await h.axe(page)).toEqual([]);
    // A text that is no number is caught before any request, next to its field too.
    await dialog.getByLabel('Points multiplier').fill('fast');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.getByTestId('field-error-pointsMultiplier').getByText('Enter a number').waitFor();
    await dialog.getByLabel('Points multiplier').fill('1.3');
    await dialog.getByLabel('Points to keep it').fill('900');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByTestId('saved').getByText('The tier Silver is saved.').waitFor();
    await page.getByTestId('ladder').locator('tr[data-code="SILVER"] td').nth(4).getByText('900').waitFor();
    const { tiers } = await adminQuery<{ tiers: { code: string; retainPoints: number; pointsMultiplier: number }[] }>(h, '{ tiers { code retainPoints pointsMultiplier } }');
    expect(tiers.find((x) => x.code === 'SILVER')).toEqual({ code: 'SILVER', retainPoints: 900, pointsMultiplier: 1.3 });
  });

  it('a save that lands after its dialog was closed leaves the dialog opened since alone, the same tier\'s too', async () => {
    const page = await h.open();
    await h.signIn(page);
    await h.goto(page, '/tiers');
    const save = await holdOperation(page, 'UpsertTier');
    // Silver saved as it is, its answer held; the dialog closed; Gold opened and typed in.
    await page.getByRole('button', { name: 'Edit the tier Silver' }).click();
    const silver = page.getByRole('dialog', { name: 'Edit the tier Silver' });
    await silver.getByRole('button', { name: 'Save' }).click();
    await silver.getByRole('button', { name: 'Working…' }).waitFor();
    await page.keyboard.press('Escape');
    await silver.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Edit the tier Gold' }).click();
    const gold = page.getByRole('dialog', { name: 'Edit the tier Gold' });
    await gold.getByLabel('Name').fill('Gold, typed');
    save.release();
    await page.getByTestId('saved').getByText('The tier Silver is saved.').waitFor();
    expect(save.sent()).toBe(1);
    expect(await gold.getByLabel('Name').inputValue()).toBe('Gold, typed');
    await gold.getByRole('button', { name: 'Cancel' }).click();
    await gold.waitFor({ state: 'detached' });
    // The same tier opened again while its first save is on its way: the late answer leaves it open.
    const again = await holdOperation(page, 'UpsertTier');
    await page.getByRole('button', { name: 'Edit the tier Silver' }).click();
    await silver.getByRole('button', { name: 'Save' }).click();
    await silver.getByRole('button', { name: 'Working…' }).waitFor();
    await page.keyboard.press('Escape');
    await silver.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Edit the tier Silver' }).click();
    await silver.getByLabel('Name').fill('Silver, typed');
    const answered = page.waitForResponse((r) => (r.request().postDataJSON() as { operationName?: string } | null)?.operationName === 'UpsertTier');
    again.release();
    await answered;
    await page.waitForLoadState('networkidle');
    expect(await silver.getByLabel('Name').inputValue()).toBe('Silver, typed');
    expect(await silver.getByRole('button', { name: 'Save' }).isEnabled()).toBe(true);
    await silver.getByRole('button', { name: 'Cancel' }).click();
    const { tiers } = await adminQuery<{ tiers: { code: string; name: string }[] }>(h, '{ tiers { code name } }');
    expect(tiers.filter((x) => x.code === 'SILVER' || x.code === 'GOLD').map((x) => x.name)).toEqual(['Silver', 'Gold']);
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('a 503 with no GraphQL answer (a proxy\'s, a restart\'s) says the server is briefly away, not unreachable; the form stays filled and saves after', async () => {
    const page = await h.open();
    await h.signIn(page);
    await h.goto(page, '/tiers');
    let refused = 0;
    await page.route('**/graphql', async (route) => {
      if ((route.request().postDataJSON() as { operationName?: string } | null)?.operationName === 'UpsertTier' && refused++ === 0) {
        return route.fulfill({ status: 503, contentType: 'text/plain', body: 'Service Unavailable' });
      }
      return route.continue();
    });
    await page.getByRole('button', { name: 'Edit the tier Gold' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit the tier Gold' });
    await dialog.getByLabel('Name').fill('Gold');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.locator('.form-alert').getByText(/^The server is not available right now: try again shortly\./).waitFor();
    expect(await dialog.getByLabel('Name').inputValue()).toBe('Gold');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(refused).toBe(2);
    // The browser's own line about the refused request, and nothing else.
    expect(h.pageErrors(page)).toEqual(['console: Failed to load resource: the server responded with a status of 503 (Service Unavailable)']);
  });

  it('a 504 with no GraphQL answer (a gateway that gave up waiting) says the save may have landed, not that the server is away', async () => {
    const page = await h.open();
    await h.signIn(page);
    await h.goto(page, '/tiers');
    let timedOut = 0;
    await page.route('**/graphql', async (route) => {
      if ((route.request().postDataJSON() as { operationName?: string } | null)?.operationName === 'UpsertTier' && timedOut++ === 0) {
        await route.fetch(); // the server saved it; the gateway's answer is a 504
        return route.fulfill({ status: 504, contentType: 'text/plain', body: 'Gateway Timeout' });
      }
      return route.continue();
    });
    await page.getByRole('button', { name: 'Edit the tier Gold' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit the tier Gold' });
    await dialog.getByLabel('Name').fill('Gold');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.locator('.form-alert').getByText(/^No answer came from the server: the change may have been saved\./).waitFor();
    expect(await dialog.locator('.form-alert').getByText('try again shortly').count()).toBe(0);
    expect(h.pageErrors(page)).toEqual(['console: Failed to load resource: the server responded with a status of 504 (Gateway Timeout)']);
  });

  it('adding a tier with the code of an existing one is refused on the code field, and nothing is sent', async () => {
    const before = await adminQuery<{ tiers: unknown[] }>(h, '{ tiers { code name rank qualifyingPoints retainPoints pointsMultiplier } }');
    const page = await h.open();
    await h.signIn(page);
    await h.goto(page, '/tiers');
    await page.getByTestId('ladder').waitFor();
    await page.getByRole('button', { name: 'Add a tier' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a tier' });
    await dialog.waitFor();
    await dialog.getByLabel('Code').fill('GOLD ');
    await dialog.getByLabel('Name').fill('Gold, again');
    await dialog.getByLabel('Qualifying points').fill('9000');
    await dialog.getByLabel('Points to keep it').fill('8000');
    const sent = await graphqlRequests(page, async () => {
      await dialog.getByRole('button', { name: 'Save' }).click();
      await dialog.getByTestId('field-error-code').getByText('A tier with the code GOLD already exists: choose another code, or edit that tier.').waitFor();
      await page.waitForTimeout(500);
    });
    expect(sent).toEqual([]);
    expect(await dialog.getByLabel('Code').getAttribute('aria-invalid')).toBe('true');
    expect(await adminQuery(h, '{ tiers { code name rank qualifyingPoints retainPoints pointsMultiplier } }')).toEqual(before);
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('a setting the server refuses: its message next to the field; only the changed settings are sent', async () => {
    const { page, settings } = await programmeSettings();
    const dormant = settings.getByLabel('Dormant: last purchase within (days)');
    const atRisk = Number(await settings.getByLabel('At risk: last purchase within (days)').inputValue());
    await dormant.fill(String(atRisk - 1));
    await settings.getByRole('button', { name: 'Save the settings' }).click();
    const error = settings.getByTestId('field-error-lifecycleDormantDays');
    await error.waitFor();
    expect(await error.textContent()).toBe('The server did not accept this input. (lifecycle thresholds must rise: new < active < at risk < dormant)');
    expect(await dormant.getAttribute('aria-invalid')).toBe('true');

    await dormant.fill(String(atRisk + 200));
    await settings.getByLabel('Points pending for (days)').fill('400');
    await settings.getByRole('button', { name: 'Save the settings' }).click();
    // The API's own input check (365 at most), named by its field as the service's are.
    const pending = settings.getByTestId('field-error-pointsPendingDays');
    await pending.waitFor();
    expect(await pending.textContent()).toMatch(/pointsPendingDays.*365/);
    await settings.getByTestId('field-error-lifecycleDormantDays').waitFor({ state: 'detached' });
    await settings.getByLabel('Points pending for (days)').fill('7');
    await settings.getByLabel('Points expire after (months)').fill('');
    const sent = await graphqlRequests(page, async () => {
      await settings.getByRole('button', { name: 'Save the settings' }).click();
      await page.getByTestId('saved').getByText('The programme settings are saved.').waitFor();
    });
    expect(sent[0]).toBe('UpdateProgram');
    const { program } = await adminQuery<{ program: { pointsPendingDays: number; pointsExpiryMonths: number | null; lifecycleDormantDays: number } }>(
      h, '{ program { pointsPendingDays pointsExpiryMonths lifecycleDormantDays } }');
    expect(program).toEqual({ pointsPendingDays: 7, pointsExpiryMonths: null, lifecycleDormantDays: atRisk + 200 });
    expect(await settings.getByLabel('Points expire after (months)').inputValue()).toBe('');
  });

  it('a setting typed while the settings\' save is on its way stays, with the cursor, to be saved next; not called saved', async () => {
    const { page, settings } = await programmeSettings();
    const pending = settings.getByLabel('Points pending for (days)');
    await pending.waitFor();
    const before = (await adminQuery<{ program: { pointsPendingDays: number; tierNoticeDays: number } }>(h, '{ program { pointsPendingDays tierNoticeDays } }')).program;
    const held = await holdOperation(page, 'UpdateProgram');
    await pending.fill(String(before.pointsPendingDays + 3));
    await settings.getByRole('button', { name: 'Save the settings' }).click();
    await settings.getByRole('button', { name: 'Working…' }).waitFor();
    const notice = settings.getByLabel('Notice before a tier review (days)');
    await notice.fill(String(before.tierNoticeDays + 1));
    held.release();
    await settings.getByRole('button', { name: 'Save the settings' }).waitFor();
    await page.waitForLoadState('networkidle');
    expect(await notice.inputValue()).toBe(String(before.tierNoticeDays + 1));
    expect(await pending.inputValue()).toBe(String(before.pointsPendingDays + 3));
    expect(await page.evaluate('document.activeElement?.getAttribute("name")')).toBe('tierNoticeDays');
    expect(await page.getByTestId('saved').count()).toBe(0);
    const read = async () => (await adminQuery<{ program: { pointsPendingDays: number; tierNoticeDays: number } }>(h, '{ program { pointsPendingDays tierNoticeDays } }')).program;
    expect(await read()).toEqual({ pointsPendingDays: before.pointsPendingDays + 3, tierNoticeDays: before.tierNoticeDays });
    await settings.getByRole('button', { name: 'Save the settings' }).click();
    await page.getByTestId('saved').getByText('The programme settings are saved.').waitFor();
    expect(await read()).toEqual({ pointsPendingDays: before.pointsPendingDays + 3, tierNoticeDays: before.tierNoticeDays + 1 });
    await adminQuery(h, 'mutation($i: ProgramInput!) { updateProgram(input: $i) { timeZone } }', { i: before });
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('a setting is typed as the operator types it, through values equal to the stored one ("1.0" on the way to "1.005")', async () => {
    const { page, settings } = await programmeSettings();
    const rate = settings.getByLabel('Points per unit of money');
    await rate.waitFor();
    const stored = (await adminQuery<{ program: { pointsPerUnit: number } }>(h, '{ program { pointsPerUnit } }')).program.pointsPerUnit;
    await rate.fill('');
    await rate.pressSequentially(`${stored}.005`);
    expect(await rate.inputValue()).toBe(`${stored}.005`);
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('in Chinese, at tablet width', async () => {
    const page = await h.open(TABLET);
    await h.signIn(page);
    await page.getByTestId('language-switch').selectOption('zh-CN');
    await h.goto(page, '/tiers');
    await page.getByRole('heading', { level: 2, name: '等级阶梯' }).waitFor();
    await page.getByRole('heading', { level: 2, name: '计划设置' }).waitFor();
    await page.getByRole('button', { name: '保存设置' }).waitFor();
    expect(await overflows(page)).toBe(false);
    expect(await h.axe(page)).toEqual([]);
  });
});
