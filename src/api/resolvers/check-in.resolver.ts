import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Resolver, Root } from 'type-graphql';
import { forbidden } from '../../common/errors';
import type { CheckInOutcome } from '../../modules/check-in/check-in.service';
import type { GraphQLContext } from '../context';
import { requireActor } from '../guards';
import { CheckInResult } from '../types/engagement';
import { Member } from '../types/objects';

@Resolver(() => CheckInResult)
export class CheckInResolver {
  /** The member itself or a service (the contract's list: an admin does not check members in); now, by the server's clock. */
  @Authorized('member', 'service')
  @Mutation(() => CheckInResult, { description: 'Checks the member in for the programme-local day; a repeat the same day changes nothing (alreadyCheckedIn).' })
  checkIn(@Arg('memberId', () => ID) memberId: string, @Ctx() ctx: GraphQLContext) {
    const actor = requireActor(ctx);
    if (actor.role === 'member' && actor.sub !== memberId) throw forbidden('A member may only check itself in');
    return ctx.services.checkIn.checkIn(memberId, ctx.clock.now());
  }

  @FieldResolver(() => Member)
  member(@Root() r: CheckInOutcome, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.members.byId.load(r.memberId);
  }
}

/** Member's check-in fields, through the request's loader (one statement for a page of members). */
@Resolver(() => Member)
export class MemberCheckInResolver {
  @FieldResolver(() => Int, { description: '0 after a missed local day' })
  async checkInStreak(@Root() m: { id: string }, @Ctx() ctx: GraphQLContext) {
    return (await ctx.loaders.checkIn.state.load(m.id)).streak;
  }

  @FieldResolver(() => Boolean)
  async checkedInToday(@Root() m: { id: string }, @Ctx() ctx: GraphQLContext) {
    return (await ctx.loaders.checkIn.state.load(m.id)).checkedInToday;
  }
}
