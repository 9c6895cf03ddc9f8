import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { resolveOccurredAt } from '../../common/clock';
import { AppError, assertReason, badInput, conflict, ErrorCode, notFound, otherCaseOf } from '../../common/errors';
import { MoneyInputError, parseMoneyToCents } from '../../common/money';
import { decodeCursor, encodeCursor, groupBy, pageOf, type Page } from '../../common/pagination';
import { addDaysUtc, addMonthsUtc } from '../../common/time.rules';
import { localDate, localMonthBounds } from '../../common/local-time.rules';
import { ERASED_REFEREE_REASON, ERASED_REFERRAL, REFERRER_REVERSAL, REVERSAL_REASON } from '../referrals/referrals.rules';
import { hasPendingReferral, linkReferralTransactions, lockCompletedReferral, lockCompletedReferralOfReferee, markReferralReversed, refereePointsOfOrder, type ReversibleReferral } from '../referrals/referrals.service';
import { lockAccount, lockAccounts, type LockedAccount } from '../../db/locks';
import { PacedLanes, type Pace } from '../../db/foreground';
import { memberWrites } from '../../db/member-queue';
import { idempotentWrite, inSqlTransaction, inTransaction, isOutOfRange, retried } from '../../db/transaction';
import { SYSTEM_ACTOR, type Actor } from '../actor';
import { AuditService } from '../audit/audit.service';
import { isUuid } from '../members/members.service';
import * as repo from './points.repository';
import type { TransactionRow } from './points.repository';
import type { TierChangeRow, UpgradePlan, UpgradeRules } from '../tiers/tier-engine.service';
import { notifyOutbox, notifyOutboxCommitted } from '../../events/outbox';
import { emitRowEvent, suppressRowEvents } from '../webhooks/webhooks.service';
import { reversalCountsFrom, UPGRADE_REASON, upgradeSteps } from '../tiers/tiers.rules';
import { bonusesNeedTags, multiplierBonuses } from '../benefits/benefits.rules';
import { programmeConfigOf, type ProgrammeConfig } from '../program/programme-config.service';
import { programmeSettings, type ProgrammeSettings } from '../program/program.service';
import {
  awardReversalsFrom, awardedPoints, campaignPlans, campaignsOf, linkAwardTransaction, mayApply, mayApplyBetween, purchaseAwards, recoverAward, reverseAward, sourceAwards,
  unrecoveredAwardReversals, upgradeRewardedAlready, type ActiveCampaigns, type EffectEvent,
} from '../campaigns/campaign-effects.service';
import { awardReversal } from '../campaigns/campaigns.rules';
import {
  MAX_POINTS, PointsOutOfRangeError, RefundExceedsPurchaseError, refundIdRefusal, importRefundId, activityGrant, awardsThatFit, activityKeyOf, basePoints, combineMultipliers, consumeLotsFifo, earnedPoints, fitsPoints, lotExpiry, planRefundDebit,
  DebitsShortError, cancelReplanKey, compareLotIds, planDebitsOf, recoveryKey, recoveryTakes, refundReversal, replanChanges, replanTakes, sameActivityRule, settleDebtPlan, spendableAt, takeChanges, mergeTakes, type DebtLot, type LotTake, type PlanRefund, type RefundDebitPlan,
} from './points.rules';

export type TierChangeRef = TierChangeRow;

/**
 * The tier engine as the ledger sees it (services.ts wires it): each is called in the write's
 * transaction, the member's account locked.
 */
export interface TierHooks {
  /**
   * After a write's qualifying entry at `at` is written, before it earns: the member's tier
   * history brought up to date as of `at`, and the multiplier a purchase at `at` earns at (the
   * tier held then plus the benefits in force then). `settled`: the upgrade check at `at` is
   * done (`upgrade` is what it recorded).
   */
  prepare(tx: EntityManager, memberId: string, at: Date): Promise<{
    tierId: string; multiplier: number; settled: boolean; upgrade: TierChangeRef | null; rerate: RerateAt[];
  }>;
  /** The upgrade check at `at` (when prepare has not done it). */
  upgrade(tx: EntityManager, memberId: string, at: Date): Promise<{ change: TierChangeRef | null; rerate: RerateAt[] }>;
  /** After a refund's reversal, which counts from the millisecond after `at` (reversalCountsFrom). */
  afterRefund(tx: EntityManager, memberId: string, at: Date): Promise<RerateAt[]>;
  /** The next member queued for a rebuild of its tier history but those `passed`, its queue row locked; null when none (TierEngine.queuedRebuild). */
  queuedRebuild(tx: EntityManager, passed: readonly string[]): Promise<{ memberId: string; from: Date } | null>;
  /** Rebuilds a queued member's tier history from `from` (unless `rebuild` is false) and takes it off the queue (TierEngine.rebuildQueued). */
  rebuildQueued(tx: EntityManager, memberId: string, from: Date, rebuild: boolean): Promise<RerateAt[]>;
  /** A tier change by id (a replayed purchase returns the change its first run returned). */
  changeById(em: EntityManager, id: string): Promise<TierChangeRef | null>;
  /** The upgrade check at `at` on the purchase's facts (TierEngine.planUpgrade): decided, not recorded. */
  planUpgrade(rules: UpgradeRules, memberId: string, tierId: string, q: number, at: Date): UpgradePlan | null;
  /** Whether a review run has passed the upgrade's expiry (the history then needs a rebuild: TierEngine.reachesReview). */
  reachesReview(plan: UpgradePlan, reviewedThrough: Date | null): boolean;
  /** The topic tier changes go to the outbox under, or null when they are not published. */
  outboxTopic(): string | null;
  /** The tier held at `at` as a write there would decide it, writing nothing (TierEngine.heldTierAt). */
  heldTierAt(em: EntityManager, memberId: string, at: Date): Promise<string>;
}

/**
 * A purchase being recorded: its input, checked. `recordedAt`: when it is recorded (a referral
 * completes by that, whatever occurredAt says); `referral`: whether it may complete its member's
 * pending referral (an imported purchase never does).
 */
interface PurchaseInHand { input: RecordPurchaseInput; memberId: string; amountCents: number; occurredAt: Date; recordedAt: Date; referral: boolean }

/** A purchase to earn again at another tier (the one the history now holds at its instant) and its multiplier. */
export interface RerateAt { orderId: string; tierId: string; multiplier: number }

/** A debit to write (PointsService.debit): a redemption's REDEEM, a negative adjustment. */
type DebitInput = { memberId: string; type: repo.NewTransaction['type']; amount: number; occurredAt: Date; reason?: string | null; reference?: string | null; idempotencyKey: string };

export interface EarnResult {
  memberId: string;
  pointsEarned: number;
  qualifyingPointsEarned: number;
  transaction: TransactionRow | null;
  tierChange: TierChangeRef | null;
  /**
   * Campaign points the write gave its member besides pointsEarned (a refund: minus what it
   * took back of them): a purchase's PURCHASE campaigns, the TIER_UPGRADE campaigns of the
   * upgrade it brought and the REFERRAL points its completed referral gave it (the referee); a
   * replayed purchase reads them when asked (bonusOf).
   */
  bonusPoints?: number;
  bonusOf?: () => Promise<number>;
}

/** The REFERRAL points a purchase's completion of its member's referral gave that member (the referee). */
function refereePoints(r: repo.ReferralOutcome | null | undefined): number {
  return r?.status === 'COMPLETED' ? Math.max(r.refereePoints, 0) : 0;
}

/** campaign_effects' SQLSTATE when told to write the ledger for a member with a debt or a watermark above the lot (migration campaign_effects). */
const NEEDS_CREDIT = 'LC001';

/** The kind of a member's transactions' cursors (on the transaction's id). */
const TXN_CURSOR = 'txn';

/** Where a campaign's BONUS lot goes, and whether the effects' statement may write the ledger itself. */
interface BonusLot { activatesAt: Date; expiresAt: Date | null; ledger: boolean }

/** A credit's new lot, which refunds that fell short, dated while it is spendable, may take from (replan). */
interface OfferedLot { id: string; remaining: number; activatesAt: Date; expiresAt: Date | null }

/**
 * How a write is made. `silent`: for a bulk writer (an import) that reports itself with one
 * event of its own: the per-row webhook event capture writes nothing for it.
 */
export interface WriteOptions { silent?: boolean }

export interface RecordPurchaseInput { memberId: string; orderId: string; amount: number; occurredAt?: Date | null }
export interface RefundPurchaseInput { orderId: string; refundId: string; amount: number; occurredAt?: Date | null }
export interface AdjustPointsInput { memberId: string; amount: number; reason: string; idempotencyKey: string; occurredAt?: Date | null }
export interface RecordActivityInput { memberId: string; kind: string; idempotencyKey: string; occurredAt?: Date | null }
/** memberMayRecord null: a new rule says false, an existing one keeps what it says (an edit of its points does not withdraw the app's right). */
export interface ActivityRuleInput { kind: string; name: string; points: number; qualifyingPoints: number; dailyCap: number | null; active: boolean; memberMayRecord: boolean | null }

function cents(value: number, field: string): number {
  try {
    return parseMoneyToCents(value, field);
  } catch (err) {
    if (err instanceof MoneyInputError) throw badInput(err.field, err.message);
    throw err;
  }
}

/** The reason of an erasure's ERASURE transaction (the admin's own reason is in the audit log, not in the ledger). */
export const ERASURE_REASON = 'member erased: balance forfeited';

const pointsOutOfRange = (field: string) => new PointsOutOfRangeError(field);

/**
 * A qualifying entry at `at`, written in `tx`, must leave every window that holds it within int:
 * the window ending at its own instant is checked where the entry is written (its sum, the
 * member's counters), but a backdated entry also counts in the windows after it, with the entries
 * dated after it, and those are read as int (tier progress, the review): past it, every read of
 * the member's tier progress answered INTERNAL_SERVER_ERROR. BAD_USER_INPUT on `field` (the
 * transaction rolls back: nothing is written).
 */
async function assertQualifyingRoom(tx: EntityManager, memberId: string, at: Date, windowMonths: number, field: string): Promise<void> {
  if ((await repo.qualifyingAround(tx, memberId, at, windowMonths)) > BigInt(MAX_POINTS)) throw pointsOutOfRange(field);
}

/**
 * A write that would carry a points column past its int range (a member's counters, an
 * activity's points on a full balance) fails in SQL; it is the caller's `field`, and the
 * transaction rolled back: nothing was written. The direct checks (credit) give it first.
 */
async function withinPointsRange<T>(field: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isOutOfRange(err)) throw pointsOutOfRange(field);
    throw err;
  }
}

function memberIdOrFail(id: string): string {
  if (!isUuid(id)) throw notFound('Member', id);
  return id;
}

/** Savepoints taken so far by this process (each beforeLaterDebits its own name). */
let savepoints = 0;

/**
 * A take of a re-plan names a lot the plan does not see (a debt's), or a lot would start the plan
 * below 0: the caller re-plans without what needs it.
 */
class MissingLotError extends Error {
  constructor() {
    super('a re-planned take names a lot the plan does not see');
    this.name = 'MissingLotError';
  }
}

/** A re-planned cancellation: its changed returns (takeChanges: + takes more, − gives back more) and `more`, their sum (what it gives back less). */
interface CancelChange { debitId: string; cancel: repo.CancelTakes; changes: LotTake[]; more: number }

/**
 * The cancellations of `debits` whose returns the plan (`returns`, by debit) changes, each one's
 * changes also counted in `delta` (what each lot holds more or less).
 */
function cancelChanges(debits: readonly repo.DebitTakes[], returns: Map<string, LotTake[]>, delta: Map<string, number>): CancelChange[] {
  const out: CancelChange[] = [];
  for (const d of debits) {
    const after = d.cancel ? returns.get(d.id) : undefined;
    if (!d.cancel || !after) continue;
    const changes = takeChanges(d.cancel.takes, after);
    if (!changes.length) continue;
    for (const c of changes) delta.set(c.lotId, (delta.get(c.lotId) ?? 0) - c.amount);
    out.push({ debitId: d.id, cancel: d.cancel, changes, more: changes.reduce((sum, c) => sum + c.amount, 0) });
  }
  return out;
}

/**
 * The expiry's pace: two batches at once, no pause, whatever else the database is doing. The
 * review slows down under purchases (its paces, DEFAULT_REVIEW_PACE); the expiry shares its
 * lanes (PacedLanes) but not its slowing: no bound is set on purchases' latency while it runs,
 * and at one pace it never probes the database (docs/decisions.md, "Tiers", the review's pace).
 */
const EXPIRY_PACE: Pace = { lanes: 2, batch: 10_000, pause: 0 };

/**
 * The points ledger: every write locks the member's account row first (so writes for one
 * member serialize), is idempotent on its key, and keeps
 * balance = Σ lot remainders = Σ signed transactions.
 */
