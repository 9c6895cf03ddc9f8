import type { EntityManager } from '@mikro-orm/postgresql';
import { badInput, notFound } from '../../common/errors';
import { drainInLanes } from '../../common/lanes';
import { keyset } from '../../common/pagination';
import { addMonthsUtc, addDaysUtc } from '../../common/time.rules';
import { pgArray } from '../../db/entity-manager';
import { minusMonths, plusMonths } from '../../db/months';
import { ForegroundProbe } from '../../db/foreground';
import { inSqlTransaction, inTransaction } from '../../db/transaction';
import { notifyAfterCommit, notifyFromConnectionAfterCommit } from '../../db/notify';
import type { Actor } from '../actor';
import { AuditService } from '../audit/audit.service';
import { isUuid } from '../members/members.service';
import { lockAccount, withDates } from '../points/points.repository';
import type { TierChangeKind } from './tier-change.entities';
import {
  evaluateUpgrade, OVERRIDE_PREFIX, rankHeldAt, tierTimeline, UPGRADE_REASON,
  type QualifyingFact, type TierOverride, type TierState, type TimelineChange,
} from './tiers.rules';

export const OUTBOX_CHANNEL = 'loyalty_outbox';
export const TIER_CHANGED = 'TIER_CHANGED';
export const TIER_NOTICE = 'TIER_NOTICE';

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

export interface TierNoticeRow {
  id: string;
  memberId: string;
  tierId: string;
  tierExpiresAt: Date;
  pointsToRetain: number;
  noticedAt: Date;
}

export interface TierProgressRow {
  qualifyingPoints: number;
  nextTierId: string | null;
  pointsToNextTier: number | null;
  pointsToRetain: number;
}

/**
 * A purchase whose tier held at its instant is no longer the one it earned at (a backdated fact
 * changed the history before it): it earns again at this tier (PointsService re-rates it).
 */
export interface Rerate { orderId: string; occurredAt: Date; tierId: string; tierMultiplier: number }
/** What a write's tier step did: the change it brings at its own instant, and the purchases to re-rate. */
export interface TierOutcome { change: TierChangeRow | null; rerate: Rerate[] }
/** What prepare() found: the tier held at an instant, and whether the upgrade check there is done (settled). */
export interface PreparedTier { tierId: string; multiplier: number; settled: boolean; upgrade: TierChangeRow | null; rerate: Rerate[] }
interface Rebuilt { heldAt: { tierId: string; multiplier: number }; upgrade: TierChangeRow | null; rerate: Rerate[] }
interface MemberTierRow {
  tierId: string; since: Date; expiresAt: Date | null; joinedAt: Date;
  prevTierId: string | null; prevExpiresAt: Date | null; prevSince: Date | null; horizon: Date;
}
type StoredChange = TierChangeRow & { expiresAt: Date | null };

interface TierSettings { windowMonths: number; validityMonths: number; policy: 'DROP_ONE' | 'RECALCULATE'; noticeDays: number; reviewedThrough: Date | null }
interface Rung { id: string; rank: number; qualifyingPoints: number; retainPoints: number; multiplier: number }

/**
 * A tier_change row as TierChangeRow (its id as text); the bench's fan-out writes its events with it too.
 * Its `id` output is text: order by the table's column, qualified (`tc.id`), never by a bare `id`.
 */
export const CHANGE_COLUMNS = `id::text, member_id as "memberId", kind, from_tier_id as "fromTierId", to_tier_id as "toTierId", reason,
  qualifying_points as "qualifyingPoints", occurred_at as "occurredAt", superseded_at as "supersededAt"`;
const changeRow = (r: TierChangeRow) => withDates(r, ['occurredAt', 'supersededAt']);

/** The changes an outbox row carries (a single change's row does: recordChange), or null when it lists ids only. */
export function changesFromOutbox(payload: { changes?: TierChangeRow[] }): TierChangeRow[] | null {
  return payload.changes ? payload.changes.map(changeRow) : null;
}

/**
 * The tier engine: immediate upgrades inside the write that adds qualifying points,
 * set-based reviews at expiry, at-risk notices, admin overrides. Every change is a
 * tier_change row plus an outbox row in the same transaction; a NOTIFY sent once it has
 * committed (never on rollback) carries the outbox id to every instance.
 */
export class TierEngine {
  constructor(private readonly em: EntityManager, private readonly audit: AuditService) {}

  private async settings(em: EntityManager): Promise<TierSettings> {
    const [s] = await em.execute(
      `select qualification_window_months as "windowMonths", tier_validity_months as "validityMonths",
         downgrade_policy as policy, tier_notice_days as "noticeDays", tier_reviewed_through as "reviewedThrough" from program where id = 1`,
    );
    return withDates(s as TierSettings, ['reviewedThrough']);
  }

  private async ladder(em: EntityManager): Promise<Rung[]> {
    return (await em.execute(
      `select id, rank, qualifying_points as "qualifyingPoints", retain_points as "retainPoints", points_multiplier::float8 as multiplier
       from tier order by rank`,
    )) as Rung[];
  }

  /**
   * Called in the transaction of a write that adds qualifying points at `at` (its entry is
   * written; the member is locked), before it earns: brings the member's recorded tier history
   * up to date as of `at`, so that the outcome is the same whether the review job ran before or
   * after, and whatever order the facts arrived in. Usually one statement that finds nothing to
   * do: the member's tier has not expired by `at` nor by the latest review run's asOf, and
   * nothing is dated after `at` (no change, no qualifying points). Else the history is rebuilt
   * from `at` on (rebuild).
   * Returns the tier held at `at` (a purchase there earns at it) and, after a rebuild, the
   * upgrade at `at` it recorded (the upgrade check at `at` is then done).
   */
  async prepare(tx: EntityManager, memberId: string, at: Date): Promise<PreparedTier> {
    const [m] = (await tx.execute(
      `select m.tier_id as "tierId", t.points_multiplier::float8 as multiplier,
         coalesce(m.tier_expires_at <= greatest(?::timestamptz, (select tier_reviewed_through from program where id = 1)), false)
           or coalesce(m.last_qualifying_at > ?::timestamptz, false)
           or exists (select 1 from tier_change c where c.member_id = m.id and c.occurred_at >= ?::timestamptz and c.superseded_at is null) as stale
       from member m join tier t on t.id = m.tier_id where m.id = ?`,
      [at, at, at, memberId],
    )) as { tierId: string; multiplier: number; stale: boolean }[];
    if (!m.stale) return { tierId: m.tierId, multiplier: m.multiplier, settled: false, upgrade: null, rerate: [] };
    const r = await this.rebuild(tx, memberId, at);
    return { ...r.heldAt, settled: true, upgrade: r.upgrade, rerate: r.rerate };
  }

