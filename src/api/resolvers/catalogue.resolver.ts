import { FieldFor } from '../field-roles';
import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { resolveJobAsOf } from '../../common/clock';
import { forbidden } from '../../common/errors';
import { pageSize } from '../../common/pagination';
import { connectionOf } from '../connection';
import type { BenefitRow } from '../../modules/benefits/benefits.service';
import { couponStatus, isAffordable } from '../../modules/rewards/rewards.rules';
import type { RedemptionRow, RewardRow } from '../../modules/rewards/rewards.service';
import type { GraphQLContext } from '../context';
import { assertCanSeeMember, assertLiveUnlessAdmin, requireActor } from '../guards';
import { BenefitInput, BenefitPatch, RedeemRewardInput, RewardInput, RewardPatch } from '../types/inputs';
import { Benefit, BenefitVersion, JobResult, Member, Redemption, RedemptionConnection, Reward, SegmentFilter, Tag, Tier } from '../types/objects';

@Resolver(() => Benefit)
export class BenefitResolver {
  @Authorized()
  @Query(() => [Benefit], { description: 'Every benefit rule; members and services see those active now.' })
  benefits(@Ctx() ctx: GraphQLContext) {
    return requireActor(ctx).role === 'admin' ? ctx.services.benefits.list() : ctx.services.benefits.listInForce(ctx.clock.now());
  }

  @Authorized('admin')
  @Mutation(() => Benefit)
  upsertBenefit(@Arg('input', () => BenefitInput) input: BenefitInput, @Ctx() ctx: GraphQLContext) {
    return ctx.services.benefits.upsert(requireActor(ctx), input);
  }

  @Authorized('admin')
  @Mutation(() => Benefit, { description: 'Changes the fields given (null clears a nullable one); a change is a new version.' })
  updateBenefit(@Arg('code') code: string, @Arg('patch', () => BenefitPatch) patch: BenefitPatch, @Ctx() ctx: GraphQLContext) {
    return ctx.services.benefits.update(requireActor(ctx), code, patch);
  }

  @Authorized('admin')
  @Mutation(() => JobResult, { description: 'Birthday gifts for members whose birthday month is asOf\'s month (once per year).' })
  grantBirthdayGifts(@Arg('asOf', () => Date) asOf: Date, @Ctx() ctx: GraphQLContext) {
    return ctx.services.benefits.grantBirthdays(resolveJobAsOf(asOf, ctx.clock.now()));
  }

  @FieldFor('admin')
  @FieldResolver(() => [BenefitVersion], { description: 'Every saved version, oldest first (admin).' })
  async history(@Root() b: BenefitRow, @Ctx() ctx: GraphQLContext) {
    const versions = await ctx.loaders.catalogue.benefitVersions.load(b.code);
    return versions.map((v) => ({ ...v, snapshot: JSON.stringify(v.snapshot) }));
  }
}

@Resolver(() => Reward)
export class RewardResolver {
  @Authorized()
  @Query(() => [Reward], { description: 'For a member: what it may redeem now, with affordability. For others: the whole catalogue.' })
  async rewards(@Ctx() ctx: GraphQLContext) {
    const actor = requireActor(ctx);
    if (actor.role !== 'member') return ctx.services.rewards.list();
    await assertLiveUnlessAdmin(ctx, actor.sub);
    return ctx.services.rewards.forMember(actor.sub, ctx.clock.now());
  }

  @Authorized('admin')
  @Mutation(() => Reward)
  upsertReward(@Arg('input', () => RewardInput) input: RewardInput, @Ctx() ctx: GraphQLContext) {
    return ctx.services.rewards.upsert(requireActor(ctx), input);
  }

  @Authorized('admin')
  @Mutation(() => Reward, { description: 'Changes the fields given (null clears a nullable one); a patch that changes nothing writes nothing.' })
  updateReward(@Arg('code') code: string, @Arg('patch', () => RewardPatch) patch: RewardPatch, @Ctx() ctx: GraphQLContext) {
    return ctx.services.rewards.update(requireActor(ctx), code, patch);
  }

  @Authorized()
  @Mutation(() => Redemption)
  redeemReward(@Arg('input', () => RedeemRewardInput) input: RedeemRewardInput, @Ctx() ctx: GraphQLContext) {
    const actor = requireActor(ctx);
    if (actor.role === 'member' && actor.sub !== input.memberId) throw forbidden('A member may only redeem for itself');
    return ctx.services.rewards.redeem(actor, input, ctx.clock.now());
  }

