import type { EntityManager } from '@mikro-orm/postgresql';
import { keyset } from '../../common/pagination';
import { safeInteger } from '../../common/safe-integer';
import { pgArray, pgTextArray } from '../../db/entity-manager';
import { minusMonths } from '../../db/months';
import { OUTBOX_CHANNEL, outboxInsertSql } from '../../events/outbox';
import { withDates } from '../../db/rows';
import type { TierChangeKind } from './tier-change.entities';
import type { DowngradePolicy, QualifyingFact } from './tiers.rules';

/**
 * The tiers module's SQL, one named function per statement, with typed rows (the set-based
 * review's is in tier-review.repository.ts, the feed's in tier-feed.repository.ts).
 *
 * Tables of other modules it reads, always inside the statement that needs them (a tier
 * decision is made on one snapshot): `qualifying_entry`, `purchase` and `activity` (points),
 * `program` (program: the tier settings and `tier_reviewed_through`). It writes the tier
 * columns of `member` (tier_id, tier_since, tier_expires_at and the window counters, which
 * the tiers module keeps) and the outbox (through events/outbox.ts's SQL).
 */

export interface TierChangeRow {
  id: string;
  memberId: string;
  kind: TierChangeKind;
  fromTierId: string | null;
  toTierId: string;
  reason: string;
  qualifyingPoints: number;
  occurredAt: Date;
  /** When a backdated fact superseded it (rebuild); null (or absent, on a row being written): current. */
  supersededAt?: Date | null;
}

/** A change being recorded: everything but its id, with the expiry it gives. */
export type NewTierChange = Omit<TierChangeRow, 'id'> & { expiresAt: Date | null };
/** A recorded change with the expiry it gave. */
export type StoredChange = TierChangeRow & { expiresAt: Date | null };

export interface TierNoticeRow {
  id: string;
  memberId: string;
  tierId: string;
  tierExpiresAt: Date;
  pointsToRetain: number;
  noticedAt: Date;
}

/** The programme's tier settings (program row), and the latest asOf a review ran for. */
export interface TierSettings { windowMonths: number; validityMonths: number; policy: DowngradePolicy; noticeDays: number; reviewedThrough: Date | null }
/** A tier of the ladder, as the engine uses it. */
export interface Rung { id: string; rank: number; qualifyingPoints: number; retainPoints: number; multiplier: number }

/**
 * A tier_change row as TierChangeRow (its id as text); the bench's fan-out writes its events with it too.
 * Its `id` output is text: order by the table's column, qualified (`tc.id`), never by a bare `id`.
 */
export const CHANGE_COLUMNS = `id::text, member_id as "memberId", kind, from_tier_id as "fromTierId", to_tier_id as "toTierId", reason,
  qualifying_points as "qualifyingPoints", occurred_at as "occurredAt", superseded_at as "supersededAt"`;
export const changeRow = <T extends TierChangeRow>(r: T): T => withDates(r, ['occurredAt', 'supersededAt']);
const storedChange = (r: StoredChange): StoredChange => withDates(changeRow(r), ['expiresAt']);

/** A tier change by id as it stands now (`supersededAt` set once a backdated fact replaced it); null when there is none. */
export async function changeById(em: EntityManager, id: string): Promise<TierChangeRow | null> {
  const [row] = await em.execute<TierChangeRow[]>(`select ${CHANGE_COLUMNS} from tier_change where id = ?`, [id]);
  return row ? changeRow(row) : null;
}

// ---- the programme and the ladder ---------------------------------------------------------

/**
 * The codes of `codes` that name no tier of the ladder, in the order given (tiers are never
 * deleted). A benefit's, a reward's and a segment filter's tier codes are checked by it.
 */
export async function unknownTierCodes(em: EntityManager, codes: readonly string[]): Promise<string[]> {
  if (!codes.length) return [];
  const rows = await em.execute<{ code: string }[]>(
    'select c.code from unnest(?::text[]) with ordinality c(code, n) where not exists (select 1 from tier t where t.code = c.code) order by c.n',
    [pgTextArray([...codes])],
  );
  return rows.map((r) => r.code);
}

