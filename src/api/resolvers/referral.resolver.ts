import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { notFound } from '../../common/errors';
import type { MemberView } from '../../modules/members/member.entity';
import type { GraphQLContext } from '../context';
import { Member } from '../types/objects';

/**
 * Member's referral fields (issue 25). Whoever may see the member sees its own invite code; an
 * erased member (seen by admins only) has none: "" (the contract's field is non-null; the code,
 * derived from its seq, names nobody from the erasure on, and erasure removes it with the other
 * personal fields).
 */
@Resolver(() => Member)
export class MemberReferralResolver {
  @FieldResolver(() => String, { description: "the member's own invite code; empty for an erased member" })
  async referralCode(@Root() m: MemberView, @Ctx() ctx: GraphQLContext): Promise<string> {
    if (m.erasedAt) return '';
    if (m.seq != null) return ctx.services.referrals.codeOf(m.seq);
    const code = await ctx.loaders.referrals.codeById.load(m.id);
    if (code == null) throw notFound('Member', m.id);
    return code;
  }
}
