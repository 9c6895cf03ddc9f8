import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../support/wait';
import { startConsole, TABLET, type ConsoleHarness } from './support/console';
import { graphqlRequests, overflows } from './support/page-checks';

/**
 * The Imports page in a real browser against the demo data: upload a members file (CSV) and a
 * purchases file (NDJSON, history mode), the job's progress until it ends, its rejected lines
 * paged by line; axe-core; Chinese at tablet width, the server's reasons in Chinese too.
 */
let h: ConsoleHarness;
let dir: string;
beforeAll(async () => {
  h = await startConsole();
  dir = mkdtempSync(join(tmpdir(), 'console-imports-'));
}, 300_000);
afterAll(() => h?.stop());

describe('Imports', () => {
  it('uploads a members file, follows the job and pages its rejected lines', async () => {
    const lines = ['externalId,displayName,pointsBalance', 'ui-1,Ui One,100'];
    // 25 bad lines (no externalId): two pages of rejected lines.
    for (let i = 0; i < 25; i++) lines.push(`,Nobody ${i},`);
    const file = join(dir, 'members.csv');
    writeFileSync(file, lines.join('\n') + '\n');

    const page = await h.open();
    await h.signIn(page);
    await page.waitForLoadState('networkidle'); // the dashboard signing in leads to has loaded
    const requests = await graphqlRequests(page, async () => {
      await h.goto(page, '/imports');
      await page.getByRole('heading', { level: 2, name: 'Upload a file' }).waitFor();
      await page.waitForLoadState('networkidle');
    });
    expect(requests).toEqual(['ImportJobs']);
    expect(await h.axe(page)).toEqual([]);

    const form = page.getByRole('form', { name: 'Upload a file' });
    // Without a file: the form says so, under the field.
    await form.getByRole('button', { name: 'Upload and import' }).click();
    await page.getByTestId('field-error-file').getByText('Choose a file to import.').waitFor();
    await form.getByLabel('File', { exact: true }).setInputFiles(file);
    await form.getByRole('button', { name: 'Upload and import' }).click();
    const progress = page.getByTestId('import-progress');
    await progress.getByText('Succeeded').waitFor({ timeout: 30_000 });
    expect(await progress.locator('dd').allTextContents()).toEqual(['Succeeded', '1', '25', expect.any(String)]);
    const errors = page.getByTestId('import-errors');
    expect(await errors.locator('tbody tr td:first-child').allTextContents()).toEqual(Array.from({ length: 20 }, (_, i) => String(i + 3)));
    expect(await errors.locator('tbody tr td:nth-child(2)').first().textContent()).toBe('externalId is required');
    await page.getByRole('button', { name: 'Next' }).click();
    await errors.locator('tbody tr td:first-child').first().getByText('23').waitFor();
    expect(await errors.locator('tbody tr td:first-child').allTextContents()).toEqual(['23', '24', '25', '26', '27']);
    await page.getByRole('button', { name: 'Previous' }).click();
    await errors.locator('tbody tr td:first-child').first().getByText('3').waitFor();
    // The job is in the list, and the member is in.
    await page.getByTestId('import-jobs').locator('tbody tr').first().getByText('Succeeded').waitFor();
    const m = await h.server.sql(`select a.balance from member m join point_account a on a.member_id = m.id where m.external_id = 'ui-1'`);
    expect(m).toEqual([{ balance: 100 }]);
    expect(await overflows(page)).toBe(false);
    expect(await h.axe(page)).toEqual([]);
    await h.screenshot(page, 'imports');
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('uploads purchases as NDJSON in history mode; a refused upload shows the server\'s reason', async () => {
    const file = join(dir, 'orders.ndjson');
    writeFileSync(file, [
      JSON.stringify({ orderId: 'ui-order-1', externalId: 'demo-0002', amount: '12.50', occurredAt: '2025-06-01T10:00:00Z' }),
      JSON.stringify({ orderId: 'ui-order-2', externalId: 'nobody', amount: 3, occurredAt: '2025-06-01T10:00:00Z' }),
    ].join('\n'));
    const empty = join(dir, 'empty.csv');
    writeFileSync(empty, '');
    const page = await h.open();
    await h.signIn(page);
    await h.goto(page, '/imports');
    const form = page.getByRole('form', { name: 'Upload a file' });
    await form.getByLabel('What the file holds').selectOption('purchases');
    await form.getByLabel('Mode').selectOption('history');
    await form.getByLabel('File', { exact: true }).setInputFiles(empty);
    await form.getByRole('button', { name: 'Upload and import' }).click();
    await form.getByText(/The file is empty/).waitFor();
    await form.getByLabel('File', { exact: true }).setInputFiles(file);
    await form.getByRole('button', { name: 'Upload and import' }).click();
    const progress = page.getByTestId('import-progress');
    await progress.getByText('Succeeded').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('import-errors').locator('tbody tr td').allTextContents()).toEqual(['2', 'No member has externalId nobody']);
    expect(await h.server.sql(`select source from purchase where order_id = 'ui-order-1'`)).toEqual([{ source: 'import' }]);
    // The list names the job's mode beside its kind.
    await page.getByTestId('import-jobs').locator('tbody tr').first().getByText('Purchases · History (no points)').waitFor();
    // The refused upload left no job (a refused write changes nothing).
    expect(await page.locator('table tbody tr').filter({ hasText: 'Failed' }).count()).toBe(0);
    // A job that failed (here one cut off, as the server marks it) says why on its page.
    await h.server.sql(`insert into import_job (id, kind, format, actor, status, phase, failure, finished_at)
      values (gen_random_uuid(), 'MEMBERS', 'csv', 'admin:dev-admin', 'FAILED', 'DONE', 'The upload did not complete', now())`);
    await h.goto(page, '/imports');
    const failedRow = page.locator('table tbody tr').filter({ hasText: 'Failed' }).first();
    await failedRow.getByRole('button').click();
    await page.getByTestId('import-failure').getByText('Why it failed: The upload did not complete', { exact: false }).waitFor();
    // The refused upload's 400, as the browser logs it; nothing else.
    expect(h.pageErrors(page)).toEqual(['console: Failed to load resource: the server responded with a status of 400 (Bad Request)']);
  });

  it('an upload whose answer was lost says the file may have been taken and lists the job the server made; a bare 503 says the server is briefly away', async () => {
    const file = join(dir, 'lost-answer.csv');
    writeFileSync(file, 'externalId,displayName\nlost-answer-1,Lost Answer\n');
    const page = await h.open();
    await h.signIn(page);
    await h.goto(page, '/imports');
    const form = page.getByRole('form', { name: 'Upload a file' });
    await form.waitFor();
    const jobsBefore = await page.getByTestId('import-jobs').locator('tbody tr').count();
    // A proxy's 503 without a body: briefly away, not "refused".
    await page.route('**/imports/members', (route) => route.fulfill({ status: 503, body: '' }), { times: 1 });
    await form.getByLabel('File', { exact: true }).setInputFiles(file);
    await form.getByRole('button', { name: 'Upload and import' }).click();
    await form.getByText('The server is not available right now: try again shortly.').waitFor();
    expect(await form.getByText('The upload was refused').count()).toBe(0);
    // The server takes the file, the answer is lost. (The earlier tests' imports ended first: a
    // third upload at once would wait for a turn, and might be refused.)
    await eventually(async () => !(await h.server.sql(`select 1 from import_job where status = 'RUNNING'`)).length, 'the earlier imports to end', 60_000);
    let taken = 0;
    await page.route('**/imports/members', async (route) => {
      taken = (await route.fetch({ timeout: 60_000 })).status();
      await route.abort('connectionreset');
    }, { times: 1 });
    await form.getByRole('button', { name: 'Upload and import' }).click();
    await form.getByText(/No answer came from the server .*: the file may have been taken/).waitFor({ timeout: 60_000 });
    expect(taken).toBe(202);
    await page.getByTestId('import-jobs').locator('tbody tr').nth(jobsBefore).waitFor(); // the list, read again, has the job
    // The job runs after the 202 (on a loaded machine, after the list shows it): its member comes when it ends.
    await eventually(async () => !(await h.server.sql(`select 1 from import_job where status = 'RUNNING'`)).length, 'the lost answer\'s import to end', 60_000);
    expect(await h.server.sql(`select count(*)::int as n from member where external_id = 'lost-answer-1'`)).toEqual([{ n: 1 }]);
    expect(h.pageErrors(page).filter((e) => !/net::ERR_CONNECTION_RESET|status of 503/.test(e))).toEqual([]);
  }, 180_000);

  it('in Chinese, at tablet width', async () => {
    const page = await h.open(TABLET);
    await h.signIn(page);
    await page.getByTestId('language-switch').selectOption('zh-CN');
    await h.goto(page, '/imports');
    await page.getByRole('heading', { level: 1, name: '导入' }).waitFor();
    await page.getByRole('heading', { level: 2, name: '上传文件' }).waitFor();
    expect(await overflows(page)).toBe(false);
    expect(await h.axe(page)).toEqual([]);
    // The server's reasons in Chinese (i18n/import-messages.ts): a rejected line, its value from the file as written, and a failed job's failure.
    const [job] = await h.server.sql(`insert into import_job (id, kind, mode, format, actor, status, phase, rows_rejected, failure, finished_at)
      values (gen_random_uuid(), 'PURCHASES', 'earn', 'csv', 'admin:dev-admin', 'FAILED', 'DONE', 1, 'The upload did not complete', now()) returning id`);
    await h.server.sql(`insert into import_error (job_id, line, message) values ($1, 2, 'No member has externalId zh-无此人')`, [job.id]);
    await h.goto(page, '/imports');
    await page.getByTestId('import-jobs').locator('tbody tr').first().getByRole('button', { name: '查看' }).click();
    await page.getByTestId('import-failure').getByText('失败原因：上传未完成').waitFor();
    expect(await page.getByTestId('import-errors').locator('tbody tr td').allTextContents()).toEqual(['2', '没有 externalId 为 zh-无此人 的会员']);
  });
});
