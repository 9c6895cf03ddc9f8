import type { Page, Request } from 'playwright-core';
import type { ConsoleHarness } from './console';

/** The GraphQL operations (by name) a page sends while `work` runs: a page's data is at most two requests. */
export async function graphqlRequests(page: Page, work: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const listener = (r: Request) => {
    if (new URL(r.url()).pathname === '/graphql') seen.push((r.postDataJSON() as { operationName?: string } | null)?.operationName ?? '?');
  };
  page.on('request', listener);
  try {
    await work();
  } finally {
    page.off('request', listener);
  }
  return seen;
}

/** Whether the page scrolls sideways (it must not, at 1280 px nor at tablet width). */
/**
 * Waits until `expression` (a string: this project's TypeScript has no DOM types) is true in the
 * page, polling with page.evaluate. Not page.waitForFunction: it compiles its predicate with
 * eval inside the page, which the console's Content-Security-Policy (script-src 'self') refuses.
 */
export async function waitUntilTrue(page: Page, expression: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await page.evaluate<boolean>(`Boolean(${expression})`))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${expression}`);
    await new Promise((r) => setTimeout(r, 16));
  }
}

export const overflows = (page: Page) => page.evaluate<boolean>('document.documentElement.scrollWidth > window.innerWidth');

/**
 * Whether the page still scrolls sideways once it has settled at a new size. Charts follow their box through a
 * ResizeObserver, which runs after the next layout: for a moment after the window changes they keep their old
 * width. A page that has not settled within `settleMs` overflows.
 */
export async function overflowsAfterResize(page: Page, viewport: { width: number; height: number }, settleMs = 5000): Promise<boolean> {
  await page.setViewportSize(viewport);
  try {
    await waitUntilTrue(page, 'document.documentElement.scrollWidth <= window.innerWidth', settleMs);
    return false;
  } catch {
    return overflows(page);
  }
}

/** A GraphQL request from the test itself (to find demo data or check what the console did), as the development admin. */
export async function adminQuery<T>(h: ConsoleHarness, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await fetch(`${h.origin}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${h.devAdminToken}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: { message: string }[] };
  if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join('; '));
  return body.data!;
}

const SET_ZONE = 'mutation($i: ProgramInput!) { updateProgram(input: $i) { timeZone } }';

/** Runs `work` with the programme in `timeZone`, and puts it back in UTC (the demo's) afterwards, whatever happens. */
export async function inProgrammeZone<T>(h: ConsoleHarness, timeZone: string, work: () => Promise<T>): Promise<T> {
  await adminQuery(h, SET_ZONE, { i: { timeZone } });
  try {
    return await work();
  } finally {
    await adminQuery(h, SET_ZONE, { i: { timeZone: 'UTC' } });
  }
}

/**
 * A slow server, on purpose: the page's requests of one GraphQL operation are held until
 * `release()` (every one sent before and after it then goes on at once); `sent()`: how many the
 * page has sent.
 */
export async function holdOperation(page: Page, operationName: string): Promise<{ sent: () => number; release: () => void }> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => { release = resolve; });
  let sent = 0;
  await page.route('**/graphql', async (route) => {
    if ((route.request().postDataJSON() as { operationName?: string } | null)?.operationName === operationName) {
      sent += 1;
      await released;
    }
    await route.continue();
  });
  return { sent: () => sent, release };
}

/**
 * The next `times` requests of `operationName` reach the server, which answers them, but their
 * answers never reach the page (the connection is cut): a write that landed with its answer lost.
 * `sent()`: how many of them were sent.
 */
export async function loseAnswers(page: Page, operationName: string, times = 1): Promise<{ sent: () => number }> {
  let sent = 0;
  await page.route('**/graphql', async (route) => {
    if ((route.request().postDataJSON() as { operationName?: string } | null)?.operationName !== operationName) return route.continue();
    sent += 1;
    if (sent > times) return route.continue();
    await route.fetch();
    await route.abort('connectionreset');
  });
  return { sent: () => sent };
}

/**
 * The operator leaves while the save `held` holds (holdOperation of `operationName`) is on its
 * way: goes to Rewards and starts typing a new reward. The save is then released and its answer
 * reaches the page. What the operator sees after it: the page's path and what the dialog still
 * holds (a page left must not take them back, nor close what they are doing).
 */
export async function leaveWhileSaving(page: Page, operationName: string, held: { release: () => void }): Promise<{ path: string; typed: string }> {
  await page.getByRole('navigation', { name: 'Console pages' }).getByRole('link', { name: 'Rewards', exact: true }).click();
  await page.getByRole('button', { name: 'New reward' }).click();
  const dialog = page.getByRole('dialog', { name: 'New reward' });
  await dialog.getByLabel('Name').fill('Half typed');
  const answered = page.waitForResponse((r) => (r.request().postDataJSON() as { operationName?: string } | null)?.operationName === operationName);
  held.release();
  await answered;
  await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve)))'); // the answer's turn in the page
  return { path: new URL(page.url()).pathname, typed: await dialog.getByLabel('Name').inputValue() };
}
