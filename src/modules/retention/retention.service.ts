import type { EntityManager } from '@mikro-orm/postgresql';
import { performance } from 'node:perf_hooks';
import { assertWithinDays, badInput } from '../../common/errors';
import { inSqlTransaction, withAdvisoryLock } from '../../db/transaction';
import { addDaysUtc } from '../../common/time.rules';
import { dayOfNumber, localDayNumber, startOfLocalDay } from '../../common/local-time.rules';
import {
  backtestOffThread, fitBgNbdOffThread, startChurnWorker, WORKER_MIN_ROWS, type Backtest, type ChurnWorker, type ScoredFit, type TrainingInput, type TupleText,
} from './churn.fit';
import type { TagsService } from '../tags/tags.service';
import { chooseChurnMethod, expectedPurchases, trainingWindow, type BgNbdParams, type ChurnMethod } from './churn.rules';
import { isUuid } from '../members/members.service';
import { programmeSettings } from '../program/program.service';
import * as repo from './retention.repository';
import { redemptionRate, RFM_SEGMENTS, type RfmSegment } from './retention.rules';
import type { BuildInput, ChurnModelRow, FactDates, GrowthRow, Half, PointsFlowRow, Previous, RetentionRow, TransitionCount } from './retention.repository';

export type { ChurnModelRow, RetentionRow } from './retention.repository';

/** A month of pointsFlow: its sums and the redemption rate (redeemed ÷ earned; null without earning). */
export interface PointsFlowMonth extends PointsFlowRow { redemptionRate: number | null }

/** A century of months: more than any programme's history. */
const MAX_GROWTH_MONTHS = 1200;

/** Where asOf falls on the lifecycle timeline (whereOnTimeline). */
interface Timeline { previous: Previous; next: Date | null }

/** What a refresh knows before it takes the lock: its dates, the churn horizon, the fits' warm starts (storedFit). */
interface RefreshPlan extends FactDates {
  horizon: number;
  start: BgNbdParams | undefined;
  backtestStart: BgNbdParams | undefined;
  /** The supervised classifier's training windows (days before asOf's and the backtest day's cuts; null: none) and the warm starts of BG/NBD at those cuts. */
  trainingWindow: number | null;
  backtestTrainingWindow: number | null;
  trainingStart: BgNbdParams | undefined;
  backtestTrainingStart: BgNbdParams | undefined;
}

/** And under the lock: the halves of the members, the fits' workers, where asOf falls on the timeline. */
interface RefreshRun extends RefreshPlan {
  halves: Half[];
  split: string | null;
  workers: (ChurnWorker | null)[];
  timeline: Timeline;
}

/**
 * The facts phase's result: every buyer's BG/NBD tuples as of asOf and as of the backtest day,
 * the classifier's training sets (for the model applied at asOf; for the one the backtest
 * applies; null without a classifier), and whether anyone repeated.
 */
interface Tuples { current: TupleText; backtest: TupleText; training: TupleText | null; backtestTraining: TupleText | null; repeat: boolean }

/** The churn scores BUILD_SQL joins on when there is no fit. */
const NO_SCORES = { keys: '{}', alive: '{}', risk: '{}' };

/** Milliseconds per phase, in the order the phases ran: each lap ends one. */
function phaseClock() {
  const phases: Record<string, number> = {};
  let t = performance.now();
  const lap = (name: string) => { const now = performance.now(); phases[name] = Math.round(now - t); t = now; };
  return { phases, lap };
}

/**
 * The score churnRisk holds (chooseChurnMethod), if the model applied at asOf has it: the
 * backtest's choice is of a kind of score, and the classifier (or its recency score) trained for
 * asOf may be missing where the backtest's was not (too little to learn from). BG/NBD then.
 */
function scoreInUse(fit: ScoredFit | null, tested: Backtest | null): ChurnMethod {
  const chosen = fit?.supervised ? chooseChurnMethod(tested) : 'BG_NBD';
  return chosen === 'RECENCY' && !fit?.supervised?.recencyRisk ? 'BG_NBD' : chosen;
}

