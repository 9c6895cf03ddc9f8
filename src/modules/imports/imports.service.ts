import type { EntityManager } from '@mikro-orm/postgresql';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { AppError, ErrorCode, badInput } from '../../common/errors';
import type { AppEntityManager, PgConnection } from '../../db/entity-manager';
import { inTransaction } from '../../db/transaction';
import { actorLabel, type Actor } from '../actor';
import type { PointsService } from '../points/points.service';
import { programmeConfigOf } from '../program/programme-config.service';
import { programmeSettings } from '../program/program.service';
import type { TierEngine } from '../tiers/tier-engine.service';
import { emitWebhookEvent, suppressRowEvents } from '../webhooks/webhooks.service';
import type { ImportFormat, ImportKind, ImportMode, ImportPhase } from './import.entities';
import { StagingRows } from './import-stream';
import * as repo from './imports.repository';
import type { ImportJobRow, QueuedPurchase } from './imports.repository';
import { ImportFileError } from './imports.rules';

export type { ImportJobRow } from './imports.repository';
export { ImportFileError } from './imports.rules';

export interface ImportRequest { kind: ImportKind; mode: ImportMode | null; format: ImportFormat; body: Readable }
/** An import whose file is staged: its job, and the rest of its work (checks, writes) going on. */
export interface StartedImport { job: ImportJobRow; finished: Promise<ImportJobRow> }

/** Pages of the staging table per write transaction (~30,000–60,000 lines): the unit of progress and of a crash's loss. */
const PAGES_PER_BATCH = 500;
/** Members per transaction of a history import's tier decision. */
const DECIDE_BATCH = 5_000;
/** An earn import's purchases read at a time, and the members earning at once (each member's purchases one after another, in date order). */
const EARN_PAGE = 2_000;
const EARN_LANES = 8;
const DEADLOCK = '40P01';
/** An order another writer recorded between an earn round's decision and its write: the round runs again and decides on it (a replay or a rejected line). */
const UNIQUE_VIOLATION = '23505';

/** What a job stopped between batches because its server was stopping says: what a job whose process died says. */
export const STOPPED_FAILURE = repo.STOPPED_FAILURE;
export const LOST_FAILURE = repo.LOST_FAILURE;

/** Thrown between batches once this process is stopping. */
class ImportStopped extends Error {}

/** The imports this process runs (per connection pool, so per instance), and whether it is stopping. */
interface RunningImports { stopping: boolean; jobs: Set<Promise<unknown>> }
const runningImports = new WeakMap<object, RunningImports>();

function runningOf(em: EntityManager): RunningImports {
  const pool = (em as unknown as AppEntityManager).pool();
  let r = runningImports.get(pool);
  if (!r) runningImports.set(pool, (r = { stopping: false, jobs: new Set() }));
  return r;
}

/**
 * For the server's stop, before its pool closes: the imports running here stop after the batch
 * in hand (committed), FAILED with STOPPED_FAILURE and their import.failed event, their
 * connections given back. A stop used to close the pool under them: an import waited a minute
 * for a connection the closing pool never gave, holding the stop that long, and then failed as
 * "an error of the server's".
 */
export async function stopImports(em: EntityManager): Promise<void> {
  const r = runningOf(em);
  r.stopping = true;
  await Promise.allSettled([...r.jobs]);
}

/** The data of an import's last event (import.completed, import.failed): counts, no personal field. */
function importEventData(job: ImportJobRow): Record<string, unknown> {
  return { importId: job.id, kind: job.kind, mode: job.mode, rowsDone: job.rowsDone, rowsRejected: job.rowsRejected };
}

/**
 * Bulk imports of members and purchases (docs/decisions.md, "Bulk import").
 *
 * The upload is streamed through PostgreSQL's COPY into a staging table of the job's own (the
 * file never sits in memory), on a connection the job keeps to its end, holding an advisory
 * lock that says the job is alive. `start` resolves once the file is staged: the caller
 * answers 202 then, and the checks and writes go on (`finished`); `importJob(id)` shows how far
 * they got. The checks are set-based statements that turn each bad line into an import_error
 * row with its line number; the writes go through the staging table in ranges of pages, one
 * transaction each, with the per-row webhook events off (suppressRowEvents), and one
 * `import.completed` event at the end (`import.failed` for a job that ends FAILED). A job whose
 * process died is FAILED when next read.
 */
