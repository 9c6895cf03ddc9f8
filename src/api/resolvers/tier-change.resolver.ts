import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { GraphQLContext } from '../context';
import { Tier, TierChange } from '../types/objects';

/** The shape services hand to the API for a tier change: tiers by id, resolved by loader. */
export interface TierChangeRow {
  id: string;
  memberId: string;
  kind: string;
  fromTierId: string | null;
  toTierId: string;
  reason: string;
  qualifyingPoints: number;
  occurredAt: Date;
  supersededAt?: Date | null;
}

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
