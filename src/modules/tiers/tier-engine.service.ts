import type { EntityManager } from '@mikro-orm/postgresql';
import { assertReason, badInput, notFound } from '../../common/errors';
import { addMonthsUtc, addDaysUtc } from '../../common/time.rules';
import { PacedLanes, type Paces } from '../../db/foreground';
import { lockAccount } from '../../db/locks';
import { memberWrites } from '../../db/member-queue';
import { inSqlTransaction, inTransaction } from '../../db/transaction';
import { notifyOutbox, notifyOutboxFromConnection, publishEvents } from '../../events/outbox';
import type { Actor } from '../actor';
import { AuditService } from '../audit/audit.service';
import { isUuid } from '../members/members.service';
import type { TierChangeKind } from './tier-change.entities';
import { TIER_CHANGED, TIER_NOTICE } from './tier.events';
import * as reviews from './tier-review.repository';
import { programmeSettings } from '../program/program.service';
import * as repo from './tiers.repository';
import type { NewTierChange, Rung, StoredChange, TierChangeRow, TierNoticeRow, TierSettings } from './tiers.repository';
import {
  evaluateUpgrade, horizonOf, IMPORT_REASON, OVERRIDE_PREFIX, overrideChangesNothing, overridesIn, rankHeldAt, stateBefore, tierProgressOf, tierTimeline, UPGRADE_REASON,
  type QualifyingFact, type TierOverride, type TierProgressFigures, type TierState, type TimelineChange,
} from './tiers.rules';

export type { NewTierChange, TierChangeRow, TierNoticeRow } from './tiers.repository';

/** What an upgrade check at an instant records: the change (expiring a validity period later) and the member's new tier. */
export interface UpgradePlan { change: NewTierChange & { expiresAt: Date }; windowMonths: number }
/** The part of the configuration an upgrade check takes. */
export interface UpgradeRules { ladder: readonly Pick<Rung, 'id' | 'rank' | 'qualifyingPoints'>[]; windowMonths: number; validityMonths: number }

/** A member's tier progress (tiers.rules.ts tierProgressOf). */
export type TierProgressRow = TierProgressFigures;

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
/** What a rebuild starts from (historyFrom). */
interface History {
  start: TierState; old: StoredChange[]; facts: QualifyingFact[]; overrides: TierOverride[]; horizon: Date;
  /** No change is recorded before the rebuild's `from`: its first change may be the member's first tier (an import's). */
  noneBefore: boolean;
}

/** What the tier engine takes from the configuration (ServiceSettings). */
export interface TierEngineOptions {
  /**
   * Whether tier events go to the outbox (TIER_EVENTS, on by default). Off for an instance that
   * writes without anyone listening (a bulk import): its changes are still in tier_change and
   * replayable through tierChanges, but they are not pushed. The tiers benchmark uses it to
   * measure what the outbox and NOTIFY cost a purchase.
   */
  outbox: boolean;
  /** How fast the review goes, by what else the database is doing (DEFAULT_REVIEW_PACE). */
  reviewPace: Paces;
}

/**
 * How fast the review goes, by what else the database is doing (PacedLanes, ForegroundProbe).
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
export const DEFAULT_REVIEW_PACE: Readonly<Paces> = Object.freeze({
  idle: Object.freeze({ lanes: 2, batch: 20_000, pause: 0 }),
  busy: Object.freeze({ lanes: 1, batch: 5_000, pause: 0.25 }),
});

export const DEFAULT_TIER_ENGINE_OPTIONS: Readonly<TierEngineOptions> = Object.freeze({ outbox: true, reviewPace: DEFAULT_REVIEW_PACE });

/** What a review batch did: members reviewed, still due after it (several periods late), and left to a write. */
interface BatchOutcome {
  reviewed: number;
  stillDue: number;
  /** Members the batch read as due and left as they were: a write changed them meanwhile. */
  leftDue: number;
  /** Where the range goes on (the batch took as many members as it could), or null: the range is done. */
  after: string | null;
}

/** What a pass over the member table did; `again`: some members are still (or were left) due. */
interface PassOutcome { reviewed: number; stillDue: number; again: boolean }

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

