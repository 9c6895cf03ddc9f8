import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { DESKTOP, startConsole, TABLET, type ConsoleHarness } from './support/console';
import { adminQuery, graphqlRequests, inProgrammeZone, overflows, overflowsAfterResize } from './support/page-checks';
import { canvasPixels } from './support/canvas';

/**
 * The Segments page in a real browser against the demo data: build a filter (keyboard and
 * mouse) and see the server's live size (one debounced request per change) and the TGI chart
 * drawn; the server's message next to the field it names; members paged; save by name; the
 * CSV download with the token; open a saved segment in the builder; Chinese, tablet width, axe.
 */
let h: ConsoleHarness;
beforeAll(async () => {
  h = await startConsole();
}, 300_000);
afterAll(() => h?.stop());

const sizeOf = (filter: Record<string, unknown>) =>
  adminQuery<{ segmentPreview: { size: number } }>(h, 'query($f: SegmentFilterInput!) { segmentPreview(filter: $f) { size } }', { f: filter }).then((d) => d.segmentPreview.size);

const BLUE: [number, number, number] = [0x1d, 0x4e, 0xd8];
const AMBER: [number, number, number] = [0xb5, 0x47, 0x08];

async function openSegments(page: Page): Promise<void> {
  await h.goto(page, '/segments');
  await page.getByTestId('filter-builder').waitFor();
  await page.getByTestId('segment-size').getByText('200 members').waitFor();
}

/** Waits until the live size shows `count` members and nothing is pending. */
async function sizeShown(page: Page, count: number): Promise<void> {
  await page.getByTestId('segment-size').getByText(`${count.toLocaleString('en-GB')} members`, { exact: true }).waitFor();
  await page.locator('.live-size:not([aria-busy])').waitFor();
}


