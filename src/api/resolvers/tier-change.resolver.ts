import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { TierChangeRow } from '../../modules/tiers/tier-engine.service';
import type { GraphQLContext } from '../context';
import { Tier, TierChange } from '../types/objects';


@Resolver(() => TierChange)
export class TierChangeResolver {
  @FieldResolver(() => Tier, { nullable: true })
  fromTier(@Root() c: TierChangeRow, @Ctx() ctx: GraphQLContext) {
    return c.fromTierId ? ctx.loaders.tiers.byId.load(c.fromTierId) : null;
  }

  @FieldResolver(() => Tier)
  toTier(@Root() c: TierChangeRow, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.tiers.byId.load(c.toTierId);
  }
}
