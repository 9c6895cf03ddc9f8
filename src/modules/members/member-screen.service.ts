import type { EntityManager } from '@mikro-orm/postgresql';
import { withDates } from '../../db/rows';
import type { BenefitRow } from '../benefits/benefits.service';
import type { TagRow } from '../tags/tags.service';
import type { TierView } from '../tiers/tier.entity';
import { tierProgressOf, type TierProgressFigures } from '../tiers/tiers.rules';
import type { MemberView } from './member.entity';
import { memberScreen, type ScreenKey, type ScreenParts, type ScreenRow } from './member-screen.repository';
import { isUuid } from './members.service';

export type { ScreenKey, ScreenParts } from './member-screen.repository';

/** A member's screen, as the per-request loaders hold its parts; a part not asked is null (or empty). */
export interface MemberScreen {
  member: MemberView;
  /** The member's tier (asked for itself or for progress), and the next one up (progress). */
  tier: TierView | null;
  nextTier: TierView | null;
  balances: { balance: number; pending: number; lifetime: number } | null;
  expiring: { withinDays: number; points: number }[];
  progress: TierProgressFigures | null;
  tags: TagRow[] | null;
  benefits: BenefitRow[] | null;
}

/**
 * The most frequent read of all (every app open): one statement for what the screen asks
 * (member-screen.repository.ts). Plain rows, not entities: a read that writes nothing has no
 * use for the identity map, and hydrating three entities was a tenth of a screen's CPU (profile, docs/benchmarks.md).
 */
export class MemberScreenService {
  constructor(private readonly em: EntityManager) {}

  /** The member's screen at `now`; null when there is no such member. */
  async read(key: ScreenKey, parts: ScreenParts, now: Date): Promise<MemberScreen | null> {
    if ('id' in key && !isUuid(key.id)) return null;
    const row = await memberScreen(this.em, key, parts, now);
    if (!row) return null;
    const tier = row.screen_tier ?? null;
    const nextTier = row.screen_next_tier ?? null;
    return {
      member: memberOf(row),
      tier,
      nextTier,
      balances: parts.balances ? balancesOf(row) : null,
      expiring: parts.expiringDays.map((withinDays, i) => ({ withinDays, points: row[`screen_expiring_${i}`] })),
      progress: parts.progress && tier ? tierProgressOf(tier, nextTier, { qNow: row.screen_q_now!, qKept: row.screen_q_kept!, hasExpiry: row.tierExpiresAt != null }) : null,
      tags: parts.tags ? (row.screen_tags as unknown as TagRow[]) : null,
      benefits: parts.benefits ? (row.screen_benefits as unknown as BenefitRow[]).map((b) => withDates(b, ['validFrom', 'validTo'])) : null,
    };
  }
}

function memberOf(r: ScreenRow): MemberView {
  return {
    id: r.id, seq: r.seq, externalId: r.externalId, displayName: r.displayName, email: r.email, phone: r.phone, birthday: r.birthday,
    gender: r.gender, region: r.region, channel: r.channel, joinedAt: new Date(r.joinedAt), tierSince: new Date(r.tierSince),
    tierExpiresAt: r.tierExpiresAt == null ? null : new Date(r.tierExpiresAt), tier: { id: r.tierId },
    erasedAt: r.erasedAt == null ? null : new Date(r.erasedAt),
  };
}

/** A member without a points account has nothing (as the balances loader answers it). */
function balancesOf(row: ScreenRow): MemberScreen['balances'] {
  if (!row.screen_has_account) return { balance: 0, pending: 0, lifetime: 0 };
  return { balance: row.screen_balance!, pending: row.screen_pending!, lifetime: row.screen_lifetime! };
}
