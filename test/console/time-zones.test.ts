// The programme page's zone list (admin/src/pages/programme/time-zones.ts): the names the server
// stores (IANA's current ones), so that a programme in Asia/Kolkata can be saved again.
import { knownZone, timeZones } from '../../admin/src/pages/programme/time-zones';

describe('the programme page\'s time zones', () => {
  it('list IANA\'s current names, not the older ones the runtime knows, UTC first', () => {
    const zones = timeZones();
    expect(zones[0]).toBe('UTC');
    expect(zones).toEqual(expect.arrayContaining(['Asia/Kolkata', 'Europe/Kyiv', 'Asia/Shanghai', 'America/New_York']));
    expect(zones).not.toContain('Asia/Calcutta');
    expect(new Set(zones).size).toBe(zones.length);
  });

  it('know a stored current name and an older one typed in, whatever the case', () => {
    const zones = timeZones();
    expect(knownZone('Asia/Kolkata', zones)).toBe('Asia/Kolkata');
    expect(knownZone(' asia/calcutta ', zones)).toBe('Asia/Kolkata');
    expect(knownZone('europe/kiev', zones)).toBe('Europe/Kyiv');
    expect(knownZone('asia/shanghai', zones)).toBe('Asia/Shanghai');
    expect(knownZone('Mars/Olympus', zones)).toBeNull();
  });
});