export async function ladder(em: EntityManager): Promise<Rung[]> {
  return em.execute<Rung[]>(
    `select id, rank, qualifying_points as "qualifyingPoints", retain_points as "retainPoints", points_multiplier::float8 as multiplier
     from tier order by rank`,
  );
}

export async function tierByCode(em: EntityManager, code: string): Promise<{ id: string; code: string; rank: number } | undefined> {
  const [tier] = await em.execute<{ id: string; code: string; rank: number }[]>('select id, code, rank from tier where code = ?', [code]);
  return tier;
}

/** Ladder edits are rare; one at a time keeps the validation of the whole ladder sound. */
/**
 * Gives tiers new ranks in one go (`ranks`: id → rank), under the ladder's lock: first out of the
 * way (below 0), then where they go, so that the unique rank never sees two tiers at once.
 */
export async function moveRanks(tx: EntityManager, ranks: Map<string, number>): Promise<void> {
  if (!ranks.size) return;
  const values = [...ranks].map(() => '(?::uuid, ?::int)').join(', ');
  const args = [...ranks].flatMap(([id, rank]) => [id, rank]);
  await tx.execute(`update tier t set rank = -1 - t.rank from (values ${values}) as v(id, rank) where t.id = v.id`, args);
  await tx.execute(`update tier t set rank = v.rank from (values ${values}) as v(id, rank) where t.id = v.id`, args);
}

export async function lockLadder(tx: EntityManager): Promise<void> {
  await tx.execute('lock table "tier" in share row exclusive mode');
}

/** Members per tier, from the per-statement rows triggers on member keep (see TierMemberDelta). */
export async function memberCounts(em: EntityManager, tierIds: readonly string[]): Promise<Map<string, number>> {
  const rows = await em.getConnection().execute<{ tier_id: string; n: string }[]>(
    'select tier_id, sum(delta) as n from tier_member_delta where tier_id in (?) group by tier_id', [tierIds],
  );
  return new Map(rows.map((r) => [r.tier_id, safeInteger(r.n)]));
}

// ---- one member's tier --------------------------------------------------------------------

/** The member's tier (and its expiry as stored, text). */
export interface MemberTier { tierId: string; tierCode: string; rank: number; since: string; expiresAt: string | null }

export async function memberTier(tx: EntityManager, memberId: string): Promise<MemberTier> {
  const [m] = await tx.execute<MemberTier[]>(
    `select m.tier_id as "tierId", t.code as "tierCode", t.rank, m.tier_since as since, m.tier_expires_at as "expiresAt" from member m join tier t on t.id = m.tier_id where m.id = ?`,
    [memberId],
  );
  return m;
}

/**
 * The tier the member row holds, its multiplier, and whether its history may be out of date at
 * `at` (stale): its tier expired by `at` or by the latest review run's asOf (program), it has
 * qualifying points or a purchase dated after `at`, or a current change dated at or after `at`.
 * A purchase after `at`, even one that earned no qualifying points, is part of the horizon the
 * member's reviews are recorded to (`historyFrom`): a write dated before it rebuilds the history,
 * so that an upgrade at `at` whose expiry falls before that purchase is reviewed there, as it would
 * have been had the facts arrived in date order. Reads the points module's `purchase` table
 * (one index probe in the same statement), as the horizon does.
 */
export async function heldTier(tx: EntityManager, memberId: string, at: Date): Promise<{ tierId: string; multiplier: number; stale: boolean } | undefined> {
  // member_tier_held (migration purchase_path): a purchase's first statement (purchase_facts) asks it too.
  const [m] = await tx.execute<{ tierId: string; multiplier: number; stale: boolean }[]>(
    'select tier_id as "tierId", multiplier, stale from member_tier_held(?, ?)', [memberId, at],
  );
  return m;
}

/** The instant of the member's latest current change (null without one). */
export async function latestChangeAt(tx: EntityManager, memberId: string): Promise<Date | null> {
  const [r] = await tx.execute<{ at: Date | null }[]>(
    'select max(c.occurred_at) as at from tier_change c where c.member_id = ? and c.superseded_at is null', [memberId],
  );
  return r.at == null ? null : new Date(r.at);
}

