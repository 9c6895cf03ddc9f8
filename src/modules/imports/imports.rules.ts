/**
 * Pure rules of bulk imports: the columns each kind takes, a CSV record reader that works on a
 * stream of chunks (RFC 4180: quoted fields, doubled quotes, CRLF, newlines inside quotes),
 * NDJSON lines, and the rows as PostgreSQL's COPY text format takes them. No I/O.
 *
 * Line numbers: the physical line a record starts on, from 1. In a CSV line 1 is the header
 * row; in NDJSON it is the first line (blank lines are skipped but counted).
 */
import { isEmail } from 'class-validator';
import type { ImportKind } from './import.entities';
import { textFault } from '../../common/text.rules';

/** The file's columns of each kind, in the staging table's order (camelCase, as in the API). */
export const IMPORT_COLUMNS: Record<ImportKind, readonly string[]> = {
  MEMBERS: ['externalId', 'displayName', 'email', 'phone', 'birthday', 'gender', 'region', 'channel', 'joinedAt',
    'tierCode', 'tierExpiresAt', 'pointsBalance', 'pointsExpireAt'],
  PURCHASES: ['orderId', 'externalId', 'amount', 'occurredAt', 'refundedAmount'],
};

/** The columns of each kind that hold an instant (ISO-8601). */
export const INSTANT_COLUMNS: Record<ImportKind, readonly string[]> = {
  MEMBERS: ['joinedAt', 'tierExpiresAt', 'pointsExpireAt'],
  PURCHASES: ['occurredAt'],
};

/** The columns a file must have. */
export const REQUIRED_COLUMNS: Record<ImportKind, readonly string[]> = {
  MEMBERS: ['externalId'],
  PURCHASES: ['orderId', 'externalId', 'amount', 'occurredAt'],
};

/** A value may be this long at most (a longer one is a line's error, not a memory risk). */
export const MAX_VALUE_LENGTH = 1000;

/**
 * A record (a CSV record, quoted newlines included, or an NDJSON line) may be this long at
 * most: past it the reader keeps nothing more of it and rejects it, so that one endless
 * record (a quote never closed, a file without newlines) cannot fill the server's memory.
 */
export const MAX_RECORD_CHARS = 1_000_000;

/** Why a record past MAX_RECORD_CHARS is rejected. */
export const TOO_LONG = `The line is longer than ${MAX_RECORD_CHARS} characters`;

/** The byte order mark some editors (Excel's "CSV UTF-8") put before a file's first character. */
export const BOM = '\uFEFF';

/** One record of the file: the line it starts on, its values by staging column (null: absent or empty), or why it cannot be read. */
export interface StagedRecord { line: number; values: (string | null)[]; error: string | null }

/** A file whose header (or content type) makes it unreadable as a whole: the upload is refused. */
export class ImportFileError extends Error {}

// ---------------------------------------------------------------------------------------
// CSV

/** Reads CSV records from chunks of text as they come; each record with the line it starts on. */
export class CsvRecordReader {
  private field = '';
  private fields: string[] = [];
  private quoted = false;
  /** The last character was a quote inside a quoted field: either the closing one or the first of a doubled pair. */
  private quoteSeen = false;
  /** The current field's closing quote was read: only a comma or the record's end may follow it (RFC 4180). */
  private closed = false;
  private afterCr = false;
  private line = 1;
  /** Inside quotes, the character before was a CR (a LF now ends the same line break). */
  private quotedCr = false;
  private recordLine = 1;
  private malformed: string | null = null;
  private started = false;
  /** Characters of the current record read so far, and whether it went past MAX_RECORD_CHARS (then nothing more of it is kept). */
  private size = 0;
  private tooLong = false;
  /** Characters of the current field read so far (kept or not). */
  private fieldChars = 0;

