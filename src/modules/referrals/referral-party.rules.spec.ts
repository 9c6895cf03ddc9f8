import { maskDisplayName, referralParty } from './referral-party.rules';

describe('maskDisplayName', () => {
  it('Latin names: first initial, ***, last initial; middle words dropped; blanks squeezed', () => {
    expect(maskDisplayName('Zhang Wei', false)).toBe('Z*** W');
    expect(maskDisplayName('  Ada   M.  Lovelace ', false)).toBe('A*** L');
    expect(maskDisplayName('Émile\tZola', false)).toBe('É*** Z');
  });

  it('one word: its initial and *** whatever its length', () => {
    expect(maskDisplayName('Zhang', false)).toBe('Z***');
    expect(maskDisplayName('Al', false)).toBe('A***');
    expect(maskDisplayName('Q', false)).toBe('Q***');
  });

  it('CJK names: the first character and one * per further character', () => {
    expect(maskDisplayName('张伟', false)).toBe('张*');
    expect(maskDisplayName('欧阳娜娜', false)).toBe('欧***');
    expect(maskDisplayName('伟', false)).toBe('伟*');
    expect(maskDisplayName('さくら', false)).toBe('さ**');
    expect(maskDisplayName('김민준', false)).toBe('김**');
  });

  it('a CJK name written with spaces is one name: its first character only (two initials would be all of "王 芳")', () => {
    expect(maskDisplayName('张 伟', false)).toBe('张*');
    expect(maskDisplayName('王 芳', false)).toBe('王*');
    expect(maskDisplayName('欧阳 娜娜', false)).toBe('欧***');
    expect(maskDisplayName('Li 小龙', false)).toBe('L*** 小'); // not all CJK: words
  });

  it('characters made of several code points stay whole', () => {
    expect(maskDisplayName('👩‍👩‍👧 Smith', false)).toBe('👩‍👩‍👧*** S');
    expect(maskDisplayName('e\u0301mile', false)).toBe('e\u0301***');
  });

  it('empty, blank or missing names and erased members show nothing', () => {
    expect(maskDisplayName('', false)).toBeNull();
    expect(maskDisplayName(' \t ', false)).toBeNull();
    expect(maskDisplayName(null, false)).toBeNull();
    expect(maskDisplayName('Zhang Wei', true)).toBeNull();
  });

  it('never shows more than two characters of the name', () => {
    for (const name of ['Zhang Wei', 'Alexandra Ocasio Cortez', '欧阳娜娜', 'Bartholomew']) {
      const shown = maskDisplayName(name, false)!.replace(/[* ]/g, '');
      expect(shown.length).toBeLessThanOrEqual(2);
    }
    // ... and never all of a name of two characters or more, however it is spaced.
    for (const name of ['王 芳', '张伟', 'Li 小龙', '欧阳 娜 娜', 'Zhang Wei']) {
      const shown = maskDisplayName(name, false)!.replace(/[* ]/g, '');
      expect(shown.length).toBeLessThan(name.replace(/\s/g, '').length);
    }
  });
});

describe('referralParty', () => {
  it('carries the id and the masked name; null once erased', () => {
    expect(referralParty('m1', 'Zhang Wei', null)).toEqual({ id: 'm1', displayName: 'Z*** W' });
    expect(referralParty('m1', 'Zhang Wei', new Date())).toEqual({ id: 'm1', displayName: null });
  });
});