/** Whether the member has a current change dated at or after `at`. */
export async function hasChangeFrom(tx: EntityManager, memberId: string, at: Date): Promise<boolean> {
  const rows = await tx.execute(
    'select 1 from tier_change c where c.member_id = ? and c.occurred_at >= ? and c.superseded_at is null limit 1', [memberId, at],
  );
  return rows.length > 0;
}

/**
 * The next member queued for a rebuild of its tier history (`tier_rebuild`, filled by migration
 * reversal_counts_after_refund), but those `passed` (their rebuild failed in this run), its queue
 * row locked until the transaction ends (another instance's run takes the next one); null when
 * none is left.
 */
export async function nextQueuedRebuild(tx: EntityManager, passed: readonly string[] = []): Promise<{ memberId: string; from: Date } | null> {
  const [row] = await tx.execute<{ memberId: string; from: Date }[]>(
    `select member_id as "memberId", from_at as "from" from tier_rebuild where member_id <> all(?::uuid[]) order by member_id limit 1 for update skip locked`,
    [pgArray([...passed])],
  );
  return row ? withDates(row, ['from']) : null;
}

/** Takes a member off the rebuild queue (its rebuild done in the same transaction). */
export async function dropQueuedRebuild(tx: EntityManager, memberId: string): Promise<void> {
  await tx.execute('delete from tier_rebuild where member_id = ?', [memberId]);
}

/** The member row's tier state, and the last current change before `from` (prev…), with the horizon reviews are recorded to. */
export interface MemberTierBefore {
  tierId: string; since: Date; expiresAt: Date | null; joinedAt: Date;
  prevTierId: string | null; prevExpiresAt: Date | null; prevSince: Date | null;
  /** The latest of: the latest review run's asOf (program), the member's latest purchase and qualifying activity (points), `from`. */
  horizon: Date;
}

export async function memberTierBefore(tx: EntityManager, memberId: string, from: Date): Promise<MemberTierBefore> {
  const [m] = await tx.execute<MemberTierBefore[]>(
    `select m.tier_id as "tierId", m.tier_since as since, m.tier_expires_at as "expiresAt", m.joined_at as "joinedAt",
       prev.to_tier_id as "prevTierId", prev.expires_at as "prevExpiresAt",
       (select max(c.occurred_at) from tier_change c where c.member_id = m.id and c.superseded_at is null
         and c.occurred_at < ?::timestamptz and c.kind <> 'RENEWAL') as "prevSince",
       greatest((select tier_reviewed_through from program where id = 1), (select max(p.occurred_at) from purchase p where p.member_id = m.id),
         (select max(a.occurred_at) from activity a where a.member_id = m.id and a.qualifying_points > 0), ?::timestamptz) as horizon
     from member m left join lateral (
       select c.to_tier_id, c.expires_at from tier_change c where c.member_id = m.id and c.superseded_at is null and c.occurred_at < ?::timestamptz
       order by c.occurred_at desc, c.id desc limit 1) prev on true
     where m.id = ?`,
    [from, from, from, memberId],
  );
  return withDates(m, ['since', 'expiresAt', 'joinedAt', 'prevExpiresAt', 'prevSince', 'horizon']);
}

/** The member's current changes dated at or after `from`, in order. */
export async function currentChangesFrom(tx: EntityManager, memberId: string, from: Date): Promise<StoredChange[]> {
  const rows = await tx.execute<StoredChange[]>(
    `select ${CHANGE_COLUMNS}, expires_at as "expiresAt" from tier_change tc
     where tc.member_id = ? and tc.superseded_at is null and tc.occurred_at >= ? order by tc.occurred_at, tc.id`,
    [memberId, from],
  );
  return rows.map(storedChange);
}

/** The member's qualifying points dated after `after` (the points module's ledger, read for the tier timeline). */
export async function qualifyingFactsAfter(tx: EntityManager, memberId: string, after: Date): Promise<QualifyingFact[]> {
  const rows = await tx.execute<QualifyingFact[]>(
    `select occurred_at as "occurredAt", coalesce(counts_from, occurred_at) as "countsFrom", points from qualifying_entry
     where member_id = ? and occurred_at > ?`,
    [memberId, after],
  );
  return rows.map((f) => withDates(f, ['occurredAt', 'countsFrom']));
}

