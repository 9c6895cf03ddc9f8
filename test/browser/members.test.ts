import type { Page } from 'playwright-core';
import { DESKTOP, startConsole, TABLET, type ConsoleHarness } from './support/console';
import { adminQuery, graphqlRequests, holdOperation, inProgrammeZone, loseAnswers, overflows, overflowsAfterResize } from './support/page-checks';

/**
 * The Members pages in a real browser against the demo data: search, a member's profile (in at
 * most two GraphQL requests), adjusting points and seeing the ledger change, the server's
 * field error next to its field, tag and untag with a confirmation, Chinese labels, axe-core,
 * and the layout at 1280×800 and at tablet width.
 */
let h: ConsoleHarness;
beforeAll(async () => {
  h = await startConsole();
}, 300_000);
afterAll(() => h?.stop());

/** GraphQL requests the page sends while `work` runs. */
async function openAva(page: Page): Promise<void> {
  await h.goto(page, '/members');
  await page.getByLabel('Search members').fill('demo-0001');
  await page.getByLabel('Search members').press('Enter');
  await page.getByRole('link', { name: 'Ava Lin' }).click();
  await page.getByRole('heading', { level: 1, name: 'Ava Lin' }).waitFor();
  await page.getByTestId('ledger').waitFor();
}


/** A signed-in page on the profile of the demo member `externalId` (found by search), and a reader of its balance. */
async function openProfile(externalId: string): Promise<{ page: Page; balanceOf: () => Promise<number> }> {
  const page = await h.open();
  await h.signIn(page);
  await h.goto(page, `/members?q=${externalId}`);
  await page.locator('table tbody tr a').first().click();
  await page.getByTestId('ledger').waitFor();
  return { page, balanceOf: async () => Number((await page.getByTestId('balance').textContent())!.replace(/\D/g, '')) };
}

