import type { Page } from 'playwright-core';
import { JWT_SECRET } from '../support/harness';
import { networkQuiet, startConsole, type ConsoleHarness } from './support/console';

/**
 * The console on a server that is not a development start (JWT_SECRET set: GET /admin/dev-token
 * answers 404 there). A load asks nothing the server cannot answer: no request fails, the
 * browser logs no error (the harness's own list forgives a 404; this test counts every one).
 */
let h: ConsoleHarness;
beforeAll(async () => {
  h = await startConsole({ jwtSecret: JWT_SECRET });
}, 300_000);
afterAll(() => h?.stop());

/** Every answer of 400 or more, every request that failed, every error the browser logged. */
function record(page: Page): string[] {
  const seen: string[] = [];
  page.on('response', (r) => {
    if (r.status() >= 400) seen.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`);
  });
  page.on('requestfailed', (r) => seen.push(`failed ${r.method()} ${new URL(r.url()).pathname}: ${r.failure()?.errorText}`));
  page.on('console', (m) => {
    if (m.type() === 'error') seen.push(`console: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => seen.push(`pageerror: ${e.message}`));
  return seen;
}

describe('a console load on a server without the development sign-in', () => {
  it('the sign-in page offers no one-click sign-in and asks for nothing that is not there', async () => {
    expect(h.devAdminToken).toBeNull();
    const page = await h.open();
    const seen = record(page);
    await page.goto(`${h.origin}/admin/`);
    await page.getByRole('heading', { name: 'Sign in to the loyalty console' }).waitFor();
    await networkQuiet(page);
    expect(await page.getByTestId('dev-sign-in').count()).toBe(0);
    // Signed in with a pasted admin token, the dashboard loads; a reload signs in from the session.
    await page.getByLabel('Token').fill(await h.token('admin', 'ops-lead'));
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
    await networkQuiet(page);
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
    await networkQuiet(page);
    expect(seen).toEqual([]);
  });
});
