import DataLoader from 'dataloader';
import { groupBy } from '../../common/pagination';
import type { ImportsService } from './imports.service';

type ErrorsKey = { jobId: string; first: number; afterLine: number | null };

/** Per-request batch reads of import jobs: the rejected lines of a list of jobs in one statement per page shape. */
export function createImportLoaders(imports: ImportsService) {
  const errors = new DataLoader<ErrorsKey, { line: number; message: string }[], string>(async (keys) => {
    const out = new Array<{ line: number; message: string }[]>(keys.length);
    // One statement per (first, afterLine): a list's jobs all ask the same page.
    const shapes = groupBy(keys.map((k, i) => ({ ...k, i })), (k) => `${k.first}:${k.afterLine ?? ''}`);
    await Promise.all([...shapes.values()].map(async (group) => {
      const byJob = await imports.errors(group.map((k) => k.jobId), group[0].first, group[0].afterLine);
      for (const k of group) out[k.i] = byJob.get(k.jobId) ?? [];
    }));
    return out;
  }, { cacheKeyFn: (k) => `${k.jobId}:${k.first}:${k.afterLine ?? ''}` });
  return { errors };
}
export type ImportLoaders = ReturnType<typeof createImportLoaders>;
