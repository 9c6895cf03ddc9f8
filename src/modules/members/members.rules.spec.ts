import fc from 'fast-check';
import { escapeLike, isBirthday, isCalendarDate, MAX_SEARCH_LENGTH, mayChangeBirthday, profileChanges, searchTerms, trimmedProfile, type Profile } from './members.rules';

/** What LIKE with escape `\` does with a pattern: a reference matcher for the property below. */
function likeMatches(pattern: string, text: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') re += (pattern[++i] ?? '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    else if (c === '%') re += '[^]*';
    else if (c === '_') re += '[^]';
    else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`${re}$`).test(text);
}

describe('searchTerms', () => {
  it('trims, and refuses an empty or overlong text', () => {
    expect(searchTerms('  Ada ').text).toBe('Ada');
    expect(() => searchTerms(' \t ')).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', details: { field: 'query' } }));
    expect(searchTerms('x'.repeat(MAX_SEARCH_LENGTH)).text).toHaveLength(MAX_SEARCH_LENGTH);
    expect(() => searchTerms('x'.repeat(MAX_SEARCH_LENGTH + 1))).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
  });

  it('looks up an id only for a uuid, an email only with "@", a phone only with a digit', () => {
    const id = '0F1E2D3C-4B5A-4968-8776-655443322110';
    expect(searchTerms(id)).toMatchObject({ id: id.toLowerCase(), email: false, phone: true });
    expect(searchTerms('ada@example.com')).toMatchObject({ id: null, email: true, phone: false });
    expect(searchTerms('+44 7700 900123')).toMatchObject({ id: null, email: false, phone: true });
    expect(searchTerms('Ada')).toMatchObject({ id: null, email: false, phone: false, namePrefix: 'Ada%' });
  });

  it('a name prefix takes % _ and \\ literally', () => {
    expect(searchTerms('100%').namePrefix).toBe('100\\%%');
    expect(searchTerms('a_b\\c').namePrefix).toBe('a\\_b\\\\c%');
  });
});

describe('escapeLike', () => {
  it('matches exactly the strings that start with the text (property)', () => {
    const alphabet = fc.constantFrom('a', 'b', '%', '_', '\\', ' ');
    fc.assert(fc.property(fc.string({ unit: alphabet, maxLength: 6 }), fc.string({ unit: alphabet, maxLength: 8 }), (prefix, text) => {
      expect(likeMatches(`${escapeLike(prefix)}%`, text)).toBe(text.startsWith(prefix));
    }), { numRuns: 2000 });
  });
});

describe('profileChanges', () => {
  const current: Profile = { displayName: 'Ada', email: 'ada@example.com', phone: null, birthday: '1990-01-01', gender: null, region: 'North' };

  it('absent fields are unchanged, null clears, equal values are no change', () => {
    expect(profileChanges(current, {})).toEqual({});
    expect(profileChanges(current, { displayName: 'Ada', phone: null })).toEqual({});
    expect(profileChanges(current, { displayName: undefined, email: null, phone: '+1 555', region: 'North' })).toEqual({ email: null, phone: '+1 555' });
    expect(profileChanges(current, { birthday: '1990-01-02' })).toEqual({ birthday: '1990-01-02' });
  });

  it('ignores what is not a patchable field', () => {
    expect(profileChanges(current, { externalId: 'x', channel: 'y' } as never)).toEqual({});
  });
});

describe('mayChangeBirthday', () => {
  it('a member only while none is stored; services and admins always', () => {
    expect(mayChangeBirthday('member', null)).toBe(true);
    expect(mayChangeBirthday('member', '1990-01-01')).toBe(false);
    expect(mayChangeBirthday('service', '1990-01-01')).toBe(true);
    expect(mayChangeBirthday('admin', '1990-01-01')).toBe(true);
  });
});

describe('isCalendarDate', () => {
  it('takes a real date in YYYY-MM-DD', () => {
    expect(isCalendarDate('2024-02-29')).toBe(true);
    expect(isCalendarDate('1900-01-01')).toBe(true);
  });
  it('refuses a day the month does not have, and any other form', () => {
    for (const v of ['2025-02-29', '2025-02-30', '2025-13-01', '2025-1-01', '2025-01-01T00:00:00Z', '', '01/02/2025']) expect(isCalendarDate(v)).toBe(false);
  });
});

describe('isBirthday', () => {
  const now = new Date('2026-06-15T12:00:00Z');
  it('a calendar date from 1900-01-01 to today, with a day of slack for zones ahead of UTC', () => {
    expect(isBirthday('1900-01-01', now)).toBe(true);
    expect(isBirthday('2026-06-16', now)).toBe(true);
    expect(isBirthday('2026-06-17', now)).toBe(false);
    expect(isBirthday('1899-12-31', now)).toBe(false);
    expect(isBirthday('0000-01-01', now)).toBe(false);
    expect(isBirthday('1990-02-30', now)).toBe(false);
  });
});

describe('trimmedProfile', () => {
  it('trims the free-text fields it holds, makes blank null, and leaves absent fields absent', () => {
    const out = trimmedProfile({ displayName: '  Ada ', region: 'North\t', channel: '   ', gender: null, email: ' kept@example.com ' });
    expect(out).toEqual({ displayName: 'Ada', region: 'North', channel: null, gender: null, email: ' kept@example.com ' });
    expect('phone' in out).toBe(false);
  });
});
