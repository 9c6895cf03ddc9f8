// Whole-number fields in the console's forms: a number beyond the API's Int (32 bits) is caught
// in the browser, as a fraction is, so that the operator reads the console's sentence next to
// the field instead of GraphQL's own English message naming no field.
import { newDraft, notIntegers } from '../../admin/src/pages/campaigns/form';
import { emptyDraft, filterIntErrors } from '../../admin/src/pages/segments/filter';
import { intOrNull, isIntText } from '../../admin/src/pages/tiers/form-values';

describe('whole-number fields', () => {
  it('take what the API\'s Int takes, and nothing beyond it', () => {
    for (const ok of ['0', '30', '-200', '+5', ' 12 ', '2147483647', '-2147483648']) expect({ ok, int: isIntText(ok) }).toEqual({ ok, int: true });
    for (const bad of ['3000000000', '2147483648', '-2147483649', '1e3', '2.5', '', 'x', '99999999999999999999']) expect({ bad, int: isIntText(bad) }).toEqual({ bad, int: false });
    expect(intOrNull('')).toBeNull();
    expect(intOrNull('2147483647')).toBe(2147483647);
    expect(intOrNull('3000000000')).toBeNaN();
  });

  it('mark a campaign\'s field beyond it (the tag rule\'s, the adjustment\'s and the other forms\' use the same test)', () => {
    const campaign = newDraft('UTC');
    expect(notIntegers({ ...campaign, numbers: { ...campaign.numbers, budgetPoints: '3000000000', bonusPoints: '10' } })).toEqual(['budgetPoints']);
    expect(notIntegers({ ...campaign, numbers: { ...campaign.numbers, budgetPoints: '2147483647', bonusPoints: '-5' } })).toEqual([]);
  });

  it('mark a filter\'s whole-number conditions beyond it: a segment\'s, a tag rule\'s, a campaign\'s audience', () => {
    const filter = emptyDraft();
    expect(filterIntErrors({ ...filter, numbers: { ...filter.numbers, minBalance: '3000000000', minSpend: '3000000000.5', minR: '2.5' } }, 'whole'))
      .toEqual({ minBalance: 'whole', minR: 'whole' }); // the spends are decimals
    expect(filterIntErrors({ ...filter, numbers: { ...filter.numbers, minBalance: '-2147483648', maxBalance: '2147483647' } }, 'whole')).toEqual({});
    const campaign = newDraft('UTC');
    expect(notIntegers({ ...campaign, audience: { ...filter, numbers: { ...filter.numbers, minBalance: '3000000000' } } })).toEqual(['minBalance']);
  });
});
