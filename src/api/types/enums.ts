import { registerEnumType } from 'type-graphql';

export enum TierChangeKind { UPGRADE = 'UPGRADE', DOWNGRADE = 'DOWNGRADE', RENEWAL = 'RENEWAL' }
export enum DowngradePolicy { DROP_ONE = 'DROP_ONE', RECALCULATE = 'RECALCULATE' }
export enum PointTransactionType {
  EARN = 'EARN', REDEEM = 'REDEEM', EXPIRE = 'EXPIRE', ADJUST = 'ADJUST',
  REFUND_REVERSAL = 'REFUND_REVERSAL', REDEMPTION_CANCEL = 'REDEMPTION_CANCEL',
  OPENING_BALANCE = 'OPENING_BALANCE', ERASURE = 'ERASURE',
  /** Campaign points; reference = the campaign's code. */
  BONUS = 'BONUS',
  /** A referral's points (referrer or referee); reference = the referral's id. */
  REFERRAL = 'REFERRAL',
  /** A daily check-in's points; reference = the programme-local day. */
  CHECK_IN = 'CHECK_IN',
}
export enum LifecycleStage {
  PROSPECT = 'PROSPECT', NEW = 'NEW', ACTIVE = 'ACTIVE', AT_RISK = 'AT_RISK',
  DORMANT = 'DORMANT', CHURNED = 'CHURNED', REACTIVATED = 'REACTIVATED',
}
export enum RfmSegment {
  IMPORTANT_VALUE = 'IMPORTANT_VALUE', IMPORTANT_DEVELOP = 'IMPORTANT_DEVELOP',
  IMPORTANT_RETAIN = 'IMPORTANT_RETAIN', IMPORTANT_WINBACK = 'IMPORTANT_WINBACK',
  GENERAL_VALUE = 'GENERAL_VALUE', GENERAL_DEVELOP = 'GENERAL_DEVELOP',
  GENERAL_RETAIN = 'GENERAL_RETAIN', GENERAL_WINBACK = 'GENERAL_WINBACK',
}
export enum TagKind { MANUAL = 'MANUAL', RULE = 'RULE' }
export enum TagCategory { DESCRIPTIVE = 'DESCRIPTIVE', BEHAVIOR = 'BEHAVIOR', PREFERENCE = 'PREFERENCE', SCENARIO = 'SCENARIO' }

registerEnumType(TierChangeKind, { name: 'TierChangeKind' });
registerEnumType(DowngradePolicy, { name: 'DowngradePolicy' });
registerEnumType(PointTransactionType, { name: 'PointTransactionType' });
registerEnumType(LifecycleStage, { name: 'LifecycleStage' });
registerEnumType(RfmSegment, { name: 'RfmSegment' });
registerEnumType(TagKind, { name: 'TagKind' });
registerEnumType(TagCategory, { name: 'TagCategory' });

// --- Webhooks (contract part integrations)
export enum WebhookDeliveryStatus { PENDING = 'PENDING', DELIVERED = 'DELIVERED', DEAD = 'DEAD' }
registerEnumType(WebhookDeliveryStatus, { name: 'WebhookDeliveryStatus' });

// --- Referrals and check-in (contract part engagement)
export enum ReferralStatus { PENDING = 'PENDING', COMPLETED = 'COMPLETED', REJECTED = 'REJECTED', REVERSED = 'REVERSED' }
registerEnumType(ReferralStatus, { name: 'ReferralStatus' });
