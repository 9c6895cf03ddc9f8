import type { MessageKey } from './en';
import { matchPhrase, type PhrasePattern, type Translate } from './server-phrases';

/**
 * The reasons the server writes itself (a ledger row's `reason`, a tier change's, a referral's
 * rejection or reversal), in the console's language: a fixed phrase is a label; a phrase with an
 * id or code in it (`refund R-1: campaign X`, `campaign WIN-BACK`, `cancelled: <the operator's
 * reason>`) is a label with that part kept as written (a referral's reason in `referral reversed:
 * <why>` is translated in its turn). Any other text (an operator's own reason)
 * is shown as it is. The phrases are the server's (src/modules/…: points.service.ts,
 * points.repository.ts, tiers.rules.ts, referrals.rules.ts, rewards.service.ts,
 * benefits.service.ts); test/console/server-reasons.test.ts checks the console knows each of them.
 */
export const FIXED_REASONS: Record<string, MessageKey> = {
  'points expired': 'reason.pointsExpired',
  'expiry corrected: debits re-planned in date order': 'reason.expiryCorrected',
  'expiry corrected: taken by a write dated before the expiry': 'reason.expiryTaken',
  'daily check-in': 'reason.checkIn',
  "referral: friend's first purchase": 'reason.referralReferrer',
  'referral: welcome': 'reason.referralReferee',
  'member erased: balance forfeited': 'reason.erasureForfeit',
  'member erased': 'reason.memberErased',
  'qualifying points reached': 'reason.tierUpgrade',
  'retained at review': 'reason.tierRenewal',
  'review: below retain points': 'reason.tierDowngrade',
  import: 'reason.tierImport',
  "the referee shares the referrer's phone or email": 'reason.referralSameContact',
  'the referrer was erased': 'reason.referrerErased',
  'the completing purchase was fully refunded within the hold': 'reason.referralReversed',
  'the referee was erased within the hold': 'reason.referralErasedReferee',
};

/** How a refund's missing points were found later (`refund R-1: points it could not take back, <how>`). */
export const REFUND_RECOVERY_HOW: Record<string, MessageKey> = {
  'paid by a credit dated before it': 'reason.recovered.earlierCredit',
  'freed when a backdated write re-planned the debits': 'reason.recovered.freedByReplan',
  'returned by a cancellation': 'reason.recovered.cancellation',
  'found when a backdated write re-planned it in date order': 'reason.recovered.foundByReplan',
};

/** Phrases with a part the server fills in (kept as written), most specific first. */
const PATTERNS: PhrasePattern[] = [
  [/^refund (.+): points it could not take back, (.+)$/s, 'reason.refundRecovered', ['refund', 'how']],
  [/^refund (.+): referral campaign (\S+)$/s, 'reason.refundReferralCampaign', ['refund', 'campaign']],
  [/^refund (.+): campaign (\S+)$/s, 'reason.refundCampaign', ['refund', 'campaign']],
  [/^refund (.+): referral$/s, 'reason.refundReferral', ['refund']],
  [/^referral reversed: referral campaign (\S+)$/, 'reason.referrerReversedCampaign', ['campaign']],
  [/^referral reversed: (.+)$/s, 'reason.referrerReversed', ['why']],
  [/^referee erased: referral campaign (\S+)$/, 'reason.erasedReferralCampaign', ['campaign']],
  [/^referee erased: referral$/, 'reason.erasedReferral', []],
  [/^refund (\S+)$/, 'reason.refund', ['refund']],
  [/^rate corrected: order (.+) earns at the tier held at its instant$/s, 'reason.rateCorrected', ['order']],
  [/^campaign (\S+)$/, 'reason.campaign', ['campaign']],
  [/^activity (\S+)$/, 'reason.activity', ['kind']],
  [/^reward (\S+)$/, 'reason.reward', ['reward']],
  [/^birthday gift (\d{4})$/, 'reason.birthdayGift', ['year']],
  [/^cancelled: (.*)$/s, 'reason.cancelled', ['reason']],
  [/^override: (.*)$/s, 'reason.override', ['reason']],
  [/^the referrer reached its limit of (\d+) completed referrals this month$/, 'reason.referralMonthlyLimit', ['limit']],
];

/** `reason` in the language `t` speaks: a server phrase translated, anything else as it is. */
export function reasonText(reason: string, t: Translate): string {
  const match = matchPhrase(reason, FIXED_REASONS, PATTERNS);
  if (!match) return reason;
  const { key, vars } = match;
  // A cancelled redemption's reason may itself be the server's ("cancelled: member erased"); an override's is the operator's.
  if (key === 'reason.cancelled') vars.reason = reasonText(vars.reason, t);
  if (key === 'reason.referrerReversed') vars.why = reasonText(vars.why, t);
  if (key === 'reason.refundRecovered' && REFUND_RECOVERY_HOW[vars.how]) vars.how = t(REFUND_RECOVERY_HOW[vars.how]);
  return t(key, vars);
}
