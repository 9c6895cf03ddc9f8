import { Transform, type TransformCallback } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { ImportFormat, ImportKind } from './import.entities';
import {
  BOM, CsvRecordReader, IMPORT_COLUMNS, ImportFileError, MAX_RECORD_CHARS, TOO_LONG, copyRow, csvHeader, csvRecord, emailChecked, instantsToMilliseconds, isBlankRecord, ndjsonRecord,
  type StagedRecord,
} from './imports.rules';

/**
 * The upload as COPY text rows, chunk by chunk: bytes in (UTF-8), rows of the staging table
 * out (line, values, error). Holds at most one unfinished record between chunks, so a file of
 * any size streams through in constant memory (the pipeline's back-pressure does the rest).
 * A CSV whose header row is unusable fails the stream with an ImportFileError.
 */
export class StagingRows extends Transform {
  private readonly decoder = new StringDecoder('utf8');
  private readonly csv = new CsvRecordReader();
  private header: { positions: number[]; width: number } | null = null;
  /** NDJSON: the text of the line not finished yet, and the number of the line it is. */
  private pending = '';
  private pendingTooLong = false;
  private line = 1;
  /** The file's first bytes until two have come (startSeen): the test for UTF-16's byte order mark. */
  private start: Buffer = Buffer.alloc(0);
  private startSeen = false;
  /** Whether the file's first character has been seen (a byte order mark there is dropped, in CSV and NDJSON alike). */
  private begun = false;
  /** Header columns the kind does not know (noted on line 1); NDJSON: the keys of its objects that are none (unknownKeys). */
  unknownColumns: string[] = [];
  private readonly unknownKeys = new Set<string>();
  rows = 0;

  constructor(private readonly kind: ImportKind, private readonly format: ImportFormat) {
    super({ readableHighWaterMark: 1 << 16, writableHighWaterMark: 1 << 16 });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      if (!this.startSeen) {
        // The file's first two bytes, whichever chunks bring them: UTF-16's byte order mark (a
        // spreadsheet's "Unicode text") is refused as such; read as UTF-8 it was "a NUL character in the header row".
        chunk = this.start.length ? Buffer.concat([this.start, chunk]) : chunk;
        if (chunk.length < 2) {
          this.start = chunk;
          return done();
        }
        this.startSeen = true;
        this.start = Buffer.alloc(0);
        if ((chunk[0] === 0xff && chunk[1] === 0xfe) || (chunk[0] === 0xfe && chunk[1] === 0xff)) {
          throw new ImportFileError('The file is UTF-16 (it begins with a UTF-16 byte order mark): save it as UTF-8, e.g. "CSV UTF-8"');
        }
      }
      const text = this.text(this.decoder.write(chunk));
      this.pushRows(this.format === 'csv' ? this.csvRows(this.csv.push(text)) : this.ndjsonRows(text, false));
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      // A file of one byte: what was held back for the byte order mark's test.
      const held = this.startSeen ? '' : this.text(this.decoder.write(this.start));
      const tail = held + this.text(this.decoder.end());
      if (this.format === 'csv') {
        this.pushRows(this.csvRows([...this.csv.push(tail), ...this.csv.end()]));
        if (!this.header) throw new ImportFileError('The file is empty: a CSV starts with its header row');
      } else {
        this.pushRows(this.ndjsonRows(tail, true));
        // Blank lines only (an export that produced nothing) is no file, as an empty CSV is none.
        if (this.rows === 0) throw new ImportFileError('The file is empty: NDJSON has one JSON object per line');
        this.unknownColumns = [...this.unknownKeys];
      }
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  /**
   * Decoded text as the readers take it: without the byte order mark an editor may have put
   * first (Excel's "CSV UTF-8"), which would otherwise be part of the first header name, or
   * of the first NDJSON line, and make a quoted header row or the first object unreadable.
   */
  private text(decoded: string): string {
    if (this.begun || decoded === '') return decoded;
    this.begun = true;
    return decoded.startsWith(BOM) ? decoded.slice(1) : decoded;
  }

  private pushRows(rows: StagedRecord[]): void {
    if (!rows.length) return;
    let text = '';
    for (const r of rows) text += copyRow(instantsToMilliseconds(this.kind, emailChecked(this.kind, r)));
    this.rows += rows.length;
    this.push(text);
  }

  private csvRows(records: { line: number; fields: string[]; malformed: string | null }[]): StagedRecord[] {
    const out: StagedRecord[] = [];
    for (const r of records) {
      if (!this.header) {
        if (r.malformed) throw new ImportFileError(`The header row (line 1) is not valid CSV: ${r.malformed}`);
        const h = csvHeader(this.kind, r.fields);
        this.header = { positions: h.positions, width: r.fields.length };
        this.unknownColumns = h.unknown;
        continue;
      }
      if (isBlankRecord(r)) continue;
      out.push(csvRecord(this.header.positions, this.header.width, r));
    }
    return out;
  }

  private ndjsonRows(text: string, last: boolean): StagedRecord[] {
    const out: StagedRecord[] = [];
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      this.finishLine(text.slice(start, nl), out);
      start = nl + 1;
    }
    this.appendPending(text.slice(start));
    if (last && (this.pending.trim() !== '' || this.pendingTooLong)) this.finishLine('', out);
    return out;
  }

  private appendPending(part: string): void {
    if (this.pendingTooLong) return;
    if (this.pending.length + part.length > MAX_RECORD_CHARS) {
      this.pendingTooLong = true;
      this.pending = '';
    } else {
      this.pending += part;
    }
  }

  private finishLine(part: string, out: StagedRecord[]): void {
    this.appendPending(part);
    const line = this.line++;
    const text = this.pending.replace(/\r$/, '');
    const tooLong = this.pendingTooLong;
    this.pending = '';
    this.pendingTooLong = false;
    if (tooLong) out.push({ line, values: IMPORT_COLUMNS[this.kind].map(() => null), error: TOO_LONG });
    else if (text.trim() !== '') out.push(ndjsonRecord(this.kind, line, text, this.unknownKeys));
  }
}
