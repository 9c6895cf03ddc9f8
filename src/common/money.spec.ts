import { MoneyInputError, formatCents, parseMoneyToCents } from './money';

describe('parseMoneyToCents', () => {
  it.each([[19.99, 1999], [0.07, 7], [100, 10000], [1.1, 110]])('%d → %d cents', (v, c) => expect(parseMoneyToCents(v, 'amount')).toBe(c));
  it.each([[0], [-5], [Number.NaN], [Number.POSITIVE_INFINITY], [1.005], [0.1 + 0.2], [1e-7]])('rejects %d naming the field', (v) => {
    expect(() => parseMoneyToCents(v, 'amount')).toThrow(MoneyInputError);
    try { parseMoneyToCents(v, 'amount'); } catch (e) { expect((e as MoneyInputError).field).toBe('amount'); }
  });
  it('formats cents', () => expect([formatCents(1230), formatCents(5), formatCents(-150)]).toEqual(['12.30', '0.05', '-1.50']));
});
