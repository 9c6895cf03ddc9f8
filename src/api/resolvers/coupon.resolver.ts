import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../context';
import { requireActor } from '../guards';
import { UseCouponInput } from '../types/inputs';
import { Redemption } from '../types/objects';

/** Coupons at the till (contract part store): store back ends and admins only, never a member. */
@Resolver(() => Redemption)
export class CouponResolver {
  @Authorized('service', 'admin')
  @Query(() => Redemption, { nullable: true, description: 'A till checks a coupon before use: its redemption, or null. Case and separators do not matter.' })
  redemptionByCoupon(@Arg('couponCode') couponCode: string, @Ctx() ctx: GraphQLContext) {
    return ctx.services.rewards.byCoupon(requireActor(ctx), couponCode);
  }

  @Authorized('service', 'admin')
  @Mutation(() => Redemption, {
    description: 'ISSUED → USED once, idempotent by key. A coupon USED (under another key), CANCELLED or EXPIRED is COUPON_NOT_USABLE with extensions.status.',
  })
  useCoupon(@Arg('input', () => UseCouponInput) input: UseCouponInput, @Ctx() ctx: GraphQLContext) {
    return ctx.services.rewards.useCoupon(requireActor(ctx), input, ctx.clock.now());
  }
}
