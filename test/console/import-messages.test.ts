// What the server writes for an import's rejected line or a failed job, in the console's languages
// (admin/src/i18n/import-messages.ts): each sentence the server writes reads exactly as written in
// English and in Chinese on a Chinese page, the values in it (from the file, or a line number, a
// column, a limit) kept as written; any other text is shown as it is. The rules' sentences are made
// here by the server's own readers (imports.rules.ts); the SQL's and the services' are written out,
// and test/e2e/import-messages.test.ts checks that every sentence a real import writes is known.
import { en, type MessageKey } from '../../admin/src/i18n/en';
import { CSV_FAULTS, FIXED_IMPORT_MESSAGES, importMessageMatch, importMessageText } from '../../admin/src/i18n/import-messages';
import { zhCN } from '../../admin/src/i18n/zh-CN';
import { notFound } from '../../src/common/errors';
import { PointsOutOfRangeError } from '../../src/modules/points/points.rules';
import {
  CsvRecordReader, HOLDS_LONE_SURROGATE, HOLDS_NUL, IMPORT_COLUMNS, NOT_UTF8, TOO_LONG, csvRecord, ndjsonRecord,
} from '../../src/modules/imports/imports.rules';
import { CJK, fill, SERVER } from '../support/console-text';

const zh = (message: string) => importMessageText(message, fill(zhCN));
const english = (message: string) => importMessageText(message, fill(en));

/** A CSV file's records after its header row, as the server's reader reads them. */
function csvLines(text: string): { line: number; fields: string[]; malformed: string | null }[] {
  const reader = new CsvRecordReader();
  return [...reader.push(text), ...reader.end()].slice(1);
}
/** The reason the server's rules give a CSV line of a members file (header externalId,displayName). */
const csvReason = (text: string) => {
  const [r] = csvLines(`externalId,displayName\n${text}`);
  return csvRecord([0, 1, ...IMPORT_COLUMNS.MEMBERS.slice(2).map(() => -1)], 2, r).error!;
};
const ndjsonReason = (text: string) => ndjsonRecord('MEMBERS', 1, text).error!;

const JOB = '0b6f5d0e-8c1d-4a51-9a8e-3c2f1d7e9a10';

