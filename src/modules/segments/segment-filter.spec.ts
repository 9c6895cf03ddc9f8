import { compileFilter, TAGS_ALL_JOINS } from './segment-filter';

const joins = (where: string) => where.split('from member_tag').length - 1;
const codes = (n: number) => Array.from({ length: n }, (_, i) => `t${i}`);

describe('compileFilter: tagsAll', () => {
  it('is a semi-join per tag up to TAGS_ALL_JOINS distinct codes', () => {
    expect(joins(compileFilter({ tagsAll: codes(TAGS_ALL_JOINS) }).where)).toBe(TAGS_ALL_JOINS);
    expect(joins(compileFilter({ tagsAll: [...codes(TAGS_ALL_JOINS), 't0'] }).where)).toBe(TAGS_ALL_JOINS);
  });
  it('is one condition past them, however many: the statement grows with the list only by its array', () => {
    for (const n of [TAGS_ALL_JOINS + 1, 100, 20_000]) {
      const { where, params } = compileFilter({ tagsAll: codes(n) });
      expect(joins(where)).toBe(1);
      expect(params).toEqual([`{${codes(n).map((c) => `"${c}"`).join(",")}}`, n]);
    }
  });
  it('counts each code once', () => {
    const { params } = compileFilter({ tagsAll: [...codes(6), 't1', 't2'] });
    expect(params[1]).toBe(6);
  });
});