  /**
   * Wherever a member caller reads a reward (its catalogue, a redemption's reward, the answer to
   * its redeemReward): whether its spendable balance covers the cost, as of the read (after the
   * request's own write). Null for services and admins. The catalogue gives it precomputed.
   */
  @FieldResolver(() => Boolean, { nullable: true, description: 'For a member caller: whether its spendable balance covers the cost' })
  async affordable(@Root() r: RewardRow & { affordable?: boolean | null }, @Ctx() ctx: GraphQLContext) {
    if (r.affordable != null) return r.affordable;
    const actor = requireActor(ctx);
    if (actor.role !== 'member') return null;
    return isAffordable(r.costPoints, (await ctx.loaders.points.balances.load(actor.sub)).balance);
  }

  @Authorized('admin')
  @Mutation(() => Redemption)
  cancelRedemption(@Arg('id', () => ID) id: string, @Arg('reason') reason: string, @Ctx() ctx: GraphQLContext) {
    return ctx.services.rewards.cancel(requireActor(ctx), id, reason, ctx.clock.now());
  }
}

@Resolver(() => Redemption)
export class RedemptionResolver {
  @FieldResolver(() => Reward)
  reward(@Root() r: RedemptionRow, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.catalogue.rewards.load(r.rewardId);
  }

  /** Whose coupon it is: a till's look-up shows the member without a second request. */
  @FieldResolver(() => Member, { description: 'The member who redeemed it (the member itself, service, admin)' })
  async member(@Root() r: RedemptionRow, @Ctx() ctx: GraphQLContext) {
    assertCanSeeMember(ctx, r.memberId);
    return ctx.loaders.members.byId.load(r.memberId);
  }

  /** EXPIRED is not stored: an ISSUED coupon past its expiresAt reads as EXPIRED. */
  @FieldResolver(() => String)
  status(@Root() r: RedemptionRow, @Ctx() ctx: GraphQLContext) {
    return couponStatus(r, ctx.clock.now());
  }
}

@Resolver(() => Tier)
export class TierBenefitsResolver {
  @FieldResolver(() => [Benefit])
  benefits(@Root() t: { id: string }, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.catalogue.tierBenefits.load(t.id);
  }
}

@Resolver(() => Tag)
export class TagResolver {
  @Authorized()
  @Query(() => [Tag])
  tags(@Ctx() ctx: GraphQLContext) {
    return ctx.services.tags.list();
  }

  @FieldFor('admin')
  @FieldResolver(() => SegmentFilter, { nullable: true, description: 'admin: the filter a RULE tag keeps its members by (as upsertTag saved it); null for a MANUAL tag' })
  rule(@Root() t: { id: string }, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.catalogue.tagRules.load(t.id);
  }

  @Authorized('service', 'admin')
  @Mutation(() => Member)
  async tagMember(@Arg('memberId', () => ID) memberId: string, @Arg('tagCode') tagCode: string, @Ctx() ctx: GraphQLContext) {
    await ctx.services.tags.tag(requireActor(ctx), memberId, tagCode);
    return ctx.services.members.getOrFail(memberId);
  }

  @Authorized('service', 'admin')
  @Mutation(() => Member)
  async untagMember(@Arg('memberId', () => ID) memberId: string, @Arg('tagCode') tagCode: string, @Ctx() ctx: GraphQLContext) {
    await ctx.services.tags.untag(requireActor(ctx), memberId, tagCode);
    return ctx.services.members.getOrFail(memberId);
  }
}

/** The catalogue fields of Member. */
@Resolver(() => Member)
export class MemberCatalogueResolver {
  @FieldResolver(() => [Benefit])
  benefits(@Root() m: { id: string }, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.catalogue.memberBenefits.load(m.id);
  }

  @FieldResolver(() => [Tag])
  tags(@Root() m: { id: string }, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.catalogue.memberTags.load(m.id);
  }

  @FieldResolver(() => RedemptionConnection)
  async redemptions(
    @Root() m: { id: string },
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    assertCanSeeMember(ctx, m.id);
    // A first page goes through the loader: a list of members asking for each one's redemptions costs one statement.
    const size = pageSize(first);
    return connectionOf(after == null ? await ctx.loaders.catalogue.redemptionsFirstPage.load({ id: m.id, first: size }) : await ctx.services.rewards.ofMember(m.id, size, after));
  }
}