describe('Members', () => {
  it('lists the members, paged, and finds one by external id, email, phone and name prefix', async () => {
    const page = await h.open();
    await h.signIn(page);
    await h.goto(page, '/members');
    const rows = page.locator('table tbody tr');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(20);
    await page.getByText('200 in all').waitFor();
    expect(await h.axe(page)).toEqual([]);
    await h.screenshot(page, 'members');
    const firstPage = await rows.locator('td:nth-child(2)').allTextContents();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByText('Page 2').waitFor();
    await page.locator('.table-wrap[aria-busy="false"]').waitFor();
    const secondPage = await rows.locator('td:nth-child(2)').allTextContents();
    expect(secondPage).toHaveLength(20);
    expect(secondPage.filter((id) => firstPage.includes(id))).toEqual([]);
    await page.getByRole('button', { name: 'Previous' }).click();
    await page.getByText('Page 1').waitFor();
    await page.locator('.table-wrap[aria-busy="false"]').waitFor();
    expect(await rows.locator('td:nth-child(2)').allTextContents()).toEqual(firstPage);

    const search = async (text: string) => {
      await page.getByLabel('Search members').fill(text);
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await page.getByText(`Members matching “${text}”.`).waitFor();
      await page.locator('table tbody tr, .empty').first().waitFor();
      return page.locator('table tbody tr td:first-child').allTextContents();
    };
    expect(await search('demo-0001')).toEqual(['Ava Lin']);
    const email = await page.locator('table tbody tr td:nth-child(3)').first().textContent();
    expect(await search(email!)).toEqual(['Ava Lin']);
    const phone = await page.locator('table tbody tr td:nth-child(4)').first().textContent();
    if (phone && phone !== '—') expect(await search(phone)).toContain('Ava Lin');
    expect(await search('Ava')).toContain('Ava Lin');
    await search('no-such-member-zz');
    await page.getByText('No member matches “no-such-member-zz”.').waitFor();
    // The search is in the address: Back returns to the previous one.
    await page.goBack();
    await page.getByText('Members matching “Ava”.').waitFor();
  });

  it('a member\'s profile in at most two GraphQL requests, with every part shown', async () => {
    const page = await h.open();
    await h.signIn(page);
    await h.goto(page, '/members?q=demo-0001');
    const href = await page.getByRole('link', { name: 'Ava Lin' }).getAttribute('href');
    const requests = await graphqlRequests(page, async () => {
      await page.goto(`${h.origin}${href}`);
      await page.getByTestId('ledger').waitFor();
      await page.waitForLoadState('networkidle');
    });
    expect(requests).toEqual(['MemberProfile']);
    for (const section of ['Profile', 'Retention', 'Tags', 'Benefits', 'Points ledger', 'Redemptions', 'Tier history']) {
      await page.getByRole('heading', { level: 2, name: section, exact: true }).waitFor();
    }
    expect(await page.getByTestId('member-summary').textContent()).toMatch(/Gold/);
    expect(await page.getByTestId('churn-risk').textContent()).toMatch(/^\d+%$/);
    expect(await page.getByTestId('ledger').locator('tbody tr').count()).toBe(10);
    // The ledger's next page is a request of its own.
    const paging = await graphqlRequests(page, async () => {
      await page.getByRole('navigation', { name: 'Points ledger: pages' }).getByRole('button', { name: 'Next' }).click();
      await page.getByRole('navigation', { name: 'Points ledger: pages' }).getByText('Page 2').waitFor();
      await page.waitForLoadState('networkidle');
    });
    expect(paging).toEqual(['MemberLedger']);
    expect(await h.axe(page)).toEqual([]);
    expect(await overflows(page)).toBe(false);
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('adjusts points with a reason (keyboard only) and the ledger and balance change', async () => {
    const page = await h.open();
    await h.signIn(page);
    await openAva(page);
    const balance = Number((await page.getByTestId('balance').textContent())!.replace(/\D/g, ''));
    await page.getByRole('button', { name: 'Adjust points' }).focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Adjust points' });
    await dialog.waitFor();
    await page.keyboard.type('123'); // focus is in the dialog's first field
    await page.keyboard.press('Tab');
    await page.keyboard.type('Goodwill: late delivery');
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });
    const first = page.getByTestId('ledger').locator('tbody tr').first();
    await first.getByText('Goodwill: late delivery').waitFor();
    expect(await first.locator('td').allTextContents()).toEqual([
      expect.any(String), 'Adjustment', '+123', (balance + 123).toLocaleString('en'), 'Goodwill: late delivery', expect.any(String),
    ]);
    await page.getByTestId('balance').getByText((balance + 123).toLocaleString('en')).waitFor();
    await h.screenshot(page, 'member-profile');
  });

  it('the server\'s message is shown next to the field it names', async () => {
    const page = await h.open();
    await h.signIn(page);
    await openAva(page);
    await page.getByRole('button', { name: 'Edit profile' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit the profile' });
    await dialog.getByLabel('Birthday').fill('1899-13-40');
    await dialog.getByRole('button', { name: 'Save' }).click();
    const error = dialog.getByTestId('field-error-birthday');
    await error.waitFor();
    // The console's sentence for BAD_USER_INPUT, then the server's words (extensions.field = "birthday").
    expect(await error.textContent()).toBe('The server did not accept this input. (birthday must be a date in YYYY-MM-DD, from 1900-01-01 to today)');
    expect(await dialog.getByLabel('Birthday').getAttribute('aria-invalid')).toBe('true');
    expect(await page.evaluate<string | null>('document.activeElement?.getAttribute("name")')).toBe('birthday');
    expect(await h.axe(page)).toEqual([]);
    // Corrected, it saves.
    await dialog.getByLabel('Birthday').fill('1990-04-12');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.locator('#profile').getByText('1990-04-12').waitFor();
  });

  it('edit profile opens with the member\'s current values after a save, and sends only what changed', async () => {
    const profileOf = async () => (await h.server.gql('{ memberByExternalId(externalId: "demo-0002") { region phone email displayName } }', {}, h.devAdminToken))
      .data!.memberByExternalId as { region: string | null; phone: string | null; email: string | null; displayName: string | null };
    const before = await profileOf();
    const region = before.region === 'North' ? 'South' : 'North';
    const phone = '+44 20 7946 0958';
    const page = await h.open();
    await h.signIn(page);
    await h.goto(page, '/members?q=demo-0002');
    await page.getByRole('link', { name: 'Ben Okafor' }).click();
    await page.getByTestId('ledger').waitFor();
    const dialog = page.getByRole('dialog', { name: 'Edit the profile' });
    await page.getByRole('button', { name: 'Edit profile' }).click();
    await dialog.getByLabel('Region').fill(region);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.locator('#profile').getByText(region, { exact: true }).waitFor();
    // Opened again: the values as saved, not as they were before.
    await page.getByRole('button', { name: 'Edit profile' }).click();
    expect(await dialog.getByLabel('Region').inputValue()).toBe(region);
    expect(await dialog.getByLabel('Phone').inputValue()).toBe(before.phone ?? '');
    await dialog.getByLabel('Phone').fill(phone);
    const sent: unknown[] = [];
    const listen = (r: import('playwright-core').Request) => {
      if (new URL(r.url()).pathname === '/graphql' && r.postDataJSON()?.operationName === 'UpdateMember') sent.push(r.postDataJSON().variables.patch);
    };
    page.on('request', listen);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    page.off('request', listen);
    expect(sent).toEqual([{ phone }]);
    expect(await profileOf()).toEqual({ ...before, region, phone });
    await page.locator('#profile').getByText(phone, { exact: true }).waitFor();
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('a save that lands after its dialog was closed: the dialog opened since is a fresh form, left alone, and the page shows what landed', async () => {
    const { page, balanceOf } = await openProfile('demo-0003');
    await page.getByRole('heading', { level: 1, name: 'Chloe Martin' }).waitFor();
    const balance = await balanceOf();
    const save = await holdOperation(page, 'AdjustPoints');
    const dialog = page.getByRole('dialog', { name: 'Adjust points' });
    await page.getByRole('button', { name: 'Adjust points' }).click();
    await dialog.getByTestId('adjust-amount').fill('7');
    await dialog.getByTestId('adjust-reason').fill('Held, then closed');
    await dialog.getByRole('button', { name: 'Adjust' }).click();
    await dialog.getByRole('button', { name: 'Working…' }).waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    // Opened again while the first is on its way: a new form, ready.
    await page.getByRole('button', { name: 'Adjust points' }).click();
    expect(await dialog.getByTestId('adjust-amount').inputValue()).toBe('');
    expect(await dialog.getByRole('button', { name: 'Adjust' }).isEnabled()).toBe(true);
    await dialog.getByTestId('adjust-amount').fill('11');
    await dialog.getByTestId('adjust-reason').fill('The second one');
    save.release();
    // The first landed: the page shows it, and the form opened since is left as it is.
    await page.getByTestId('balance').getByText((balance + 7).toLocaleString('en')).waitFor();
    expect(await dialog.getByTestId('adjust-amount').inputValue()).toBe('11');
    await dialog.getByRole('button', { name: 'Adjust' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByTestId('balance').getByText((balance + 18).toLocaleString('en')).waitFor();
    expect(save.sent()).toBe(2);

    // While the profile's save is on its way its fields are locked: what is shown is what is saved (a
    // change typed meanwhile closed with the dialog, unsent).
    const profile = await holdOperation(page, 'UpdateMember');
    const edit = page.getByRole('dialog', { name: 'Edit the profile' });
    await page.getByRole('button', { name: 'Edit profile' }).click();
    const name = await edit.getByLabel('Name').inputValue();
    await edit.getByLabel('Region').fill('Held region');
    await edit.getByRole('button', { name: 'Save' }).click();
    await edit.getByRole('button', { name: 'Working…' }).waitFor();
    expect(await edit.getByLabel('Name').isDisabled()).toBe(true);
    expect(await edit.getByLabel('Region').isDisabled()).toBe(true);
    expect(await edit.getByRole('button', { name: 'Cancel' }).isEnabled()).toBe(true);
    profile.release();
    await edit.waitFor({ state: 'detached' });
    await page.locator('#profile').getByText('Held region', { exact: true }).waitFor();
    const { memberByExternalId: chloe } = (await h.server.gql('{ memberByExternalId(externalId: "demo-0003") { displayName region } }', {}, h.devAdminToken)).data!;
    expect(chloe).toEqual({ displayName: name, region: 'Held region' });
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('an adjustment whose answer was lost: saved again as it was, it is recorded once; saved with other points, the operator is told the first was recorded', async () => {
    const { page, balanceOf } = await openProfile('demo-0004');
    const balance = await balanceOf();
    // The server records each of the first two saves; their answers never reach the page.
    const lost = await loseAnswers(page, 'AdjustPoints', 2);
    const dialog = page.getByRole('dialog', { name: 'Adjust points' });
    await page.getByRole('button', { name: 'Adjust points' }).click();
    await dialog.getByTestId('adjust-amount').fill('7');
    await dialog.getByTestId('adjust-reason').fill('Answer lost');
    await dialog.getByRole('button', { name: 'Adjust' }).click();
    await dialog.getByText('No answer came from the server: the adjustment may have been recorded.').waitFor();
    // Sent again as it was (the answer lost again): still the one adjustment.
    await dialog.getByRole('button', { name: 'Adjust' }).click();
    for (let i = 0; i < 300 && lost.sent() < 2; i += 1) await new Promise((r) => setTimeout(r, 50));
    await dialog.getByRole('button', { name: 'Adjust' }).waitFor();
    await dialog.getByText('No answer came from the server: the adjustment may have been recorded.').waitFor();
    // The page read the member again: the one adjustment of 7 shows.
    await page.getByTestId('balance').getByText((balance + 7).toLocaleString('en')).waitFor();
    // Sent with other points: the first one stands, and the operator is told so; the page shows it.
    await dialog.getByTestId('adjust-amount').fill('9');
    await dialog.getByRole('button', { name: 'Adjust' }).click();
    await dialog.getByText('The adjustment sent before the connection failed was recorded').waitFor();
    await page.getByTestId('balance').getByText((balance + 7).toLocaleString('en')).waitFor();
    expect(await dialog.getByTestId('adjust-amount').inputValue()).toBe('9');
    // Saved again: now a second adjustment, of 9.
    await dialog.getByRole('button', { name: 'Adjust' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByTestId('balance').getByText((balance + 16).toLocaleString('en')).waitFor();
    expect(lost.sent()).toBe(4);
    const ledger = await h.server.sql<{ amount: number; reason: string }>(
      `select t.amount, t.reason from point_transaction t join member m on m.id = t.member_id
        where m.external_id = 'demo-0004' and t.type = 'ADJUST' and t.reason = 'Answer lost' order by t.id`,
    );
    expect(ledger).toEqual([{ amount: 7, reason: 'Answer lost' }, { amount: 9, reason: 'Answer lost' }]);
    // Only the browser's own lines for the two cut answers.
    expect(h.pageErrors(page).filter((e) => !e.includes('net::ERR_CONNECTION_RESET'))).toEqual([]);
  });

  it('an adjustment sent while the server is away: the page and the dialog stay as they are (the read again gets no answer either), and saved again once it is back, it is recorded once', async () => {
    const { page, balanceOf } = await openProfile('demo-0005');
    const balance = await balanceOf();
    const dialog = page.getByRole('dialog', { name: 'Adjust points' });
    await page.getByRole('button', { name: 'Adjust points' }).click();
    await dialog.getByTestId('adjust-amount').fill('13');
    await dialog.getByTestId('adjust-reason').fill('Server away');
    // The server is away: every request's connection fails.
    const away: string[] = [];
    await page.route('**/graphql', (route) => {
      away.push((route.request().postDataJSON() as { operationName?: string } | null)?.operationName ?? '?');
      return route.abort('connectionrefused');
    });
    await dialog.getByRole('button', { name: 'Adjust' }).click();
    await dialog.getByText('No answer came from the server: the adjustment may have been recorded.').waitFor();
    for (let i = 0; i < 100 && away.length < 2; i += 1) await page.waitForTimeout(50);
    expect(away[0]).toBe('AdjustPoints');
    expect(away.slice(1)).toContain('MemberProfile'); // read again, in vain
    await page.waitForTimeout(300);
    // Nothing replaced: the profile, the dialog, what was typed and its message.
    expect(await dialog.getByTestId('adjust-amount').inputValue()).toBe('13');
    await dialog.getByText('No answer came from the server: the adjustment may have been recorded.').waitFor();
    expect(await balanceOf()).toBe(balance);
    // Back: saved again, the same key: recorded once.
    await page.unroute('**/graphql');
    await dialog.getByRole('button', { name: 'Adjust' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByTestId('balance').getByText((balance + 13).toLocaleString('en')).waitFor();
    expect(await h.server.sql<{ n: number }>(`select count(*)::int as n from point_transaction t join member m on m.id = t.member_id
      where m.external_id = 'demo-0005' and t.reason = 'Server away'`)).toEqual([{ n: 1 }]);
    expect(h.pageErrors(page).filter((e) => !e.includes('net::ERR_CONNECTION_REFUSED'))).toEqual([]);
  });

  it('tags and untags; untagging asks first', async () => {
    const page = await h.open();
    await h.signIn(page);
    await openAva(page);
    const tags = page.locator('#tags');
    // A manual tag Ava does not have yet (the select offers only those).
    const name = (await tags.getByLabel('Add a tag').locator('option').allTextContents())[1];
    await tags.getByLabel('Add a tag').selectOption({ label: name });
    await tags.getByRole('button', { name: 'Tag', exact: true }).click();
    const remove = tags.getByRole('button', { name: `Remove the tag ${name}` });
    await remove.waitFor();
    await remove.click();
    const confirm = page.getByRole('alertdialog', { name: 'Remove this tag?' });
    await confirm.waitFor();
    // Focus starts on Cancel: Enter does not remove by accident.
    await page.keyboard.press('Enter');
    await confirm.waitFor({ state: 'detached' });
    expect(await remove.count()).toBe(1);
    await remove.click();
    await confirm.getByRole('button', { name: 'Remove the tag' }).click();
    await remove.waitFor({ state: 'detached' });
  });

  it('overrides the tier with a reason and an end date', async () => {
    const page = await h.open();
    await h.signIn(page);
    await openAva(page);
    await page.getByRole('button', { name: 'Override tier' }).click();
    const dialog = page.getByRole('dialog', { name: 'Override the tier' });
    const current = await dialog.getByLabel('Tier', { exact: true }).inputValue();
    // A choice cancelled is forgotten: the dialog opens again on the member's tier, without the reason.
    await dialog.getByLabel('Tier', { exact: true }).selectOption({ label: 'Bronze' });
    await dialog.getByLabel('Reason').fill('abandoned');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Override tier' }).click();
    expect([await dialog.getByLabel('Tier', { exact: true }).inputValue(), await dialog.getByLabel('Reason').inputValue()]).toEqual([current, '']);
    await dialog.getByLabel('Tier', { exact: true }).selectOption({ label: 'Platinum' });
    await dialog.getByLabel('Reason').fill('Service recovery');
    await dialog.getByLabel('Holds until').fill('2030-06-30');
    await dialog.getByRole('button', { name: 'Set the tier' }).click();
    await dialog.waitFor({ state: 'detached' });
    const summary = page.getByTestId('member-summary');
    await summary.getByText('Platinum', { exact: true }).waitFor();
    expect(await summary.textContent()).toMatch(/until Jun 30, 2030/);
    const change = page.locator('#tier-history tbody tr').first();
    expect(await change.locator('td').allTextContents()).toEqual([expect.any(String), 'Upgrade', 'Gold → Platinum', expect.any(String), expect.stringMatching(/Service recovery/)]);
  });

  it('a tier override holds to the end of the chosen day in the programme\'s time zone, whatever the browser\'s', async () => {
    // The browser runs on this machine's clock (UTC here), the programme in Shanghai (UTC+8).
    await inProgrammeZone(h, 'Asia/Shanghai', async () => {
      const page = await h.open();
      await h.signIn(page);
      await openAva(page);
      await page.getByRole('button', { name: 'Override tier' }).click();
      const dialog = page.getByRole('dialog', { name: 'Override the tier' });
      await dialog.getByText('To the end of that day in the programme\'s time zone (Asia/Shanghai).', { exact: false }).waitFor();
      await dialog.getByLabel('Tier', { exact: true }).selectOption({ label: 'Gold' });
      await dialog.getByLabel('Reason').fill('Goodwill, until the end of June');
      await dialog.getByLabel('Holds until').fill('2030-06-30');
      await dialog.getByRole('button', { name: 'Set the tier' }).click();
      await dialog.waitFor({ state: 'detached' });
      const summary = page.getByTestId('member-summary');
      await summary.getByText('Gold', { exact: true }).waitFor();
      expect(await summary.textContent()).toMatch(/until Jun 30, 2030/);
      // 23:59:59 in Shanghai is 15:59:59 UTC (the browser's clock would have made it 23:59:59 UTC: 8 hours into July in Shanghai).
      const { memberByExternalId } = await adminQuery<{ memberByExternalId: { tierExpiresAt: string } }>(h, '{ memberByExternalId(externalId: "demo-0001") { tierExpiresAt } }');
      expect(memberByExternalId.tierExpiresAt).toBe('2030-06-30T15:59:59.000Z');
      expect(h.pageErrors(page)).toEqual([]);
    });
  });

  it('cancels a redemption after its confirmation, and the coupon says so', async () => {
    const ava = (await h.server.gql('{ memberByExternalId(externalId: "demo-0001") { id } }', {}, h.devAdminToken)).data!.memberByExternalId.id as string;
    const redeemed = await h.server.gql('mutation($i: RedeemRewardInput!) { redeemReward(input: $i) { couponCode } }',
      { i: { memberId: ava, rewardCode: 'COFFEE', idempotencyKey: `browser-${Date.now()}` } }, await h.token('member', ava));
    const coupon = redeemed.data!.redeemReward.couponCode as string;
    const page = await h.open();
    await h.signIn(page);
    await openAva(page);
    const row = page.locator('#redemptions tbody tr', { hasText: coupon });
    expect(await row.locator('td').nth(2).textContent()).toBe('Issued');
    await row.getByRole('button', { name: `Cancel the redemption of coupon ${coupon}` }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Cancel this redemption?' });
    await dialog.getByText(`The coupon ${coupon} for A free coffee will no longer be usable`).waitFor();
    await dialog.getByLabel('Reason').fill('Customer changed their mind');
    await dialog.getByRole('button', { name: 'Cancel the redemption' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.locator('#redemptions tbody tr', { hasText: coupon }).getByText('Cancelled').waitFor();
    expect(await page.locator('#redemptions tbody tr', { hasText: coupon }).getByRole('button').count()).toBe(0);
    // Its points came back: a REDEMPTION_CANCEL line on top of the ledger.
    expect(await page.getByTestId('ledger').locator('tbody tr').first().locator('td').nth(1).textContent()).toBe('Redemption cancelled');
  });

  it('an id that names no member, malformed or not, says so once: no error, no retry, nothing asked; in both languages', async () => {
    const page = await h.open();
    await h.signIn(page);
    for (const [language, message] of [['en', 'No member has this id.'], ['zh-CN', '没有此 ID 的会员。']] as const) {
      await page.getByTestId('language-switch').selectOption(language);
      for (const id of ['not-a-uuid', '00000000-0000-4000-8000-000000000000']) {
        const requests = await graphqlRequests(page, async () => {
          await h.goto(page, `/members/${id}`);
          await page.locator('main').getByText(message).waitFor();
          await page.waitForLoadState('networkidle');
        });
        expect(requests).toEqual(id === 'not-a-uuid' ? [] : ['MemberProfile']);
        expect(await page.locator('main [role="alert"]').count()).toBe(0);
        expect(await page.locator('main button').count()).toBe(0);
        expect(await page.locator('main .empty').allTextContents()).toEqual([message]);
      }
    }
    expect(h.pageErrors(page)).toEqual([]);
  });

  it("shows the server's own reasons in Chinese on a Chinese page, and an operator's as written", async () => {
    const register = async (input: Record<string, unknown>) => (await adminQuery<{ registerMember: { id: string; referralCode: string } }>(h,
      'mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id referralCode } }', { input })).registerMember;
    const a = await register({ externalId: 'reasons-a', displayName: 'Reason Referrer', email: 'reasons@example.com' });
    // The friend shares the referrer's email: rejected at once, with the server's reason.
    await register({ externalId: 'reasons-b', displayName: 'Reason Friend', email: 'reasons@example.com', referralCode: a.referralCode });
    await adminQuery(h, 'mutation($i: AdjustPointsInput!) { adjustPoints(input: $i) { id } }',
      { i: { memberId: a.id, amount: 5, reason: 'goodwill: late delivery', idempotencyKey: 'reasons-a-goodwill' } });
    // A purchase big enough for the next tier: an upgrade whose reason is the server's.
    const bought = await h.server.gql('mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }',
      { i: { memberId: a.id, orderId: 'reasons-a-1', amount: 6000 } }, await h.token('service'));
    expect(bought.errors).toBeUndefined();
    const res = await h.server.gql('mutation($id: ID!) { checkIn(memberId: $id) { streak } }', { id: a.id }, await h.token('member', a.id));
    expect(res.errors).toBeUndefined();
    const stored = await adminQuery<{ member: { tierHistory: { reason: string }[]; referrals: { edges: { node: { reason: string } }[] } } }>(h,
      'query($id: ID!) { member(id: $id) { tierHistory { reason } referrals(first: 5) { edges { node { reason } } } } }', { id: a.id });
    expect(stored.member.tierHistory.map((c) => c.reason)).toContain('qualifying points reached');
    expect(stored.member.referrals.edges.map((e) => e.node.reason)).toEqual(["the referee shares the referrer's phone or email"]);

    const page = await h.open();
    await h.signIn(page);
    await page.getByTestId('language-switch').selectOption('zh-CN');
    await h.goto(page, `/members/${a.id}`);
    const reasonCells = (table: ReturnType<Page['locator']>, column: number) => table.locator(`tbody tr td:nth-child(${column})`).allTextContents();
    const ledger = page.getByTestId('ledger');
    await ledger.waitFor();
    const zhLedger = await reasonCells(ledger, 5);
    expect(zhLedger).toEqual(expect.arrayContaining(['每日签到', 'goodwill: late delivery']));
    expect(zhLedger).not.toContain('daily check-in');
    expect(await reasonCells(page.locator('#tier-history table'), 5)).toContain('达到定级积分');
    expect(await reasonCells(page.getByTestId('referrals'), 5)).toEqual(['被邀请人与邀请人的手机号或邮箱相同']);
    // In English, what the server wrote.
    await page.getByTestId('language-switch').selectOption('en');
    expect(await reasonCells(ledger, 5)).toEqual(expect.arrayContaining(['daily check-in', 'goodwill: late delivery']));
    expect(await reasonCells(page.locator('#tier-history table'), 5)).toContain('qualifying points reached');
    expect(await reasonCells(page.getByTestId('referrals'), 5)).toEqual(["the referee shares the referrer's phone or email"]);
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('in Chinese, and at tablet width', async () => {
    const page = await h.open(TABLET);
    await h.signIn(page);
    await page.getByTestId('language-switch').selectOption('zh-CN');
    await openAvaZh(page);
    for (const label of ['资料', '留存', '标签', '权益', '积分流水', '兑换记录', '等级历史']) {
      await page.getByRole('heading', { level: 2, name: label, exact: true }).waitFor();
    }
    await page.getByRole('button', { name: '调整积分' }).waitFor();
    expect(await overflows(page)).toBe(false);
    expect(await h.axe(page)).toEqual([]);
    await h.screenshot(page, 'member-profile-zh-tablet');
    expect(await overflowsAfterResize(page, DESKTOP)).toBe(false);
    // The list too: its wide table scrolls in its own box, not the page.
    await page.setViewportSize(TABLET);
    await h.goto(page, '/members');
    await page.locator('table tbody tr').first().waitFor();
    expect(await page.getByRole('columnheader').allTextContents()).toEqual(['姓名', '外部 ID', '邮箱', '手机号', '等级', '积分余额', '阶段']);
    expect(await overflows(page)).toBe(false);
    expect(await h.axe(page)).toEqual([]);
  });
});

async function openAvaZh(page: Page) {
  await h.goto(page, '/members?q=demo-0001');
  await page.getByRole('link', { name: 'Ava Lin' }).click();
  await page.getByTestId('ledger').waitFor();
}
