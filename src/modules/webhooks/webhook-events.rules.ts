/**
 * The event types webhooks carry (webhookEventTypes), in the order the API lists them. An
 * endpoint subscribes to some of them by name, or to every one with `*`.
 */
export const WEBHOOK_EVENT_TYPES = [
  'member.registered',
  'member.updated',
  'member.erased',
  'purchase.recorded',
  'purchase.refunded',
  'points.earned',
  'points.adjusted',
  'points.expired',
  'tier.changed',
  'tier.at_risk',
  'redemption.issued',
  'redemption.used',
  'redemption.cancelled',
  'import.completed',
  'import.failed',
  'campaign.awarded',
  'campaign.reversed',
  'referral.completed',
  'referral.reversed',
  'webhook.ping',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** An endpoint's subscription to every type. */
export const ALL_WEBHOOK_EVENTS = '*';

export function isWebhookEventType(type: string): type is WebhookEventType {
  return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(type);
}
