import {
  CsvRecordReader, HOLDS_LONE_SURROGATE, HOLDS_NUL, IMPORT_COLUMNS, ImportFileError, MAX_RECORD_CHARS, TOO_LONG, copyRow, csvHeader, csvRecord, emailChecked, instantsToMilliseconds, isBlankRecord, ndjsonRecord,
} from './imports.rules';

/** Every record of `text` read in chunks of `size` characters. */
function read(text: string, size: number) {
  const r = new CsvRecordReader();
  const out = [];
  for (let i = 0; i < text.length; i += size) out.push(...r.push(text.slice(i, i + size)));
  out.push(...r.end());
  return out.map((x) => ({ line: x.line, fields: x.fields, malformed: x.malformed }));
}

describe('CsvRecordReader', () => {
  const text = 'a,b,c\r\n1,"x, ""y""",3\n2,"multi\nline",4\n\n5,,\n6,"unterminated';
  const expected = [
    { line: 1, fields: ['a', 'b', 'c'], malformed: null },
    { line: 2, fields: ['1', 'x, "y"', '3'], malformed: null },
    { line: 3, fields: ['2', 'multi\nline', '4'], malformed: null },
    { line: 5, fields: [''], malformed: null },
    { line: 6, fields: ['5', '', ''], malformed: null },
    { line: 7, fields: ['6', 'unterminated'], malformed: 'a quoted field is not closed' },
  ];

  it.each([1, 2, 3, 5, 7, 1000])('reads quotes, doubled quotes, CRLF and newlines in quotes the same in chunks of %i', (size) => {
    expect(read(text, size)).toEqual(expected);
  });

  it.each([1, 2, 3, 1000])('counts a line break inside quotes as one outside: CR alone, LF or CRLF, in chunks of %i', (size) => {
    const lines = (sep: string) => ['a,b', `1,"x${sep}y"`, '2,z', `3,"p${sep}q${sep}r"`, '4,w'].join(sep) + sep;
    for (const sep of ['\r', '\n', '\r\n']) {
      expect(read(lines(sep), size).map((r) => r.line)).toEqual([1, 2, 4, 5, 8]);
    }
  });

  it('takes the fast path for plain chunks and gives the same records', () => {
    const plain = 'externalId,displayName\nm-1,Ann\nm-2,Bo\n\nm-3,\n';
    for (const size of [1, 4, 9, 100]) {
      expect(read(plain, size)).toEqual([
        { line: 1, fields: ['externalId', 'displayName'], malformed: null },
        { line: 2, fields: ['m-1', 'Ann'], malformed: null },
        { line: 3, fields: ['m-2', 'Bo'], malformed: null },
        { line: 4, fields: [''], malformed: null },
        { line: 5, fields: ['m-3', ''], malformed: null },
      ]);
    }
  });

  it('keeps nothing of a record past MAX_RECORD_CHARS and rejects it, then reads on where it ends', () => {
    const long = 'x'.repeat(MAX_RECORD_CHARS);
    const text = `a,b\n1,"${long}\n${long}"\n2,${long}${long}\n3,ok\n4,"${long}${long}`;
    for (const size of [7, 65_536, text.length]) {
      const records = new CsvRecordReader();
      const out = [];
      for (let i = 0; i < text.length; i += size) out.push(...records.push(text.slice(i, i + size)));
      out.push(...records.end());
      expect(out.map((r) => ({ line: r.line, malformed: r.malformed }))).toEqual([
        { line: 1, malformed: null }, { line: 2, malformed: TOO_LONG }, { line: 4, malformed: TOO_LONG }, { line: 5, malformed: null }, { line: 6, malformed: TOO_LONG },
      ]);
      expect(out[3].fields).toEqual(['3', 'ok']);
      expect(Math.max(...out.map((r) => r.fields.join(',').length))).toBeLessThan(10);
      expect(out.some((r) => isBlankRecord(r))).toBe(false);
      expect(csvRecord([0, 1], 2, out[1]).error).toBe(TOO_LONG);
    }
  });

  it('marks a quote inside an unquoted field', () => {
    expect(read('a,b"c\n', 100)[0].malformed).toBe('a quote inside an unquoted field');
  });

  it('marks text after a field\'s closing quote, in any chunking, and reads the next record as usual', () => {
    const text = 'x,"Smith" Jr,"1"000\r\n"ok","a""b",""\n"c"d\n';
    for (const size of [1, 2, 3, 5, 100]) {
      const out = read(text, size);
      expect(out.map((r) => r.malformed)).toEqual(['text after the closing quote of a field', null, 'text after the closing quote of a field']);
      expect(out[1].fields).toEqual(['ok', 'a"b', '']);
    }
  });
});

