import type { EntityManager } from '@mikro-orm/postgresql';
import { assertInstant } from '../../common/clock';
import { safeInteger } from '../../common/safe-integer';
import type { ProgramService } from '../program/program.service';
import { isUuid } from '../members/members.service';
import { decodeReferralCursor, encodeReferralCursor } from './referral-cursor.rules';
import { referralParty, type ReferralPartyView } from './referral-party.rules';
import {
  localMonths, referralsPerReferrer, statsPeriod, type ReferralStatsFigures, type StatsPeriod,
} from './referral-stats.rules';
import type { ReferralStatus } from './referral.entity';
import {
  referralChain, referralDepths, referralPages, referralStatsByPeriod, referrersOf, type PartyRow, type StatsRow,
} from './referrals-read.repository';

export interface ReferralView {
  id: string;
  referrer: ReferralPartyView;
  referee: ReferralPartyView;
  status: ReferralStatus;
  reason: string | null;
  createdAt: Date;
  completedAt: Date | null;
}

export interface ReferralsPageView {
  items: ReferralView[];
  cursors: string[];
  hasNextPage: boolean;
  endCursor: string | null;
  totalCount: number;
}

/** A month's figures for the statistics over time. */
export interface ReferralMonthStats { from: Date; to: Date; stats: ReferralStatsFigures }

const partyOf = (p: PartyRow): ReferralPartyView => referralParty(p.id, p.name, p.erasedAt);

function figures(r: StatsRow): ReferralStatsFigures {
  return {
    registered: r.registered, completed: r.completed, rejected: r.rejected, reversed: r.reversed,
    pointsGiven: safeInteger(r.given - r.taken), referrers: r.referrers,
    referralsPerReferrer: referralsPerReferrer(r.completed, r.referrers),
  };
}

/**
 * The read side of referrals: who referred a member, whom it referred, the programme's figures
 * and the invitation chain. Each side of a referral is shown as a ReferralParty (id and masked
 * name). Who may ask is the API's to check; every method takes many members at once for the
 * request's loaders.
 */
export class ReferralsReadService {
  constructor(private readonly em: EntityManager, private readonly program: ProgramService) {}

  async referredBy(memberIds: readonly string[]): Promise<Map<string, ReferralPartyView>> {
    const rows = await referrersOf(this.em, memberIds.filter(isUuid));
    return new Map([...rows].map(([id, p]) => [id, partyOf(p)]));
  }

  /**
   * Each referrer's page of referrals, newest first. `after` pages one referrer's list: a cursor
   * of that list (else BAD_USER_INPUT), with `memberIds` that referrer alone.
   */
  async referrals(memberIds: readonly string[], first: number, after: string | null): Promise<Map<string, ReferralsPageView>> {
    if (after && memberIds.length > 1) throw new Error('referrals: a cursor pages one referrer\'s list');
    const position = decodeReferralCursor(after, memberIds[0]);
    const pages = await referralPages(this.em, memberIds.filter(isUuid), first, position);
    const views = new Map<string, ReferralsPageView>();
    for (const [id, page] of pages) {
      const cursors = page.rows.map((r) => encodeReferralCursor({ createdMicros: r.createdMicros, id: r.id }, id));
      views.set(id, {
        items: page.rows.map((r) => ({
          id: r.id, status: r.status, reason: r.reason, createdAt: r.createdAt, completedAt: r.completedAt,
          referrer: partyOf(r.referrer), referee: partyOf(r.referee),
        })),
        cursors, hasNextPage: page.hasNextPage, endCursor: cursors.at(-1) ?? null, totalCount: page.totalCount,
      });
    }
    return views;
  }

  /** The figures of [from, to) (referral-stats.rules.ts); BAD_USER_INPUT when to <= from. */
  async stats(from: Date, to: Date): Promise<ReferralStatsFigures> {
    const period = statsPeriod(assertInstant(from, 'from'), assertInstant(to, 'to'));
    const [row] = await referralStatsByPeriod(this.em, [period]);
    return figures(row);
  }

  /** The figures of each of the `months` programme-local months ending with the one holding `now`, oldest first. */
  async statsByMonth(months: number, now: Date): Promise<ReferralMonthStats[]> {
    const { timeZone } = await this.program.get();
    const periods: StatsPeriod[] = localMonths(now, timeZone, months);
    const rows = await referralStatsByPeriod(this.em, periods);
    return rows.map((r, i) => ({ ...periods[i], stats: figures(r) }));
  }

  /** The member's referrers upward, nearest first ([] without one). */
  async chain(memberId: string): Promise<ReferralPartyView[]> {
    if (!isUuid(memberId)) return [];
    return (await referralChain(this.em, memberId)).map(partyOf);
  }

  /** How many referrers stand above each member. */
  async depths(memberIds: readonly string[]): Promise<Map<string, number>> {
    return referralDepths(this.em, memberIds.filter(isUuid));
  }
}
