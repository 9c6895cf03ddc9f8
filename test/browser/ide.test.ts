import { startConsole, type ConsoleHarness } from './support/console';

/**
 * The GraphQL IDE of a development start (GET /graphql from a browser) in a real browser: its
 * first tab runs as the demo member, as the README says ("the member's tabs carry the demo
 * member's token"). GraphiQL 3 starts its editors from `defaultHeaders`, not from the first of
 * `defaultTabs`: without it the first run went out without a token (UNAUTHENTICATED).
 */
let h: ConsoleHarness;
beforeAll(async () => { h = await startConsole(); }, 300_000);
afterAll(() => h?.stop());

it('runs the first tab as the demo member, on the first load and after a reload', async () => {
  const page = await h.open();
  const member = h.server.app.devMember!;
  for (const load of ['first', 'reload']) {
    if (load === 'first') await page.goto(`${h.origin}/graphql`);
    else await page.reload();
    await page.locator('.graphiql-execute-button').waitFor();
    const [request] = await Promise.all([
      page.waitForRequest((r) => r.url().endsWith('/graphql') && r.method() === 'POST'),
      page.locator('.graphiql-execute-button').click(),
    ]);
    expect(request.headers().authorization).toBe(`Bearer ${member.token}`);
    const body = await (await request.response())!.json();
    expect(body.errors).toBeUndefined();
    expect(body.data.me.displayName).toBe(member.displayName); // the demo member's screen
  }
  expect(h.pageErrors(page)).toEqual([]);
});
