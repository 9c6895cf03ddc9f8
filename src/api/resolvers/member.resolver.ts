import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Authorized, Ctx, FieldResolver, ID, Info, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { forbidden } from '../../common/errors';
import { pageSize } from '../../common/pagination';
import type { MemberView } from '../../modules/members/member.entity';
import { connectionOf } from '../connection';
import type { GraphQLContext } from '../context';
import { assertCanSeeMember, requireActor } from '../guards';
import { screenParts } from '../member-screen';
import { MemberPatch, RegisterMemberInput } from '../types/inputs';
import {
  Member, MemberConnection, Tier,
} from '../types/objects';

/** A member as the caller may see it: an erased one only to admins (eraseMember). */
function shown(m: MemberView | null, ctx: GraphQLContext): MemberView | null {
  return m?.erasedAt && requireActor(ctx).role !== 'admin' ? null : m;
}

@Resolver(() => Member)
export class MemberResolver {
  /** An erased member's own token gets null: it no longer exists as a member. */
  @Authorized('member')
  @Query(() => Member, { nullable: true })
  async me(@Ctx() ctx: GraphQLContext, @Info() info: GraphQLResolveInfo) {
    return shown(await ctx.loaders.memberScreen.load({ id: requireActor(ctx).sub }, screenParts(info)), ctx);
  }

  /** An erased member: admins see it (erasedAt set, personal fields null); to others it is null. */
  @Authorized()
  @Query(() => Member, { nullable: true })
  async member(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext, @Info() info: GraphQLResolveInfo) {
    assertCanSeeMember(ctx, id);
    return shown(await ctx.loaders.memberScreen.load({ id }, screenParts(info)), ctx);
  }

  @Authorized('admin')
  @Query(() => MemberConnection)
  async members(
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    // totalCount is counted only when the query asks for it (a getter the field resolves), as searchMembers'.
    const page = await ctx.services.members.list(pageSize(first), after);
    return { ...connectionOf(page), get totalCount() { return page.count(); } };
  }

  @Authorized('service', 'admin')
  @Query(() => Member, { nullable: true })
  memberByExternalId(@Arg('externalId', () => String) externalId: string, @Ctx() ctx: GraphQLContext, @Info() info: GraphQLResolveInfo) {
    // Keys have no white space at their edges (registerMember refuses it, imports trim): a key
    // pasted with a space around it is that key, as searchMembers trims its query.
    return ctx.loaders.memberScreen.load({ externalId: externalId.trim() }, screenParts(info));
  }

  /** totalCount is counted only when the query asks for it (a getter the field resolves): a short name prefix may match many. */
  @Authorized('service', 'admin')
  @Query(() => MemberConnection)
  async searchMembers(
    @Arg('query', () => String) query: string,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    const page = await ctx.services.members.search(query, pageSize(first), after);
    return { ...connectionOf(page), get totalCount() { return page.count(); } };
  }

  @Authorized()
  @Mutation(() => Member)
  updateMember(@Arg('memberId', () => ID) memberId: string, @Arg('patch', () => MemberPatch) patch: MemberPatch, @Ctx() ctx: GraphQLContext) {
    const actor = requireActor(ctx);
    if (actor.role === 'member' && actor.sub !== memberId) throw forbidden('A member may only update itself');
    return ctx.services.members.update(actor, memberId, patch, ctx.clock.now());
  }

  @Authorized('service', 'admin')
  @Mutation(() => Member)
  registerMember(@Arg('input', () => RegisterMemberInput) input: RegisterMemberInput, @Ctx() ctx: GraphQLContext) {
    return ctx.services.members.register(requireActor(ctx), input, ctx.clock.now());
  }

  @FieldResolver(() => Tier)
  tier(@Root() m: MemberView, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.tiers.byId.load(m.tier.id);
  }















}
