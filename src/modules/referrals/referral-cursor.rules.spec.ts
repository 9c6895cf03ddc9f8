import { AppError } from '../../common/errors';
import { decodeReferralCursor, encodeReferralCursor, MAX_CREATED_MICROS } from './referral-cursor.rules';

const ID = '0b7c9a52-3f0e-4a8e-9a3e-1d2c3b4a5f60';
const REFERRER = '5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6';
const OTHER = '0b6f5c1e-1c2d-4e5f-8a9b-0c1d2e3f4a5b';
const cursor = (text: string) => Buffer.from(text).toString('base64url');

describe('referral cursors', () => {
  it('round-trip a position, to the last microsecond of 9999', () => {
    for (const createdMicros of ['0', '1796411292653000', MAX_CREATED_MICROS.toString()]) {
      expect(decodeReferralCursor(encodeReferralCursor({ createdMicros, id: ID }, REFERRER), REFERRER)).toEqual({ createdMicros, id: ID });
    }
    expect(decodeReferralCursor(null, REFERRER)).toBeNull();
  });

  const refusal = (c: string, referrer = REFERRER) => {
    try {
      decodeReferralCursor(c, referrer);
    } catch (err) {
      return err instanceof AppError ? { code: err.code, details: err.details, message: err.message } : err;
    }
    return 'accepted';
  };

  it('refuse garbage, another list\'s cursor, an unscoped one or a bad uuid as BAD_USER_INPUT on after', () => {
    for (const c of ['xyz', cursor('member:12'), cursor(`referral@${REFERRER}:12:nope`), cursor(`referral@${REFERRER}:1e5:${ID}`), cursor(`referral:12:${ID}`)]) {
      expect(refusal(c)).toEqual({ code: 'BAD_USER_INPUT', details: { field: 'after' }, message: 'after is not a cursor of this list' });
    }
  });

  it("refuse a cursor of another referrer's list: it would page this one from a foreign position", () => {
    const theirs = encodeReferralCursor({ createdMicros: '1764748800123456', id: ID }, OTHER);
    expect(refusal(theirs)).toEqual({ code: 'BAD_USER_INPUT', details: { field: 'after' }, message: "after is a cursor of another member's list" });
    expect(refusal(theirs, OTHER)).toBe('accepted');
  });

  it('refuse an instant past 9999 (the largest bigints overflowed PostgreSQL\'s interval) as BAD_USER_INPUT on after', () => {
    for (const n of [(MAX_CREATED_MICROS + 1n).toString(), '9223372036854775296', '9223372036854775807']) {
      let thrown: unknown;
      try {
        decodeReferralCursor(cursor(`referral@${REFERRER}:${n}:${ID}`), REFERRER);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(AppError);
      expect((thrown as AppError).code).toBe('BAD_USER_INPUT');
      expect((thrown as AppError).details).toEqual({ field: 'after' });
    }
  });
});
