import type { EntityManager } from '@mikro-orm/postgresql';
import { badInput } from '../../common/errors';
import { insertReferral, referrerSeqOf, seqsOf, type LinkedReferral } from './referrals.repository';
import { normalizeReferralCode, referralCodeOf, seqOfReferralCode } from './referrals.rules';

export type { LinkedReferral } from './referrals.repository';

/**
 * The referral's own rows as the points ledger changes them, in the caller's transaction: a
 * completion's credited transactions linked to it, a refund's lock of the referral it may
 * reverse and its reversal, and what a completion gave the referee (a purchase's bonusPoints).
 * The ledger's SQL (points.repository.ts) leaves the referral table to this module.
 */
export { hasPendingReferral, linkReferralTransactions, lockCompletedReferral, lockCompletedReferralOfReferee, markReferralReversed, refereePointsOfOrder } from './referrals.repository';
export type { ReversibleReferral } from './referrals.repository';

/** A code given at registration, checked before anything is written: its seq, or null when none was given (absent or blank). */
export function referralSeqOrFail(code: string | null | undefined): string | null {
  if (code == null || normalizeReferralCode(code) === '') return null;
  const seq = seqOfReferralCode(code);
  if (seq == null) throw unknownCode();
  return seq;
}

const unknownCode = () => badInput('referralCode', 'No member has this referral code');

/**
 * Referrals (issue 25): the invite code every member has, the link a registration with a code
 * makes, the completion on the referee's first purchase and its reversal (the points ledger
 * runs those in the purchase's and the refund's transactions: points.service.ts).
 */
export class ReferralsService {
  constructor(private readonly em: EntityManager) {}

  /** A code given at registration, checked before anything is written (referralSeqOrFail). */
  referrerSeq(code: string | null | undefined): string | null {
    return referralSeqOrFail(code);
  }

  /** A member's code from its seq (no read when the caller has the seq). */
  codeOf(seq: string): string {
    return referralCodeOf(seq);
  }

  /** Members' codes by id (a batch read of their seqs). */
  async codesOf(ids: readonly string[]): Promise<Map<string, string>> {
    const seqs = await seqsOf(this.em, ids);
    return new Map([...seqs].map(([id, seq]) => [id, referralCodeOf(seq)]));
  }

  /**
   * In the registration's transaction, the member row written: the referral to the member
   * whose seq `referrerSeq` is (referralSeqOrFail). BAD_USER_INPUT when no member has it (the
   * transaction rolls back: nothing written).
   */
  async link(tx: EntityManager, refereeId: string, referrerSeq: string, at: Date): Promise<LinkedReferral> {
    const r = await insertReferral(tx, refereeId, referrerSeq, at);
    if (!r) throw unknownCode();
    return r;
  }

  /** Whether a registration replayed with `referrerSeq` (null: no code) names the referrer its first run linked (or none). */
  async sameReferrer(refereeId: string, referrerSeq: string | null): Promise<boolean> {
    return (await referrerSeqOf(this.em, refereeId)) === referrerSeq;
  }
}