  /** The records completed by this chunk. */
  push(chunk: string): { line: number; fields: string[]; malformed: string | null }[] {
    const out: { line: number; fields: string[]; malformed: string | null }[] = [];
    // Most chunks of most files have no quote and no CR: split them by line and comma (several
    // times faster than a character at a time).
    if (!this.quoted && !this.closed && !this.afterCr && !chunk.includes('"') && !chunk.includes('\r')) {
      let start = 0;
      for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', start)) {
        this.appendPlain(chunk.slice(start, nl));
        out.push(this.finish());
        this.line++;
        this.recordLine = this.line;
        start = nl + 1;
      }
      this.appendPlain(chunk.slice(start));
      return out;
    }
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      if (this.afterCr) {
        this.afterCr = false;
        if (c === '\n') continue; // CRLF: the record ended at the CR
      }
      if (this.quoted) {
        if (this.quoteSeen) {
          this.quoteSeen = false;
          if (c === '"') { this.add('"'); continue; }
          this.quoted = false; // that quote closed the field; c is read below as outside quotes
          this.closed = true;
        } else if (c === '"') {
          this.quoteSeen = true;
          this.quotedCr = false;
          continue;
        } else {
          // A line break inside quotes, as outside them: LF, CRLF (counted once) or a CR alone (an old Mac's file).
          if (c === '\r' || (c === '\n' && !this.quotedCr)) this.line++;
          this.quotedCr = c === '\r';
          this.add(c);
          continue;
        }
      }
      this.started = true;
      if (c === ',') {
        if (this.grow(1)) this.fields.push(this.field);
        this.field = '';
        this.fieldChars = 0;
        this.closed = false;
      } else if (c === '\n' || c === '\r') {
        out.push(this.finish());
        this.line++;
        this.recordLine = this.line;
        if (c === '\r') this.afterCr = true;
      } else if (this.closed) {
        // "Smith" Jr: text after a field's closing quote is no part of it (it was glued on: "1"000 read as 1000).
        this.malformed ??= 'text after the closing quote of a field';
        this.add(c);
      } else if (c === '"') {
        if (this.fieldChars === 0) this.quoted = true;
        else this.malformed ??= 'a quote inside an unquoted field';
      } else {
        this.add(c);
      }
    }
    return out;
  }

  /** One more character of the current field (kept while the record is within MAX_RECORD_CHARS). */
  private add(c: string): void {
    this.fieldChars++;
    if (this.grow(1)) this.field += c;
  }

  /** Counts `n` more characters of the record; false (and the record dropped) once it is past MAX_RECORD_CHARS. */
  private grow(n: number): boolean {
    if (this.tooLong) return false;
    this.size += n;
    if (this.size <= MAX_RECORD_CHARS) return true;
    this.tooLong = true;
    this.field = '';
    this.fields = [];
    return false;
  }

  /** Unquoted text without a newline: commas end fields. */
  private appendPlain(text: string): void {
    if (!text) return;
    this.started = true;
    const comma = text.lastIndexOf(',');
    this.fieldChars = comma < 0 ? this.fieldChars + text.length : text.length - comma - 1;
    if (!this.grow(text.length)) return;
    const parts = text.split(',');
    this.field += parts[0];
    for (let i = 1; i < parts.length; i++) {
      this.fields.push(this.field);
      this.field = parts[i];
    }
  }

  /** The last record, when the file does not end with a newline. */
  end(): { line: number; fields: string[]; malformed: string | null }[] {
    if (this.quoted && !this.quoteSeen) {
      this.malformed ??= 'a quoted field is not closed';
      return [this.finish()];
    }
    this.quoted = false;
    return this.started || this.field !== '' || this.fields.length ? [this.finish()] : [];
  }

  private finish(): { line: number; fields: string[]; malformed: string | null } {
    this.fields.push(this.field);
    const r = { line: this.recordLine, fields: this.fields, malformed: this.tooLong ? TOO_LONG : this.malformed };
    this.fields = [];
    this.field = '';
    this.malformed = null;
    this.closed = false;
    this.started = false;
    this.size = 0;
    this.tooLong = false;
    this.fieldChars = 0;
    return r;
  }
}

/**
 * The header row's columns, mapped to the staging table's: the index in the row of each
 * staging column (−1: not in the file) and the names it does not know (reported on line 1,
 * their values ignored). A column twice, or a required one missing, makes the file unreadable.
 */
