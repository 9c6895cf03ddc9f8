import { newCouponCode } from '../rewards/rewards.rules';
import { memberSelection, type MemberSelection } from '../segments/segments.service';
import * as repo from './campaign-effects.repository';
import type { ActiveCampaignRow } from './campaign-effects.repository';
import { givesAt, matchingCampaigns, type EffectCampaign, type EffectEvent } from './campaigns.rules';

export type { EffectEvent, EffectTrigger } from './campaigns.rules';
export type { PurchaseAwardRow } from './campaign-effects.repository';

/** A campaign that has been activated, held in memory: its audience compiled (null: every member; a filter that no longer compiles selects nobody). */
export interface HeldCampaign extends EffectCampaign { audience: MemberSelection | null }

/** What the event's statement (points.repository.ts campaignEffects) applies: a campaign, the points it would give, who is in its audience. */
export interface CampaignPlan { campaignId: string; code: string; points: number; audience: MemberSelection | null; couponCode: string | null }

/** The campaigns that may give to an event (those ever activated, and able to give at some instant) at a configuration version. */
export interface ActiveCampaigns { version: string; campaigns: HeldCampaign[] }

const NOBODY: MemberSelection = { sql: 'select null::uuid as id where false', params: [] };

function heldCampaign(row: ActiveCampaignRow): HeldCampaign {
  let audience: MemberSelection | null = null;
  if (row.audience) {
    try {
      audience = memberSelection(row.audience);
    } catch {
      audience = NOBODY;
    }
  }
  return {
    id: row.id, code: row.code, trigger: row.trigger, startsAt: new Date(row.startsAt), endsAt: row.endsAt ? new Date(row.endsAt) : null,
    endedAt: row.endedAt ? new Date(row.endedAt) : null, paused: row.paused.map(([from, until]) => [new Date(from), until ? new Date(until) : null] as const),
    activityKind: row.activityKind, minAmountCents: row.minAmountCents == null ? null : Number(row.minAmountCents),
    bonusPoints: row.bonusPoints, multiplier: row.multiplier, rewardCode: row.rewardCode, audience,
  };
}

const held = new WeakMap<object, ActiveCampaigns>();

/**
 * The campaigns of a configuration the programme holds in memory (ProgrammeConfig: read in the
 * same statement as the ladder and the benefits, at one config_version, which every change of
 * `campaign` moves), their audiences compiled once per configuration: every campaign ever
 * activated, ACTIVE, PAUSED or ENDED, since a late event dated while it gave is given (givesAt).
 * So a purchase that decides with the configuration at a version knows the campaigns at that
 * version, at no statement of its own. The effects' statement checks each campaign's instants
 * again at the write: the list only says which campaigns may apply.
 */
export function campaignsOf(config: { version: string; givingCampaigns: readonly Record<string, unknown>[] }): ActiveCampaigns {
  let c = held.get(config);
  if (!c) held.set(config, (c = { version: config.version, campaigns: config.givingCampaigns.map((r) => heldCampaign(r as unknown as ActiveCampaignRow)) }));
  return c;
}

/** The campaigns that may act on `event`, in the order they apply, with what each would give. */
export function campaignPlans(active: ActiveCampaigns, event: EffectEvent): CampaignPlan[] {
  return matchingCampaigns(active.campaigns, event).map(({ campaign, points }) => ({
    campaignId: campaign.id, code: campaign.code, points, audience: campaign.audience, couponCode: campaign.rewardCode ? newCouponCode() : null,
  }));
}

/** Whether a campaign of one of `triggers` may act on an event at `at` (the one-statement purchase path steps aside for it). */
export function mayApply(active: ActiveCampaigns, triggers: readonly string[], at: Date): boolean {
  return active.campaigns.some((c) => triggers.includes(c.trigger) && givesAt(c, at));
}

/**
 * Whether a campaign of one of `triggers` may act on an event dated anywhere in [from, to]: an
 * upgrade a fact at `from` brings is dated at or after it (a backdated purchase that tips a later
 * purchase's window upgrades the member at that later purchase), never after `to` (now).
 */
export function mayApplyBetween(active: ActiveCampaigns, triggers: readonly string[], from: Date, to: Date): boolean {
  const f = from.getTime(), t = Math.max(f, to.getTime());
  return active.campaigns.some((c) => triggers.includes(c.trigger) && c.startsAt.getTime() <= t
    && (c.endsAt == null || f < c.endsAt.getTime()) && (c.endedAt == null || f < c.endedAt.getTime()));
}

export const purchaseAwards = repo.purchaseAwards;
export const sourceAwards = repo.sourceAwards;
export const reverseAward = repo.reverseAward;
export const unrecoveredAwardReversals = repo.unrecoveredAwardReversals;
export const recoverAward = repo.recoverAward;
export const awardReversalsFrom = repo.awardReversalsFrom;
export const returnCouponCost = repo.returnCouponCost;
export const sourceCoupons = repo.sourceCoupons;
export const linkAwardTransaction = repo.linkAwardTransaction;
export const awardedPoints = repo.awardedPoints;
export const upgradeRewardedAlready = repo.upgradeRewardedAlready;
