import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page, type Request } from 'playwright-core';
import { mintToken } from '../../../src/api/auth';
import type { AppConfig } from '../../../src/config/env';
import { startTestServer, type TestServer } from '../../support/harness';
import { ROOT } from '../../support/server-process';
import { ensureConsoleBuilt } from './console-build';
import { demoDatabase } from './demo-database';

/**
 * The browser tests' harness: per test file, one real server (src/app.ts, on a copy of the demo
 * data, in a development start so the one-click sign-in exists) and one headless Chromium
 * (Debian's /usr/bin/chromium, driven by playwright-core; `.ci/run` installs it). A test opens
 * pages in a fresh context (no storage shared with another test) with `h.open()`.
 *
 *   let h: ConsoleHarness;
 *   beforeAll(async () => { h = await startConsole(); }, 240_000);
 *   afterAll(() => h?.stop());
 *   it('…', async () => { const page = await h.open(); await h.signIn(page); await h.goto(page, '/members'); … });
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The flags this machine needs (no sandbox as root; no network beyond loopback, so nothing in the background). */
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
];

export const DESKTOP = { width: 1280, height: 800 };
export const TABLET = { width: 820, height: 1180 };

export interface ConsoleHarness {
  server: TestServer;
  browser: Browser;
  /** http://127.0.0.1:PORT */
  origin: string;
  /** The admin token a development start offers (GET /admin/dev-token). */
  devAdminToken: string;
  /** A token signed with the server's secret. */
  token(role: 'admin' | 'service' | 'member', sub?: string): Promise<string>;
  /** A page in a new browser context (its own storage), at 1280×800 unless given a viewport; console errors are collected. */
  open(viewport?: { width: number; height: number }): Promise<Page>;
  /** Signs in with the development one-click button, and waits for the shell. */
  signIn(page: Page): Promise<void>;
  /** Goes to a console path (`/members?q=…`) and waits for its title. */
  goto(page: Page, path: string): Promise<void>;
  /** The page's serious and critical accessibility violations (axe-core), as `rule: target` lines. */
  axe(page: Page): Promise<string[]>;
  /** Saves a screenshot as docs/screenshots/NAME.png (UPDATE_SCREENSHOTS=1) or in a temporary folder. */
  screenshot(page: Page, name: string): Promise<string>;
  /** Errors the page logged or threw (a test expects none). */
  pageErrors(page: Page): string[];
  stop(): Promise<void>;
}

const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? join(ROOT, 'docs', 'screenshots') : mkdtempSync(join(tmpdir(), 'console-screenshots-'));

