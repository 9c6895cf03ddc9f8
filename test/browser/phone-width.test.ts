import { startConsole, type ConsoleHarness } from './support/console';
import { adminQuery, overflows } from './support/page-checks';

/**
 * The console at phone width (390 × 844), in both languages: the navigation wraps above the
 * content instead of taking half the screen, and no page scrolls sideways (wide tables scroll
 * inside their own box, a visually hidden caption included).
 */
let h: ConsoleHarness;
beforeAll(async () => {
  h = await startConsole();
}, 300_000);
afterAll(() => h?.stop());

const PHONE = { width: 390, height: 844 };

describe('Phone width', () => {
  it('every page fits the screen, in English and in Chinese', async () => {
    const { members } = await adminQuery<{ members: { edges: { node: { id: string } }[] } }>(h, '{ members(first: 1) { edges { node { id } } } }');
    const paths = ['/dashboard', '/members', `/members/${members.edges[0].node.id}`, '/tiers', '/benefits', '/benefits/GOLD_DISCOUNT', '/rewards',
      '/segments', '/campaigns/new', '/churn-model', '/imports', '/audit', '/jobs', '/webhooks', '/programme', '/referrals', '/tags'];
    const page = await h.open(PHONE);
    await h.signIn(page);
    const nav = await page.getByRole('navigation', { name: 'Console pages' }).boundingBox();
    const main = await page.locator('main').boundingBox();
    // Above the content, across the screen.
    expect(nav!.y + nav!.height).toBeLessThanOrEqual(main!.y + 1);
    expect(main!.width).toBeGreaterThan(PHONE.width - 2);
    const wide: string[] = [];
    for (const language of ['en', 'zh-CN']) {
      await page.getByTestId('language-switch').selectOption(language);
      for (const path of paths) {
        await h.goto(page, path);
        await page.waitForLoadState('networkidle');
        if (await overflows(page)) wide.push(`${language} ${path}`);
      }
    }
    expect(wide).toEqual([]);
    expect(h.pageErrors(page)).toEqual([]);
  }, 240_000); // thirty page loads: a loaded machine takes well over the default minute

  it('a campaign report shows both arms\' figures beside their labels, on screen (found by an outside audit)', async () => {
    const page = await h.open(PHONE);
    await h.signIn(page);
    for (const language of ['en', 'zh-CN']) {
      await page.getByTestId('language-switch').selectOption(language);
      await h.goto(page, '/campaigns/DOUBLE-POINTS');
      const row = page.getByTestId('campaign-arms').locator('tbody tr').first();
      await row.waitFor();
      const control = await row.locator('td').nth(1).boundingBox();
      expect({ language, controlOnScreen: control!.x + control!.width <= PHONE.width }).toEqual({ language, controlOnScreen: true });
    }
    await page.close();
  }, 120_000);

  it('a name without spaces wraps: a member\'s and a benefit\'s titles, and the benefit on the profiles it applies to', async () => {
    const long = `Customer${'X'.repeat(132)}`;
    const { registerMember } = await adminQuery<{ registerMember: { id: string } }>(h,
      'mutation($i: RegisterMemberInput!) { registerMember(input: $i) { id } }', { i: { externalId: 'long-name-1', displayName: long } });
    await adminQuery(h, 'mutation($i: BenefitInput!) { upsertBenefit(input: $i) { code } }',
      { i: { code: 'LONG_NAME', name: `Benefit${'Y'.repeat(133)}`, kind: 'CUSTOM', tierCodes: [] } });
    const wide: string[] = [];
    for (const viewport of [PHONE, { width: 1280, height: 800 }]) {
      const page = await h.open(viewport);
      await h.signIn(page);
      for (const path of [`/members/${registerMember.id}`, '/benefits/LONG_NAME']) {
        await h.goto(page, path);
        await page.waitForLoadState('networkidle');
        if (await overflows(page)) wide.push(`${viewport.width} ${path}`);
      }
      await page.close();
    }
    expect(wide).toEqual([]);
  }, 120_000);
});
