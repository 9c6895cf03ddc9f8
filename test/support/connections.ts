/** A GraphQL connection as the lists serve it, with node ids. */
export interface Connection { edges: { cursor: string; node: { id: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } }

/** Walks a connection page by page; returns the node ids in the order served. */
export async function walk(page: (after: string | null) => Promise<Connection>): Promise<string[]> {
  const ids: string[] = [];
  let after: string | null = null;
  for (let guard = 0; guard < 1000; guard++) {
    const c: Connection = await page(after);
    ids.push(...c.edges.map((e) => e.node.id));
    if (c.edges.length) expect(c.pageInfo.endCursor).toBe(c.edges.at(-1)!.cursor);
    if (!c.pageInfo.hasNextPage) return ids;
    after = c.pageInfo.endCursor;
  }
  throw new Error('the connection never ended');
}
