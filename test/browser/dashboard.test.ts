import type { Page } from 'playwright-core';
import { DESKTOP, startConsole, TABLET, type ConsoleHarness } from './support/console';
import { adminQuery, graphqlRequests, overflows, overflowsAfterResize } from './support/page-checks';
import { canvasPixels, canvasPixelsOver } from './support/canvas';

/**
 * The Dashboard in a real browser against the demo data: its data in two GraphQL requests, the
 * figures the API gives, every chart drawn with its data (pixels of the series' own colours on
 * the canvas, not only axes), the date range (a new range is one request; a refused one shows
 * the server's message next to its field), Chinese labels, axe-core, 1280×800 and tablet width.
 */
let h: ConsoleHarness;
beforeAll(async () => {
  h = await startConsole();
}, 300_000);
afterAll(() => h?.stop());

/** The palette of admin/src/pages/dashboard/charts.ts, as [r, g, b]. */
const BLUE: [number, number, number] = [0x1d, 0x4e, 0xd8];
const TEAL: [number, number, number] = [0x0e, 0x74, 0x90];
const GREEN: [number, number, number] = [0x06, 0x76, 0x47];
const RED: [number, number, number] = [0xb4, 0x23, 0x18];

const CHARTS = ['chart-by-tier', 'chart-by-stage', 'chart-points-flow', 'chart-growth', 'chart-transitions'];

async function waitForCharts(page: Page): Promise<void> {
  // ECharts animates the first draw (about a second): what is asserted of a chart's pixels then
  // waits for them (canvasPixelsOver), not for a pause.
  for (const id of CHARTS) await page.getByTestId(id).locator('canvas').first().waitFor();
}