  /**
   * After a refund dated `at` (its reversal counts from `at`, in the window of its purchase):
   * the recorded changes from `at` on were decided without it; rebuilt if there are any.
   */
  async afterRefund(tx: EntityManager, memberId: string, at: Date): Promise<Rerate[]> {
    const rows = await tx.execute(
      'select 1 from tier_change c where c.member_id = ? and c.occurred_at >= ? and c.superseded_at is null limit 1', [memberId, at],
    );
    return rows.length ? (await this.rebuild(tx, memberId, at)).rerate : [];
  }

  /**
   * Rebuilds the member's recorded tier history from `from` on, as the rules make it from the
   * facts (tierTimeline), from the state held just before `from`: changes the facts no longer
   * give are superseded (kept, marked), the ones they give now are recorded and published, and
   * the member row is set to where the history ends. The changes both histories share are kept
   * (their Q brought up to date in place). Reviews are recorded up to the horizon: the latest
   * review run's asOf, the member's latest purchase or activity, or the latest change already
   * recorded for the member, whichever is later.
   * The caller holds the member's lock.
   */
  private async rebuild(tx: EntityManager, memberId: string, from: Date): Promise<Rebuilt> {
    const s = await this.settings(tx);
    const ladder = await this.ladder(tx);
    const h = await this.historyFrom(tx, s, ladder, memberId, from);
    const { changes, state } = tierTimeline({ ladder, rules: s, start: h.start, from, facts: h.facts, overrides: h.overrides, horizon: h.horizon });
    const { kept, recorded } = await this.recordTimeline(tx, s, ladder, memberId, h.old, changes, state);
    const held = ladder[rankHeldAt(h.start, changes, from)];
    const at = changes.findIndex((c, i) => i >= kept && c.byPoints && c.occurredAt.getTime() === from.getTime());
    return {
      heldAt: { tierId: held.id, multiplier: held.multiplier },
      upgrade: at >= 0 ? recorded[at - kept] : null,
      rerate: await this.reratesFrom(tx, ladder, memberId, from, h.start, changes),
    };
  }

  /**
   * What a rebuild from `from` starts from: the state held just before `from`, the recorded
   * changes from `from` on, the qualifying points the reviews and upgrade checks from there
   * count, the overrides to keep, and the horizon reviews are recorded to.
   */
  private async historyFrom(tx: EntityManager, s: TierSettings, ladder: Rung[], memberId: string, from: Date) {
    const rung = (id: string) => ladder.find((t) => t.id === id)!;
    const [m] = (await tx.execute(
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
    )) as MemberTierRow[];
    withDates(m, ['since', 'expiresAt', 'joinedAt', 'prevExpiresAt', 'prevSince', 'horizon']);
    const old = ((await tx.execute(
      `select ${CHANGE_COLUMNS}, expires_at as "expiresAt" from tier_change tc
       where tc.member_id = ? and tc.superseded_at is null and tc.occurred_at >= ? order by tc.occurred_at, tc.id`,
      [memberId, from],
    )) as StoredChange[]).map((c) => withDates(changeRow(c) as StoredChange, ['expiresAt']));
    // The state held just before `from`: the last change before it; with none, the tier the first
    // later change started from; with no history at all, the member row (data loaded around the app).
    const start: TierState = m.prevTierId
      ? { rank: rung(m.prevTierId).rank, since: m.prevSince ?? m.joinedAt, expiresAt: m.prevExpiresAt }
      : old.length ? { rank: old[0].fromTierId ? rung(old[0].fromTierId).rank : 0, since: m.joinedAt, expiresAt: null }
        : { rank: rung(m.tierId).rank, since: m.since, expiresAt: m.expiresAt };
    const earliest = start.expiresAt && start.expiresAt < from ? start.expiresAt : from;
    const facts = ((await tx.execute(
      `select occurred_at as "occurredAt", coalesce(counts_from, occurred_at) as "countsFrom", points from qualifying_entry
       where member_id = ? and occurred_at > ?`,
      [memberId, addMonthsUtc(earliest, -s.windowMonths)],
    )) as QualifyingFact[]).map((f) => withDates(f, ['occurredAt', 'countsFrom']));
    const overrides: TierOverride[] = old.filter((c) => c.reason.startsWith(OVERRIDE_PREFIX))
      .map((c) => ({ at: c.occurredAt, toRank: rung(c.toTierId).rank, expiresAt: c.expiresAt, reason: c.reason }));
    // Never short of what is recorded: a run as of a future date recorded reviews at instants still
    // ahead (its tier_reviewed_through stops at the moment it ran). A rebuild decides those reviews
    // again on the facts; dropping them would put the member back on the tier they took away, and
    // no change would say so (the downgrade was pushed, its undoing would not be).
    const horizon = new Date(Math.max(m.horizon.getTime(), ...old.map((c) => c.occurredAt.getTime())));
    return { start, old, facts, overrides, horizon };
  }

