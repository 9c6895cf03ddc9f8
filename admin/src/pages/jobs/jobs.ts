import type { JobsOverviewQuery } from '../../gql/graphql';
import type { MessageKey } from '../../i18n/en';

/**
 * The server's daily jobs (src/jobs/scheduler.ts, DEFAULT_JOBS), in the order it runs them: each
 * with its labels and the alias its last run has in JobsOverview (operations.ts).
 * test/console/jobs.test.ts checks this list against DEFAULT_JOBS.
 */
export interface DailyJob {
  name: string;
  alias: Exclude<keyof JobsOverviewQuery, 'program'>;
  label: MessageKey;
  about: MessageKey;
}

export const JOBS = [
  { name: 'points.expire', alias: 'pointsExpire', label: 'jobs.job.pointsExpire', about: 'jobs.about.pointsExpire' },
  { name: 'tiers.review', alias: 'tiersReview', label: 'jobs.job.tiersReview', about: 'jobs.about.tiersReview' },
  { name: 'tiers.notices', alias: 'tiersNotices', label: 'jobs.job.tiersNotices', about: 'jobs.about.tiersNotices' },
  { name: 'benefits.birthday', alias: 'benefitsBirthday', label: 'jobs.job.benefitsBirthday', about: 'jobs.about.benefitsBirthday' },
  { name: 'retention.refresh', alias: 'retentionRefresh', label: 'jobs.job.retentionRefresh', about: 'jobs.about.retentionRefresh' },
  { name: 'campaigns.reevaluate', alias: 'campaignsReevaluate', label: 'jobs.job.campaignsReevaluate', about: 'jobs.about.campaignsReevaluate' },
] as const satisfies readonly DailyJob[];

export type JobName = (typeof JOBS)[number]['name'];

/** A job's labels by its name; a name the console does not know (a job added to the server later) has none. */
export const jobNamed = (name: string): DailyJob | undefined => JOBS.find((j) => j.name === name);

/** What a run's row says: finished, still running, or failed. */
export type RunState = 'done' | 'running' | 'failed';
export const runState = (run: { finishedAt?: string | null; failed: boolean }): RunState => (run.failed ? 'failed' : run.finishedAt ? 'done' : 'running');
