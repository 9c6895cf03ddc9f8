import { FieldFor } from '../field-roles';
import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Query, Resolver, Root } from 'type-graphql';
import { pageSize } from '../../common/pagination';
import { connectionOf } from '../connection';
import type { GraphQLContext } from '../context';
import { assertCanSeeMember } from '../guards';
import { ReferralConnection, ReferralParty, ReferralStats } from '../types/engagement';
import { Member } from '../types/objects';
import { ReferralMonthStats } from '../types/referrals-read';

/** The read side of referrals: Member.referredBy and referrals (the member itself, services, admins), the programme's figures and chain (admins). */
@Resolver(() => Member)
export class MemberReferralReadResolver {
  @FieldResolver(() => ReferralParty, { nullable: true })
  referredBy(@Root() m: { id: string }, @Ctx() ctx: GraphQLContext) {
    assertCanSeeMember(ctx, m.id);
    return ctx.loaders.referralsRead.referredBy.load(m.id);
  }

  @FieldResolver(() => ReferralConnection)
  async referrals(
    @Root() m: { id: string },
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    assertCanSeeMember(ctx, m.id);
    return connectionOf(await ctx.loaders.referralsRead.pages.load({ memberId: m.id, first: pageSize(first), after: after || null }));
  }

  @FieldFor('admin')
  @FieldResolver(() => Int, { description: 'admin: how many referrers stand above this member in its invitation chain (0: none)' })
  referralDepth(@Root() m: { id: string }, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.referralsRead.depth.load(m.id);
  }
}

@Resolver()
export class ReferralReadResolver {
  @Authorized('admin')
  @Query(() => ReferralStats)
  referralStats(@Arg('from', () => Date) from: Date, @Arg('to', () => Date) to: Date, @Ctx() ctx: GraphQLContext) {
    return ctx.services.referralsRead.stats(from, to);
  }

  @Authorized('admin')
  @Query(() => [ReferralMonthStats], { description: 'admin: referralStats of each of the last `months` programme-local months, the current one last' })
  referralStatsByMonth(@Arg('months', () => Int, { defaultValue: 12 }) months: number, @Ctx() ctx: GraphQLContext) {
    return ctx.services.referralsRead.statsByMonth(months, ctx.clock.now());
  }

  @Authorized('admin')
  @Query(() => [ReferralParty], { description: "admin: the member's invitation chain upward, its referrer first ([] when it registered without a code)" })
  referralChain(@Arg('memberId', () => ID) memberId: string, @Ctx() ctx: GraphQLContext) {
    return ctx.services.referralsRead.chain(memberId);
  }
}
