import { networkQuiet, startConsole, TABLET, type ConsoleHarness } from './support/console';
import { adminQuery, graphqlRequests, inProgrammeZone, overflows } from './support/page-checks';

/**
 * The Audit log page in a real browser against the demo data: newest first and paged as the API
 * pages it; filtered by entity, entity id, action, actor and days (the filters in the address);
 * a range the server refuses, its message next to the field it names; axe-core; Chinese at
 * tablet width.
 */
let h: ConsoleHarness;
beforeAll(async () => {
  h = await startConsole();
  // Two changes by the development admin, the newest entries of the log.
  await adminQuery(h, 'mutation { updateBenefit(code: "GOLD_DISCOUNT", patch: { value: 11 }) { version } }');
  await adminQuery(h, 'mutation { updateReward(code: "COFFEE", patch: { costPoints: 350 }) { costPoints } }');
}, 300_000);
afterAll(() => h?.stop());

interface Page20 { auditEntries: { edges: { node: { id: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } }
const ids = (p: Page20) => p.auditEntries.edges.map((e) => e.node.id);
const PAGE = 'query($after: String) { auditEntries(first: 20, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } }';

/**
 * Today (plus `offset` days) on the programme's calendar, which the console's day filters read
 * (UTC here): not the machine's, which with TZ west or east of UTC is another day for hours of each day.
 */
const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

describe('Audit log', () => {
  it('newest first, paged as the API pages it, one request a page', async () => {
    const first = await adminQuery<Page20>(h, PAGE);
    expect(first.auditEntries.pageInfo.hasNextPage).toBe(true);
    const second = await adminQuery<Page20>(h, PAGE, { after: first.auditEntries.pageInfo.endCursor });
    const page = await h.open();
    await h.signIn(page);
    const requests = await graphqlRequests(page, async () => {
      await h.goto(page, '/audit');
      await page.getByTestId('audit').waitFor();
      await page.waitForLoadState('networkidle');
    });
    expect(requests).toEqual(['AuditLog']);
    const rows = page.getByTestId('audit').locator('tbody tr');
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-id')))).toEqual(ids(first));
    expect(await rows.first().locator('td').nth(2).textContent()).toBe('reward.update');
    expect(await rows.first().locator('td').nth(5).textContent()).toBe('costPoints: before: 300 → after: 350');
    expect(await h.axe(page)).toEqual([]);
    await h.screenshot(page, 'audit');

    const next = await graphqlRequests(page, async () => {
      await page.getByRole('navigation', { name: 'Audit log: pages' }).getByRole('button', { name: 'Next' }).click();
      await page.getByText('Page 2').waitFor();
      await rows.first().waitFor();
      await page.waitForLoadState('networkidle');
    });
    expect(next).toEqual(['AuditLog']);
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-id')))).toEqual(ids(second));
    await page.getByRole('button', { name: 'Previous' }).click();
    await page.getByText('Page 1').waitFor();
    await rows.first().waitFor();
    expect(await rows.first().getAttribute('data-id')).toBe(ids(first)[0]);
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('filtered by entity, action, actor, entity id and days; the filters are in the address', async () => {
    const page = await h.open();
    await h.signIn(page);
    await h.goto(page, '/audit');
    const form = page.getByRole('form', { name: 'Filter the audit log' });
    const rows = page.getByTestId('audit').locator('tbody tr');
    const column = (n: number) => rows.evaluateAll((trs, i) => trs.map((tr) => tr.querySelectorAll('td')[i].textContent), n);

    await form.getByLabel('Entity', { exact: true }).selectOption('Benefit');
    await form.getByLabel('Action').fill('benefit.update');
    await form.getByLabel('Actor').fill('admin:dev-admin');
    await form.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/\/admin\/audit\?entity=Benefit&action=benefit.update&actor=admin%3Adev-admin$/);
    await rows.first().waitFor();
    expect(await rows.count()).toBe(1);
    expect(await rows.first().locator('td').allTextContents()).toEqual([
      expect.any(String), 'admin:dev-admin', 'benefit.update', 'Benefit', 'GOLD_DISCOUNT', 'value: before: 10 → after: 11',
    ]);
    expect(await rows.first().getByRole('link', { name: 'GOLD_DISCOUNT' }).getAttribute('href')).toBe('/admin/benefits/GOLD_DISCOUNT');

    // By entity and entity id: every change of the benefit, its creation by the seed included.
    await page.getByRole('link', { name: 'Clear the filters' }).click();
    await page.waitForURL(/\/admin\/audit$/);
    await form.getByLabel('Entity', { exact: true }).selectOption('Benefit');
    await form.getByLabel('Entity id').fill('GOLD_DISCOUNT');
    await form.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/entityId=GOLD_DISCOUNT/);
    await page.getByText('benefit.create').waitFor();
    expect(await column(2)).toEqual(['benefit.update', 'benefit.create']);
    expect(new Set(await column(4))).toEqual(new Set(['GOLD_DISCOUNT']));

    // Days: nothing from tomorrow on; today's entries until today.
    await form.getByLabel('From (day)').fill(day(1));
    await form.getByRole('button', { name: 'Filter' }).click();
    await page.getByText('No entry matches these filters.').waitFor();
    await form.getByLabel('From (day)').fill(day(0));
    await form.getByLabel('Until (day, included)').fill(day(0));
    await form.getByRole('button', { name: 'Filter' }).click();
    await rows.first().waitFor();
    expect(await column(2)).toEqual(['benefit.update', 'benefit.create']);

    // Back: the previous filter.
    await page.goBack();
    await page.getByText('No entry matches these filters.').waitFor();
    expect(await form.getByLabel('From (day)').inputValue()).toBe(day(1));
  });

  it('a range the server refuses: its message next to the field it names', async () => {
    const page = await h.open();
    await h.signIn(page);
    await h.goto(page, '/audit');
    const form = page.getByRole('form', { name: 'Filter the audit log' });
    await form.getByLabel('From (day)').fill('2026-05-10');
    await form.getByLabel('Until (day, included)').fill('2026-05-01');
    await form.getByRole('button', { name: 'Filter' }).click();
    const error = form.getByTestId('field-error-to');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/to/);
    expect(await form.getByLabel('Until (day, included)').getAttribute('aria-invalid')).toBe('true');
    expect(await h.axe(page)).toEqual([]);
  });

  it('filters by the campaigns\' and the webhook endpoints\' entries', async () => {
    await adminQuery(h, 'mutation { upsertCampaign(input: { code: "AUDITED", name: "Audited", trigger: PURCHASE, startsAt: "2026-01-01T00:00:00.000Z", bonusPoints: 5 }) { code } }');
    const { createWebhookEndpoint: created } = await adminQuery<{ createWebhookEndpoint: { endpoint: { id: string } } }>(h,
      'mutation { createWebhookEndpoint(input: { url: "http://127.0.0.1:9/hooks", eventTypes: ["*"] }) { endpoint { id } } }');
    const page = await h.open();
    await h.signIn(page);
    await h.goto(page, '/audit');
    const form = page.getByRole('form', { name: 'Filter the audit log' });
    const rows = page.getByTestId('audit').locator('tbody tr');
    await form.getByLabel('Entity', { exact: true }).selectOption({ label: 'Campaign' });
    await form.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/\/admin\/audit\?entity=Campaign$/);
    await page.getByTestId('audit').getByRole('link', { name: 'AUDITED' }).waitFor(); // the newest; the demo's campaigns were made before
    expect(await rows.first().locator('td').allTextContents()).toEqual([expect.any(String), 'admin:dev-admin', 'campaign.create', 'Campaign', 'AUDITED', expect.any(String)]);
    expect(await rows.first().getByRole('link', { name: 'AUDITED' }).getAttribute('href')).toBe('/admin/campaigns/AUDITED');
    await form.getByLabel('Entity', { exact: true }).selectOption({ label: 'Webhook endpoint' });
    await form.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/\/admin\/audit\?entity=WebhookEndpoint$/);
    await page.getByTestId('audit').getByText('webhook.create').waitFor();
    expect(await rows.first().locator('td').allTextContents()).toEqual([expect.any(String), 'admin:dev-admin', 'webhook.create', 'Webhook endpoint', created.endpoint.id, expect.any(String)]);
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('counts the days in the programme\'s time zone', async () => {
    const zone = 'Asia/Shanghai';
    await inProgrammeZone(h, zone, async () => {
      const page = await h.open();
      await h.signIn(page);
      await h.goto(page, '/audit');
      const form = page.getByRole('form', { name: 'Filter the audit log' });
      await form.getByText("Whole days in the programme's time zone (Asia/Shanghai).").first().waitFor();
      await form.getByLabel('From (day)').fill('2026-05-01');
      await form.getByLabel('Until (day, included)').fill('2026-05-10');
      const sent: unknown[] = [];
      const listen = (r: import('playwright-core').Request) => {
        if (new URL(r.url()).pathname === '/graphql' && r.postDataJSON()?.operationName === 'AuditLog') sent.push(r.postDataJSON().variables.filter);
      };
      page.on('request', listen);
      await form.getByRole('button', { name: 'Filter' }).click();
      await page.waitForURL(/from=2026-05-01&to=2026-05-10/);
      await networkQuiet(page);
      page.off('request', listen);
      // Shanghai's midnights (UTC+8): 16:00 UTC the day before; "until" includes its day.
      expect(sent).toEqual([{ from: '2026-04-30T16:00:00.000Z', to: '2026-05-10T16:00:00.000Z' }]);
      expect(h.pageErrors(page)).toEqual([]);
    });
  });

  it('shows the entries\' times in the programme\'s time zone, the zone its day filter counts in (audit 110)', async () => {
    const zone = 'Asia/Shanghai';
    await inProgrammeZone(h, zone, async () => {
      const page = await h.open();
      await h.signIn(page);
      await h.goto(page, '/audit');
      const table = page.getByTestId('audit');
      await table.getByRole('columnheader', { name: 'When (Asia/Shanghai)' }).waitFor();
      const { auditEntries } = await adminQuery<{ auditEntries: { edges: { node: { id: string; at: string } }[] } }>(h, '{ auditEntries(first: 1) { edges { node { id at } } } }');
      const newest = auditEntries.edges[0].node;
      // The browser runs in the machine's zone (UTC here): Shanghai's clock is 8 hours ahead of it.
      const shanghai = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short', timeZone: zone }).format(new Date(newest.at));
      // The heading names the zone once the log (rows and zone, one answer) is on the page.
      expect(await table.locator(`tr[data-id="${newest.id}"] td`).first().textContent()).toBe(shanghai);
      expect(h.pageErrors(page)).toEqual([]);
    });
  });

  it('in Chinese, at tablet width', async () => {
    const page = await h.open(TABLET);
    await h.signIn(page);
    await page.getByTestId('language-switch').selectOption('zh-CN');
    await h.goto(page, '/audit?entity=Reward');
    await page.getByRole('heading', { level: 1, name: '审计日志' }).waitFor();
    await page.getByRole('button', { name: '筛选' }).waitFor();
    await page.getByTestId('audit').locator('tbody tr').first().waitFor();
    expect(new Set(await page.getByTestId('audit').locator('tbody tr td:nth-child(4)').allTextContents())).toEqual(new Set(['奖励']));
    expect(await overflows(page)).toBe(false);
    expect(await h.axe(page)).toEqual([]);
  });
});
