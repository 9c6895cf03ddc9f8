import { runOutcome } from './job-runs.rules';

describe('runOutcome', () => {
  it('reads a finished run\'s counts', () => {
    expect(runOutcome({ processed: 12, changed: 3 })).toEqual({ processed: 12, changed: 3, failed: false });
    expect(runOutcome({ processed: 0, changed: 0 })).toEqual({ processed: 0, changed: 0, failed: false });
  });

  it('a failed run: failed, no counts, and nothing of the error', () => {
    const outcome = runOutcome({ error: 'error: relation "member" does not exist' });
    expect(outcome).toEqual({ processed: null, changed: null, failed: true });
    expect(JSON.stringify(outcome)).not.toContain('member');
  });

  it('a run still running (no result) or a result of another shape: no counts, not failed', () => {
    expect(runOutcome(null)).toEqual({ processed: null, changed: null, failed: false });
    expect(runOutcome([1, 2])).toEqual({ processed: null, changed: null, failed: false });
    expect(runOutcome({ processed: '12', changed: 1.5 })).toEqual({ processed: null, changed: null, failed: false });
  });
});
