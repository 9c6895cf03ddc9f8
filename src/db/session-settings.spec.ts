import { pinnedOptions, pinnedUrl } from './session-settings';

describe('pinned session settings', () => {
  it('come after the options a URL already has, once however often a URL is pinned', () => {
    const url = pinnedUrl(pinnedUrl('postgres://u:p@db.example:5432/loyalty?sslmode=require&options=-c%20search_path%3Dloyalty'));
    const config = Object.fromEntries(new URL(url).searchParams); // as node-postgres reads them
    expect(config.sslmode).toBe('require');
    expect(config.options).toBe(pinnedOptions('-c search_path=loyalty'));
    expect(config.options).toBe('-c search_path=loyalty -c TimeZone=UTC -c DateStyle=ISO,\\ MDY -c IntervalStyle=postgres -c extra_float_digits=1 -c default_transaction_isolation=read\\ committed -c standard_conforming_strings=on');
    expect(pinnedOptions(null)).toBe(pinnedOptions(pinnedOptions('')));
  });
});