export class PointsService {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    private readonly tiers?: TierHooks,
  ) {}

  /**
   * The rewards module's part of a referral's reversal (RewardsService, set once both exist: it
   * takes this service): the coupons the referral's REFERRAL campaigns issued, cancelled while unused.
   */
  coupons?: { cancelReversedCoupons(tx: EntityManager, memberId: string, source: string, reason: string, now: Date): Promise<number> };

  openAccount(tx: EntityManager, memberId: string): Promise<void> {
    return repo.openAccount(tx, memberId);
  }

  /**
   * Runs `work` with the member's account locked; NOT_FOUND when there is no such member.
   * The work is raw SQL (a SQL-only transaction) unless it writes entities (`inTransaction`).
   */
  private async withAccount<T>(memberId: string, work: (tx: EntityManager, account: repo.AccountRow) => Promise<T>, transaction = inSqlTransaction): Promise<T> {
    return transaction(this.em, async (tx) => {
      const account = await lockAccount(tx, memberId);
      if (!account) throw notFound('Member', memberId);
      return work(tx, account);
    });
  }

  /**
   * The tier histories queued for a rebuild (migration reversal_counts_after_refund: the members
   * whose history a refund's reversal decided at its own instant under the old rule), each in a
   * transaction of its own with the member's account locked, as a late refund's rebuild runs:
   * the changes recorded and pushed, the purchases it moves to another tier earning again.
   * Run before each tier review (the job and runTierReview). One that fails stays queued for the
   * next run and is passed over in this one (`failed`: the members and their errors), so that
   * it holds up neither the others nor the review.
   */
  async rebuildQueuedTiers(): Promise<{ rebuilt: number; failed: { memberId: string; error: unknown }[] }> {
    const failed: { memberId: string; error: unknown }[] = [];
    if (!this.tiers) return { rebuilt: 0, failed };
    const tiers = this.tiers;
    let rebuilt = 0;
    for (;;) {
      let taken: string | null = null;
      try {
        const done = await inSqlTransaction(this.em, async (tx) => {
          const next = await tiers.queuedRebuild(tx, failed.map((f) => f.memberId));
          if (!next) return false;
          taken = next.memberId;
          const account = await lockAccount(tx, next.memberId);
          // No such member (never, as the queue is filled): off the queue, nothing rebuilt.
          const moved = await tiers.rebuildQueued(tx, next.memberId, next.from, account !== null);
          if (account) await this.rerate(tx, account, next.memberId, moved);
          return true;
        });
        if (!done) return { rebuilt, failed };
        rebuilt++;
      } catch (error) {
        if (taken === null) throw error; // the queue itself could not be read: as any job's failure
        failed.push({ memberId: taken, error });
      }
    }
  }

  // ---- purchases ---------------------------------------------------------------------

  /**
   * A purchase. Usually one round trip: every case it may meet is decided here (what it earns
   * on each tier, the upgrade each window sum brings: points.rules.ts, benefits.rules.ts,
   * tiers.rules.ts upgradeSteps), with the configuration held in memory, and one statement,
   * its own transaction, finds the case and writes it (purchase_at_once). When that statement
   * cannot (the configuration's version moved, a benefit depends on the member's tags, or a case
   * only the statement-by-statement path covers), the purchase runs in a transaction of four
   * round trips (BEGIN, purchase_facts, purchase_write, COMMIT), or goes on statement by
   * statement in it (purchaseStepwise). A retry of a recorded order is answered from the
   * stored row. Purchases of one member run one at a time in this process (memberWrites).
   */
  async recordPurchase(actor: Actor, input: RecordPurchaseInput, now?: Date, options: WriteOptions = {}): Promise<EarnResult> {
    const memberId = memberIdOrFail(input.memberId);
    const amountCents = cents(input.amount, 'amount');
    const given = resolveOccurredAt(actor, input.occurredAt, now ?? new Date());
    const replay = (em: EntityManager) => this.replayPurchase(input, memberId, amountCents, em);
    // No read before the write: its first statement tells a retry (a replay costs no more than that).
    return idempotentWrite(null, replay, () => memberWrites(this.em).run(memberId, () => withinPointsRange('amount', async () => {
      // Undated: it happens when its turn comes, so that one member's purchases here are dated in
      // the order they are written (one dated before another already written would rebuild the
      // member's tier history from its instant).
      const occurredAt = input.occurredAt == null && now == null ? new Date() : given;
      const p: PurchaseInHand = { input, memberId, amountCents, occurredAt, recordedAt: now ?? new Date(), referral: !options.silent };
      // A bulk writer's purchase (options.silent) goes through a transaction, where the per-row event capture can be turned off.
      const once = options.silent ? null : await this.purchaseInOneStatement(p);
      if (once) return once;
      return inSqlTransaction(this.em, async (tx) => {
        if (options.silent) await suppressRowEvents(tx);
        const { config: read, facts } = await this.purchaseFacts(tx, p);
        // An imported purchase never triggers a campaign (issue 23): the bulk writer's purchases see none.
        const config = options.silent ? { ...read, givingCampaigns: [] } : read;
        if (!facts) throw notFound('Member', memberId);
        if (facts.replay) return this.replayed(await replay(tx), input.orderId);
        // Backdated (its entry has later ones after it): the windows after its instant count it too.
        if (facts.stale) await assertQualifyingRoom(tx, memberId, occurredAt, config.windowMonths, 'amount');
        const account: repo.AccountRow = { balance: facts.balance, lifetimeEarned: facts.lifetimeEarned };
        const referral = this.referralCompletion(p, config, false);
        const decided = await this.purchaseDecided(tx, p, config, facts, account, referral);
        const earned = decided ?? await this.purchaseStepwise(tx, p, config, account);
        // Decided: its PURCHASE campaigns' effects and its referral's completion rode on its write (purchase_write's statement).
        const outcome = decided ? decided.referral ?? null : referral && await repo.completeReferral(tx, referral);
        if (outcome && referral) await this.settleReferral(tx, account, outcome, referral, config, decided == null);
        const result = await this.purchaseCampaigns(tx, p, config, account, earned, decided != null);
        return { ...result, bonusPoints: (result.bonusPoints ?? 0) + refereePoints(outcome) };
      });
    })), this.em);
  }

  /**
   * The purchase in one statement (purchase_at_once), or null when the transaction path must
   * take it: the configuration's version moved, a multiplier benefit depends on the member's
   * tags, a case only the stepwise path covers, or a tier's earning would not fit.
   */
  private async purchaseInOneStatement(p: PurchaseInHand): Promise<EarnResult | null> {
    if (!this.tiers) return null;
    const config = await programmeConfigOf(this.em).get(this.em);
    if (bonusesNeedTags(config.multiplierBenefits, p.occurredAt)) return null;
    // A campaign that may act on it (or on the upgrade it may bring): the transaction path, where its effects join the purchase.
    const campaigns = campaignsOf(config);
    if (mayApplyBetween(campaigns, ['TIER_UPGRADE'], p.occurredAt, p.recordedAt)) return null;
    const earned = config.ladder.map((t) => ({
      tierId: t.id,
      points: earnedPoints(p.amountCents, config.pointsPerUnit, combineMultipliers(t.multiplier, ...multiplierBonuses(config.multiplierBenefits, t.code, [], p.occurredAt))),
    }));
    // Past int on a configuration that may be out of date: the transaction path reads the current one (purchaseFacts).
    if (!earned.every((e) => fitsPoints(e.points)) || !fitsPoints(basePoints(p.amountCents, config.pointsPerUnit))) return null;
    const { activatesAt, expiresAt } = this.lotDates(p.occurredAt, config);
    // With PURCHASE campaigns: their effects in the same statement, the ledger written there (purchase_at_once writes only without a debt).
    const effects = this.purchaseEffects(p, config, true);
    // Its member's pending referral completed in the same statement, with the REFERRAL campaigns' effects on the referrer (issue 25).
    const referral = this.referralCompletion(p, config, true);
    const r = await retried(this.em, () => repo.purchaseAtOnce(this.em, {
      memberId: p.memberId, orderId: p.input.orderId, at: p.occurredAt, atGiven: p.input.occurredAt != null, amountCents: p.amountCents,
      qualifying: basePoints(p.amountCents, config.pointsPerUnit), pointsPerUnit: config.pointsPerUnit, configVersion: config.version,
      windowFrom: addMonthsUtc(p.occurredAt, -config.windowMonths), earned, activatesAt, expiresAt, steps: upgradeSteps(config.ladder),
      upgradeExpiresAt: addMonthsUtc(p.occurredAt, config.validityMonths), upgradeReason: UPGRADE_REASON, windowMonths: config.windowMonths,
      outboxTopic: this.tiers!.outboxTopic(),
    }, effects, referral)).catch((err: unknown) => {
      if ((err as { code?: string }).code === NEEDS_CREDIT) return null; // a debt or the watermark: nothing written, the transaction path credits the bonus
      // A campaign's or the referral's points past int (the statement wrote nothing): the transaction path passes over the awards that do not fit (awardsThatFit).
      if ((effects || referral) && isOutOfRange(err)) return null;
      throw err;
    });
    if (!r) return null;
    switch (r.status) {
      case 'done': {
        if (r.outboxId) notifyOutboxCommitted(this.em, r.outboxId);
        const points = r.transaction?.amount ?? 0;
        const bonusPoints = r.effects.reduce((t, e) => t + (e.status === 'AWARDED' ? e.points : 0), 0) + refereePoints(r.referral);
        return {
          memberId: p.memberId, pointsEarned: points, qualifyingPointsEarned: basePoints(p.amountCents, config.pointsPerUnit), transaction: r.transaction, tierChange: r.change,
          bonusPoints,
        };
      }
      case 'no-member': throw notFound('Member', p.memberId);
      case 'replay': return this.replayed(await this.replayPurchase(p.input, p.memberId, p.amountCents), p.input.orderId);
      case 'range': throw pointsOutOfRange('amount');
      default: return null;
    }
  }

  private replayed(r: EarnResult | null, orderId: string): EarnResult {
    if (!r) throw new Error(`order ${orderId} is recorded but was not read back`);
    return r;
  }

  /**
   * purchase_facts with the configuration in memory; again with the configuration reloaded (in
   * this transaction) when its version moved. Qualifying points past int under the held
   * configuration are not sent: it may be out of date (a pointsPerUnit lowered since, which the
   * statement would only tell after its int parameter had failed it), so the current one is read
   * first. Past int under that one too, the statement is asked with none (it writes nothing then)
   * whether the order is recorded: a retry gets its stored answer, a new order BAD_USER_INPUT (amount).
   */
  private async purchaseFacts(tx: EntityManager, p: PurchaseInHand): Promise<{ config: ProgrammeConfig; facts: repo.PurchaseFacts | null }> {
    const cache = programmeConfigOf(this.em);
    let reloaded = false;
    for (let config = await cache.get(this.em); ; config = await cache.reload(tx), reloaded = true) {
      const qualifying = basePoints(p.amountCents, config.pointsPerUnit);
      const fits = fitsPoints(qualifying);
      if (!reloaded && !fits) continue;
      const facts = await repo.purchaseFacts(tx, {
        memberId: p.memberId, orderId: p.input.orderId, at: p.occurredAt, qualifying: fits ? qualifying : 0,
        configVersion: config.version, windowFrom: addMonthsUtc(p.occurredAt, -config.windowMonths), tags: bonusesNeedTags(config.multiplierBenefits, p.occurredAt),
      });
      if (!facts || facts.replay) return { config, facts };
      if (facts.configVersion !== config.version) continue;
      if (!fits) throw pointsOutOfRange('amount');
      return { config, facts };
    }
  }

  /**
   * The purchase decided on its facts and written in one statement; null (nothing written) when
   * it needs more than that: the member's tier history to rebuild, a debt to repay first, a lot
   * under the expiry watermark, a debit dated after it to re-plan, an upgrade whose expiry a
   * review run has passed, or no tier engine.
   */
  private async purchaseDecided(
    tx: EntityManager, p: PurchaseInHand, config: ProgrammeConfig, facts: repo.PurchaseFacts, account: repo.AccountRow,
    referral: repo.ReferralCompletion | null,
  ): Promise<(EarnResult & { referral: repo.ReferralOutcome | null }) | null> {
    // A debit dated after it: its lot (and its campaigns' lots) re-plan that debit, statement by statement (credit()).
    if (!this.tiers || facts.stale || facts.debt || facts.debitsAfter) return null;
    const rung = config.ladder.find((t) => t.id === facts.tierId);
    if (!rung) return null;
    const multiplier = combineMultipliers(rung.multiplier, ...multiplierBonuses(config.multiplierBenefits, rung.code, facts.tags, p.occurredAt));
    const qualifying = basePoints(p.amountCents, config.pointsPerUnit);
    const earned = earnedPoints(p.amountCents, config.pointsPerUnit, multiplier);
    const { activatesAt, expiresAt } = this.lotDates(p.occurredAt, config);
    let credit: repo.PurchaseWrite['credit'] = null;
    if (earned > 0) {
      const balanceAfter = account.balance + earned;
      if (!fitsPoints(earned) || !fitsPoints(balanceAfter) || !fitsPoints(account.lifetimeEarned + earned)) throw pointsOutOfRange('amount');
      if (expiresAt && facts.expiredThrough && expiresAt <= facts.expiredThrough) return null;
      credit = { balanceAfter, activatesAt, expiresAt };
    }
    const plan = qualifying > 0 ? this.tiers.planUpgrade(config, p.memberId, facts.tierId, facts.windowPoints, p.occurredAt) : null;
    if (plan && this.tiers.reachesReview(plan, facts.reviewedThrough)) return null;
    // The PURCHASE campaigns' effects ride on the write; the statement writes their ledger too unless the lot is under the watermark.
    // What the member holds once the statement has written the purchase and, if it completes a
    // pending referral of the member, its welcome points (credited after the campaigns' rows): an
    // award that fits only without them would get the whole purchase refused. Whether one is
    // pending is asked only when it matters: an award that fits without them but not with them.
    const ledger = !(expiresAt && facts.expiredThrough && expiresAt <= facts.expiredThrough);
    const held = credit ? { balance: credit.balanceAfter, lifetimeEarned: account.lifetimeEarned + earned } : account;
    let effects = this.purchaseEffects(p, config, ledger, held);
    const welcome = Math.max(referral?.refereePoints ?? 0, 0);
    if (effects && welcome > 0) {
      const withWelcome = this.purchaseEffects(p, config, ledger, { balance: held.balance + welcome, lifetimeEarned: held.lifetimeEarned + welcome });
      if ((withWelcome?.plans.length ?? 0) < effects.plans.length && (await hasPendingReferral(tx, p.memberId))) effects = withWelcome;
    }
    const written = await repo.writePurchase(tx, {
      purchase: {
        orderId: p.input.orderId, memberId: p.memberId, amountCents: p.amountCents, earned, qualifying, occurredAt: p.occurredAt,
        occurredAtGiven: p.input.occurredAt != null, earnedTierId: facts.tierId, pointsPerUnit: config.pointsPerUnit,
      },
      credit,
      upgrade: plan && { ...plan, outboxTopic: this.tiers.outboxTopic() },
    }, effects, referral);
    if (written.outboxId) notifyOutbox(tx, written.outboxId);
    if (credit) {
      account.balance = credit.balanceAfter;
      account.lifetimeEarned += earned;
    }
    const r = written.referral;
    if (r?.status === 'COMPLETED' && !r.credit) {
      // the statement credited the member's REFERRAL points (after its PURCHASE campaigns' ledger, if it wrote that)
      account.balance += r.refereePoints;
      account.lifetimeEarned += r.refereePoints;
    }
    const bonusPoints = effects ? await this.settleEffects(tx, account, written.effects, effects, 'amount') : 0;
    return {
      memberId: p.memberId, pointsEarned: earned, qualifyingPointsEarned: qualifying, transaction: written.transaction, tierChange: written.change, bonusPoints,
      referral: written.referral,
    };
  }

  // ---- referrals (issue 25) ---------------------------------------------------------------

  /**
   * What a purchase passes to referral_complete: the programme's referral points, the
   * referrer's monthly limit and the programme-local month of the recording instant, both
   * sides' lot dates (pending for the hold from the completion, expiring as earned points do),
   * and (`campaigns`: the one-statement path) the REFERRAL campaigns that may act on the
   * referrer. Null for a purchase that may not complete a referral (an import's).
   */
  private referralCompletion(p: PurchaseInHand, config: ProgrammeConfig, campaigns: boolean): repo.ReferralCompletion | null {
    if (!p.referral) return null;
    const at = p.recordedAt;
    const month = localMonthBounds(at, config.timeZone);
    const lot = this.referralLot(at, config);
    const plans = campaigns ? campaignPlans(campaignsOf(config), { trigger: 'REFERRAL', at, basePoints: config.referrerPoints }) : [];
    return {
      refereeId: p.memberId, orderId: p.input.orderId, at, referrerPoints: config.referrerPoints, refereePoints: config.refereePoints,
      monthlyLimit: config.referralMonthlyLimit, monthFrom: month.start, monthTo: month.end, ...lot,
      effects: plans.length ? { memberId: p.memberId, source: '', at, ledger: true, ...lot, plans } : null,
    };
  }

  /** A referral's lots (both sides', and its REFERRAL campaigns' bonus): pending for the hold from `at`, then expiring as earned points do. */
  private referralLot(at: Date, config: { referralHoldDays: number; pointsExpiryMonths: number | null }): { activatesAt: Date; expiresAt: Date | null } {
    const activatesAt = addDaysUtc(at, config.referralHoldDays);
    return { activatesAt, expiresAt: lotExpiry(activatesAt, config.pointsExpiryMonths, addMonthsUtc) };
  }

  /**
   * After referral_complete in a purchase's transaction (its member's account held as
   * `account`; the referrer's locked by the function): both sides credited here when the
   * function left them (`credit`: a debt to repay first, or the watermark), and the REFERRAL
   * campaigns' effects on the referrer (the one-statement path applies them in its statement).
   * `stepwise`: the statement did not update `account` (the decided path did).
   */
  private async settleReferral(
    tx: EntityManager, account: repo.AccountRow, r: repo.ReferralOutcome, c: repo.ReferralCompletion, config: ProgrammeConfig, stepwise: boolean,
  ): Promise<void> {
    if (r.status !== 'COMPLETED') return;
    const referrer = await lockAccount(tx, r.referrerId);
    if (!referrer) throw new Error(`referrer ${r.referrerId} of a completed referral has no account`);
    if (r.credit) {
      const side = async (acc: repo.AccountRow, memberId: string, points: number, role: 'referrer' | 'referee') => points <= 0 ? null : (await this.credit(tx, acc, {
        memberId, type: 'REFERRAL', amount: points, occurredAt: c.at, activatesAt: c.activatesAt, expiresAt: c.expiresAt, field: 'amount',
        reason: role === 'referee' ? 'referral: welcome' : "referral: friend's first purchase", reference: r.referralId,
        idempotencyKey: `referral:${r.referralId}:${role}`, countsAsEarned: true,
      })).transaction.id;
      const referrerTxn = await side(referrer, r.referrerId, r.referrerPoints, 'referrer');
      const refereeTxn = await side(account, c.refereeId, r.refereePoints, 'referee');
      await linkReferralTransactions(tx, r.referralId, referrerTxn, refereeTxn);
    } else if (stepwise) {
      account.balance += r.refereePoints;
      account.lifetimeEarned += r.refereePoints;
    }
    const active = campaignsOf(config);
    if (mayApply(active, ['REFERRAL'], c.at)) {
      await this.applyCampaigns(tx, referrer, active, r.referrerId, `referral:${r.referralId}`,
        { trigger: 'REFERRAL', at: c.at, basePoints: r.referrerPoints }, { activatesAt: c.activatesAt, expiresAt: c.expiresAt, ledger: false }, 'amount');
    }
  }

  // ---- campaign effects (issue 24) ------------------------------------------------------

  /**
   * A purchase's campaign effects, in its transaction after its own writes: PURCHASE campaigns
   * (source 'purchase:<orderId>'; the bonus lot pending like the purchase's own), then
   * TIER_UPGRADE campaigns when it upgraded the member (source 'tier:<change id>'; spendable at
   * once). `decided`: the purchase was decided and written in one statement, which applied its
   * PURCHASE campaigns already (purchaseDecided). bonusPoints: the campaigns' points (both kinds).
   */
  private async purchaseCampaigns(
    tx: EntityManager, p: PurchaseInHand, config: ProgrammeConfig, account: repo.AccountRow, earned: EarnResult, decided: boolean,
  ): Promise<EarnResult> {
    const active = campaignsOf(config);
    let bonusPoints = earned.bonusPoints ?? 0;
    if (!decided) {
      const effects = this.purchaseEffects(p, config, false, account);
      if (effects) bonusPoints = await this.settleEffects(tx, account, await repo.campaignEffects(tx, effects), effects, 'amount');
    }
    if (earned.tierChange?.kind === 'UPGRADE') {
      // The upgrade's own instant: the purchase's, or a later purchase's whose window this backdated one tipped.
      const at = new Date(earned.tierChange.occurredAt);
      bonusPoints += await this.applyCampaigns(tx, account, await this.upgradeCampaigns(tx, active, earned.tierChange), p.memberId, `tier:${earned.tierChange.id}`, { trigger: 'TIER_UPGRADE', at },
        this.spendableLot(at, config.pointsExpiryMonths), 'amount');
    }
    return { ...earned, bonusPoints };
  }

  /**
   * The PURCHASE campaigns that may act on the purchase, as campaign_effects takes them; null when
   * none may. `ledger`: the statement may write their ledger. `held`: the member's account with
   * the purchase's own points, when known (those the member cannot take are passed over).
   */
  private purchaseEffects(p: PurchaseInHand, config: ProgrammeConfig, ledger: boolean, held?: repo.AccountRow): repo.CampaignEffectsInput | null {
    const matching = campaignPlans(campaignsOf(config), {
      trigger: 'PURCHASE', at: p.occurredAt, amountCents: p.amountCents, basePoints: basePoints(p.amountCents, config.pointsPerUnit),
    });
    const plans = held ? awardsThatFit(matching, held) : matching;
    if (!plans.length) return null;
    const { activatesAt, expiresAt } = this.lotDates(p.occurredAt, config);
    return { memberId: p.memberId, source: `purchase:${p.input.orderId}`, at: p.occurredAt, ledger, activatesAt, expiresAt, plans };
  }

  /**
   * The campaigns that may reward the upgrade `change`: one award per upgrade. A backdated fact
   * that moves an upgrade (the recorded change superseded, the same upgrade recorded at its new
   * instant) records it again; the campaigns that rewarded it are left out (upgradeRewardedAlready:
   * as many awards into that tier as upgrades into it stand). It gave again at every move before.
   */
  private async upgradeCampaigns(tx: EntityManager, active: ActiveCampaigns, change: TierChangeRef): Promise<ActiveCampaigns> {
    const ids = active.campaigns.filter((c) => c.trigger === 'TIER_UPGRADE').map((c) => c.id);
    if (!ids.length) return active;
    const rewarded = new Set(await upgradeRewardedAlready(tx, ids, change.memberId, change.toTierId));
    return rewarded.size ? { ...active, campaigns: active.campaigns.filter((c) => !rewarded.has(c.id)) } : active;
  }

  /** A campaign lot spendable at once (activities, registrations, upgrades), expiring as an activity's points do. */
  private spendableLot(at: Date, expiryMonths: number | null): BonusLot {
    return { activatesAt: at, expiresAt: lotExpiry(at, expiryMonths, addMonthsUtc), ledger: false };
  }

  /** The campaigns that may give now (the configuration's version checked: one statement; a second when it moved). */
  private async campaignsNow(tx: EntityManager): Promise<ActiveCampaigns> {
    return campaignsOf(await programmeConfigOf(this.em).current(tx));
  }

  /**
   * One event's campaign effects, its member's account held (`account` as it is now): the
   * campaigns that may act on it (trigger, window, conditions: campaigns.rules.ts
   * matchingCampaigns, in (startsAt, code) order), then one statement (campaign_effects) checks
   * each at the write (whether it gave at the event's instant, audience for this member, arm, per-member limit, replay,
   * budget) and records the awards. The BONUS transactions it did not write itself (`lot.ledger`
   * false: a debt may need repaying first) are credited here and linked to their awards.
   * Returns the points given.
   */
  private async applyCampaigns(
    tx: EntityManager, account: repo.AccountRow, active: ActiveCampaigns, memberId: string, source: string, event: EffectEvent, lot: BonusLot, field: string,
  ): Promise<number> {
    const plans = awardsThatFit(campaignPlans(active, event), account);
    if (!plans.length) return 0;
    const input = { memberId, source, at: event.at, ledger: lot.ledger, activatesAt: lot.activatesAt, expiresAt: lot.expiresAt, plans };
    return this.settleEffects(tx, account, await repo.campaignEffects(tx, input), input, field);
  }

  /**
   * After campaign_effects: the account as the awards left it, and the BONUS transactions the
   * statement did not write itself (`ledger` false: a debt may need repaying first, or the lot
   * is under the watermark) credited here and linked to their awards. Returns the points given.
   */
  private async settleEffects(tx: EntityManager, account: repo.AccountRow, rows: repo.CampaignEffectRow[], e: repo.CampaignEffectsInput, field: string): Promise<number> {
    let given = 0;
    for (const row of rows) {
      if (row.status !== 'AWARDED' || row.points <= 0) continue;
      given += row.points;
      if (e.ledger) {
        account.balance += row.points;
        account.lifetimeEarned += row.points;
        continue;
      }
      const { transaction } = await this.credit(tx, account, {
        memberId: e.memberId, type: 'BONUS', amount: row.points, occurredAt: e.at, activatesAt: e.activatesAt, expiresAt: e.expiresAt,
        reason: `campaign ${row.code}`, reference: row.code, idempotencyKey: `campaign:${row.code}:${e.source}`, countsAsEarned: true, field,
      });
      await linkAwardTransaction(tx, row.awardId!, transaction.id);
    }
    return given;
  }

  /** REGISTRATION campaigns' effects for a member just registered (members.service.ts register, in its transaction; its account is new). */
  async registrationEffects(tx: EntityManager, memberId: string, at: Date): Promise<void> {
    const active = await this.campaignsNow(tx);
    if (!mayApply(active, ['REGISTRATION'], at)) return;
    const settings = await programmeSettings(tx);
    const account: repo.AccountRow = { balance: 0, lifetimeEarned: 0 };
    await this.applyCampaigns(tx, account, active, memberId, `registration:${memberId}`, { trigger: 'REGISTRATION', at }, this.spendableLot(at, settings.pointsExpiryMonths), 'memberId');
  }

  /** When a purchase's lot becomes spendable (after the pending days) and when it expires. */
  private lotDates(occurredAt: Date, config: ProgrammeConfig): { activatesAt: Date; expiresAt: Date | null } {
    const activatesAt = addDaysUtc(occurredAt, config.pointsPendingDays);
    return { activatesAt, expiresAt: lotExpiry(activatesAt, config.pointsExpiryMonths, addMonthsUtc) };
  }

  /**
   * The purchase statement by statement, after purchase_facts (its qualifying entry is written):
   * the tier history brought up to date as of the purchase (a review due at its very instant
   * counts the entry), then it earns at the tier held at its instant, and the upgrade check follows.
   */
  private async purchaseStepwise(tx: EntityManager, p: PurchaseInHand, config: ProgrammeConfig, account: repo.AccountRow): Promise<EarnResult> {
    const { input, memberId, amountCents, occurredAt } = p;
    const qualifying = basePoints(amountCents, config.pointsPerUnit);
    const tier = this.tiers ? await this.tiers.prepare(tx, memberId, occurredAt) : { tierId: null, multiplier: 1, settled: true, upgrade: null, rerate: [] };
    const earned = earnedPoints(amountCents, config.pointsPerUnit, tier.multiplier);
    if (!fitsPoints(earned)) throw pointsOutOfRange('amount');
    const { activatesAt, expiresAt } = this.lotDates(occurredAt, config);
    let transaction: TransactionRow | null = null;
    let lotId: string | null = null;
    if (earned > 0) {
      ({ transaction, lotId } = await this.credit(tx, account, {
        memberId, type: 'EARN', amount: earned, occurredAt, activatesAt, expiresAt, field: 'amount',
        reference: input.orderId, idempotencyKey: `purchase:${input.orderId}`, orderId: input.orderId, countsAsEarned: true,
      }));
    }
    const upgrade = tier.settled ? { change: tier.upgrade, rerate: [] } : qualifying > 0 ? await this.tiers!.upgrade(tx, memberId, occurredAt) : { change: null, rerate: [] };
    await this.rerate(tx, account, memberId, [...tier.rerate, ...upgrade.rerate]);
    await repo.insertPurchase(tx, {
      orderId: input.orderId, memberId, amountCents, earned, qualifying, lotId, transactionId: transaction?.id ?? null, occurredAt,
      occurredAtGiven: input.occurredAt != null, tierChangeId: upgrade.change?.id ?? null, earnedTierId: tier.tierId, pointsPerUnit: config.pointsPerUnit,
    });
    return { memberId, pointsEarned: earned, qualifyingPointsEarned: qualifying, transaction, tierChange: upgrade.change };
  }

  /**
   * Earns again, at the multiplier of the tier the history now holds at its instant, each
   * purchase a backdated fact moved (a backdated upgrade before it, a refund that undid one): as if
   * the facts had arrived in date order. The difference, net of what refunds reversed (their
   * share of the new earning), goes to or comes from the purchase's own lot (an ADJUST dated at
   * the purchase); on a lot an expiry run has expired, the ledger books it as the date order
   * would have (moveRerated: the debits after it re-planned with a raise, what the lot then holds
   * beyond what had expired expiring). Lifetime points follow the earning.
   */
  private async rerate(tx: EntityManager, account: repo.AccountRow, memberId: string, list: RerateAt[]): Promise<void> {
    for (const r of list) {
      const p = await repo.purchaseToRerate(tx, r.orderId);
      const ppu = p.ppu ?? (await programmeSettings(tx)).pointsPerUnit;
      const earned = earnedPoints(p.amountCents, ppu, r.multiplier);
      const reversed = Number((BigInt(earned) * BigInt(p.refundedCents)) / BigInt(p.amountCents));
      await repo.setPurchaseEarning(tx, r.orderId, earned, reversed, r.tierId);
      const net = (earned - reversed) - (p.earned - p.reversed);
      if (earned !== p.earned || net !== 0) await this.moveRerated(tx, account, memberId, r.orderId, p, net, earned - p.earned);
    }
  }

  private async moveRerated(tx: EntityManager, account: repo.AccountRow, memberId: string, orderId: string, p: repo.RerateRow, net: number, earnedDelta: number): Promise<void> {
    const reason = `rate corrected: order ${orderId} earns at the tier held at its instant`;
    if (p.lotId && !p.live) {
      const lotId = p.lotId;
      const at = p.expiresAt!.getTime();
      const expired = p.remaining ?? 0;
      const adjust = async (amount: number) => {
        const txn = await repo.insertTransaction(tx, {
          memberId, type: 'ADJUST', amount, balanceAfter: account.balance + amount, occurredAt: p.occurredAt, expiresAt: p.expiresAt, reason, reference: orderId,
        });
        account.balance += amount;
        return txn;
      };
      if (net > 0 && (await this.refundsReplannable(tx, memberId, p.activatesAt ?? p.occurredAt))) {
        // A lot an expiry run has expired, holding more from the purchase's instant: the debits
        // after it take from it as if it had always held that much (replan, as for any credit: what
        // they leave on live lots is the member's again), and what is left of it beyond what had
        // expired expires (an EXPIRE dated at the expiry that took the lot; less than had expired:
        // a positive correction). The ADJUST first, so no balanceAfter on the way is below the balance.
        const txn = await adjust(net);
        await repo.growLot(tx, lotId, net);
        const left = (await this.replan(tx, account, memberId, p.activatesAt ?? p.occurredAt, lotId, txn.id)) ?? expired + net;
        await this.expiryMoves(tx, account, memberId, new Map([[at, left - expired]]), repo.UNEXPIRE_REASON);
      } else {
        // Holding less from the purchase's instant: what it held when it expired is less by the
        // difference (no more than it held), which did not expire after all and is taken back at
        // once: a positive EXPIRE dated at the expiry that took the lot, then the ADJUST, so the
        // balance stays and no balanceAfter on the way is below it. A raise where the refunds
        // after it are not re-planned (a debt, a programme allowing a negative balance:
        // replanWithRefunds' cases): earned and expired at once, the debits left as they are
        // (what a re-plan freed would not go back to those refunds).
        const moved = net > 0 ? net : -Math.min(-net, Math.max(expired, 0));
        if (moved > 0) {
          await adjust(moved);
          await this.expiryMoves(tx, account, memberId, new Map([[at, moved]]), reason);
        } else if (moved < 0) {
          await this.expiryMoves(tx, account, memberId, new Map([[at, moved]]), reason);
          await adjust(moved);
        }
        await repo.resizeExpiredLot(tx, lotId, net);
      }
      await repo.saveAccount(tx, memberId, account.balance, earnedDelta);
      account.lifetimeEarned += earnedDelta;
      return;
    }
    if (net > 0) {
      // The credit expires with the lot it goes to (the purchase's, or a new one dated at the
      // purchase): its transaction says when, as an EARN's and an adjustment's do (and so does its points.adjusted event).
      const settings = p.lotId ? null : await programmeSettings(tx);
      const activatesAt = settings ? addDaysUtc(p.occurredAt, settings.pointsPendingDays) : null;
      const expiresAt = settings ? lotExpiry(activatesAt!, settings.pointsExpiryMonths, addMonthsUtc) : p.expiresAt;
      const txn = await repo.insertTransaction(tx, {
        memberId, type: 'ADJUST', amount: net, balanceAfter: account.balance + net, occurredAt: p.occurredAt, expiresAt, reason, reference: orderId,
      });
      let lotId = p.lotId;
      if (lotId) {
        await repo.growLot(tx, lotId, net);
      } else {
        lotId = await repo.insertLot(tx, {
          memberId, transactionId: txn.id, points: net, remaining: net, earnedAt: p.occurredAt, activatesAt: activatesAt!, expiresAt, orderId,
        });
        await repo.setPurchaseLot(tx, orderId, lotId);
      }
      account.balance += net;
      // A credit dated at the purchase: the debits after it take from the lot it grew as if it had always held that much.
      await this.replan(tx, account, memberId, p.activatesAt ?? activatesAt!, lotId, txn.id);
    } else if (net < 0) {
      // As a refund at the purchase's lot would (before the debits dated after it).
      await this.beforeLaterDebits(tx, account, memberId, p.activatesAt ?? p.occurredAt, () => this.rerateDown(tx, account, memberId, orderId, p, net, reason));
    }
    await repo.saveAccount(tx, memberId, account.balance, earnedDelta);
    account.lifetimeEarned += earnedDelta;
  }

  /**
   * Whether the refunds dated at or after `from` would be re-planned with the debits
   * (replanWithRefunds): not when one left a debt or gave back more than it took, nor in a
   * programme that allows a negative balance. Then the debits are re-planned alone, and points a
   * re-plan frees stay with the member where in date order such a refund would have taken them.
   */
  private async refundsReplannable(tx: EntityManager, memberId: string, from: Date): Promise<boolean> {
    if ((await programmeSettings(tx)).allowNegativeBalance) return false;
    return !(await repo.refundsFrom(tx, memberId, from)).some((r) => r.debt || r.outstanding < 0);
  }

  /** A re-rating's lowered earning taken back. */
  private async rerateDown(tx: EntityManager, account: repo.AccountRow, memberId: string, orderId: string, p: repo.RerateRow, net: number, reason: string): Promise<void> {
    // From the purchase's own lot first, then as a refund takes (soonest-expiring); what is not there is recorded unrecovered.
    const lots = await repo.openLots(tx, memberId);
    const { takes, shortfall } = consumeLotsFifo(lots.filter((l) => l.remaining > 0), -net, { preferLotId: p.lotId ?? undefined });
    const taken = -net - shortfall;
    const txn = await repo.insertTransaction(tx, {
      memberId, type: 'ADJUST', amount: -taken, balanceAfter: account.balance - taken, occurredAt: p.occurredAt, reason, reference: orderId, unrecovered: shortfall,
    });
    await repo.applyTakes(tx, memberId, txn.id, takes);
    if (p.lotId) await repo.addLotPoints(tx, p.lotId, net);
    account.balance -= taken;
  }

  /** The stored result of an earlier purchase with this orderId, or CONFLICT if it differs. */
  private async replayPurchase(input: RecordPurchaseInput, memberId: string, amountCents: number, em: EntityManager = this.em): Promise<EarnResult | null> {
    const p = await repo.storedPurchase(em, input.orderId);
    if (!p) return null;
    // Without occurredAt a retry is the same purchase; with it, the instant must be the stored one
    // (whether the first run was given it or took the server's clock).
    const sameWhen = input.occurredAt == null || p.occurredAt.getTime() === new Date(input.occurredAt).getTime();
    if (p.memberId !== memberId || Number(p.amountCents) !== amountCents || !sameWhen) {
      throw conflict(`Order ${input.orderId} was already recorded with another payload`, { field: 'orderId' });
    }
    // Linked by id: another order's change at the same instant is not it (as it stands now: superseded once a backdated fact replaced it).
    const tierChange = p.tierChangeId && this.tiers ? await this.tiers.changeById(em, p.tierChangeId) : null;
    const transaction = await repo.findTransaction(em, p.transactionId);
    return {
      // The first answer's points: its EARN transaction's (a re-rate since moved earned_points by an ADJUST of its own).
      memberId, pointsEarned: transaction?.type === 'EARN' ? transaction.amount : p.earned, qualifyingPointsEarned: p.qualifying,
      transaction, tierChange,
      bonusOf: async () => await awardedPoints(this.em, memberId, [`purchase:${input.orderId}`, ...(p.tierChangeId ? [`tier:${p.tierChangeId}`] : [])])
        + await refereePointsOfOrder(this.em, memberId, input.orderId),
    };
  }

  // ---- refunds -----------------------------------------------------------------------

  async refundPurchase(actor: Actor, input: RefundPurchaseInput, now = new Date(), options: WriteOptions = {}): Promise<EarnResult> {
    const refundCents = cents(input.amount, 'amount');
    const occurredAt = resolveOccurredAt(actor, input.occurredAt, now);
    const earlier = await this.replayRefund(input, refundCents);
    if (earlier) return earlier;
    // After the replay: a refund recorded before this rule still answers its retries.
    const refusal = refundIdRefusal(input.refundId);
    if (refusal) throw badInput('refundId', refusal);
    const memberId = await repo.purchaseOwner(this.em, input.orderId);
    if (memberId == null) throw notFound('Order', input.orderId);
    return this.withAccount(memberId, async (tx, account) => {
      if (options.silent) await suppressRowEvents(tx);
      const settled = await this.replayRefund(input, refundCents, tx);
      if (settled) return settled;
      return this.refundLocked(tx, account, memberId, input, refundCents, occurredAt, input.occurredAt == null);
    });
  }

  /**
   * An import's refundedAmount: the order's refunded total as of the file. What the order has
   * not had refunded yet is refunded (refund id 'import:<orderId>:<total in cents>', so that the
   * same file imported again, or a larger total later, is keyed apart); nothing when it has had
   * that much already (the file imported again, a refund the API recorded, a history import's
   * refundedAmount); BAD_USER_INPUT when it has had more.
   */
  async refundImported(actor: Actor, input: { orderId: string; refundedCents: number; occurredAt: Date }, options: WriteOptions = {}): Promise<void> {
    const memberId = await repo.purchaseOwner(this.em, input.orderId);
    if (memberId == null) throw notFound('Order', input.orderId);
    // The refunded total is read with the account held, as every refund of the order writes it:
    // a refund that commits while this waits is counted, not made a second time.
    await this.withAccount(memberId, async (tx, account) => {
      if (options.silent) await suppressRowEvents(tx);
      const refunded = (await repo.refundedCentsOf(tx, input.orderId))!;
      if (refunded > input.refundedCents) {
        throw badInput('refundedAmount', `Order ${input.orderId} has had ${refunded / 100} refunded already, more than refundedAmount`);
      }
      if (refunded === input.refundedCents) return;
      const refund = { orderId: input.orderId, refundId: importRefundId(input.orderId, input.refundedCents), amount: (input.refundedCents - refunded) / 100 };
      await this.refundLocked(tx, account, memberId, refund, input.refundedCents - refunded, resolveOccurredAt(actor, input.occurredAt, new Date()));
    });
  }

  /**
   * The refund, its member's account held: the reversal it makes, taken from the lots (as they
   * were at its instant), its qualifying points attributed, the tier history after it, and the
   * purchase and refund rows.
   */
  private async refundLocked(
    tx: EntityManager, account: repo.AccountRow, memberId: string, input: RefundPurchaseInput, refundCents: number, given: Date, undated = false,
  ): Promise<EarnResult> {
    const p = await repo.purchaseToRefund(tx, input.orderId, given);
    const purchasedAt = new Date(p.occurredAt);
    // A refund sent without occurredAt happens now, but never before its purchase: one dated
    // ahead of the server's clock (within the skew a back end's clock is allowed) is refunded at
    // its own instant, not refused over a field the client did not send.
    const occurredAt = undated && given < purchasedAt ? purchasedAt : given;
    if (occurredAt < purchasedAt) throw badInput('occurredAt', `A refund cannot be dated before its purchase (${purchasedAt.toISOString()})`);
    // Before the member's debits dated after it (a refund synced late): they take again after it.
    const refund = () => this.refundAt(tx, account, memberId, input, refundCents, occurredAt, purchasedAt, p);
    const { refundsAfter, ...result } = p.debitsAfter ? await this.beforeLaterDebits(tx, account, memberId, occurredAt, refund) : await refund();
    // Dated before refunds already written (synced late): every refund and debit from it on is
    // taken again in date order (replan), so that the earlier refund has first pick.
    // Or fallen short with a debit or a cancellation dated after it: a cancelled redemption that held
    // the points gives them back at its cancellation, where in date order the refund takes what it lacks from them.
    const short = (result.transaction?.unrecovered ?? 0) > 0 && p.debitsAfter && (await repo.cancelledFrom(tx, memberId, occurredAt));
    if ((refundsAfter || short) && result.transaction) await this.replan(tx, account, memberId, occurredAt, null, result.transaction.id, true);
    return result;
  }

  /** The refund at its instant, on the lots as they were then (refundLocked). */
  private async refundAt(
    tx: EntityManager, account: repo.AccountRow, memberId: string, input: RefundPurchaseInput, refundCents: number, occurredAt: Date, purchasedAt: Date,
    p: repo.RefundedPurchase,
  ): Promise<EarnResult & { refundsAfter: boolean }> {
    const reversal = reversalOf(p, refundCents, input.orderId);
    const debit = await this.planRefund(tx, memberId, p, reversal.points, occurredAt);
    const transaction = await this.bookReversal(tx, account, memberId, input, occurredAt, p.lotId, debit);
    // Dated at the purchase, so that it leaves the window the purchase was in; counting from the
    // millisecond after the refund (a refund never changes a decision made before it or at its
    // own instant: the next decision sees it).
    const qualifying = await this.attributeQualifying(tx, memberId, input, refundCents, occurredAt, purchasedAt, p);
    // Recorded on the purchase before the tier history is re-decided: a refund that re-rates its own
    // purchase (at a review's instant) nets what it reversed out of the new earning, as any later refund would.
    await repo.addRefunded(tx, input.orderId, refundCents, reversal.points, reversal.qualifying);
    if (qualifying.changed && this.tiers) await this.rerate(tx, account, memberId, await this.tiers.afterRefund(tx, memberId, occurredAt));
    let bonusBack = p.hasAwards ? await this.reverseAwards(tx, account, memberId, input, p, refundCents, occurredAt) : 0;
    // The purchase completed its member's referral: refunded in full within the hold, both sides' points go back (issue 25).
    if (p.referralId && p.refundedCents + refundCents >= p.amountCents) {
      bonusBack += await this.reverseReferral(tx, account, memberId, await lockCompletedReferral(tx, p.referralId), occurredAt, {
        key: `refund:${input.refundId}`, reason: `refund ${input.refundId}`, why: REVERSAL_REASON,
      });
    }
    const { refundsAfter } = await repo.insertRefund(tx, {
      refundId: input.refundId, orderId: input.orderId, memberId, amountCents: refundCents, pointsReversed: reversal.points,
      qualifyingReversed: qualifying.own, bonusReversed: bonusBack, transactionId: transaction?.id ?? null, occurredAt,
    });
    return { memberId, pointsEarned: -reversal.points, qualifyingPointsEarned: -qualifying.own, transaction, tierChange: null, bonusPoints: -bonusBack, refundsAfter };
  }

  /**
   * A refund takes back the campaigns' points the purchase gave, each award pro rata as the
   * purchase's own (campaigns.rules.ts awardReversal: cumulative, floored), from the award's
   * own BONUS lot first (pending points cancelled), as a REFUND_REVERSAL of its own (key
   * 'refund:<refundId>:campaign:<code>'); the award records it and the campaign's budget gets it
   * back. Coupons the purchase's campaigns issued stay issued (docs/decisions.md). Returns the
   * points taken back.
   */
  private async reverseAwards(
    tx: EntityManager, account: repo.AccountRow, memberId: string, input: RefundPurchaseInput, p: repo.RefundedPurchase, refundCents: number, occurredAt: Date,
  ): Promise<number> {
    let back = 0;
    for (const award of await purchaseAwards(tx, memberId, input.orderId)) {
      const points = awardReversal(award.points, p.amountCents, p.refundedCents + refundCents, award.reversedPoints);
      if (points <= 0) continue;
      const lotId = award.transactionId ? await repo.lotOfTransaction(tx, award.transactionId) : null;
      const debit = await this.planRefund(tx, memberId, { lotId }, points, occurredAt);
      await this.bookReversal(tx, account, memberId, input, occurredAt, lotId, debit, {
        key: `refund:${input.refundId}:campaign:${award.code}`, reason: `refund ${input.refundId}: campaign ${award.code}`,
      });
      await reverseAward(tx, award, memberId, points, debit.plan.unrecovered);
      back += points;
    }
    return back;
  }

  /**
   * A full refund of the purchase that completed a referral, within the hold (the refund dated
   * before the referral's points activate), or its referee's erasure then (reverseReferralOfErased):
   * both sides' REFERRAL points taken back from their own pending lots (REFUND_REVERSAL
   * transactions of their own, keys '<as.key>:referral:referrer|referee', `as.key` being
   * 'refund:<refundId>' or 'erasure:<memberId>'), the REFERRAL campaigns' awards to the
   * referrer too (as a refund reverses a purchase's awards), and the referral REVERSED with
   * `as.why`. After the hold nothing changes: it stays COMPLETED. `r`: the referral, locked
   * (null: not COMPLETED; nothing to do). The referee's account is held (`account`); the
   * referrer's is locked after it (db/locks.ts: referee, then referrer); an erased referrer
   * forfeited its balance, so only the referee's side goes back, and the referrer's side is
   * unrecovered (referralStats' pointsGiven keeps it: the reversal took none of it back). Returns the referee's points it
   * reversed (part of the refund's bonusPoints).
   */
  private async reverseReferral(
    tx: EntityManager, account: repo.AccountRow, memberId: string, r: ReversibleReferral | null, occurredAt: Date,
    as: { key: string; reason: string; why: string },
  ): Promise<number> {
    if (!r || occurredAt >= r.activatesAt) return 0;
    // A refund dated before the completion it undoes (a backdated refund of a purchase whose
    // completion was recorded later) reverses it at the completion, not before it existed.
    const at = occurredAt < r.completedAt ? r.completedAt : occurredAt;
    const referrer = await lockAccount(tx, r.referrerId);
    const ref = { orderId: r.orderId, refundId: as.key };
    // The referrer's rows name the referral, as its REFERRAL row does, never the referee's order or
    // refund (domain.md: each side sees the other only by id and a masked name).
    const referrerRow = (reason: string) => ({ reason: `${REFERRER_REVERSAL}: ${reason}`, reference: r.id });
    let unrecovered = 0; // what a side had spent already: given and kept (referralStats' pointsGiven keeps it)
    const side = async (acc: repo.AccountRow, id: string, points: number, lotId: string | null, role: 'referee' | 'referrer') => {
      if (points <= 0) return;
      const debit = await this.planRefund(tx, id, { lotId }, points, at);
      unrecovered += debit.plan.unrecovered;
      const row = role === 'referee' ? { reason: `${as.reason}: referral` } : referrerRow(as.why);
      await this.bookReversal(tx, acc, id, ref, at, lotId, debit, { key: `${as.key}:referral:${role}`, ...row });
    };
    await side(account, memberId, r.refereePoints, r.refereeLotId, 'referee');
    if (referrer) {
      await side(referrer, r.referrerId, r.referrerPoints, r.referrerLotId, 'referrer');
      for (const award of await sourceAwards(tx, r.referrerId, `referral:${r.id}`)) {
        const points = award.points - award.reversedPoints;
        if (points <= 0) continue;
        const lotId = award.transactionId ? await repo.lotOfTransaction(tx, award.transactionId) : null;
        const debit = await this.planRefund(tx, r.referrerId, { lotId }, points, at);
        await this.bookReversal(tx, referrer, r.referrerId, ref, at, lotId, debit, {
          key: `${as.key}:referral:campaign:${award.code}`, ...referrerRow(`referral campaign ${award.code}`),
        });
        await reverseAward(tx, award, r.referrerId, points, debit.plan.unrecovered);
      }
      // Its coupons too, while unused (their stock and budget given back): held like the points, not given for a referral undone.
      await this.coupons?.cancelReversedCoupons(tx, r.referrerId, `referral:${r.id}`, `${REFERRER_REVERSAL}: ${as.why}`, new Date());
    } else {
      // The referrer was erased: its erasure forfeited its side, which this reversal takes nothing of; given, not taken back.
      unrecovered += Math.max(r.referrerPoints, 0);
    }
    await markReferralReversed(tx, r.id, at, as.why, unrecovered);
    return Math.max(r.refereePoints, 0);
  }

  /**
   * At its erasure (`at`, its account held), the referral the member completed as referee, while
   * its points are still held: reversed as a full refund of its purchase within the hold would
   * reverse it (reverseReferral, keys 'erasure:<memberId>:referral:…', reason
   * ERASED_REFEREE_REASON). The hold is the time in which a refund may still undo a referral,
   * and no refund reaches an erased member's orders (its writes are NOT_FOUND): kept, the
   * referral would pay its referrer for a purchase that a refund could no longer take back.
   * After the hold it stays COMPLETED. Before closeForErasure, which forfeits what is left.
   */
  async reverseReferralOfErased(tx: EntityManager, account: LockedAccount, memberId: string, at: Date): Promise<void> {
    const r = await lockCompletedReferralOfReferee(tx, memberId);
    await this.reverseReferral(tx, account, memberId, r, at, { key: `erasure:${memberId}`, reason: ERASED_REFERRAL, why: ERASED_REFEREE_REASON });
  }

  /**
   * Where a refund's reversal comes from (planRefundDebit), on the lots as they were at the
   * refund's instant: an expiry run made since then (a refund arriving late) has not taken the
   * lots the refund takes from away. Takes from lots the run has expired since are apart
   * (`fromExpired`): those points did not expire after all (bookReversal corrects the expiry).
   */
  private async planRefund(tx: EntityManager, memberId: string, p: { lotId: string | null }, points: number, occurredAt: Date): Promise<RefundDebit> {
    const settings = await programmeSettings(tx);
    const { open, expiredSince: gone } = await repo.lotsAt(tx, memberId, occurredAt);
    const lots = [...await this.settleDebts(tx, memberId, open, occurredAt), ...gone];
    const own = lots.find((l) => l.id === p.lotId);
    const pendingForOrder = own && own.activatesAt > occurredAt ? own.remaining : 0;
    const plan = planRefundDebit({
      reversal: points, pendingForOrder, ownLotId: p.lotId ?? undefined, asOf: occurredAt,
      lots: lots.filter((l) => l.remaining > 0 && l.activatesAt <= occurredAt),
      allowNegativeBalance: settings.allowNegativeBalance,
    });
    const expired = new Set(gone.map((l) => l.id));
    const pending = plan.cancelPending > 0 && p.lotId ? [{ lotId: p.lotId, amount: plan.cancelPending }] : [];
    const fromExpired = [...pending, ...plan.takes].filter((t) => expired.has(t.lotId));
    plan.takes = plan.takes.filter((t) => !expired.has(t.lotId));
    if (pending.length && expired.has(pending[0].lotId)) plan.cancelPending = 0;
    if (plan.negative > 0) {
      // The debt this refund leaves is repaid by pending lots when they activate (settleDebts). Those
      // an expiry run has expired since would have repaid it before they expired: they repay it now,
      // without touching the balance (the run has taken their points off already).
      const sources = gone.filter((l) => l.id !== p.lotId && l.activatesAt > occurredAt && l.expiresAt);
      if (sources.length) {
        const debt: DebtLot = { id: '0', remaining: -plan.negative, earnedAt: occurredAt, activatesAt: occurredAt, expiresAt: null, transactionId: '' };
        const until = new Date(Math.max(...sources.map((l) => l.expiresAt!.getTime())));
        const { moves } = settleDebtPlan<DebtLot>([debt, ...sources], until);
        for (const m of moves) {
          plan.negative -= m.amount;
          fromExpired.push({ lotId: m.from, amount: m.amount });
        }
      }
    }
    return { plan, fromExpired, gone };
  }

  /** The REFUND_REVERSAL transaction of a planned debit, its takes, a debt lot for what goes below zero; null when it takes nothing. */
  private async bookReversal(
    tx: EntityManager, account: repo.AccountRow, memberId: string, input: Pick<RefundPurchaseInput, 'orderId' | 'refundId'>, occurredAt: Date, ownLotId: string | null,
    { plan, fromExpired, gone }: RefundDebit,
    as: { key: string; reason: string; /** the row's reference when not the order's (its negative lot then names no order) */ reference?: string } = {
      key: `refund:${input.refundId}`, reason: `refund ${input.refundId}`,
    },
  ): Promise<TransactionRow | null> {
    const taken = plan.cancelPending + plan.takes.reduce((s, t) => s + t.amount, 0) + plan.negative + fromExpired.reduce((s, t) => s + t.amount, 0);
    if (!(taken > 0 || plan.unrecovered > 0)) return null;
    // What it takes from lots an expiry run has expired since did not expire after all: corrected first, then the whole reversal.
    await this.unexpireTaken(tx, account, memberId, fromExpired, gone);
    const balanceAfter = account.balance - taken;
    const transaction = await repo.insertTransaction(tx, {
      memberId, type: 'REFUND_REVERSAL', amount: -taken, balanceAfter, occurredAt, reference: as.reference ?? input.orderId,
      reason: as.reason, idempotencyKey: as.key, unrecovered: plan.unrecovered,
    });
    const takes = plan.cancelPending > 0 && ownLotId ? [{ lotId: ownLotId, amount: plan.cancelPending }, ...plan.takes] : plan.takes;
    // Takes from expired lots are recorded too (their points unexpired above).
    await repo.applyTakes(tx, memberId, transaction.id, mergeTakes([...takes, ...fromExpired]));
    if (plan.negative > 0) {
      await repo.insertLot(tx, {
        memberId, transactionId: transaction.id, points: -plan.negative, remaining: -plan.negative,
        earnedAt: occurredAt, activatesAt: occurredAt, expiresAt: null, orderId: as.reference === undefined ? input.orderId : null,
      });
    }
    await repo.saveAccount(tx, memberId, balanceAfter, 0);
    account.balance = balanceAfter; // a re-rating after the refund (afterRefund) goes on from here
    return transaction;
  }

  /**
   * The qualifying points each refund of the order reverses, as if the refunds had arrived in
   * date order (then refund id): refund k reverses floor(Q × refunded through k / amount) minus
   * what those before it reverse. Its entry is dated at the purchase and counts from just after
   * the refund (reversalCountsFrom), so a refund arriving before an earlier-dated one would otherwise carry the other's
   * rounding. The new refund's entry is written; a later-dated refund whose share moves gets a
   * correction entry under its own source. What the order had refunded with no refund row (a
   * history import's refundedAmount: its purchase's qualifying entry is net of floor(Q × that /
   * amount)) comes first, so that the order's refunds together reverse floor(Q × refunded total /
   * amount), all of Q once it is refunded in full. Returns the new refund's share and whether any
   * entry was written (the tier history is then rebuilt from the refund's instant, the earliest that changed).
   */
  private async attributeQualifying(
    tx: EntityManager, memberId: string, input: RefundPurchaseInput, refundCents: number, occurredAt: Date, purchasedAt: Date,
    p: { amountCents: number; qualifying: number; refundedCents: number },
  ): Promise<{ own: number; changed: boolean }> {
    const others = await repo.refundsOfOrder(tx, input.orderId);
    const all = [...others, { id: input.refundId, at: occurredAt, cents: refundCents, recorded: 0 }]
      .sort((a, b) => a.at.getTime() - b.at.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    let refunded = p.refundedCents - others.reduce((t, r) => t + r.cents, 0);
    let before = Number((BigInt(p.qualifying) * BigInt(refunded)) / BigInt(p.amountCents));
    let own = 0;
    let changed = false;
    for (const r of all) {
      refunded += r.cents;
      const through = Number((BigInt(p.qualifying) * BigInt(refunded)) / BigInt(p.amountCents));
      const share = through - before;
      before = through;
      if (r.id === input.refundId) own = share;
      if (share === r.recorded) continue;
      await repo.addQualifying(tx, memberId, purchasedAt, r.recorded - share, `refund:${r.id}`, reversalCountsFrom(r.id === input.refundId ? occurredAt : r.at));
      changed = true;
    }
    return { own, changed };
  }

  private async replayRefund(input: RefundPurchaseInput, refundCents: number, em: EntityManager = this.em): Promise<EarnResult | null> {
    const r = await repo.storedRefund(em, input.refundId);
    if (!r) return null;
    // As for purchases: a retry without occurredAt is the same refund; with it, only at the stored instant.
    const sameWhen = input.occurredAt == null || r.occurredAt.getTime() === new Date(input.occurredAt).getTime();
    if (r.orderId !== input.orderId || Number(r.amountCents) !== refundCents || !sameWhen) {
      throw conflict(`Refund ${input.refundId} was already recorded with another payload`, { field: 'refundId' });
    }
    // Its member was erased since: a retry is a write for that member, NOT_FOUND (its stored answer would show the member).
    if (r.memberErased) throw notFound('Member', r.memberId);
    return {
      memberId: r.memberId, pointsEarned: -r.points, qualifyingPointsEarned: -r.qualifying,
      transaction: await repo.findTransaction(em, r.transactionId), tierChange: null, bonusPoints: -r.bonusReversed,
    };
  }

  // ---- adjustments and debits ------------------------------------------------------

  /**
   * `jobKey`: a scheduled job's own key for its adjustment (the birthday job's
   * 'birthday:<member>:<year>'), kept apart from the keys admins give (stored 'adjust:<key>'):
   * an admin's adjustment keyed 'birthday:<member>:<year>', a natural key for a hand-given
   * birthday bonus, took the job's key and made every later run CONFLICT.
   */
  async adjustPoints(actor: Actor, input: AdjustPointsInput, now = new Date(), jobKey?: string): Promise<TransactionRow> {
    const memberId = memberIdOrFail(input.memberId);
    if (!Number.isInteger(input.amount) || input.amount === 0) throw badInput('amount', 'amount must be a non-zero integer');
    assertReason(input.reason); // shown in the member's ledger and the audit log: not only spaces
    const occurredAt = resolveOccurredAt(actor, input.occurredAt, now);
    const key = jobKey ?? `adjust:${input.idempotencyKey}`;
    // The payload: member, amount, reason, and occurredAt when the retry gives one (the stored
    // instant, as a purchase's). The scheduled jobs' own writes (SYSTEM_ACTOR, keys made of the
    // member and the period) replay at a later run's instant: the birthday job adjusts before it
    // records the year's grant, and the next day's run after a crash between the two must find
    // its first gift under the key.
    const sameWhen = (t: TransactionRow) => input.occurredAt == null || actor === SYSTEM_ACTOR || t.occurredAt.getTime() === new Date(input.occurredAt).getTime();
    const same = (t: TransactionRow) => t.memberId === memberId && t.amount === input.amount && t.reason === input.reason && sameWhen(t);
    const replay = async (em: EntityManager) => {
      const t = await repo.findTransactionByKey(em, key);
      // Erased since: NOT_FOUND as every write for it (before the payload check: the erasure scrubbed the reason it compares).
      if (t && t.memberErased && t.memberId === memberId) throw notFound('Member', memberId);
      if (t && !same(t)) throw conflict(`Idempotency key ${input.idempotencyKey} was used with another payload`, { field: 'idempotencyKey' });
      return t;
    };
    return idempotentWrite(this.em, replay, () => withinPointsRange('amount', () => this.withAccount(memberId, async (tx, account) => {
      const settled = await replay(tx);
      if (settled) return settled;
      const balanceBefore = account.balance; // credit and debit move `account` on
      let txn: TransactionRow;
      if (input.amount > 0) {
        const settings = await programmeSettings(tx);
        ({ transaction: txn } = await this.credit(tx, account, {
          memberId, type: 'ADJUST', amount: input.amount, occurredAt, activatesAt: occurredAt,
          expiresAt: lotExpiry(occurredAt, settings.pointsExpiryMonths, addMonthsUtc), field: 'amount',
          reason: input.reason, idempotencyKey: key, countsAsEarned: true,
        }));
      } else {
        txn = await this.debit(tx, account, {
          memberId, type: 'ADJUST', amount: -input.amount, occurredAt, reason: input.reason, idempotencyKey: key,
        });
      }
      this.audit.record(tx, actor, {
        action: 'points.adjust', entity: 'Member', entityId: memberId,
        before: { balance: balanceBefore }, after: { balance: txn.balanceAfter, amount: input.amount, reason: input.reason },
      });
      await tx.flush();
      return txn;
    }, inTransaction)));
  }

  /**
   * Spends `amount` points from the member's spendable lots, soonest-expiring first.
   * INSUFFICIENT_POINTS when the spendable balance at occurredAt does not cover it, counting
   * what debits dated after it took of the lots spendable then (they take again after it, in
   * date order), and when one of those would then no longer fit.
   * For use inside a transaction that already holds the account lock (redemptions too).
   *
   * The lots are those spendable at occurredAt, as for a refund (planRefund): a debit dated
   * before an expiry run that has expired a lot since (a till's redemption synced late) takes
   * from that lot as it would have before the run; those points did not expire after all (a
   * positive EXPIRE correction dated at the expiry that took them, unexpireTaken), and the debit records its
   * whole amount. The same debit posted before the run gives the same balance, debit and net
   * expiry.
   */
  async debit(
    tx: EntityManager,
    account: repo.AccountRow,
    d: DebitInput,
  ): Promise<TransactionRow> {
    const at = await this.spendableAt(tx, d.memberId, d.occurredAt);
    if (at.available >= d.amount) return this.writeDebit(tx, account, d, at.spendable, at.gone, true);
    const refused = () => new AppError(ErrorCode.INSUFFICIENT_POINTS, `Needs ${d.amount} points, ${Math.max(at.available, 0)} available`, {
      required: d.amount, available: Math.max(at.available, 0),
    });
    // Dated before debits already written (a till's redemption synced late): in date order it had
    // first pick of the lots they took. Written before them if they all still fit after it
    // (beforeLaterDebits: undone, this one written, they take again in date order); refused if not.
    const before = await this.spendableBeforeLaterDebits(tx, d.memberId, d.occurredAt, at.spendable);
    if (before < d.amount) throw refused();
    return this.beforeLaterDebits(tx, account, d.memberId, d.occurredAt, async () => {
      const now = await this.spendableAt(tx, d.memberId, d.occurredAt);
      if (now.available < d.amount) throw refused();
      return this.writeDebit(tx, account, d, now.spendable, now.gone, false);
    });
  }

  /** The lots spendable at `at` (debts settled first), those an expiry run has expired since (`gone`) among them, and their sum. */
  private async spendableAt(tx: EntityManager, memberId: string, at: Date): Promise<{ spendable: repo.OpenLot[]; gone: repo.OpenLot[]; available: number }> {
    const { open, expiredSince } = await repo.lotsAt(tx, memberId, at);
    const lots = await this.settleDebts(tx, memberId, open, at);
    const gone = expiredSince.filter((l) => l.activatesAt <= at);
    const spendable = [...lots.filter((l) => l.activatesAt <= at && (l.expiresAt == null || l.expiresAt > at)), ...gone];
    return { spendable, gone, available: spendable.reduce((s, l) => s + l.remaining, 0) };
  }

  /**
   * What was spendable at `at` before the debits dated after it were written: `spendable`, and
   * what those debits (not cancelled) took of the lots spendable at `at`.
   */
  private async spendableBeforeLaterDebits(tx: EntityManager, memberId: string, at: Date, spendable: repo.OpenLot[]): Promise<number> {
    const heldBy = new Map<string, number>();
    for (const x of await repo.debitsFrom(tx, memberId, at)) {
      if (x.before || x.cancel || x.at.getTime() <= at.getTime()) continue;
      for (const t of x.takes) heldBy.set(t.lotId, (heldBy.get(t.lotId) ?? 0) + t.amount);
    }
    const available = spendable.reduce((sum, l) => sum + l.remaining, 0);
    if (!heldBy.size) return available;
    // Expired since by a run or not: at its instant the lot was spendable (what a later debit took of
    // one expired since comes back to the plan, and beforeLaterDebits books what expires then).
    const lots = await repo.lotsForPlan(tx, memberId, at, at, [...heldBy.keys()]);
    const reached = lots.filter((l) => l.activatesAt <= at && (l.expiresAt == null || l.expiresAt > at));
    return available + reached.reduce((sum, l) => sum + Math.max(heldBy.get(l.id) ?? 0, 0), 0);
  }

  /**
   * The debit written on `spendable` (soonest-expiring first); with `replanAfter`, the debits and
   * refunds dated after it then re-planned in date order (without: the caller re-plans them).
   */
  private async writeDebit(
    tx: EntityManager, account: repo.AccountRow, d: DebitInput, spendable: repo.OpenLot[], gone: repo.OpenLot[], replanAfter: boolean,
  ): Promise<TransactionRow> {
    const { takes } = consumeLotsFifo(spendable.filter((l) => l.remaining > 0), d.amount, { asOf: d.occurredAt });
    await this.unexpireTaken(tx, account, d.memberId, takes, gone);
    const balanceAfter = account.balance - d.amount;
    const txn = await repo.insertTransaction(tx, {
      memberId: d.memberId, type: d.type, amount: -d.amount, balanceAfter, occurredAt: d.occurredAt,
      reason: d.reason, reference: d.reference, idempotencyKey: d.idempotencyKey,
    });
    await repo.applyTakes(tx, d.memberId, txn.id, takes);
    const { debitsAfter } = await repo.saveAccount(tx, d.memberId, balanceAfter, 0, { from: d.occurredAt, except: txn.id, refunds: true });
    account.balance = balanceAfter;
    // Dated before debits already written (a till's redemption synced late): all of them are
    // planned again in date order, this one with them.
    // Or before refunds (dated after it, written before it): in date order it had first pick of the lots they took.
    if (debitsAfter && replanAfter) await this.replan(tx, account, d.memberId, d.occurredAt, null, txn.id, true);
    return txn;
  }

  /**
   * A backdated write re-plans the debits after it (docs/decisions.md, "A backdated credit
   * re-plans the debits after it"): every debit of the member (a redemption, a negative
   * adjustment; not one given back since) dated at or after `from` is undone and done again in
   * date order (then id), each soonest-expiring first among the lots spendable at its instant
   * (points.rules.ts replanDebits), each lot holding its remaining plus what those debits had
   * taken of it. All of them, not only those the new lot reaches: one that moves to the new lot
   * frees the lot it took from, which a later one should take instead of a later-expiring lot.
   * The changed takes are recorded as allocations of each debit's own transaction (a later
   * cancellation gives back to the right lots); the debits' amounts do not change. A lot an
   * expiry run has expired (at or below the watermark) keeps as its remaining what expired: if
   * the re-plan leaves it more, those points expired too (an EXPIRE dated at the expiry that took the lot, off the
   * balance); if less (debits that had arrived out of date order, now re-planned), they did not
   * expire after all (a positive EXPIRE correction, back on the balance). Points it frees on
   * live lots, and a credit's own lot (`offered`: what the debits left of it), first pay what
   * refunds that fell short still lack (recoverRefunds), each refund from the lots spendable at
   * its own instant: in date order it would have found them. `lotId`: the new lot (a credit's),
   * counted live here whatever its expiry (credit() expires what is left of it after this).
   * `causeId`: the transaction of the write that re-plans (the recoveries' keys name it);
   * `isDebit`: it is a debit (nothing to do without a debit dated after it). Returns the new
   * lot's remaining after the re-plan (and, offered, after the refunds took from it), or null
   * when nothing was re-planned and nothing offered.
   */
  private async replan(
    tx: EntityManager, account: repo.AccountRow, memberId: string, from: Date, lotId: string | null, causeId: string, isDebit = false,
    offered?: OfferedLot,
  ): Promise<number | null> {
    const windows = new Map<string, { activatesAt: Date; expiresAt: Date | null }>();
    let back: LotTake[] = [];
    let newRemaining: number | null = null;
    const withRefunds = await this.replanWithRefunds(tx, account, memberId, from, lotId, causeId, isDebit);
    if (withRefunds) {
      ({ back, newRemaining } = withRefunds);
      for (const [id, lot] of withRefunds.windows) windows.set(id, lot);
    } else {
      const found = await repo.debitsFrom(tx, memberId, from);
      const own = found.filter((d) => !d.before);
      if (own.length && !(isDebit && found.length === 1 && found[0].id === causeId)) {
        const { plan, lots, debits } = await this.planInDateOrder(tx, memberId, from, found, [], [], isDebit ? causeId : undefined);
        const { rows, held: delta } = replanChanges(debits.filter((d) => !d.before), plan.plans);
        const lotOf = new Map(lots.map((l) => [l.id, l]));
        const newLot = lotId ? lotOf.get(lotId) : undefined;
        const cancels = cancelChanges(debits, plan.returns, delta);
        if (rows.length || cancels.length) {
          await this.writeCancelCorrections(tx, account, memberId, causeId, cancels.filter((c) => c.more <= 0), rows);
          await repo.applyReplan(tx, memberId, rows);
          await this.expiredMoved(tx, account, memberId, delta, lotOf, lotId);
          await this.writeCancelCorrections(tx, account, memberId, causeId, cancels.filter((c) => c.more > 0), null);
          newRemaining = newLot ? newLot.remaining + (delta.get(newLot.id) ?? 0) : null;
          // Points freed on live lots (a debit moved off them).
          back = [...delta].filter(([id, change]) => change > 0 && id !== lotId && lotOf.get(id)!.live).map(([id, change]) => ({ lotId: id, amount: change }));
          for (const { lotId: id } of back) windows.set(id, lotOf.get(id)!);
        }
      }
    }
    // A credit's own lot, what the debits (and the refunds re-planned) left of it.
    const left = offered ? (newRemaining ?? offered.remaining) : 0;
    if (offered && left > 0) {
      back.push({ lotId: offered.id, amount: left });
      windows.set(offered.id, offered);
    }
    if (!back.length) return offered ? left : newRemaining;
    // They pay first what refunds that fell short still lack, each refund from the lots spendable
    // at its own instant (its own order's first), as in date order it would have found them.
    const usable = (id: string, at: Date) => spendableAt(windows.get(id)!, at);
    const takenFrom = await this.recoverRefunds(tx, account, memberId, null, causeId, back.sort((a, b) => compareLotIds(a.lotId, b.lotId)), null,
      offered ? 'paid by a credit dated before it' : 'freed when a backdated write re-planned the debits', usable, withRefunds?.from, withRefunds?.awards);
    return offered ? left - (takenFrom.get(offered.id) ?? 0) : newRemaining;
  }

  /**
   * replan with the member's refunds dated at or after `from` among its debits: every debit and
   * refund (its own reversal) dated then or later is undone and taken again in date order
   * (points.rules.ts replanTakes), a refund up to what it reversed, its order's lot first. A
   * refund that now finds more takes it in a REFUND_REVERSAL of its own dated at the refund (key
   * recoveryKey(causeId, its reversal)); one that finds less gives it back (a positive
   * REFUND_REVERSAL under the same key, its `unrecovered` what it gives back) and owes it again
   * (reversalOutstanding adds the recoveries up; a later credit pays it: recoverRefunds); give-backs
   * first, so no balanceAfter reads below 0; each is reported as points.adjusted. The debits keep their amounts;
   * what moves on expired lots moves what expired (expiredMoved). Null when there is no refund
   * to re-plan, or when a refund re-planned would leave a debit short (in date order it would
   * have been refused), a refund left a debt, or the programme allows a negative balance: replan
   * re-plans the debits alone then. Returns the points freed on live lots (`back`, which refunds
   * dated before `from` that fell short may take), their windows, and the new lot's remaining.
   */
  private async replanWithRefunds(
    tx: EntityManager, account: repo.AccountRow, memberId: string, from: Date, lotId: string | null, causeId: string, isDebit = false,
  ): Promise<{ back: LotTake[]; windows: Map<string, repo.PlanLotRow>; newRemaining: number | null; from: Date; awards: boolean } | null> {
    // From the earliest refund that still lacks points, if it is dated before: it may have fallen
    // short only because a debit dated after it held its lots when it arrived (the arrival's plan
    // kept when the debit no longer fitted), which what this write brings may now let fit.
    // The same for a campaign award's reversal (its award's BONUS lot first).
    const [short] = await repo.unrecoveredRefundsAfter(tx, memberId, null);
    const [shortAward] = await unrecoveredAwardReversals(tx, memberId, null);
    for (const r of [short, shortAward]) if (r && new Date(r.occurredAt).getTime() < from.getTime()) from = new Date(r.occurredAt);
    const own = await repo.refundsFrom(tx, memberId, from);
    // Campaign awards' reversals are re-planned with them, as they would have taken in date order;
    // an award's unrecovered points that come back go back to its campaign's budget (recoverAward).
    const awards = await awardReversalsFrom(tx, memberId, from);
    if (own.some((r) => r.debt || r.outstanding < 0)) return null;
    if (!own.length && !awards.length) return null;
    if ((await programmeSettings(tx)).allowNegativeBalance) return null;
    const found = await repo.debitsFrom(tx, memberId, from);
    // The award reversals re-planned (none once an attempt with them falls back, below).
    const awardIds = new Set(awards.filter((a) => !a.debt && a.outstanding >= 0).map((a) => a.id));
    const targetOf = (r: repo.RefundTakes): PlanRefund => ({
      id: r.id, at: r.at, ownLotId: r.ownLotId, target: r.takes.reduce((s, t) => s + t.amount, 0) + r.outstanding, award: awardIds.has(r.id),
    });
    const attempt = async (refunds: repo.RefundTakes[]) => {
      if (!refunds.length) return null;
      try {
        return await this.planInDateOrder(tx, memberId, from, found, refunds, refunds.map(targetOf), isDebit ? causeId : undefined);
      } catch (err) {
        if (err instanceof DebitsShortError || err instanceof MissingLotError) return null;
        throw err;
      }
    };
    // An award's reversal that would give points back (an earlier-dated refund now has first pick)
    // would have its campaign's budget pay them again, which the budget may no longer hold: then
    // the awards' reversals keep their takes and the refunds' own are re-planned alone.
    let refunds: repo.RefundTakes[] = [...own, ...awards.filter((a) => awardIds.has(a.id))];
    let planned = awardIds.size ? await attempt(refunds) : null;
    const givesBack = (p: NonNullable<typeof planned>) => awards.some((a) => awardIds.has(a.id)
      && takeChanges(a.takes, p.plan.plans.get(a.id)!).reduce((sum, c) => sum + c.amount, 0) < 0);
    if (!planned || givesBack(planned)) {
      refunds = own;
      awardIds.clear();
      planned = await attempt(own);
    }
    if (!planned) return null;
    const awardOf = new Map(awards.map((a) => [a.id, a.awardId]));
    const { plan, lots, debits } = planned;
    const lotOf = new Map(lots.map((l) => [l.id, l]));
    const { rows, held: delta } = replanChanges(debits.filter((d) => !d.before), plan.plans);
    const cancels = cancelChanges(debits, plan.returns, delta);
    // A cancellation that gives back more is written with the refunds' give-backs (first), one that gives back less after the expiry corrections.
    await this.writeCancelCorrections(tx, account, memberId, causeId, cancels.filter((c) => c.more <= 0), rows);
    let balance = account.balance;
    const changed = refunds.map((r) => {
      const changes = takeChanges(r.takes, plan.plans.get(r.id)!);
      return { r, changes, more: changes.reduce((s, c) => s + c.amount, 0) };
    }).filter((x) => x.changes.length);
    // What refunds give back is written before what others take, so that no balanceAfter reads below 0 on the way.
    for (const { r, changes, more } of changed.sort((a, b) => Math.sign(a.more) - Math.sign(b.more))) {
      for (const c of changes) delta.set(c.lotId, (delta.get(c.lotId) ?? 0) - c.amount);
      let txnId = r.id;
      if (more !== 0) {
        balance -= more;
        if (!fitsPoints(balance)) throw pointsOutOfRange('amount');
        // Keyed to the refund's reversal as every recovery is (reversalOutstanding adds them up:
        // one that gives back makes it owe again); a give-back's `unrecovered` is what it gives
        // back, so that the probes for refunds that fell short (a partial index on unrecovered > 0) find it.
        const written = await repo.insertTransaction(tx, {
          memberId, type: 'REFUND_REVERSAL', amount: -more, balanceAfter: balance, occurredAt: r.at, reference: r.orderId,
          reason: more > 0 ? `refund ${r.refundId}: points it could not take back, found when a backdated write re-planned it in date order`
            : `refund ${r.refundId}: points it took that date order leaves to an earlier write, given back until a later credit pays them`,
          idempotencyKey: recoveryKey(causeId, r.id), unrecovered: Math.max(-more, 0),
        });
        await emitRowEvent(tx, 'points.adjusted', memberId, {
          points: -more, balanceAfter: balance, reason: written.reason ?? null, reference: written.reference ?? null, expiresAt: null, transactionId: written.id,
        }, written.occurredAt);
        txnId = written.id;
        // An award's reversal only takes more (givesBack above): its award's unrecovered points fall, and they go back to the budget.
        if (awardIds.has(r.id)) await recoverAward(tx, awardOf.get(r.id)!, memberId, more);
      }
      rows.push(...changes.map((c) => ({ transactionId: txnId, ...c })));
    }
    await repo.applyReplan(tx, memberId, rows);
    if (balance !== account.balance) {
      account.balance = balance;
      await repo.saveAccount(tx, memberId, balance, 0);
    }
    await this.expiredMoved(tx, account, memberId, delta, lotOf, lotId);
    await this.writeCancelCorrections(tx, account, memberId, causeId, cancels.filter((c) => c.more > 0), null);
    const newLot = lotId ? lotOf.get(lotId) : undefined;
    const back = [...delta].filter(([id, change]) => change > 0 && id !== lotId && lotOf.get(id)!.live).map(([id, change]) => ({ lotId: id, amount: change }));
    return { back, windows: lotOf, newRemaining: newLot ? newLot.remaining + (delta.get(newLot.id) ?? 0) : null, from, awards: awardIds.size > 0 };
  }

  /**
   * The takes of `found` (debitsFrom) and `refunds` (with their `targets`) planned again in date
   * order (replanTakes) from the lots spendable from `from` on, each lot's capacity its remaining
   * plus what they hold of it (a cancellation's returns count as negative takes). Cancelled
   * redemptions are among them, each holding its takes until its cancellation; when one of them
   * would no longer fit (in date order it would have been refused, but it was made, and
   * cancelled), they are planned without the cancelled ones, which keep their takes. Returns the
   * plan, the lots and the debits planned. DebitsShortError when they do not fit without them
   * either; MissingLotError when a take names a lot the plan does not see.
   */
  private async planInDateOrder(
    tx: EntityManager, memberId: string, from: Date, found: repo.DebitTakes[], refunds: repo.RefundTakes[], targets: PlanRefund[], newDebit?: string,
  ): Promise<{ plan: ReturnType<typeof replanTakes>; lots: repo.PlanLotRow[]; debits: repo.DebitTakes[] }> {
    const attempt = async (debits: repo.DebitTakes[]) => {
      if (!debits.some((d) => !d.before) && !refunds.length) return { plan: { plans: new Map(), owed: new Map(), returns: new Map() }, lots: [], debits: [] };
      const taken = new Map<string, number>();
      const add = (takes: readonly LotTake[]) => {
        for (const t of takes) taken.set(t.lotId, (taken.get(t.lotId) ?? 0) + t.amount);
      };
      for (const d of debits) {
        if (!d.before) add(d.takes);
        if (d.cancel) add(d.cancel.takes);
      }
      for (const r of refunds) add(r.takes);
      const until = new Date(Math.max(...debits.map((d) => (d.cancel ?? d).at.getTime()), ...refunds.map((r) => r.at.getTime())));
      const owned = refunds.flatMap((r) => (r.ownLotId ? [r.ownLotId] : []));
      const lots = await repo.lotsForPlan(tx, memberId, from, until, [...new Set([...taken.keys(), ...owned, ...debits.flatMap((d) => d.takes.map((t) => t.lotId))])]);
      const ids = new Set(lots.map((l) => l.id));
      // With refunds (replanWithRefunds) every lot a take names; a cancelled debit's lots in any case (a debt's is not among them).
      if ((refunds.length && [...taken.keys()].some((id) => !ids.has(id))) || debits.some((d) => d.cancel && d.takes.some((t) => !ids.has(t.lotId)))) {
        throw new MissingLotError();
      }
      const capacities = lots.map((l) => ({ ...l, capacity: l.remaining + (taken.get(l.id) ?? 0) }));
      // A lot with less than nothing before a cancellation gave back: a write dated before `from` (not
      // re-planned) spent what the cancellation gave back, which in date order was not there yet.
      if (capacities.some((l) => l.capacity < 0)) throw new MissingLotError();
      const plan = replanTakes(capacities, planDebitsOf(debits).map((d, i) => (debits[i].before ? { ...d, held: debits[i].takes } : d)), targets);
      return { plan, lots, debits };
    };
    // A cancellation dated before its debit (a broken ledger) or a debit no longer fitting: without the cancelled ones.
    const withCancels = found.every((d) => !d.cancel || d.cancel.at.getTime() >= d.at.getTime());
    if (withCancels && found.some((d) => d.cancel)) {
      try {
        return await attempt(found);
      } catch (err) {
        // The debit being written is the one that does not fit: at its instant a cancelled redemption still held the points it counted on.
        if (err instanceof DebitsShortError && err.debitId === newDebit) {
          const amount = found.find((d) => d.id === newDebit)!.takes.reduce((sum, t) => sum + t.amount, 0);
          const available = Math.max(amount - err.shortfall, 0);
          throw new AppError(ErrorCode.INSUFFICIENT_POINTS, `Needs ${amount} points, ${available} available at its instant (a cancelled redemption held the rest until its cancellation)`, {
            required: amount, available,
          });
        }
        if (!(err instanceof DebitsShortError || err instanceof MissingLotError)) throw err;
      }
    }
    return attempt(found.filter((d) => !d.cancel));
  }

  /**
   * Writes what re-planned cancellations give back more or less (cancelChanges): a
   * REDEMPTION_CANCEL each, dated at the cancellation, keyed cancelReplanKey(causeId, its debit),
   * reported as points.adjusted; their changed takes are its allocations (into `rows`, applied by
   * the caller, or applied here when null). A cancellation whose total does not move has its
   * changed takes recorded on its own transaction.
   */
  private async writeCancelCorrections(
    tx: EntityManager, account: repo.AccountRow, memberId: string, causeId: string, cancels: CancelChange[], rows: { transactionId: string; lotId: string; amount: number }[] | null,
  ): Promise<void> {
    const out: { transactionId: string; lotId: string; amount: number }[] = [];
    for (const c of cancels) {
      let txnId = c.cancel.id;
      if (c.more !== 0 || txnId == null) {
        const balanceAfter = account.balance - c.more;
        if (!fitsPoints(balanceAfter)) throw pointsOutOfRange('amount');
        const written = await repo.insertTransaction(tx, {
          memberId, type: 'REDEMPTION_CANCEL', amount: -c.more, balanceAfter, occurredAt: c.cancel.at, reference: c.cancel.reference,
          reason: c.more < 0 ? 'cancellation: points it gives back once a backdated write re-planned the redemption in date order'
            : 'cancellation: points that expired while the redemption held them, once a backdated write re-planned it in date order',
          idempotencyKey: cancelReplanKey(causeId, c.debitId),
        });
        await emitRowEvent(tx, 'points.adjusted', memberId, {
          points: -c.more, balanceAfter, reason: written.reason ?? null, reference: written.reference ?? null, expiresAt: null, transactionId: written.id,
        }, written.occurredAt);
        account.balance = balanceAfter;
        txnId = written.id;
      }
      out.push(...c.changes.map((t) => ({ transactionId: txnId, ...t })));
    }
    if (cancels.some((c) => c.more !== 0)) await repo.saveAccount(tx, memberId, account.balance, 0);
    if (rows) rows.push(...out);
    else await repo.applyReplan(tx, memberId, out);
  }

  /**
   * After a re-plan: the lots an expiry run has expired (not live; `except` aside) that hold `delta`
   * more (+) or less (−) now: what expired moves with them, an EXPIRE dated at the expiry that took them
   * (one per instant), the balance with it.
   */
  private async expiredMoved(
    tx: EntityManager, account: repo.AccountRow, memberId: string, delta: Map<string, number>, lotOf: Map<string, repo.PlanLotRow>, except: string | null,
  ): Promise<void> {
    const expired = new Map<number, number>();
    for (const [id, change] of delta) {
      const lot = lotOf.get(id)!;
      if (lot.live || id === except || change === 0) continue;
      expired.set(lot.expiresAt!.getTime(), (expired.get(lot.expiresAt!.getTime()) ?? 0) + change);
    }
    await this.expiryMoves(tx, account, memberId, expired, repo.UNEXPIRE_REASON);
  }

  /**
   * What expired moving, by the lots' expiry instants (+: more expired, −: less): an EXPIRE each,
   * dated at the expiry that took the lots' points off the balance (repo.expiryDates: the run's
   * EXPIRE, dated at the latest expiry it covered), so that each period's expired points are
   * those of the same facts in date order; the balance with it. What no longer expires first
   * (`unexpired`: its reason), then what expires more, each by date, so that no balanceAfter on
   * the way reads below 0.
   */
  private async expiryMoves(tx: EntityManager, account: repo.AccountRow, memberId: string, byExpiry: Map<number, number>, unexpired: string): Promise<void> {
    if (![...byExpiry.values()].some((p) => p !== 0)) return;
    const dates = await repo.expiryDates(tx, memberId, [...byExpiry.keys()].map((t) => new Date(t)));
    const expired = new Map<number, number>();
    for (const [at, points] of byExpiry) {
      const on = (dates.get(at) ?? new Date(at)).getTime();
      expired.set(on, (expired.get(on) ?? 0) + points);
    }
    let moved = false;
    for (const [at, points] of [...expired].sort((a, b) => Math.sign(a[1]) - Math.sign(b[1]) || a[0] - b[0])) {
      if (points === 0) continue;
      const balanceAfter = account.balance - points;
      if (!fitsPoints(balanceAfter)) throw pointsOutOfRange('amount');
      await repo.insertTransaction(tx, {
        memberId, type: 'EXPIRE', amount: -points, balanceAfter, occurredAt: new Date(at),
        reason: points > 0 ? repo.EXPIRE_REASON : unexpired,
      });
      account.balance = balanceAfter;
      moved = true;
    }
    if (moved) await repo.saveAccount(tx, memberId, account.balance, 0);
  }

  /**
   * A write dated before an expiry run that has expired lots since (a till's redemption synced
   * late, a late refund) took from those lots (`gone`; its other `takes` are left out) as it
   * would have before the run: those points did not expire after all. A positive EXPIRE correction (expiryMoves: dated at the expiry that took them), written
   * before the write's own transaction (which then records its whole amount, as in date order).
   */
  private async unexpireTaken(
    tx: EntityManager, account: repo.AccountRow, memberId: string, takes: readonly LotTake[], gone: readonly { id: string; expiresAt: Date | null }[],
  ): Promise<void> {
    const expiry = new Map(gone.map((l) => [l.id, l.expiresAt]));
    const expired = new Map<number, number>();
    for (const t of takes) {
      const at = expiry.get(t.lotId);
      if (!at || t.amount === 0) continue;
      expired.set(at.getTime(), (expired.get(at.getTime()) ?? 0) - t.amount);
    }
    await this.expiryMoves(tx, account, memberId, expired, repo.TAKEN_BEFORE_EXPIRY_REASON);
  }

  /**
   * `work`, a write dated `from` that takes from the member's lots without being a debit (a
   * refund's reversal, a re-rating that lowers an earning), done as if it had arrived before
   * the debits dated at or after `from`: their takes are undone, `work` takes from the lots as
   * they were before those debits, and the debits take again after it in date order (replan's
   * rules, replanTakes). Cancelled redemptions are among them, each holding its takes until its
   * cancellation (what a cancellation dated after `from` gave back is undone too, and given back
   * again at its instant; what it gives back more or less is a correction, as in replan). When
   * they no longer fit (in date order one of them would have been refused for want of points: a
   * debit written cannot be refused now), all of that is rolled back to a savepoint and tried
   * without the cancelled ones, then `work` takes from the lots as they are, as before.
   */
  private async beforeLaterDebits<T>(tx: EntityManager, account: repo.AccountRow, memberId: string, from: Date, work: () => Promise<T>): Promise<T> {
    const found = (await repo.debitsFrom(tx, memberId, from)).filter((d) => d.takes.length);
    const plain = found.filter((d) => !d.cancel);
    const attempts = found.some((d) => d.cancel) && found.every((d) => !d.cancel || d.cancel.at.getTime() >= d.at.getTime()) ? [found, plain] : [plain];
    const held = { ...account };
    // Its own savepoint: `work` may call this again (a refund re-rating a purchase down), and a name
    // used twice would roll the outer attempt back to the inner one's.
    const savepoint = `before_later_debits_${++savepoints}`;
    for (const debits of attempts) {
      const own = debits.filter((d) => !d.before);
      if (!own.length) continue;
      await tx.execute(`savepoint ${savepoint}`);
      const cancelRows = (sign: 1 | -1) => debits.flatMap((d) => (d.cancel?.id ? d.cancel.takes.map((t) => ({ transactionId: d.cancel!.id!, lotId: t.lotId, amount: sign * t.amount })) : []));
      await repo.applyReplan(tx, memberId, [...own.flatMap((d) => d.takes.map((t) => ({ transactionId: d.id, lotId: t.lotId, amount: -t.amount }))), ...cancelRows(-1)]);
      const result = await work();
      const taken = new Set(debits.flatMap((d) => d.takes.map((t) => t.lotId)));
      const until = new Date(Math.max(...debits.map((d) => (d.cancel ?? d).at.getTime())));
      const lots = await repo.lotsForPlan(tx, memberId, from, until, [...taken]);
      const lotOf = new Map(lots.map((l) => [l.id, l]));
      let plan: ReturnType<typeof replanTakes> | null = null;
      if (debits.every((d) => !d.cancel || d.takes.every((t) => lotOf.has(t.lotId)))) {
        try {
          plan = replanTakes(lots.map((l) => ({ ...l, capacity: Math.max(l.remaining, 0) })), planDebitsOf(debits).map((d, i) => (debits[i].before ? { ...d, held: debits[i].takes } : d)), []);
        } catch (err) {
          if (!(err instanceof DebitsShortError)) throw err;
        }
      }
      if (!plan) {
        await tx.execute(`rollback to savepoint ${savepoint}`);
        await tx.execute(`release savepoint ${savepoint}`);
        Object.assign(account, held);
        continue;
      }
      await tx.execute(`release savepoint ${savepoint}`);
      // The cancellations' returns as they were, then what moves of them (writeCancelCorrections).
      await repo.applyReplan(tx, memberId, [...own.flatMap((d) => plan.plans.get(d.id)!.map((t) => ({ transactionId: d.id, ...t }))), ...cancelRows(1)]);
      // What each lot holds more (+) or less (−) than before the undo: the old takes against the plans.
      const { held: delta } = replanChanges(own, plan.plans);
      const cancels = cancelChanges(debits, plan.returns, delta);
      const cause = `w${randomUUID().replaceAll('-', '')}`;
      await this.writeCancelCorrections(tx, account, memberId, cause, cancels.filter((c) => c.more <= 0), null);
      await this.expiredMoved(tx, account, memberId, delta, lotOf, null);
      await this.writeCancelCorrections(tx, account, memberId, cause, cancels.filter((c) => c.more > 0), null);
      return result;
    }
    return work();
  }

  /**
   * Gives a debit's points back to the lots it took them from (a cancelled redemption): only to
   * lots still live and not past their expiry at `occurredAt` (points of a lot that has expired
   * since stay expired). One transaction of `type` for what goes back, none when nothing does;
   * BAD_USER_INPUT on `field` when the balance would leave its range. Then the refunds the debit
   * kept short (they could not take back all they reversed because it had spent those points:
   * their `unrecovered`) take what they lack from what came back (`recoverRefunds`), so that a
   * refunded order's points do not come back to the member with the cancellation.
   * Returns the points given back and those the refunds took. For use inside a transaction that
   * already holds the account lock.
   */
  async giveBack(
    tx: EntityManager,
    account: repo.AccountRow,
    g: {
      memberId: string; debitTransactionId: string; type: repo.NewTransaction['type']; occurredAt: Date; reason: string; reference: string;
      idempotencyKey: string; field: string;
    },
  ): Promise<{ returned: number; recovered: number }> {
    const back = await repo.returnableTakes(tx, g.debitTransactionId, g.occurredAt);
    const returned = back.reduce((s, b) => s + b.amount, 0);
    if (returned <= 0) return { returned: Math.max(returned, 0), recovered: 0 };
    const balanceAfter = account.balance + returned;
    if (!fitsPoints(balanceAfter)) throw badInput(g.field, `Returning ${returned} points would take the balance beyond ${MAX_POINTS}`);
    const txn = await repo.insertTransaction(tx, {
      memberId: g.memberId, type: g.type, amount: returned, balanceAfter, occurredAt: g.occurredAt,
      reason: g.reason, reference: g.reference, idempotencyKey: g.idempotencyKey,
    });
    await repo.applyTakes(tx, g.memberId, txn.id, back.map((b) => ({ lotId: b.lotId, amount: -b.amount })));
    await repo.saveAccount(tx, g.memberId, balanceAfter, 0);
    account.balance = balanceAfter;
    // Each refund only from the lots spendable at its own instant: never a lot earned after it.
    const windows = new Map(back.map((b) => [b.lotId, b]));
    const usable = (lotId: string, at: Date) => spendableAt(windows.get(lotId)!, at);
    const takenFrom = await this.recoverRefunds(tx, account, g.memberId, g.debitTransactionId, txn.id, back.map((b) => ({ lotId: b.lotId, amount: b.amount })), g.occurredAt,
      'returned by a cancellation', usable);
    const recovered = [...takenFrom.values()].reduce((a, b) => a + b, 0);
    return { returned, recovered };
  }

  /**
   * The refunds the debit `debitId` may have kept short (dated at or after it, or recorded after
   * it; null: every refund that fell short) whose reversal left points unrecovered take what they
   * still lack from the points the write `causeId` gave back or brought (`back`: a cancellation's,
   * what a re-plan freed, a credit's own lot), each from the lots `usable` at its own instant
   * (default: all), as a REFUND_REVERSAL of its own, key recoveryKey(causeId, the refund's
   * reversal), referencing the order, dated `occurredAt` (null: at the refund's own instant, and
   * reported as a points.adjusted event of its own), its reason saying how the points came
   * (`how`): the refund's reversal in full at last, as date order would have made it. Returns
   * what it took from each lot.
   */
  private async recoverRefunds(
    tx: EntityManager, account: repo.AccountRow, memberId: string, debitId: string | null, causeId: string, back: readonly LotTake[], occurredAt: Date | null, how: string,
    usable?: (lotId: string, at: Date) => boolean, before?: Date, awardsBefore = false,
  ): Promise<Map<string, number>> {
    // The refunds' own reversals (`before`: only those dated before it, the others re-planned
    // already), then their campaign awards' (each award's unrecovered points fall and go back to
    // its budget; `awardsBefore`: they were re-planned with them, the same), each group oldest first.
    const dated = (r: { occurredAt: Date | string }) => !before || new Date(r.occurredAt).getTime() < before.getTime();
    const own = (await repo.unrecoveredRefundsAfter(tx, memberId, debitId)).filter(dated);
    const awards = (await unrecoveredAwardReversals(tx, memberId, debitId)).filter((r) => !awardsBefore || dated(r));
    const owed = [...own.map((r) => ({ ...r, awardId: null as string | null })), ...awards];
    const takenFrom = new Map<string, number>();
    if (!owed.length) return takenFrom;
    // recoveryTakes pairs its plan with `owed` by a key of each: the reversal's transaction id.
    const plan = recoveryTakes(back, await repo.ordersOfLots(tx, back.map((b) => b.lotId)),
      owed.map((o) => ({ ...o, refundId: o.reversalId, occurredAt: usable ? new Date(o.occurredAt) : undefined })), usable);
    let recovered = 0;
    for (const { refundId: reversalId, takes } of plan) {
      const refund = owed.find((o) => o.reversalId === reversalId)!;
      const taken = takes.reduce((s, t) => s + t.amount, 0);
      const balanceAfter = account.balance - taken;
      const reversal = await repo.insertTransaction(tx, {
        memberId, type: 'REFUND_REVERSAL', amount: -taken, balanceAfter, occurredAt: occurredAt ?? new Date(refund.occurredAt), reference: refund.orderId,
        reason: `refund ${refund.refundId}: points it could not take back, ${how}`, idempotencyKey: recoveryKey(causeId, reversalId),
      });
      await repo.applyTakes(tx, memberId, reversal.id, takes);
      if (refund.awardId) await recoverAward(tx, refund.awardId, memberId, taken);
      // A cancellation's event carries its recoveries (redemption.cancelled: pointsTakenByRefunds);
      // a late write's have no event of their own to ride on: each is reported as the ledger
      // change it is, so that a receiver following balanceAfter keeps the ledger's balance.
      if (!occurredAt) {
        await emitRowEvent(tx, 'points.adjusted', memberId, {
          points: -taken, balanceAfter, reason: reversal.reason ?? null, reference: refund.orderId, expiresAt: null, transactionId: reversal.id,
        }, reversal.occurredAt);
      }
      account.balance = balanceAfter;
      recovered += taken;
      for (const t of takes) takenFrom.set(t.lotId, (takenFrom.get(t.lotId) ?? 0) + t.amount);
    }
    if (recovered > 0) await repo.saveAccount(tx, memberId, account.balance, 0);
    return takenFrom;
  }

  /**
   * Adds a lot and its transaction; a debt lot left by an earlier refund is repaid first, and the
   * debits dated at or after the lot's activation are re-planned with it (replan).
   */
  private async credit(
    tx: EntityManager,
    account: repo.AccountRow,
    c: {
      memberId: string; type: repo.NewTransaction['type']; amount: number; occurredAt: Date; activatesAt: Date; expiresAt: Date | null;
      reason?: string | null; reference?: string | null; idempotencyKey: string; orderId?: string | null; countsAsEarned: boolean;
      /** The input the points come from, named when they would not fit. */
      field: string;
    },
  ): Promise<{ transaction: TransactionRow; lotId: string }> {
    const balanceAfter = account.balance + c.amount;
    if (!fitsPoints(balanceAfter) || (c.countsAsEarned && !fitsPoints(account.lifetimeEarned + c.amount))) throw pointsOutOfRange(c.field);
    const transaction = await repo.insertTransaction(tx, {
      memberId: c.memberId, type: c.type, amount: c.amount, balanceAfter, occurredAt: c.occurredAt,
      expiresAt: c.expiresAt, reason: c.reason, reference: c.reference, idempotencyKey: c.idempotencyKey,
    });
    let remaining = c.amount;
    const owes = account.balance < 0 || (await repo.hasDebt(tx, c.memberId));
    if (owes) {
      const lots = await this.settleDebts(tx, c.memberId, await repo.openLots(tx, c.memberId), c.occurredAt);
      // Spendable at once: it repays what is still owed now. Pending: when it activates (settleDebts).
      if (c.activatesAt <= c.occurredAt) remaining = await this.repayDebt(tx, c.memberId, transaction.id, c.amount, lots);
    }
    const lotId = await repo.insertLot(tx, {
      memberId: c.memberId, transactionId: transaction.id, points: c.amount, remaining,
      earnedAt: c.occurredAt, activatesAt: c.activatesAt, expiresAt: c.expiresAt, orderId: c.orderId,
    });
    const clock = await repo.saveAccount(tx, c.memberId, balanceAfter, c.countsAsEarned ? c.amount : 0, { from: c.activatesAt, shortRefunds: true });
    account.balance = balanceAfter;
    if (c.countsAsEarned) account.lifetimeEarned += c.amount;
    // Backdated before debits already written: they take from it as if it had arrived first
    // (before its own arrival-expiry below, so that only what is left of it then expires).
    if (remaining > 0 && clock.debitsAfter) {
      const offered = { id: lotId, remaining, activatesAt: c.activatesAt, expiresAt: c.expiresAt };
      remaining = (await this.replan(tx, account, c.memberId, c.activatesAt, lotId, transaction.id, false, offered)) ?? remaining;
    }
    // Under the watermark the lot is not live: its points expire as they arrive.
    if (remaining > 0 && c.expiresAt && clock.expiredThrough && c.expiresAt.getTime() <= clock.expiredThrough.getTime()) {
      // Pending points repay a debt when they activate (settleDebts), which for a lot under the
      // watermark happened before it expired: it repays now what it would have then, and the rest expires.
      if (owes && c.activatesAt > c.occurredAt) {
        remaining -= await this.repayOnActivation(tx, c.memberId, {
          id: lotId, remaining, earnedAt: c.occurredAt, activatesAt: c.activatesAt, expiresAt: c.expiresAt, transactionId: transaction.id,
        });
      }
      if (remaining > 0) await this.expireOnArrival(tx, account, c.memberId, remaining, c.expiresAt);
    }
    return { transaction, lotId };
  }

  /**
   * A pending lot written under the watermark (it activated and expired before it arrived): the
   * member's debts it would have repaid at its activation (settleDebtPlan, as of its expiry), repaid
   * from it now. Returns the points it repaid.
   */
  private async repayOnActivation(tx: EntityManager, memberId: string, lot: DebtLot): Promise<number> {
    if (!lot.expiresAt) return 0;
    const debts = (await repo.openLots(tx, memberId)).filter((l) => l.remaining < 0);
    const settled = await this.settleDebts<DebtLot>(tx, memberId, [...debts, lot], lot.expiresAt);
    return lot.remaining - settled.find((l) => l.id === lot.id)!.remaining;
  }

  /** Moves up to `amount` into debt lots (of `lots`, the member's open lots); returns what is left for the new lot. */
  private async repayDebt(tx: EntityManager, memberId: string, transactionId: string, amount: number, lots: repo.OpenLot[]): Promise<number> {
    const debts = lots.filter((l) => l.remaining < 0).sort((a, b) => Number(a.id) - Number(b.id));
    let left = amount;
    const takes = [];
    for (const d of debts) {
      if (left === 0) break;
      const repay = Math.min(left, -d.remaining);
      takes.push({ lotId: d.id, amount: -repay });
      left -= repay;
    }
    await repo.applyTakes(tx, memberId, transactionId, takes);
    return left;
  }

  /**
   * Repays debts (negative lots a refund left) from lots that have become spendable by `asOf`:
   * pending points repay a debt when they activate, not when they are earned. No job activates
   * lots, so every write that uses a member's lots settles first (credit, debit, refund), and so
   * does the expiry run before it expires a member with a debt. A lot repays a debt only if it
   * had not expired by the time it would have (its activation, or the debt's start if later).
   * `lots` are the member's open lots; returns them as settled.
   */
  private async settleDebts<T extends DebtLot>(tx: EntityManager, memberId: string, lots: T[], asOf: Date): Promise<T[]> {
    const debts = lots.filter((l) => l.remaining < 0);
    if (!debts.length) return lots;
    const { moves, settled } = settleDebtPlan(lots, asOf);
    if (!moves.length) return lots;
    // Recorded against the repaying lot's own transaction, as a credit's repayment is against the credit's.
    const byTxn = new Map<string, { lotId: string; amount: number }[]>();
    for (const m of moves) {
      byTxn.set(m.transactionId, [...(byTxn.get(m.transactionId) ?? []), { lotId: m.from, amount: m.amount }, { lotId: m.to, amount: -m.amount }]);
    }
    for (const [transactionId, takes] of byTxn) await repo.applyTakes(tx, memberId, transactionId, mergeTakes(takes));
    return settled;
  }

  // ---- activities -------------------------------------------------------------------

  async upsertActivityRule(actor: Actor, input: ActivityRuleInput) {
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(input.kind)) throw badInput('kind', 'kind uses letters, digits, _ . - only');
    if (!Number.isInteger(input.points) || input.points < 0) throw badInput('points', 'points must be a non-negative integer');
    if (!Number.isInteger(input.qualifyingPoints) || input.qualifyingPoints < 0) throw badInput('qualifyingPoints', 'qualifyingPoints must be a non-negative integer');
    if (input.dailyCap != null && (!Number.isInteger(input.dailyCap) || input.dailyCap < 1)) throw badInput('dailyCap', 'dailyCap must be a positive integer');
    return inTransaction(this.em, async (tx) => {
      const before = await repo.lockActivityRule(tx, input.kind);
      const otherCase = before ? null : await repo.otherCaseKind(tx, input.kind);
      if (otherCase) throw otherCaseOf('kind', 'activity rule', input.kind, otherCase);
      // Left out (null): an existing rule keeps whether members' apps may record it; a new one may not.
      const next = { ...input, memberMayRecord: input.memberMayRecord ?? before?.memberMayRecord ?? false };
      // The same rule again (a retry) writes nothing: no update, no audit entry.
      if (before && sameActivityRule(before, next)) return before;
      const after = await repo.upsertActivityRule(tx, next);
      this.audit.record(tx, actor, { action: before ? 'activityRule.update' : 'activityRule.create', entity: 'ActivityRule', entityId: input.kind, before, after });
      await tx.flush();
      return after;
    });
  }

  async activityRules(): Promise<repo.ActivityRuleRow[]> {
    return repo.activityRules(this.em);
  }

  async recordActivity(actor: Actor, given: RecordActivityInput, now = new Date()): Promise<EarnResult> {
    const memberId = memberIdOrFail(given.memberId);
    const occurredAt = resolveOccurredAt(actor, given.occurredAt, now);
    // A member's keys are its own namespace, back ends' the programme's (activityKeyOf).
    const input = { ...given, idempotencyKey: activityKeyOf(actor.role, memberId, given.idempotencyKey) };
    const replay = (em: EntityManager) => this.replayActivity(input, memberId, em, given.idempotencyKey);
    return idempotentWrite(this.em, replay, () => withinPointsRange('kind', () => this.withAccount(memberId, async (tx, account) => {
      const settled = await replay(tx);
      if (settled) return settled;
      const settings = await programmeSettings(tx);
      const { day, points, qualifying, capped } = await this.activityGrant(tx, memberId, input.kind, occurredAt, settings.timeZone, actor.role === 'member');
      const transaction = points > 0 ? await this.earnActivity(tx, account, memberId, input, points, occurredAt, settings) : null;
      await repo.addQualifying(tx, memberId, occurredAt, qualifying, `activity:${input.idempotencyKey}`);
      // Dated before now (a service's or an admin's instant): the windows after it count it too. One at now has nothing after it.
      if (qualifying > 0 && occurredAt < now) await assertQualifyingRoom(tx, memberId, occurredAt, settings.windowMonths, 'kind');
      const tierChange = qualifying > 0 ? await this.tierAfterQualifying(tx, account, memberId, occurredAt) : null;
      await repo.insertActivity(tx, {
        idempotencyKey: input.idempotencyKey, memberId, kind: input.kind, day, points, qualifying, transactionId: transaction?.id ?? null, occurredAt,
      });
      // An activity the daily cap left with nothing earns no campaign bonus either (else the cap is a bonus's to go around).
      const bonusPoints = capped ? 0 : await this.activityCampaigns(tx, account, memberId, input, occurredAt, now, settings, tierChange);
      return { memberId, pointsEarned: points, qualifyingPointsEarned: qualifying, transaction, tierChange, bonusPoints };
    })));
  }

  /** An activity's campaign effects: ACTIVITY campaigns (source 'activity:<key>'), then TIER_UPGRADE ones when it upgraded the member. */
  private async activityCampaigns(
    tx: EntityManager, account: repo.AccountRow, memberId: string, input: RecordActivityInput, at: Date, now: Date, settings: ProgrammeSettings, tierChange: TierChangeRef | null,
  ): Promise<number> {
    const active = await this.campaignsNow(tx);
    if (!mayApply(active, ['ACTIVITY'], at) && !mayApplyBetween(active, ['TIER_UPGRADE'], at, now)) return 0;
    const lot = this.spendableLot(at, settings.pointsExpiryMonths);
    let given = await this.applyCampaigns(tx, account, active, memberId, `activity:${input.idempotencyKey}`, { trigger: 'ACTIVITY', at, activityKind: input.kind }, lot, 'kind');
    if (tierChange?.kind === 'UPGRADE') {
      // The upgrade's own instant (a later fact's, when this backdated one tipped its window).
      const upAt = new Date(tierChange.occurredAt);
      given += await this.applyCampaigns(tx, account, await this.upgradeCampaigns(tx, active, tierChange), memberId, `tier:${tierChange.id}`, { trigger: 'TIER_UPGRADE', at: upAt },
        this.spendableLot(upAt, settings.pointsExpiryMonths), 'kind');
    }
    return given;
  }

  /**
   * The stored result of an earlier activity with this key, or CONFLICT if it differs (member,
   * kind, and occurredAt when the retry gives one: as a purchase's, it must be the stored
   * instant). `givenKey` is the key as the caller sent it, for the message.
   */
  private async replayActivity(input: RecordActivityInput, memberId: string, em: EntityManager, givenKey: string): Promise<EarnResult | null> {
    const a = await repo.storedActivity(em, input.idempotencyKey);
    if (!a) return null;
    const sameWhen = input.occurredAt == null || a.occurredAt.getTime() === new Date(input.occurredAt).getTime();
    if (a.memberId !== memberId || a.kind !== input.kind || !sameWhen) {
      throw conflict(`Idempotency key ${givenKey} was used with another payload`, { field: 'idempotencyKey' });
    }
    if (a.memberErased) throw notFound('Member', memberId); // erased since: as every write for it
    return { memberId, pointsEarned: a.points, qualifyingPointsEarned: a.qualifying, transaction: await repo.findTransaction(em, a.transactionId), tierChange: null };
  }

  /**
   * What the kind's active rule grants at `occurredAt` under its daily cap (the programme-local
   * day of `occurredAt` in `timeZone`); NOT_FOUND without an active rule.
   */
  private async activityGrant(
    tx: EntityManager, memberId: string, kind: string, occurredAt: Date, timeZone: string, byMember: boolean,
  ): Promise<{ day: string; points: number; qualifying: number; capped: boolean }> {
    const rule = await repo.activeRule(tx, kind);
    if (!rule) throw notFound('ActivityRule', kind);
    // A kind the app may not record is the brand's systems' to say (a review posted, a profile completed).
    if (byMember && !rule.memberMayRecord) throw new AppError(ErrorCode.FORBIDDEN, `Activity ${kind} is recorded by the brand's systems, not by the member's app`, { field: 'kind' });
    const day = localDate(occurredAt, timeZone);
    const already = await repo.activityPointsOn(tx, memberId, kind, day);
    return { day, ...activityGrant(rule, already) };
  }

  /** An activity's points: spendable at once, expiring pointsExpiryMonths later. */
  private async earnActivity(
    tx: EntityManager, account: repo.AccountRow, memberId: string, input: RecordActivityInput, points: number, occurredAt: Date, settings: ProgrammeSettings,
  ): Promise<TransactionRow> {
    const { transaction } = await this.credit(tx, account, {
      memberId, type: 'EARN', amount: points, occurredAt, activatesAt: occurredAt,
      expiresAt: lotExpiry(occurredAt, settings.pointsExpiryMonths, addMonthsUtc),
      reason: `activity ${input.kind}`, reference: input.kind, idempotencyKey: `activity:${input.idempotencyKey}`, countsAsEarned: true, field: 'kind',
    });
    return transaction;
  }

  /**
   * The id of the tier the member holds at `at` as a write there would decide it (a review due
   * by then counted, as catchUpTier makes it), writing nothing; null without a tier engine.
   */
  async heldTierAt(memberId: string, at: Date): Promise<string | null> {
    return this.tiers ? this.tiers.heldTierAt(this.em, memberId, at) : null;
  }

  /**
   * The member's tier history brought up to `at`, the account held: a review due by then (the
   * tier expired, the review job not yet run) is made first, exactly as a purchase at `at`
   * would make it (TierEngine.prepare), and what it re-rates is re-rated. For a write that
   * decides on the tier held at `at` without adding qualifying points (a tier-restricted
   * redemption). Returns the id of that tier (the member row's is today's: a backdated write
   * held another when a change is recorded after `at`), or null without a tier engine.
   */
  async catchUpTier(tx: EntityManager, account: repo.AccountRow, memberId: string, at: Date): Promise<string | null> {
    if (!this.tiers) return null;
    const tier = await this.tiers.prepare(tx, memberId, at);
    await this.rerate(tx, account, memberId, tier.rerate);
    return tier.tierId;
  }

  /** After qualifying points other than a purchase's: the tier history up to date, the upgrade check, and the re-ratings they bring. */
  private async tierAfterQualifying(tx: EntityManager, account: repo.AccountRow, memberId: string, occurredAt: Date): Promise<TierChangeRef | null> {
    if (!this.tiers) return null;
    const tier = await this.tiers.prepare(tx, memberId, occurredAt);
    const upgrade = tier.settled ? { change: tier.upgrade, rerate: [] } : await this.tiers.upgrade(tx, memberId, occurredAt);
    await this.rerate(tx, account, memberId, [...tier.rerate, ...upgrade.rerate]);
    return upgrade.change;
  }

  // ---- check-in ---------------------------------------------------------------------

  /**
   * A check-in's points, for the check-in module (check-in.service.ts), in its transaction with
   * the member's account held (db/locks.ts lockAccount): a CHECK_IN transaction (reference = the
   * programme-local day, keyed once per member and day) and a lot spendable at once, expiring
   * pointsExpiryMonths later, as an activity's; no pending days (there is nothing to return)
   * and no qualifying points (tiers measure spend: docs/decisions.md, "Daily check-in"). No
   * transaction when `points` is 0. Then the CHECK_IN campaigns' effects, as an activity's
   * (source 'check_in:<member>:<day>', what the campaign report reads back). Returns the transaction and
   * the campaign points given. `config`: the configuration the check-in decided with (its
   * version checked as the check-in began: the lot's expiry and the campaigns come from it).
   */
  async earnCheckIn(
    tx: EntityManager, account: LockedAccount, c: { memberId: string; day: string; points: number; at: Date }, config: ProgrammeConfig,
  ): Promise<{ transaction: TransactionRow | null; bonusPoints: number }> {
    return withinPointsRange('memberId', async () => {
      const transaction = c.points > 0 ? (await this.credit(tx, account, {
        memberId: c.memberId, type: 'CHECK_IN', amount: c.points, occurredAt: c.at, activatesAt: c.at,
        expiresAt: lotExpiry(c.at, config.pointsExpiryMonths, addMonthsUtc),
        reason: 'daily check-in', reference: c.day, idempotencyKey: `check-in:${c.memberId}:${c.day}`, countsAsEarned: true, field: 'memberId',
      })).transaction : null;
      const active = campaignsOf(config);
      const bonusPoints = mayApply(active, ['CHECK_IN'], c.at)
        ? await this.applyCampaigns(
          tx, account, active, c.memberId, `check_in:${c.memberId}:${c.day}`, { trigger: 'CHECK_IN', at: c.at }, this.spendableLot(c.at, config.pointsExpiryMonths), 'memberId',
        )
        : 0;
      return { transaction, bonusPoints };
    });
  }

  // ---- expiry -----------------------------------------------------------------------

  /**
   * Expires every live lot due at or before asOf: one EXPIRE transaction per member, dated at
   * the latest expiry it covers, and the member's watermark (`expired_through`) moves to asOf.
   * No lot is written: a lot at or below the watermark is expired by definition (see
   * docs/decisions.md, "Points expiry").
   *
   * Due members are found by expiry date above the floor (every lot at or below it has been
   * expired, late lots aside) and among the late lots. In batches on two connections, as the
   * search hands them over, one statement per batch sums each member's due lots and writes the
   * accounts and the EXPIRE transactions. The statement locks no account in advance: it updates an account only
   * if no write has touched it since the statement's snapshot (same row version, `xmin`), and
   * the members it skipped are expired again with their accounts locked. A second run, or one
   * on another instance at the same time, finds the watermarks moved and writes nothing twice.
   */
  async expirePoints(asOf: Date, batchSize = 10_000): Promise<{ processed: number; changed: number }> {
    // The floor this run may leave behind: asOf, or the start of the oldest transaction open now
    // if that is earlier: a lot written by a transaction still open is not in this run's snapshot,
    // but expires after that transaction's start, unless it is late (which the run finds apart).
    const { floor, next } = await repo.expiryFloor(this.em, asOf);
    let processed = 0;
    let changed = 0;
    // Two connections expire batches while a third reads the due members from one cursor, in id
    // order, a batch at a time: the search overlaps the writes instead of preceding them.
    await inSqlTransaction(this.em, async (search) => {
      await repo.openDueCursor(search, asOf, floor);
      const late = await repo.dueLate(this.em, asOf, floor);
      let exhausted = false;
      let lateTaken = 0;
      let fetching: Promise<string[] | null> = Promise.resolve(null);
      // The next batch: from the cursor, then the late members (one fetch at a time).
      const nextBatch = () => (fetching = fetching.then(async () => {
        if (!exhausted) {
          const ids = await repo.fetchDue(search, batchSize);
          exhausted = ids.length < batchSize;
          if (ids.length) return ids;
        }
        return lateTaken < late.length ? late.slice(lateTaken, (lateTaken += batchSize)) : null;
      }));
      const lanes = PacedLanes.steady(this.em, { ...EXPIRY_PACE, batch: batchSize });
      await lanes.drain(nextBatch, (batch) => lanes.inTurn(async () => {
        processed += batch.length;
        const n = await this.expireBatch(batch, asOf); // (not `changed += await …`: that reads `changed` before the wait)
        changed += n;
      }));
    });
    await repo.raiseExpiryFloor(this.em, next);
    return { processed, changed };
  }

  /** Expires one batch of members; the ones a concurrent write touched meanwhile, again under their locks. */
  private async expireBatch(memberIds: string[], asOf: Date): Promise<number> {
    const first = await inSqlTransaction(this.em, (tx) => repo.expireBatch(tx, memberIds, asOf, false));
    if (!first.skipped.length) return first.changed;
    return first.changed + await inSqlTransaction(this.em, async (tx) => {
      await lockAccounts(tx, first.skipped);
      // A member with a debt: lots that activated meanwhile repay it first (what they repaid does not expire).
      for (const id of await repo.debtors(tx, first.skipped)) await this.settleDebts(tx, id, await repo.openLots(tx, id), asOf);
      const locked = await repo.expireBatch(tx, first.skipped, asOf, true);
      return locked.changed;
    });
  }

  /** Expires a lot written at or below the account's watermark (a backdated earn): live only through an EXPIRE. */
  private async expireOnArrival(tx: EntityManager, account: repo.AccountRow, memberId: string, points: number, expiresAt: Date): Promise<void> {
    const balanceAfter = account.balance - points;
    await repo.insertTransaction(tx, {
      memberId, type: 'EXPIRE', amount: -points, balanceAfter, occurredAt: expiresAt, reason: repo.EXPIRE_REASON,
    });
    await repo.saveAccount(tx, memberId, balanceAfter, 0);
    account.balance = balanceAfter;
  }

  // ---- erasure ----------------------------------------------------------------------

  /**
   * A member's points closed for its erasure, in the erasure's transaction with its account held
   * (lockAccount): what is left (pending points and debts included) is forfeited by one ERASURE
   * transaction, dated `at`, that empties every live lot (its allocations say which), and the
   * account holds 0; nothing is written when nothing is left. Personal values (`personal`)
   * quoted in its transactions' reasons are replaced. Returns the points forfeited (negative
   * for a debt written off).
   */
  async closeForErasure(tx: EntityManager, memberId: string, account: LockedAccount, at: Date, personal: string[]): Promise<number> {
    if (personal.length) await repo.scrubTransactionReasons(tx, memberId, personal);
    if (account.balance === 0 && !(await repo.hasLiveLots(tx, memberId))) return 0;
    const transaction = await repo.insertTransaction(tx, {
      memberId, type: 'ERASURE', amount: -account.balance, balanceAfter: 0, occurredAt: at, reason: ERASURE_REASON, idempotencyKey: `erasure:${memberId}`,
    });
    await repo.emptyLiveLots(tx, memberId, transaction.id);
    await repo.saveAccount(tx, memberId, 0, 0);
    const forfeited = account.balance;
    account.balance = 0;
    return forfeited;
  }

  // ---- reads ------------------------------------------------------------------------

  /** Spendable, pending and lifetime points of each member at `now`; `em`: a caller's transaction to read in (a data export's snapshot). */
  async balances(memberIds: readonly string[], now = new Date(), em: EntityManager = this.em): Promise<Map<string, { balance: number; pending: number; lifetime: number }>> {
    const rows = await repo.balances(em, memberIds, now);
    return new Map(rows.map((r) => [r.memberId, r]));
  }

  /** When each member's pending points become spendable: one entry per instant, soonest first (their sum is the member's pending points). */
  async pendingActivations(memberIds: readonly string[], now = new Date()): Promise<{ activatesAt: Date; points: number }[][]> {
    const rows = await repo.pendingActivations(this.em, memberIds, now);
    const byMember = new Map<string, { activatesAt: Date; points: number }[]>();
    for (const r of rows) {
      const list = byMember.get(r.memberId) ?? [];
      list.push({ activatesAt: r.activatesAt, points: r.points });
      byMember.set(r.memberId, list);
    }
    return memberIds.map((id) => byMember.get(id) ?? []);
  }

  async expiring(keys: readonly { memberId: string; withinDays: number }[], now = new Date()): Promise<number[]> {
    const rows = await repo.expiring(this.em, keys, now);
    const map = new Map(rows.map((r) => [`${r.memberId}:${r.days}`, r.points]));
    return keys.map((k) => map.get(`${k.memberId}:${k.withinDays}`) ?? 0);
  }

  /**
   * The member's transactions, newest written first (the ledger's order, keyset on the
   * transaction id: each row's balanceAfter follows from the one below it, a backdated purchase
   * included), a page after `after` (a `txn` cursor of this member's: BAD_USER_INPUT otherwise).
   */
  async history(memberId: string, first: number, after: string | null): Promise<Page<TransactionRow>> {
    const rows = await repo.transactionsPage(this.em, memberId, first, decodeCursor(TXN_CURSOR, after, 'after', memberId));
    return pageOf(rows, first, (r) => encodeCursor(TXN_CURSOR, r.id, memberId));
  }

  /** history(memberId, first, null) for many members in one statement (a list of members, each with its pointsHistory), in `memberIds`' order. */
  async historyFirstPages(memberIds: readonly string[], first: number): Promise<Page<TransactionRow>[]> {
    const byMember = groupBy(await repo.transactionsFirstPages(this.em, memberIds, first + 1), (r) => r.memberId);
    return memberIds.map((id) => pageOf(byMember.get(id) ?? [], first, (r) => encodeCursor(TXN_CURSOR, r.id, id)));
  }
}

/** The points and qualifying points a refund reverses; BAD_USER_INPUT when it exceeds what remains of the order. */
function reversalOf(p: repo.RefundedPurchase, refundCents: number, orderId: string): { points: number; qualifying: number } {
  try {
    return refundReversal({
      originalAmountCents: p.amountCents, refundedBeforeCents: p.refundedCents, refundCents,
      earnedPoints: p.earned, qualifyingPoints: p.qualifying,
      reversedPointsBefore: p.reversedPoints, reversedQualifyingBefore: p.reversedQualifying,
    });
  } catch (err) {
    if (err instanceof RefundExceedsPurchaseError) {
      throw badInput('amount', `Refund exceeds what remains of order ${orderId} (${(p.amountCents - p.refundedCents) / 100})`);
    }
    throw err;
  }
}

/** A refund's planned debit, and its takes from lots an expiry run has expired since its instant. */
/** A refund's planned reversal; `fromExpired`: its takes from lots an expiry run has expired since (`gone`: those lots). */
interface RefundDebit { plan: RefundDebitPlan; fromExpired: LotTake[]; gone: repo.OpenLot[] }