/** Q: the member's qualifying points dated in (fromExclusive, toInclusive] that count by then (the points module's ledger). */
export async function qualifyingBetween(em: EntityManager, memberId: string, fromExclusive: Date, toInclusive: Date): Promise<number> {
  // qualifying_between (migration purchase_path): purchase_facts counts a purchase's window with it too.
  const [row] = await em.execute<{ q: number }[]>('select qualifying_between(?, ?, ?) as q', [memberId, fromExclusive, toInclusive]);
  return row.q;
}

/** A purchase and the tier it earned at. */
export interface PurchaseTier { orderId: string; occurredAt: Date; tierId: string | null }

/**
 * The member's purchases dated at or after `from` that earn, with the tier each earned at (the
 * points module's table). A history import's purchases (source 'import', no earning tier) never
 * earn, whatever tier their instant turns out to have: they are left out.
 */
export async function purchasesFrom(tx: EntityManager, memberId: string, from: Date): Promise<PurchaseTier[]> {
  const rows = await tx.execute<PurchaseTier[]>(
    `select order_id as "orderId", occurred_at as "occurredAt", earned_tier_id as "tierId" from purchase
     where member_id = ? and occurred_at >= ? and not (source = 'import' and earned_tier_id is null)`,
    [memberId, from],
  );
  return rows.map((p) => withDates(p, ['occurredAt']));
}

/**
 * Sets a member's tier, from `since` until `expiresAt`, and counts the member's window
 * counters for that expiry from the ledger (qualifying_entry; the caller holds the member row).
 */
export async function setMemberTier(
  tx: EntityManager, windowMonths: number, memberId: string, tierId: string, since: Date, expiresAt: Date | null,
): Promise<void> {
  // set_member_tier (migration purchase_path): a purchase's upgrade on its fast path calls it too.
  await tx.execute('select set_member_tier(?, ?, ?, ?, ?)', [memberId, tierId, since, expiresAt, windowMonths]);
}

// ---- recording changes --------------------------------------------------------------------

/**
 * Records one change; with `outboxTopic`, its outbox row too, in the same statement (one
 * round trip on the purchase path). The outbox row carries the change itself (`changes`, as
 * changesFromOutbox reads it back), so a dispatcher delivers it without reading tier_change again.
 * Returns the change and its outbox row's id (null without one).
 */
export async function insertChange(tx: EntityManager, c: NewTierChange, outboxTopic: string | null): Promise<{ change: TierChangeRow; outboxId: string | null }> {
  const params = [c.memberId, c.kind, c.fromTierId, c.toTierId, c.reason, c.qualifyingPoints, c.occurredAt, c.expiresAt];
  const insert = `insert into tier_change (member_id, kind, from_tier_id, to_tier_id, reason, qualifying_points, occurred_at, expires_at, created_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, now()) returning ${CHANGE_COLUMNS}`;
  if (!outboxTopic) return { change: changeRow((await tx.execute<TierChangeRow[]>(insert, params))[0]), outboxId: null };
  const [{ outboxId, ...change }] = await tx.execute<(TierChangeRow & { outboxId: string })[]>(
    `with c as (${insert}), o as (
       ${outboxInsertSql(outboxTopic, { memberId: '"memberId"', payload: `jsonb_build_object('ids', jsonb_build_array(id), 'changes', jsonb_build_array(to_jsonb(c)))`, from: 'c' })}
     ) select c.*, (select id from o) as "outboxId" from c`,
    params,
  );
  return { change: changeRow(change), outboxId };
}

/** The most changes one outbox row of a bulk writer lists: a review batch's (the dispatcher publishes a row at once). */
const CHANGES_PER_ROW = 20_000;

/**
 * Outbox rows of `topic` listing every tier change the calling transaction wrote (found by their
 * xact_id, the feed's index), at most CHANGES_PER_ROW each, with the member when a row's are one
 * member's; none when it wrote none. Their NOTIFY goes in the same statement: PostgreSQL sends
 * it at the commit, and never on a rollback (a bulk writer's few transactions, not the purchase
 * path, which coalesces its NOTIFYs after the commit).
 */
