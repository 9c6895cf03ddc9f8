/**
 * CSV cells a spreadsheet opens as data, never as a formula (OWASP "CSV injection").
 *
 * Excel, LibreOffice and Google Sheets evaluate a cell that starts with `=`, `+`, `-` or `@`
 * (and, after trimming, one that starts with a tab or carriage return): a member's
 * displayName of `=HYPERLINK(…)` would run in the operator's spreadsheet. Such a text cell is
 * written as `"'…"`: the leading single quote makes the spreadsheet show it as text, and the
 * double quotes keep it one cell whatever the separator of the reader's locale.
 */
export type CsvKind = 'text' | 'number';
/** What a cell holds: text, a number, a date (a timestamp column), or nothing. */
export type CsvValue = string | number | bigint | boolean | Date | null | undefined;

const FORMULA_START = /^[=+\-@\t\r]/;
/** What a numeric column may hold and still be written bare: an optional minus, digits, decimals. */
const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;
/** Quoted so that the cell stays one cell: `;` is the separator of many European locales. */
const NEEDS_QUOTES = /[",;\n\r\t]/;

const quoted = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** One cell: numbers of a numeric column as they are (so -80 stays a number), text neutralised. */
export function csvCell(value: CsvValue, kind: CsvKind = 'text'): string {
  if (value == null) return '';
  const s = value instanceof Date ? value.toISOString() : String(value);
  if (kind === 'number' && PLAIN_NUMBER.test(s)) return s;
  if (FORMULA_START.test(s)) return quoted(`'${s}`);
  return NEEDS_QUOTES.test(s) ? quoted(s) : s;
}

/** One line of cells (no line break). */
export function csvLine(values: readonly CsvValue[], kinds: readonly CsvKind[] = []): string {
  return values.map((v, i) => csvCell(v, kinds[i] ?? 'text')).join(',');
}
