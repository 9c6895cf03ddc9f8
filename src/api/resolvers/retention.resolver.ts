import { SafeIntResolver } from 'graphql-scalars';
import { Arg, Authorized, Ctx, Field, FieldResolver, Float, ID, Int, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { resolveJobAsOf } from '../../common/clock';
import { pageSize } from '../../common/pagination';
import type { SegmentFilter, SegmentRow } from '../../modules/segments/segments.service';
import { connectionOf } from '../connection';
import type { GraphQLContext } from '../context';
import { requireActor } from '../guards';
import { LifecycleStage, RfmSegment } from '../types/enums';
import { SegmentFilterInput, SegmentInput, TagInput } from '../types/inputs';
import {
  ChurnModel, GrowthPeriod, JobResult, Member, MemberConnection, PointsFlow, ProgramStats, Rfm, RfmSegmentCount, Segment, SegmentPreview, SegmentProfileRow, StageTransition, Tag,
} from '../types/objects';

@ObjectType()
class TagCount {
  @Field(() => Tag) tag!: Tag;
  @Field(() => SafeIntResolver) count!: number;
}

@Resolver()
export class RetentionResolver {
  @Authorized('admin')
  @Mutation(() => JobResult)
  refreshRetention(@Arg('asOf', () => Date) asOf: Date, @Ctx() ctx: GraphQLContext) {
    return ctx.services.retention.refresh(resolveJobAsOf(asOf, ctx.clock.now()));
  }

  @Authorized('admin')
  @Query(() => ChurnModel, { nullable: true })
  churnModel(@Ctx() ctx: GraphQLContext) {
    return ctx.services.retention.latestModel();
  }

  @Authorized('admin')
  @Query(() => ProgramStats)
  async programStats(@Ctx() ctx: GraphQLContext) {
    const s = await ctx.services.retention.programStats();
    return {
      members: s.members, pointsLiability: s.pointsLiability, byStage: s.byStage,
      byTier: await Promise.all(s.byTier.map(async (t) => ({ tier: await ctx.loaders.tiers.byId.load(t.tierId), count: t.count }))),
    };
  }

  @Authorized('admin')
  @Query(() => [PointsFlow], { description: "Points earned, redeemed and expired per month (the programme's time zone) of [from, to), in order; a month with no ledger row is absent (match months by period)." })
  pointsFlow(@Arg('from', () => Date) from: Date, @Arg('to', () => Date) to: Date, @Ctx() ctx: GraphQLContext) {
    return ctx.services.retention.pointsFlow(from, to);
  }

  @Authorized('admin')
  @Query(() => [GrowthPeriod], { description: 'Members per month decomposed as new + retained + won back − churned.' })
  growth(@Arg('from', () => Date) from: Date, @Arg('to', () => Date) to: Date, @Ctx() ctx: GraphQLContext) {
    return ctx.services.retention.growth(from, to, ctx.clock.now());
  }

  @Authorized('admin')
  @Query(() => [StageTransition], { description: 'Lifecycle moves recorded in [from, to): the transition matrix.' })
  lifecycleTransitions(@Arg('from', () => Date) from: Date, @Arg('to', () => Date) to: Date, @Ctx() ctx: GraphQLContext) {
    return ctx.services.retention.transitions(from, to);
  }

  @Authorized('admin')
  @Query(() => [Member])
  async winBackCandidates(
    @Arg('first', () => Int, { nullable: true, defaultValue: 50 }) first: number,
    @Arg('after', () => ID, { nullable: true, description: 'The last member of the previous page: the list goes on after it (pages of at most 100).' }) after: string | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    const ids = await ctx.services.retention.winBackCandidates(pageSize(first, 50), after ?? null);
    return Promise.all(ids.map((id) => ctx.loaders.members.byId.load(id)));
  }

  @Authorized('admin')
  @Query(() => [Segment])
  segments(@Ctx() ctx: GraphQLContext) {
    return ctx.services.segments.list();
  }

  @Authorized('admin')
  @Query(() => Segment, { nullable: true })
  segment(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext) {
    return ctx.services.segments.get(id);
  }

  @Authorized('admin')
  @Mutation(() => Segment)
  saveSegment(@Arg('input', () => SegmentInput) input: SegmentInput, @Ctx() ctx: GraphQLContext) {
    return ctx.services.segments.save(requireActor(ctx), input.name, input.filter);
  }

  @Authorized('admin')
  @Mutation(() => Tag, { description: 'Defines a tag; with a rule it is a RULE tag kept current by the server.' })
  upsertTag(@Arg('input', () => TagInput) input: TagInput, @Ctx() ctx: GraphQLContext) {
    return ctx.services.tags.upsert(requireActor(ctx), input);
  }

  @Authorized('admin')
  @Query(() => [TagCount])
  tagCounts(@Ctx() ctx: GraphQLContext) {
    return ctx.services.tags.withCounts();
  }
}

/**
 * A page of the members a filter selects, as a connection: Segment.members and SegmentPreview.members.
 * totalCount is counted only when the query asks for it (a getter the field resolves), by the
 * sizes' loader: with the segment's size in the same query, one count.
 */
async function membersOf(filter: SegmentFilter, first: number, after: string | null, ctx: GraphQLContext) {
  const page = await ctx.services.segments.members(filter, pageSize(first), after);
  return { ...connectionOf(page), get totalCount() { return ctx.loaders.segments.size.load(filter); } };
}

@Resolver(() => Segment)
export class SegmentResolver {
  @FieldResolver(() => SafeIntResolver)
  size(@Root() s: SegmentRow, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.segments.size.load(s.filter);
  }

  @FieldResolver(() => MemberConnection)
  members(
    @Root() s: SegmentRow,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    return membersOf(s.filter, first, after, ctx);
  }

  @FieldResolver(() => [SegmentProfileRow], { description: 'Share and TGI by tier, stage, RFM cell, region, channel, gender and tag.' })
  profile(@Root() s: SegmentRow, @Ctx() ctx: GraphQLContext) {
    return ctx.services.segments.profile(s.filter);
  }

  @FieldResolver(() => String, { description: 'Where its members download as CSV: GET this path on the server with an admin token (Authorization: Bearer …)' })
  exportPath(@Root() s: SegmentRow) {
    return `/exports/segments/${s.id}.csv`;
  }
}

@Resolver(() => SegmentPreview)
export class SegmentPreviewResolver {
  @Authorized('admin')
  @Query(() => SegmentPreview, { description: 'What a filter selects, unsaved: its size, profile and members (the filter builder). A filter that cannot compile is BAD_USER_INPUT.' })
  async segmentPreview(@Arg('filter', () => SegmentFilterInput) filter: SegmentFilterInput, @Ctx() ctx: GraphQLContext) {
    await ctx.services.segments.check(filter);
    return { filter };
  }

  @FieldResolver(() => SafeIntResolver)
  size(@Root() p: SegmentPreview, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.segments.size.load(p.filter);
  }

  @FieldResolver(() => MemberConnection)
  members(
    @Root() p: SegmentPreview,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    return membersOf(p.filter, first, after, ctx);
  }

  @FieldResolver(() => [SegmentProfileRow], { description: 'Share and TGI by tier, stage, RFM cell, region, channel, gender and tag.' })
  profile(@Root() p: SegmentPreview, @Ctx() ctx: GraphQLContext) {
    return ctx.services.segments.profile(p.filter);
  }
}

/** ProgramStats' fields that cost a statement of their own: read only when asked for. */
@Resolver(() => ProgramStats)
export class ProgramStatsResolver {
  @FieldResolver(() => SafeIntResolver, { description: 'Points earned but not yet spendable, over every member' })
  async pendingPoints(@Ctx() ctx: GraphQLContext) {
    return (await ctx.services.retention.pointsOutlook(ctx.clock.now(), 0)).pending;
  }

  @FieldResolver(() => SafeIntResolver, { description: 'Spendable points that expire within withinDays (0 to 3650) from now, over every member' })
  async expiringPoints(@Arg('withinDays', () => Int, { defaultValue: 30 }) withinDays: number, @Ctx() ctx: GraphQLContext) {
    return (await ctx.services.retention.pointsOutlook(ctx.clock.now(), withinDays)).expiring;
  }

  @FieldResolver(() => [RfmSegmentCount], { description: 'The eight RFM cells, each with its members (zero when empty), as of the last refresh' })
  byRfmSegment(@Ctx() ctx: GraphQLContext) {
    return ctx.services.retention.membersByRfmSegment();
  }
}

/** The retention fields of Member. */
@Resolver(() => Member)
export class MemberRetentionResolver {
  @FieldResolver(() => LifecycleStage)
  async lifecycleStage(@Root() m: { id: string }, @Ctx() ctx: GraphQLContext) {
    return ((await ctx.loaders.retention.byMember.load(m.id))?.stage ?? 'PROSPECT') as LifecycleStage;
  }

  @FieldResolver(() => Rfm, { nullable: true })
  async rfm(@Root() m: { id: string }, @Ctx() ctx: GraphQLContext) {
    const r = await ctx.loaders.retention.byMember.load(m.id);
    if (!r || r.r == null || r.rfmSegment == null) return null;
    return {
      recencyDays: r.recencyDays, frequency: r.frequency, monetary: (r.monetaryCents ?? 0) / 100,
      r: r.r, f: r.f, m: r.m, segment: r.rfmSegment as RfmSegment,
    };
  }

  @FieldResolver(() => Float, { nullable: true })
  async aliveProbability(@Root() m: { id: string }, @Ctx() ctx: GraphQLContext) {
    return (await ctx.loaders.retention.byMember.load(m.id))?.aliveProbability ?? null;
  }

  @FieldResolver(() => Float, { nullable: true })
  async churnRisk(@Root() m: { id: string }, @Ctx() ctx: GraphQLContext) {
    return (await ctx.loaders.retention.byMember.load(m.id))?.churnRisk ?? null;
  }

  @FieldResolver(() => Float, { nullable: true })
  async expectedPurchases(@Root() m: { id: string }, @Arg('days', () => Int, { defaultValue: 90 }) days: number, @Ctx() ctx: GraphQLContext) {
    const [model, row] = await Promise.all([ctx.loaders.retention.model(), ctx.loaders.retention.byMember.load(m.id)]);
    return ctx.services.retention.expected(model, row ?? undefined, days);
  }
}
