import type { EntityManager } from '@mikro-orm/postgresql';
import { type Actor, actorLabel } from '../actor';
import { AuditEntry } from './audit-entry.entity';

export interface AuditRecord {
  action: string;
  entity: string;
  entityId: string;
  before?: unknown;
  after?: unknown;
}

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

  async list(entity: string | null, first: number): Promise<AuditEntry[]> {
    return this.em.find(AuditEntry, entity ? { entity } : {}, { orderBy: { id: 'desc' }, limit: first });
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
