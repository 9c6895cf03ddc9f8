import type { EntityManager } from '@mikro-orm/postgresql';
import { type Actor, actorLabel } from '../actor';
import { badInput } from '../../common/errors';
import { decodeCursor, encodeCursor, pageOf, type Page } from '../../common/pagination';
import { AuditEntry } from './audit-entry.entity';
import { auditPage, formerProfileValues, insertEntry, scrubEntries, type AuditFilter, type AuditRow, type FormerValue, type RelatedEntries } from './audit.repository';

export type { AuditFilter, AuditRow } from './audit.repository';

export interface AuditRecord {
  action: string;
  entity: string;
  entityId: string;
  before?: unknown;
  after?: unknown;
}

const AUDIT_CURSOR = 'audit';

/** Writes audit entries inside the caller's transaction, so an entry exists iff the change does. */
export class AuditService {
  constructor(private readonly em: EntityManager) {}

  record(tx: EntityManager, actor: Actor, rec: AuditRecord): void {
    const entry = new AuditEntry();
    entry.actor = actorLabel(actor);
    entry.action = rec.action;
    entry.entity = rec.entity;
    entry.entityId = rec.entityId;
    entry.before = rec.before ?? null;
    entry.after = rec.after ?? null;
    tx.persist(entry);
  }

  /**
   * The same entry written at once, by one statement on the caller's connection: for a writer in
   * a SQL-only transaction (inSqlTransaction), which flushes no entity.
   */
  async recordInSql(tx: EntityManager, actor: Actor, rec: AuditRecord): Promise<void> {
    await insertEntry(tx, actorLabel(actor), rec.action, rec.entity, rec.entityId, rec.before ?? null, rec.after ?? null);
  }

  async list(entity: string | null, first: number): Promise<AuditEntry[]> {
    // An entity given is an exact match, "" too (nothing has it), as auditEntries' filter is; only null selects every entry.
    return this.em.find(AuditEntry, entity != null ? { entity } : {}, { orderBy: { id: 'desc' }, limit: first });
  }

  /**
   * An erasure's part (data-rights.service.ts), in its transaction: the values the member's
   * profile fields (`keys`) held according to its entries (a profile update's before), for the
   * erasure to scrub elsewhere too.
   */
  formerValues(tx: EntityManager, memberId: string, keys: readonly string[]): Promise<FormerValue[]> {
    return formerProfileValues(tx, memberId, keys);
  }

  /**
   * An erasure's part: personal data scrubbed from the log, in the erasure's transaction. In
   * entries on the member its profile fields (`keys`) become null; there, in entries on its own
   * records (`related`: its redemptions) and in every entry that names the member's id, the
   * values (`values`) are scrubbed (a string equal to one becomes null, one inside a string
   * '[erased]'). The entries stay (who did what, when); only the personal values go. Returns
   * how many changed.
   */
  scrubMember(tx: EntityManager, memberId: string, keys: readonly string[], values: readonly string[], related: RelatedEntries): Promise<number> {
    return scrubEntries(tx, memberId, keys, values, related);
  }

  /** The audit log page: entries the filter selects, newest first, keyset-paged on the entry id. */
  async page(filter: AuditFilter, first: number, after: string | null): Promise<Page<AuditRow>> {
    if (filter.from && filter.to && filter.from.getTime() > filter.to.getTime()) throw badInput('to', 'to must not be before from');
    const rows = await auditPage(this.em, filter, decodeCursor(AUDIT_CURSOR, after), first + 1);
    return pageOf(rows, first, (r) => encodeCursor(AUDIT_CURSOR, r.id));
  }
}

/** A plain, JSON-safe copy of an entity's scalar fields for before/after snapshots. */
export function snapshot<T extends object>(entity: T, fields: (keyof T)[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const v = entity[f] as unknown;
    out[String(f)] = v instanceof Date ? v.toISOString() : v;
  }
  return out;
}
