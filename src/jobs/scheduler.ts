import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { createServices, DEFAULT_SERVICE_SETTINGS, type ServiceSettings, type Services } from '../modules/services';
import type { Metrics } from '../ops/metrics';
import { claimSlot, finishRun, slotDone, slotRunningFor, type SlotClaim } from './job-runs.repository';
import { localDate, startOfLocalDay } from '../common/local-time.rules';
import { programmeConfigOf } from '../modules/program/programme-config.service';

/** How long the jobs after a job running on another instance wait for it (a tick at a time) before they run anyway. */
const ORDER_WAIT_MS = 60 * 60 * 1000;

export interface JobResult { processed: number; changed: number }

export interface ScheduledJob {
  name: string;
  /** The schedule slot `now` falls in and the instant the job is evaluated at, in the programme's time zone. */
  slotAt(now: Date, timeZone: string): { slot: string; asOf: Date };
  run(services: Services, asOf: Date): Promise<JobResult>;
}

/**
 * Once a programme-local day, evaluated at local midnight of that day (the rule's instant,
 * whenever the run starts): the slot is that instant (ISO 8601). With UTC (the default), 00:00
 * UTC. An instant, not the local date: after a change of zone the new zone's days are slots of
 * their own, and claimSlot runs none evaluated before a slot already run.
 */
export function daily(name: string, run: ScheduledJob['run']): ScheduledJob {
  return {
    name,
    slotAt(now, timeZone) {
      const asOf = startOfLocalDay(localDate(now, timeZone), timeZone);
      return { slot: asOf.toISOString(), asOf };
    },
    run,
  };
}

export const DEFAULT_JOBS: ScheduledJob[] = [
  daily('points.expire', (s, asOf) => s.points.expirePoints(asOf)),
  daily('tiers.review', async (s, asOf) => {
    const { review, rebuildsFailed: failed } = await s.reviewTiers(asOf);
    // A queued rebuild that failed stays queued for the next run; the run says so once the reviews are done.
    if (failed.length) throw new Error(`${failed.length} queued tier rebuild(s) failed and stay queued, first for member ${failed[0].memberId}: ${String(failed[0].error)}`);
    return review;
  }),
  daily('tiers.notices', (s, asOf) => s.tierEngine.sendNotices(asOf)),
  daily('benefits.birthday', (s, asOf) => s.benefits.grantBirthdays(asOf)),
  daily('retention.refresh', (s, asOf) => s.retention.refresh(asOf)),
  // After retention.refresh: an audience may select by stage or RFM segment.
  daily('campaigns.reevaluate', (s, asOf) => s.campaigns.reevaluate(asOf)),
];

/**
 * Runs scheduled jobs once per slot across all instances: an instance claims a slot by
 * inserting (job, slot) into job_run, and the unique constraint lets exactly one insert
 * win. The runner holds an advisory lock while the job runs (job-runs.repository.ts), so a
 * slot whose runner died before it finished is claimed again by the next tick of any
 * instance instead of being skipped for the day. The jobs themselves are catch-up by nature
 * (everything due at or before asOf), so a slot missed while no instance ran is covered by
 * the next one, and a run taken over from a dead runner gives what one run would.
 */
export class Scheduler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();
  private stopping = false;

  constructor(
    private readonly orm: MikroORM,
    private readonly log: Logger,
    private readonly metrics: Metrics | null,
    private readonly jobs: ScheduledJob[] = DEFAULT_JOBS,
    private readonly options: { intervalMs?: number; settings?: ServiceSettings } = {},
  ) {}

  start(): void {
    const loop = () => {
      this.running = this.tick(new Date()).then(() => undefined, (err) => this.log.error({ err }, 'scheduler tick failed'));
    };
    loop();
    this.timer = setInterval(loop, this.options.intervalMs ?? 60_000);
    this.timer.unref();
  }

  /** Waits for the job running now, if any; claims no other (another instance runs them at its next tick). */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /**
   * Claims and runs every job whose current slot (a programme-local day) nobody has claimed yet.
   * Returns the jobs it ran.
   */
  async tick(now: Date): Promise<string[]> {
    const ran: string[] = [];
    const read = this.orm.em.fork();
    const { timeZone } = await programmeConfigOf(read).current(read);
    for (const job of this.jobs) {
      if (this.stopping) break;
      const { slot, asOf } = job.slotAt(now, timeZone);
      const em = this.orm.em.fork();
      const claim = await claimSlot(em, job.name, slot);
      // Run to its end already: the next job. Running on another instance now: the jobs after it
      // wait for the next tick, so that the order holds across instances as in one (an audience
      // by stage re-evaluated while the retention refresh still ran assigned its members a day
      // late), but not for ever: a job running longer than ORDER_WAIT_MS (hung) no longer holds
      // back the day's others.
      if (claim === null) {
        if (await slotDone(em, job.name, slot)) continue;
        if (!(await slotRunningFor(em, job.name, slot, ORDER_WAIT_MS))) break;
        this.log.warn({ job: job.name, slot }, 'scheduled job: still running on another instance after an hour; running the jobs after it');
        continue;
      }
      try {
        if (await this.runClaimed(em, job, claim, slot, asOf)) ran.push(job.name);
      } finally {
        await claim.release().catch((err: unknown) => this.log.warn({ err, job: job.name, slot }, 'scheduled job: could not release its slot lock'));
      }
    }
    return ran;
  }

  /** Runs a job in the slot this instance claimed, records its outcome; false when it failed. */
  private async runClaimed(em: EntityManager, job: ScheduledJob, claim: SlotClaim, slot: string, asOf: Date): Promise<boolean> {
    const { id } = claim;
    if (claim.resumed) this.log.warn({ job: job.name, slot, asOf }, 'scheduled job: its slot\'s runner died before it finished; running it here');
    const end = this.metrics?.jobDuration.startTimer({ job: job.name });
    try {
      const result = await job.run(createServices(em, this.options.settings ?? DEFAULT_SERVICE_SETTINGS), asOf);
      await finishRun(em, id, result);
      this.metrics?.jobRuns.inc({ job: job.name, outcome: 'ok' });
      this.metrics?.jobMembers.inc({ job: job.name, kind: 'processed' }, result.processed);
      this.metrics?.jobMembers.inc({ job: job.name, kind: 'changed' }, result.changed);
      this.log.info({ job: job.name, slot, asOf, ...result }, 'scheduled job done');
      return true;
    } catch (err) {
      this.metrics?.jobRuns.inc({ job: job.name, outcome: 'error' });
      await finishRun(em, id, { error: String(err) });
      this.log.error({ err, job: job.name, slot }, 'scheduled job failed');
      return false;
    } finally {
      end?.();
    }
  }
}