export async function publishChangesOfTransaction(tx: EntityManager, topic: string): Promise<void> {
  await tx.execute(`with c as (
    select c.id, c.member_id, (row_number() over (order by c.id) - 1) / ${CHANGES_PER_ROW} as part
    from tier_change c where c.xact_id = pg_current_xact_id_if_assigned()
  ), o as (
    ${outboxInsertSql(topic, {
      memberId: 'case when count(distinct c.member_id) = 1 then min(c.member_id::text)::uuid end',
      payload: `jsonb_build_object('ids', jsonb_agg(c.id::text order by c.id))`,
      from: 'c group by c.part order by c.part',
    })}
  ) select pg_notify('${OUTBOX_CHANNEL}', min(o.id::bigint) || '-' || max(o.id::bigint)) from o having count(*) > 0`);
}

/**
 * Records several changes of one member, in this order (ids ascending); with `outboxTopic`,
 * one outbox row carrying them all, in the same statement. Returns them by id, and the outbox
 * row's id (null without one).
 */
export async function insertChanges(tx: EntityManager, cs: NewTierChange[], outboxTopic: string | null): Promise<{ changes: TierChangeRow[]; outboxId: string | null }> {
  const values = JSON.stringify(cs.map((c, n) => ({
    n, member_id: c.memberId, kind: c.kind, from_tier_id: c.fromTierId, to_tier_id: c.toTierId, reason: c.reason,
    qualifying_points: c.qualifyingPoints, occurred_at: c.occurredAt.toISOString(), expires_at: c.expiresAt?.toISOString() ?? null,
  })));
  const insert = `insert into tier_change (member_id, kind, from_tier_id, to_tier_id, reason, qualifying_points, occurred_at, expires_at, created_at)
     select member_id, kind, from_tier_id, to_tier_id, reason, qualifying_points, occurred_at, expires_at, now()
     from jsonb_to_recordset(?::jsonb) as v(n int, member_id uuid, kind text, from_tier_id uuid, to_tier_id uuid, reason text,
       qualifying_points int, occurred_at timestamptz, expires_at timestamptz)
     order by n returning ${CHANGE_COLUMNS}`;
  const byId = (rows: TierChangeRow[]) => rows.map(changeRow).sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
  if (!outboxTopic) return { changes: byId(await tx.execute<TierChangeRow[]>(insert, [values])), outboxId: null };
  const rows = await tx.execute<(TierChangeRow & { outboxId: string })[]>(
    `with c as (${insert}), o as (
       ${outboxInsertSql(outboxTopic, {
    memberId: 'min("memberId"::text)::uuid',
    payload: `jsonb_build_object('ids', jsonb_agg(id::bigint order by id::bigint), 'changes', jsonb_agg(to_jsonb(c) order by id::bigint))`,
    from: 'c',
  })}
     ) select c.*, (select id from o) as "outboxId" from c`,
    [values],
  );
  return { changes: byId(rows.map(({ outboxId: _, ...change }) => change)), outboxId: rows[0].outboxId };
}

/** Brings the Q of kept changes up to date in place. */
export async function setChangesQualifying(tx: EntityManager, changes: { id: string; q: number }[]): Promise<void> {
  await tx.execute(
    'update tier_change c set qualifying_points = v.q from jsonb_to_recordset(?::jsonb) as v(id bigint, q int) where c.id = v.id',
    [JSON.stringify(changes)],
  );
}

/**
 * Marks changes superseded. A superseded change keeps its place in the feed (its xact_id): the
 * feed serves every change once (the contract: nothing missed or repeated), and what replaces
 * it follows where this transaction commits.
 */
export async function supersedeChanges(tx: EntityManager, ids: string[]): Promise<void> {
  await tx.execute('update tier_change set superseded_at = now() where id = any(?::bigint[])', [pgArray(ids)]);
}

// ---- reads ------------------------------------------------------------------------------

/** Per member: Q now (in (now − window, now]) and Q kept (in (tierExpiresAt − window, now]), as the ledger counts them by now. */
export interface ProgressCounts { id: string; tierId: string; expiresAt: string | null; qNow: number; qKept: number }

