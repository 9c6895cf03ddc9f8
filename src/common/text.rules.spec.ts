import { hasVisibleText, textFault } from './text.rules';

describe('textFault', () => {
  it('finds a NUL anywhere, and half of a surrogate pair on its own at either end or inside', () => {
    expect(textFault('vic\u0000tim')).toBe('NUL');
    expect(textFault('\u0000')).toBe('NUL');
    expect(textFault('ord-\ud800')).toBe('LONE_SURROGATE');
    expect(textFault('\udc00ord')).toBe('LONE_SURROGATE');
    expect(textFault('a\udc00\ud800b')).toBe('LONE_SURROGATE'); // a low half before a high one is no pair
  });

  it('passes well-formed text: astral characters (a surrogate pair), CJK, the replacement character itself', () => {
    for (const ok of ['', 'victim-R', '王芳', 'emoji 😀 ok', '\ud83d\ude00', 'a\uFFFDb']) expect(textFault(ok)).toBeNull();
  });
});

describe('hasVisibleText', () => {
  it('is false for white space, controls and characters that show nothing, alone or together', () => {
    for (const v of ['', '   ', '\t\n', '\u0001', '\u200B', '\u200C\u200D', '\u2060', '\u3164', '\u115F\u1160', '\uFFA0', '\u2800', '\u00AD', '\uFEFF', '\uFE0F', '\u3000']) {
      expect({ v, visible: hasVisibleText(v) }).toEqual({ v, visible: false });
    }
  });
  it('is true once one character shows', () => {
    for (const v of ['a', ' 金 ', '\u200BGold', '🙂', '-', 'é', '\u0301']) expect({ v, visible: hasVisibleText(v) }).toEqual({ v, visible: true });
  });
});