/** Whether two warm starts are the same (both none, or the same four numbers). */
const sameParams = (p: BgNbdParams | undefined, q: BgNbdParams | undefined) =>
  p === q || (p != null && q != null && p.r === q.r && p.alpha === q.alpha && p.a === q.a && p.b === q.b);

/** RFM, lifecycle, rule tags and the churn model, refreshed set-based for every member. */
export class RetentionService {
  constructor(private readonly em: EntityManager, private readonly tags: Pick<TagsService, 'refreshEveryRuleTag'>) {}

  /**
   * Recomputes everything as of asOf (docs/retention.md has the steps). Serialised across
   * instances by an advisory lock held for the whole run. (1) The purchase facts into the
   * scratch table, the two halves of the members at once on two connections, each half also
   * reading back its (x, t_x, T) tuples. (2) The BG/NBD fit and the backtest fit, each in a
   * worker thread, while the RFM statistics are read. (3) Every member's row into a new table,
   * again in halves, and its indexes. (4) One short transaction: the stage transitions and the
   * swap for the old table. (5) The rule tags; the model row with its backtest. A failure
   * before (4) leaves the previous rows and transitions as they were. The rows and the
   * transitions at asOf depend only on what is dated by asOf and on the dates refreshed
   * before it, whatever was written later and whatever order runs came in; a second run with
   * the same asOf records no new transition. `changed` counts the members whose stage at asOf
   * moved (asOf's moves recorded; not the next date's moves rewritten to start from them). `phases`
   * are the milliseconds each step took, for the job log and the benchmark.
   */
  async refresh(asOf: Date): Promise<{ processed: number; changed: number; phases: Record<string, number> }> {
    const { phases, lap } = phaseClock();
    const plan = await this.planRefresh(asOf);
    return withAdvisoryLock(this.em, 'retention.refresh', async () => {
      // Late facts: from here on, a write dated at or before asOf queues its member (the triggers
      // read the horizon); the writes already under way, which may have read the old one, end first.
      if (await repo.raiseHorizon(this.em, asOf)) await repo.waitForWriters(this.em);
      const { halves, split, workers } = await this.divideMembers();
      try {
        const run: RefreshRun = { ...plan, halves, split, workers, timeline: await whereOnTimeline(this.em, asOf) };
        const tuples = await this.readFacts(run);
        lap('facts');
        const { fit, backtest, stats } = await this.fitAndPrepare(run, tuples);
        lap('fit');
        const tested = await backtest;
        const method = scoreInUse(fit, tested);
        lap('backtest');
        const processed = await this.writeRows(run, stats, fit, method);
        lap('write');
        const { changed, repairMs } = await this.swapIn(run);
        lap('swap');
        phases.repair = repairMs;
        await this.tags.refreshEveryRuleTag();
        lap('tags');
        if (fit) await repo.insertChurnModel(this.em, asOf, fit, { method, backtest: tested, classifier: fit.supervised?.classifier ?? null });
        lap('model');
        return { processed, changed, phases };
      } finally {
        for (const worker of workers) void worker?.thread.terminate();
      }
    });
  }

