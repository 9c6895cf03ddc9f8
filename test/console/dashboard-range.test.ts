// The dashboard's range of months (admin/src/pages/dashboard/range.ts): whole months of the
// programme's time zone, as the server's monthly series count them.
import { defaultRange, rangeVariables } from '../../admin/src/pages/dashboard/range';

describe('the dashboard range', () => {
  it('bounds its months at the programme zone\'s midnights', () => {
    expect(rangeVariables({ from: '2026-03', to: '2026-04' }, 'UTC')).toEqual({ from: '2026-03-01T00:00:00.000Z', to: '2026-04-30T23:59:59.999Z' });
    // Shanghai is UTC+8: its March begins at 16:00 UTC the day before, its April ends at 15:59:59.999 UTC on the 30th.
    expect(rangeVariables({ from: '2026-03', to: '2026-04' }, 'Asia/Shanghai')).toEqual({ from: '2026-02-28T16:00:00.000Z', to: '2026-04-30T15:59:59.999Z' });
    // New York changes to summer time in March: its March begins at 05:00 UTC, its April ends at 03:59:59.999 UTC on May 1st.
    expect(rangeVariables({ from: '2026-03', to: '2026-04' }, 'America/New_York')).toEqual({ from: '2026-03-01T05:00:00.000Z', to: '2026-05-01T03:59:59.999Z' });
    // December to January crosses the year.
    expect(rangeVariables({ from: '2025-12', to: '2025-12' }, 'Asia/Shanghai')).toEqual({ from: '2025-11-30T16:00:00.000Z', to: '2025-12-31T15:59:59.999Z' });
    // January 1970 east of UTC begins before the epoch, which the API refuses: from the epoch (found by an outside audit).
    expect(rangeVariables({ from: '1970-01', to: '1970-01' }, 'Asia/Shanghai')).toEqual({ from: '1970-01-01T00:00:00.000Z', to: '1970-01-31T15:59:59.999Z' });
    expect(rangeVariables({ from: '1970-01', to: '1970-01' }, 'America/New_York').from).toBe('1970-01-01T05:00:00.000Z');
  });

  it('defaults to the last 12 months of the programme zone, this one included', () => {
    // 20:00 UTC on 31 March is already April in Shanghai.
    const now = new Date('2026-03-31T20:00:00Z');
    expect(defaultRange('UTC', now)).toEqual({ from: '2025-04', to: '2026-03' });
    expect(defaultRange('Asia/Shanghai', now)).toEqual({ from: '2025-05', to: '2026-04' });
  });
});
