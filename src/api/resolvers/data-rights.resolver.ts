import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../context';
import { requireActor } from '../guards';
import { Member } from '../types/objects';

/** Member data rights (contract part integrations): a member's data export and its erasure. */
@Resolver()
export class DataRightsResolver {
  @Authorized('member', 'admin')
  @Query(() => String, { description: 'The member itself, admin: JSON of everything held about the member (format: README, "Member data rights"; '
    + 'GET /exports/members/<id>.json streams the same document)' })
  memberDataExport(@Arg('memberId', () => ID) memberId: string, @Ctx() ctx: GraphQLContext) {
    return ctx.services.dataRights.exportMember(requireActor(ctx), memberId, ctx.clock.now());
  }

  @Authorized('admin')
  @Mutation(() => Member, { description: 'Admin: personal data removed, ledger kept (anonymous); idempotent' })
  eraseMember(@Arg('memberId', () => ID) memberId: string, @Arg('reason', () => String) reason: string, @Ctx() ctx: GraphQLContext) {
    return ctx.services.dataRights.erase(requireActor(ctx), memberId, reason, ctx.clock.now());
  }
}
