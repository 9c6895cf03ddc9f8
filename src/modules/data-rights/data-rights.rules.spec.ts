import { EXPORT_FORMAT, MAX_ERASURE_REASON, erasureReason, personalValues, scrubText } from './data-rights.rules';

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
    expect(personalValues(member, ['old@example.com', 'ext-1', ' ', 'Ava Lin'])).toEqual(
      ['1990-04-02', 'Ava Lin', 'ava@example.com', 'ext-1', 'old@example.com'],
    );
    expect(personalValues({ externalId: null, displayName: null, email: null, phone: null, birthday: null })).toEqual([]);
  });

  it('scrubText replaces each value of 3 characters or more, everywhere, as text_scrub does', () => {
    expect(scrubText('from Ava Lin (ava@example.com), Ava Lin again; id 42', ['42', 'Ava Lin', 'ava@example.com'])).toBe(
      'from [erased] ([erased]), [erased] again; id 42',
    );
    expect(scrubText('nothing personal', [])).toBe('nothing personal');
  });
});
