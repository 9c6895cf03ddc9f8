import type { Page } from 'playwright-core';
import { startConsole, TABLET, type ConsoleHarness } from './support/console';
import { adminQuery, graphqlRequests, inProgrammeZone, overflows } from './support/page-checks';

/**
 * The Rewards page in a real browser against the demo data: the catalogue with stock and coupon
 * validity in one request; a reward edited (the server's message next to its field); the coupon
 * look-up (its member and status; cancelling asks first, with the reason); axe-core; Chinese at
 * tablet width. (The console is for admins: a till's service token is refused at sign-in,
 * test/browser/sign-in.test.ts; a till looks coupons up through the API.)
 */
let h: ConsoleHarness;
beforeAll(async () => {
  h = await startConsole();
}, 300_000);
afterAll(() => h?.stop());

interface Coupon { couponCode: string; status: string; member: string }

/** Issued coupons of the demo data, with their member's name. */
async function issuedCoupons(): Promise<Coupon[]> {
  const data = await adminQuery<{ members: { edges: { node: { displayName: string; redemptions: { edges: { node: { couponCode: string; status: string } }[] } } }[] } }>(
    h, '{ members(first: 100) { edges { node { displayName redemptions(first: 10) { edges { node { couponCode status } } } } } } }');
  return data.members.edges.flatMap((m) => m.node.redemptions.edges.map((r) => ({ ...r.node, member: m.node.displayName })))
    .filter((c) => c.status === 'ISSUED');
}

async function lookUp(page: Page, code: string) {
  await page.getByLabel('Coupon code').fill(code);
  await page.getByRole('button', { name: 'Look up' }).click();
  await page.locator('[data-testid="coupon"], [data-testid="coupon-none"], [data-testid="field-error-couponCode"]').first().waitFor();
}