  /**
   * Before the lock: the dates, the churn horizon, the classifier's training cuts (trainingWindow:
   * the horizon, or half the history before the day it is applied at) and the fits' warm starts.
   * Days are programme-local: asOf's day and every purchase's are in the programme's time zone.
   */
  private async planRefresh(asOf: Date): Promise<RefreshPlan> {
    const { churnHorizonDays: horizon, timeZone } = await programmeSettings(this.em);
    const asOfDay = localDayNumber(asOf, timeZone);
    // The cuts count whole days up to the cut instant (asOf − horizon days): the days before the
    // one asOf ends, when asOf is a local midnight (the nightly run), else asOf's own. At a
    // midnight, asOf's day had not begun, and counting the cut's own day as history (it begins
    // at the cut) took the holdout's first day into the features and out of the outcome (an
    // outside audit: the backtest's figures differed from (asOf − h, asOf], its documented split).
    const cutBase = localDayNumber(new Date(asOf.getTime() - 1), timeZone);
    const firstDay = await repo.firstPurchaseDay(this.em, timeZone);
    const backtestDay = cutBase - horizon;
    const window = trainingWindow(cutBase, firstDay, horizon);
    const backtestWindow = trainingWindow(backtestDay, firstDay, horizon);
    const trainingDay = window == null ? null : cutBase - window;
    const backtestTrainingDay = backtestWindow == null ? null : backtestDay - backtestWindow;
    const [start, backtestStart, trainingStart, backtestTrainingStart] = await Promise.all([
      this.storedFit(asOfDay, timeZone), this.storedFit(backtestDay, timeZone),
      trainingDay == null ? undefined : this.storedFit(trainingDay, timeZone),
      backtestTrainingDay == null ? undefined : this.storedFit(backtestTrainingDay, timeZone),
    ]);
    return {
      asOf, asOfDay, backtestDay, yearAgo: addDaysUtc(asOf, -365), timeZone, horizon, start, backtestStart, trainingDay, backtestTrainingDay,
      trainingWindow: window, backtestTrainingWindow: backtestWindow, trainingStart, backtestTrainingStart,
    };
  }

  /** The two halves of the members (one, without members), and the fits' workers when there are enough members. */
  private async divideMembers(): Promise<{ halves: Half[]; split: string | null; workers: (ChurnWorker | null)[] }> {
    const { members, split } = await repo.memberHalves(this.em);
    // The fits' two workers load (a second each under ts-node) while the purchases are read;
    // with fewer members than a worker is worth, the fits run in place.
    const workers = members >= WORKER_MIN_ROWS ? [startChurnWorker(), startChurnWorker()] : [];
    return { halves: split ? ['below', 'from'] : ['all'], split, workers };
  }

  /** The same work for each half of the members, at once. */
  private inHalves<T>(run: RefreshRun, work: (half: Half) => Promise<T>): Promise<T[]> {
    return Promise.all(run.halves.map(work));
  }

  /** Phase 1: the purchase facts into the scratch table, a transaction per half; the tuples they yield. */
  private async readFacts(run: RefreshRun): Promise<Tuples> {
    await repo.truncateFacts(this.em);
    const read = await this.inHalves(run, (half) => inSqlTransaction(this.em, async (tx) => {
      await repo.useRefreshWorkMem(tx);
      return repo.insertFactsAndReadTuples(tx, half, run.split, run);
    }));
    const backtest: TupleText = { text: read.map((r) => r.backtest), holdout: true, rows: read.reduce((n, r) => n + r.backtestRows, 0) };
    const holdout = (piece: 'training' | 'backtestTraining', rows: 'trainingRows' | 'backtestTrainingRows'): TupleText =>
      ({ text: read.map((r) => r[piece]), holdout: true, rows: read.reduce((n, r) => n + r[rows], 0) });
    return {
      current: { text: read.map((r) => r.current), holdout: false, rows: read.reduce((n, r) => n + r.currentRows, 0) },
      backtest,
      // The classifier applied at asOf learns from the backtest's own rows when its cut is the backtest day (the usual case).
      training: run.trainingDay == null ? null : run.trainingDay === run.backtestDay ? backtest : holdout('training', 'trainingRows'),
      backtestTraining: run.backtestTrainingDay == null ? null : holdout('backtestTraining', 'backtestTrainingRows'),
      repeat: read.some((r) => r.repeat),
    };
  }

