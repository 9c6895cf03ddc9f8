import type { EntityManager } from '@mikro-orm/postgresql';
import { pgArray, pgTextArray } from '../../db/entity-manager';
import type { ReferralStatus } from './referral.entity';
import type { ReferralPosition } from './referral-cursor.rules';
import type { StatsPeriod } from './referral-stats.rules';

/**
 * The read side of referrals (issue 25): a member's referrer and referrals, the statistics and
 * the invitation chain. Set-based: one statement for a whole batch of members or periods. The
 * party's name comes from the members module's `member` row in the same statement (its name
 * and erasure only, masked by the service: referral-party.rules.ts); nothing here writes.
 */

/** One side of a referral as stored: the member's id, name and erasure. */
export interface PartyRow { id: string; name: string | null; erasedAt: Date | null }

export interface ReferralRow {
  id: string;
  status: ReferralStatus;
  reason: string | null;
  createdAt: Date;
  completedAt: Date | null;
  /** created_at in whole microseconds since the epoch (the cursor's key). */
  createdMicros: string;
  referrer: PartyRow;
  referee: PartyRow;
}

export interface ReferralsPage { rows: ReferralRow[]; hasNextPage: boolean; totalCount: number }

interface PartyColumns { id: string; name: string | null; erased_at: Date | null }
const party = (c: PartyColumns): PartyRow => ({ id: c.id, name: c.name, erasedAt: c.erased_at && new Date(c.erased_at) });

/** Each referee's referrer (any status: the link is a fact even when no reward followed). */
export async function referrersOf(em: EntityManager, refereeIds: readonly string[]): Promise<Map<string, PartyRow>> {
  const rows = await em.execute<(PartyColumns & { referee_id: string })[]>(
    `select r.referee_id, r.referrer_id as id, m.display_name as name, m.erased_at
     from referral r left join member m on m.id = r.referrer_id
     where r.referee_id = any(?::uuid[])`,
    [pgArray(refereeIds)],
  );
  return new Map(rows.map((r) => [r.referee_id, party(r)]));
}

const PAGE_SQL = `
select m.id as member_id,
  (select count(*) from referral c where c.referrer_id = m.id)::int as total,
  r.id, r.status, r.reason, r.created_at, r.completed_at,
  (extract(epoch from r.created_at) * 1000000)::bigint::text as created_micros,
  er.display_name as referrer_name, er.erased_at as referrer_erased_at,
  r.referee_id, ee.display_name as referee_name, ee.erased_at as referee_erased_at
from unnest(?::uuid[]) as m(id)
left join member er on er.id = m.id
left join lateral (
  select * from referral r
  where r.referrer_id = m.id
    and (?::bigint is null or (r.created_at, r.id) < (timestamptz 'epoch' + ?::bigint * interval '1 microsecond', ?::uuid))
  order by r.created_at desc, r.id desc
  limit ?
) r on true
left join member ee on ee.id = r.referee_id
order by m.id, r.created_at desc, r.id desc`;

interface PageColumns {
  member_id: string; total: number;
  id: string | null; status: ReferralStatus; reason: string | null; created_at: Date; completed_at: Date | null; created_micros: string;
  referrer_name: string | null; referrer_erased_at: Date | null;
  referee_id: string; referee_name: string | null; referee_erased_at: Date | null;
}

/**
 * One page of each referrer's referrals, newest first ((created_at, id) descending, compared on
 * the typed columns), `first` each after `after`, with each referrer's total; one statement for
 * all of them (the index referral_referrer_index serves both the page and the count).
 */
export async function referralPages(
  em: EntityManager, referrerIds: readonly string[], first: number, after: ReferralPosition | null,
): Promise<Map<string, ReferralsPage>> {
  const micros = after?.createdMicros ?? null;
  const rows = await em.execute<PageColumns[]>(PAGE_SQL, [pgArray(referrerIds), micros, micros, after?.id ?? null, first + 1]);
  const pages = new Map<string, ReferralsPage>();
  for (const r of rows) {
    let page = pages.get(r.member_id);
    if (!page) pages.set(r.member_id, (page = { rows: [], hasNextPage: false, totalCount: r.total }));
    if (r.id == null) continue;
    if (page.rows.length === first) { page.hasNextPage = true; continue; }
    page.rows.push({
      id: r.id, status: r.status, reason: r.reason, createdAt: new Date(r.created_at),
      completedAt: r.completed_at && new Date(r.completed_at), createdMicros: r.created_micros,
      referrer: party({ id: r.member_id, name: r.referrer_name, erased_at: r.referrer_erased_at }),
      referee: party({ id: r.referee_id, name: r.referee_name, erased_at: r.referee_erased_at }),
    });
  }
  return pages;
}