  /**
   * Writes a rebuilt history over the recorded one: the changes both share (same decision at
   * the same instant) are kept, their Q brought up to date in place; from the first that differs,
   * the recorded ones are superseded and the new ones recorded (and published), and the member
   * row is set to where the history ends.
   */
  private async recordTimeline(
    tx: EntityManager, s: TierSettings, ladder: Rung[], memberId: string, old: StoredChange[], changes: TimelineChange[], state: TierState,
  ): Promise<{ kept: number; recorded: TierChangeRow[] }> {
    const idOf = (rank: number) => ladder[rank].id;
    const same = (o: StoredChange, n: TimelineChange) => o.kind === n.kind && o.toTierId === idOf(n.toRank)
      && (o.fromTierId ?? idOf(0)) === idOf(n.fromRank) && o.reason === n.reason
      && o.occurredAt.getTime() === n.occurredAt.getTime() && (o.expiresAt?.getTime() ?? null) === (n.expiresAt?.getTime() ?? null);
    let kept = 0;
    while (kept < old.length && kept < changes.length && same(old[kept], changes[kept])) kept++;
    const requalified = old.slice(0, kept).flatMap((o, i) => (o.qualifyingPoints === changes[i].qualifyingPoints ? [] : [{ id: o.id, q: changes[i].qualifyingPoints }]));
    if (requalified.length) {
      await tx.execute(
        'update tier_change c set qualifying_points = v.q from jsonb_to_recordset(?::jsonb) as v(id bigint, q int) where c.id = v.id',
        [JSON.stringify(requalified)],
      );
    }
    if (kept === old.length && kept === changes.length) return { kept, recorded: [] };
    if (kept < old.length) {
      // Superseding a change moves it in the feed to this transaction's place (its xact_id), marked:
      // a client that read it before reads it again, superseded, just before what replaces it.
      await tx.execute(
        'update tier_change set superseded_at = now(), xact_id = pg_current_xact_id() where id = any(?::bigint[])',
        [pgArray(old.slice(kept).map((c) => c.id))],
      );
    }
    const recorded = await this.recordChanges(tx, changes.slice(kept).map((c) => ({
      memberId, kind: c.kind, fromTierId: idOf(c.fromRank), toTierId: idOf(c.toRank), reason: c.reason,
      qualifyingPoints: c.qualifyingPoints, occurredAt: c.occurredAt, expiresAt: c.expiresAt,
    })));
    await this.setTier(tx, s, memberId, idOf(state.rank), state.since, state.expiresAt);
    return { kept, recorded };
  }

  /** Purchases from `from` on (the one being written is not stored yet) that earned at another tier than the one the history now holds then. */
  private async reratesFrom(tx: EntityManager, ladder: Rung[], memberId: string, from: Date, start: TierState, changes: TimelineChange[]): Promise<Rerate[]> {
    const bought = ((await tx.execute(
      'select order_id as "orderId", occurred_at as "occurredAt", earned_tier_id as "tierId" from purchase where member_id = ? and occurred_at >= ?',
      [memberId, from],
    )) as { orderId: string; occurredAt: Date; tierId: string | null }[]).map((p) => withDates(p, ['occurredAt']));
    return bought.flatMap((p) => {
      const held = ladder[rankHeldAt(start, changes, p.occurredAt)];
      return held.id === p.tierId ? [] : [{ orderId: p.orderId, occurredAt: p.occurredAt, tierId: held.id, tierMultiplier: held.multiplier }];
    });
  }

  private async qualifyingBetween(em: EntityManager, memberId: string, fromExclusive: Date, toInclusive: Date): Promise<number> {
    const [row] = await em.execute(
      `select coalesce(sum(points), 0)::int as q from qualifying_entry
       where member_id = ? and occurred_at > ? and occurred_at <= ? and coalesce(counts_from, occurred_at) <= ?`,
      [memberId, fromExclusive, toInclusive, toInclusive],
    );
    return Math.max(0, (row as { q: number }).q);
  }

  /**
   * Called in the transaction that added qualifying points at `at` (the member's account
   * is locked): moves the member up to the highest tier the window supports, skipping
   * tiers if need be.
   */
  async upgradeIfQualified(tx: EntityManager, memberId: string, at: Date): Promise<TierOutcome> {
    const s = await this.settings(tx);
    const q = await this.qualifyingBetween(tx, memberId, addMonthsUtc(at, -s.windowMonths), at);
    const [member] = (await tx.execute(
      'select m.tier_id as "tierId", t.rank from member m join tier t on t.id = m.tier_id where m.id = ?',
      [memberId],
    )) as { tierId: string; rank: number }[];
    const target = evaluateUpgrade(await this.ladder(tx), member.rank, q);
    if (!target) return { change: null, rerate: [] };
    const expiresAt = addMonthsUtc(at, s.validityMonths);
    await this.setTier(tx, s, memberId, target.id, at, expiresAt);
    const change = await this.recordChange(tx, { memberId, kind: 'UPGRADE', fromTierId: member.tierId, toTierId: target.id, reason: UPGRADE_REASON, qualifyingPoints: q, occurredAt: at, expiresAt });
    // Backdated by more than a validity period: a review run has already passed this expiry (as it
    // would have reviewed the member had the purchase come in time); review it now, as far.
    if (s.reviewedThrough && expiresAt <= s.reviewedThrough) return { change, rerate: (await this.rebuild(tx, memberId, expiresAt)).rerate };
    return { change, rerate: [] };
  }

  /**
   * Sets a member's tier, from `since` until `expiresAt`, and counts the member's window
   * counters for that expiry from the ledger (the caller holds the member row).
   */
  private async setTier(tx: EntityManager, s: TierSettings, memberId: string, tierId: string, since: Date, expiresAt: Date | null): Promise<void> {
    await tx.execute(
      `update member m set tier_id = ?, tier_since = ?, tier_expires_at = p.e, updated_at = now(),
         window_points = c.w, points_after_expiry = c.a, window_points_months = case when p.e is null then null else ${s.windowMonths} end
       from (select ?::timestamptz as e) p, lateral (
         select coalesce(sum(q.points) filter (where q.occurred_at <= p.e and coalesce(q.counts_from, q.occurred_at) <= p.e), 0)::int as w,
           coalesce(sum(q.points) filter (where q.occurred_at > p.e), 0)::int as a
         from qualifying_entry q where q.member_id = ?::uuid and q.occurred_at > ${minusMonths('p.e', String(s.windowMonths))}) c
       where m.id = ?`,
      [tierId, since, expiresAt, memberId, memberId],
    );
  }