  /**
   * Phase 2: the fit (with every tuple's scores, BG/NBD's and the classifier's) and the backtest
   * (BG/NBD, recency and the classifier trained one horizon earlier), each in its worker, while
   * the RFM statistics are read, the facts analysed and the new table prepared. The rows wait
   * for the backtest: it decides which score churnRisk holds.
   */
  private async fitAndPrepare(run: RefreshRun, tuples: Tuples): Promise<{ fit: ScoredFit | null; backtest: Promise<Backtest | null>; stats: BuildInput['stats'] }> {
    // The model fitted at the backtest day, in a second worker at the same time: only main
    // fits are stored, and the one stored as of that day was fitted on these same purchases,
    // the best start there is; else last night's main fit. (Either way the same optimum.)
    const training = (rows: TupleText | null, window: number | null, start: BgNbdParams | undefined): TrainingInput | null =>
      (rows && window != null ? { rows, window, start } : null);
    const backtestStart = run.backtestStart ?? run.start;
    const trainingStart = run.trainingStart ?? run.backtestStart ?? run.start;
    // The classifier applied at asOf usually learns from the backtest's own rows (its cut is the
    // backtest day) from the same start: BG/NBD's fit there, which the backtest makes first, is
    // sent on to the fit's worker, which would otherwise make it again (a second of CPU).
    const fitWorker = run.workers[0];
    const shared = fitWorker != null && tuples.training === tuples.backtest && sameParams(trainingStart, backtestStart);
    const backtest = tuples.repeat
      ? backtestOffThread(tuples.backtest, run.horizon, {
        start: backtestStart, worker: run.workers[1],
        training: training(tuples.backtestTraining, run.backtestTrainingWindow, run.backtestTrainingStart ?? run.backtestStart ?? run.start),
        share: shared ? (trainingFit) => fitWorker.thread.postMessage({ trainingFit }) : undefined,
      })
      : Promise.resolve(null);
    backtest.catch(() => { /* awaited by refresh */ });
    const fitTraining = training(tuples.training, run.trainingWindow, trainingStart);
    const [fit, stats] = await Promise.all([
      tuples.repeat
        ? fitBgNbdOffThread(tuples.current, {
          start: run.start, horizon: run.horizon, worker: fitWorker,
          training: fitTraining && { ...fitTraining, shared },
        })
        : null,
      this.rfmStatistics(),
      repo.analyzeFacts(this.em),
      repo.prepareNextTable(this.em),
    ]);
    return { fit, backtest, stats };
  }

  /** Phase 3: every member's row into the new table, a transaction per half, churnRisk being `method`'s score; then its indexes. The rows written. */
  private async writeRows(run: RefreshRun, stats: BuildInput['stats'], fit: ScoredFit | null, method: ChurnMethod): Promise<number> {
    const risk = method === 'LOGISTIC' ? fit?.supervised?.risk : method === 'RECENCY' ? fit?.supervised?.recencyRisk : null;
    const scores = fit?.scores && risk ? { ...fit.scores, risk } : fit?.scores ?? NO_SCORES;
    const input: BuildInput = { asOf: run.asOf, asOfDay: run.asOfDay, stats, scores };
    const built = await this.inHalves(run, (half) => inSqlTransaction(this.em, async (tx) => {
      await repo.useRefreshWorkMem(tx);
      return repo.buildNextRows(tx, half, run.split, run.timeline.previous, input);
    }));
    await Promise.all(repo.FINISH_STEPS.map((step) => inSqlTransaction(this.em, (tx) => repo.finishNextTable(tx, step))));
    return built.reduce((a, b) => a + b, 0);
  }

  /**
   * Phase 4: the rows and their transitions, in one transaction; readers wait only for the swap.
   * After asOf's moves, the late facts queued since the last run are repaired (repo.repairLateFacts:
   * every refreshed date they affect, and the repaired members' rows), so that a failed run
   * leaves the timeline and the queue as they were. The moves recorded at asOf; the repair's
   * milliseconds (part of the swap's).
   */
  private swapIn(run: RefreshRun): Promise<{ changed: number; repairMs: number }> {
    return inSqlTransaction(this.em, async (tx) => {
      const changed = await recordTransitions(tx, run.asOf, run.timeline);
      const started = performance.now();
      await repo.repairLateFacts(tx, run.timeZone);
      const repairMs = Math.round(performance.now() - started);
      await repo.lockForSwap(tx);
      await repo.swapInNextTable(tx);
      return { changed, repairMs };
    });
  }

