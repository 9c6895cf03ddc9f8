import { Arg, Authorized, Ctx, Int, Query, Resolver } from 'type-graphql';
import { pageSize } from '../../common/pagination';
import type { AuditRow } from '../../modules/audit/audit.service';
import { connectionOf } from '../connection';
import type { GraphQLContext } from '../context';
import { AuditFilterInput } from '../types/inputs';
import { AuditEntry, AuditEntryConnection } from '../types/objects';

/** An entry as the API shows it: before and after as JSON text. */
const entryOf = (r: AuditRow): AuditEntry => ({
  id: String(r.id), actor: r.actor, action: r.action, entity: r.entity, entityId: r.entityId, at: r.at,
  before: r.before == null ? null : JSON.stringify(r.before),
  after: r.after == null ? null : JSON.stringify(r.after),
});

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
    return rows.map((r) => entryOf({ ...r, id: String(r.id) }));
  }

  @Authorized('admin')
  @Query(() => AuditEntryConnection, { description: 'The audit log, newest first: filtered by entity, entity id, action, actor and time; paged.' })
  async auditEntries(
    @Arg('filter', () => AuditFilterInput, { nullable: true }) filter: AuditFilterInput | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 50 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<AuditEntryConnection> {
    return connectionOf(await ctx.services.audit.page(filter ?? {}, pageSize(first, 50), after), entryOf);
  }
}
