import { Arg, Authorized, Ctx, ID, Int, Query, Resolver } from 'type-graphql';
import { badInput } from '../../common/errors';
import { decodeCursorPair, encodeCursorPair, pageSize } from '../../common/pagination';
import type { GraphQLContext } from '../context';
import { assertLiveUnlessAdmin, tierChangesScope } from '../guards';
import { TierChangeConnection } from '../types/objects';

/** The kind of a feed cursor: the change's transaction id and its own id. */
const FEED_CURSOR = 'feed';

@Resolver()
export class TierFeedResolver {
  @Authorized()
  @Query(() => TierChangeConnection, {
    description: 'Every tier change in the order it was committed. A client keeps the last cursor it saw and asks for what came after: '
      + 'nothing is missed or repeated, even within one large batch. memberId: one member\'s (the member itself, service, admin); '
      + 'none: every member\'s (admin). A change appears once every transaction older than it has ended. '
      + 'A change that a fact arriving later superseded keeps its place (supersededAt set when read after); what replaced it comes where '
      + 'the transaction that superseded it committed.',
  })
  async tierChangeFeed(
    @Arg('memberId', () => ID, { nullable: true }) memberId: string | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 100 }) first: number,
    @Ctx() ctx: GraphQLContext,
  ) {
    const scope = tierChangesScope(ctx, memberId, 'every', { other: 'A member may only see its own tier changes', every: 'Only admins may read every member\'s feed' });
    // A feed's cursor is where a client resumes, kept for good: an empty one (a store that lost
    // it) is refused rather than read as "from the start", which replayed the whole history.
    if (after === '') throw badInput('after', 'after is not a cursor of this feed: leave it out (null) to read from the first change');
    const position = decodeCursorPair(FEED_CURSOR, after);
    await assertLiveUnlessAdmin(ctx, scope);
    const page = await ctx.services.tierFeed.page({ memberId: scope, after: position, first: pageSize(first, 100) });
    const edges = page.rows.map((node) => ({ node, cursor: encodeCursorPair(FEED_CURSOR, node.xactId, node.id) }));
    // An empty page leaves the client where it stood: its cursor is still the one to resume from.
    return { edges, pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? (after || null) } };
  }
}
