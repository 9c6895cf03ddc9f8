import { tgi } from './segments.rules';

describe('tgi', () => {
  it('is the segment share over the population share, × 100, to two decimals', () => {
    expect(tgi(0.5, 0.25)).toBe(200);
    expect(tgi(0.25, 0.25)).toBe(100);
    expect(tgi(0.1, 0.3)).toBe(33.33);
    expect(tgi(0, 0.4)).toBe(0);
  });
  it('is null for a value no member has (no population share)', () => {
    expect(tgi(0, 0)).toBeNull();
  });
});
