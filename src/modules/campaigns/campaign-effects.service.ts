import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppEntityManager } from '../../db/entity-manager';
import { newCouponCode } from '../rewards/rewards.rules';
import { memberSelection, type MemberSelection } from '../segments/segments.service';
import * as repo from './campaign-effects.repository';
import { matchingCampaigns, type EffectCampaign, type EffectEvent } from './campaigns.rules';

export type { EffectEvent, EffectTrigger } from './campaigns.rules';
export type { PurchaseAwardRow } from './campaign-effects.repository';

/** An ACTIVE campaign held in memory: its audience compiled (null: every member; a filter that no longer compiles selects nobody). */
export interface HeldCampaign extends EffectCampaign { audience: MemberSelection | null }

/** What the event's statement (points.repository.ts campaignEffects) applies: a campaign, the points it would give, who is in its audience. */
export interface CampaignPlan { campaignId: string; code: string; points: number; audience: MemberSelection | null; couponCode: string | null }

/** The active campaigns at a configuration version. */
export interface ActiveCampaigns { version: string; campaigns: HeldCampaign[] }

const NOBODY: MemberSelection = { sql: 'select null::uuid as id where false', params: [] };

function held(row: repo.ActiveCampaignRow): HeldCampaign {
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
    activityKind: row.activityKind, minAmountCents: row.minAmountCents == null ? null : Number(row.minAmountCents),
    bonusPoints: row.bonusPoints, multiplier: row.multiplier, rewardCode: row.rewardCode, audience,
  };
}

/**
 * The ACTIVE campaigns held in memory, one list per connection pool, with the config_version
 * they were read at: every change of a campaign moves it (a statement trigger), as a change of
 * tiers or benefits does, so whoever holds the programme's configuration at a version knows the
 * campaigns at that version too. The effects' statement checks each campaign's status and
 * window again at the write: the list only says which campaigns may apply.
 */
export class ActiveCampaignsCache {
  private current: ActiveCampaigns | null = null;
  private loading: Promise<ActiveCampaigns> | null = null;

  /** The active campaigns at `version`: held, or read again (one statement); null when the database has moved past it. */
  async at(em: EntityManager, version: string): Promise<ActiveCampaigns | null> {
    if (this.current?.version === version) return this.current;
    const loaded = await this.load(em);
    return loaded.version === version ? loaded : null;
  }

  /** The list as it is now (read again). */
  async load(em: EntityManager): Promise<ActiveCampaigns> {
    this.loading ??= repo.activeCampaigns(em).then((r) => this.keep({ version: r.version, campaigns: r.campaigns.map(held) })).finally(() => { this.loading = null; });
    return this.loading;
  }

  private keep(c: ActiveCampaigns): ActiveCampaigns {
    if (!this.current || BigInt(c.version) >= BigInt(this.current.version)) this.current = c;
    return c;
  }
}

const caches = new WeakMap<object, ActiveCampaignsCache>();

/** The cache of the instance `em` belongs to (its connection pool). */
export function activeCampaignsOf(em: EntityManager): ActiveCampaignsCache {
  const pool = (em as unknown as AppEntityManager).pool();
  let cache = caches.get(pool);
  if (!cache) caches.set(pool, (cache = new ActiveCampaignsCache()));
  return cache;
}

/** The campaigns that may act on `event`, in the order they apply, with what each would give. */
export function campaignPlans(active: ActiveCampaigns, event: EffectEvent): CampaignPlan[] {
  return matchingCampaigns(active.campaigns, event).map(({ campaign, points }) => ({
    campaignId: campaign.id, code: campaign.code, points, audience: campaign.audience, couponCode: campaign.rewardCode ? newCouponCode() : null,
  }));
}

/** Whether a campaign of one of `triggers` may act on an event at `at` (the one-statement purchase path steps aside for it). */
export function mayApply(active: ActiveCampaigns, triggers: readonly string[], at: Date): boolean {
  const t = at.getTime();
  return active.campaigns.some((c) => triggers.includes(c.trigger) && c.startsAt.getTime() <= t && (c.endsAt == null || t < c.endsAt.getTime()));
}

export const purchaseAwards = repo.purchaseAwards;
export const reverseAward = repo.reverseAward;
export const linkAwardTransaction = repo.linkAwardTransaction;
export const awardedPoints = repo.awardedPoints;
