// Operations of the contract whose capability comes with a later issue. Their names and
// types are final; until their module lands they answer NOT_IMPLEMENTED. Each moves to
// its own module's resolver as it is built.
import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../context';
import { notImplemented } from '../guards';
import {
  BenefitInput, RedeemRewardInput, RewardInput, SegmentInput,
} from '../types/inputs';
import {
  Benefit, ChurnModel, JobResult, Member, MemberConnection, ProgramStats, Redemption, Reward, Segment, Tag,
} from '../types/objects';

const REWARDS = 'benefits and rewards issue';
const RETENTION = 'tags and retention issue';

@Resolver()
export class PendingResolver {




  @Authorized('admin') @Query(() => ProgramStats)
  programStats(): ProgramStats { throw notImplemented('programStats', RETENTION); }

  @Authorized('admin') @Query(() => ChurnModel, { nullable: true })
  churnModel(): ChurnModel | null { throw notImplemented('churnModel', RETENTION); }

  @Authorized('admin') @Query(() => [Segment])
  segments(): Segment[] { throw notImplemented('segments', RETENTION); }

  @Authorized('admin') @Query(() => Segment, { nullable: true })
  segment(@Arg('id', () => ID) _id: string): Segment | null { throw notImplemented('segment', RETENTION); }

  @Authorized('admin') @Query(() => [Member])
  winBackCandidates(@Arg('first', () => Int, { nullable: true, defaultValue: 50 }) _first: number): Member[] {
    throw notImplemented('winBackCandidates', RETENTION);
  }













  @Authorized('admin') @Mutation(() => JobResult)
  refreshRetention(@Arg('asOf', () => Date) _asOf: Date): JobResult { throw notImplemented('refreshRetention', RETENTION); }

  @Authorized('admin') @Mutation(() => Segment)
  saveSegment(@Arg('input', () => SegmentInput) _input: SegmentInput): Segment { throw notImplemented('saveSegment', RETENTION); }

}
void Ctx;

@Resolver(() => Segment)
export class PendingSegmentResolver {
  @FieldResolver(() => Int)
  size(): number { throw notImplemented('Segment.size', RETENTION); }

  @FieldResolver(() => MemberConnection)
  members(
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) _first: number,
    @Arg('after', () => String, { nullable: true }) _after: string | null,
  ): MemberConnection { throw notImplemented('Segment.members', RETENTION); }
}
