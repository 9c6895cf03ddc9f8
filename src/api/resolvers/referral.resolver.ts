import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { notFound } from '../../common/errors';
import type { MemberView } from '../../modules/members/member.entity';
import type { GraphQLContext } from '../context';
import { Member } from '../types/objects';

/** Member's referral fields (issue 25). Whoever may see the member sees its own invite code. */
@Resolver(() => Member)
export class MemberReferralResolver {
  @FieldResolver(() => String, { description: "the member's own invite code" })
  async referralCode(@Root() m: MemberView, @Ctx() ctx: GraphQLContext): Promise<string> {
    if (m.seq != null) return ctx.services.referrals.codeOf(m.seq);
    const code = await ctx.loaders.referrals.codeById.load(m.id);
    if (code == null) throw notFound('Member', m.id);
    return code;
  }
}
