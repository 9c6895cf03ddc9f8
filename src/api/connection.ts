import type { Page } from '../common/pagination';

/**
 * A service's page as a GraphQL connection: an edge per item with its cursor, the page info, and
 * the total when the page counted one. `nodeOf` makes an item the API's node.
 */
export function connectionOf<T, N = T>(page: Page<T>, nodeOf: (item: T) => N = (item) => item as unknown as N) {
  return {
    edges: page.items.map((item, i) => ({ node: nodeOf(item), cursor: page.cursors[i] })),
    pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
    ...(page.totalCount === undefined ? {} : { totalCount: page.totalCount }),
  };
}