export function csvHeader(kind: ImportKind, names: string[]): { positions: number[]; unknown: string[] } {
  const columns = IMPORT_COLUMNS[kind];
  const trimmed = names.map((n, i) => (i === 0 && n.startsWith(BOM) ? n.slice(1) : n).trim());
  if (trimmed.some((n) => n.includes('\u0000'))) throw new ImportFileError('The header row (line 1) holds a NUL character (U+0000): remove it from the file');
  const seen = new Set<string>();
  for (const n of trimmed) {
    if (n && seen.has(n)) throw new ImportFileError(`The header row names the column ${n} twice`);
    seen.add(n);
  }
  const missing = REQUIRED_COLUMNS[kind].filter((c) => !seen.has(c));
  if (missing.length) throw new ImportFileError(`The header row (line 1) lacks the required column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}${headerHint(missing, trimmed)}`);
  return {
    positions: columns.map((c) => trimmed.indexOf(c)),
    // A column without a name (a spreadsheet's trailing comma) is named by its place, so that the note on line 1 reads.
    unknown: noted(trimmed.flatMap((n, i) => (columns.includes(n) ? [] : [n || `(unnamed column ${i + 1})`]))),
  };
}

/**
 * The unknown columns a note on line 1 names: the first MAX_UNKNOWN_KEYS, each cut at
 * MAX_UNKNOWN_KEY_CHARS, and how many more (as NDJSON's keys are bounded): a header of 300,000
 * empty columns made a note of 7 MB that every read of the job's errors returned.
 */
function noted(unknown: string[]): string[] {
  const shown = unknown.slice(0, MAX_UNKNOWN_KEYS).map((k) => (k.length > MAX_UNKNOWN_KEY_CHARS ? `${k.slice(0, MAX_UNKNOWN_KEY_CHARS)}…` : k));
  return unknown.length > MAX_UNKNOWN_KEYS ? [...shown, `and ${unknown.length - MAX_UNKNOWN_KEYS} more`] : shown;
}

/**
 * What the header row probably meant, for the refusal of one that lacks a required column: the
 * column in another case (names are matched exactly, as NDJSON's keys are), or a file separated
 * by semicolons (a spreadsheet in a locale whose decimal mark is a comma), whose header row is one
 * column holding every name.
 */
function headerHint(missing: string[], names: string[]): string {
  const cased = missing.flatMap((c) => names.filter((n) => n.toLowerCase() === c.toLowerCase()).map((n) => `${n} for ${c}`));
  if (cased.length) return ` (column names are matched exactly: write ${cased.join(', ')})`;
  if (names.length === 1 && names[0].includes(';')) return ' (the row reads as one column: separate the columns with commas, not semicolons)';
  return '';
}

/** Unknown columns (a CSV header's, NDJSON objects' keys) a note shows: the first seen, each as long as a header name may sensibly be. */
const MAX_UNKNOWN_KEYS = 20;
const MAX_UNKNOWN_KEY_CHARS = 100;

/** Adds the keys of `o` that are no column of `columns` to `unknown`, up to MAX_UNKNOWN_KEYS (a file's unknown keys stay bounded in memory). */
function noteUnknownKeys(o: Record<string, unknown>, columns: readonly string[], unknown: Set<string>): void {
  for (const k of Object.keys(o)) {
    if (unknown.size >= MAX_UNKNOWN_KEYS) return;
    if (!columns.includes(k)) unknown.add(k.length > MAX_UNKNOWN_KEY_CHARS ? `${k.slice(0, MAX_UNKNOWN_KEY_CHARS)}…` : k);
  }
}

/** A CSV record as staged: its values by staging column (empty → null), or why not. */
export function csvRecord(positions: number[], width: number, r: { line: number; fields: string[]; malformed: string | null }): StagedRecord {
  const empty = positions.map(() => null);
  if (r.malformed === TOO_LONG) return { line: r.line, values: empty, error: TOO_LONG };
  if (r.malformed) return { line: r.line, values: empty, error: `Line ${r.line} is not valid CSV: ${r.malformed}` };
  if (r.fields.length !== width) return { line: r.line, values: empty, error: `Expected ${width} fields as in the header row, found ${r.fields.length}` };
  return checked({ line: r.line, values: positions.map((p) => (p < 0 ? null : blankToNull(r.fields[p]))), error: null });
}

