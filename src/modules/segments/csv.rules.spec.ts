import { csvCell, csvLine } from './csv.rules';

describe('csvCell neutralises formulas (OWASP CSV injection)', () => {
  it.each([
    ['=HYPERLINK("http://evil.example","x")', `"'=HYPERLINK(""http://evil.example"",""x"")"`],
    ['+1+1', `"'+1+1"`],
    ['-2+3', `"'-2+3"`],
    ['@SUM(1)', `"'@SUM(1)"`],
    ['\t=1+1', `"'\t=1+1"`],
    ['\r=1+1', `"'\r=1+1"`],
    ['-80', `"'-80"`], // a text column: a minus is a formula start there
  ])('text %j → %s', (value, cell) => expect(csvCell(value)).toBe(cell));

  it('a numeric column keeps its numbers bare, negative or not', () => {
    expect([csvCell(-80, 'number'), csvCell('-80', 'number'), csvCell(0, 'number'), csvCell('12.5', 'number'), csvCell(-1.25, 'number')])
      .toEqual(['-80', '-80', '0', '12.5', '-1.25']);
  });

  it('a numeric column that holds something else than a number is neutralised like text', () => {
    expect(csvCell('-2+3', 'number')).toBe(`"'-2+3"`);
    expect(csvCell('=1+1', 'number')).toBe(`"'=1+1"`);
  });

  it('leaves ordinary text alone and quotes separators, quotes and line breaks', () => {
    expect([csvCell('Ann Lee'), csvCell('a,b'), csvCell('a;b'), csvCell('say "hi"'), csvCell('a\nb'), csvCell('a-b'), csvCell('x=1')])
      .toEqual(['Ann Lee', '"a,b"', '"a;b"', '"say ""hi"""', '"a\nb"', 'a-b', 'x=1']);
  });

  it('writes null as empty and dates in ISO form', () => {
    expect([csvCell(null), csvCell(undefined), csvCell(new Date(Date.UTC(2024, 0, 2)))]).toEqual(['', '', '2024-01-02T00:00:00.000Z']);
  });

  it('csvLine applies each column its kind', () => {
    expect(csvLine(['-5', -5, '@x'], ['text', 'number'])).toBe(`"'-5",-5,"'@x"`);
  });
});
