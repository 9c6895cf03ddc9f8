import type { CampaignStatus, CampaignTrigger, ImportKind, ImportMode, ImportStatus, LifecycleStage, PointTransactionType, ReferralStatus, RfmSegment, TagCategory, TagKind, TierChangeKind, WebhookDeliveryStatus } from '../gql/graphql';
import type { MessageKey } from './en';

/**
 * The schema's enums as labels. Each map must cover every value the schema has (tsc checks it
 * against the generated types), so a new value cannot appear untranslated.
 */
export const STAGE_LABEL: Record<LifecycleStage, MessageKey> = {
  PROSPECT: 'stage.PROSPECT', NEW: 'stage.NEW', ACTIVE: 'stage.ACTIVE', AT_RISK: 'stage.AT_RISK',
  DORMANT: 'stage.DORMANT', CHURNED: 'stage.CHURNED', REACTIVATED: 'stage.REACTIVATED',
};

export const RFM_LABEL: Record<RfmSegment, MessageKey> = {
  IMPORTANT_VALUE: 'rfm.IMPORTANT_VALUE', IMPORTANT_DEVELOP: 'rfm.IMPORTANT_DEVELOP', IMPORTANT_RETAIN: 'rfm.IMPORTANT_RETAIN',
  IMPORTANT_WINBACK: 'rfm.IMPORTANT_WINBACK', GENERAL_VALUE: 'rfm.GENERAL_VALUE', GENERAL_DEVELOP: 'rfm.GENERAL_DEVELOP',
  GENERAL_RETAIN: 'rfm.GENERAL_RETAIN', GENERAL_WINBACK: 'rfm.GENERAL_WINBACK',
};

export const TRANSACTION_LABEL: Record<PointTransactionType, MessageKey> = {
  EARN: 'transaction.EARN', REDEEM: 'transaction.REDEEM', EXPIRE: 'transaction.EXPIRE', ADJUST: 'transaction.ADJUST',
  REFUND_REVERSAL: 'transaction.REFUND_REVERSAL', REDEMPTION_CANCEL: 'transaction.REDEMPTION_CANCEL',
  OPENING_BALANCE: 'transaction.OPENING_BALANCE', ERASURE: 'transaction.ERASURE', BONUS: 'transaction.BONUS',
  CHECK_IN: 'transaction.CHECK_IN', REFERRAL: 'transaction.REFERRAL',
};

export const TIER_CHANGE_LABEL: Record<TierChangeKind, MessageKey> = {
  UPGRADE: 'tierChange.UPGRADE', DOWNGRADE: 'tierChange.DOWNGRADE', RENEWAL: 'tierChange.RENEWAL',
};

export const TAG_KIND_LABEL: Record<TagKind, MessageKey> = { MANUAL: 'tagKind.MANUAL', RULE: 'tagKind.RULE' };

/** Redemption.status is a String in the schema: the four values it documents. */
const REDEMPTION_STATUS: Record<string, MessageKey> = {
  ISSUED: 'redemption.ISSUED', USED: 'redemption.USED', CANCELLED: 'redemption.CANCELLED', EXPIRED: 'redemption.EXPIRED',
};

export function redemptionStatusLabel(status: string): MessageKey | null {
  return REDEMPTION_STATUS[status] ?? null;
}

export const DELIVERY_STATUS_LABEL: Record<WebhookDeliveryStatus, MessageKey> = {
  PENDING: 'deliveryStatus.PENDING', DELIVERED: 'deliveryStatus.DELIVERED', DEAD: 'deliveryStatus.DEAD',
};
// imports
export const IMPORT_STATUS_LABEL: Record<ImportStatus, MessageKey> = {
  RUNNING: 'imports.status.RUNNING', SUCCEEDED: 'imports.status.SUCCEEDED', FAILED: 'imports.status.FAILED',
};
export const IMPORT_KIND_LABEL: Record<ImportKind, MessageKey> = { MEMBERS: 'imports.kind.members', PURCHASES: 'imports.kind.purchases' };
export const IMPORT_MODE_LABEL: Record<ImportMode, MessageKey> = { HISTORY: 'imports.mode.history', EARN: 'imports.mode.earn' };
// campaigns (issue 24)
export const CAMPAIGN_TRIGGER_LABEL: Record<CampaignTrigger, MessageKey> = {
  PURCHASE: 'campaigns.trigger.PURCHASE', ACTIVITY: 'campaigns.trigger.ACTIVITY', REGISTRATION: 'campaigns.trigger.REGISTRATION', TIER_UPGRADE: 'campaigns.trigger.TIER_UPGRADE',
  CHECK_IN: 'campaigns.trigger.CHECK_IN', REFERRAL: 'campaigns.trigger.REFERRAL',
};
export const CAMPAIGN_STATUS_LABEL: Record<CampaignStatus, MessageKey> = {
  DRAFT: 'campaigns.status.DRAFT', ACTIVE: 'campaigns.status.ACTIVE', PAUSED: 'campaigns.status.PAUSED', ENDED: 'campaigns.status.ENDED',
};
/** Campaign.endedReason is a String: the values the contract names. */
const ENDED_REASON: Record<string, MessageKey> = {
  BUDGET_SPENT: 'campaigns.ended.BUDGET_SPENT', ENDS_AT: 'campaigns.ended.ENDS_AT', ADMIN: 'campaigns.ended.ADMIN',
};
export function endedReasonLabel(reason: string): MessageKey | null {
  return ENDED_REASON[reason] ?? null;
}
/** ChurnModel.method is a String: the scores the server documents. */
const CHURN_METHOD: Record<string, MessageKey> = { BG_NBD: 'churn.method.BG_NBD', LOGISTIC: 'churn.method.LOGISTIC', RECENCY: 'churn.method.RECENCY' };
export function churnMethodLabel(method: string): MessageKey | null {
  return CHURN_METHOD[method] ?? null;
}

export const REFERRAL_STATUS_LABEL: Record<ReferralStatus, MessageKey> = {
  PENDING: 'referralStatus.PENDING', COMPLETED: 'referralStatus.COMPLETED', REJECTED: 'referralStatus.REJECTED', REVERSED: 'referralStatus.REVERSED',
};
export const TAG_CATEGORY_LABEL: Record<TagCategory, MessageKey> = {
  DESCRIPTIVE: 'tagCategory.DESCRIPTIVE', BEHAVIOR: 'tagCategory.BEHAVIOR', PREFERENCE: 'tagCategory.PREFERENCE', SCENARIO: 'tagCategory.SCENARIO',
};
