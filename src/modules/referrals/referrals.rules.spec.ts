import { CODE_ALPHABET, CODE_LENGTH, CODE_SPACE, normalizeReferralCode, referralCodeOf, seqOfReferralCode } from './referrals.rules';

describe('referral codes', () => {
  it('round-trips seq → code → seq, across powers of ten and at the ends of the range', () => {
    const seqs = [1n, 2n, 9n, 10n, 11n, 99n, 100n, 101n, 999n, 1000n, 10_000n, 123_456n, 1_000_000n, 10n ** 9n, 10n ** 11n, CODE_SPACE - 1n];
    for (const seq of seqs) {
      const code = referralCodeOf(seq);
      expect(code).toHaveLength(CODE_LENGTH);
      expect([...code].every((c) => CODE_ALPHABET.includes(c))).toBe(true);
      expect(seqOfReferralCode(code)).toBe(seq.toString());
    }
  });

  it('gives distinct codes to distinct members (ranges crossing powers of ten)', () => {
    const codes = new Set<string>();
    let n = 0;
    for (const [from, to] of [[1, 20_000], [99_000, 101_000], [999_000, 1_001_000], [9_999_000, 10_001_000]]) {
      for (let s = from; s <= to; s++, n++) codes.add(referralCodeOf(s));
    }
    expect(codes.size).toBe(n);
  });

  it('does not look sequential: consecutive members share no long prefix', () => {
    const a = referralCodeOf(1000);
    const b = referralCodeOf(1001);
    expect(a.slice(0, 4)).not.toBe(b.slice(0, 4));
  });

  it('reads a code in any case, spaces around it dropped', () => {
    const code = referralCodeOf(4242);
    expect(seqOfReferralCode(`  ${code.toLowerCase()} `)).toBe('4242');
    expect(normalizeReferralCode(` ${code.toLowerCase()}\n`)).toBe(code);
  });

  it('decodes nothing from a wrong length or a foreign character', () => {
    const code = referralCodeOf(77);
    expect(seqOfReferralCode('')).toBeNull();
    expect(seqOfReferralCode(code.slice(1))).toBeNull();
    expect(seqOfReferralCode(code + '2')).toBeNull();
    for (const foreign of ['0', 'O', '1', 'I', 'L', '-', 'é', ' ']) {
      expect(seqOfReferralCode(foreign + code.slice(1))).toBeNull();
    }
  });

  it('has codes for seq 1 to 31^8 - 1 only', () => {
    expect(() => referralCodeOf(0)).toThrow(RangeError);
    expect(() => referralCodeOf(CODE_SPACE)).toThrow(RangeError);
  });
});