describe('Segments', () => {
  it('builds a segment: its live size from the server (one request per change) and its TGI chart drawn', async () => {
    const page = await h.open();
    await h.signIn(page);
    await openSegments(page);
    const builder = page.getByTestId('filter-builder');
    const stages = builder.getByRole('group', { name: 'Lifecycle stages' });
    // Two quick changes (keyboard: Space on a focused checkbox) are one request (debounced).
    // "Quick" is the page's time, not the machine's: its clock stands still between the two
    // changes (a loaded machine can take longer than the debounce between two actions).
    await page.clock.install();
    const requests = await graphqlRequests(page, async () => {
      await page.clock.pauseAt(Date.now() + 1000);
      await stages.getByLabel('At risk').focus();
      await page.keyboard.press('Space');
      await stages.getByLabel('Dormant').check();
      await page.clock.resume();
      await sizeShown(page, await sizeOf({ stages: ['AT_RISK', 'DORMANT'] }));
    });
    expect(requests).toEqual(['SegmentPreview']);
    expect(await stages.getByLabel('At risk').isChecked()).toBe(true);

    // More conditions: a tier and a tag rule.
    await builder.getByRole('group', { name: 'Tiers' }).getByLabel('Bronze').check();
    await builder.getByLabel('Coffee lover').selectOption({ label: 'Must not have' });
    const size = await sizeOf({ stages: ['AT_RISK', 'DORMANT'], tierCodes: ['BRONZE'], tagsNone: ['coffee_lover'] });
    expect(size).toBeGreaterThan(0);
    expect(size).toBeLessThan(200);
    await sizeShown(page, size);

    // The TGI profile by tier: the segment is all Bronze (TGI above 100: blue), the other tiers none (amber, or no bar).
    await page.waitForTimeout(1200); // ECharts' first-draw animation
    expect(await canvasPixels(page, 'chart-tgi', BLUE)).toBeGreaterThan(300);
    // Another dimension: the stages, where the chosen ones over-index and the others are absent.
    await page.getByLabel('Compare by').selectOption({ label: 'Lifecycle stage' });
    await page.waitForTimeout(1200);
    expect(await canvasPixels(page, 'chart-tgi', BLUE)).toBeGreaterThan(300);
    await page.getByLabel('Compare by').selectOption({ label: 'Region' });
    await page.waitForTimeout(1200);
    expect((await canvasPixels(page, 'chart-tgi', BLUE)) + (await canvasPixels(page, 'chart-tgi', AMBER))).toBeGreaterThan(300);
    expect(await page.getByRole('img', { name: /^Bar chart: TGI of the segment by Region/ }).count()).toBe(1);

    // Its members: the first page, each in the segment.
    const rows = page.getByTestId('segment-members').locator('tbody tr');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(Math.min(20, size));
    for (const stage of await rows.locator('td:nth-child(4)').allTextContents()) expect(['At risk', 'Dormant']).toContain(stage);
    for (const tier of await rows.locator('td:nth-child(3)').allTextContents()) expect(tier).toBe('Bronze');

    await page.getByTestId('profile-dimension').selectOption('tier');
    await page.waitForTimeout(1200);
    expect(await h.axe(page)).toEqual([]);
    await h.screenshot(page, 'segments');
    expect(await overflows(page)).toBe(false);
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('shows the server\'s message next to the field it names', async () => {
    const page = await h.open();
    await h.signIn(page);
    await openSegments(page);
    const minR = page.getByLabel('Recency score at least (1–5)');
    await minR.fill('7');
    const error = page.getByTestId('field-error-minR');
    await error.waitFor();
    // The console's sentence, then the server's words (BAD_USER_INPUT, extensions.field = "minR").
    expect(await error.textContent()).toBe('The server did not accept this input. (minR must not be greater than 5)');
    expect(await minR.getAttribute('aria-invalid')).toBe('true');
    await page.getByTestId('segment-size').getByText('The filter cannot be used: see the message next to the field.').waitFor();
    expect(await h.axe(page)).toEqual([]);
    // Saved as it is: refused, the message still once, under its field; the save form's alert
    // says to correct it (no raw field name of the server's there), and nothing is saved.
    const segmentsBefore = await adminQuery(h, '{ segments { id } }');
    await page.getByLabel('Segment name').fill('Impossible');
    await page.getByRole('button', { name: 'Save the segment' }).click();
    const alert = page.locator('.save-form .form-alert');
    await alert.getByText('Correct the conditions marked with a message.', { exact: true }).waitFor();
    expect(await alert.textContent()).toBe('Correct the conditions marked with a message.');
    expect(await page.getByText('minR must not be greater than 5', { exact: false }).count()).toBe(1);
    expect(await adminQuery(h, '{ segments { id } }')).toEqual(segmentsBefore);
    // Corrected, the size comes back.
    await minR.fill('4');
    await sizeShown(page, await sizeOf({ minR: 4 }));
    expect(await error.count()).toBe(0);
  });

  it('marks a whole-number condition beyond the API\'s Int under its field, in the console\'s words, and sends nothing', async () => {
    const page = await h.open();
    await h.signIn(page);
    await openSegments(page);
    const sent = await graphqlRequests(page, async () => {
      await page.getByLabel('Balance at least').fill('3000000000');
      await page.getByTestId('field-error-minBalance').getByText('Enter a whole number, such as 30 (at most 2,147,483,647).').waitFor();
      await page.getByTestId('segment-size').getByText('The filter cannot be used: see the message next to the field.').waitFor();
      await page.getByLabel('Segment name').fill('Too rich');
      await page.getByRole('button', { name: 'Save the segment' }).click();
      await page.locator('.save-form .form-alert').getByText('Correct the conditions marked with a message.', { exact: true }).waitFor();
    });
    expect(sent.filter((op) => op === 'SegmentPreview' || op === 'SaveSegment')).toEqual([]);
    expect(await page.getByText('Int cannot represent', { exact: false }).count()).toBe(0);
  });

  it('pages the members', async () => {
    const page = await h.open();
    await h.signIn(page);
    await openSegments(page);
    await page.getByRole('group', { name: 'Tiers' }).getByLabel('Bronze').check();
    const size = await sizeOf({ tierCodes: ['BRONZE'] });
    expect(size).toBeGreaterThan(20);
    await sizeShown(page, size);
    const pager = page.getByRole('navigation', { name: 'Members: pages' });
    await pager.getByText(`${size} in all`, { exact: false }).waitFor();
    const firstPage = await page.getByTestId('segment-members').locator('tbody td:first-child').allTextContents();
    const requests = await graphqlRequests(page, async () => {
      await pager.getByRole('button', { name: 'Next' }).click();
      await pager.getByText('Page 2').waitFor();
      await page.waitForLoadState('networkidle');
    });
    expect(requests).toEqual(['SegmentPreviewMembers']);
    const secondPage = await page.getByTestId('segment-members').locator('tbody td:first-child').allTextContents();
    expect(secondPage.length).toBe(Math.min(20, size - 20));
    expect(secondPage.filter((n) => firstPage.includes(n))).toEqual([]);
    await pager.getByRole('button', { name: 'Previous' }).click();
    await pager.getByText('Page 1').waitFor();
    expect(await page.getByTestId('segment-members').locator('tbody td:first-child').allTextContents()).toEqual(firstPage);
  });

  it('saves the segment by name and downloads it as CSV (with the token)', async () => {
    const page = await h.open();
    await h.signIn(page);
    await openSegments(page);
    await page.getByRole('group', { name: 'RFM cells' }).getByLabel('Important value').check();
    await page.getByRole('group', { name: 'Region' }).getByLabel('North').check();
    const size = await sizeOf({ rfmSegments: ['IMPORTANT_VALUE'], regions: ['North'] });
    await sizeShown(page, size);

    // A name is required: the server says so next to the field.
    await page.getByRole('button', { name: 'Save the segment' }).click();
    await page.getByTestId('field-error-name').getByText(/name must not be blank: it needs a visible character/).waitFor();
    expect(await page.getByLabel('Segment name').getAttribute('aria-invalid')).toBe('true');
    await page.getByLabel('Segment name').fill('Northern champions');
    await page.getByRole('button', { name: 'Save the segment' }).click();
    await page.getByTestId('segment-saved').getByText('Saved “Northern champions”.').waitFor();
    const saved = page.getByTestId('saved-segments');
    const row = saved.locator('tr', { has: page.getByRole('rowheader', { name: 'Northern champions' }) });
    await row.waitFor();
    expect((await row.locator('td').first().textContent())?.trim()).toBe(String(size));
    const { segments } = await adminQuery<{ segments: { name: string; filter: { rfmSegments: string[]; regions: string[] } }[] }>(h, '{ segments { name filter { rfmSegments regions } } }');
    expect(segments.find((s) => s.name === 'Northern champions')?.filter).toEqual({ rfmSegments: ['IMPORTANT_VALUE'], regions: ['North'] });

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      row.getByRole('button', { name: 'Download CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('Northern-champions.csv');
    const csv = readFileSync(await download.path(), 'utf8').trim().split('\n');
    expect(csv[0]).toMatch(/^id,/);
    expect(csv.length).toBe(size + 1);
    await page.getByTestId('download-message').getByText(/^Downloaded Northern champions/).waitFor();
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('opens a saved segment in the builder', async () => {
    const page = await h.open();
    await h.signIn(page);
    await openSegments(page);
    await page.getByTestId('saved-segments').locator('tr', { has: page.getByRole('rowheader', { name: 'Gold and Platinum at risk' }) })
      .getByRole('button', { name: 'Open in the builder' }).click();
    const builder = page.getByTestId('filter-builder');
    expect(await builder.getByRole('group', { name: 'Tiers' }).getByLabel('Gold').isChecked()).toBe(true);
    expect(await builder.getByRole('group', { name: 'Tiers' }).getByLabel('Platinum').isChecked()).toBe(true);
    expect(await builder.getByRole('group', { name: 'Lifecycle stages' }).getByLabel('Dormant').isChecked()).toBe(true);
    expect(await page.getByLabel('Segment name').inputValue()).toBe('Gold and Platinum at risk');
    await sizeShown(page, await sizeOf({ tierCodes: ['GOLD', 'PLATINUM'], stages: ['AT_RISK', 'DORMANT'] }));
    // Cleared, it is everyone again.
    await page.getByRole('button', { name: 'Clear the filter' }).click();
    await sizeShown(page, 200);
  });

  it('saves a segment opened and left untouched as it was: a time-of-day instant, an empty list, the lists\' order', async () => {
    const filter = { lastPurchaseFrom: '2026-06-01T16:00:00.000Z', tagsNone: [], stages: ['DORMANT', 'AT_RISK'], minSpend: 0.5 };
    await adminQuery(h, 'mutation($i: SegmentInput!) { saveSegment(input: $i) { name } }', { i: { name: 'Lapsed since June, 16:00', filter } });
    const page = await h.open();
    await h.signIn(page);
    await openSegments(page);
    await page.getByTestId('saved-segments').locator('tr', { has: page.getByRole('rowheader', { name: 'Lapsed since June, 16:00' }) })
      .getByRole('button', { name: 'Open in the builder' }).click();
    const builder = page.getByTestId('filter-builder');
    expect(await builder.getByLabel('Last purchase on or after').inputValue()).toBe('2026-06-01');
    await sizeShown(page, await sizeOf(filter));
    await page.getByRole('button', { name: 'Save the segment' }).click();
    await page.getByTestId('segment-saved').waitFor();
    const { segments } = await adminQuery<{ segments: { name: string; filter: Record<string, unknown> }[] }>(h, '{ segments { name filter { lastPurchaseFrom tagsNone stages minSpend } } }');
    expect(segments.find((x) => x.name === 'Lapsed since June, 16:00')?.filter).toEqual(filter);
    // The day shown holds a time: the builder says so.
    await builder.getByTestId('field-hint-lastPurchaseFrom').getByText('Saved at 4:00 PM of this day; a day picked here starts at midnight.').waitFor();
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('counts the date conditions in whole days of the programme\'s time zone', async () => {
    const zone = 'Asia/Shanghai';
    await inProgrammeZone(h, zone, async () => {
      const page = await h.open();
      await h.signIn(page);
      await openSegments(page);
      const builder = page.getByTestId('filter-builder');
      await builder.getByText("Dates are whole days in the programme's time zone (Asia/Shanghai).", { exact: true }).waitFor();
      const sent: unknown[] = [];
      page.on('request', (r) => {
        if (new URL(r.url()).pathname === '/graphql' && r.postDataJSON()?.operationName === 'SegmentPreview') sent.push(r.postDataJSON().variables.filter);
      });
      await builder.getByLabel('Joined on or after').fill('2026-03-10');
      await builder.getByLabel('Joined before').fill('2026-03-20');
      // Shanghai's midnights (UTC+8): 16:00 UTC the day before.
      const filter = { joinedFrom: '2026-03-09T16:00:00.000Z', joinedTo: '2026-03-19T16:00:00.000Z' };
      await sizeShown(page, await sizeOf(filter));
      expect(sent[sent.length - 1]).toEqual(filter);
      expect(sent.filter((f) => JSON.stringify(f).includes('T00:00:00.000Z'))).toEqual([]);
      // Saved, and opened again: the same days.
      await page.getByLabel('Segment name').fill('Joined in March, Shanghai days');
      await page.getByRole('button', { name: 'Save the segment' }).click();
      await page.getByTestId('segment-saved').waitFor();
      const { segments } = await adminQuery<{ segments: { name: string; filter: { joinedFrom: string; joinedTo: string } }[] }>(h, '{ segments { name filter { joinedFrom joinedTo } } }');
      expect(segments.find((x) => x.name === 'Joined in March, Shanghai days')?.filter).toEqual(filter);
      await page.getByRole('button', { name: 'Clear the filter' }).click();
      await sizeShown(page, 200);
      await page.getByTestId('saved-segments').locator('tr', { has: page.getByRole('rowheader', { name: 'Joined in March, Shanghai days' }) })
        .getByRole('button', { name: 'Open in the builder' }).click();
      expect(await builder.getByLabel('Joined on or after').inputValue()).toBe('2026-03-10');
      expect(await builder.getByLabel('Joined before').inputValue()).toBe('2026-03-20');
      expect(h.pageErrors(page)).toEqual([]);
    });
  });

  it('in Chinese, and at tablet width', async () => {
    const page = await h.open(TABLET);
    await h.signIn(page);
    await page.getByTestId('language-switch').selectOption('zh-CN');
    await h.goto(page, '/segments');
    for (const heading of ['筛选条件', '实时人数', 'TGI 画像', '会员', '已保存的分组']) {
      await page.getByRole('heading', { level: 2, name: heading, exact: true }).waitFor();
    }
    await page.getByTestId('segment-size').getByText('200 位会员').waitFor();
    await page.getByRole('group', { name: '生命周期阶段' }).getByLabel('活跃', { exact: true }).check();
    await page.getByTestId('segment-size').getByText(`${await sizeOf({ stages: ['ACTIVE'] })} 位会员`).waitFor();
    await page.waitForTimeout(1200);
    expect(await canvasPixels(page, 'chart-tgi', BLUE)).toBeGreaterThan(300);
    expect(await overflows(page)).toBe(false);
    expect(await h.axe(page)).toEqual([]);
    expect(await overflowsAfterResize(page, DESKTOP)).toBe(false);
  });
});