/**
 * The figures of each period (referral-stats.rules.ts defines them), one statement for all
 * the periods: each figure a range scan on the index of the timestamp that dates it
 * (created_at; the partial referral_completion_index, referral_rejected_index and
 * referral_reversed_index for the completions, rejections and reversals: migration
 * referral_stats_indexes).
 */
const STATS_SQL = `
with p as (
  select i, f, t from unnest(?::timestamptz[], ?::timestamptz[]) with ordinality as p(f, t, i)
)
select p.i::int as i,
  (select count(*) from referral r where r.created_at >= p.f and r.created_at < p.t)::int as registered,
  done.completed, done.referrers, done.given,
  (select count(*) from referral r where r.status = 'REJECTED' and r.rejected_at >= p.f and r.rejected_at < p.t)::int as rejected,
  back.reversed, back.taken
from p
cross join lateral (
  select count(*)::int as completed, count(distinct r.referrer_id)::int as referrers,
    coalesce(sum(r.referrer_points + r.referee_points), 0)::bigint::text as given
  from referral r where r.completed_at >= p.f and r.completed_at < p.t and r.status in ('COMPLETED', 'REVERSED')
) done
cross join lateral (
  select count(*)::int as reversed, coalesce(sum(r.referrer_points + r.referee_points - r.unrecovered_points), 0)::bigint::text as taken
  from referral r where r.status = 'REVERSED' and r.reversed_at >= p.f and r.reversed_at < p.t
) back
order by p.i`;

export interface StatsRow { registered: number; completed: number; rejected: number; reversed: number; referrers: number; given: bigint; taken: bigint }

export async function referralStatsByPeriod(em: EntityManager, periods: readonly StatsPeriod[]): Promise<StatsRow[]> {
  const iso = (ds: Date[]) => pgTextArray(ds.map((d) => d.toISOString()));
  const rows = await em.execute<{ registered: number; completed: number; rejected: number; reversed: number; referrers: number; given: string; taken: string }[]>(
    STATS_SQL, [iso(periods.map((p) => p.from)), iso(periods.map((p) => p.to))],
  );
  return rows.map((r) => ({ ...r, given: BigInt(r.given), taken: BigInt(r.taken) }));
}

/** The longest chain the recursion follows: far beyond any real invitation chain, a stop for a corrupt one. */
export const MAX_CHAIN = 1000;

/**
 * The invitation chain above a member: its referrer (depth 1), that one's referrer (2), and so
 * on, by a recursive CTE over referral (referee → referrer). Each member has at most one
 * referrer (referee_id is unique), so the chain is a path; a member met twice (a cycle, which
 * registration cannot make but data repair could) or MAX_CHAIN steps end it.
 */
const CHAIN_SQL = `
with recursive chain(start_id, member_id, depth, seen) as (
  select s.id, r.referrer_id, 1, array[s.id, r.referrer_id]
  from unnest(?::uuid[]) as s(id) join referral r on r.referee_id = s.id
  union all
  select c.start_id, r.referrer_id, c.depth + 1, c.seen || r.referrer_id
  from chain c join referral r on r.referee_id = c.member_id
  where c.depth < ${MAX_CHAIN} and r.referrer_id <> all(c.seen)
)`;

export async function referralChain(em: EntityManager, memberId: string): Promise<PartyRow[]> {
  const rows = await em.execute<PartyColumns[]>(
    `${CHAIN_SQL}
     select c.member_id as id, m.display_name as name, m.erased_at
     from chain c left join member m on m.id = c.member_id order by c.depth`,
    [pgArray([memberId])],
  );
  return rows.map(party);
}

/** How many referrers stand above each member (0: it registered without a code). */
export async function referralDepths(em: EntityManager, memberIds: readonly string[]): Promise<Map<string, number>> {
  const rows = await em.execute<{ start_id: string; depth: number }[]>(
    `${CHAIN_SQL} select start_id, max(depth)::int as depth from chain group by start_id`,
    [pgArray(memberIds)],
  );
  return new Map(rows.map((r) => [r.start_id, r.depth]));
}
