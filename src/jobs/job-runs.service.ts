import type { EntityManager } from '@mikro-orm/postgresql';
import { latestRuns } from './job-runs.repository';
import { runOutcome, type RunOutcome } from './job-runs.rules';

/** A scheduled run as an operator reads it: when, and what it changed or that it failed (never the error's text). */
export interface JobRunView extends RunOutcome {
  id: string;
  job: string;
  slot: Date;
  startedAt: Date;
  finishedAt: Date | null;
}

/** The read side of the scheduler's runs (job_run), for the console's Jobs page. */
export class JobRunsService {
  constructor(private readonly em: EntityManager) {}

  /** The latest `first` runs of `job` (every job's when null), newest first. A name no job has: none. */
  async latest(job: string | null, first: number): Promise<JobRunView[]> {
    const rows = await latestRuns(this.em, job, first);
    return rows.map(({ result, ...run }) => ({ ...run, ...runOutcome(result) }));
  }
}