export async function progressCounts(em: EntityManager, memberIds: readonly string[], now: Date, windowMonths: number): Promise<ProgressCounts[]> {
  return em.execute<ProgressCounts[]>(
    `select m.id, m.tier_id as "tierId", m.tier_expires_at as "expiresAt",
       coalesce(sum(q.points) filter (where q.occurred_at > ${minusMonths('?::timestamptz', '?::int')}), 0)::int as "qNow",
       coalesce(sum(q.points) filter (where m.tier_expires_at is not null and q.occurred_at > ${minusMonths('m.tier_expires_at', '?::int')}), 0)::int as "qKept"
     from member m left join qualifying_entry q on q.member_id = m.id and q.occurred_at <= ?::timestamptz
       and coalesce(q.counts_from, q.occurred_at) <= ?::timestamptz
     where m.id in (?) group by m.id`,
    [now, windowMonths, windowMonths, now, now, memberIds as string[]],
  );
}

/** The current changes of these members, oldest first. */
export async function currentChangesOf(em: EntityManager, memberIds: readonly string[]): Promise<TierChangeRow[]> {
  const rows = await em.execute<TierChangeRow[]>(
    `select ${CHANGE_COLUMNS} from tier_change tc where tc.member_id in (?) and tc.superseded_at is null order by tc.occurred_at, tc.id`,
    [memberIds as string[]],
  );
  return rows.map(changeRow);
}

/** Changes recorded after `since` (created_at) and/or after the change `after` (by id), one member's or everyone's, oldest first. */
export async function changesPage(em: EntityManager, q: { memberId: string | null; since: Date | null; after: string | null; first: number }): Promise<TierChangeRow[]> {
  const page = keyset('tc.id', 'asc', q.after);
  const rows = await em.execute<TierChangeRow[]>(
    `select ${CHANGE_COLUMNS} from tier_change tc
     where (?::uuid is null or tc.member_id = ?::uuid) and (?::timestamptz is null or tc.created_at > ?::timestamptz) and ${page.where}
     ${page.orderBy} limit ?`,
    [q.memberId, q.memberId, q.since, q.since, ...page.params, q.first],
  );
  return rows.map(changeRow);
}

/** Changes by id; with `members`, only theirs (none when empty). */
export async function changesByIds(em: EntityManager, ids: string[], members: string[] | null = null): Promise<TierChangeRow[]> {
  if (!ids.length || members?.length === 0) return [];
  const rows = await em.execute<TierChangeRow[]>(
    `select ${CHANGE_COLUMNS} from tier_change tc where tc.id = any(?::bigint[]) and (?::uuid[] is null or tc.member_id = any(?::uuid[])) order by tc.id`,
    [pgArray(ids), members && pgArray(members), members && pgArray(members)],
  );
  return rows.map(changeRow);
}

/** Notices by id; with `members`, only theirs (none when empty). */
export async function noticesByIds(em: EntityManager, ids: string[], members: string[] | null = null): Promise<TierNoticeRow[]> {
  if (!ids.length || members?.length === 0) return [];
  const rows = await em.execute<TierNoticeRow[]>(
    `select n.id::text, n.member_id as "memberId", n.tier_id as "tierId", n.tier_expires_at as "tierExpiresAt",
       n.points_to_retain as "pointsToRetain", n.noticed_at as "noticedAt" from tier_notice n
     where n.id = any(?::bigint[]) and (?::uuid[] is null or n.member_id = any(?::uuid[])) order by n.id`,
    [pgArray(ids), members && pgArray(members), members && pgArray(members)],
  );
  return rows.map((r) => withDates(r, ['tierExpiresAt', 'noticedAt']));
}

/** The ids of a member's notices, oldest first. */
export async function noticeIdsOf(em: EntityManager, memberId: string): Promise<string[]> {
  const rows = await em.execute<{ id: string }[]>('select n.id::text from tier_notice n where n.member_id = ? order by n.id', [memberId]);
  return rows.map((r) => r.id);
}

/** Personal values quoted in the member's tier change reasons (an override's) replaced by '[erased]' (text_scrub): an erasure. */
export async function scrubChangeReasons(tx: EntityManager, memberId: string, values: string[]): Promise<void> {
  await tx.execute(
    `update tier_change set reason = text_scrub(reason, ?::text[]) where member_id = ? and reason is not null and reason <> text_scrub(reason, ?::text[])`,
    [pgTextArray(values), memberId, pgTextArray(values)],
  );
}
