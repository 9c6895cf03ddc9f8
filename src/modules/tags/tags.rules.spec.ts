import { cycleThrough, readersOf, refreshOrder, tagsRead } from './tags.rules';

describe('rule tags reading rule tags', () => {
  const chain = [
    { code: 'a', rule: { tagsAll: ['b'] } },
    { code: 'b', rule: { tagsAny: ['c', 'manual'] } },
    { code: 'c', rule: {} },
    { code: 'd', rule: { tagsNone: ['a'], tagsAny: ['a'] } },
  ];

  it('reads each code once, with the first field naming it', () => {
    expect(tagsRead({ tagsAll: ['x'], tagsAny: ['y', 'x'], tagsNone: ['z'] })).toEqual([
      { code: 'x', field: 'tagsAll' }, { code: 'y', field: 'tagsAny' }, { code: 'z', field: 'tagsNone' },
    ]);
  });

  it('orders every tag after the rule tags it reads, whatever order they come in', () => {
    expect(refreshOrder(chain)).toEqual(['c', 'b', 'a', 'd']);
    expect(refreshOrder([...chain].reverse())).toEqual(['c', 'b', 'a', 'd']);
    // Cycles (rows from before the check) last, by code.
    expect(refreshOrder([{ code: 'q', rule: { tagsAll: ['p'] } }, { code: 'p', rule: { tagsAll: ['q'] } }, { code: 'z', rule: {} }]))
      .toEqual(['z', 'p', 'q']);
  });

  it('finds what a change can move', () => {
    expect([...readersOf(chain, 'c')].sort()).toEqual(['a', 'b', 'c', 'd']);
    expect([...readersOf(chain, 'a')].sort()).toEqual(['a', 'd']);
    expect([...readersOf(chain, 'd')]).toEqual(['d']);
  });

  it('finds the cycle a save would close, with the field that starts it', () => {
    expect(cycleThrough(chain, 'c', { tagsNone: ['x'], tagsAny: ['a'] })).toEqual({ field: 'tagsAny', path: ['c', 'a', 'b', 'c'] });
    expect(cycleThrough(chain, 'e', { tagsAll: ['e'] })).toEqual({ field: 'tagsAll', path: ['e', 'e'] });
    expect(cycleThrough(chain, 'c', { tagsAny: ['manual'] })).toBeNull();
    // The saved tag's old rule does not count: b no longer reads c.
    expect(cycleThrough(chain, 'b', { tagsAll: ['manual'] })).toBeNull();
    expect(cycleThrough(chain, 'e', { tagsAll: ['a', 'd'] })).toBeNull();
  });
});