describe('Rewards', () => {
  it('the catalogue with stock and coupon validity, in one request', async () => {
    const page = await h.open();
    await h.signIn(page);
    const requests = await graphqlRequests(page, async () => {
      await h.goto(page, '/rewards');
      await page.getByTestId('rewards').waitFor();
      await page.waitForLoadState('networkidle');
    });
    expect(requests).toEqual(['RewardsPage']);
    const cells = (code: string) => page.getByTestId('rewards').locator(`tr[data-code="${code}"] td`).allTextContents();
    // The tote bag's stock is what the demo's redemptions left of 40.
    const { rewards } = await adminQuery<{ rewards: { code: string; stock: number | null }[] }>(h, '{ rewards { code stock } }');
    const stock = rewards.find((r) => r.code === 'TOTE_BAG')!.stock!;
    expect(stock).toBeLessThanOrEqual(40);
    const tote = await cells('TOTE_BAG');
    expect(tote.slice(1, 4)).toEqual(['800', String(stock), 'No limit']);
    const voucher = await cells('VOUCHER_10');
    expect(voucher.slice(1, 8)).toEqual(['1,000', 'Unlimited', '3', 'Every tier', 'In force', '30 days', '10.00']);
    expect((await cells('LOUNGE_PASS'))[4]).toBe('Gold, Platinum');
    expect(await h.axe(page)).toEqual([]);
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('edits a reward: the server\'s message next to its field; withdrawing asks first', async () => {
    const page = await h.open();
    await h.signIn(page);
    await h.goto(page, '/rewards');
    await page.getByRole('button', { name: 'Edit the reward 10 € shopping voucher' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit the reward 10 € shopping voucher' });
    await dialog.getByLabel('Coupon valid for (days)').fill('0');
    await dialog.getByRole('button', { name: 'Save' }).click();
    const error = dialog.getByTestId('field-error-couponValidDays');
    await error.waitFor();
    // The server's words (the API's input check: BAD_USER_INPUT, extensions.field = couponValidDays).
    expect(await error.textContent()).toMatch(/couponValidDays must (not be less than 1|be a whole number from 1)/);
    expect(await dialog.getByLabel('Coupon valid for (days)').getAttribute('aria-invalid')).toBe('true');
    await dialog.getByLabel('Coupon valid for (days)').fill('45');
    await dialog.getByLabel('Stock', { exact: true }).fill('500');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByTestId('saved').getByText('The reward 10 € shopping voucher is saved.').waitFor();
    const voucher = page.getByTestId('rewards').locator('tr[data-code="VOUCHER_10"] td');
    await voucher.nth(6).getByText('45 days').waitFor();
    expect(await voucher.nth(2).textContent()).toBe('500');

    await page.getByRole('button', { name: 'Edit the reward Canvas tote bag' }).click();
    const tote = page.getByRole('dialog', { name: 'Edit the reward Canvas tote bag' });
    await tote.getByLabel('Active').uncheck();
    await tote.getByRole('button', { name: 'Save' }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Withdraw this reward?' });
    await confirm.getByRole('button', { name: 'Withdraw it' }).click();
    await page.getByTestId('saved').getByText('The reward Canvas tote bag is saved.').waitFor();
    // the catalogue is read again after the save: wait for the row to show it
    await page.getByTestId('rewards').locator('tr[data-code="TOTE_BAG"] td').nth(5).getByText('Off', { exact: true }).waitFor();
  });

  it('creates a reward: a taken code and a cost that is no number refused next to their fields, then created once', async () => {
    const page = await h.open();
    await h.signIn(page);
    await h.goto(page, '/rewards');
    await page.getByRole('button', { name: 'New reward' }).click();
    const dialog = page.getByRole('dialog', { name: 'New reward' });
    await dialog.getByLabel('Code').fill('TOTE_BAG');
    await dialog.getByLabel('Name').fill('Umbrella');
    await dialog.getByLabel('Cost (points)').fill('lots');
    await dialog.getByRole('button', { name: 'Create the reward' }).click();
    expect(await dialog.getByTestId('field-error-code').textContent()).toMatch(/A reward with the code TOTE_BAG already exists/);
    expect(await dialog.getByTestId('field-error-costPoints').textContent()).toBeTruthy();
    await dialog.getByLabel('Code').fill('UMBRELLA');
    await dialog.getByLabel('Cost (points)').fill('450');
    await dialog.getByLabel('Stock', { exact: true }).fill('25');
    await dialog.getByLabel('Tiers').selectOption([{ label: 'Gold' }]);
    const sent = await graphqlRequests(page, async () => {
      await dialog.getByRole('button', { name: 'Create the reward' }).dblclick();
      await page.getByTestId('saved').getByText('The reward Umbrella is created.').waitFor();
      await page.waitForLoadState('networkidle');
    });
    expect(sent.filter((op) => op === 'CreateReward')).toHaveLength(1);
    const row = page.getByTestId('rewards').locator('tr[data-code="UMBRELLA"] td');
    await row.first().waitFor();
    expect((await row.allTextContents()).slice(1, 5)).toEqual(['450', '25', 'No limit', 'Gold']);
    const { rewards } = await adminQuery<{ rewards: { code: string; name: string; active: boolean }[] }>(h, '{ rewards { code name active } }');
    expect(rewards.filter((r) => r.code === 'UMBRELLA')).toEqual([{ code: 'UMBRELLA', name: 'Umbrella', active: true }]);
    expect(rewards.find((r) => r.code === 'TOTE_BAG')!.name).toBe('Canvas tote bag'); // the taken code's reward untouched
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('a code taken since the page loaded (a colleague\'s reward) is refused, and that reward is left as it is', async () => {
    const page = await h.open();
    await h.signIn(page);
    await h.goto(page, '/rewards');
    await page.getByTestId('rewards').waitFor();
    await adminQuery(h, 'mutation($i: RewardInput!) { upsertReward(input: $i) { code } }',
      { i: { code: 'COLLEAGUES_MUG', name: 'Made by a colleague', costPoints: 500, stock: 10 } });
    await page.getByRole('button', { name: 'New reward' }).click();
    const dialog = page.getByRole('dialog', { name: 'New reward' });
    await dialog.getByLabel('Code').fill('COLLEAGUES_MUG');
    await dialog.getByLabel('Name').fill('Mine');
    await dialog.getByLabel('Cost (points)').fill('1');
    const sent = await graphqlRequests(page, async () => {
      await dialog.getByRole('button', { name: 'Create the reward' }).click();
      await dialog.getByTestId('field-error-code').getByText(/A reward with the code COLLEAGUES_MUG already exists/).waitFor();
    });
    expect(sent).toEqual(['RewardCodes']);
    const { rewards } = await adminQuery<{ rewards: { code: string; name: string; costPoints: number; stock: number | null }[] }>(h, '{ rewards { code name costPoints stock } }');
    expect(rewards.find((r) => r.code === 'COLLEAGUES_MUG')).toEqual({ code: 'COLLEAGUES_MUG', name: 'Made by a colleague', costPoints: 500, stock: 10 });
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('a reward\'s availability is typed and shown in the programme\'s time zone, whatever the browser\'s', async () => {
    // The browser runs on this machine's clock (UTC here), the programme in Shanghai (UTC+8).
    await inProgrammeZone(h, 'Asia/Shanghai', async () => {
      const page = await h.open();
      await h.signIn(page);
      await h.goto(page, '/rewards');
      await page.getByRole('button', { name: 'Edit the reward A free coffee' }).click();
      const dialog = page.getByRole('dialog', { name: 'Edit the reward A free coffee' });
      await dialog.getByText('In the programme\'s time zone (Asia/Shanghai). Empty: from now on.').waitFor();
      await dialog.getByLabel('Available from').fill('2031-01-01T00:00');
      await dialog.getByRole('button', { name: 'Save' }).click();
      await dialog.waitFor({ state: 'detached' });
      await page.getByTestId('saved').getByText('The reward A free coffee is saved.').waitFor();
      // Midnight in Shanghai is 16:00 UTC the day before.
      const { rewards } = await adminQuery<{ rewards: { code: string; validFrom: string | null }[] }>(h, '{ rewards { code validFrom } }');
      expect(rewards.find((r) => r.code === 'COFFEE')?.validFrom).toBe('2030-12-31T16:00:00.000Z');
      // Shown back as typed: in the catalogue, and in the form opened again.
      await page.getByTestId('rewards').locator('tr[data-code="COFFEE"] .reward-window').getByText('Jan 1, 2031, 12:00 AM to —').waitFor();
      await page.getByRole('button', { name: 'Edit the reward A free coffee' }).click();
      expect(await dialog.getByLabel('Available from').inputValue()).toBe('2031-01-01T00:00');
      await dialog.getByLabel('Available from').fill('');
      await dialog.getByRole('button', { name: 'Save' }).click();
      await dialog.waitFor({ state: 'detached' });
      expect(h.pageErrors(page)).toEqual([]);
    });
  });

  it('looks a coupon up (any case): its reward, member and status; cancelling asks for a reason and confirmation', async () => {
    const [coupon] = await issuedCoupons();
    expect(coupon).toBeDefined();
    const page = await h.open();
    await h.signIn(page);
    await h.goto(page, '/rewards');
    const requests = await graphqlRequests(page, async () => {
      await lookUp(page, coupon.couponCode.toLowerCase());
    });
    expect(requests).toEqual(['CouponLookup']);
    const card = page.getByTestId('coupon');
    expect(await card.locator('code').textContent()).toBe(coupon.couponCode);
    expect(await page.getByTestId('coupon-status').textContent()).toBe('Issued');
    await card.getByRole('link', { name: coupon.member }).waitFor();
    expect(await h.axe(page)).toEqual([]);
    await h.screenshot(page, 'rewards');

    await card.getByRole('button', { name: 'Cancel this coupon' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Cancel this redemption?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Cancel', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await page.getByTestId('coupon-status').textContent()).toBe('Issued');
    await card.getByRole('button', { name: 'Cancel this coupon' }).click();
    await dialog.getByLabel('Reason').fill('Customer changed their mind');
    await dialog.getByRole('button', { name: 'Cancel the redemption' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByTestId('coupon-status').getByText('Cancelled').waitFor();
    await expectNoCancelButton(page);

    await lookUp(page, 'NO-SUCH-COUPON-1');
    await page.getByText('No coupon has the code NO-SUCH-COUPON-1.').waitFor();
    await lookUp(page, '');
    expect(await page.getByTestId('field-error-couponCode').textContent()).toBe('Type or scan a coupon code first.');
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('checks a coupon code as the server would before asking: one message, nothing sent, long text wrapped; in both languages', async () => {
    const page = await h.open(TABLET);
    await h.signIn(page);
    await h.goto(page, '/rewards');
    const message = page.getByTestId('field-error-couponCode');
    const refused = async (code: string, text: string) => {
      const sent = await graphqlRequests(page, async () => {
        await lookUp(page, code);
        await message.getByText(text).waitFor();
      });
      expect(sent).toEqual([]);
      expect(await page.getByTestId('coupon-none').count()).toBe(0);
      expect(await page.locator('#coupon-lookup .form-alert').count()).toBe(0);
    };
    await refused('', 'Type or scan a coupon code first.');
    await refused('x'.repeat(300), 'A coupon code has at most 64 characters; this one has 300.');
    expect(await overflows(page)).toBe(false);
    await refused('--- ---', 'A coupon code has letters or digits.');
    // 64 characters are asked for: the answer (no such coupon) wraps inside the page.
    await lookUp(page, 'Q'.repeat(64));
    await page.getByTestId('coupon-none').waitFor();
    expect(await message.count()).toBe(0);
    expect(await overflows(page)).toBe(false);

    await page.getByTestId('language-switch').selectOption('zh-CN');
    await page.getByLabel('券码', { exact: true }).fill('y'.repeat(65));
    await page.getByRole('button', { name: '查询' }).click();
    await message.getByText('券码最多 64 个字符，此处有 65 个。').waitFor();
    await page.getByLabel('券码', { exact: true }).fill('///');
    await page.getByRole('button', { name: '查询' }).click();
    await message.getByText('券码须包含字母或数字。').waitFor();
    expect(await page.getByTestId('coupon-none').count()).toBe(0);
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('in Chinese, at tablet width', async () => {
    const page = await h.open(TABLET);
    await h.signIn(page);
    await page.getByTestId('language-switch').selectOption('zh-CN');
    await h.goto(page, '/rewards');
    await page.getByRole('heading', { level: 2, name: '券码查询' }).waitFor();
    await page.getByRole('heading', { level: 2, name: '奖励目录' }).waitFor();
    expect(await overflows(page)).toBe(false);
    expect(await h.axe(page)).toEqual([]);
  });
});

async function expectNoCancelButton(page: Page) {
  expect(await page.getByTestId('coupon').getByRole('button', { name: 'Cancel this coupon' }).count()).toBe(0);
}
