import { SafeIntResolver } from 'graphql-scalars';
import { Arg, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { GraphQLContext } from '../context';
import { requireActor } from '../guards';
import { TierInput } from '../types/inputs';
import { Tier } from '../types/objects';

@Resolver(() => Tier)
export class TierResolver {
  @Authorized()
  @Query(() => [Tier])
  tiers(@Ctx() ctx: GraphQLContext) {
    return ctx.loaders.tiers.all();
  }

  @Authorized('admin')
  @Mutation(() => Tier)
  upsertTier(@Arg('input', () => TierInput) input: TierInput, @Ctx() ctx: GraphQLContext) {
    return ctx.services.tiers.upsert(requireActor(ctx), input);
  }


  @FieldResolver(() => SafeIntResolver)
  memberCount(@Root() tier: Tier, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.tiers.memberCounts.load(tier.id);
  }
}
