import type { Page, Request } from 'playwright-core';
import { startConsole, TABLET, type ConsoleHarness } from './support/console';
import { adminQuery, graphqlRequests, overflows, overflowsAfterResize } from './support/page-checks';

/**
 * The Jobs page in a real browser against the demo data (programme in UTC): each daily job's
 * last scheduled run and the latest runs (rows written into job_run here, as a scheduler
 * records them: done, failed, running), "Show more", a filter by job; a job run as of a time
 * from the form after its confirmation, its result, and the server's refusal under the field;
 * English and Chinese, desktop, tablet and phone widths.
 */
let h: ConsoleHarness;
beforeAll(async () => { h = await startConsole(); }, 300_000);
afterAll(() => h?.stop());

const PHONE = { width: 390, height: 844 };
const SECRET = 'select password_hash from staff';
const DAY = 86_400_000;
/** Midnight UTC (the demo programme's zone) `days` before today's. */
const midnight = (days: number) => new Date(Math.floor(Date.now() / DAY) * DAY - days * DAY).toISOString();

async function insertRun(job: string, slot: string, result: unknown, finished = true): Promise<void> {
  await h.server.sql(`insert into job_run (job, slot, started_at, finished_at, result)
    values ($1, $2::text, $2::text::timestamptz + interval '3 seconds', case when $4 then $2::text::timestamptz + interval '9 seconds' end, $3::jsonb)`,
  [job, slot, result === null ? null : JSON.stringify(result), finished]);
}

/** The mutations' variables the page sends, by operation name. */
function sentMutations(page: Page): { name: string; variables: Record<string, unknown> }[] {
  const sent: { name: string; variables: Record<string, unknown> }[] = [];
  page.on('request', (r: Request) => {
    const body = new URL(r.url()).pathname === '/graphql' ? r.postDataJSON() as { operationName?: string; query?: string; variables?: Record<string, unknown> } | null : null;
    if (body?.query?.trimStart().startsWith('mutation')) sent.push({ name: body.operationName ?? '?', variables: body.variables ?? {} });
  });
  return sent;
}

const text = (s: string | null) => (s ?? '').replace(/\s+/g, ' ').trim();

beforeAll(async () => {
  // 24 older runs of the birthday job (two pages and a bit), then yesterday's runs: done, failed, still running.
  for (let d = 30; d > 6; d--) await insertRun('benefits.birthday', midnight(d), { processed: d, changed: 0 });
  await insertRun('points.expire', midnight(1), { processed: 4213, changed: 57 });
  await insertRun('tiers.review', midnight(1), { error: `error: syntax error at or near "from" in ${SECRET}` });
  await insertRun('retention.refresh', midnight(1), null, false);
}, 60_000);