  /** The RFM statistics and the two histograms, as BUILD_SQL binds them. */
  private async rfmStatistics(): Promise<BuildInput['stats']> {
    const stats = await repo.rfmStats(this.em);
    const buyers = Math.max(stats.n, 1);
    const [byLastDay, byFrequency] = await Promise.all([
      repo.scoreHistogram(this.em, 'last_day', buyers), repo.scoreHistogram(this.em, 'frequency', buyers),
    ]);
    return { ...stats, byLastDay, byFrequency };
  }

  /**
   * The parameters of the latest fit stored as of `day` or earlier. A fit starts from them
   * (fitBgNbd's warm start): the nightly fit from last night's, which saw nearly the same
   * customers, in a handful of likelihood evaluations instead of a few dozen. The result is the
   * same optimum either way.
   */
  private storedFit(day: number, timeZone: string): Promise<BgNbdParams | undefined> {
    return repo.latestFitBefore(this.em, startOfLocalDay(dayOfNumber(day + 1), timeZone));
  }

  latestModel(): Promise<ChurnModelRow | null> {
    return repo.latestModel(this.em);
  }

  async forMembers(ids: readonly string[]): Promise<Map<string, RetentionRow>> {
    const rows = await repo.retentionRows(this.em, ids);
    return new Map(rows.map((r) => [r.memberId, r]));
  }

  /**
   * E[purchases in the next `days`] for a member, from the latest model; null before the model
   * has data, and null where the run that wrote the member's row fitted no model (its P(alive)
   * and churn risk are null then: the latest model is an earlier run's, for another asOf).
   */
  expected(model: BgNbdParams | null, row: RetentionRow | undefined, days: number): number | null {
    if (!Number.isInteger(days) || days < 0 || days > 3650) throw badInput('days', 'days must be a whole number from 0 to 3650');
    if (!model || !row || row.x == null || row.tx == null || row.tDays == null || row.aliveProbability == null) return null;
    return expectedPurchases(model, { x: row.x, tx: row.tx, T: row.tDays }, days);
  }

  /**
   * High churn risk, most valuable first: value = 365-day net spend × P(alive), ties by member id.
   * `after`: a member the list returned (the last of the previous page): the list goes on after
   * its place; one without a ranked value (never refreshed, or no model fitted) is BAD_USER_INPUT.
   */
  async winBackCandidates(first: number, after: string | null = null, minRisk = 0.5): Promise<string[]> {
    let key: repo.WinBackKey | null = null;
    if (after != null) {
      key = isUuid(after) ? await repo.winBackKey(this.em, after) : null;
      if (!key) throw badInput('after', 'after must be the id of a member the win-back list returned');
    }
    return repo.winBackCandidateIds(this.em, first, minRisk, key);
  }

  transitions(from: Date, to: Date): Promise<TransitionCount[]> {
    checkRange(from, to);
    return repo.transitionCounts(this.em, from, to);
  }

  /** Members, per tier and per stage, and the liability, as of one snapshot (repo.programPicture: one statement). */
  async programStats(): Promise<{ members: number; byTier: { tierId: string; count: number }[]; byStage: { stage: string; count: number }[]; pointsLiability: number }> {
    const { members, liability, byTier, byStage } = await repo.programPicture(this.em);
    return { members, pointsLiability: liability, byTier, byStage };
  }

  /** Members per RFM cell, every one of the eight listed (zero when empty), with their 365-day net spend in money. */
  async membersByRfmSegment(): Promise<{ segment: RfmSegment; count: number; monetary: number }[]> {
    const rows = new Map((await repo.membersByRfmSegment(this.em)).map((r) => [r.segment, r]));
    return RFM_SEGMENTS.map((segment) => {
      const r = rows.get(segment);
      return { segment, count: r?.count ?? 0, monetary: (r?.monetaryCents ?? 0) / 100 };
    });
  }

