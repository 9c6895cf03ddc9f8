import DataLoader from 'dataloader';
import type { ImportsService } from './imports.service';

type ErrorsKey = { jobId: string; first: number; afterLine: number | null };

/** Per-request batch reads of import jobs: the rejected lines of a list of jobs in one statement per page shape. */
export function createImportLoaders(imports: ImportsService) {
  const errors = new DataLoader<ErrorsKey, { line: number; message: string }[], string>(async (keys) => {
    const out = new Array<{ line: number; message: string }[]>(keys.length);
    // One statement per (first, afterLine): a list's jobs all ask the same page.
    const shapes = new Map<string, number[]>();
    keys.forEach((k, i) => {
      const shape = `${k.first}:${k.afterLine ?? ''}`;
      shapes.set(shape, [...(shapes.get(shape) ?? []), i]);
    });
    await Promise.all([...shapes.values()].map(async (idx) => {
      const { first, afterLine } = keys[idx[0]];
      const byJob = await imports.errors(idx.map((i) => keys[i].jobId), first, afterLine);
      for (const i of idx) out[i] = byJob.get(keys[i].jobId) ?? [];
    }));
    return out;
  }, { cacheKeyFn: (k) => `${k.jobId}:${k.first}:${k.afterLine ?? ''}` });
  return { errors };
}
export type ImportLoaders = ReturnType<typeof createImportLoaders>;