describe('Dashboard', () => {
  it('loads in two GraphQL requests and shows the API\'s figures', async () => {
    const page = await h.open();
    await h.signIn(page);
    // Signing in lands on the dashboard; once it has drawn, a fresh load is counted.
    await waitForCharts(page);
    const requests = await graphqlRequests(page, async () => {
      await page.reload();
      await waitForCharts(page);
      await page.waitForLoadState('networkidle');
    });
    expect(requests.sort()).toEqual(['DashboardSeries', 'DashboardSummary']);
    const { programStats, winBackCandidates, churnModel } = await adminQuery<{
      programStats: { members: number; pointsLiability: number; pendingPoints: number; expiringPoints: number; byRfmSegment: { segment: string; count: number }[] };
      winBackCandidates: { displayName: string }[];
      churnModel: { ks: number | null; gini: number | null } | null;
    }>(h, `{ programStats { members pointsLiability pendingPoints expiringPoints(withinDays: 30) byRfmSegment { segment count } }
          winBackCandidates(first: 20) { displayName } churnModel { ks gini } }`);
    const shown = async (id: string) => Number((await page.getByTestId(id).textContent())!.replace(/[^\d-]/g, ''));
    expect(programStats.members).toBe(200);
    expect(await shown('total-members')).toBe(programStats.members);
    expect(await shown('points-outstanding')).toBe(programStats.pointsLiability);
    expect(await shown('points-pending')).toBe(programStats.pendingPoints);
    expect(await shown('points-expiring')).toBe(programStats.expiringPoints);
    // The eight RFM cells, each with the API's count.
    expect(programStats.byRfmSegment).toHaveLength(8);
    for (const cell of programStats.byRfmSegment) expect(await shown(`rfm-${cell.segment}`)).toBe(cell.count);
    // The churn model's backtest.
    expect(churnModel?.ks).not.toBeNull();
    expect(await page.getByTestId('churn-ks').textContent()).toBe(churnModel!.ks!.toLocaleString('en-GB', { maximumFractionDigits: 3 }));
    expect(await page.getByTestId('churn-gini').textContent()).toBe(churnModel!.gini!.toLocaleString('en-GB', { maximumFractionDigits: 3 }));
    // The win-back list, in the API's order, each a link to the member.
    expect(winBackCandidates.length).toBeGreaterThan(0);
    expect(await page.getByTestId('win-back').locator('tbody tr td:first-child').allTextContents()).toEqual(winBackCandidates.map((m) => m.displayName));
    expect(await page.getByTestId('win-back').getByRole('link').first().getAttribute('href')).toMatch(/^\/admin\/members\/.+/);
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('draws every chart with its data', async () => {
    const page = await h.open();
    await h.signIn(page);
    await h.goto(page, '/dashboard');
    await waitForCharts(page);
    // Bars in the series' colours: the charts have data, not only axes.
    expect(await canvasPixelsOver(page, 'chart-by-tier', BLUE, 500)).toBeGreaterThan(500);
    expect(await canvasPixelsOver(page, 'chart-by-stage', TEAL, 500)).toBeGreaterThan(500);
    expect(await canvasPixelsOver(page, 'chart-points-flow', GREEN, 200)).toBeGreaterThan(200);
    expect(await canvasPixelsOver(page, 'chart-growth', TEAL, 200)).toBeGreaterThan(200);
    expect(await canvasPixelsOver(page, 'chart-growth', RED, 50)).toBeGreaterThan(50);
    // The heatmap: cells in shades of blue above the colour scale (the scale is drawn at the bottom whatever the data).
    expect(await canvasPixelsOver(page, 'chart-transitions', 'blueish', 500, { top: 0, bottom: 0.75 })).toBeGreaterThan(500);
    await h.screenshot(page, 'dashboard');
    // Each chart says what it shows.
    expect(await page.getByRole('img', { name: /^Heatmap: lifecycle stage moves/ }).count()).toBe(1);
    expect(await h.axe(page)).toEqual([]);
    expect(await overflows(page)).toBe(false);
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('a date range is one request; the server\'s refusal is shown next to its field', async () => {
    const page = await h.open();
    await h.signIn(page);
    await h.goto(page, '/dashboard');
    await waitForCharts(page);
    // The default: the last 12 months, this one included.
    const now = new Date();
    const month = (d: Date) => `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
    expect(await page.getByLabel('To month').inputValue()).toBe(month(now));
    expect(await page.getByLabel('From month').inputValue()).toBe(month(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 11, 1))));

    const from = month(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 5, 1)));
    const requests = await graphqlRequests(page, async () => {
      await page.getByLabel('From month').fill(from);
      await page.getByLabel('From month').press('Enter');
      await page.waitForURL(`**/admin/dashboard?from=${from}&to=${month(now)}`);
      await page.waitForLoadState('networkidle');
    });
    expect(requests).toEqual(['DashboardSeries']);
    await page.waitForTimeout(1200);
    expect(await canvasPixels(page, 'chart-points-flow', GREEN)).toBeGreaterThan(200);

    // The last month before the first: the console says so next to "To month".
    await page.getByLabel('To month').fill('2020-01');
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    await page.getByTestId('field-error-to').getByText('The last month comes before the first.').waitFor();
    // Ranges the server refuses: its own words, next to the field it names.
    await page.getByLabel('From month').fill('1900-01');
    await page.getByLabel('To month').fill('1990-01');
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    await page.getByTestId('field-error-from').getByText('from must not be before 1970-01-01').waitFor();
    expect(await page.getByTestId('field-error-to').count()).toBe(0);
    await page.getByLabel('From month').fill('1970-01');
    await page.getByLabel('To month').fill('2200-01');
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    const error = page.getByTestId('field-error-to');
    await error.getByText(/growth covers at most 1200 months/).waitFor();
    expect(await page.getByLabel('To month').getAttribute('aria-invalid')).toBe('true');
    expect(await h.axe(page)).toEqual([]);
  });

  it('a link whose range ends before it starts says so next to "To month", and asks for no series; in both languages', async () => {
    const page = await h.open();
    await h.signIn(page);
    const requests = await graphqlRequests(page, async () => {
      await h.goto(page, '/dashboard?from=2026-12&to=2026-01');
      await page.getByTestId('field-error-to').getByText('The last month comes before the first.').waitFor();
      await page.waitForLoadState('networkidle');
    });
    expect(requests).toEqual(['DashboardSummary']);
    // Once, next to its field: not in the form's alert as well (found by an outside audit).
    expect(await page.getByText('The last month comes before the first.').count()).toBe(1);
    expect(await page.getByLabel('From month').inputValue()).toBe('2026-12');
    expect(await page.getByLabel('To month').inputValue()).toBe('2026-01');
    expect(await page.getByLabel('To month').getAttribute('aria-invalid')).toBe('true');
    // Corrected in the form: the series come.
    await page.getByLabel('To month').fill('2027-01');
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    await page.waitForURL('**/admin/dashboard?from=2026-12&to=2027-01');
    await page.getByTestId('chart-points-flow').waitFor();
    expect(await page.getByTestId('field-error-to').count()).toBe(0);

    await page.getByTestId('language-switch').selectOption('zh-CN');
    await h.goto(page, '/dashboard?from=2026-12&to=2026-01');
    await page.getByTestId('field-error-to').getByText('结束月份早于起始月份。').waitFor();
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('in Chinese, and at tablet width', async () => {
    const page = await h.open(TABLET);
    await h.signIn(page);
    await page.getByTestId('language-switch').selectOption('zh-CN');
    await h.goto(page, '/dashboard');
    for (const heading of ['各等级会员数', '各生命周期阶段会员数', '按月趋势', 'RFM 八类会员', '流失模型', '挽回名单']) {
      await page.getByRole('heading', { level: 2, name: heading, exact: true }).waitFor();
    }
    await waitForCharts(page);
    expect(await canvasPixelsOver(page, 'chart-growth', TEAL, 200)).toBeGreaterThan(200);
    expect(await overflows(page)).toBe(false);
    expect(await h.axe(page)).toEqual([]);
    expect(await overflowsAfterResize(page, DESKTOP)).toBe(false);
  });
});
