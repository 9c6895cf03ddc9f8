import type { Page } from 'playwright-core';
import { mintToken } from '../../src/api/auth';
import { startConsole, type ConsoleHarness } from './support/console';
import { graphqlRequests, waitUntilTrue } from './support/page-checks';

/** Sign-in in a real browser: the development one-click, a pasted token, a refused one, sign-out, the language switch. */
let h: ConsoleHarness;
beforeAll(async () => {
  h = await startConsole();
}, 300_000);
afterAll(() => h?.stop());

describe('sign-in', () => {
  it('in development, one click with the development admin token; sign-out returns to sign-in', async () => {
    const page = await h.open();
    await page.goto(`${h.origin}/admin/members`);
    await page.getByRole('heading', { name: 'Sign in to the loyalty console' }).waitFor();
    expect(await h.axe(page)).toEqual([]);
    await h.screenshot(page, 'sign-in');
    await page.getByRole('button', { name: 'Sign in with the development admin token' }).click();
    // Straight to the page that was asked for, signed in as the development admin.
    await page.getByRole('heading', { level: 1, name: 'Members' }).waitFor();
    expect(await page.locator('.whoami').textContent()).toBe('Signed in: admin (dev-admin)');
    const stored = await page.evaluate('sessionStorage.getItem("loyalty-console.token")');
    expect(stored).toBe(h.devAdminToken);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to the loyalty console' }).waitFor();
    expect(await page.evaluate('sessionStorage.getItem("loyalty-console.token")')).toBeNull();
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('a pasted admin token, checked by the server first; "stay signed in" keeps it across a new tab', async () => {
    const page = await h.open();
    await page.goto(`${h.origin}/admin/`);
    const token = await h.token('admin', 'ops-lead');
    await page.getByLabel('Token').fill(`Bearer ${token}`);
    await page.getByLabel('Stay signed in on this device').check();
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('navigation', { name: 'Console pages' }).waitFor();
    expect(await page.locator('.whoami').textContent()).toBe('Signed in: admin (ops-lead)');
    const other = await page.context().newPage();
    await other.goto(`${h.origin}/admin/members`);
    await other.getByRole('heading', { level: 1, name: 'Members' }).waitFor();
  });

  it('a token the server refuses: its message under the token field, and nothing kept', async () => {
    const page = await h.open();
    await page.goto(`${h.origin}/admin/`);
    const forged = (await h.token('admin')).replace(/\.[^.]+$/, '.AAAA');
    await page.getByLabel('Token').fill(forged);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    const error = page.getByTestId('field-error-token');
    await error.waitFor();
    // The server's own words (src/api/auth.ts), next to the field, which is marked invalid.
    expect(await error.textContent()).toMatch(/token/i);
    expect(await page.getByLabel('Token').getAttribute('aria-invalid')).toBe('true');
    expect(await page.evaluate('sessionStorage.getItem("loyalty-console.token") ?? localStorage.getItem("loyalty-console.token")')).toBeNull();
    // A member's token is not for the console.
    await page.getByLabel('Token').fill(await h.token('member', 'someone'));
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByText('This is a member token').waitFor();
  });
});

describe('the console is for admins', () => {
  const KEY = 'loyalty-console.token';
  const kept = (page: Page) => page.evaluate<string | null>(`sessionStorage.getItem("${KEY}") ?? localStorage.getItem("${KEY}")`);
  /** An admin token of this server's that ran out an hour ago. */
  const expiredAdmin = () => mintToken(h.server.app.jwtSecret!, { role: 'admin', sub: 'ops-lead' }, Math.floor(Date.now() / 1000) - 3600);
  const signIn = async (page: Page, token: string, button = 'Sign in') => {
    await page.getByLabel(button === 'Sign in' ? 'Token' : '令牌').fill(token);
    await page.getByRole('button', { name: button, exact: true }).click();
  };

  it('a service token is refused at sign-in, in English and in Chinese, and nothing is kept', async () => {
    const page = await h.open();
    await page.goto(`${h.origin}/admin/`);
    const service = await h.token('service', 'till-7');
    const requests = await graphqlRequests(page, async () => {
      await signIn(page, service);
      await page.getByTestId('field-error-token').getByText('This is a service token: the console is for admins only. Sign in with an admin token.').waitFor();
    });
    expect(requests).toEqual([]);
    expect(await page.getByLabel('Token').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByRole('navigation', { name: 'Console pages' }).count()).toBe(0);
    expect(await kept(page)).toBeNull();
    await page.getByTestId('language-switch').selectOption('zh-CN');
    await signIn(page, service, '登录');
    await page.getByTestId('field-error-token').getByText('这是 service 角色的令牌：控制台仅供管理员使用，请使用管理员令牌登录。').waitFor();
    expect(await kept(page)).toBeNull();
    expect(h.pageErrors(page)).toEqual([]);
  });

  it('in Chinese, a token the server refuses: the console\'s sentence, then the server\'s words', async () => {
    const page = await h.open();
    await page.goto(`${h.origin}/admin/`);
    await page.getByTestId('language-switch').selectOption('zh-CN');
    await signIn(page, 'not-a-token', '登录');
    await page.getByTestId('field-error-token').getByText('服务器不接受此令牌。（Token refused: malformed）', { exact: true }).waitFor();
    expect(await kept(page)).toBeNull();
  });

  it('an expired or malformed token is refused at sign-in with a message of the console\'s own', async () => {
    const page = await h.open();
    await page.goto(`${h.origin}/admin/`);
    await signIn(page, await expiredAdmin());
    await page.getByTestId('field-error-token').getByText(/^This token expired on .+: get a new one\.$/).waitFor();
    await signIn(page, 'not-a-token');
    await page.getByTestId('field-error-token').getByText('The server did not accept the token. (Token refused: malformed)', { exact: true }).waitFor();
    expect(await kept(page)).toBeNull();
    // An admin token still signs in, from the same form.
    await signIn(page, await h.token('admin', 'ops-lead'));
    await page.getByRole('navigation', { name: 'Console pages' }).waitFor();
  });

  it('a kept session that expired, or that the server refuses, returns to sign-in saying so; signing in again returns to the page', async () => {
    const page = await h.open();
    await page.goto(`${h.origin}/admin/`);
    // Expired by its claims: back to sign-in before any page asks the server.
    await page.evaluate(`sessionStorage.setItem("${KEY}", ${JSON.stringify(await expiredAdmin())})`);
    await page.goto(`${h.origin}/admin/members`);
    const notice = page.getByTestId('signed-out');
    await notice.getByText('You were signed out: your token expired or the server no longer accepts it. Sign in again.').waitFor();
    expect(await kept(page)).toBeNull();
    // Unexpired, but the server refuses it (a signature that is not its own): the page's first request signs out.
    const forged = (await h.token('admin', 'ops-lead')).replace(/\.[^.]+$/, '.AAAA');
    await page.evaluate(`sessionStorage.setItem("${KEY}", ${JSON.stringify(forged)})`);
    await page.goto(`${h.origin}/admin/members`);
    await notice.getByText('You were signed out: your token expired or the server no longer accepts it. Sign in again.').waitFor();
    expect(await kept(page)).toBeNull();
    expect(await page.getByRole('alert').filter({ hasText: 'The server could not answer this request.' }).count()).toBe(0);
    // A service token kept by an older console: signed out at once, saying why.
    await page.evaluate(`sessionStorage.setItem("${KEY}", ${JSON.stringify(await h.token('service', 'till-7'))})`);
    await page.goto(`${h.origin}/admin/members`);
    await notice.getByText('You were signed out: the token this browser kept is not an admin\'s. Sign in with an admin token.').waitFor();
    expect(await kept(page)).toBeNull();
    expect(await h.axe(page)).toEqual([]);
    await signIn(page, await h.token('admin', 'ops-lead'));
    await page.getByRole('heading', { level: 1, name: 'Members' }).waitFor();
    expect(await notice.count()).toBe(0);
  });

  it('switching to Chinese translates the labels, and the choice is kept', async () => {
    const page = await h.open();
    await h.signIn(page);
    await page.getByTestId('language-switch').selectOption('zh-CN');
    const nav = page.getByRole('navigation', { name: '控制台页面' });
    await nav.waitFor();
    expect(await nav.getByRole('link').allTextContents()).toEqual(['概览', '会员', '等级', '权益', '奖励', '人群', '标签', '营销活动', '流失模型', '导入', '审计日志', '定时任务', 'Webhook 推送', '会员计划设置', '推荐统计']);
    expect(await page.getByRole('button', { name: '退出登录' }).count()).toBe(1);
    expect(await page.evaluate('document.documentElement.lang')).toBe('zh-CN');
    await page.reload();
    await page.getByRole('navigation', { name: '控制台页面' }).waitFor();
    expect(await h.axe(page)).toEqual([]);
    await page.getByTestId('language-switch').selectOption('en');
    await page.getByRole('navigation', { name: 'Console pages' }).waitFor();
  });
});

describe('the shell', () => {
  it('every navigation entry opens its page, by keyboard', async () => {
    const page = await h.open();
    await h.signIn(page);
    // The skip link comes first, and leads to the content (from a fresh load: signing in moved the focus to the page's title).
    await page.reload();
    await page.getByRole('navigation', { name: 'Console pages' }).waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate<string | null>('document.activeElement?.textContent')).toBe('Skip to content');
    const nav = page.getByRole('navigation', { name: 'Console pages' });
    // From the dashboard (the first page) to each of the others, and back.
    for (const name of ['Members', 'Tiers', 'Benefits', 'Rewards', 'Segments', 'Tags', 'Campaigns', 'Churn model', 'Imports', 'Audit log', 'Jobs', 'Webhooks', 'Programme', 'Referrals', 'Dashboard']) {
      await nav.getByRole('link', { name }).focus();
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name }).waitFor();
      expect(await nav.getByRole('link', { name }).getAttribute('aria-current')).toBe('page');
      // Focus moves to the new page's title (a screen reader announces it).
      await waitUntilTrue(page, 'document.activeElement?.id === "page-title"');
      expect(await page.getByTestId('placeholder').count()).toBe(0); // every page is built
      expect(await h.axe(page)).toEqual([]);
    }
    await page.goto(`${h.origin}/admin/no-such-page`);
    await page.getByRole('heading', { level: 1, name: 'Page not found' }).waitFor();
    expect(h.pageErrors(page)).toEqual([]);
  }, 240_000); // a page and an accessibility check per entry: slow on a loaded machine
});

describe('the development token endpoint', () => {
  it('answers this machine with the token the server printed', async () => {
    const res = await fetch(`${h.origin}/admin/dev-token`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({ token: h.devAdminToken, role: 'admin' });
  });
});
