import { AppError } from '../../common/errors';
import { decodeReferralCursor, encodeReferralCursor, MAX_CREATED_MICROS } from './referral-cursor.rules';

const ID = '0b7c9a52-3f0e-4a8e-9a3e-1d2c3b4a5f60';
const cursor = (text: string) => Buffer.from(text).toString('base64url');

describe('referral cursors', () => {
  it('round-trip a position, to the last microsecond of 9999', () => {
    for (const createdMicros of ['0', '1796411292653000', MAX_CREATED_MICROS.toString()]) {
      expect(decodeReferralCursor(encodeReferralCursor({ createdMicros, id: ID }))).toEqual({ createdMicros, id: ID });
    }
  });

  it('refuse an instant past 9999 (the largest bigints overflowed PostgreSQL\'s interval) as BAD_USER_INPUT on after', () => {
    for (const n of [(MAX_CREATED_MICROS + 1n).toString(), '9223372036854775296', '9223372036854775807']) {
      let thrown: unknown;
      try {
        decodeReferralCursor(cursor(`referral:${n}:${ID}`));
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(AppError);
      expect((thrown as AppError).code).toBe('BAD_USER_INPUT');
      expect((thrown as AppError).details).toEqual({ field: 'after' });
    }
  });
});
