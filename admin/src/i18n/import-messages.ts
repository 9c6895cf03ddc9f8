import type { MessageKey } from './en';
import { matchPhrase, type PhrasePattern, type Translate } from './server-phrases';

/**
 * What the server writes for an import's rejected line (`ImportJob.errors[].message`) or a
 * FAILED job (`ImportJob.failure`), in the console's language: each of the server's sentences
 * is a label, the parts it fills in (a value from the file, a line number, a column name, a
 * limit) kept as written. English reads exactly as the server wrote it. Any other text (a
 * sentence the console does not know) is shown as it is. The sentences are the server's
 * (src/modules/imports/: imports.rules.ts, import-stream.ts, imports.repository.ts,
 * imports.service.ts; and the points service's refusals of an earn import's line, which are
 * the line's reason); test/console/import-messages.test.ts checks each of them, and
 * test/e2e/import-messages.test.ts that every one a real import writes is known here.
 */

/** Sentences without a part filled in. */
export const FIXED_IMPORT_MESSAGES: Record<string, MessageKey> = {
  'Not valid JSON': 'importMessage.notJson',
  'Each line must be a JSON object': 'importMessage.notObject',
  'The line is not valid UTF-8 (a byte that is no UTF-8 character, as a Latin-1 or Windows-1252 file has): save the file as UTF-8': 'importMessage.notUtf8',
  'A value holds a NUL character (U+0000), which cannot be stored: remove it from the file': 'importMessage.holdsNul',
  'A value holds half of a UTF-16 surrogate pair on its own (such as \\ud800 in JSON): it is not well-formed Unicode': 'importMessage.loneSurrogate',
  'email must be an email': 'importMessage.email',
  'phone must be digits, spaces, ( ) - and a leading + (at least one digit)': 'importMessage.phone',
  'birthday must be a date in YYYY-MM-DD, from 1900-01-01 to today': 'importMessage.birthday',
  'pointsBalance must be a whole number from 0 to 2147483647': 'importMessage.pointsBalance',
  'amount must be a decimal number with at most 2 decimals, up to 1000000000000': 'importMessage.amount',
  'amount must be greater than 0': 'importMessage.amountPositive',
  'refundedAmount must be a decimal number with at most 2 decimals': 'importMessage.refundedAmount',
  'refundedAmount must not exceed amount': 'importMessage.refundedExceeds',
  "No member has this line's externalId any more: the member was erased, or its externalId changed, after the file was checked": 'importMessage.memberGone',
  'externalId is the key of a member erased on request: the import does not create the person again (registerMember does, if they join again)': 'importMessage.erasedKey',
  // A FAILED job's failure.
  'The upload did not complete': 'importMessage.uploadIncomplete',
  'The programme has no entry tier (rank 0): create one with upsertTier, then import the file again': 'importMessage.noEntryTier',
  'The server stopped while the import ran; nothing after its last committed batch was written. Import the file again: lines already in are skipped.':
    'importMessage.serverStopped',
  'The server stopped while the import ran, or lost its connection to the database; nothing after its last committed batch was written. Import the file again: lines already in are skipped.':
    'importMessage.connectionLost',
};

/** Why a CSV record cannot be read (`Line N is not valid CSV: <why>`). */
export const CSV_FAULTS: Record<string, MessageKey> = {
  'text after the closing quote of a field': 'importMessage.csvFault.afterQuote',
  'a quote inside an unquoted field': 'importMessage.csvFault.quoteInside',
  'a quoted field is not closed': 'importMessage.csvFault.notClosed',
};

/** The columns of the files (imports.rules.ts IMPORT_COLUMNS): a column a sentence names is one of these. */
const COLUMN = '(externalId|displayName|email|phone|birthday|gender|region|channel|joinedAt|tierCode|tierExpiresAt|pointsBalance|pointsExpireAt|orderId|amount|occurredAt|refundedAmount)';
const col = (source: string, flags = '') => new RegExp(source.replace(/COLUMN/g, COLUMN), flags);