  /**
   * Counts every member's window counters from the ledger, set-based, with qualifying writes
   * held off meanwhile (rows already right are left as they are). The writes that add
   * qualifying points keep them (addQualifying) and the tier changes count them anew; this is
   * for a ledger loaded around them (an import, the benchmark's seeding).
   */
  async recountWindows(): Promise<void> {
    await inTransaction(this.em, async (tx) => {
      const s = await this.settings(tx);
      await tx.execute('lock table qualifying_entry in share mode');
      await tx.execute(
        `update member m set window_points = c.w, points_after_expiry = c.a, last_qualifying_at = c.last,
           window_points_months = case when m.tier_expires_at is null then null else ${s.windowMonths} end
         from (
           select m2.id,
             coalesce(sum(q.points) filter (where q.occurred_at > ${minusMonths('m2.tier_expires_at', String(s.windowMonths))} and q.occurred_at <= m2.tier_expires_at
               and coalesce(q.counts_from, q.occurred_at) <= m2.tier_expires_at), 0)::int as w,
             coalesce(sum(q.points) filter (where q.occurred_at > m2.tier_expires_at), 0)::int as a, max(coalesce(q.counts_from, q.occurred_at)) as last
           from member m2 left join qualifying_entry q on q.member_id = m2.id group by m2.id
         ) c
         where c.id = m.id and (m.window_points, m.points_after_expiry, m.last_qualifying_at, m.window_points_months)
           is distinct from (c.w, c.a, c.last, case when m.tier_expires_at is null then null else ${s.windowMonths} end)`,
      );
    });
  }

  /**
   * The change and its outbox row in one statement (one round trip on the purchase path); NOTIFY
   * once committed. The outbox row carries the change itself (`changes`, as changesFromOutbox
   * reads it back), so a dispatcher delivers it without reading tier_change again.
   */
  private async recordChange(tx: EntityManager, c: Omit<TierChangeRow, 'id'> & { expiresAt: Date | null }): Promise<TierChangeRow> {
    const params = [c.memberId, c.kind, c.fromTierId, c.toTierId, c.reason, c.qualifyingPoints, c.occurredAt, c.expiresAt];
    const insert = `insert into tier_change (member_id, kind, from_tier_id, to_tier_id, reason, qualifying_points, occurred_at, expires_at, created_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, now()) returning ${CHANGE_COLUMNS}`;
    if (!tierEventsOutbox.enabled) return changeRow(((await tx.execute(insert, params)) as TierChangeRow[])[0]);
    const [row] = (await tx.execute(
      `with c as (${insert}), o as (
         insert into outbox (topic, member_id, payload, created_at)
         select '${TIER_CHANGED}', "memberId", jsonb_build_object('ids', jsonb_build_array(id), 'changes', jsonb_build_array(to_jsonb(c))), now()
         from c returning id::text
       ) select c.*, (select id from o) as "outboxId" from c`,
      params,
    )) as (TierChangeRow & { outboxId: string })[];
    const { outboxId, ...change } = row;
    notifyOutbox(tx, outboxId);
    return changeRow(change);
  }

  /** Several changes of one member, in this order (ids ascending), and one outbox row carrying them all. */
  private async recordChanges(tx: EntityManager, cs: (Omit<TierChangeRow, 'id'> & { expiresAt: Date | null })[]): Promise<TierChangeRow[]> {
    if (!cs.length) return [];
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
    if (!tierEventsOutbox.enabled) return byId((await tx.execute(insert, [values])) as TierChangeRow[]);
    const rows = (await tx.execute(
      `with c as (${insert}), o as (
         insert into outbox (topic, member_id, payload, created_at)
         select '${TIER_CHANGED}', min("memberId"::text)::uuid,
           jsonb_build_object('ids', jsonb_agg(id::bigint order by id::bigint), 'changes', jsonb_agg(to_jsonb(c) order by id::bigint)), now()
         from c returning id::text
       ) select c.*, (select id from o) as "outboxId" from c`,
      [values],
    )) as (TierChangeRow & { outboxId: string })[];
    notifyOutbox(tx, rows[0].outboxId);
    return byId(rows.map(({ outboxId: _, ...change }) => change));
  }

