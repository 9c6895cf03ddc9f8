import { uuidRange } from './uuid-range.rules';

describe('uuidRange', () => {
  it('one part is the whole space', () => {
    expect(uuidRange(0, 1)).toEqual({ low: '00000000-0000-0000-0000-000000000000', high: 'ffffffff-ffff-ffff-ffff-ffffffffffff' });
  });

  it('two parts meet at 8000…', () => {
    expect(uuidRange(0, 2)).toEqual({ low: '00000000-0000-0000-0000-000000000000', high: '7fffffff-ffff-ffff-ffff-ffffffffffff' });
    expect(uuidRange(1, 2)).toEqual({ low: '80000000-0000-0000-0000-000000000000', high: 'ffffffff-ffff-ffff-ffff-ffffffffffff' });
  });

  it.each([3, 5, 7, 16, 255])('%i parts are contiguous, ordered and cover every uuid once', (parts) => {
    const ranges = Array.from({ length: parts }, (_, k) => uuidRange(k, parts));
    expect(ranges[0].low).toBe('00000000-0000-0000-0000-000000000000');
    expect(ranges[parts - 1].high).toBe('ffffffff-ffff-ffff-ffff-ffffffffffff');
    for (let k = 0; k < parts; k++) {
      const low = parseInt(ranges[k].low.slice(0, 8), 16);
      const high = parseInt(ranges[k].high.slice(0, 8), 16);
      expect(high).toBeGreaterThanOrEqual(low);
      if (k > 0) expect(low).toBe(parseInt(ranges[k - 1].high.slice(0, 8), 16) + 1);
    }
    // uuid text order is the key's order: each range's bounds compare as strings too
    for (let k = 1; k < parts; k++) expect(ranges[k].low > ranges[k - 1].high).toBe(true);
  });

  it('refuses a part outside the parts', () => {
    expect(() => uuidRange(2, 2)).toThrow(RangeError);
    expect(() => uuidRange(0, 0)).toThrow(RangeError);
    expect(() => uuidRange(-1, 2)).toThrow(RangeError);
  });
});