describe('headers and records', () => {
  it('maps columns by name, reports unknown ones, refuses a missing key or a column twice', () => {
    expect(csvHeader('PURCHASES', ['\uFEFForderId', 'amount', 'externalId', 'occurredAt', 'note'])).toEqual({ positions: [0, 2, 1, 3, -1], unknown: ['note'] });
    expect(csvHeader('MEMBERS', ['externalId', '', ' ']).unknown).toEqual(['(unnamed column 2)', '(unnamed column 3)']);
    // Bounded as NDJSON's keys are: the first 20, each cut at 100 characters, and how many more.
    const wide = csvHeader('MEMBERS', ['externalId', 'x'.repeat(150), ...Array.from({ length: 300_000 }, () => '')]).unknown;
    expect(wide).toHaveLength(21);
    expect(wide[0]).toBe(`${'x'.repeat(100)}…`);
    expect(wide[1]).toBe('(unnamed column 3)');
    expect(wide[20]).toBe('and 299981 more');
    expect(() => csvHeader('MEMBERS', ['displayName'])).toThrow(ImportFileError);
    expect(() => csvHeader('MEMBERS', ['externalId', 'externalId'])).toThrow(/twice/);
    expect(() => csvHeader('MEMBERS', ['externalId', 'na\u0000me'])).toThrow('The header row (line 1) holds a NUL character (U+0000): remove it from the file');
  });

  it('says what a header row lacking a required column probably meant: another case, or semicolons', () => {
    expect(() => csvHeader('PURCHASES', ['OrderId', 'externalid', 'amount', 'occurredAt'])).toThrow(
      'The header row (line 1) lacks the required columns orderId, externalId (column names are matched exactly: write OrderId for orderId, externalid for externalId)');
    expect(() => csvHeader('MEMBERS', ['externalId;displayName;email'])).toThrow(
      'The header row (line 1) lacks the required column externalId (the row reads as one column: separate the columns with commas, not semicolons)');
    expect(() => csvHeader('MEMBERS', ['displayName'])).toThrow(/^The header row \(line 1\) lacks the required column externalId$/);
  });

  it("notes an NDJSON object's keys that are no column, a bounded number of them", () => {
    const unknown = new Set<string>();
    ndjsonRecord('MEMBERS', 1, '{"externalId":"a","display_name":"A","Email":"a@b.example"}', unknown);
    ndjsonRecord('MEMBERS', 2, '{"externalId":"b","Email":"b@b.example","x":1}', unknown);
    expect([...unknown]).toEqual(['display_name', 'Email', 'x']);
    const many = new Set<string>();
    ndjsonRecord('MEMBERS', 1, JSON.stringify(Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}${'y'.repeat(i === 0 ? 200 : 0)}`, i]))), many);
    expect(many.size).toBe(20);
    expect([...many][0]).toBe(`k0${'y'.repeat(98)}…`);
  });

  it('stages a record by column, empty as null, and a wrong width as the line\'s error', () => {
    const { positions } = csvHeader('PURCHASES', ['orderId', 'externalId', 'amount', 'occurredAt']);
    expect(csvRecord(positions, 4, { line: 2, fields: ['o-1', 'm-1', ' 12.50 ', ''], malformed: null }))
      .toEqual({ line: 2, values: ['o-1', 'm-1', '12.50', null, null], error: null });
    expect(csvRecord(positions, 4, { line: 3, fields: ['o-1'], malformed: null }).error).toBe('Expected 4 fields as in the header row, found 1');
  });

  it('reads an NDJSON object: strings and numbers, null and "" as not given, anything else an error', () => {
    expect(ndjsonRecord('PURCHASES', 1, '{"orderId":"o","externalId":"m","amount":12.5,"occurredAt":null,"x":[1]}'))
      .toEqual({ line: 1, values: ['o', 'm', '12.5', null, null], error: null });
    expect(ndjsonRecord('PURCHASES', 2, '{"orderId":true}').error).toBe('orderId must be a string or a number');
    expect(ndjsonRecord('PURCHASES', 3, '[]').error).toBe('Each line must be a JSON object');
    expect(ndjsonRecord('PURCHASES', 4, '{').error).toBe('Not valid JSON');
    expect(ndjsonRecord('PURCHASES', 5, '{"orderId":9007199254740993}').error).toBe('orderId is a number too large to read exactly: write it as a string');
    expect(ndjsonRecord('PURCHASES', 6, '{"orderId":9007199254740991,"amount":-1e300}').error).toBe('amount is a number too large to read exactly: write it as a string');
    expect(ndjsonRecord('PURCHASES', 7, '{"orderId":9007199254740991}').values[0]).toBe('9007199254740991');
  });

  it('rejects a line whose values hold a byte the UTF-8 decoder could not read (U+FFFD)', () => {
    const { positions } = csvHeader('MEMBERS', ['externalId', 'displayName', 'note']);
    expect(csvRecord(positions, 3, { line: 2, fields: ['m-1', 'Jos\uFFFD', ''], malformed: null }).error).toMatch(/^The line is not valid UTF-8/);
    expect(csvRecord(positions, 3, { line: 3, fields: ['m-1', 'José', 'ignored \uFFFD column'], malformed: null }).error).toBeNull();
    expect(ndjsonRecord('MEMBERS', 1, '{"externalId":"m-\uFFFD"}').error).toMatch(/^The line is not valid UTF-8/);
  });

  it('rejects a line whose values hold a NUL or, from JSON escapes, half of a surrogate pair: stored, they would be another value', () => {
    const { positions } = csvHeader('MEMBERS', ['externalId', 'displayName']);
    expect(csvRecord(positions, 2, { line: 2, fields: ['vic\u0000tim', 'X'], malformed: null }).error).toBe(HOLDS_NUL);
    const rejected = csvRecord(positions, 2, { line: 3, fields: ['m-1', 'a\u0000b'], malformed: null });
    expect(rejected).toMatchObject({ line: 3, error: HOLDS_NUL });
    expect(rejected.values.every((v) => v === null)).toBe(true); // nothing of the line staged
    expect(ndjsonRecord('MEMBERS', 1, '{"externalId":"vic\\u0000tim"}').error).toBe(HOLDS_NUL);
    expect(ndjsonRecord('PURCHASES', 2, '{"orderId":"ord-R-\\ud800","externalId":"m"}').error).toBe(HOLDS_LONE_SURROGATE);
    expect(ndjsonRecord('PURCHASES', 3, '{"orderId":"ord-\\ud83d\\ude00","externalId":"m"}').error).toBeNull(); // a pair: 😀
    expect(HOLDS_LONE_SURROGATE).toContain('\\ud800');
  });

  it('writes COPY text rows with escapes and \\N for null', () => {
    expect(copyRow({ line: 7, values: ['a\tb', null, 'c\\d\ne'], error: null })).toBe('7\ta\\tb\t\\N\tc\\\\d\\ne\t\\N\n');
  });
});

describe('instantsToMilliseconds', () => {
  const purchase = (occurredAt: string | null, error: string | null = null) => ({ line: 2, values: ['o-1', 'm-1', '10', occurredAt, null], error });
  it.each([
    ['2024-03-10T01:30:00.123456Z', '2024-03-10T01:30:00.123Z'],
    ['2024-03-10 01:30:00.999999+00', '2024-03-10 01:30:00.999+00'],
    ['2024-03-10T01:30:00.123456789-05:30', '2024-03-10T01:30:00.123-05:30'],
    ['2024-03-10T01:30:00.0000001', '2024-03-10T01:30:00.000'],
  ])('cuts %s to the millisecond', (given, read) => {
    expect(instantsToMilliseconds('PURCHASES', purchase(given)).values[3]).toBe(read);
  });
  it.each(['2024-03-10T01:30:00.123Z', '2024-03-10T01:30:00Z', '2024-03-10', '2024-03-10T01:30:00.1234x', 'o-12345678901234567890123'])('leaves %s as it is', (given) => {
    expect(instantsToMilliseconds('PURCHASES', purchase(given)).values[3]).toBe(given);
  });
  it('looks at instant columns only, and not at a rejected line', () => {
    const members = { line: 3, values: ['2024-03-10T01:30:00.123456Z', null, null, null, null, null, null, null, '2024-03-10T01:30:00.123456Z', null, null, null, null], error: null };
    expect(instantsToMilliseconds('MEMBERS', members).values).toEqual(['2024-03-10T01:30:00.123456Z', ...Array(7).fill(null), '2024-03-10T01:30:00.123Z', null, null, null, null]);
    expect(instantsToMilliseconds('PURCHASES', purchase('2024-03-10T01:30:00.123456Z', 'bad')).values[3]).toBe('2024-03-10T01:30:00.123456Z');
  });
});


describe('emails, as registerMember checks them', () => {
  const line = (email: string | null, externalId: string | null = 'm-1') => {
    const values: (string | null)[] = IMPORT_COLUMNS.MEMBERS.map(() => null);
    values[IMPORT_COLUMNS.MEMBERS.indexOf('externalId')] = externalId;
    values[IMPORT_COLUMNS.MEMBERS.indexOf('email')] = email;
    return { line: 2, values, error: null };
  };
  it('rejects what the API refuses (a one-letter top-level domain, two dots), and keeps what it takes', () => {
    for (const bad of ['a@b.c', 'x@y..com', 'no-at.example.com']) expect(emailChecked('MEMBERS', line(bad)).error).toBe('email must be an email');
    for (const good of ['a@example.com', 'mei.chen+tag@例子.中国', null]) expect(emailChecked('MEMBERS', line(good))).toEqual(line(good));
  });
  it('takes a quoted local part, as @IsEmail does', () => {
    expect(emailChecked('MEMBERS', line('"john doe"@example.com')).error).toBeNull();
  });
  it('leaves a line without its key, or with a key or name too long, and other kinds, to the checks that come first', () => {
    expect(emailChecked('MEMBERS', line('a@b.c', null)).error).toBeNull();
    expect(emailChecked('MEMBERS', line('a@b.c', 'k'.repeat(201))).error).toBeNull();
    const named = line('a@b.c');
    named.values[IMPORT_COLUMNS.MEMBERS.indexOf('displayName')] = 'n'.repeat(201);
    expect(emailChecked('MEMBERS', named).error).toBeNull();
    // An email of 167 characters (322 UTF-16 units) is within the SQL's 320 characters: checked here.
    expect(emailChecked('MEMBERS', line(`not-an-email${'😀'.repeat(155)}`)).error).toBe('email must be an email');
    // 150 emoji are 300 UTF-16 units but 150 characters, as SQL counts them: the email is checked here.
    named.values[IMPORT_COLUMNS.MEMBERS.indexOf('displayName')] = '😀'.repeat(150);
    expect(emailChecked('MEMBERS', named).error).toBe('email must be an email');
    const purchase = { line: 2, values: ['o', 'm', '1', null, null], error: null };
    expect(emailChecked('PURCHASES', purchase)).toBe(purchase);
  });
});