  /**
   * Reviews every member whose tier expired at or before asOf, each at its own expiry
   * instant E with Q = qualifying points in (E − window, E]: renewed when Q ≥ retainPoints,
   * else downgraded (DROP_ONE: one rank; RECALCULATE: the highest tier whose retainPoints ≤ Q).
   *
   * Set-based, in the member table's physical order: a pass walks its pages in ranges (about
   * a batch of members each), and reviews the members due in a range in batches, each batch
   * one transaction and one statement: read the next due members of the range, decide,
   * update and record them. In that order each page of the table is read and written once a
   * pass, not once per batch as in id order (a batch's ids are spread over the whole table).
   * The update waits for a member a points write holds (every points write of a member locks
   * its row: `lockAccount`) and leaves a member whose row a write changed since the statement
   * read it: still due, decided again by the next pass on what the write left. The pace follows the database
   * (`reviewPace`): while nothing else works on it, two batches at once and no pause; while
   * anything does (purchases), one batch at a time, smaller, pausing after each. A member
   * several periods late is reviewed period by period (one period per pass), and so is one
   * a write changed: the next pass takes them, until a pass has nothing left to do (or
   * MAX_IDLE_PASSES passes in a row review no one: members that writes change faster than
   * a pass reads them wait for the next run).
   */
  async review(asOf: Date, batchSize?: number): Promise<{ processed: number; changed: number; batches: { idle: number; busy: number } }> {
    // processed counts members: one reviewed again in a later pass (several periods late) was
    // still due after its earlier review, and is counted once.
    let reviews = 0;
    let repeats = 0;
    let changed = 0;
    const batches = { idle: 0, busy: 0 };
    const ownPids = new Set<number>();
    const probe = new ForegroundProbe(this.em, () => ownPids);
    const pace = async () => reviewPace[(await probe.busy()) ? 'busy' : 'idle'];
    let running = 0;
    /** A turn to run one batch, at the pace of the moment: waits while as many batches run as that pace allows. */
    const turn = async () => {
      for (;;) {
        const mode = (await probe.busy()) ? 'busy' : 'idle';
        if (running < reviewPace[mode].lanes) {
          running++;
          batches[mode]++;
          return reviewPace[mode];
        }
        await sleep(WAIT_FOR_LANE_MS);
      }
    };
    const lanes = Math.max(reviewPace.idle.lanes, reviewPace.busy.lanes);
    // From now on every member's history is recorded through asOf: a write that brings a member up
    // to date (prepare) reviews it that far, as this run does for everyone. A run as of a future
    // date counts up to now: it reviews the members it finds into the future, but facts that
    // arrive later are not taken as reviewed beyond the instant the run was made.
    await this.em.execute(
      `update program set tier_reviewed_through = least(?::timestamptz, now()) where id = 1
         and tier_reviewed_through is distinct from greatest(tier_reviewed_through, least(?::timestamptz, now()))`,
      [asOf, asOf],
    );
    let idlePasses = 0;
    for (;;) {
      const heap = await this.memberHeap();
      let nextPage = 0;
      let again = false;
      let reviewed = 0;
      const nextRange = async () => {
        if (nextPage >= heap.pages) return null;
        const pages = Math.max(1, Math.ceil((batchSize ?? (await pace()).batch) / heap.perPage));
        const range = { first: tid(nextPage, 0), end: tid(nextPage + pages, 0) };
        nextPage += pages;
        return range;
      };
      await drainInLanes(lanes, nextRange, async (range) => {
        // Batches of at most a batch of due members each, through the range in row order.
        for (let from = range.first; ;) {
          const p = await turn();
          let r: BatchOutcome;
          try {
            const started = Date.now();
            r = await this.reviewBatch({ ...range, from, limit: batchSize ?? p.batch }, asOf, ownPids);
            // Yield a share of the time the batch took (as vacuum_cost_delay does for vacuum):
            // purchases running alongside keep their latency.
            if (p.pause > 0) await sleep((Date.now() - started) * p.pause);
          } finally {
            running--;
          }
          reviews += r.reviewed;
          reviewed += r.reviewed;
          repeats += r.stillDue;
          changed += r.downgraded;
          if (r.stillDue > 0 || r.leftDue > 0) again = true;
          if (r.after == null) return;
          from = r.after;
        }
      });
      if (!again) break;
      idlePasses = reviewed === 0 ? idlePasses + 1 : 0;
      if (idlePasses >= MAX_IDLE_PASSES) break;
    }
    await this.compactMemberCounts();
    return { processed: reviews - repeats, changed, batches };
  }

  /** The member table's size in pages and its rows per page (from the planner's statistics; a guess before any). */
  private async memberHeap(): Promise<{ pages: number; perPage: number }> {
    const [h] = (await this.em.execute(
      `select (pg_relation_size('member') / current_setting('block_size')::int)::int as pages, c.reltuples::float8 as tuples, c.relpages as relpages
       from pg_class c where c.oid = 'member'::regclass`,
    )) as { pages: number; tuples: number; relpages: number }[];
    return { pages: h.pages, perPage: h.tuples > 0 && h.relpages > 0 ? h.tuples / h.relpages : ROWS_PER_PAGE_GUESS };
  }

  /** One review batch, in one transaction. */
  private async reviewBatch(batch: ReviewBatch, asOf: Date, ownPids: Set<number>): Promise<BatchOutcome> {
    // The batch's connection is the review's own from before its BEGIN until its transaction has
    // ended (its COMMIT included): a probe looking at any moment in between must not take it for
    // foreground work. So its pid is counted before BEGIN, from the connection's start-up (asking
    // the server for it takes a statement, during which a probe would see it busy).
    const pids: number[] = [];
    try {
      return await inSqlTransaction(this.em, (tx) => this.reviewBatchOn(tx, batch, asOf), {
        beforeBegin: (connection) => {
          if (connection.processID == null) throw new Error('the connection does not know its backend pid');
          pids.push(connection.processID);
          ownPids.add(connection.processID);
        },
      });
    } finally {
      for (const pid of pids) ownPids.delete(pid);
    }
  }

  private async reviewBatchOn(tx: EntityManager, b: ReviewBatch, asOf: Date): Promise<BatchOutcome> {
    const s = await this.settings(tx);
    // The batch's statement holds its members' rows in memory a few times over (decisions, the
    // changes it wrote): ~10 MB at 20,000 members, over the default work_mem, which spilled them
    // to temporary files.
    await tx.execute(`set local work_mem = '${REVIEW_WORK_MEM}'`);
    // One statement: the next due members of the range in row order (at most `limit`), decided
    // on what this statement's snapshot shows of them, updated where their row is still the
    // version it read, recorded. A member a points write holds is waited for (the update's row
    // lock); a member a write changed since the snapshot (its qualifying points, its tier) is
    // left as it was, still due: the next pass decides on what the write left.
    const [r] = (await tx.execute(reviewSql(s, tierEventsOutbox.enabled), [b.from, b.end, asOf, b.limit, asOf])) as (Omit<BatchOutcome, 'leftDue' | 'after'> & { selected: number; last: string | null; outboxId: string | null })[];
    // From the batch's own connection, which the review's pace leaves out (notifyFromConnectionAfterCommit).
    if (r.outboxId) notifyFromConnectionAfterCommit(tx, OUTBOX_CHANNEL, r.outboxId);
    const after = r.selected < b.limit ? null : nextTid(r.last!);
    const leftDue = r.selected - r.reviewed;
    return { reviewed: r.reviewed, downgraded: r.downgraded, stillDue: r.stillDue, leftDue, after };
  }

  /** Folds the per-statement rows behind Tier.memberCount into one row per tier. */
  async compactMemberCounts(): Promise<void> {
    await this.em.execute(`with folded as (delete from tier_member_delta returning tier_id, delta)
      insert into tier_member_delta (tier_id, delta) select tier_id, sum(delta) from folded group by tier_id`);
  }