/** Each sentence the server writes, with the values from it a translation must keep. */
const MESSAGES: [string, string[]][] = [
  // imports.rules.ts (the file's lines as read)
  [csvReason('m-1,"Ann"x'), ['2']],
  [csvReason('m-1,An"n'), ['2']],
  [csvReason('m-1,"Ann'), ['2']],
  [csvReason('m-1,Ann,extra'), ['2', '3']],
  [csvReason(`m-1,${'a'.repeat(1001)}`), ['1000']],
  [csvReason('m-1,Jos\uFFFD'), []],
  [csvReason('m-1,A\u0000nn'), []],
  [TOO_LONG, ['1000000']],
  [ndjsonReason('{not json'), []],
  [ndjsonReason('[1]'), []],
  [ndjsonReason('{"externalId": 9007199254740993}'), ['externalId']],
  [ndjsonReason('{"externalId": true}'), ['externalId']],
  [ndjsonReason('{"externalId": "m-\\ud800"}'), []],
  // imports.repository.ts: line 1's note, the checks, the writes
  ['Unknown column shoeSize: ignored (the other columns were read)', ['shoeSize']],
  ['Unknown columns 鞋码, (unnamed column 4): ignored (the other columns were read)', ['鞋码, (unnamed column 4)']],
  ['externalId is required', ['externalId']],
  ['externalId must be at most 200 characters', ['externalId', '200']],
  ['displayName must be at most 200 characters', ['displayName', '200']],
  ['email must be an email', []],
  ['phone must be digits, spaces, ( ) - and a leading + (at least one digit)', []],
  ['gender must be at most 32 characters', ['gender', '32']],
  ['region must be at most 100 characters', ['region', '100']],
  ['channel must be at most 100 characters', ['channel', '100']],
  ['birthday must be a date in YYYY-MM-DD, from 1900-01-01 to today', ['YYYY-MM-DD', '1900-01-01']],
  ['joinedAt must be an ISO-8601 date-time', ['joinedAt']],
  ['joinedAt must not be in the future', ['joinedAt']],
  ['joinedAt must not be before 1970-01-01', ['joinedAt', '1970-01-01']],
  ['tierCode PLATINUM is not a tier of the programme', ['PLATINUM']],
  ['tierExpiresAt needs a tierCode', ['tierExpiresAt', 'tierCode']],
  ['tierExpiresAt must be an ISO-8601 date-time', ['tierExpiresAt']],
  ['tierExpiresAt must be in the future', ['tierExpiresAt']],
  ['tierExpiresAt must not be after 9999-12-31', ['tierExpiresAt', '9999-12-31']],
  ['pointsBalance must be a whole number from 0 to 2147483647', ['2147483647']],
  ['pointsExpireAt needs a pointsBalance', ['pointsExpireAt', 'pointsBalance']],
  ['pointsExpireAt must be an ISO-8601 date-time', ['pointsExpireAt']],
  ['pointsExpireAt must be in the future', ['pointsExpireAt']],
  ['pointsExpireAt must not be after 9999-12-31', ['pointsExpireAt']],
  ['externalId m 1 is also on line 3 (that line is the one taken)', ['m 1', '3']],
  ['externalId [erased] is also on line 12 (that line is the one taken)', ['[erased]', '12']],
  ['orderId is required', ['orderId']],
  ['orderId must be at most 200 characters', ['orderId', '200']],
  ['No member has externalId 张三 {line}\nx', ['张三 {line}\nx']],
  ['No member has externalId [erased]', ['[erased]']],
  ['amount is required', ['amount']],
  ['amount must be a decimal number with at most 2 decimals, up to 1000000000000', ['1000000000000']],
  ['amount must be greater than 0', ['0']],
  ['occurredAt is required', ['occurredAt']],
  ['occurredAt must be an ISO-8601 date-time', ['occurredAt']],
  ['occurredAt must not be in the future', ['occurredAt']],
  ['occurredAt must not be before 1970-01-01', ['occurredAt']],
  ['refundedAmount must be a decimal number with at most 2 decimals', ['refundedAmount']],
  ['refundedAmount must not exceed amount', ['refundedAmount', 'amount']],
  ['orderId O-1 is also on line 2 (that line is the one taken)', ['O-1', '2']],
  ['orderId O-1 is already recorded with another member, amount or occurredAt', ['O-1']],
  ['orderId O-1 is already recorded with refundedAmount 12.5: history mode leaves a recorded order as it is (earn mode refunds the difference)', ['O-1', '12.5']],
  ['amount would take qualifying points beyond 2147483647', ['2147483647']],
  ["No member has this line's externalId any more: the member was erased, or its externalId changed, after the file was checked", ['externalId']],
  ['externalId is the key of a member erased on request: the import does not create the person again (registerMember does, if they join again)', ['externalId', 'registerMember']],
  // The points service's refusals of an earn import's line (recordPurchase, refundImported)
  [new PointsOutOfRangeError('amount').message, ['2147483647']],
  [notFound('Member', JOB).message, [JOB]],
  [notFound('Order', 'O-1').message, ['O-1']],
  ['Order O-1 has had 70 refunded already, more than refundedAmount', ['O-1', '70']],
  ['Order O-1 was already recorded with another payload', ['O-1']],
  ['Refund exceeds what remains of order O-1 (12.5)', ['O-1', '12.5']],
  ['A refund cannot be dated before its purchase (2026-01-10T00:00:00.000Z)', ['2026-01-10T00:00:00.000Z']],
  // A FAILED job's failure (imports.service.ts, imports.repository.ts)
  ['The upload did not complete', []],
  ['The programme has no entry tier (rank 0): create one with upsertTier, then import the file again', ['upsertTier']],
  ['The server stopped while the import ran; nothing after its last committed batch was written. Import the file again: lines already in are skipped.', []],
  ['The server stopped while the import ran, or lost its connection to the database; nothing after its last committed batch was written. Import the file again: lines already in are skipped.', []],
  [`The import stopped on an error of the server's (its log has it, with import ${JOB}); nothing after the last committed batch was written. Import the file again once it is fixed: lines already in are skipped.`, [JOB]],
];