/** Whether a CSV record is an empty line (skipped, not an error). */
export const isBlankRecord = (r: { fields: string[]; malformed: string | null }): boolean => !r.malformed && r.fields.length === 1 && r.fields[0].trim() === '';

// ---------------------------------------------------------------------------------------
// NDJSON

/**
 * One NDJSON line as staged: an object whose keys are the columns (others ignored); a value a
 * string or a number (null, "" = not given). A number past 2^53 − 1 is an error: JSON.parse has
 * already rounded it (9007199254740993 reads as …992), so its digits are not the file's.
 */
export function ndjsonRecord(kind: ImportKind, line: number, text: string, unknown?: Set<string>): StagedRecord {
  const columns = IMPORT_COLUMNS[kind];
  const empty = columns.map(() => null);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { line, values: empty, error: 'Not valid JSON' };
  }
  if (parsed == null || typeof parsed !== 'object' || Array.isArray(parsed)) return { line, values: empty, error: 'Each line must be a JSON object' };
  const o = parsed as Record<string, unknown>;
  if (unknown) noteUnknownKeys(o, columns, unknown);
  const values: (string | null)[] = [];
  for (const c of columns) {
    const v = o[c];
    if (v == null) values.push(null);
    else if (typeof v === 'string') values.push(blankToNull(v));
    else if (typeof v === 'number' && Math.abs(v) > Number.MAX_SAFE_INTEGER) return { line, values: empty, error: `${c} is a number too large to read exactly: write it as a string` };
    else if (typeof v === 'number' && Number.isFinite(v)) values.push(String(v));
    else return { line, values: empty, error: `${c} must be a string or a number` };
  }
  return checked({ line, values, error: null }, text.includes('\\u'));
}

// ---------------------------------------------------------------------------------------
// COPY text format

function blankToNull(v: string): string | null {
  const t = v.trim();
  return t === '' ? null : t;
}

/** Why a line with bytes that are no UTF-8 (the decoder made them U+FFFD) is rejected. */
export const NOT_UTF8 = 'The line is not valid UTF-8 (a byte that is no UTF-8 character, as a Latin-1 or Windows-1252 file has): save the file as UTF-8';

/** Why a line with a NUL character in a value is rejected. */
export const HOLDS_NUL = 'A value holds a NUL character (U+0000), which cannot be stored: remove it from the file';
/** Why an NDJSON line with half of a UTF-16 surrogate pair on its own in a value is rejected. */
export const HOLDS_LONE_SURROGATE = 'A value holds half of a UTF-16 surrogate pair on its own (such as \\ud800 in JSON): it is not well-formed Unicode';

/**
 * A record's values checked for what would be stored as another value: past the length, bytes
 * the decoder could not read (U+FFFD), a NUL or a lone surrogate (`textFault`; dropped or
 * replaced, `vic\0tim` would update member `victim`). The API refuses the last two in every
 * string; here the line is rejected. Only JSON's escapes make a lone surrogate (UTF-8 cannot
 * hold one): `surrogates` says whether the line had any.
 */
function checked(r: StagedRecord, surrogates = false): StagedRecord {
  const reject = (error: string): StagedRecord => ({ line: r.line, values: r.values.map(() => null), error });
  if (r.values.some((v) => v != null && v.length > MAX_VALUE_LENGTH)) return reject(`A value is longer than ${MAX_VALUE_LENGTH} characters`);
  // A value the decoder could not read would go in changed (a name with U+FFFD, or a key no other system has).
  if (r.values.some((v) => v != null && v.includes('\uFFFD'))) return reject(NOT_UTF8);
  for (const v of r.values) {
    const fault = v == null ? null : surrogates ? textFault(v) : v.includes('\u0000') ? 'NUL' : null;
    if (fault) return reject(fault === 'NUL' ? HOLDS_NUL : HOLDS_LONE_SURROGATE);
  }
  return r;
}