describe('Jobs', () => {
  it('shows each job\'s last run and the latest runs, in two requests; runs a job as of a time after asking', async () => {
    const page = await h.open();
    await h.signIn(page);
    const requests = await graphqlRequests(page, async () => {
      await h.goto(page, '/jobs');
      await page.getByRole('heading', { level: 1, name: 'Jobs' }).waitFor();
      await page.getByTestId('job-runs').waitFor();
      await page.waitForLoadState('networkidle');
    });
    expect(requests.sort()).toEqual(['JobRuns', 'JobsOverview']);
    expect(text(await page.getByTestId('jobs-zone').textContent())).toContain('UTC');
    await h.screenshot(page, 'jobs');

    // The cards: one per job, in the scheduler's order, each with its last run.
    const cards = page.locator('.job-card');
    expect(await cards.locator('h3').allTextContents()).toEqual([
      'Points expiry', 'Tier review', 'Tier notices', 'Birthday gifts', 'Retention refresh', 'Campaign re-evaluation',
    ]);
    const expiry = page.locator('.job-card[data-job="points.expire"]');
    expect(await expiry.locator('dd').allTextContents()).toEqual([
      expect.stringContaining(String(new Date(midnight(1)).getUTCFullYear())), 'Done', '4,213', '57', expect.stringContaining(':00'),
    ]);
    const review = page.locator('.job-card[data-job="tiers.review"]');
    expect(await review.locator('dd').allTextContents()).toEqual([expect.any(String), 'Failed', '—', '—', expect.any(String)]);
    await review.getByText(/Why it failed is in the server's log/).waitFor();
    expect(await page.locator('.job-card[data-job="retention.refresh"] dd').allTextContents()).toEqual([expect.any(String), 'Running', '—', '—', '—']);
    expect(await page.locator('.job-card[data-job="benefits.birthday"] dd').nth(2).textContent()).toBe('7');
    await page.locator('.job-card[data-job="campaigns.reevaluate"]').getByText('No scheduled run recorded yet.').waitFor();
    expect(await page.content()).not.toContain('password_hash');

    // The latest runs, newest first: yesterday's three (by id, newest first), then the birthday job's; 20, then more.
    const table = page.getByTestId('job-runs');
    const rows = table.locator('tbody tr');
    expect(await rows.count()).toBe(20);
    expect((await rows.locator('td:nth-child(2)').allTextContents()).slice(0, 4)).toEqual([
      'Retention refresh', 'Tier review', 'Points expiry', 'Birthday gifts',
    ]);
    expect(await rows.first().locator('td').allTextContents()).toEqual([expect.any(String), 'Retention refresh', 'Running', '—', '—', expect.any(String), '—']);
    await page.getByRole('button', { name: 'Show more' }).click();
    await rows.nth(26).waitFor();
    expect(await rows.count()).toBe(27);
    expect(await page.getByRole('button', { name: 'Show more' }).count()).toBe(0);
    await page.getByTestId('jobs-filter').selectOption('tiers.review');
    await rows.first().getByText('Tier review').waitFor();
    await page.waitForLoadState('networkidle');
    expect(await rows.count()).toBe(1);
    expect(await rows.first().locator('td').nth(2).textContent()).toBe('Failed');
    expect(await overflows(page)).toBe(false);
    expect(await h.axe(page)).toEqual([]);

    // Run the points expiry as of now (the form's default), after the confirmation.
    const sent = sentMutations(page);
    const form = page.getByRole('form', { name: 'Run a job as of a time' });
    const asOf = await form.getByLabel('As of').inputValue();
    expect(asOf).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/);
    expect(Math.abs(Date.parse(`${asOf}:00Z`) - Date.now())).toBeLessThan(120_000); // now, in UTC
    await form.getByLabel('Job', { exact: true }).selectOption({ label: 'Points expiry' });
    // Cancelled: nothing sent.
    await form.getByRole('button', { name: 'Run…' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Run Points expiry?' });
    await dialog.getByText(/Points expiry runs now as of .* \(UTC\) and writes what it finds due then\./).waitFor();
    expect(await h.axe(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect(sent).toEqual([]);
    // Confirmed: run, and its result shown.
    await form.getByRole('button', { name: 'Run…' }).click();
    await dialog.getByRole('button', { name: 'Run it' }).click();
    const result = page.getByTestId('job-result');
    await result.waitFor();
    expect(sent).toEqual([{ name: 'RunExpirePoints', variables: { asOf: `${asOf}:00.000Z` } }]);
    const m = /^Points expiry as of (.+): ([\d,]+) processed, ([\d,]+) changed\.$/.exec(text(await result.textContent()));
    expect(m).not.toBeNull();
    // The page's run did the work: the same run again as of the same time changes nothing.
    const again = await adminQuery<{ expirePoints: { processed: number; changed: number } }>(h,
      'mutation($a: DateTime!) { expirePoints(asOf: $a) { processed changed } }', { a: `${asOf}:00.000Z` });
    expect(again.expirePoints.changed).toBe(0);

    // A time the server refuses (a day ahead): its message under the field; an empty one: the console's.
    const ahead = new Date(Date.now() + DAY).toISOString().slice(0, 16);
    await form.getByLabel('As of').fill(ahead);
    await form.getByLabel('Job', { exact: true }).selectOption({ label: 'Tier review' });
    await form.getByRole('button', { name: 'Run…' }).click();
    await page.getByRole('alertdialog', { name: 'Run Tier review?' }).getByRole('button', { name: 'Run it' }).click();
    await page.getByTestId('field-error-asOf').getByText(/more than 5 minutes in the future/).waitFor();
    expect(await form.getByLabel('As of').getAttribute('aria-invalid')).toBe('true');
    expect(sent.map((s) => s.name)).toEqual(['RunExpirePoints', 'RunTierReview']);
    expect(await result.count()).toBe(0);
    await form.getByLabel('As of').fill('');
    await form.getByRole('button', { name: 'Run…' }).click();
    await page.getByTestId('field-error-asOf').getByText('Enter a date and time.').waitFor();
    expect(sent).toHaveLength(2);
    expect(await h.axe(page)).toEqual([]);
    expect(h.pageErrors(page)).toEqual([]);
  }, 120_000);

  it('in Chinese: labels, a run and its result; fits at tablet and phone width', async () => {
    const page = await h.open(TABLET);
    await h.signIn(page);
    await page.getByTestId('language-switch').selectOption('zh-CN');
    await h.goto(page, '/jobs');
    await page.getByRole('heading', { level: 1, name: '定时任务' }).waitFor();
    await page.getByRole('navigation', { name: '控制台页面' }).getByRole('link', { name: '定时任务' }).waitFor();
    await page.getByRole('heading', { level: 2, name: '每日任务' }).waitFor();
    expect(await page.locator('.job-card h3').first().textContent()).toBe('积分过期');
    expect(await page.locator('.job-card[data-job="tiers.review"] .badge').textContent()).toBe('失败');
    await page.getByTestId('job-runs').locator('tbody tr').first().getByText('留存指标刷新').waitFor();
    expect(await overflows(page)).toBe(false);
    expect(await h.axe(page)).toEqual([]);

    const form = page.getByRole('form', { name: '按指定时间运行任务' });
    await form.getByLabel('任务', { exact: true }).selectOption({ label: '生日礼' });
    await form.getByRole('button', { name: '运行…' }).click();
    await page.getByRole('alertdialog', { name: '运行“生日礼”？' }).getByRole('button', { name: '运行', exact: true }).click();
    const result = page.getByTestId('job-result');
    await result.waitFor();
    expect(text(await result.textContent())).toMatch(/^“生日礼”截至 .+：处理 [\d,]+，变更 [\d,]+。$/);
    expect(await overflowsAfterResize(page, PHONE)).toBe(false);
    expect(await h.axe(page)).toEqual([]);
    expect(h.pageErrors(page)).toEqual([]);
  }, 120_000);
});
