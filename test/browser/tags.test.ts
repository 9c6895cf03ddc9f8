import type { Page } from 'playwright-core';
import { startConsole, TABLET, type ConsoleHarness } from './support/console';
import { adminQuery, graphqlRequests, holdOperation, overflows } from './support/page-checks';

/**
 * The Tags page in a real browser against the demo data: every tag with its kind, category and
 * member count (as the API counts them) in one request; a manual tag created (a code the
 * server refuses, and one already taken, shown next to the code; a double click saves once); a
 * rule tag created with the filter builder and its live size; a rule tag edited with its saved
 * filter filled in (Tag.rule), the page saying how many members the server re-tagged; the
 * server's message next to a filter's field; axe-core; Chinese at tablet width.
 */
let h: ConsoleHarness;
beforeAll(async () => {
  h = await startConsole();
}, 300_000);
afterAll(() => h?.stop());

interface TagCount { count: number; tag: { code: string; name: string; kind: string; category: string } }

async function tagCounts(): Promise<Map<string, TagCount>> {
  const { tagCounts: rows } = await adminQuery<{ tagCounts: TagCount[] }>(h, '{ tagCounts { count tag { code name kind category } } }');
  return new Map(rows.map((r) => [r.tag.code, r]));
}

async function previewSize(filter: Record<string, unknown>): Promise<number> {
  const { segmentPreview } = await adminQuery<{ segmentPreview: { size: number } }>(h, 'query($f: SegmentFilterInput!) { segmentPreview(filter: $f) { size } }', { f: filter });
  return segmentPreview.size;
}

const row = (page: Page, code: string) => page.getByTestId('tags').locator(`tr[data-code="${code}"]`);
const countCell = (page: Page, code: string) => row(page, code).locator('td.num');

async function openTags(page: Page) {
  await h.signIn(page);
  await h.goto(page, '/tags');
  await page.getByTestId('tags').waitFor();
}