describe('the server\'s import messages in the console', () => {
  it('says each one in English exactly as the server wrote it, and in Chinese with its values as written', () => {
    for (const [message, values] of MESSAGES) {
      expect({ message, english: english(message) }).toEqual({ message, english: message });
      const chinese = zh(message);
      expect({ message, chinese, cjk: CJK.test(chinese) }).toEqual({ message, chinese, cjk: true });
      for (const v of values) expect({ message, chinese, keeps: v, kept: chinese.includes(v) }).toEqual({ message, chinese, keeps: v, kept: true });
    }
  });

  it('has a sample here of every sentence it knows', () => {
    const keys = Object.keys(en).filter((k) => k.startsWith('importMessage.') && !k.startsWith('importMessage.csvFault.'));
    const matched = new Set(MESSAGES.map(([m]) => importMessageMatch(m)?.key));
    expect(keys.filter((k) => !matched.has(k as MessageKey))).toEqual([]);
    // Each of the CSV reader's faults, too.
    const faults = new Set(MESSAGES.map(([m]) => importMessageMatch(m)?.vars.fault).filter(Boolean));
    expect([...faults].sort()).toEqual(Object.keys(CSV_FAULTS).sort());
  });

  it('knows only sentences the server writes (a sentence changed on the server fails here)', () => {
    const written = (s: string) => [s, s.replace(/'/g, "''"), s.replace(/'/g, "\\'"), s.replace(/\\/g, '\\\\')].some((v) => SERVER.includes(v));
    for (const phrase of [...Object.keys(FIXED_IMPORT_MESSAGES), ...Object.keys(CSV_FAULTS)]) expect({ phrase, written: written(phrase) }).toEqual({ phrase, written: true });
    for (const [rule, text] of [[NOT_UTF8, 'notUtf8'], [HOLDS_NUL, 'holdsNul'], [HOLDS_LONE_SURROGATE, 'loneSurrogate']] as const) {
      expect(FIXED_IMPORT_MESSAGES[rule]).toBe(`importMessage.${text}`);
    }
  });

  it('reads as expected in Chinese', () => {
    expect(zh('externalId is required')).toBe('externalId 为必填项');
    expect(zh('No member has externalId p-typo')).toBe('没有 externalId 为 p-typo 的会员');
    expect(zh('orderId dup-o1 is also on line 3 (that line is the one taken)')).toBe('orderId dup-o1 也出现在第 3 行（采用的是那一行）');
    expect(zh('Line 7 is not valid CSV: a quoted field is not closed')).toBe('第 7 行不是有效的 CSV：带引号的字段没有结束');
    expect(zh('tierExpiresAt needs a tierCode')).toBe('填写 tierExpiresAt 时必须同时填写 tierCode');
    expect(zh('Expected 2 fields as in the header row, found 3')).toBe('应有 2 个字段（与表头行相同），实际为 3 个');
    expect(zh('The upload did not complete')).toBe('上传未完成');
  });

  it('shows text it does not know as written', () => {
    for (const m of [
      'something new went wrong', 'Line 3 is not valid CSV: a fault the reader does not have', 'shoeSize is required',
      'No member has externalId', '会员不存在', '',
    ]) {
      expect(zh(m)).toBe(m);
      expect(english(m)).toBe(m);
    }
  });
});
