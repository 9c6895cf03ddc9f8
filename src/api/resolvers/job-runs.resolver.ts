import { Arg, Authorized, Ctx, Int, Query, Resolver } from 'type-graphql';
import { pageSize } from '../../common/pagination';
import type { GraphQLContext } from '../context';
import { JobRun } from '../types/jobs';

@Resolver(() => JobRun)
export class JobRunsResolver {
  @Authorized('admin')
  @Query(() => [JobRun], { description: 'The scheduled jobs\' latest runs, newest first (by slot, then id); `job` keeps one job\'s. A run made by a job\'s mutation (expirePoints…) is not one of them.' })
  jobRuns(
    @Arg('job', () => String, { nullable: true }) job: string | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number,
    @Ctx() ctx: GraphQLContext,
  ): Promise<JobRun[]> {
    return ctx.services.jobRuns.latest(job, pageSize(first));
  }
}
