import type { EntityManager } from '@mikro-orm/postgresql';
import { keyset } from '../../common/pagination';
import { withDates } from '../../db/rows';

/**
 * The SQL of the audit log's reads. Writes go through the ORM (AuditService.record), in the
 * caller's transaction.
 */

/** What the audit log page filters by; each condition is left out when null. `from` inclusive, `to` exclusive. */
export interface AuditFilter {
  entity?: string | null;
  entityId?: string | null;
  action?: string | null;
  actor?: string | null;
  from?: Date | null;
  to?: Date | null;
}

/** One entry as stored: before/after are the JSON values (node-postgres parses jsonb). */
export interface AuditRow {
  id: string;
  actor: string;
  action: string;
  entity: string;
  entityId: string;
  before: unknown;
  after: unknown;
  at: Date;
}

/**
 * The entries the filter selects, newest first, after entry id `afterId` (keyset on the bigint
 * id, compared as bigint). An entity filter reads the (entity, id) index backwards; the other
 * conditions filter the rows it yields.
 */
export async function auditPage(em: EntityManager, f: AuditFilter, afterId: string | null, limit: number): Promise<AuditRow[]> {
  const page = keyset('a.id', 'desc', afterId);
  const rows = await em.execute<AuditRow[]>(
    `select a.id::text as id, a.actor, a.action, a.entity, a.entity_id as "entityId", a.before, a.after, a.at
     from audit_entry a
     where (?::text is null or a.entity = ?) and (?::text is null or a.entity_id = ?) and (?::text is null or a.action = ?)
       and (?::text is null or a.actor = ?) and (?::timestamptz is null or a.at >= ?) and (?::timestamptz is null or a.at < ?)
       and ${page.where} ${page.orderBy} limit ?`,
    [
      ...[f.entity, f.entityId, f.action, f.actor, f.from, f.to].flatMap((v) => [v ?? null, v ?? null]),
      ...page.params, limit,
    ],
  );
  return rows.map((r) => withDates(r, ['at']));
}
