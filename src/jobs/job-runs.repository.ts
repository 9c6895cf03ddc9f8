import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * The scheduler's SQL over job_run, one row per (job, slot) that an instance claimed. Its
 * unique constraint on (job, slot) is what lets exactly one instance run a slot.
 */

/** Claims the job's slot; its run id, or null when another instance claimed it first. */
export async function claimSlot(em: EntityManager, job: string, slot: string): Promise<string | null> {
  const [claimed] = await em.execute<{ id: string }[]>(
    'insert into job_run (job, slot, started_at) values (?, ?, now()) on conflict do nothing returning id::text',
    [job, slot],
  );
  return claimed?.id ?? null;
}

/** Records the end of a run: its result, or `{ error }` when it failed. */
export async function finishRun(em: EntityManager, id: string, result: unknown): Promise<void> {
  await em.execute('update job_run set finished_at = now(), result = ?::jsonb where id = ?', [JSON.stringify(result), id]);
}
