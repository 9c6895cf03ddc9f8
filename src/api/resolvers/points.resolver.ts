import { Arg, Authorized, Ctx, FieldResolver, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { resolveJobAsOf } from '../../common/clock';
import { assertWithinDays, forbidden } from '../../common/errors';
import { pageSize } from '../../common/pagination';
import { connectionOf } from '../connection';
import type { EarnResult } from '../../modules/points/points.service';
import type { GraphQLContext } from '../context';
import { requireActor } from '../guards';
import { expiringWindow } from '../member-screen';
import { ActivityRuleInput, AdjustPointsInput, RecordActivityInput, RecordPurchaseInput, RefundPurchaseInput } from '../types/inputs';
import {
  ActivityResult, ActivityRule, JobResult, Member, PointsActivation, PointTransaction, PointTransactionConnection as PointTransactionConnectionType, PurchaseResult,
} from '../types/objects';

@Resolver()
export class PointsResolver {
  @Authorized('service', 'admin')
  @Mutation(() => PurchaseResult)
  recordPurchase(@Arg('input', () => RecordPurchaseInput) input: RecordPurchaseInput, @Ctx() ctx: GraphQLContext) {
    return ctx.services.points.recordPurchase(requireActor(ctx), input);
  }

  @Authorized('service', 'admin')
  @Mutation(() => PurchaseResult)
  refundPurchase(@Arg('input', () => RefundPurchaseInput) input: RefundPurchaseInput, @Ctx() ctx: GraphQLContext) {
    return ctx.services.points.refundPurchase(requireActor(ctx), input, ctx.clock.now());
  }

  @Authorized('admin')
  @Mutation(() => PointTransaction)
  adjustPoints(@Arg('input', () => AdjustPointsInput) input: AdjustPointsInput, @Ctx() ctx: GraphQLContext) {
    return ctx.services.points.adjustPoints(requireActor(ctx), input, ctx.clock.now());
  }

  @Authorized()
  @Mutation(() => ActivityResult, {
    description: 'Posts an engagement activity; earns what its activity rule gives, within the daily cap. A back end (service, admin) for any member; '
      + 'a member for itself, now (its idempotency keys are its own).',
  })
  recordActivity(@Arg('input', () => RecordActivityInput) input: RecordActivityInput, @Ctx() ctx: GraphQLContext) {
    const actor = requireActor(ctx);
    if (actor.role === 'member' && actor.sub !== input.memberId) throw forbidden('A member may only record its own activities');
    return ctx.services.points.recordActivity(actor, input, ctx.clock.now());
  }

  @Authorized('admin')
  @Mutation(() => ActivityRule)
  upsertActivityRule(@Arg('input', () => ActivityRuleInput) input: ActivityRuleInput, @Ctx() ctx: GraphQLContext) {
    return ctx.services.points.upsertActivityRule(requireActor(ctx), { ...input, dailyCap: input.dailyCap ?? null, memberMayRecord: input.memberMayRecord ?? null });
  }

  @Authorized()
  @Query(() => [ActivityRule])
  activityRules(@Ctx() ctx: GraphQLContext) {
    return ctx.services.points.activityRules();
  }

  @Authorized('admin')
  @Mutation(() => JobResult)
  expirePoints(@Arg('asOf', () => Date) asOf: Date, @Ctx() ctx: GraphQLContext) {
    return ctx.services.points.expirePoints(resolveJobAsOf(asOf, ctx.clock.now()));
  }
}

/** `member` of a purchase/activity result, through the request's loader. */
@Resolver(() => PurchaseResult)
export class PurchaseResultResolver {
  @FieldResolver(() => Member)
  member(@Root() r: EarnResult, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.members.byId.load(r.memberId);
  }

  /** Given with the write; a replayed purchase reads its awards back only when asked. */
  @FieldResolver(() => Int)
  async bonusPoints(@Root() r: EarnResult) {
    return r.bonusPoints ?? (r.bonusOf ? await r.bonusOf() : 0);
  }
}

@Resolver(() => ActivityResult)
export class ActivityResultResolver {
  @FieldResolver(() => Member)
  member(@Root() r: EarnResult, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.members.byId.load(r.memberId);
  }
}

/** The points fields of Member. */
@Resolver(() => Member)
export class MemberPointsResolver {
  @FieldResolver(() => Int)
  async pointsBalance(@Root() m: { id: string }, @Ctx() ctx: GraphQLContext) {
    return (await ctx.loaders.points.balances.load(m.id)).balance;
  }

  @FieldResolver(() => Int)
  async pendingPoints(@Root() m: { id: string }, @Ctx() ctx: GraphQLContext) {
    return (await ctx.loaders.points.balances.load(m.id)).pending;
  }

  @FieldResolver(() => [PointsActivation], {
    description: 'When the pending points become spendable: one entry per instant, soonest first; their sum is pendingPoints (an app shows "120 points on 14 Dec")',
  })
  pendingActivations(@Root() m: { id: string }, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.points.activations.load(m.id);
  }

  @FieldResolver(() => Int)
  async lifetimePoints(@Root() m: { id: string }, @Ctx() ctx: GraphQLContext) {
    return (await ctx.loaders.points.balances.load(m.id)).lifetime;
  }

  @FieldResolver(() => Int)
  expiringPoints(
    @Root() m: { id: string },
    @Arg('withinDays', () => Int, { defaultValue: 30 }) withinDays: number,
    @Ctx() ctx: GraphQLContext,
  ) {
    assertWithinDays(withinDays);
    return ctx.loaders.points.expiring.load({ memberId: m.id, withinDays: expiringWindow(withinDays) });
  }

  @FieldResolver(() => PointTransactionConnectionType)
  async pointsHistory(
    @Root() m: { id: string },
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    // A first page goes through the loader: a list of members asking for each one's history costs one statement.
    const size = pageSize(first);
    return connectionOf(after == null ? await ctx.loaders.points.historyFirstPage.load({ id: m.id, first: size }) : await ctx.services.points.history(m.id, size, after));
  }
}
