import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { resolveJobAsOf } from '../../common/clock';
import { bigintArg, pageSize } from '../../common/pagination';
import type { TierChangeRow, TierNoticeRow } from '../../modules/tiers/tier-engine.service';
import type { GraphQLContext } from '../context';
import { assertCanSeeMember, assertLiveUnlessAdmin, requireActor, tierChangesScope } from '../guards';
import { JobResult, Member, Tier, TierChange, TierNotice, TierProgress } from '../types/objects';

/**
 * Whose events the caller may listen to: one member, or every member (null: admins only). A
 * member listens to itself, named or not (a member app need not send its own id).
 */
function subscriptionScope(ctx: GraphQLContext, memberId: string | null | undefined): string | null {
  return tierChangesScope(ctx, memberId || null, 'itself', { other: 'A member may only subscribe to itself', every: 'Only admins may subscribe to every member' });
}

/**
 * The scope, and when it names a member, that member exists (NOT_FOUND, as tierChangeFeed
 * answers): ids are the server's, so a subscription to an unknown one (a typo, another
 * environment's id) would hear nothing, for ever, without a word. To a member's own token and
 * to a service an erased member exists no more; an admin may still name it.
 */
async function knownScope(ctx: GraphQLContext, memberId: string | null | undefined): Promise<string | null> {
  const scope = subscriptionScope(ctx, memberId);
  if (scope === null) return null;
  if (requireActor(ctx).role === 'admin') await ctx.services.members.getOrFail(scope);
  else await ctx.services.members.assertLive(scope);
  return scope;
}

@Resolver()
export class TierEngineResolver {
  @Authorized('admin')
  @Mutation(() => JobResult)
  async runTierReview(@Arg('asOf', () => Date) asOf: Date, @Ctx() ctx: GraphQLContext) {
    return (await ctx.services.reviewTiers(resolveJobAsOf(asOf, ctx.clock.now()))).review;
  }

  @Authorized('admin')
  @Mutation(() => JobResult, { description: 'At-risk notices for tiers expiring within tierNoticeDays after asOf.' })
  sendTierNotices(@Arg('asOf', () => Date) asOf: Date, @Ctx() ctx: GraphQLContext) {
    return ctx.services.tierEngine.sendNotices(resolveJobAsOf(asOf, ctx.clock.now()));
  }

  @Authorized('admin')
  @Mutation(() => Member)
  async setMemberTier(
    @Arg('memberId', () => ID) memberId: string,
    @Arg('tierCode') tierCode: string,
    @Arg('reason') reason: string,
    @Arg('expiresAt', () => Date, { nullable: true, description: 'Until when the override holds; default one tier validity period' }) expiresAt: Date | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    await ctx.services.tierEngine.setMemberTier(requireActor(ctx), memberId, tierCode, reason, expiresAt);
    return ctx.services.members.getOrFail(memberId);
  }

  @Authorized()
  @Query(() => [TierChange], { description: 'Replay after reconnect: changes recorded after `since`, oldest first (by id). For the next page, pass the last change\'s id as `after`. '
    + 'Scoped as tierChanged: a member reads its own (no memberId = itself), a service one given member, an admin any member or every member. '
    + 'It can miss a change whose transaction commits after a later one\'s: tierChangeFeed is in commit order.' })
  async tierChanges(
    @Arg('memberId', () => ID, { nullable: true }) memberId: string | null,
    @Arg('since', () => Date, { nullable: true }) since: Date | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 100 }) first: number,
    @Arg('after', () => ID, { nullable: true, description: 'Only changes after this one (a TierChange id)' }) after: string | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    // The subscription's replay, scoped as it is (the app that subscribed without its id replays without it).
    const scope = tierChangesScope(ctx, memberId, 'itself', { other: 'A member may only see its own tier changes', every: 'Only admins may read every member\'s tier changes' });
    await assertLiveUnlessAdmin(ctx, scope);
    return ctx.services.tierEngine.changes({ memberId: scope, since, after: after == null ? null : bigintArg('after', after), first: pageSize(first, 100) });
  }

  @Authorized()
  @Query(() => [TierNotice])
  async tierNotices(@Arg('memberId', () => ID) memberId: string, @Ctx() ctx: GraphQLContext) {
    assertCanSeeMember(ctx, memberId);
    await assertLiveUnlessAdmin(ctx, memberId);
    return ctx.services.tierEngine.notices(memberId);
  }

  /** A member hears itself (with its own id or none); a service one given member; an admin any member, or every member without an id. */
  @Subscription(() => TierChange, {
    subscribe: async ({ args, context }) => {
      const scope = await knownScope(context as GraphQLContext, (args as { memberId: string | null }).memberId);
      return (context as GraphQLContext).pubSub.subscribe('TIER_CHANGED', scope);
    },
  })
  tierChanged(@Root() change: TierChangeRow, @Arg('memberId', () => ID, { nullable: true }) _memberId: string | null): TierChangeRow {
    return change;
  }

  @Subscription(() => TierNotice, {
    name: 'tierNotices',
    description: 'At-risk notices for one member (the member itself, service or admin).',
    subscribe: async ({ args, context }) => {
      const scope = await knownScope(context as GraphQLContext, (args as { memberId: string }).memberId);
      return (context as GraphQLContext).pubSub.subscribe('TIER_NOTICE', scope);
    },
  })
  tierNoticeFeed(@Root() notice: TierNoticeRow, @Arg('memberId', () => ID) _memberId: string): TierNoticeRow {
    return notice;
  }
}

@Resolver(() => TierNotice)
export class TierNoticeResolver {
  @FieldResolver(() => Tier)
  tier(@Root() n: TierNoticeRow, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.tiers.byId.load(n.tierId);
  }
}

/** The tier fields of Member. */
@Resolver(() => Member)
export class MemberTierResolver {
  @FieldResolver(() => TierProgress)
  async tierProgress(@Root() m: { id: string }, @Ctx() ctx: GraphQLContext) {
    const p = await ctx.loaders.tierEngine.progress.load(m.id);
    return {
      qualifyingPoints: p.qualifyingPoints,
      nextTier: p.nextTierId ? await ctx.loaders.tiers.byId.load(p.nextTierId) : null,
      pointsToNextTier: p.pointsToNextTier,
      pointsToRetain: p.pointsToRetain,
    };
  }

  @FieldResolver(() => [TierChange])
  tierHistory(@Root() m: { id: string }, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.tierEngine.history.load(m.id);
  }
}
