import { MAX_INT32 } from '../common/safe-integer';

/**
 * What a run's stored result (job_run.result) says, for the console: the runner writes
 * `{ processed, changed }` when the job ends, `{ error }` when it fails, nothing while it runs
 * (scheduler.ts, finishRun). The error text stays in the table and the log: it may hold SQL.
 */
export interface RunOutcome {
  processed: number | null;
  changed: number | null;
  failed: boolean;
}

/** A count as GraphQL's Int holds it: one past MAX_INT32 (none is: a programme has fewer members) would fail the whole answer. */
const count = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_INT32 ? v : null);

export function runOutcome(result: unknown): RunOutcome {
  if (result === null || typeof result !== 'object' || Array.isArray(result)) return { processed: null, changed: null, failed: false };
  const r = result as Record<string, unknown>;
  if ('error' in r) return { processed: null, changed: null, failed: true };
  return { processed: count(r.processed), changed: count(r.changed), failed: false };
}