  /**
   * At-risk notices: a member whose tier expires within tierNoticeDays after asOf and who
   * still needs points to keep it gets one notice for that expiry.
   */
  async sendNotices(asOf: Date): Promise<{ processed: number; changed: number }> {
    return inTransaction(this.em, async (tx) => {
      const s = await this.settings(tx);
      const rows = (await tx.execute(
        `with candidates as (
           select m.id as member_id, m.tier_id, m.tier_expires_at, t.retain_points
           from member m join tier t on t.id = m.tier_id
           where m.tier_expires_at > ?::timestamptz and m.tier_expires_at <= ?::timestamptz and t.rank > 0
         ), kept as (
           select c.*, coalesce((select sum(q.points) from qualifying_entry q where q.member_id = c.member_id
             and q.occurred_at > ${minusMonths('c.tier_expires_at', '?::int')} and q.occurred_at <= ?::timestamptz
             and coalesce(q.counts_from, q.occurred_at) <= ?::timestamptz), 0) as q
           from candidates c
         ), ins as (
           insert into tier_notice (member_id, tier_id, tier_expires_at, points_to_retain, noticed_at)
           select member_id, tier_id, tier_expires_at, retain_points - q, ?::timestamptz from kept where q < retain_points
           on conflict do nothing
           returning id::text, member_id as "memberId"
         )
         select (select count(*) from candidates)::int as processed, id, "memberId" from ins
         union all select (select count(*) from candidates)::int, null, null where not exists (select 1 from ins)`,
        [asOf, addDaysUtc(asOf, s.noticeDays), s.windowMonths, asOf, asOf, asOf],
      )) as { processed: number; id: string | null; memberId: string | null }[];
      const notices = rows.filter((r) => r.id != null) as { id: string; memberId: string }[];
      await publish(tx, TIER_NOTICE, notices);
      return { processed: rows[0]?.processed ?? 0, changed: notices.length };
    });
  }

  /** Admin override: sets the tier now, until `expiresAt` (default: one validity period), then reviewed as usual. */
  async setMemberTier(actor: Actor, memberId: string, tierCode: string, reason: string, expiresAt?: Date | null, now = new Date()): Promise<TierChangeRow | null> {
    if (!isUuid(memberId)) throw notFound('Member', memberId);
    if (!reason.trim()) throw badInput('reason', 'reason is required');
    return inTransaction(this.em, async (tx) => {
      if (!(await lockAccount(tx, memberId))) throw notFound('Member', memberId);
      // The history up to date first: a tier that expired before now is reviewed before it is overridden.
      await this.prepare(tx, memberId, now);
      const [tier] = (await tx.execute('select id, rank from tier where code = ?', [tierCode])) as { id: string; rank: number }[];
      if (!tier) throw notFound('Tier', tierCode);
      const [m] = (await tx.execute(
        `select m.tier_id as "tierId", t.rank, m.tier_expires_at as "expiresAt" from member m join tier t on t.id = m.tier_id where m.id = ?`,
        [memberId],
      )) as { tierId: string; rank: number; expiresAt: string | null }[];
      const s = await this.settings(tx);
      const until = tier.rank === 0 ? null : (expiresAt ?? addMonthsUtc(now, s.validityMonths));
      if (until && until <= now) throw badInput('expiresAt', 'expiresAt must be in the future');
      const q = await this.qualifyingBetween(tx, memberId, addMonthsUtc(now, -s.windowMonths), now);
      await this.setTier(tx, s, memberId, tier.id, now, until);
      const kind: TierChangeKind = tier.rank > m.rank ? 'UPGRADE' : tier.rank < m.rank ? 'DOWNGRADE' : 'RENEWAL';
      const change = await this.recordChange(tx, {
        memberId, kind, fromTierId: m.tierId, toTierId: tier.id, reason: `override: ${reason}`, qualifyingPoints: q, occurredAt: now, expiresAt: until,
      });
      this.audit.record(tx, actor, {
        action: 'member.setTier', entity: 'Member', entityId: memberId,
        before: { tierId: m.tierId, tierExpiresAt: m.expiresAt }, after: { tierId: tier.id, tierExpiresAt: until?.toISOString() ?? null, reason },
      });
      await tx.flush();
      return change;
    });
  }

  // ---- reads ------------------------------------------------------------------------

  async progress(memberIds: readonly string[], now = new Date()): Promise<Map<string, TierProgressRow>> {
    const s = await this.settings(this.em);
    const ladder = await this.ladder(this.em);
    const rows = (await this.em.execute(
      `select m.id, m.tier_id as "tierId", m.tier_expires_at as "expiresAt",
         coalesce(sum(q.points) filter (where q.occurred_at > ${minusMonths('?::timestamptz', '?::int')}), 0)::int as "qNow",
         coalesce(sum(q.points) filter (where m.tier_expires_at is not null and q.occurred_at > ${minusMonths('m.tier_expires_at', '?::int')}), 0)::int as "qKept"
       from member m left join qualifying_entry q on q.member_id = m.id and q.occurred_at <= ?::timestamptz
         and coalesce(q.counts_from, q.occurred_at) <= ?::timestamptz
       where m.id in (?) group by m.id`,
      [now, s.windowMonths, s.windowMonths, now, now, memberIds as string[]],
    )) as { id: string; tierId: string; expiresAt: string | null; qNow: number; qKept: number }[];
    const out = new Map<string, TierProgressRow>();
    for (const r of rows) {
      const current = ladder.find((t) => t.id === r.tierId)!;
      const next = ladder.find((t) => t.rank === current.rank + 1) ?? null;
      const q = Math.max(0, r.qNow);
      out.set(r.id, {
        qualifyingPoints: q,
        nextTierId: next?.id ?? null,
        pointsToNextTier: next ? Math.max(0, next.qualifyingPoints - q) : null,
        // What must still be earned by tierExpiresAt: points already in the window at E count.
        pointsToRetain: current.rank === 0 || r.expiresAt == null ? 0 : Math.max(0, current.retainPoints - Math.max(0, r.qKept)),
      });
    }
    return out;
  }