describe('Tags', () => {
  it('lists every tag with its kind, category and member count, as the API counts them, in one request', async () => {
    const page = await h.open();
    await h.signIn(page);
    const requests = await graphqlRequests(page, async () => {
      await h.goto(page, '/tags');
      await page.getByTestId('tags').waitFor();
      await page.waitForLoadState('networkidle');
    });
    expect(requests).toEqual(['TagsPage']);
    const counts = await tagCounts();
    expect(counts.size).toBeGreaterThanOrEqual(5);
    for (const [code, c] of counts) {
      expect(await countCell(page, code).textContent()).toBe(c.count.toLocaleString('en'));
    }
    const cells = await row(page, 'high_value').locator('td').allTextContents();
    expect(cells.slice(0, 2)).toEqual(['rule', 'Behaviour (what they do)']);
    expect(cells[3]).toBe('Rule, conditions: 1');
    expect((await row(page, 'vip').locator('td').allTextContents()).slice(0, 2)).toEqual(['manual', 'Descriptive (who)']);
    expect(await h.axe(page)).toEqual([]);
    await h.screenshot(page, 'tags');
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('creates a manual tag: a refused code and a taken one are shown next to the code; a double click saves once', async () => {
    const page = await h.open();
    await openTags(page);
    await page.getByRole('button', { name: 'New manual tag' }).click();
    const dialog = page.getByRole('dialog', { name: 'New manual tag' });
    const code = dialog.getByLabel('Code');
    await code.fill('V I P');
    await dialog.getByLabel('Name').fill('Gift buyer');
    await dialog.getByRole('button', { name: 'Save' }).click();
    // The server's words (BAD_USER_INPUT, extensions.field = code), under the code, which is marked and focused.
    await dialog.getByTestId('field-error-code').getByText(/tag codes use letters, digits/).waitFor();
    expect(await code.getAttribute('aria-invalid')).toBe('true');
    expect(await page.evaluate<string | null>('document.activeElement?.getAttribute("name")')).toBe('code');

    // upsertTag is keyed by the code: a taken one would overwrite that tag, so it is refused before any save.
    await code.fill('vip');
    const refused = await graphqlRequests(page, async () => {
      await dialog.getByRole('button', { name: 'Save' }).click();
      await dialog.getByTestId('field-error-code').getByText('A tag with the code vip already exists: choose another code, or edit that tag.').waitFor();
    });
    expect(refused).toEqual(['TagCodes']);

    await code.fill('gift_buyer');
    await dialog.getByLabel('Category').selectOption({ label: 'Preference (what they like)' });
    expect(await h.axe(page)).toEqual([]);
    const sent = await graphqlRequests(page, async () => {
      await dialog.getByRole('button', { name: 'Save' }).dblclick();
      await dialog.waitFor({ state: 'detached' });
      await page.getByTestId('tag-saved').getByText('The tag Gift buyer is created. Tag members with it from their profiles.').waitFor();
    });
    expect(sent).toEqual(['TagCodes', 'UpsertTag', 'TagsPage']);
    expect(await countCell(page, 'gift_buyer').textContent()).toBe('0');
    const saved = (await tagCounts()).get('gift_buyer')!;
    expect(saved.tag).toEqual({ code: 'gift_buyer', name: 'Gift buyer', kind: 'MANUAL', category: 'PREFERENCE' });
    // vip was not touched.
    expect((await tagCounts()).get('vip')!.tag).toMatchObject({ kind: 'MANUAL', name: 'VIP (hand-picked)' });
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('creates a rule tag with the filter builder: its live size, and the members the server tagged', async () => {
    const expected = await previewSize({ minBalance: 1000 });
    const page = await h.open();
    await openTags(page);
    await page.getByRole('button', { name: 'New rule tag' }).click();
    const dialog = page.getByRole('dialog', { name: 'New rule tag' });
    await dialog.getByLabel('Code').fill('big_balance');
    await dialog.getByLabel('Name').fill('Balance of 1,000 or more');
    await dialog.getByLabel('Balance at least').fill('1000');
    await dialog.getByTestId('tag-rule-size').getByText(`The rule selects ${expected.toLocaleString('en')} members now.`).waitFor();
    expect(await h.axe(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByTestId('tag-saved')
      .getByText(`The tag Balance of 1,000 or more is created: the server tagged the ${expected.toLocaleString('en')} members its rule selects.`).waitFor();
    const saved = (await tagCounts()).get('big_balance')!;
    expect(saved.count).toBe(expected);
    expect(saved.tag.kind).toBe('RULE');
    expect(await countCell(page, 'big_balance').textContent()).toBe(expected.toLocaleString('en'));
    const { tags } = await adminQuery<{ tags: { code: string; rule: { minBalance: number | null } | null }[] }>(h, '{ tags { code rule { minBalance } } }');
    expect(tags.find((x) => x.code === 'big_balance')!.rule).toEqual({ minBalance: 1000 });
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('a dialog\'s fields are locked while its save is on its way; the answer marks and focuses the refused field', async () => {
    const page = await h.open();
    await openTags(page);
    const save = await holdOperation(page, 'UpsertTag');
    await page.getByRole('button', { name: 'Edit the tag High value (monetary score 4 or 5)' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit the tag High value (monetary score 4 or 5)' });
    const minM = dialog.getByLabel('Monetary score at least (1–5)');
    await minM.fill('9');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.getByRole('button', { name: 'Working…' }).waitFor();
    // What is shown is what is being saved: nothing can be typed until the answer.
    expect(await dialog.getByLabel('Name').isDisabled()).toBe(true);
    expect(await minM.isDisabled()).toBe(true);
    save.release();
    await dialog.getByRole('button', { name: 'Save' }).waitFor();
    await dialog.getByTestId('field-error-minM').getByText(/minM is an RFM score, 1 to 5/).waitFor();
    expect(await minM.getAttribute('aria-invalid')).toBe('true');
    expect(await page.evaluate<string | null>('document.activeElement?.getAttribute("name")')).toBe('minM');
    expect(await dialog.getByLabel('Name').isEditable()).toBe(true);
    expect((await tagCounts()).get('high_value')!.tag.name).toBe('High value (monetary score 4 or 5)');
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('edits a rule tag with its saved filter filled in; the server\'s message under the filter\'s field; the new count after saving', async () => {
    const before = (await tagCounts()).get('high_value')!.count;
    const page = await h.open();
    await openTags(page);
    await page.getByRole('button', { name: 'Edit the tag High value (monetary score 4 or 5)' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit the tag High value (monetary score 4 or 5)' });
    const minM = dialog.getByLabel('Monetary score at least (1–5)');
    // Tag.rule: { minM: 4 }, in the builder; its live size is the count the server keeps.
    expect(await minM.inputValue()).toBe('4');
    expect(await dialog.getByLabel('Code').count()).toBe(0);
    await dialog.getByTestId('tag-rule-size').getByText(`The rule selects ${before.toLocaleString('en')} members now.`).waitFor();
    expect(await h.axe(page)).toEqual([]);
    await h.screenshot(page, 'tag-rule');

    await minM.fill('9');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.getByTestId('field-error-minM').getByText(/minM is an RFM score, 1 to 5/).waitFor();
    // The live size's query says the same: the save's own answer is in when Save is back.
    await dialog.getByRole('button', { name: 'Save' }).waitFor();
    expect(await minM.getAttribute('aria-invalid')).toBe('true');
    expect((await tagCounts()).get('high_value')!.count).toBe(before);

    const name = dialog.getByLabel('Name');
    await name.fill('   ');
    await minM.fill('5');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.getByTestId('field-error-name').getByText(/name must not be blank/).waitFor();
    expect(await name.getAttribute('aria-invalid')).toBe('true');

    await name.fill('High value (monetary score 5)');
    const expected = await previewSize({ minM: 5 });
    await dialog.getByTestId('tag-rule-size').getByText(`The rule selects ${expected.toLocaleString('en')} members now.`).waitFor();
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByTestId('tag-saved').getByText(
      `The tag High value (monetary score 5) is saved: the server re-tagged the members by its rule, and it now holds ${expected.toLocaleString('en')} members (before: ${before.toLocaleString('en')}).`,
    ).waitFor();
    expect((await tagCounts()).get('high_value')!.count).toBe(expected);
    expect(expected).toBeLessThan(before);
    await countCell(page, 'high_value').getByText(expected.toLocaleString('en'), { exact: true }).waitFor();

    // Opened again: the saved rule.
    await page.getByRole('button', { name: 'Edit the tag High value (monetary score 5)' }).click();
    expect(await page.getByRole('dialog', { name: 'Edit the tag High value (monetary score 5)' }).getByLabel('Monetary score at least (1–5)').inputValue()).toBe('5');
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('saves a rule opened and left untouched as it was (a time-of-day instant, empty lists, the lists\' order); an edited date is its whole day', async () => {
    // Saved through the API: instants that are not midnight (the programme's zone is UTC), empty lists, tiers not in the ladder's order.
    const rule = { joinedFrom: '2026-03-01T16:00:00.000Z', joinedTo: '2026-11-20T09:30:00.000Z', tagsNone: [], tagsAny: [], tierCodes: ['SILVER', 'GOLD'], minBalance: 10 };
    const fields = '{ joinedFrom joinedTo tagsNone tagsAny tagsAll tierCodes minBalance stages }';
    const saved = { ...rule, tagsAll: null, stages: null };
    await adminQuery(h, 'mutation($i: TagInput!) { upsertTag(input: $i) { code } }', { i: { code: 'rt_probe', name: 'Joined this year', category: 'BEHAVIOR', rule } });
    const ruleNow = async () => (await adminQuery<{ tags: { code: string; rule: unknown }[] }>(h, `{ tags { code rule ${fields} } }`)).tags.find((x) => x.code === 'rt_probe')!.rule;
    expect(await ruleNow()).toEqual(saved);

    const page = await h.open();
    await openTags(page);
    const edit = async () => {
      await page.getByRole('button', { name: 'Edit the tag Joined this year' }).click();
      return page.getByRole('dialog', { name: 'Edit the tag Joined this year' });
    };
    let dialog = await edit();
    expect(await dialog.getByLabel('Joined on or after').inputValue()).toBe('2026-03-01');
    await dialog.getByTestId('tag-rule-size').getByText(/^The rule selects [\d,]+ members now\.$/).waitFor();
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByTestId('tag-saved').waitFor();
    expect(await ruleNow()).toEqual(saved);

    // The day is shown, with a note that the condition holds a time of that day. A date the operator
    // edits is its whole day (midnight in the programme's zone); the untouched ones stay as they were.
    dialog = await edit();
    await dialog.getByTestId('field-hint-joinedFrom').getByText('Saved at 4:00 PM of this day; a day picked here starts at midnight.').waitFor();
    await dialog.getByTestId('field-hint-joinedTo').getByText(/Saved at 9:30 AM of this day/).waitFor();
    await dialog.getByLabel('Joined on or after').fill('2026-03-05');
    expect(await dialog.getByTestId('field-hint-joinedFrom').count()).toBe(0);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByTestId('tag-saved').waitFor();
    expect(await ruleNow()).toEqual({ ...saved, joinedFrom: '2026-03-05T00:00:00.000Z' });
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('at phone width, the list and the rule form fit the screen, and the form is used with the keyboard', async () => {
    const page = await h.open({ width: 390, height: 844 });
    await openTags(page);
    expect(await overflows(page)).toBe(false);
    await page.getByRole('button', { name: 'New rule tag' }).click();
    const dialog = page.getByRole('dialog', { name: 'New rule tag' });
    // Focus starts on the first field; Escape closes the dialog and focus returns to its button.
    expect(await page.evaluate<string | null>('document.activeElement?.getAttribute("name")')).toBe('code');
    expect(await overflows(page)).toBe(false);
    const box = await dialog.boundingBox();
    expect(box!.width).toBeLessThanOrEqual(390);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await page.evaluate<string | null>('document.activeElement?.textContent')).toBe('New rule tag');
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('in Chinese, at tablet width', async () => {
    const page = await h.open(TABLET);
    await h.signIn(page);
    await page.getByTestId('language-switch').selectOption('zh-CN');
    await h.goto(page, '/tags');
    await page.getByRole('heading', { level: 2, name: '全部标签' }).waitFor();
    expect(await row(page, 'high_value').locator('td').nth(1).textContent()).toBe('行为（做什么）');
    expect(await overflows(page)).toBe(false);
    expect(await h.axe(page)).toEqual([]);
    await page.getByRole('button', { name: '编辑标签 Gold or Platinum, not buying lately' }).click();
    const dialog = page.getByRole('dialog', { name: '编辑标签 Gold or Platinum, not buying lately' });
    await dialog.getByRole('group', { name: '规则：拥有此标签的会员' }).waitFor();
    expect(await dialog.getByRole('checkbox', { name: 'Gold' }).isChecked()).toBe(true);
    await dialog.getByTestId('tag-rule-size').getByText(/该规则当前选中 \d+ 位会员。/).waitFor();
    expect(await overflows(page)).toBe(false);
    expect(await h.axe(page)).toEqual([]);
    expect(h.pageErrors(page)).toEqual([]);
  });
});