/**
 * The tier engine: immediate upgrades inside the write that adds qualifying points,
 * set-based reviews at expiry, at-risk notices, admin overrides. Every change is a
 * tier_change row plus an outbox row in the same transaction; a NOTIFY sent once it has
 * committed (never on rollback) carries the outbox id to every instance.
 */
export class TierEngine {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    private readonly options: TierEngineOptions = DEFAULT_TIER_ENGINE_OPTIONS,
  ) {}

  /** The topic tier changes go to the outbox under, or null when they do not (options.outbox). */
  private get changesTopic(): string | null {
    return this.options.outbox ? TIER_CHANGED : null;
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
    const m = await repo.heldTier(tx, memberId, at);
    if (!m) throw notFound('Member', memberId);
    if (!m.stale) return { tierId: m.tierId, multiplier: m.multiplier, settled: false, upgrade: null, rerate: [] };
    const r = await this.rebuild(tx, memberId, at);
    return { ...r.heldAt, settled: true, upgrade: r.upgrade, rerate: r.rerate };
  }

  /**
   * The tier a member holds at `at` as the rules decide it, read only: the member row's, or,
   * when its history is not recorded that far (a review due by `at` that no run or write has
   * recorded yet), the one a rebuild from `at` would hold there (as `prepare` does, without
   * writing it). For reads that must agree with what a write at `at` decides: a member's
   * catalogue lists what its redemption would accept.
   */
  async heldTierAt(em: EntityManager, memberId: string, at: Date): Promise<string> {
    const m = await repo.heldTier(em, memberId, at);
    // No such member (a member token whose subject the programme does not hold): NOT_FOUND, as its writes answer.
    if (!m) throw notFound('Member', memberId);
    if (!m.stale) return m.tierId;
    const s = await programmeSettings(em);
    const ladder = await repo.ladder(em);
    const h = await this.historyFrom(em, s, ladder, memberId, at);
    const { changes } = tierTimeline({ ladder, rules: s, start: h.start, from: at, facts: h.facts, overrides: h.overrides, horizon: h.horizon });
    return ladder[rankHeldAt(h.start, changes, at)].id;
  }

  /**
   * After a refund dated `at` (its reversal counts from the millisecond after `at`,
   * reversalCountsFrom, in the window of its purchase): the recorded changes after `at` were
   * decided without it; rebuilt from `at` if there are any (those at `at` come out the same).
   */
  async afterRefund(tx: EntityManager, memberId: string, at: Date): Promise<Rerate[]> {
    return (await repo.hasChangeFrom(tx, memberId, at)) ? (await this.rebuild(tx, memberId, at)).rerate : [];
  }

  /** The next member queued for a rebuild of its history (tiers.repository nextQueuedRebuild), its queue row locked; null when none. */
  queuedRebuild(tx: EntityManager, passed: readonly string[] = []): Promise<{ memberId: string; from: Date } | null> {
    return repo.nextQueuedRebuild(tx, passed);
  }

  /**
   * Rebuilds a queued member's history from `from` (the caller holds the member's lock), as a
   * late fact there would, and takes it off the queue: the changes the rules now give are
   * recorded and pushed. Returns the purchases it moved to another tier, to earn again.
   */
  async rebuildQueued(tx: EntityManager, memberId: string, from: Date, rebuild = true): Promise<Rerate[]> {
    const rerate = rebuild ? (await this.rebuild(tx, memberId, from)).rerate : [];
    await repo.dropQueuedRebuild(tx, memberId);
    return rerate;
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
    const s = await programmeSettings(tx);
    const ladder = await repo.ladder(tx);
    const h = await this.historyFrom(tx, s, ladder, memberId, from);
    const { changes, state } = tierTimeline({ ladder, rules: s, start: h.start, from, facts: h.facts, overrides: h.overrides, horizon: h.horizon });
    const { kept, recorded } = await this.recordTimeline(tx, s, ladder, memberId, h.old, changes, state, h.noneBefore);
    const held = ladder[rankHeldAt(h.start, changes, from)];
    // The upgrade this write brought: its own at `from`, or, when it tips a later purchase's
    // window over a threshold, the last upgrade by points it records after `from` (the tier it
    // leaves the member in); what the purchase's result reports and a retry answers again.
    let at = -1;
    for (let i = kept; i < changes.length; i++) if (changes[i].byPoints && changes[i].occurredAt.getTime() >= from.getTime()) at = i;
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
  private async historyFrom(tx: EntityManager, s: TierSettings, ladder: Rung[], memberId: string, from: Date): Promise<History> {
    const m = await repo.memberTierBefore(tx, memberId, from);
    const old = await repo.currentChangesFrom(tx, memberId, from);
    const start = stateBefore(ladder, m, old);
    const earliest = start.expiresAt && start.expiresAt < from ? start.expiresAt : from;
    const facts = await repo.qualifyingFactsAfter(tx, memberId, addMonthsUtc(earliest, -s.windowMonths));
    return { start, old, facts, overrides: overridesIn(ladder, old), horizon: horizonOf(m, old), noneBefore: !m.prevTierId };
  }

  /**
   * Writes a rebuilt history over the recorded one: the changes both share (same decision at
   * the same instant) are kept, their Q brought up to date in place; from the first that differs,
   * the recorded ones are superseded and the new ones recorded (and published), and the member
   * row is set to where the history ends. An imported opening tier recorded anew as the member's
   * first change (`noneBefore`: none before the rebuild's `from`) keeps no tier before it.
   */
  private async recordTimeline(
    tx: EntityManager, s: TierSettings, ladder: Rung[], memberId: string, old: StoredChange[], changes: TimelineChange[], state: TierState, noneBefore: boolean,
  ): Promise<{ kept: number; recorded: TierChangeRow[] }> {
    const idOf = (rank: number) => ladder[rank].id;
    const fromOf = (c: TimelineChange, i: number) => (noneBefore && i === 0 && c.reason === IMPORT_REASON ? null : idOf(c.fromRank));
    const same = (o: StoredChange, n: TimelineChange) => o.kind === n.kind && o.toTierId === idOf(n.toRank)
      && (o.fromTierId ?? idOf(0)) === idOf(n.fromRank) && o.reason === n.reason
      && o.occurredAt.getTime() === n.occurredAt.getTime() && (o.expiresAt?.getTime() ?? null) === (n.expiresAt?.getTime() ?? null);
    let kept = 0;
    while (kept < old.length && kept < changes.length && same(old[kept], changes[kept])) kept++;
    const requalified = old.slice(0, kept).flatMap((o, i) => (o.qualifyingPoints === changes[i].qualifyingPoints ? [] : [{ id: o.id, q: changes[i].qualifyingPoints }]));
    if (requalified.length) await repo.setChangesQualifying(tx, requalified);
    if (kept === old.length && kept === changes.length) return { kept, recorded: [] };
    if (kept < old.length) await repo.supersedeChanges(tx, old.slice(kept).map((c) => c.id));
    const recorded = await this.recordChanges(tx, changes.slice(kept).map((c, j) => ({
      memberId, kind: c.kind, fromTierId: fromOf(c, kept + j), toTierId: idOf(c.toRank), reason: c.reason,
      qualifyingPoints: c.qualifyingPoints, occurredAt: c.occurredAt, expiresAt: c.expiresAt,
    })));
    await repo.setMemberTier(tx, s.windowMonths, memberId, idOf(state.rank), state.since, state.expiresAt);
    return { kept, recorded };
  }

  /** Purchases from `from` on (the one being written is not stored yet) that earned at another tier than the one the history now holds then. */
  private async reratesFrom(tx: EntityManager, ladder: Rung[], memberId: string, from: Date, start: TierState, changes: TimelineChange[]): Promise<Rerate[]> {
    const bought = await repo.purchasesFrom(tx, memberId, from);
    return bought.flatMap((p) => {
      const held = ladder[rankHeldAt(start, changes, p.occurredAt)];
      return held.id === p.tierId ? [] : [{ orderId: p.orderId, occurredAt: p.occurredAt, tierId: held.id, tierMultiplier: held.multiplier }];
    });
  }

  private async qualifyingBetween(em: EntityManager, memberId: string, fromExclusive: Date, toInclusive: Date): Promise<number> {
    return Math.max(0, await repo.qualifyingBetween(em, memberId, fromExclusive, toInclusive));
  }

  /**
   * Called in the transaction that added qualifying points at `at` (the member's account
   * is locked): moves the member up to the highest tier the window supports, skipping
   * tiers if need be.
   */
  async upgradeIfQualified(tx: EntityManager, memberId: string, at: Date): Promise<TierOutcome> {
    const s = await programmeSettings(tx);
    const q = await this.qualifyingBetween(tx, memberId, addMonthsUtc(at, -s.windowMonths), at);
    const member = await repo.memberTier(tx, memberId);
    const plan = this.planUpgrade({ ...s, ladder: await repo.ladder(tx) }, memberId, member.tierId, q, at);
    if (!plan) return { change: null, rerate: [] };
    await repo.setMemberTier(tx, s.windowMonths, memberId, plan.change.toTierId, at, plan.change.expiresAt);
    const change = await this.recordChange(tx, plan.change);
    // Backdated by more than a validity period: a review run has already passed this expiry (as it
    // would have reviewed the member had the purchase come in time); review it now, as far.
    if (this.reachesReview(plan, s.reviewedThrough)) return { change, rerate: (await this.rebuild(tx, memberId, plan.change.expiresAt)).rerate };
    return { change, rerate: [] };
  }

  /**
   * The upgrade check at `at` for a member on `tierId` with `q` qualifying points in the window
   * ending there (never below 0): the highest tier the window supports, skipping tiers if need
   * be, held for a validity period; null when the member stays. Decides only: the caller records
   * it (upgradeIfQualified, or a purchase's own statement on its fast path).
   */
  planUpgrade(rules: UpgradeRules, memberId: string, tierId: string, q: number, at: Date): UpgradePlan | null {
    const current = rules.ladder.find((t) => t.id === tierId);
    if (!current) throw new Error(`tier ${tierId} is not in the ladder`);
    const counted = Math.max(0, q);
    const target = evaluateUpgrade([...rules.ladder], current.rank, counted);
    if (!target) return null;
    return {
      change: {
        memberId, kind: 'UPGRADE', fromTierId: tierId, toTierId: target.id, reason: UPGRADE_REASON, qualifyingPoints: counted,
        occurredAt: at, expiresAt: addMonthsUtc(at, rules.validityMonths),
      },
      windowMonths: rules.windowMonths,
    };
  }

  /** Whether an upgrade expires at or before the latest review run's asOf: that run has passed its review, which the member's history then needs (a rebuild). */
  reachesReview(plan: UpgradePlan, reviewedThrough: Date | null): boolean {
    return reviewedThrough != null && plan.change.expiresAt <= reviewedThrough;
  }

  /** The topic tier changes go to the outbox under, or null when they do not (options.outbox). */
  get outboxTopic(): string | null {
    return this.changesTopic;
  }

  /**
   * Counts every member's window counters from the ledger, set-based, with qualifying writes
   * held off meanwhile (rows already right are left as they are). The writes that add
   * qualifying points keep them (addQualifying) and the tier changes count them anew; this is
   * for a ledger loaded around them (an import, the benchmark's seeding).
   */
  async recountWindows(): Promise<void> {
    await inTransaction(this.em, async (tx) => {
      const s = await programmeSettings(tx);
      await reviews.recountWindowCounters(tx, s.windowMonths);
    });
  }

  /**
   * After a bulk import of purchase history (no points) for `memberIds`, in the import's
   * transaction, their rows locked (account, then member, in id order): each member's tier
   * decided once, set-based, from its window ending at `asOf` (an upgrade to the highest tier it
   * supports, from `asOf` for a validity period; never a downgrade: that is the review's, at
   * expiry), and the window counters counted anew from the ledger. Not published to
   * subscribers (one import.completed webhook reports the import). Returns the upgrades.
   */
  async settleImported(tx: EntityManager, memberIds: string[], asOf: Date): Promise<number> {
    if (!memberIds.length) return 0;
    const s = await programmeSettings(tx);
    const upgraded = await reviews.upgradeFromWindows(tx, memberIds, asOf, s);
    await reviews.recountWindowCountersOf(tx, memberIds, s.windowMonths);
    return upgraded;
  }

  /**
   * For a bulk writer that records tier changes with its own statements (an import's opening
   * tiers, its set-based upgrades): one outbox row for every change this transaction wrote, so
   * they are pushed on `tierChanged` as every other change is once it commits (domain.md: every
   * upgrade, downgrade and renewal is pushed). Call it last in the transaction.
   */
  async publishChangesOfTransaction(tx: EntityManager): Promise<void> {
    if (this.changesTopic) await repo.publishChangesOfTransaction(tx, this.changesTopic);
  }

  /**
   * Counts the window counters of `memberIds` anew from the ledger, in the caller's
   * transaction, their rows held (a bulk writer that added their qualifying points set-based).
   */
  async recountWindowsOf(tx: EntityManager, memberIds: string[]): Promise<void> {
    if (!memberIds.length) return;
    const s = await programmeSettings(tx);
    await reviews.recountWindowCountersOf(tx, memberIds, s.windowMonths);
  }

  /**
   * The change and its outbox row in one statement (one round trip on the purchase path); NOTIFY
   * once committed. The outbox row carries the change itself (`changes`, as changesFromOutbox
   * reads it back), so a dispatcher delivers it without reading tier_change again.
   */
  private async recordChange(tx: EntityManager, c: NewTierChange): Promise<TierChangeRow> {
    const { change, outboxId } = await repo.insertChange(tx, c, this.changesTopic);
    if (outboxId) notifyOutbox(tx, outboxId);
    return change;
  }

  /** Several changes of one member, in this order (ids ascending), and one outbox row carrying them all. */
  private async recordChanges(tx: EntityManager, cs: NewTierChange[]): Promise<TierChangeRow[]> {
    if (!cs.length) return [];
    const { changes, outboxId } = await repo.insertChanges(tx, cs, this.changesTopic);
    if (outboxId) notifyOutbox(tx, outboxId);
    return changes;
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
   * (`options.reviewPace`, through PacedLanes): while nothing else works on it, two batches at once and no pause; while
   * anything does (purchases), one batch at a time, smaller, pausing after each. A member
   * several periods late is reviewed period by period (one period per pass), and so is one
   * a write changed: the next pass takes them, until a pass has nothing left to do (or
   * MAX_IDLE_PASSES passes in a row review no one: members that writes change faster than
   * a pass reads them wait for the next run).
   */
  async review(asOf: Date, batchSize?: number): Promise<{ processed: number; changed: number; batches: { idle: number; busy: number } }> {
    const lanes = new PacedLanes(this.em, this.options.reviewPace);
    await reviews.markReviewedThrough(this.em, asOf);
    // processed counts members: one reviewed again in a later pass (several periods late) was
    // still due after its earlier review, and is counted once. Every member reviewed changed
    // (renewed: a new expiry; or downgraded), each with a tier change: changed is the same count
    // of members, not of changes (one several periods late has one per period).
    let reviewed = 0;
    let repeats = 0;
    for (let idlePasses = 0; ;) {
      const pass = await this.reviewPass(lanes, asOf, batchSize);
      reviewed += pass.reviewed;
      repeats += pass.stillDue;
      if (!pass.again) break;
      idlePasses = pass.reviewed === 0 ? idlePasses + 1 : 0;
      if (idlePasses >= MAX_IDLE_PASSES) break;
    }
    await this.compactMemberCounts();
    return { processed: reviewed - repeats, changed: reviewed - repeats, batches: lanes.batches };
  }

  /**
   * One pass over the member table: its pages in ranges of about a batch of members (at the
   * pace of the moment), each range reviewed in batches of at most a batch of due members, in
   * row order, on the lanes.
   */
  private async reviewPass(lanes: PacedLanes, asOf: Date, batchSize: number | undefined): Promise<PassOutcome> {
    const heap = await this.memberHeap();
    const pass: PassOutcome = { reviewed: 0, stillDue: 0, again: false };
    let nextPage = 0;
    const nextRange = async () => {
      if (nextPage >= heap.pages) return null;
      const pages = Math.max(1, Math.ceil((batchSize ?? (await lanes.pace()).batch) / heap.perPage));
      const range = { first: tid(nextPage, 0), end: tid(nextPage + pages, 0) };
      nextPage += pages;
      return range;
    };
    await lanes.drain(nextRange, async (range) => {
      for (let from = range.first; ;) {
        const r = await lanes.inTurn((p) => this.reviewBatch(lanes, { ...range, from, limit: batchSize ?? p.batch }, asOf));
        pass.reviewed += r.reviewed;
        pass.stillDue += r.stillDue;
        if (r.stillDue > 0 || r.leftDue > 0) pass.again = true;
        if (r.after == null) return;
        from = r.after;
      }
    });
    return pass;
  }

  /** The member table's size in pages and its rows per page (from the planner's statistics; a guess before any). */
  private async memberHeap(): Promise<{ pages: number; perPage: number }> {
    const h = await reviews.memberHeap(this.em);
    return { pages: h.pages, perPage: h.tuples > 0 && h.relpages > 0 ? h.tuples / h.relpages : ROWS_PER_PAGE_GUESS };
  }

  /**
   * One review batch, in one transaction, on a connection that counts as the review's own from
   * before its BEGIN until its transaction has ended (PacedLanes.withOwnConnections).
   */
  private async reviewBatch(lanes: PacedLanes, batch: reviews.ReviewBatch, asOf: Date): Promise<BatchOutcome> {
    return lanes.withOwnConnections((claim) => inSqlTransaction(this.em, (tx) => this.reviewBatchOn(tx, batch, asOf), {
      beforeBegin: (connection) => {
        if (connection.processID == null) throw new Error('the connection does not know its backend pid');
        claim(connection.processID);
      },
    }));
  }

  private async reviewBatchOn(tx: EntityManager, b: reviews.ReviewBatch, asOf: Date): Promise<BatchOutcome> {
    const s = await programmeSettings(tx);
    const r = await reviews.reviewBatch(tx, s, b, asOf, this.changesTopic);
    // From the batch's own connection, which the review's pace leaves out (notifyFromConnectionAfterCommit).
    if (r.outboxId) notifyOutboxFromConnection(tx, r.outboxId);
    const after = r.selected < b.limit ? null : nextTid(r.last!);
    const leftDue = r.selected - r.reviewed;
    return { reviewed: r.reviewed, stillDue: r.stillDue, leftDue, after };
  }

  /** Folds the per-statement rows behind Tier.memberCount into one row per tier. */
  async compactMemberCounts(): Promise<void> {
    await reviews.compactMemberCounts(this.em);
  }

  /**
   * At-risk notices: a member whose tier expires within tierNoticeDays after asOf and who
   * still needs points to keep it gets one notice for that expiry.
   */
  async sendNotices(asOf: Date): Promise<{ processed: number; changed: number }> {
    return inTransaction(this.em, async (tx) => {
      const s = await programmeSettings(tx);
      const run = await reviews.insertNotices(tx, asOf, addDaysUtc(asOf, s.noticeDays), s.windowMonths);
      // One outbox row per transaction, whatever the number of notices (a notices run writes one, not thousands).
      if (this.options.outbox) await publishEvents(tx, TIER_NOTICE, run.notices);
      return { processed: run.processed, changed: run.notices.length };
    });
  }

  /** Admin override: sets the tier now, until `expiresAt` (default: one validity period), then reviewed as usual. */
  async setMemberTier(actor: Actor, memberId: string, tierCode: string, reason: string, expiresAt?: Date | null, at?: Date): Promise<TierChangeRow | null> {
    if (!isUuid(memberId)) throw notFound('Member', memberId);
    assertReason(reason);
    // In the member's queue of writes here, as its purchases are (db/member-queue.ts): an undated
    // purchase sent with it is dated when its turn comes, after the override if it waits behind
    // it. Dated before it and written after it, it was a late fact, whose rebuild recorded the
    // override again. (An override dated ahead of the clock, after a change a service dated
    // ahead, still comes after the next undated purchase in date order: docs/decisions.md.)
    return memberWrites(this.em).run(memberId, () => inTransaction(this.em, async (tx) => {
      if (!(await lockAccount(tx, memberId))) throw notFound('Member', memberId);
      // The override's instant is read once the member is held, not when the request came: two
      // overrides at once are dated in the order they are made, so the history read in date order
      // (the rebuild's, the feed's) is the one written, and the last made is the tier held. A
      // change dated ahead of it (an upgrade by a purchase a service dated up to 5 minutes ahead)
      // comes before it: the override is dated just after that one, as the latest change.
      const asked = at ?? new Date();
      const latest = await repo.latestChangeAt(tx, memberId);
      const now = latest && latest.getTime() >= asked.getTime() ? new Date(latest.getTime() + 1) : asked;
      // The history up to date first: a tier that expired before now is reviewed before it is overridden.
      await this.prepare(tx, memberId, now);
      const tier = await repo.tierByCode(tx, tierCode);
      if (!tier) throw notFound('Tier', tierCode);
      const m = await repo.memberTier(tx, memberId);
      const s = await programmeSettings(tx);
      // A past expiresAt is refused for every tier, the entry tier too (which keeps none: it does not expire).
      if (expiresAt && expiresAt <= now) throw badInput('expiresAt', 'expiresAt must be in the future');
      const until = tier.rank === 0 ? null : (expiresAt ?? addMonthsUtc(now, s.validityMonths));
      // The tier held, to the expiry it has (the entry tier again): nothing to change, nothing to record or push.
      if (overrideChangesNothing(m, { tierId: tier.id, until })) return null;
      const q = await this.qualifyingBetween(tx, memberId, addMonthsUtc(now, -s.windowMonths), now);
      const kind: TierChangeKind = tier.rank > m.rank ? 'UPGRADE' : tier.rank < m.rank ? 'DOWNGRADE' : 'RENEWAL';
      // An override to the tier held is a RENEWAL, and a renewal keeps tierSince (docs/decisions.md, "Tiers").
      await repo.setMemberTier(tx, s.windowMonths, memberId, tier.id, kind === 'RENEWAL' ? new Date(m.since) : now, until);
      const change = await this.recordChange(tx, {
        memberId, kind, fromTierId: m.tierId, toTierId: tier.id, reason: `${OVERRIDE_PREFIX}${reason}`, qualifyingPoints: q, occurredAt: now, expiresAt: until,
      });
      this.audit.record(tx, actor, {
        action: 'member.setTier', entity: 'Member', entityId: memberId,
        // The codes beside the ids: a reader of the log sees which tiers (a tier's id never changes, its code may not either).
        before: { tierId: m.tierId, tierCode: m.tierCode, tierExpiresAt: m.expiresAt == null ? null : new Date(m.expiresAt).toISOString() },
        after: { tierId: tier.id, tierCode: tier.code, tierExpiresAt: until?.toISOString() ?? null, reason },
      });
      await tx.flush();
      return change;
    }));
  }

  // ---- reads ------------------------------------------------------------------------

  async progress(memberIds: readonly string[], now = new Date()): Promise<Map<string, TierProgressRow>> {
    const s = await programmeSettings(this.em);
    const ladder = await repo.ladder(this.em);
    const rows = await repo.progressCounts(this.em, memberIds, now, s.windowMonths);
    const out = new Map<string, TierProgressRow>();
    for (const r of rows) {
      const current = ladder.find((t) => t.id === r.tierId)!;
      const next = ladder.find((t) => t.rank === current.rank + 1) ?? null;
      out.set(r.id, tierProgressOf(current, next, { qNow: r.qNow, qKept: r.qKept, hasExpiry: r.expiresAt != null }));
    }
    return out;
  }

  async history(memberIds: readonly string[]): Promise<Map<string, TierChangeRow[]>> {
    const out = new Map<string, TierChangeRow[]>();
    for (const r of await repo.currentChangesOf(this.em, memberIds)) out.set(r.memberId, [...(out.get(r.memberId) ?? []), r]);
    return out;
  }

  /** For clients that were offline: changes since an instant and/or after a change (by id), oldest first. */
  async changes(q: { memberId: string | null; since: Date | null; after: string | null; first: number }): Promise<TierChangeRow[]> {
    return repo.changesPage(this.em, q);
  }

  async notices(memberId: string): Promise<TierNoticeRow[]> {
    return repo.noticesByIds(this.em, await repo.noticeIdsOf(this.em, memberId));
  }
}