export class ImportsService {
  constructor(
    private readonly em: EntityManager,
    private readonly points: PointsService,
    private readonly tiers: TierEngine,
  ) {}

  async start(actor: Actor, req: ImportRequest): Promise<StartedImport> {
    if (req.kind === 'PURCHASES' && req.mode !== 'history' && req.mode !== 'earn') throw badInput('mode', 'mode must be history or earn');
    const app = this.em as unknown as AppEntityManager;
    const pool = app.pool();
    const connection = await pool.acquireConnection();
    const own = app.forkOnConnection(connection);
    let job: ImportJobRow | null = null;
    try {
      const id = repo.nextJobId();
      await repo.lockJob(own, id);
      // The file's times without an offset are the programme's local times, read in the zone it has now.
      await repo.setImportZone(own, (await programmeSettings(own)).timeZone);
      job = await repo.insertJob(own, { id, kind: req.kind, mode: req.kind === 'MEMBERS' ? null : req.mode, format: req.format, actor: actorLabel(actor) });
      await repo.createStage(own, id, req.kind);
      const rows = new StagingRows(req.kind, req.format);
      await pipeline(req.body, rows, (connection as unknown as Client).query(copyFrom(repo.copyIntoStage(id))));
      await repo.setStaged(own, id);
      await this.inOwnTransaction(own, connection, (tx) => repo.noteUnknownColumns(tx, id, rows.unknownColumns, req.format));
      const staged = (await repo.jobById(own, id))!;
      const finished = this.run(actor, own, connection, staged).finally(() => this.release(own, connection, id));
      const running = runningOf(this.em).jobs;
      running.add(finished);
      const forget = () => { running.delete(finished); };
      finished.then(forget, forget);
      return { job: staged, finished };
    } catch (err) {
      if (job) {
        // A refused file (400, BAD_USER_INPUT) changes nothing, as any refused write: no job is
        // left behind and no import.failed is sent; the answer says why. An upload cut off: the
        // job ends FAILED, announced. Not on a connection the upload left unusable: then the job
        // is an orphan, failed (and announced) when next read.
        if (err instanceof ImportFileError) await repo.discardJob(own, job.id).catch(() => {});
        else await this.fail(own, connection, job.id, 'The upload did not complete').catch(() => {});
        await this.release(own, connection, job.id);
      } else {
        await pool.releaseConnection(connection);
      }
      if (err instanceof ImportFileError) throw badInput('file', err.message);
      throw err;
    }
  }

  async get(id: string): Promise<ImportJobRow | null> {
    await this.failOrphans();
    return repo.jobById(this.em, id);
  }

  async list(first: number): Promise<ImportJobRow[]> {
    await this.failOrphans();
    return repo.latestJobs(this.em, first);
  }

  /**
   * For an erasure, in its transaction: the member's former externalId no longer shows in any
   * job's rejected lines (a duplicate of it in a members file, a purchase that named it), and is
   * kept as a digest, so that no later members import creates the person again.
   */
  async scrubForErasure(tx: EntityManager, externalId: string | null, at = new Date()): Promise<number> {
    if (!externalId) return 0;
    await repo.rememberErasedKey(tx, externalId, at);
    return repo.scrubErrorsForErasure(tx, externalId);
  }

  /** Rejected lines of jobs, in line order, after `afterLine`, at most `first` of each. */
  async errors(jobIds: readonly string[], first: number, afterLine: number | null): Promise<Map<string, { line: number; message: string }[]>> {
    const out = new Map<string, { line: number; message: string }[]>(jobIds.map((j) => [j, []]));
    for (const r of await repo.errorsOf(this.em, jobIds, first, afterLine)) out.get(r.jobId)?.push({ line: r.line, message: r.message });
    return out;
  }

