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

/** The largest GraphQL Int: a count past it (none is: a programme has fewer members) would fail the whole answer. */
const MAX_INT = 2_147_483_647;

const count = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_INT ? v : null);

export function runOutcome(result: unknown): RunOutcome {
  if (result === null || typeof result !== 'object' || Array.isArray(result)) return { processed: null, changed: null, failed: false };
  const r = result as Record<string, unknown>;
  if ('error' in r) return { processed: null, changed: null, failed: true };
  return { processed: count(r.processed), changed: count(r.changed), failed: false };
}