  /** Every member's pending points, and spendable points expiring within `withinDays` (0–3650) of `now`. */
  pointsOutlook(now: Date, withinDays: number): Promise<{ pending: number; expiring: number }> {
    assertWithinDays(withinDays);
    return repo.pointsOutlook(this.em, now, withinDays);
  }

  /**
   * Points earned, redeemed and expired per month (the programme's months: its time zone), with
   * the redemption rate, and the points refunds took back (REFUND_REVERSAL, in the month of the
   * refund; what a refund could only take back from a cancelled redemption's points, in the month
   * of the cancellation), which earned keeps.
   */
  async pointsFlow(from: Date, to: Date): Promise<PointsFlowMonth[]> {
    checkRange(from, to);
    return (await repo.pointsFlow(this.em, from, to)).map((r) => ({ ...r, redemptionRate: redemptionRate(r.redeemed, r.earned) }));
  }

  /**
   * Growth per month, the seed material's 规模 = 新增 + 持续 + 挽回 − 流失: a member is active
   * in a month it bought in; new = first purchase that month; retained = active this month
   * and last; won back = active again after a month without; churned = active last month,
   * not this one. active(M) = active(M−1) + new + wonBack − churned. As of `to`: the purchases
   * dated before it that its refunds dated before it had not refunded in full. Months are the
   * programme's (its time zone), those with an instant in [from, min(to, now)): a month that
   * starts at `to` or is still to come has no facts yet, and is not reported (its "churned"
   * would be everyone active the month before).
   */
  async growth(from: Date, to: Date, now = new Date()): Promise<GrowthRow[]> {
    checkRange(from, to);
    // Each month is five correlated counts: 1970 to 9999 (96,000 months) took seconds on an empty table.
    // Counted in UTC months: a local month is at most one off, and the bound is a guard, not a rule.
    const months = (to.getUTCFullYear() - from.getUTCFullYear()) * 12 + to.getUTCMonth() - from.getUTCMonth();
    if (months > MAX_GROWTH_MONTHS) throw badInput('to', `growth covers at most ${MAX_GROWTH_MONTHS} months from \`from\``);
    const end = to.getTime() < now.getTime() ? to : now;
    if (end.getTime() <= from.getTime()) return [];
    return repo.growth(this.em, from, end);
  }
}

/** A report's range: `to` before `from` is a client's slip (an empty answer would hide it), BAD_USER_INPUT on `to`. */
function checkRange(from: Date, to: Date): void {
  if (to.getTime() < from.getTime()) throw badInput('to', '`to` must not be before `from`');
}

/**
 * Where asOf falls on the lifecycle timeline: where its previous stages come from (PREVIOUS),
 * and the next date a refresh has run for after it, if any (whose moves then start from
 * asOf's stages). Read under the refresh's lock: no other run changes it meanwhile.
 */
async function whereOnTimeline(em: EntityManager, asOf: Date): Promise<Timeline> {
  const { latest, shown, next } = await repo.timelineDates(em, asOf);
  const forward = latest == null || (shown?.getTime() === latest.getTime() && asOf.getTime() > latest.getTime());
  return { previous: forward ? 'rows' : 'timeline', next };
}

/**
 * asOf's transitions, in the swap's transaction; the number of moves recorded at asOf (one per member at most). After the latest
 * date, a plain insert. Otherwise the moves at the next date are made to start from asOf's
 * stages first (a date between two fits in), then asOf's own are made what they should be;
 * both change only the difference. asOf joins the timeline's dates.
 */
async function recordTransitions(tx: EntityManager, asOf: Date, timeline: Timeline): Promise<number> {
  let n: number;
  if (timeline.previous === 'rows') {
    n = await repo.insertTransitions(tx);
  } else {
    // The moves at the next date are rewritten to start from asOf's stages, but no member's
    // stage at that date changes: they are not counted (JobResult.changed: members whose state
    // changed, at most one move each at asOf).
    if (timeline.next) await repo.recordMovesAtNext(tx, timeline.next);
    n = await repo.recordMovesAtAsOf(tx, asOf);
  }
  await repo.recordRun(tx, asOf);
  return n;
}