  /** Jobs whose process died: FAILED, each with its `import.failed` event, in one transaction. */
  private failOrphans(): Promise<void> {
    return inTransaction(this.em, async (tx) => {
      for (const job of await repo.failOrphans(tx)) await emitWebhookEvent(tx, 'import.failed', null, { ...importEventData(job), failure: job.failure });
    });
  }

  // ---- the work after the upload ----------------------------------------------------------

  private async run(actor: Actor, own: EntityManager, connection: PgConnection, job: ImportJobRow): Promise<ImportJobRow> {
    try {
      const at = job.startedAt;
      await this.inOwnTransaction(own, connection, (tx) => (job.kind === 'MEMBERS' ? repo.checkMembers(tx, job.id, at) : repo.checkPurchases(tx, job.id, at, job.mode === 'history')));
      await this.phase(own, job.id, 'APPLYING');
      if (job.kind === 'MEMBERS') await this.applyMembers(own, connection, job.id, at);
      else if (job.mode === 'history') await this.applyHistory(own, connection, job.id);
      else await this.applyEarn(actor, own, connection, job.id);
      return await this.inOwnTransaction(own, connection, async (tx) => {
        const done = await repo.finishJob(tx, job.id, 'SUCCEEDED', null);
        await emitWebhookEvent(tx, 'import.completed', null, importEventData(done));
        return done;
      });
    } catch (err) {
      // A refusal says why; anything else is the server's to log (the caller logs the rejection), not SQL for a client.
      if (err instanceof AppError) return this.fail(own, connection, job.id, err.message);
      if (err instanceof ImportStopped) return this.fail(own, connection, job.id, STOPPED_FAILURE);
      await this.fail(own, connection, job.id, `The import stopped on an error of the server's (its log has it, with import ${job.id}); nothing after the last committed batch was written. Import the file again once it is fixed: lines already in are skipped.`);
      throw err;
    }
  }

  /**
   * The job FAILED with its reason, and one `import.failed` event, in one transaction: a
   * receiver waiting for the file's end hears of it either way (import.completed or this).
   */
  private fail(own: EntityManager, connection: PgConnection, id: string, failure: string): Promise<ImportJobRow> {
    return this.inOwnTransaction(own, connection, async (tx) => {
      const done = await repo.finishJob(tx, id, 'FAILED', failure);
      await emitWebhookEvent(tx, 'import.failed', null, { ...importEventData(done), failure });
      return done;
    });
  }

  private async applyMembers(own: EntityManager, connection: PgConnection, id: string, at: Date): Promise<void> {
    // New members join at the entry tier, as registerMember's do: without one the insert broke
    // on member.tier_id (the job FAILED as the server's error); the job says why instead.
    if (!(await repo.hasEntryTier(own))) {
      throw new AppError(ErrorCode.CONFLICT, 'The programme has no entry tier (rank 0): create one with upsertTier, then import the file again');
    }
    const p = await programmeSettings(own);
    const settings = { windowMonths: p.windowMonths, validityMonths: p.validityMonths, expiryMonths: p.pointsExpiryMonths };
    await this.byRanges(own, id, async (range) => this.inOwnTransaction(own, connection, async (tx) => {
      await repo.insertNewMembers(tx, id, range, at, settings);
      await repo.addDone(tx, id, await repo.updateProfiles(tx, id, range));
    }));
  }

  private async applyHistory(own: EntityManager, connection: PgConnection, id: string): Promise<void> {
    const p = await programmeSettings(own);
    await repo.createAffected(own, id);
    // No member lock while the facts go in: they earn nothing and change no tier (a purchase
    // recorded meanwhile decides on the ledger it reads, as it would had it come first); the
    // window counters and the tier are settled below, under the members' locks.
    // The members a line could take past int, once for the file (usually none); their lines are then taken exactly, range by range.
    const suspects = await repo.pastIntSuspects(own, id, p.pointsPerUnit);
    await this.byRanges(own, id, (range) => this.inOwnTransaction(own, connection, async (tx) => {
      await repo.addDone(tx, id, await repo.insertHistory(tx, id, range, p.pointsPerUnit, suspects));
    }));
    await this.phase(own, id, 'DECIDING_TIERS');
    // Each member's tier once, from its window ending now (the import's purchases all in).
    const asOf = new Date();
    await this.forAffectedMembers(own, connection, id, (tx, ids) => this.tiers.settleImported(tx, ids, asOf));
  }

