import { startConsole, TABLET, type ConsoleHarness } from './support/console';
import { adminQuery, graphqlRequests, holdOperation, inProgrammeZone, leaveWhileSaving, overflows } from './support/page-checks';

/**
 * The Benefits pages in a real browser against the demo data: the list; a rule's page in one
 * request; a patch makes a new version, shown in the history, compared side by side with any
 * other and listed in "who changed what"; the server's message next to the schedule field it
 * names; switching a rule off asks first; axe-core; tablet width.
 */
let h: ConsoleHarness;
beforeAll(async () => {
  h = await startConsole();
}, 300_000);
afterAll(() => h?.stop());

describe('Benefits', () => {
  it('lists every rule with its tiers, status and version', async () => {
    const page = await h.open();
    await h.signIn(page);
    const requests = await graphqlRequests(page, async () => {
      await h.goto(page, '/benefits');
      await page.getByTestId('benefits').waitFor();
      await page.waitForLoadState('networkidle');
    });
    expect(requests).toEqual(['BenefitList']);
    const rows = page.getByTestId('benefits').locator('tbody tr');
    expect(await rows.count()).toBe(8);
    const gold = rows.filter({ hasText: 'GOLD_DISCOUNT' });
    // The kind by its label, as the form names it (the code is the rule's own column).
    expect(await gold.locator('td').allTextContents()).toEqual(['10% off every order', 'GOLD_DISCOUNT', 'Discount (percent off)', '10', 'Gold', '—', 'In force', 'Always', '1']);
    expect(await h.axe(page)).toEqual([]);
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('patches a rule: a new version, its diff with any other version, and who changed what', async () => {
    const page = await h.open();
    await h.signIn(page);
    await h.goto(page, '/benefits');
    const requests = await graphqlRequests(page, async () => {
      await page.getByRole('link', { name: '15% off every order' }).click();
      await page.getByRole('heading', { level: 1, name: '15% off every order' }).waitFor();
      await page.getByTestId('benefit-diff').waitFor();
      await page.waitForLoadState('networkidle');
    });
    expect(requests).toEqual(['BenefitDetail']);
    const form = page.getByRole('form', { name: 'Edit the rule' });
    const diff = page.getByTestId('benefit-diff');

    // Version 1 alone: compared with itself.
    expect(await page.getByTestId('current-version').textContent()).toBe('1');
    await page.getByText('These versions are the same.').waitFor();

    await form.getByLabel('Name').fill('18% off every order');
    await form.getByLabel('Value').fill('18');
    await form.getByRole('button', { name: 'Save as a new version' }).click();
    await page.getByTestId('saved').getByText('Saved: this is now version 2.').waitFor();
    await page.getByRole('heading', { level: 1, name: '18% off every order' }).waitFor();
    expect(await page.getByTestId('current-version').textContent()).toBe('2');
    // The history has both versions, newest first; the comparison is version 1 against version 2.
    expect(await page.getByTestId('versions').locator('tbody tr td:first-child').allTextContents()).toEqual(['2 (current)', '1']);
    await page.getByRole('heading', { name: 'Version 1 and version 2 side by side' }).waitFor();
    expect(await diff.locator('tr[data-changed="true"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-field')))).toEqual(['name', 'value']);
    expect(await diff.locator('tr[data-field="value"] td').allTextContents()).toEqual(['15', '18', 'changed']);
    expect(await diff.locator('tr[data-field="name"] td').allTextContents()).toEqual(['15% off every order', '18% off every order', 'changed']);
    // The kind and the tiers in words, as the rule's summary shows them (not the codes the snapshot holds).
    expect(await diff.locator('tr[data-field="kind"] td').allTextContents()).toEqual(['Discount (percent off)', 'Discount (percent off)', '']);
    const tiers = await diff.locator('tr[data-field="tierCodes"] td').first().textContent();
    expect(tiers).not.toMatch(/\b[A-Z]{4,}\b/);

    // Who changed what: the update, by the development admin, with the fields it changed.
    const audit = page.getByTestId('benefit-audit').locator('tbody tr');
    const latest = audit.first();
    await latest.getByText('benefit.update').waitFor();
    expect(await latest.locator('td').nth(1).textContent()).toMatch(/dev-admin/);
    expect(await latest.locator('td').nth(3).textContent()).toBe('name: before: 15% off every order → after: 18% off every order'
      + 'value: before: 15 → after: 18');

    // A schedule the server refuses: its message next to the field it names (validTo).
    await form.getByLabel('Valid from').fill('2031-06-01T09:00');
    await form.getByLabel('Valid until').fill('2031-05-01T09:00');
    await form.getByRole('button', { name: 'Save as a new version' }).click();
    const error = form.getByTestId('field-error-validTo');
    await error.waitFor();
    expect(await error.textContent()).toBe('The server did not accept this input. (validTo must be after validFrom)');
    expect(await form.getByLabel('Valid until').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByTestId('current-version').textContent()).toBe('2');
    // Corrected: version 3, scheduled.
    await form.getByLabel('Valid until').fill('2031-12-31T23:00');
    await form.getByRole('button', { name: 'Save as a new version' }).click();
    await page.getByTestId('saved').getByText('Saved: this is now version 3.').waitFor();
    await page.locator('#rule').getByText('Scheduled').waitFor();

    // Any two versions: 1 on the left, 3 on the right (keyboard: the radios are labelled).
    await page.getByLabel('Version 1 on the left').check();
    await page.getByLabel('Version 3 on the right').check();
    await page.getByRole('heading', { name: 'Version 1 and version 3 side by side' }).waitFor();
    expect(await diff.locator('tr[data-changed="true"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-field'))))
      .toEqual(['name', 'value', 'validFrom', 'validTo']);
    expect(await diff.locator('tr[data-field="validFrom"] td').first().textContent()).toBe('—');
    expect(await diff.locator('tr[data-field="validFrom"] td').nth(1).textContent()).toMatch(/2031/);
    expect(await h.axe(page)).toEqual([]);
    await page.evaluate(`document.getElementById('history').scrollIntoView({ block: 'start' })`);
    await h.screenshot(page, 'benefits');
    // And backwards: 3 on the left, 2 on the right differ only by the schedule.
    await page.getByLabel('Version 3 on the left').check();
    await page.getByLabel('Version 2 on the right').check();
    await page.getByRole('heading', { name: 'Version 3 and version 2 side by side' }).waitFor();
    expect(await diff.locator('tr[data-changed="true"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-field'))))
      .toEqual(['validFrom', 'validTo']);
    expect(await audit.count()).toBe(3);


    // The server has the three versions the page shows.
    const data = await adminQuery<{ benefits: { code: string; version: number; value: number; history: { version: number }[] }[] }>(
      h, '{ benefits { code version value history { version } } }');
    const rule = data.benefits.find((b) => b.code === 'PLATINUM_DISCOUNT')!;
    expect([rule.version, rule.value, rule.history.map((v) => v.version)]).toEqual([3, 18, [1, 2, 3]]);
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('switching a rule off asks first; cancelled, nothing is saved', async () => {
    const page = await h.open();
    await h.signIn(page);
    await h.goto(page, '/benefits/LOUNGE');
    const form = page.getByRole('form', { name: 'Edit the rule' });
    await form.getByLabel('Active').uncheck();
    await form.getByRole('button', { name: 'Save as a new version' }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Switch this benefit off?' });
    await confirm.waitFor();
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'detached' });
    expect(await page.getByTestId('current-version').textContent()).toBe('1');
    await form.getByRole('button', { name: 'Save as a new version' }).click();
    await confirm.getByRole('button', { name: 'Switch it off' }).click();
    await page.getByTestId('saved').getByText('Saved: this is now version 2.').waitFor();
    await page.locator('#rule').getByText('Off').waitFor();
  });

  it('in Chinese, at tablet width', async () => {
    const page = await h.open(TABLET);
    await h.signIn(page);
    await page.getByTestId('language-switch').selectOption('zh-CN');
    await h.goto(page, '/benefits/FREE_SHIPPING');
    for (const label of ['当前规则', '编辑规则', '版本历史', '变更记录']) {
      await page.getByRole('heading', { level: 2, name: label, exact: true }).waitFor();
    }
    // The server's refusal: the console's sentence in Chinese, the server's own words after it.
    const form = page.getByRole('form', { name: '编辑规则' });
    await form.getByLabel('生效起始').fill('2031-06-01T09:00');
    await form.getByLabel('生效截止').fill('2031-05-01T09:00');
    await form.getByRole('button', { name: '保存为新版本' }).click();
    await form.getByTestId('field-error-validTo').getByText('服务器不接受此输入。（validTo must be after validFrom）', { exact: true }).waitFor();
    expect(await overflows(page)).toBe(false);
    expect(await h.axe(page)).toEqual([]);
    await h.goto(page, '/benefits');
    await page.getByRole('heading', { level: 1, name: '权益' }).waitFor();
    // Every kind in Chinese, not its English code.
    const shipping = page.getByTestId('benefits').locator('tbody tr').filter({ hasText: 'FREE_SHIPPING' });
    expect(await shipping.locator('td').nth(2).textContent()).toBe('免运费');
    expect(await overflows(page)).toBe(false);
  });

  it('creates a rule: "New benefit" refuses a code the list has, shows the server\'s refusal on its field, and opens the new rule at version 1', async () => {
    const page = await h.open();
    await h.signIn(page);
    await h.goto(page, '/benefits');
    await page.getByRole('button', { name: 'New benefit' }).click();
    await page.getByRole('heading', { level: 1, name: 'New benefit' }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Console pages' }).getByRole('link', { name: 'Benefits', exact: true }).getAttribute('aria-current')).toBe('page');
    const form = page.getByRole('form', { name: 'The new rule' });
    // A code the list has: refused on the code field, and nothing is sent (upsertBenefit would overwrite that rule).
    await form.getByLabel('Code').fill('GOLD_DISCOUNT');
    await form.getByLabel('Name').fill('12% off for the spring');
    const sent = await graphqlRequests(page, async () => {
      await form.getByRole('button', { name: 'Create the benefit' }).click();
      await form.getByTestId('field-error-code')
        .getByText('A benefit with the code GOLD_DISCOUNT already exists: choose another code, or open that benefit to edit it.').waitFor();
    });
    expect(sent).toEqual([]);
    expect(await form.getByLabel('Code').getAttribute('aria-invalid')).toBe('true');
    // A discount of 150 %: the server refuses it, on the value field.
    await form.getByLabel('Code').fill('SPRING_DISCOUNT');
    await form.getByLabel('Kind').selectOption('DISCOUNT');
    await form.getByLabel('Value').fill('150');
    await form.getByRole('button', { name: 'Create the benefit' }).click();
    await form.getByTestId('field-error-value').getByText('a DISCOUNT value is a percentage in (0, 100]').waitFor();
    expect(await form.getByLabel('Value').getAttribute('aria-invalid')).toBe('true');
    // A kind with no amount has no value field.
    await form.getByLabel('Kind').selectOption('FREE_SHIPPING');
    expect(await form.getByLabel('Value').count()).toBe(0);
    await form.getByLabel('Kind').selectOption('DISCOUNT');
    // Corrected, for Gold and Platinum, from 09:00 on the programme's clock (Shanghai): saved, the new rule's page.
    await inProgrammeZone(h, 'Asia/Shanghai', async () => {
      await page.reload();
      await page.getByRole('heading', { level: 1, name: 'New benefit' }).waitFor();
      await form.getByLabel('Code').fill('SPRING_DISCOUNT');
      await form.getByLabel('Name').fill('12% off for the spring');
      await form.getByLabel('Value').fill('12');
      await form.getByLabel('Tiers').selectOption(['GOLD', 'PLATINUM']);
      expect(await form.getByText('In the programme\'s time zone (Asia/Shanghai). Empty: from now on.').count()).toBe(1);
      await form.getByLabel('Valid from').fill('2031-06-01T09:00');
      await form.getByRole('button', { name: 'Create the benefit' }).click();
      await page.getByRole('heading', { level: 1, name: '12% off for the spring' }).waitFor();
      expect(new URL(page.url()).pathname).toBe('/admin/benefits/SPRING_DISCOUNT');
      expect(await page.getByTestId('current-version').textContent()).toBe('1');
      // The edit form reads the schedule on the same clock.
      expect(await page.getByRole('form', { name: 'Edit the rule' }).getByLabel('Valid from').inputValue()).toBe('2031-06-01T09:00');
    });
    // In the list, with version 1.
    await h.goto(page, '/benefits');
    const row = page.getByTestId('benefits').locator('tbody tr').filter({ hasText: 'SPRING_DISCOUNT' });
    await row.waitFor(); // the list loads after the page: read its row once it is there
    const cells = await row.locator('td').allTextContents();
    expect([...cells.slice(0, 5), cells[6], cells[8]]).toEqual(['12% off for the spring', 'SPRING_DISCOUNT', 'Discount (percent off)', '12', 'Gold, Platinum', 'Scheduled', '1']);
    const data = await adminQuery<{ benefits: { code: string; version: number; value: number; active: boolean; validFrom: string; tierCodes: string[] }[] }>(
      h, '{ benefits { code version value active validFrom tierCodes } }');
    expect(data.benefits.find((b) => b.code === 'SPRING_DISCOUNT')).toEqual({
      code: 'SPRING_DISCOUNT', version: 1, value: 12, active: true, validFrom: '2031-06-01T01:00:00.000Z', tierCodes: ['GOLD', 'PLATINUM'],
    });
    // GOLD_DISCOUNT was not touched.
    expect(data.benefits.find((b) => b.code === 'GOLD_DISCOUNT')!.version).toBe(1);
    expect(await h.axe(page)).toEqual([]);
    expect(h.pageErrors(page)).toEqual([]);
  });
  it('a field changed while "Save as a new version" is on its way stays, with the cursor, to be saved next', async () => {
    await adminQuery(h, 'mutation($i: BenefitInput!) { upsertBenefit(input: $i) { code } }',
      { i: { code: 'TYPED_WHILE_SAVING', name: 'Typed while saving', description: 'As first written', kind: 'FREE_SHIPPING', tierCodes: ['GOLD'] } });
    const page = await h.open();
    await h.signIn(page);
    await h.goto(page, '/benefits/TYPED_WHILE_SAVING');
    const form = page.getByRole('form', { name: 'Edit the rule' });
    await form.getByLabel('Name').waitFor();
    const held = await holdOperation(page, 'UpdateBenefit');
    await form.getByLabel('Name').fill('Renamed while saving');
    await form.getByRole('button', { name: 'Save as a new version' }).click();
    await form.getByRole('button', { name: 'Working…' }).waitFor();
    await form.getByLabel('Description').fill('Typed while the save was on its way');
    held.release();
    await page.getByTestId('current-version').getByText('2', { exact: true }).waitFor();
    await page.waitForLoadState('networkidle');
    expect(await form.getByLabel('Description').inputValue()).toBe('Typed while the save was on its way');
    expect(await form.getByLabel('Name').inputValue()).toBe('Renamed while saving');
    expect(await page.evaluate('document.activeElement?.getAttribute("name")')).toBe('description');
    expect(await page.getByTestId('saved').count()).toBe(0); // not called saved: a change is unsent
    const read = async () => (await adminQuery<{ benefits: { code: string; name: string; description: string; version: number }[] }>(
      h, '{ benefits { code name description version } }')).benefits.find((b) => b.code === 'TYPED_WHILE_SAVING');
    expect(await read()).toEqual({ code: 'TYPED_WHILE_SAVING', name: 'Renamed while saving', description: 'As first written', version: 2 });
    await form.getByRole('button', { name: 'Save as a new version' }).click();
    await page.getByTestId('saved').getByText('Saved: this is now version 3.').waitFor();
    expect(await read()).toEqual({ code: 'TYPED_WHILE_SAVING', name: 'Renamed while saving', description: 'Typed while the save was on its way', version: 3 });
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('"New benefit" reads the codes again: one taken since the page loaded is refused, and that rule gets no new version', async () => {
    const page = await h.open();
    await h.signIn(page);
    await h.goto(page, '/benefits/new');
    const form = page.getByRole('form', { name: 'The new rule' });
    await form.getByLabel('Code').waitFor();
    await adminQuery(h, 'mutation($i: BenefitInput!) { upsertBenefit(input: $i) { code } }',
      { i: { code: 'COLLEAGUES_RULE', name: 'Made by a colleague', kind: 'FREE_SHIPPING', tierCodes: ['GOLD'] } });
    await form.getByLabel('Code').fill('COLLEAGUES_RULE');
    await form.getByLabel('Name').fill('Mine');
    await form.getByLabel('Kind').selectOption('FREE_SHIPPING');
    const sent = await graphqlRequests(page, async () => {
      await form.getByRole('button', { name: 'Create the benefit' }).click();
      await form.getByTestId('field-error-code').getByText(/A benefit with the code COLLEAGUES_RULE already exists/).waitFor();
    });
    expect(sent).toEqual(['BenefitCodes']);
    const { benefits } = await adminQuery<{ benefits: { code: string; name: string; version: number }[] }>(h, '{ benefits { code name version } }');
    expect(benefits.find((b) => b.code === 'COLLEAGUES_RULE')).toEqual({ code: 'COLLEAGUES_RULE', name: 'Made by a colleague', version: 1 });
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('a new rule saved after the operator went to another page does not take them back to it', async () => {
    const page = await h.open();
    await h.signIn(page);
    await h.goto(page, '/benefits/new');
    const form = page.getByRole('form', { name: 'The new rule' });
    await form.getByLabel('Code').fill('LEFT_BEHIND');
    await form.getByLabel('Name').fill('Saved after leaving');
    await form.getByLabel('Kind').selectOption('FREE_SHIPPING');
    const held = await holdOperation(page, 'CreateBenefit');
    await form.getByRole('button', { name: 'Create the benefit' }).click();
    await form.getByRole('button', { name: 'Working…' }).waitFor();
    expect(await leaveWhileSaving(page, 'CreateBenefit', held)).toEqual({ path: '/admin/rewards', typed: 'Half typed' });
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('a rule coded "new", "." or ".." opens its own page from the list (the create page\'s segment and dot segments)', async () => {
    for (const code of ['new', '.', '..']) {
      await adminQuery(h, 'mutation($i: BenefitInput!) { upsertBenefit(input: $i) { code } }',
        { i: { code, name: `Coded ${code}`, kind: 'FREE_SHIPPING', tierCodes: [] } });
    }
    const page = await h.open();
    await h.signIn(page);
    for (const code of ['new', '.', '..']) {
      await h.goto(page, '/benefits');
      await page.getByTestId('benefits').getByRole('link', { name: `Coded ${code}`, exact: true }).click();
      await page.getByRole('heading', { level: 1, name: `Coded ${code}` }).waitFor();
      expect(await page.getByTestId('current-version').textContent()).toBe('1');
    }
    // "New benefit" still opens the form.
    await h.goto(page, '/benefits');
    await page.getByRole('button', { name: 'New benefit' }).click();
    await page.getByRole('heading', { level: 1, name: 'New benefit' }).waitFor();
    expect(h.pageErrors(page)).toEqual([]);
  });
});
