import { Arg, Authorized, Ctx, Int, Query, Resolver } from 'type-graphql';
import { pageSize } from '../../common/pagination';
import type { GraphQLContext } from '../context';
import { AuditEntry } from '../types/objects';

@Resolver(() => AuditEntry)
export class AuditResolver {
  @Authorized('admin')
  @Query(() => [AuditEntry])
  async auditLog(
    @Arg('entity', () => String, { nullable: true }) entity: string | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 50 }) first: number,
    @Ctx() ctx: GraphQLContext,
  ): Promise<AuditEntry[]> {
    const rows = await ctx.services.audit.list(entity, pageSize(first, 50));
    return rows.map((r) => ({
      id: String(r.id), actor: r.actor, action: r.action, entity: r.entity, entityId: r.entityId, at: r.at,
      before: r.before == null ? null : JSON.stringify(r.before),
      after: r.after == null ? null : JSON.stringify(r.after),
    }));
  }
}
