import { EXPORT_FORMAT, MAX_ERASURE_REASON, erasureReason, personalValues } from './data-rights.rules';

describe('data rights rules', () => {
  it('the export format names its version', () => {
    expect(EXPORT_FORMAT).toMatch(/\/1$/);
  });

  it('an erasure reason is trimmed, and refused empty or too long', () => {
    expect(erasureReason('  request by e-mail  ')).toBe('request by e-mail');
    expect(erasureReason('   ')).toBeNull();
    expect(erasureReason('x'.repeat(MAX_ERASURE_REASON))).toHaveLength(MAX_ERASURE_REASON);
    expect(erasureReason('x'.repeat(MAX_ERASURE_REASON + 1))).toBeNull();
  });

  it('personal values: the identifying fields and former values, distinct, without blanks or categories', () => {
    const member = { externalId: 'ext-1', displayName: 'Ava Lin', email: 'ava@example.com', phone: null, birthday: '1990-04-02' };
    const former = [['email', 'old@example.com'], ['externalId', 'ext-1'], ['phone', ' '], ['displayName', 'Ava Lin']].map(([key, value]) => ({ key, value }));
    expect(personalValues(member, former)).toEqual(
      ['1990-04-02', 'Ava', 'Ava Lin', 'Lin', 'ava@example.com', 'ext-1', 'old@example.com'],
    );
    expect(personalValues({ externalId: null, displayName: null, email: null, phone: null, birthday: null })).toEqual([]);
  });

  it('personal values: each word of a name of several, now and before; a one-word name once', () => {
    const member = { externalId: null, displayName: ' Marta  Kowalska ', email: null, phone: null, birthday: null };
    expect(personalValues(member, [{ key: 'displayName', value: ' Marta  Kowalska ' }, { key: 'displayName', value: 'Marta Nowak' }])).toEqual(
      [' Marta  Kowalska ', 'Kowalska', 'Marta', 'Marta Nowak', 'Nowak'],
    );
    expect(personalValues({ ...member, displayName: '王芳' })).toEqual(['王芳']);
  });
});
