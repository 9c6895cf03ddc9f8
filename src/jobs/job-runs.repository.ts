import type { EntityManager } from '@mikro-orm/postgresql';
import { Client } from 'pg';
import { withDates } from '../db/rows';
import { namedUrl, pinSession } from '../db/session-settings';

/**
 * The SQL over job_run, one row per (job, slot) that an instance claimed: the scheduler's
 * claims and outcomes, and the console's read of the latest runs (JobRunsService). Its
 * unique constraint on (job, slot) is what lets exactly one instance run a slot; the session
 * advisory lock its runner holds while the job runs tells a run in progress from a run whose
 * process died (docs/decisions.md, "Scheduling").
 */

/** The advisory lock class a slot's runner holds (with the hash of job and slot) on a connection of its own, for the whole run. */
export const RUN_LOCK_CLASS = 23024;

/** A slot this instance runs: its run id; `resumed` when the slot's first runner died before it finished; `release` when done. */
export interface SlotClaim { id: string; resumed: boolean; release(): Promise<void> }

/** The application_name of a runner's lock connection (idle while its job runs, so no probe counts it). */
export const SCHEDULER_APPLICATION = 'loyalty-scheduler';

/**
 * Claims the job's slot, or null when another runner has it (running now, or finished). The
 * lock comes first, on a connection of its own kept until `release`: a slot claimed but
 * unfinished whose lock is free lost its runner (its process died: PostgreSQL ended its
 * session and so its lock), and is claimed again here, so the job still runs once that day. A
 * runner that is alive holds the lock, so no other instance runs the slot beside it.
 *
 * Not a pool connection, as the migrator's lock is not (src/db/database.ts): held for the whole
 * run, it left the job one connection fewer, so with DB_POOL_MAX=2 the points expiry (two
 * connections at once) waited for one it never got, and every request with it.
 */
export async function claimSlot(em: EntityManager, job: string, slot: string): Promise<SlotClaim | null> {
  // A slot run to its end (each tick after the first of the day, on every instance) needs no
  // connection of its own.
  if (await slotDone(em, job, slot)) return null;
  const connection = new Client({ connectionString: namedUrl(em.config.get('clientUrl'), SCHEDULER_APPLICATION) });
  // A connection cut while the job runs (PostgreSQL restarted) ends the lock with it; the
  // error is not the process's to die of.
  connection.on('error', () => undefined);
  const key = `${job} ${slot}`;
  const release = async () => {
    await connection.end(); // the lock goes with its session
  };
  try {
    await connection.connect();
    await pinSession(connection);
    const locked = await tryLock(connection, key);
    if (!locked) {
      await release();
      return null;
    }
    const { rows } = await connection.query(
      `insert into job_run (job, slot, started_at) values ($1, $2, now())
       on conflict (job, slot) do update set started_at = now() where job_run.finished_at is null
       returning id::text as id, xmax <> 0 as resumed`,
      [job, slot],
    );
    const claimed = rows[0] as { id: string; resumed: boolean } | undefined;
    if (!claimed) {
      await release();
      return null;
    }
    return { id: claimed.id, resumed: claimed.resumed, release };
  } catch (err) {
    await release().catch(() => undefined);
    throw err;
  }
}

/**
 * Whether the job's slot has been run to its end (or failed), or a later slot of it was claimed:
 * slots are instants (ISO text, which sorts as they do), and after a change of the programme's
 * zone the day the clock is in may begin before the last run's: a job never runs as of an earlier
 * instant than it has. Not done and not claimable: another instance runs it now.
 */
export async function slotDone(em: EntityManager, job: string, slot: string): Promise<boolean> {
  const [done] = await em.execute<{ done: boolean }[]>(
    'select true as done from job_run where job = ? and ((slot = ? and finished_at is not null) or slot > ?) limit 1', [job, slot, slot]);
  return Boolean(done);
}

/** Whether the job's slot, unfinished, was claimed at least `ms` ago by the clock of the database (its runner may hang). */
export async function slotRunningFor(em: EntityManager, job: string, slot: string, ms: number): Promise<boolean> {
  const [row] = await em.execute<{ long: boolean }[]>(
    `select true as long from job_run where job = ? and slot = ? and finished_at is null and started_at <= now() - make_interval(secs => ?::float8 / 1000)`, [job, slot, ms]);
  return Boolean(row);
}

async function tryLock(connection: Client, key: string): Promise<boolean> {
  const { rows } = await connection.query('select pg_try_advisory_lock($1, hashtext($2)) as locked', [RUN_LOCK_CLASS, key]);
  return (rows[0] as { locked: boolean }).locked;
}

/** Records the end of a run: its result, or `{ error }` when it failed. */
export async function finishRun(em: EntityManager, id: string, result: unknown): Promise<void> {
  await em.execute('update job_run set finished_at = now(), result = ?::jsonb where id = ?', [JSON.stringify(result), id]);
}

/** A run as stored: `result` is the jsonb the runner wrote (null while it runs); `slot` the instant it is evaluated at. */
export interface JobRunRow {
  id: string;
  job: string;
  slot: Date;
  startedAt: Date;
  finishedAt: Date | null;
  result: unknown;
}

/**
 * A slot that is an instant: an ISO 8601 timestamp, as the scheduler writes it, or a date, as
 * early migrations wrote them. `slot` is text (ScheduledJob.slotAt may return any): a row whose
 * slot is none of these (written by hand) is left out of the list rather than failing its cast.
 */
const INSTANT_SLOT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?))?$/;

/**
 * The latest runs of `job` (of every job when null), newest first: by slot read as an instant,
 * then by id as a bigint, both typed (the six jobs share each slot, and as text id 10 would
 * sort before 9). A small table (six rows a day): the sort is cheap.
 */
export async function latestRuns(em: EntityManager, job: string | null, limit: number): Promise<JobRunRow[]> {
  const rows = await em.execute<JobRunRow[]>(
    `select r.id::text as id, r.job, r.slot::timestamptz as slot, r.started_at as "startedAt", r.finished_at as "finishedAt", r.result
     from job_run r
     where (?::text is null or r.job = ?) and r.slot ~ ?
     order by r.slot::timestamptz desc, r.id desc
     limit ?`,
    [job, job, INSTANT_SLOT.source, limit],
  );
  return rows.map((r) => withDates(r, ['slot', 'startedAt', 'finishedAt']));
}