export async function startConsole(overrides: Omit<Partial<AppConfig>, 'databaseUrl'> = {}): Promise<ConsoleHarness> {
  const [databaseUrl] = await Promise.all([demoDatabase(), ensureConsoleBuilt()]);
  // A development start (no JWT_SECRET): the server makes its own secret and offers the admin token.
  const server = await startTestServer({ databaseUrl, seed: 'none', jwtSecret: null, ...overrides });
  const secret = server.app.jwtSecret!;
  const devAdminToken = server.app.devAdminToken!;
  let browser: Browser;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  } catch (err) {
    await server.stop();
    throw new Error(`Chromium did not start from ${CHROMIUM} (apt-get install -y chromium; .ci/run does): ${(err as Error).message}`, { cause: err });
  }
  /** Each open context with the test that opened it: a test's pages are closed when the next test opens one. */
  const contexts: { context: BrowserContext; test: string | undefined }[] = [];
  const errors = new WeakMap<Page, string[]>();
  const origin = server.url;

  const h: ConsoleHarness = {
    server, browser, origin, devAdminToken,
    token: (role, sub) => mintToken(secret, { role, sub: sub ?? `console-${role}` }),
    async open(viewport = DESKTOP) {
      // An earlier test's pages are closed first: ten idle consoles (each its own renderer) on a
      // two-core machine running other test files starved a click past its 15 s once.
      const test = expect.getState().currentTestName;
      const earlier = contexts.filter((c) => c.test !== test);
      await Promise.all(earlier.map((c) => c.context.close().catch(() => {})));
      contexts.splice(0, contexts.length, ...contexts.filter((c) => c.test === test));
      const context = await browser.newContext({ viewport, locale: 'en-GB', reducedMotion: 'reduce' });
      contexts.push({ context, test });
      context.setDefaultTimeout(15_000);
      const page = await context.newPage();
      const list: string[] = [];
      errors.set(page, list);
      page.on('pageerror', (e) => list.push(`pageerror: ${e.message}`));
      page.on('console', (m) => {
        // A 404 for /admin/dev-token is expected where the server offers none.
        if (m.type() === 'error' && !/dev-token|status of 404/.test(m.text() + (m.location().url ?? ''))) list.push(`console: ${m.text()}`);
      });
      return page;
    },
    async signIn(page) {
      await page.goto(`${origin}/admin/`);
      // The page signed in to (the dashboard) loads its chunk and then its two queries: a test
      // that counts the next page's requests must not see them, so wait for their answers.
      const answered = new Set<string>();
      const seen = (r: Request) => {
        if (new URL(r.url()).pathname === '/graphql') answered.add((r.postDataJSON() as { operationName?: string } | null)?.operationName ?? '?');
      };
      page.on('requestfinished', seen);
      try {
        // The button appears once the page has asked the server for the development token: on a
        // machine saturated by other test files (server-spawning ones) that took past the default 15 s once.
        await page.getByTestId('dev-sign-in').waitFor({ timeout: 60_000 });
        await page.getByTestId('dev-sign-in').click();
        await page.getByRole('navigation', { name: 'Console pages' }).waitFor();
        const deadline = Date.now() + 30_000;
        while (!(answered.has('DashboardSummary') && answered.has('DashboardSeries'))) {
          if (Date.now() > deadline) throw new Error(`the dashboard did not load after sign-in (answered: ${[...answered].join(', ') || 'nothing'})`);
          await new Promise((r) => setTimeout(r, 50));
        }
      } finally {
        page.off('requestfinished', seen);
      }
      await networkQuiet(page);
    },
    async goto(page, path) {
      await page.goto(`${origin}/admin${path}`);
      await page.locator('#page-title').waitFor();
    },
    async axe(page) {
      // Evaluated, not added as a <script>: the console's Content-Security-Policy (script-src 'self')
      // refuses an inline script, as it should; the test's own code is not the page's.
      await page.evaluate(readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
      // A string: this project's TypeScript has no DOM types (the page's code runs in the browser).
      const violations = await page.evaluate<{ id: string; impact: string | null; nodes: { target: string[] }[] }[]>(
        `axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations)`,
      );
      return violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(' ')}`));
    },
    async screenshot(page, name) {
      mkdirSync(SCREENSHOTS, { recursive: true });
      const path = join(SCREENSHOTS, `${name}.png`);
      await page.screenshot({ path });
      return path;
    },
    pageErrors: (page) => errors.get(page) ?? [],
    async stop() {
      await Promise.all(contexts.map((c) => c.context.close().catch(() => {})));
      await browser.close();
      await server.stop();
    },
  };
  return h;
}

/**
 * Resolves once `page` has had no request in flight for `quietMs` (Playwright's 'networkidle'
 * is a load state: reached once, it does not wait for what a single-page app fetches later).
 */
export async function networkQuiet(page: Page, quietMs = 500, timeoutMs = 15_000): Promise<void> {
  let inFlight = 0;
  let last = Date.now();
  const up = () => { inFlight += 1; last = Date.now(); };
  const down = () => { inFlight = Math.max(0, inFlight - 1); last = Date.now(); };
  page.on('request', up);
  page.on('requestfinished', down);
  page.on('requestfailed', down);
  try {
    const deadline = Date.now() + timeoutMs;
    while (inFlight > 0 || Date.now() - last < quietMs) {
      if (Date.now() > deadline) throw new Error(`the page's network did not go quiet within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    page.off('request', up);
    page.off('requestfinished', down);
    page.off('requestfailed', down);
  }
}