  async history(memberIds: readonly string[]): Promise<Map<string, TierChangeRow[]>> {
    const rows = ((await this.em.execute(
      `select ${CHANGE_COLUMNS} from tier_change tc where tc.member_id in (?) and tc.superseded_at is null order by tc.occurred_at, tc.id`,
      [memberIds as string[]],
    )) as TierChangeRow[]).map(changeRow);
    const out = new Map<string, TierChangeRow[]>();
    for (const r of rows) out.set(r.memberId, [...(out.get(r.memberId) ?? []), r]);
    return out;
  }

  /** For clients that were offline: changes since an instant and/or after a change (by id), oldest first. */
  async changes(q: { memberId: string | null; since: Date | null; after: string | null; first: number }): Promise<TierChangeRow[]> {
    const page = keyset('tc.id', 'asc', q.after);
    return ((await this.em.execute(
      `select ${CHANGE_COLUMNS} from tier_change tc
       where (?::uuid is null or tc.member_id = ?::uuid) and (?::timestamptz is null or tc.created_at > ?::timestamptz) and ${page.where}
       ${page.orderBy} limit ?`,
      [q.memberId, q.memberId, q.since, q.since, ...page.params, q.first],
    )) as TierChangeRow[]).map(changeRow);
  }

  /** Changes by id; with `members`, only theirs (none when empty). */
  async changesByIds(ids: string[], members: string[] | null = null): Promise<TierChangeRow[]> {
    if (!ids.length || members?.length === 0) return [];
    return ((await this.em.execute(
      `select ${CHANGE_COLUMNS} from tier_change tc where tc.id = any(?::bigint[]) and (?::uuid[] is null or tc.member_id = any(?::uuid[])) order by tc.id`,
      [pgArray(ids), members && pgArray(members), members && pgArray(members)],
    )) as TierChangeRow[]).map(changeRow);
  }

  /** Notices by id; with `members`, only theirs (none when empty). */
  async noticesByIds(ids: string[], members: string[] | null = null): Promise<TierNoticeRow[]> {
    if (!ids.length || members?.length === 0) return [];
    return ((await this.em.execute(
      `select n.id::text, n.member_id as "memberId", n.tier_id as "tierId", n.tier_expires_at as "tierExpiresAt",
         n.points_to_retain as "pointsToRetain", n.noticed_at as "noticedAt" from tier_notice n
       where n.id = any(?::bigint[]) and (?::uuid[] is null or n.member_id = any(?::uuid[])) order by n.id`,
      [pgArray(ids), members && pgArray(members), members && pgArray(members)],
    )) as TierNoticeRow[]).map((r) => withDates(r, ['tierExpiresAt', 'noticedAt']));
  }

  async notices(memberId: string): Promise<TierNoticeRow[]> {
    const rows = (await this.em.execute('select n.id::text from tier_notice n where n.member_id = ? order by n.id', [memberId])) as { id: string }[];
    return this.noticesByIds(rows.map((r) => r.id));
  }
}

/**
 * Whether tier events go to the outbox (the default). TIER_EVENTS=off turns it off for an
 * instance that writes without anyone listening (a bulk import); its changes are still in
 * tier_change and replayable through tierChanges, but they are not pushed. The tiers
 * benchmark uses it to measure what the outbox and NOTIFY cost a purchase.
 */
export const tierEventsOutbox = { enabled: true };

/**
 * How fast the review goes, by what else the database is doing (ForegroundProbe).
 *
 * Idle: two batches at once (a review is CPU-bound, one connection per core) of 20,000
 * members, no pause. A purchase that arrives then may wait for one batch (~0.5 s on the
 * benchmark box) before the review slows down.
 *
 * Busy: one batch at a time of 5,000, pausing after each for a quarter of the time it took.
 * Measured in the tiers benchmark with 16 connections of purchases alongside: two connections
 * took purchases' p99 from 149 ms to 769 ms (5.2×; the issue allows 2×); one connection with
 * 10,000 a batch, 2.49× (a batch holds its members' locks until it commits, and a
 * purchase for one of them waits that long); 2,000 a batch and no pause, 2.07×; 5,000 and the
 * pause, 1.4–1.8×.
 */
export const reviewPace = {
  idle: { lanes: 2, batch: 20_000, pause: 0 },
  busy: { lanes: 1, batch: 5_000, pause: 0.25 },
};

/** A lane that may not run (the database is busy and the other lane is working) looks again after this. */
const WAIT_FOR_LANE_MS = 100;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Writes the outbox row for these events in the writing transaction (so a rolled-back change
 * is never published) and NOTIFYs its id once committed.
 */
async function publish(tx: EntityManager, topic: string, events: { memberId: string; id: string }[]): Promise<void> {
  if (!events.length || !tierEventsOutbox.enabled) return;
  // One outbox row per transaction, whatever the number of events (a notices run writes one, not thousands;
  // a review batch writes its own in its statement, the same shape).
  const [row] = (await tx.execute(
    'insert into outbox (topic, member_id, payload, created_at) values (?, ?::uuid, ?::jsonb, now()) returning id::text',
    [topic, events.length === 1 ? events[0].memberId : null, JSON.stringify({ ids: events.map((e) => e.id) })],
  )) as { id: string }[];
  notifyOutbox(tx, row.id);
}

/** Its id to every instance's dispatcher once committed (coalesced with others': notifyAfterCommit). */
function notifyOutbox(tx: EntityManager, outboxId: string): void {
  notifyAfterCommit(tx, OUTBOX_CHANNEL, outboxId);
}

/**
 * One review batch, as one statement: decide, update members, write tier_change rows.
 * Renewal keeps tierSince; a downgrade starts at E; the entry tier never expires.
 *
 * Q at E comes from the member's window counters (kept by every qualifying write: addQualifying)
 * when they were counted with the program's window, else from the ledger. The counters for the
 * new expiry E' = E + validity: when the new window (E' − window, E'] is exactly the time after
 * E (validity = window, no month-end clamping) and no qualifying points are dated after E',
 * they are the points dated after E, carried over; else counted from the ledger. The batch's
 * outbox row lists its change ids as JSON numbers (as strings, building it cost ~4% of the
 * statement).
 */
