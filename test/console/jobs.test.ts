// The Jobs page's list of daily jobs (admin/src/pages/jobs/jobs.ts) is the server's: each job of
// DEFAULT_JOBS, in the order the scheduler runs them, with a name and a line about it in both languages.
import { en } from '../../admin/src/i18n/en';
import { zhCN } from '../../admin/src/i18n/zh-CN';
import { JOBS, runState } from '../../admin/src/pages/jobs/jobs';
import { DEFAULT_JOBS } from '../../src/jobs/scheduler';

describe('the Jobs page\'s jobs', () => {
  it('are the scheduler\'s daily jobs, in its order', () => {
    expect(JOBS.map((j) => j.name)).toEqual(DEFAULT_JOBS.map((j) => j.name));
  });

  it('each has a name and a line about it, different from every other job\'s, in both languages', () => {
    for (const table of [en, zhCN]) {
      expect(new Set(JOBS.map((j) => table[j.label])).size).toBe(JOBS.length);
      expect(new Set(JOBS.map((j) => table[j.about])).size).toBe(JOBS.length);
    }
  });

  it('a run is failed, running (no end yet) or done', () => {
    expect(runState({ finishedAt: '2026-01-01T00:00:05Z', failed: true })).toBe('failed');
    expect(runState({ finishedAt: null, failed: false })).toBe('running');
    expect(runState({ finishedAt: '2026-01-01T00:00:05Z', failed: false })).toBe('done');
  });
});
