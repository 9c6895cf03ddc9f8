import fc from 'fast-check';
import { cursorKind, decodeCursor, decodeKeyCursor, encodeCursor, encodeKeyCursor, keysetByKey, pageOf } from './pagination';

const raw = (text: string) => Buffer.from(text).toString('base64url');

describe('key cursors (a text key, then a bigint)', () => {
  it('give back the position they hold, whatever the key (property)', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }).filter((k) => !k.includes('\u0000')), fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }), (key, n) => {
      expect(decodeKeyCursor('name', encodeKeyCursor('name', { key, n: n.toString() }))).toEqual({ key, n: n.toString() });
    }));
  });

  it('refuse another kind, a bad number, a NUL or an overlong key, naming the field', () => {
    const bad = [raw('other:1:a'), raw('name:a:b'), raw('name:-1:a'), raw('name:9223372036854775808:a'), raw('name:1:a\u0000'), raw(`name:1:${'k'.repeat(1001)}`), raw('name:1'), '%%'];
    for (const c of bad) expect(() => decodeKeyCursor('name', c, 'after')).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', details: { field: 'after' } }));
    expect(decodeKeyCursor('name', null)).toBeNull();
    expect(decodeKeyCursor('name', '')).toBeNull();
  });

  it('say their kind, so that a list with two orders knows which a cursor pages', () => {
    expect(cursorKind(encodeKeyCursor('name', { key: 'a:b', n: '1' }))).toBe('name');
    expect(cursorKind(encodeCursor('exact', 7))).toBe('exact');
    expect(cursorKind(null)).toBeNull();
    expect(decodeCursor('exact', encodeCursor('exact', 7))).toBe('7');
  });

  it('page on (key, column) as one row, on a qualified column only', () => {
    expect(keysetByKey('lower(m.name)', 'm.seq', null)).toEqual({ where: 'true', orderBy: 'order by lower(m.name), m.seq', params: [] });
    expect(keysetByKey('lower(m.name)', 'm.seq', { key: 'ada', n: '9' })).toEqual({
      where: '(lower(m.name), m.seq) > (?::text, ?::bigint)', orderBy: 'order by lower(m.name), m.seq', params: ['ada', '9'],
    });
    expect(() => keysetByKey('lower(name)', 'seq', null)).toThrow(/qualify/);
  });
});

describe('pageOf', () => {
  const rows = [{ id: '9' }, { id: '8' }, { id: '7' }];
  const cursorOf = (r: { id: string }) => `c${r.id}`;
  it('keeps the first `first` rows, a cursor each, and says there is more when the extra row came', () => {
    expect(pageOf(rows, 2, cursorOf)).toEqual({ items: [{ id: '9' }, { id: '8' }], cursors: ['c9', 'c8'], hasNextPage: true, endCursor: 'c8' });
  });
  it('a last page: no next page, the end cursor its last row\'s', () => {
    expect(pageOf(rows, 3, cursorOf)).toEqual({ items: rows, cursors: ['c9', 'c8', 'c7'], hasNextPage: false, endCursor: 'c7' });
  });
  it('an empty page has no end cursor', () => {
    expect(pageOf([], 5, cursorOf)).toEqual({ items: [], cursors: [], hasNextPage: false, endCursor: null });
  });
  it('makes each item of its row, the cursor of the row', () => {
    expect(pageOf(rows, 1, cursorOf, (r) => Number(r.id))).toEqual({ items: [9], cursors: ['c9'], hasNextPage: true, endCursor: 'c9' });
  });
});
