// What the console's lists link a member by (admin/src/pages/members/label.ts): a display name of
// characters that show nothing (zero-width, fillers) made an invisible link.
import { memberLabel } from '../../admin/src/pages/members/label';

describe('memberLabel', () => {
  it('is the display name when it shows, else the externalId, else the id', () => {
    expect(memberLabel({ id: 'i', displayName: 'Zhang Wei', externalId: 'E1' })).toBe('Zhang Wei');
    expect(memberLabel({ id: 'i', displayName: '\u200B', externalId: 'E1' })).toBe('E1');
    expect(memberLabel({ id: 'i', displayName: '\u3164\u2800', externalId: null })).toBe('i');
    expect(memberLabel({ id: 'i', displayName: null, externalId: '  ' })).toBe('i');
    expect(memberLabel({ id: 'i' })).toBe('i');
  });
});
