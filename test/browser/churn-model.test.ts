import { networkQuiet, startConsole, TABLET, type ConsoleHarness } from './support/console';
import { adminQuery, graphqlRequests, overflows } from './support/page-checks';
import { canvasPixelsOver } from './support/canvas';

/**
 * The Churn model page in a real browser against the demo data (its analytics refreshed at
 * seeding): one GraphQL request; which score churnRisk holds (ChurnModel.method) and the
 * backtest of that score beside the naive ranking by days since the last purchase, as the API
 * gives them, in a table and a bar chart drawn in both series' colours; Chinese at tablet width.
 */
let h: ConsoleHarness;
beforeAll(async () => {
  h = await startConsole();
}, 300_000);
afterAll(() => h?.stop());

/** OURS and NAIVE of admin/src/pages/churn/ChurnModelPage.tsx. */
const BLUE: [number, number, number] = [0x1d, 0x4e, 0xd8];
const GREY: [number, number, number] = [0x8a, 0x94, 0xa3];

interface Model { method: string; ks: number | null; gini: number | null; recencyKs: number | null; recencyGini: number | null }
const apiModel = () => adminQuery<{ churnModel: Model | null }>(h, '{ churnModel { method ks gini recencyKs recencyGini } }').then((d) => d.churnModel);
const fmt = (x: number | null) => (x == null ? '—' : x.toLocaleString('en-GB', { maximumFractionDigits: 3 }));

describe('Churn model', () => {
  it('shows the score in use and its backtest beside the naive ranking, in one request', async () => {
    const model = await apiModel();
    // The demo data has enough history for both backtests: the page must show numbers, not dashes.
    expect(model).not.toBeNull();
    expect(model!.ks).not.toBeNull();
    expect(model!.recencyKs).not.toBeNull();
    const page = await h.open();
    await h.signIn(page);
    // The dashboard signed in to has asked for its data (a busy machine may be slow to start it).
    await page.getByTestId('total-members').waitFor();
    await networkQuiet(page);
    const requests = await graphqlRequests(page, async () => {
      await page.getByRole('navigation', { name: 'Console pages' }).getByRole('link', { name: 'Churn model' }).click();
      await page.getByRole('heading', { level: 1, name: 'Churn model' }).waitFor();
      await page.getByTestId('churn-backtest-table').waitFor();
      await page.waitForLoadState('networkidle');
    });
    expect(requests).toEqual(['ChurnModelPage']);

    const methodName = {
      BG_NBD: 'BG/NBD (beta-geometric / negative binomial)',
      LOGISTIC: 'Supervised classifier (logistic regression)',
      RECENCY: 'Recency, calibrated (days since the last purchase as a probability)',
    }[model!.method];
    expect(await page.getByTestId('churn-method').textContent()).toBe(`Churn risk holds: ${methodName}`);
    const ours = page.getByTestId('churn-ours');
    const naive = page.getByTestId('churn-naive');
    expect(await ours.locator('th').textContent()).toBe(`Our score (${methodName})`);
    expect(await ours.locator('td').allTextContents()).toEqual([fmt(model!.ks), fmt(model!.gini)]);
    expect(await naive.locator('th').textContent()).toBe('Naive: days since the last purchase');
    expect(await naive.locator('td').allTextContents()).toEqual([fmt(model!.recencyKs), fmt(model!.recencyGini)]);
    // The verdict follows the figures.
    const better = model!.ks! >= model!.recencyKs! && model!.gini! >= model!.recencyGini! && (model!.ks! > model!.recencyKs! || model!.gini! > model!.recencyGini!);
    const worse = model!.ks! <= model!.recencyKs! && model!.gini! <= model!.recencyGini! && !better && (model!.ks! < model!.recencyKs! || model!.gini! < model!.recencyGini!);
    expect(await page.getByTestId('churn-verdict').textContent()).toMatch(better ? /ranks better/ : worse ? /ranks worse/ : /no clear improvement/);

    // Both series are drawn (bars of each colour, not only axes).
    await page.getByTestId('chart-churn-backtest').locator('canvas').first().waitFor();
    expect(await canvasPixelsOver(page, 'chart-churn-backtest', BLUE, 300)).toBeGreaterThan(300);
    expect(await canvasPixelsOver(page, 'chart-churn-backtest', GREY, 300)).toBeGreaterThan(300);
    expect(await page.getByRole('img', { name: /^Bar chart: K-S and Gini of our churn score/ }).count()).toBe(1);
    // What the numbers mean, in words.
    await page.getByRole('heading', { level: 2, name: 'What the numbers mean' }).waitFor();
    expect(await h.axe(page)).toEqual([]);
    await h.screenshot(page, 'churn-model');
    expect(await overflows(page)).toBe(false);
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('in Chinese, at tablet width', async () => {
    const page = await h.open(TABLET);
    await h.signIn(page);
    await page.getByTestId('language-switch').selectOption('zh-CN');
    await h.goto(page, '/churn-model');
    for (const heading of ['当前使用的评分', '与朴素排序的回测对比', '这些数字的含义']) {
      await page.getByRole('heading', { level: 2, name: heading, exact: true }).waitFor();
    }
    expect(await page.getByTestId('churn-naive').locator('th').textContent()).toBe('朴素排序：距上次购买天数');
    await page.getByTestId('chart-churn-backtest').locator('canvas').first().waitFor();
    expect(await canvasPixelsOver(page, 'chart-churn-backtest', BLUE, 200)).toBeGreaterThan(200);
    expect(await overflows(page)).toBe(false);
    expect(await h.axe(page)).toEqual([]);
    expect(h.pageErrors(page)).toEqual([]);
  });
});
