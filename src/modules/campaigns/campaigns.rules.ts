import { createHash } from 'node:crypto';

/**
 * Whether a member is in a campaign's control group: the first 32 bits of
 * md5(`${campaignId}:${memberId}`), unsigned, modulo 100, below controlPercent. The same as
 * the SQL function campaign_control (migration Migration20261207090000_campaigns_foundation):
 * deterministic, so re-evaluating the audience never moves anyone, and about controlPercent %
 * of any large set of members lands in control.
 */
export function controlArm(campaignId: string, memberId: string, controlPercent: number): boolean {
  const bucket = createHash('md5').update(`${campaignId}:${memberId}`).digest().readUInt32BE(0) % 100;
  return bucket < controlPercent;
}

/**
 * A PURCHASE campaign's multiplier effect: extra = floor(base × (multiplier − 1)), base being
 * the points the programme rate gives before tier and benefit multipliers. The multiplier is an
 * exact decimal string (at most 4 decimals): computed in integers, never in floats.
 */
export function multiplierExtra(basePoints: number, multiplier: string): number {
  const m = /^(\d+)(?:\.(\d{1,4}))?$/.exec(multiplier);
  if (!m) throw new Error(`not a multiplier: ${multiplier}`);
  const tenThousandths = BigInt(m[1]) * 10_000n + BigInt((m[2] ?? '').padEnd(4, '0'));
  if (tenThousandths <= 10_000n || basePoints <= 0) return 0;
  return Number((BigInt(basePoints) * (tenThousandths - 10_000n)) / 10_000n);
}

/** A campaign's id from its code: md5('campaign:' || code)::uuid, as SQL makes it (so a simulation of a code never saved assigns the arms the real campaign will). */
export function campaignIdOf(code: string): string {
  const h = createHash('md5').update(`campaign:${code}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export type EffectTrigger = 'PURCHASE' | 'ACTIVITY' | 'REGISTRATION' | 'TIER_UPGRADE';

/** An ACTIVE campaign as the effects see it (held in memory with the configuration's version). */
export interface EffectCampaign {
  id: string; code: string; trigger: EffectTrigger; startsAt: Date; endsAt: Date | null;
  activityKind: string | null; minAmountCents: number | null; bonusPoints: number | null; multiplier: string | null; rewardCode: string | null;
}

/** A triggering event: a purchase (its amount and base points: the programme rate's, before tier and benefit multipliers), an activity (its kind), a registration, an upgrade. */
export interface EffectEvent { trigger: EffectTrigger; at: Date; amountCents?: number; basePoints?: number; activityKind?: string }

/**
 * The campaigns that may act on an event, in the order they apply (starts_at, then code), with
 * the points each would give: the trigger, the window [startsAt, endsAt) by the event's
 * instant, and the conditions (minAmount for a purchase, activityKind for an activity). The
 * member's audience, arm, limit and the budget are the database's to check, at the write.
 */
export function matchingCampaigns<C extends EffectCampaign>(campaigns: readonly C[], e: EffectEvent): { campaign: C; points: number }[] {
  const t = e.at.getTime();
  return campaigns
    .filter((c) => c.trigger === e.trigger && c.startsAt.getTime() <= t && (c.endsAt == null || t < c.endsAt.getTime()))
    .filter((c) => e.trigger !== 'PURCHASE' || (e.amountCents ?? 0) >= (c.minAmountCents ?? 0))
    .filter((c) => e.trigger !== 'ACTIVITY' || c.activityKind == null || c.activityKind === e.activityKind)
    .sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime() || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0))
    .map((campaign) => ({
      campaign,
      points: (campaign.bonusPoints ?? 0) + (e.trigger === 'PURCHASE' && campaign.multiplier ? multiplierExtra(e.basePoints ?? 0, campaign.multiplier) : 0),
    }));
}

/**
 * The points a refund takes back from an award, as the purchase's own reversal (points.rules.ts
 * refundReversal): cumulative, floor(points × refunded in all / amount) less what earlier
 * refunds took, so refunds adding up to the whole take back exactly what was given.
 */
export function awardReversal(points: number, amountCents: number, refundedCentsAfter: number, reversedBefore: number): number {
  if (amountCents <= 0) return 0;
  const through = Number((BigInt(points) * BigInt(Math.min(refundedCentsAfter, amountCents))) / BigInt(amountCents));
  return Math.max(0, through - reversedBefore);
}