  /** `fn` for the import's members, DECIDE_BATCH at a time in id order, each batch in a transaction of its own under the members' locks. */
  private async forAffectedMembers(own: EntityManager, connection: PgConnection, id: string, fn: (tx: EntityManager, ids: string[]) => Promise<unknown>): Promise<void> {
    for (let after: string | null = null; ;) {
      this.unlessStopping();
      const ids = await repo.affectedAfter(own, id, after, DECIDE_BATCH);
      if (!ids.length) break;
      await this.inOwnTransaction(own, connection, async (tx) => {
        await repo.lockMembers(tx, ids);
        await fn(tx, ids);
      });
      after = ids[ids.length - 1];
    }
  }

  /**
   * Earn mode: each purchase earns as recordPurchase would, one member's in date order. Set-based
   * first, a round at a time (the k-th purchase of every member in one transaction of a few
   * statements: imports.repository.ts earnRound decides as purchase_at_once does and writes
   * what it writes); a purchase that needs more than that (what purchase_at_once leaves to the
   * statement-by-statement path: a history to rebuild, a debt…), and every later one of its
   * member, a refundedAmount, or a configuration with POINTS_MULTIPLIER benefits (they depend on
   * tags and dates) goes through the points service itself (recordPurchase, then refundPurchase),
   * silently (no per-row webhook event), after the rounds.
   */
  private async applyEarn(actor: Actor, own: EntityManager, connection: PgConnection, id: string): Promise<void> {
    const config = () => programmeConfigOf(this.em).reload(own);
    const { rounds } = await this.inOwnTransaction(own, connection, async (tx) => repo.createQueue(tx, id, (await config()).multiplierBenefits.length > 0));
    await this.inOwnTransaction(own, connection, (tx) => repo.uncountQueued(tx, id));
    for (let round = 1; round <= rounds; round++) {
      this.unlessStopping();
      const more = await this.inOwnTransaction(own, connection, async (tx) => {
        await repo.lockRound(tx, id, round);
        const c = await config();
        if (c.multiplierBenefits.length > 0) {
          await repo.fallBackAll(tx, id);
          return false;
        }
        const r = await repo.earnRound(tx, id, round, {
          pointsPerUnit: c.pointsPerUnit, windowMonths: c.windowMonths, validityMonths: c.validityMonths, pendingDays: c.pointsPendingDays, expiryMonths: c.pointsExpiryMonths,
        });
        await repo.addDone(tx, id, r.written + r.replays);
        return true;
      });
      if (!more) break;
    }
    await this.forAffectedMembers(own, connection, id, (tx, ids) => this.tiers.recountWindowsOf(tx, ids));
    await this.earnOneByOne(actor, own, id);
  }

  /** The queue's fallback purchases through the points service, members side by side, each member's in order. */
  private async earnOneByOne(actor: Actor, own: EntityManager, id: string): Promise<void> {
    for (let after = 0; ;) {
      this.unlessStopping();
      const page = await repo.fallbackPage(own, id, after, EARN_PAGE);
      if (!page.length) break;
      after = page[page.length - 1].n;
      const byMember = new Map<string, QueuedPurchase[]>();
      for (const q of page) byMember.set(q.memberId, [...(byMember.get(q.memberId) ?? []), q]);
      const queue = [...byMember.values()];
      // Each purchase here commits on its own: what a member's list wrote is counted (rowsDone,
      // its rejected lines, its purchases marked imported) as soon as the list ends, or stops, so
      // a job stopped or killed half way reports what it wrote (it counted a page at a time, and a
      // stop before the page's end counted none of it). One write at a time on the import's connection.
      let counted = Promise.resolve();
      const count = (done: string[], failed: { line: number; message: string }[]) => {
        counted = counted.then(async () => {
          await repo.markImported(own, done);
          await repo.insertErrors(own, id, failed);
          await repo.addDone(own, id, done.length);
        });
        return counted;
      };
      // Every lane ends before the page does (a stop or an error stops the others at their next member).
      const ended: { err: Error | null } = { err: null };
      await Promise.all(Array.from({ length: EARN_LANES }, async () => {
        for (let list = queue.shift(); list && !ended.err; list = queue.shift()) {
          const done: string[] = [];
          const failed: { line: number; message: string }[] = [];
          try {
            this.unlessStopping();
            for (const q of list) {
              try {
                await this.earnOne(actor, q);
                done.push(q.orderId);
              } catch (err) {
                if (!(err instanceof AppError)) throw err;
                failed.push({ line: q.line, message: err.message });
              }
            }
          } catch (err) {
            ended.err ??= err instanceof Error ? err : new Error(String(err));
          }
          try {
            await count(done, failed);
          } catch (err) {
            ended.err ??= err instanceof Error ? err : new Error(String(err));
          }
        }
      }));
      if (ended.err) throw ended.err;
    }
  }

