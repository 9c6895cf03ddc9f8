import { FieldFor } from '../field-roles';
import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Query, Resolver, Root } from 'type-graphql';
import { pageSize } from '../../common/pagination';
import type { ImportJobRow } from '../../modules/imports/imports.service';
import type { GraphQLContext } from '../context';
import { ImportError, ImportJob, ImportKind, ImportMode, ImportStatus } from '../types/imports';

const jobOf = (r: ImportJobRow): ImportJob => ({
  id: r.id, kind: r.kind as ImportKind, mode: r.mode ? (r.mode.toUpperCase() as ImportMode) : null, status: r.status as ImportStatus, rowsDone: r.rowsDone, rowsRejected: r.rowsRejected,
  startedAt: r.startedAt, finishedAt: r.finishedAt, failure: r.status === 'FAILED' ? r.failure : null,
});

/** Bulk imports (POST /imports/…) as admins follow them: progress and the rejected lines. */
@Resolver(() => ImportJob)
export class ImportsResolver {
  @Authorized('admin')
  @Query(() => ImportJob, { nullable: true })
  async importJob(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<ImportJob | null> {
    const r = await ctx.services.imports.get(id);
    return r ? jobOf(r) : null;
  }

  @Authorized('admin')
  @Query(() => [ImportJob])
  async importJobs(@Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number, @Ctx() ctx: GraphQLContext): Promise<ImportJob[]> {
    return (await ctx.services.imports.list(pageSize(first, 20))).map(jobOf);
  }

  /** Rejected lines in line order, after `afterLine` (paged by line). */
  @FieldFor('admin')
  @FieldResolver(() => [ImportError])
  async errors(
    @Root() job: ImportJob,
    @Arg('first', () => Int, { nullable: true, defaultValue: 50 }) first: number,
    @Arg('afterLine', () => Int, { nullable: true }) afterLine: number | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ImportError[]> {
    return ctx.loaders.imports.errors.load({ jobId: job.id, first: pageSize(first, 50), afterLine });
  }
}
