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
export const overflows = (page: Page) => page.evaluate<boolean>('document.documentElement.scrollWidth > window.innerWidth');

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