function reviewSql(s: TierSettings, outbox: boolean): string {
  const w = String(s.windowMonths);
  // (E + validity − window, E + validity] = (E, E + validity] when validity = window and E's day
  // of the month is in every month (no clamping at a month's end; later days go to the ledger).
  const carries = s.validityMonths === s.windowMonths ? `extract(day from d.e at time zone 'UTC') <= 28` : 'false';
  const newRank = s.policy === 'DROP_ONE'
    ? 'case when d.q >= d.retain_points then d.rank else d.rank - 1 end'
    : `case when d.q >= d.retain_points then d.rank
        else coalesce((select max(t2.rank) from tier t2 where t2.retain_points <= d.q and t2.rank <= d.rank), 0) end`;
  // Points dated in (after, upTo] that count by upTo (a refund's reversal counts from its own instant).
  const ledger = (member: string, after: string, upTo: string | null) => `coalesce((select sum(q.points) from qualifying_entry q
    where q.member_id = ${member} and q.occurred_at > ${after}${upTo ? ` and q.occurred_at <= ${upTo} and coalesce(q.counts_from, q.occurred_at) <= ${upTo}` : ''}), 0)`;
  return `
with due as materialized ( -- the range's next due members in row order: a scan of its pages, not a probe per member
  select m.ctid as row, m.xmin as version, m.id as member_id, m.tier_id, t.rank, t.retain_points, m.tier_expires_at as e,
    m.window_points, m.points_after_expiry, m.window_points_months, m.last_qualifying_at
  from member m join tier t on t.id = m.tier_id
  where m.ctid >= ?::tid and m.ctid < ?::tid and m.tier_expires_at <= ?::timestamptz and t.rank > 0
  order by m.ctid limit ?
), d as materialized ( -- once per member: inlined, Q was worked out again for every candidate tier
  select due.*, greatest(case when due.window_points_months = ${w} then due.window_points
      else ${ledger('due.member_id', minusMonths('due.e', w), 'due.e')} end, 0)::int as q,
    ${plusMonths('due.e', String(s.validityMonths))} as next_e
  from due
), decided as (
  select d.*, nt.id as new_tier_id, nt.rank as new_rank,
    case when nt.rank = d.rank then 'RENEWAL' else 'DOWNGRADE' end as kind,
    d.window_points_months = ${w} and ${carries} and (d.last_qualifying_at is null or d.last_qualifying_at <= d.next_e) as carried
  from d join tier nt on nt.rank = ${newRank}
), upd as (
  update member m set tier_id = x.new_tier_id,
    tier_since = case when x.kind = 'RENEWAL' then m.tier_since else x.e end,
    tier_expires_at = case when x.new_rank = 0 then null else x.next_e end,
    window_points = case when x.new_rank = 0 then 0 when x.carried then x.points_after_expiry
      else ${ledger('x.member_id', minusMonths('x.next_e', w), 'x.next_e')} end,
    points_after_expiry = case when x.new_rank = 0 or x.carried then 0 else ${ledger('x.member_id', 'x.next_e', null)} end,
    window_points_months = case when x.new_rank = 0 then null else ${w} end,
    updated_at = now()
  -- The row as the statement read it, or none: a row a concurrent write changed meanwhile has
  -- another version (xmin) and stays due. (PostgreSQL 15 and 17 also recheck the TID after
  -- waiting for the write; the xmin condition does not depend on how the plan finds the row.)
  from decided x where m.ctid = x.row and m.xmin = x.version
  returning x.member_id, x.kind, x.tier_id, x.new_tier_id, x.new_rank, x.q, x.e, x.next_e
), ins as (
  insert into tier_change (member_id, kind, from_tier_id, to_tier_id, reason, qualifying_points, occurred_at, expires_at, created_at)
  select member_id, kind, tier_id, new_tier_id,
    case when kind = 'RENEWAL' then 'retained at review' else 'review: below retain points' end,
    q, e, case when new_rank = 0 then null else next_e end, now()
  from upd
  order by member_id -- the index on (member_id, occurred_at) then grows in order, not at random places
  returning id, member_id, kind, expires_at
)${outbox ? `, o as ( -- one outbox row for the batch's changes, whatever their number
  insert into outbox (topic, member_id, payload, created_at)
  select '${TIER_CHANGED}', case when count(*) = 1 then min(member_id::text)::uuid end, jsonb_build_object('ids', to_jsonb(array_agg(id))), now()
  from ins having count(*) > 0
  returning id::text
)` : ''}
select count(*)::int as reviewed, (count(*) filter (where kind = 'DOWNGRADE'))::int as downgraded,
  (count(*) filter (where expires_at <= ?::timestamptz))::int as "stillDue", ${outbox ? '(select id from o)' : 'null'} as "outboxId",
  (select count(*)::int from due) as selected, (select max(row)::text from due) as last
from ins`;
}

/** What a review batch did: members reviewed, downgraded, still due after it (several periods late), and left to a write. */
interface BatchOutcome {
  reviewed: number;
  downgraded: number;
  stillDue: number;
  /** Members the batch read as due and left as they were: a write changed them meanwhile. */
  leftDue: number;
  /** Where the range goes on (the batch took as many members as it could), or null: the range is done. */
  after: string | null;
}

/** A batch: from `from` to the end of its range (pages `first` up to `end`), at most `limit` due members. */
interface ReviewBatch { first: string; end: string; from: string; limit: number }

/** Memory for a review batch's statement (see reviewBatchOn). */
const REVIEW_WORK_MEM = '64MB';

/** Rows per page of the member table before the planner has counted them (a guess: it only sizes the ranges). */
const ROWS_PER_PAGE_GUESS = 30;
/** Passes in a row that review no one before a review stops (see review). */
const MAX_IDLE_PASSES = 3;

const tid = (page: number, item: number) => `(${page},${item})`;
/** The row position just after a tid's: its line pointer numbers start at 1 on every page. */
function nextTid(t: string): string {
  const [page, item] = t.slice(1, -1).split(',').map(Number);
  return tid(page, item + 1);
}