/** Sentences with parts the server fills in (kept as written), and the names of those parts. */
const PATTERNS: PhrasePattern[] = [
  [/^Line (\d+) is not valid CSV: (.+)$/s, 'importMessage.csvInvalid', ['line', 'fault']],
  [/^Expected (\d+) fields as in the header row, found (\d+)$/, 'importMessage.fieldCount', ['expected', 'found']],
  [/^The line is longer than (\d+) characters$/, 'importMessage.lineTooLong', ['max']],
  [/^A value is longer than (\d+) characters$/, 'importMessage.valueTooLong', ['max']],
  [col('^COLUMN is a number too large to read exactly: write it as a string$'), 'importMessage.numberTooLarge', ['column']],
  [col('^COLUMN must be a string or a number$'), 'importMessage.stringOrNumber', ['column']],
  [/^Unknown column (.+): ignored \(the other columns were read\)$/s, 'importMessage.unknownColumn', ['columns']],
  [/^Unknown columns (.+): ignored \(the other columns were read\)$/s, 'importMessage.unknownColumns', ['columns']],
  [col('^COLUMN is required$'), 'importMessage.required', ['column']],
  [col('^COLUMN must be at most (\\d+) characters$'), 'importMessage.maxChars', ['column', 'max']],
  [col('^COLUMN must be an ISO-8601 date-time$'), 'importMessage.instant', ['column']],
  [col('^COLUMN must not be in the future$'), 'importMessage.notFuture', ['column']],
  [col('^COLUMN must not be before 1970-01-01$'), 'importMessage.notBefore1970', ['column']],
  [col('^COLUMN must be in the future$'), 'importMessage.mustBeFuture', ['column']],
  [col('^COLUMN must not be after 9999-12-31$'), 'importMessage.notAfter9999', ['column']],
  [col('^COLUMN needs a COLUMN$'), 'importMessage.needs', ['column', 'other']],
  [/^tierCode (.+) is not a tier of the programme$/s, 'importMessage.unknownTier', ['tier']],
  [/^(externalId|orderId) (.+) is also on line (\d+) \(that line is the one taken\)$/s, 'importMessage.alsoOnLine', ['column', 'value', 'line']],
  [/^No member has externalId (.+)$/s, 'importMessage.noMember', ['externalId']],
  [/^orderId (.+) is already recorded with another member, amount or occurredAt$/s, 'importMessage.recordedOtherwise', ['order']],
  [/^orderId (.+) is already recorded with refundedAmount (\d+(?:\.\d+)?): history mode leaves a recorded order as it is \(earn mode refunds the difference\)$/s,
    'importMessage.recordedRefunded', ['order', 'refunded']],
  [/^amount would take qualifying points beyond (\d+)$/, 'importMessage.qualifyingPastInt', ['max']],
  // An earn import's line the points service refused (recordPurchase, refundImported).
  [/^amount would take points or a balance beyond (\d+)$/, 'importMessage.pointsPastInt', ['max']],
  [/^Member (\S+) not found$/, 'importMessage.memberNotFound', ['id']],
  [/^Order (.+) not found$/s, 'importMessage.orderNotFound', ['order']],
  [/^Order (.+) has had (\d+(?:\.\d+)?) refunded already, more than refundedAmount$/s, 'importMessage.refundedAlready', ['order', 'refunded']],
  [/^Order (.+) was already recorded with another payload$/s, 'importMessage.orderOtherPayload', ['order']],
  [/^Refund exceeds what remains of order (.+) \((\d+(?:\.\d+)?)\)$/s, 'importMessage.refundExceeds', ['order', 'remaining']],
  [/^A refund cannot be dated before its purchase \((\S+)\)$/, 'importMessage.refundBeforePurchase', ['at']],
  // A FAILED job's failure.
  [/^The import stopped on an error of the server's \(its log has it, with import (\S+)\); nothing after the last committed batch was written\. Import the file again once it is fixed: lines already in are skipped\.$/,
    'importMessage.serverError', ['job']],
];

/** The label a server sentence is, with its parts as written; null for text the console does not know. */
export function importMessageMatch(message: string): { key: MessageKey; vars: Record<string, string> } | null {
  const match = matchPhrase(message, FIXED_IMPORT_MESSAGES, PATTERNS);
  // A CSV fault is one of the reader's own phrases: another is text the console does not know.
  if (match?.key === 'importMessage.csvInvalid' && !CSV_FAULTS[match.vars.fault]) return null;
  return match;
}

/** `message` in the language `t` speaks: a server sentence translated (its values as written), anything else as it is. */
export function importMessageText(message: string, t: Translate): string {
  const match = importMessageMatch(message);
  if (!match) return message;
  const { key, vars } = match;
  if (key === 'importMessage.csvInvalid') return t(key, { ...vars, fault: t(CSV_FAULTS[vars.fault]) });
  return t(key, vars);
}
