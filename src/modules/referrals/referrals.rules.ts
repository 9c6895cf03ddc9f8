/**
 * Referral codes (issue 25): every member's invite code, derived from its `seq` (unique, set by
 * the database on every insert path), so that nothing is stored and the code exists from the
 * member's first read on. 8 characters of an alphabet without look-alikes (digits 2-9 and the
 * capitals but I, L and O: 31 characters), read case-insensitively.
 *
 * code = base31((seq × M + C) mod 31^8): M is coprime to 31^8, so the map is a bijection of
 * [0, 31^8) and two members never share a code; consecutive members' codes look unrelated (a
 * code does not tell how many members there are, nor invite guessing the next one, though it is
 * no secret: a code only says who invited, it grants nothing). Decoding multiplies by M's
 * inverse back to the seq, which the registration looks up through member_seq_unique.
 */

export const CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
export const CODE_LENGTH = 8;

const BASE = BigInt(CODE_ALPHABET.length);
/** 31^8 = 852,891,037,441 codes. */
export const CODE_SPACE = BASE ** BigInt(CODE_LENGTH);
const MULTIPLIER = 597_201_936_613n; // coprime to 31
const MULTIPLIER_INVERSE = 370_017_641_307n; // MULTIPLIER × MULTIPLIER_INVERSE ≡ 1 (mod 31^8)
const OFFSET = 218_340_105_727n;

const mod = (a: bigint, m: bigint) => ((a % m) + m) % m;

/** The referral code of the member with this `seq` (a positive integer below 31^8, as text or a number). */
export function referralCodeOf(seq: string | number | bigint): string {
  const n = BigInt(seq);
  if (n <= 0n || n >= CODE_SPACE) throw new RangeError(`seq ${n} has no referral code (1 to ${CODE_SPACE - 1n})`);
  let v = mod(n * MULTIPLIER + OFFSET, CODE_SPACE);
  let code = '';
  for (let i = 0; i < CODE_LENGTH; i++) {
    code = CODE_ALPHABET[Number(v % BASE)] + code;
    v /= BASE;
  }
  return code;
}

/** A code as a member may type it: surrounding spaces dropped, any case. */
export function normalizeReferralCode(text: string): string {
  return text.trim().toUpperCase();
}

/** The seq a code names (as text), or null when the text is no code (wrong length, a character outside the alphabet, or seq 0). */
export function seqOfReferralCode(text: string): string | null {
  const code = normalizeReferralCode(text);
  if (code.length !== CODE_LENGTH) return null;
  let v = 0n;
  for (const ch of code) {
    const digit = CODE_ALPHABET.indexOf(ch);
    if (digit < 0) return null;
    v = v * BASE + BigInt(digit);
  }
  const seq = mod((v - OFFSET) * MULTIPLIER_INVERSE, CODE_SPACE);
  return seq === 0n ? null : seq.toString();
}

/** Why a referral is REJECTED (Referral.reason). */
export const REJECTION = {
  sameContact: "the referee shares the referrer's phone or email",
  referrerErased: 'the referrer was erased',
  monthlyLimit: (limit: number) => `the referrer reached its limit of ${limit} completed referrals this month`,
} as const;

/** Why a referral is REVERSED (Referral.reason). */
export const REVERSAL_REASON = 'the completing purchase was fully refunded within the hold';
/**
 * The reason of a reversal's rows on the referrer's ledger: `${REFERRER_REVERSAL}: <the referral's
 * reason>` (or `: referral campaign <code>`), their reference the referral's id. They never name the
 * referee's order or refund, which are the referee's data.
 */
export const REFERRER_REVERSAL = 'referral reversed';
/** Why a referral is REVERSED when its referee was erased while its points were held (PointsService.reverseReferralOfErased). */
export const ERASED_REFEREE_REASON = 'the referee was erased within the hold';
/** The reason of that reversal's row on the referee's ledger: `${ERASED_REFERRAL}: referral` (the referrer's rows: REFERRER_REVERSAL). */
export const ERASED_REFERRAL = 'referee erased';