const EMAIL_INDEX = IMPORT_COLUMNS.MEMBERS.indexOf('email');
const EXTERNAL_ID_INDEX = IMPORT_COLUMNS.MEMBERS.indexOf('externalId');
const DISPLAY_NAME_INDEX = IMPORT_COLUMNS.MEMBERS.indexOf('displayName');
/** The longest email the API takes (registerMember's @MaxLength): longer ones are the SQL check's, with its message. */
const MAX_EMAIL = 320;
/** The longest externalId and displayName (the staging checks' first, in characters as SQL counts them). */
const MAX_KEY_OR_NAME = 200;
const chars = (v: string) => [...v].length;

/**
 * A members line's email checked as registerMember's input checks it (class-validator's
 * `isEmail`, the API's `@IsEmail`), the line rejected with the API's message when it fails: the
 * staging checks (SQL) test an email's length only. A line that fails a check the SQL makes
 * before the email's (no key, a key or a name too long) is left to it, so that it says that first,
 * as the API does.
 */
export function emailChecked(kind: ImportKind, r: StagedRecord): StagedRecord {
  if (kind !== 'MEMBERS' || r.error) return r;
  const [email, key, name] = [r.values[EMAIL_INDEX], r.values[EXTERNAL_ID_INDEX], r.values[DISPLAY_NAME_INDEX]];
  if (email == null || chars(email) > MAX_EMAIL || isEmail(email)) return r;
  if (key == null || chars(key) > MAX_KEY_OR_NAME || (name != null && chars(name) > MAX_KEY_OR_NAME)) return r;
  return { line: r.line, values: r.values.map(() => null), error: 'email must be an email' };
}

const INSTANT_INDEXES: Record<ImportKind, number[]> = {
  MEMBERS: INSTANT_COLUMNS.MEMBERS.map((c) => IMPORT_COLUMNS.MEMBERS.indexOf(c)),
  PURCHASES: INSTANT_COLUMNS.PURCHASES.map((c) => IMPORT_COLUMNS.PURCHASES.indexOf(c)),
};

/** An instant whose seconds have more than 3 decimals: the date-time, its first 3 decimals, the rest, the offset. */
const FINE_FRACTION = /^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}\.\d{3})\d+((?:Z|[+-]\d{2}(?::?\d{2})?)?)$/;

/**
 * A staged record with its instants cut to milliseconds: `2024-03-10T01:30:00.123456+00:00`
 * (Python's isoformat, PostgreSQL's text output, an export in microseconds or nanoseconds) is
 * read as `…00.123+00:00`, as the API's DateTime reads it (JavaScript dates hold milliseconds:
 * the decimals past the third are dropped, not rounded). Other values are left to the checks.
 */
export function instantsToMilliseconds(kind: ImportKind, r: StagedRecord): StagedRecord {
  if (r.error) return r;
  let values: (string | null)[] | null = null;
  for (const i of INSTANT_INDEXES[kind]) {
    const v = r.values[i];
    // Most instants have 3 decimals or none: a fourth digit is looked for before the pattern.
    const m = v != null && v.length > 23 && v[19] === '.' && v[23] >= '0' && v[23] <= '9' ? FINE_FRACTION.exec(v) : null;
    if (!m) continue;
    values ??= [...r.values];
    values[i] = m[1] + m[2];
  }
  return values ? { ...r, values } : r;
}

/** A value in COPY's text format: \N for null; backslash, tab, newline and carriage return escaped. */
export function copyValue(v: string | null): string {
  if (v == null) return '\\N';
  // eslint-disable-next-line no-control-regex
  return /[\\\t\n\r\u0000]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\u0000/g, '') : v;
}

/** A staged record as one COPY text row: line, the values, the error. */
export function copyRow(r: StagedRecord): string {
  let row = String(r.line);
  for (const v of r.values) row += '\t' + copyValue(v);
  return row + '\t' + copyValue(r.error) + '\n';
}