  private async earnOne(actor: Actor, q: QueuedPurchase): Promise<void> {
    const silent = { silent: true };
    await this.points.recordPurchase(actor, { memberId: q.memberId, orderId: q.orderId, amount: Number(q.amountCents) / 100, occurredAt: q.occurredAt }, undefined, silent);
    if (q.refundedCents != null) {
      await this.points.refundImported(actor, { orderId: q.orderId, refundedCents: Number(q.refundedCents), occurredAt: q.occurredAt }, silent);
    }
  }

  /** Runs `work` over the staging table in ranges of pages, in the file's order. */
  private async byRanges(own: EntityManager, id: string, work: (range: { from: string; to: string }) => Promise<unknown>): Promise<void> {
    const pages = await repo.stagePages(own, repo.stageTable(id));
    for (let first = 0; first < pages; first += PAGES_PER_BATCH) {
      this.unlessStopping();
      await work(repo.tidRange(first, PAGES_PER_BATCH));
    }
  }

  /** Between batches: once this process is stopping, the job stops here (run() marks it FAILED). */
  private unlessStopping(): void {
    if (runningOf(this.em).stopping) throw new ImportStopped('the server is stopping');
  }

  private phase(own: EntityManager, id: string, phase: ImportPhase): Promise<void> {
    return repo.setPhase(own, id, phase);
  }

  /**
   * A transaction on the job's own connection: UTC for the dates its statements derive (the file's
   * times without an offset are read in the programme's zone: repo.stagedInstant), the per-row
   * webhook events off, the tier changes it wrote published to `tierChanged` at its end. Retried on a deadlock (two imports of overlapping files) and on a
   * unique violation (an order recorded by another writer between an earn round's decision and its write).
   */
  private async inOwnTransaction<T>(own: EntityManager, connection: PgConnection, work: (tx: EntityManager) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      await connection.query('begin', []);
      try {
        // UTC for derived dates; memory for the set-based statements' sorts and hashes (the
        // default 4 MB spilled a million-row check to disk); no wait for the WAL flush at commit:
        // a crash loses at most the last batches, and the job is then FAILED and its file can
        // be imported again (every line is keyed).
        await own.execute(`set local timezone = 'UTC'`);
        await own.execute(`set local work_mem = '256MB'`);
        await own.execute(`set local synchronous_commit = off`);
        await suppressRowEvents(own);
        const result = await work(own);
        // The tier changes its statements wrote (opening tiers, upgrades), pushed once it commits.
        await this.tiers.publishChangesOfTransaction(own);
        await connection.query('commit', []);
        return result;
      } catch (err) {
        await connection.query('rollback', []).catch(() => {});
        const code = (err as { code?: string }).code;
        if (attempt >= 5 || (code !== DEADLOCK && code !== UNIQUE_VIOLATION)) throw err;
        await new Promise((r) => setTimeout(r, Math.random() * 50 * attempt));
      }
    }
  }

  private async release(own: EntityManager, connection: PgConnection, id: string): Promise<void> {
    await repo.dropJobTables(own, id).catch(() => {});
    await repo.unlockJob(own, id).catch(() => {});
    await (this.em as unknown as AppEntityManager).pool().releaseConnection(connection);
  }
}
