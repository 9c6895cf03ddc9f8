import type { EntityManager } from '@mikro-orm/postgresql';
import { keyset } from '../../common/pagination';
import { pgTextArray } from '../../db/entity-manager';
import { withDates } from '../../db/rows';

/**
 * The SQL of the audit log's reads. Writes go through the ORM (AuditService.record), in the
 * caller's transaction, but for three writers in SQL: an import's profile updates insert their
 * `member.update` entries in the statement that changes the members (imports.repository.ts
 * updateProfiles: a million members are not a million flushes), an erasure scrubs entries
 * here (scrubEntries), and the award that spends a campaign's budget records its
 * `campaign.end` in the database function that ends it (migration campaign_budget_end_audited).
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

/**
 * The values the member's profile fields (`keys`) have held in the audit log's entries on it
 * (entity Member, its id): a profile update's before keeps what was replaced. Each with its key.
 */
export async function formerProfileValues(tx: EntityManager, memberId: string, keys: readonly string[]): Promise<FormerValue[]> {
  return tx.execute<FormerValue[]>(
    `select distinct e.key, e.value from audit_entry a
       cross join lateral (select * from jsonb_each_text(case when jsonb_typeof(a.before) = 'object' then a.before else '{}' end)
         union all select * from jsonb_each_text(case when jsonb_typeof(a.after) = 'object' then a.after else '{}' end)) e
     where a.entity = 'Member' and a.entity_id = ? and e.key = any(?::text[]) and e.value is not null`,
    [memberId, pgTextArray(keys)],
  );
}

/** A value a member's profile field held: the field and the value. */
export interface FormerValue { key: string; value: string }

/** Entries on records of the member's own (its redemptions): entity and ids. */
export interface RelatedEntries { entity: string; ids: readonly string[] }

/**
 * Scrubs personal data from the entries on the member, on its own records (`related`: its
 * redemptions, whose cancellation reasons an admin wrote) and from any entry that names it: in
 * entries on it (entity id), its profile fields (`keys`) are set to null at the top of before
 * and after; in all of them, each string equal to one of `values` is set to null and each
 * occurrence inside a string replaced (jsonb_scrub). One pass over the log (an erasure is
 * rare; no index serves "mentions"). Returns how many entries changed.
 */
export async function scrubEntries(
  tx: EntityManager, memberId: string, keys: readonly string[], values: readonly string[], related: RelatedEntries,
): Promise<number> {
  const k = pgTextArray(keys);
  const v = pgTextArray(values);
  const rows = await tx.execute<{ n: number }[]>(
    `with scrubbed as (
       select a.id,
         jsonb_scrub(case when a.entity_id = ? then jsonb_null_keys(a.before, ?::text[]) else a.before end, ?::text[]) as before,
         jsonb_scrub(case when a.entity_id = ? then jsonb_null_keys(a.after, ?::text[]) else a.after end, ?::text[]) as after
       from audit_entry a
       where a.entity_id = ? or (a.entity = ? and a.entity_id = any(?::text[])) or strpos(a.before::text, ?) > 0 or strpos(a.after::text, ?) > 0
     ), changed as (
       update audit_entry a set before = s.before, after = s.after from scrubbed s
       where a.id = s.id and (a.before is distinct from s.before or a.after is distinct from s.after)
       returning 1
     )
     select count(*)::int as n from changed`,
    [memberId, k, v, memberId, k, v, memberId, related.entity, pgTextArray(related.ids), memberId, memberId],
  );
  return rows[0].n;
}

/** One entry, at the writing transaction's start (as the entity's default): AuditService.recordInSql. */
export async function insertEntry(tx: EntityManager, actor: string, action: string, entity: string, entityId: string, before: unknown, after: unknown): Promise<void> {
  await tx.execute(
    'insert into audit_entry (actor, action, entity, entity_id, before, after, at) values (?, ?, ?, ?, ?::jsonb, ?::jsonb, now())',
    [actor, action, entity, entityId, before === null ? null : JSON.stringify(before), after === null ? null : JSON.stringify(after)],
  );
}
