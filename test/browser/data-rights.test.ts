import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { DESKTOP, startConsole, TABLET, type ConsoleHarness } from './support/console';
import { graphqlRequests, overflows, overflowsAfterResize } from './support/page-checks';

/**
 * A member's data rights on its page, in a real browser against the demo data: "Export data"
 * downloads the member's JSON document; "Erase member" asks for a reason and the typed word
 * ERASE, then the page shows the member as erased (no personal field, no write action left);
 * Chinese labels; axe-core; the layout at 1280×800 and at tablet width.
 */
let h: ConsoleHarness;
beforeAll(async () => {
  h = await startConsole();
}, 300_000);
afterAll(() => h?.stop());

async function openMember(page: Page, externalId: string, name: string): Promise<void> {
  await h.goto(page, `/members?q=${externalId}`);
  await page.getByRole('link', { name }).click();
  await page.getByTestId('ledger').waitFor();
}

describe('Member data rights in the console', () => {
  it('exports a member\'s data as a JSON file', async () => {
    const page = await h.open();
    await h.signIn(page);
    await openMember(page, 'demo-0002', 'Ben Okafor');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export data' }).click()]);
    const id = (await h.server.sql<{ id: string }>(`select id from member where external_id = 'demo-0002'`))[0].id;
    expect(download.suggestedFilename()).toBe(`member-${id}.json`);
    const doc = JSON.parse(readFileSync(await download.path(), 'utf8'));
    expect(doc.format).toBe('loyalty.member-export/1');
    expect(doc.member).toMatchObject({ id, externalId: 'demo-0002', displayName: 'Ben Okafor' });
    expect(doc.pointTransactions.length).toBeGreaterThan(0);
    await page.getByRole('status').getByText(`member-${id}.json`).waitFor({ state: 'attached' });
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('erases a member after its reason and the typed confirmation; the page then shows it erased', async () => {
    const page = await h.open();
    await h.signIn(page);
    await openMember(page, 'demo-0004', 'Dan Novak');
    await page.getByRole('button', { name: 'Erase member' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Erase this member\'s personal data' });
    await dialog.getByText('This cannot be undone.', { exact: false }).waitFor();
    expect(await h.axe(page)).toEqual([]);
    await dialog.getByLabel('Reason (for example the request\'s reference)').fill('Erasure request #42');
    // The wrong word: nothing is sent, the field says why.
    await dialog.getByLabel('Type ERASE to confirm').fill('erase');
    await dialog.getByRole('button', { name: 'Erase for good' }).click();
    await dialog.getByTestId('field-error-confirm').getByText('Type ERASE, in capitals, to confirm.').waitFor();
    expect((await h.server.sql(`select erased_at from member where external_id = 'demo-0004'`))[0].erased_at).toBeNull();
    await dialog.getByLabel('Type ERASE to confirm').fill('ERASE');
    await dialog.getByRole('button', { name: 'Erase for good' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('heading', { level: 1, name: 'Erased member' }).waitFor();
    await page.getByTestId('erased-notice').waitFor();
    expect(await page.getByTestId('balance').textContent()).toBe('0');
    const profile = await page.locator('#profile dd').allTextContents();
    expect(profile.slice(1, 9)).toEqual(['—', '—', '—', '—', '—', '—', '—', '—']);
    for (const action of ['Adjust points', 'Override tier', 'Edit profile', 'Erase member']) {
      expect(await page.getByRole('button', { name: action }).count()).toBe(0);
    }
    await page.getByRole('button', { name: 'Export data' }).waitFor();
    expect(await page.getByTestId('ledger').locator('tbody tr').first().locator('td').nth(1).textContent()).toBe('Forfeited at erasure');
    expect(await h.axe(page)).toEqual([]);
    expect(await overflows(page)).toBe(false);
    await h.screenshot(page, 'member-erased');
    // Gone from the list's search.
    await h.goto(page, '/members?q=demo-0004');
    await page.getByText('No member matches “demo-0004”.').waitFor();
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('accepts exactly ERASE: a space before or after it erases nothing', async () => {
    const page = await h.open();
    await h.signIn(page);
    await openMember(page, 'demo-0002', 'Ben Okafor');
    await page.getByRole('button', { name: 'Erase member' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Erase this member\'s personal data' });
    await dialog.getByLabel('Reason (for example the request\'s reference)').fill('Erasure request #43');
    const sent = await graphqlRequests(page, async () => {
      for (const typed of [' ERASE', 'ERASE ']) {
        await dialog.getByLabel('Type ERASE to confirm').fill(typed);
        await dialog.getByRole('button', { name: 'Erase for good' }).click();
        await dialog.getByTestId('field-error-confirm').getByText('Type ERASE, in capitals, to confirm.').waitFor();
        await page.waitForTimeout(300);
      }
    });
    expect(sent).toEqual([]);
    expect((await h.server.sql(`select erased_at from member where external_id = 'demo-0002'`))[0].erased_at).toBeNull();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('in Chinese, and at tablet width', async () => {
    const page = await h.open(TABLET);
    await h.signIn(page);
    await page.getByTestId('language-switch').selectOption('zh-CN');
    await openMember(page, 'demo-0003', 'Chloe Martin');
    await page.getByRole('button', { name: '导出数据' }).waitFor();
    await page.getByRole('button', { name: '删除会员' }).click();
    const dialog = page.getByRole('alertdialog', { name: '删除此会员的个人数据' });
    await dialog.getByLabel('输入 ERASE 以确认').waitFor();
    expect(await overflows(page)).toBe(false);
    expect(await h.axe(page)).toEqual([]);
    await dialog.getByLabel('原因（例如请求的编号）').fill('请求 #7');
    await dialog.getByLabel('输入 ERASE 以确认').fill('ERASE');
    await dialog.getByRole('button', { name: '永久删除' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('heading', { level: 1, name: '已删除的会员' }).waitFor();
    await page.getByTestId('erased-notice').getByText('个人数据已于', { exact: false }).waitFor();
    expect(await overflows(page)).toBe(false);
    expect(await h.axe(page)).toEqual([]);
    expect(await overflowsAfterResize(page, DESKTOP)).toBe(false);
    expect(h.pageErrors(page)).toEqual([]);
  });
});
